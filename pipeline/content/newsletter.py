"""Newsletter issues: `content/newsletters/<YYYY-MM>/<lang>.md`, loaded and validated into the model.

The front matter holds the subject, preheader, featured results (by slug),
events, watch highlights and a call to action; the body is the editorial.
A featured result is not retyped: its title, summary, one key finding and
link come from the result's edition in the issue's language. Every problem is
a `ContentError` naming the newsletter file and line, collected in a list.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.config import SUPPORTED_LANGUAGES
from pipeline.content.frontmatter import split
from pipeline.content.load import (
    IMAGE,
    FrontMatterReader,
    check_body,
    check_finished,
    check_keys,
    content_folders,
    did_you_mean,
    disagreements,
    read_document,
)
from pipeline.content.model import STATUSES, Edition, Result
from pipeline.errors import ContentError, CrebisError

ISSUE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
REQUIRED = ("subject", "preheader")
OPTIONAL = ("date", "status", "illustrative", "featured", "events", "watch", "cta")
EVENT_KEYS = ("title", "date", "time", "place", "link")
HIGHLIGHT_KEYS = ("title", "source", "link", "note")
CTA_KEYS = ("text", "label", "link")
# Inbox previews show 40 to 140 characters; a longer preheader is cut, a shorter one is padded with body text.
PREHEADER_MAX = 150


@dataclass(frozen=True)
class Featured:
    """A research result featured in an issue: its edition in the issue's language and one key finding."""

    slug: str
    edition: Edition
    finding: str


@dataclass(frozen=True)
class Event:
    title: str
    date: datetime.date
    place: str
    time: str | None = None
    link: str | None = None


@dataclass(frozen=True)
class Highlight:
    """Something the innovation watch spotted elsewhere, in one line."""

    title: str
    source: str
    link: str
    note: str


@dataclass(frozen=True)
class CallToAction:
    text: str
    label: str
    link: str


@dataclass(frozen=True)
class NewsletterEdition:
    """One language edition of a newsletter issue: one Markdown file."""

    issue: str
    lang: str
    path: Path
    digest: str
    subject: str
    preheader: str
    date: datetime.date
    status: str
    illustrative: bool
    featured: tuple[Featured, ...]
    events: tuple[Event, ...]
    highlights: tuple[Highlight, ...]
    cta: CallToAction | None
    body: str
    body_line: int
    front_matter: str = ""

    @property
    def images(self) -> tuple[str, ...]:
        """Image files of the editorial that sit next to the Markdown file (not absolute URLs)."""
        found = (m.group("src") for m in IMAGE.finditer(self.body))
        return tuple(sorted({src for src in found if not src.startswith(("http://", "https://"))}))


@dataclass(frozen=True)
class Newsletter:
    """An issue: the same newsletter in one or more languages, in `content/newsletters/<YYYY-MM>/`."""

    issue: str
    directory: Path
    editions: tuple[NewsletterEdition, ...]

    def edition(self, lang: str) -> NewsletterEdition | None:
        return next((e for e in self.editions if e.lang == lang), None)


@dataclass
class LoadedNewsletters:
    """What loading found: the valid issues, every error, and the files that failed."""

    newsletters: list[Newsletter] = field(default_factory=list)
    errors: list[ContentError] = field(default_factory=list)
    failed: dict[Path, list[ContentError]] = field(default_factory=dict)
    """Each file (or issue folder) left out, with its errors."""


def _is_url(value: str) -> bool:
    return value.startswith(("https://", "http://")) and " " not in value


def _issue_start(issue: str) -> datetime.date:
    year, month = ISSUE.match(issue).groups()  # type: ignore[union-attr]
    return datetime.date(int(year), int(month), 1)


