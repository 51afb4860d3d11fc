"""`crebis watch send`: the week's digest goes to the digest list through the newsletter's send log."""

from __future__ import annotations

import re

from click.testing import CliRunner

from pipeline.cli import main
from pipeline.mail.store import SubscriberStore
from pipeline.project import Project
from pipeline.publish import build

WEEK = "2026-W47"  # the sample's curated week (content/watch/curation/2026-W47.yaml)


def _subscribe(project: Project) -> None:
    store = SubscriberStore.open(project)
    for i, lang in enumerate(("fr", "nl", "en")):
        store.add(f"digest{i}@example.org", name="", language=lang, lists=["digest"])
    store.add("newsletter-only@example.org", name="", language="fr", lists=["newsletter"])
    store.close()


def _title(root, lang: str) -> str:
    page = (root / "outputs" / "digests" / WEEK / f"{lang}.html").read_text(encoding="utf-8")
    return re.search(r"<title>(.*?)</title>", page, re.S).group(1).strip()


def test_the_digest_reaches_the_digest_list_once_in_each_language(send_project, smtp_server):
    project = Project.open(send_project)
    outcome = build(project, only={"digest"})
    assert outcome.ok, [f.message for f in outcome.report.failed]
    _subscribe(project)
    run = CliRunner().invoke(main, ["-C", str(send_project), "watch", "send", WEEK])
    assert run.exit_code == 0, run.output
    assert re.search(r"^sent\s+3\s+3$", run.output, re.M)
    messages = smtp_server.handler.parsed()
    by_to = {m["To"].addresses[0].addr_spec: m for m in messages}
    assert set(by_to) == {"digest0@example.org", "digest1@example.org", "digest2@example.org"}
    for address, lang in (("digest0@example.org", "fr"), ("digest1@example.org", "nl"),
                          ("digest2@example.org", "en")):
        m = by_to[address]
        assert m["Content-Language"] == lang
        assert "digest" in m["List-Id"]
        assert m["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert m["Subject"] == _title(send_project, lang), "the subject is the email's title"
        html = m.get_body(("html",)).get_content()
        text = m.get_body(("plain",)).get_content()
        assert "[[" not in html and "[[" not in text
        assert f'lang="{lang}"' in html
    subjects = {m["Subject"] for m in messages}
    assert len(subjects) == 3, "each language has its own subject"

    again = CliRunner().invoke(main, ["-C", str(send_project), "watch", "send", WEEK, "--resume"])
    assert again.exit_code == 0, again.output
    assert len(smtp_server.handler.parsed()) == 3, "nobody gets the week twice"


def test_a_week_not_built_says_what_to_do(send_project, smtp_server):
    run = CliRunner().invoke(main, ["-C", str(send_project), "watch", "send", "2026-W10"])
    assert run.exit_code != 0
    assert "digest of 2026-W10 is not built" in run.output and "crebis build --only digest" in run.output
    bad = CliRunner().invoke(main, ["-C", str(send_project), "watch", "send", "2026-48"])
    assert bad.exit_code != 0 and "ISO week" in bad.output
    assert smtp_server.handler.parsed() == []
