"""The campaigns crebis sends, read from what `crebis build` wrote: a newsletter issue or a
week's watch digest, in each language, each sent with `send.send_campaign` and one send log."""

from __future__ import annotations

import html
import re
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

from pipeline.errors import MailError
from pipeline.mail.message import Campaign, Edition
from pipeline.render.templates import load_labels

ISSUE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def read_edition(folder: Path, lang: str, anonymous_name: str) -> Edition | None:
    """The edition `lang` built in `folder` (<lang>.html and .txt), or None.

    The subject is the Subject of <lang>.eml where the build writes one (a newsletter),
    else the email's <title> (a digest, whose title is its subject).
    """
    paths = {ext: folder / f"{lang}.{ext}" for ext in ("html", "txt")}
    if not all(p.is_file() for p in paths.values()):
        return None
    page = paths["html"].read_text(encoding="utf-8")
    eml = folder / f"{lang}.eml"
    if eml.is_file():
        with eml.open("rb") as handle:
            subject = str(BytesHeaderParser(policy=default_policy).parse(handle)["Subject"] or "")
    else:
        title = _TITLE.search(page)
        subject = " ".join(html.unescape(title.group(1)).split()) if title else ""
    return Edition(lang=lang, subject=subject, html=page, text=paths["txt"].read_text(encoding="utf-8"),
                   anonymous_name=anonymous_name)


_TITLE = re.compile(r"<title>(.*?)</title>", re.S | re.I)


def newsletter_campaign(project: Any, issue: str, list_name: str = "newsletter") -> Campaign:
    """The built editions of newsletter `issue`, to send to `list_name`."""
    if not ISSUE.match(issue):
        raise MailError(f"{issue!r} is not an issue: give its month as YYYY-MM (a folder of content/newsletters/)")
    return _campaign(project, f"newsletter/{issue}", project.outputs_dir / "newsletters" / issue, list_name,
                     f"newsletter {issue} is not built", "run `crebis build --only newsletter` first (add --drafts "
                     "for a draft issue)")


def digest_campaign(project: Any, week: str, list_name: str = "digest") -> Campaign:
    """The built editions of the watch digest of `week` (e.g. 2026-W48), to send to `list_name`."""
    from pipeline.watch.weeks import Week, WeekError

    try:
        week = str(Week.parse(week))
    except WeekError as exc:
        raise MailError(str(exc)) from None
    return _campaign(project, f"digest/{week}", project.outputs_dir / "digests" / week, list_name,
                     f"the digest of {week} is not built",
                     f"keep stories in content/watch/curation/{week}.yaml (`crebis watch review {week}`), then run "
                     "`crebis build --only digest`")


def _campaign(project: Any, campaign_id: str, folder: Path, list_name: str, missing: str, fix: str) -> Campaign:
    if list_name not in project.config.lists:
        raise MailError(f"unknown list {list_name!r}: choose among {', '.join(project.config.lists)} ([lists] in "
                        "crebis.toml)")
    labels = load_labels(project.layouts_dir, project.config.languages)
    editions = {}
    for lang in project.config.languages:
        edition = read_edition(folder, lang, labels[lang].get("newsletter_anonymous_name", ""))
        if edition is not None:
            editions[lang] = edition
    if not editions:
        raise MailError(f"{missing} ({project.relative(folder)}/ has no <lang>.html and .txt): {fix}")
    return Campaign(id=campaign_id, list=list_name, editions=editions)