class _Issue(FrontMatterReader):
    """Reads one newsletter file's front matter into model parts, reporting problems with their line."""

    def url(self, value: Any, keys: tuple[str | int, ...], required: bool = True) -> str | None:
        text = self.text(value, keys, required)
        if text and not _is_url(text):
            self.error(keys, f"'{keys[-1]}' must be an absolute link starting with https://, got {text!r}")
            return None
        return text

    def featured(self, value: Any, lang: str, results: dict[str, Result], results_dir: Path,
                 drafts: bool) -> list[Featured]:
        out = []
        for i, item in enumerate(self.items(value, ("featured",))):
            if isinstance(item, str):
                item = {"slug": item}
            m = self.mapping(item, ("featured", i), ("slug", "finding"))
            slug = self.text(m.get("slug"), ("featured", i, "slug")) if m else None
            if not slug:
                continue
            result = results.get(slug)
            if result is None:
                if (results_dir / slug).is_dir():
                    self.error(("featured", i), f"result '{slug}' has errors and was not loaded: fix them first")
                else:
                    self.error(("featured", i), f"unknown result '{slug}'"
                               f"{did_you_mean(slug, tuple(results), 'known results')}")
                continue
            edition = result.edition(lang)
            if edition is None:
                self.error(("featured", i), f"result '{slug}' has no {lang} edition: add "
                           f"content/results/{slug}/{lang}.md or leave it out of this edition")
                continue
            if edition.status != "published" and not drafts:
                self.error(("featured", i), f"result '{slug}' is a draft in {lang}: publish it first "
                           "(status: published) or build with --drafts")
                continue
            number = m.get("finding", 1)
            if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= len(edition.key_findings):
                self.error(("featured", i, "finding"), f"'finding' must be a number from 1 to "
                           f"{len(edition.key_findings)} (the key findings of '{slug}'), got {number!r}")
                continue
            out.append(Featured(slug, edition, edition.key_findings[number - 1]))
        return out

    def events(self, value: Any) -> list[Event]:
        out = []
        for i, item in enumerate(self.items(value, ("events",))):
            m = self.mapping(item, ("events", i), EVENT_KEYS)
            if not m:
                continue
            for key in ("title", "date", "place"):
                if key not in m:
                    self.error(("events", i), f"event {i + 1} has no '{key}'")
            title = self.text(m.get("title"), ("events", i, "title")) if "title" in m else None
            date = self.date(m["date"], ("events", i, "date")) if "date" in m else None
            place = self.text(m.get("place"), ("events", i, "place")) if "place" in m else None
            time = self.text(m.get("time"), ("events", i, "time"), required=False)
            link = self.url(m.get("link"), ("events", i, "link"), required=False)
            if title and date and place:
                out.append(Event(title, date, place, time, link))
        return out

    def highlights(self, value: Any) -> list[Highlight]:
        out = []
        for i, item in enumerate(self.items(value, ("watch",))):
            m = self.mapping(item, ("watch", i), HIGHLIGHT_KEYS)
            if not m:
                continue
            parts = {key: self.text(m.get(key), ("watch", i, key)) for key in ("title", "source", "note")}
            link = self.url(m.get("link"), ("watch", i, "link"))
            if parts["note"] and "\n" in parts["note"]:
                self.error(("watch", i, "note"), "'note' is one line: keep it to a sentence")
            if all(parts.values()) and link:
                out.append(Highlight(parts["title"], parts["source"], link, parts["note"]))  # type: ignore[arg-type]
        return out

    def cta(self, value: Any) -> CallToAction | None:
        if value is None:
            return None
        m = self.mapping(value, ("cta",), CTA_KEYS)
        text = self.text(m.get("text"), ("cta", "text")) if m else None
        label = self.text(m.get("label"), ("cta", "label")) if m else None
        link = self.url(m.get("link"), ("cta", "link")) if m else None
        return CallToAction(text, label, link) if text and label and link else None


