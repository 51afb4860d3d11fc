"""The campaigns crebis sends, read from what `crebis build` wrote: a newsletter issue, in each language.

A digest is sent the same way: build a `Campaign` with id `digest/<week>`, list
`digest` and one `Edition` per language, then call `send.send_campaign`.
"""

from __future__ import annotations

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
    """The edition `lang` built in `folder` (<lang>.html, .txt and .eml, whose Subject it takes), or None."""
    paths = {ext: folder / f"{lang}.{ext}" for ext in ("html", "txt", "eml")}
    if not all(p.is_file() for p in paths.values()):
        return None
    with paths["eml"].open("rb") as handle:
        headers = BytesHeaderParser(policy=default_policy).parse(handle)
    return Edition(lang=lang, subject=str(headers["Subject"] or ""), html=paths["html"].read_text(encoding="utf-8"),
                   text=paths["txt"].read_text(encoding="utf-8"), anonymous_name=anonymous_name)


def newsletter_campaign(project: Any, issue: str, list_name: str = "newsletter") -> Campaign:
    """The built editions of newsletter `issue`, to send to `list_name`."""
    if not ISSUE.match(issue):
        raise MailError(f"{issue!r} is not an issue: give its month as YYYY-MM (a folder of content/newsletters/)")
    if list_name not in project.config.lists:
        raise MailError(f"unknown list {list_name!r}: choose among {', '.join(project.config.lists)} ([lists] in "
                        "crebis.toml)")
    labels = load_labels(project.layouts_dir, project.config.languages)
    folder = project.outputs_dir / "newsletters" / issue
    editions = {}
    for lang in project.config.languages:
        edition = read_edition(folder, lang, labels[lang].get("newsletter_anonymous_name", ""))
        if edition is not None:
            editions[lang] = edition
    if not editions:
        raise MailError(f"newsletter {issue} is not built ({project.relative(folder)}/ has no <lang>.html, .txt "
                        "and .eml): run `crebis build --only newsletter` first (add --drafts for a draft issue)")
    return Campaign(id=f"newsletter/{issue}", list=list_name, editions=editions)