def load_newsletter_edition(path: Path, issue: str, lang: str, results: dict[str, Result], results_dir: Path,
                            errors: list[ContentError], drafts: bool = False) -> NewsletterEdition | None:
    """Read and validate one newsletter file; append problems to `errors` and return None if any."""
    before = len(errors)
    document = read_document(path, errors)
    if document is None:
        return None
    raw, doc = document
    r, d = _Issue(path, doc, errors), doc.data
    check_keys(r, REQUIRED, OPTIONAL)
    subject = r.text(d.get("subject"), ("subject",)) if "subject" in d else None
    preheader = r.text(d.get("preheader"), ("preheader",)) if "preheader" in d else None
    if preheader and len(preheader) > PREHEADER_MAX:
        r.error(("preheader",), f"'preheader' has {len(preheader)} characters: inboxes show about "
                f"{PREHEADER_MAX}, shorten it")
    status = d.get("status", "published")
    if status not in STATUSES:
        r.error(("status",), f"'status' must be one of {', '.join(STATUSES)}, got {status!r}")
    illustrative = d.get("illustrative", False)
    if not isinstance(illustrative, bool):
        r.error(("illustrative",), "'illustrative' must be true or false")
    date = r.date(d["date"], ("date",)) if "date" in d else _issue_start(issue)
    if date and date.strftime("%Y-%m") != issue:
        r.error(("date",), f"'date' {date} is not in {issue}, the month of this issue's folder")
    featured = r.featured(d.get("featured"), lang, results, results_dir, drafts)
    events = r.events(d.get("events"))
    highlights = r.highlights(d.get("watch"))
    cta = r.cta(d.get("cta"))
    check_body(path, doc, set(), errors)
    check_finished(path, doc, status == "published", errors)
    if len(errors) > before:
        return None
    assert subject and preheader and date  # guaranteed by the checks above
    return NewsletterEdition(
        issue=issue, lang=lang, path=path, digest=hashlib.blake2b(raw, digest_size=16).hexdigest(),
        subject=subject, preheader=preheader, date=date, status=status, illustrative=illustrative,
        featured=tuple(featured), events=tuple(events), highlights=tuple(highlights), cta=cta,
        body=doc.body, body_line=doc.body_line, front_matter=doc.front_matter,
    )


def _shared_facts(edition: NewsletterEdition) -> dict[str, Any]:
    # Texts are translated; what is featured, and when, may not differ between languages.
    return {
        "date": edition.date.isoformat(),
        "featured": [f.slug for f in edition.featured],
        "events": [e.date.isoformat() for e in edition.events],
    }


def load_newsletter(directory: Path, languages: list[str], results: dict[str, Result], results_dir: Path,
                    loaded: LoadedNewsletters, drafts: bool = False) -> Newsletter | None:
    """Load one issue folder; files with errors are recorded in `loaded.failed` and left out."""
    issue = directory.name
    if not ISSUE.match(issue):
        error = ContentError(directory, "an issue folder is named after its month, YYYY-MM (like 2026-04)")
        loaded.errors.append(error)
        loaded.failed[directory] = [error]
        return None
    editions = []
    for md in sorted(directory.glob("*.md")):
        if md.stem in SUPPORTED_LANGUAGES and md.stem not in languages:
            continue  # a language this project does not publish
        errors: list[ContentError] = []
        if md.stem not in languages:
            names = ", ".join(f"{x}.md" for x in languages)
            errors.append(ContentError(md, f"not a language edition: name it {names}"))
        else:
            edition = load_newsletter_edition(md, issue, md.stem, results, results_dir, errors, drafts)
            if edition:
                editions.append(edition)
        if errors:
            loaded.errors.extend(errors)
            loaded.failed[md] = errors
    if not editions:
        if not loaded.failed.keys() & set(directory.glob("*.md")):
            error = ContentError(directory, "no language file: add one of "
                                 f"{', '.join(f'{x}.md' for x in languages)} (or `crebis newsletter new {issue}`)")
            loaded.errors.append(error)
            loaded.failed[directory] = [error]
        return None
    editions.sort(key=lambda e: languages.index(e.lang))
    problems = disagreements(editions, {e.path: _shared_facts(e) for e in editions},
                             {e.path: e.front_matter for e in editions})
    for problem in problems:
        loaded.errors.append(problem)
        loaded.failed.setdefault(problem.path, []).append(problem)
    editions = [e for e in editions if e.path not in loaded.failed]
    return Newsletter(issue=issue, directory=directory, editions=tuple(editions))


def load_newsletters(newsletters_dir: Path, languages: list[str], results: list[Result] | tuple[Result, ...],
                     results_dir: Path, drafts: bool = False) -> LoadedNewsletters:
    """Load every issue under `newsletters_dir`, oldest first, collecting all errors."""
    loaded = LoadedNewsletters()
    if not newsletters_dir.is_dir():
        return loaded
    by_slug = {r.slug: r for r in results}
    for directory in content_folders(newsletters_dir):
        newsletter = load_newsletter(directory, languages, by_slug, results_dir, loaded, drafts)
        if newsletter:
            loaded.newsletters.append(newsletter)
    return loaded


_STUB = """---
subject: "TODO: {subject}"
preheader: "TODO: {preheader}"
date: {date}
status: draft
featured:{featured}
events: []
# events:
#   - title: "TODO"
#     date: {date}
#     time: "12:30–14:00"
#     place: "TODO: address in Brussels"
#     link: https://crebis.example.org/
watch: []
# watch:
#   - title: "TODO"
#     source: "TODO: who published it"
#     link: https://example.org/
#     note: "TODO: why it matters, in one line."
cta:
  text: "TODO: one sentence inviting readers to act."
  label: "TODO: button label"
  link: https://crebis.example.org/
---

TODO: {editorial}
"""

_STUB_WORDS = {
    "fr": ("objet de la lettre", "ce que l'on voit dans la boîte de réception, après l'objet",
           "l'édito, en quelques paragraphes."),
    "nl": ("onderwerp van de nieuwsbrief", "wat de inbox na het onderwerp toont", "het edito, in een paar alinea's."),
    "en": ("subject of the newsletter", "what the inbox shows after the subject", "the editorial, a few paragraphs."),
}


def previous_issue(newsletters_dir: Path, issue: str) -> str | None:
    """The latest issue folder before `issue`, if any."""
    earlier = sorted(p.name for p in newsletters_dir.glob("*") if p.is_dir() and ISSUE.match(p.name)
                     and p.name < issue) if newsletters_dir.is_dir() else []
    return earlier[-1] if earlier else None


def results_since(results: list[Result] | tuple[Result, ...], since: datetime.date | None,
                  until: datetime.date) -> list[Result]:
    """Published results dated after `since` (the last issue) and before the end of the new issue's month."""
    return sorted((r for r in results if any(e.status == "published" for e in r.editions)
                   and (since is None or r.date > since) and r.date <= until),
                  key=lambda r: (r.date, r.slug), reverse=True)


def _month_end(start: datetime.date) -> datetime.date:
    following = datetime.date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return following - datetime.timedelta(days=1)


def create_issue(newsletters_dir: Path, issue: str, languages: list[str],
                 results: list[Result] | tuple[Result, ...]) -> list[Path]:
    """Write draft stubs `<issue>/<lang>.md`, featuring the results published since the previous issue."""
    if not ISSUE.match(issue):
        raise CrebisError(f"'{issue}' is not an issue name: use the month, YYYY-MM (like 2026-04)")
    directory = newsletters_dir / issue
    if directory.exists():
        raise CrebisError(f"{directory} already exists: edit it, or pick another month")
    start = _issue_start(issue)
    previous = previous_issue(newsletters_dir, issue)
    since = _previous_date(newsletters_dir / previous) if previous else None
    featured = results_since(results, since, _month_end(start))
    directory.mkdir(parents=True)
    paths = []
    for lang in languages:
        subject, preheader, editorial = _STUB_WORDS[lang]
        slugs = [r.slug for r in featured if (e := r.edition(lang)) and e.status == "published"]
        listed = "".join(f"\n  - {slug}" for slug in slugs) if slugs else " []"
        path = directory / f"{lang}.md"
        path.write_text(_STUB.format(subject=subject, preheader=preheader, date=start.isoformat(),
                                     featured=listed, editorial=editorial), encoding="utf-8")
        paths.append(path)
    return paths


def _previous_date(directory: Path) -> datetime.date:
    """The date of an earlier issue: the `date` of its first readable file, else the first of its month."""
    for md in sorted(directory.glob("*.md")):
        try:
            value = split(md.read_text(encoding="utf-8"), str(md)).data.get("date")
        except (ContentError, UnicodeDecodeError):
            continue
        if isinstance(value, datetime.date):
            return value
    return _issue_start(directory.name)
