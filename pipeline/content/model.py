"""The content model: frozen dataclasses that every stage after loading can trust."""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.errors import ContentError

STATUSES = ("draft", "published")


def content_digest(raw: bytes) -> str:
    """The digest of a content file's bytes, as an edition keeps it (and fingerprints hash it)."""
    return hashlib.blake2b(raw, digest_size=16).hexdigest()


@dataclass(frozen=True)
class Author:
    name: str
    affiliation: str | None = None


@dataclass(frozen=True)
class Recommendation:
    text: str
    addressee: str


@dataclass(frozen=True)
class Figure:
    """A chart or picture that sits beside the Markdown files of a result.

    A picture is its `file`. A chart from data is its `data` (a CSV) drawn by `file` (its Vega-Lite
    spec, `<name>.vl.yaml`, the name the body places it by), with the edition's texts in `labels`.
    """

    file: str
    alt: str
    caption: str
    source: str | None = None
    data: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    """The chart's texts in the edition's language (its own `labels:` over the labels table's)."""

    @property
    def is_chart(self) -> bool:
        return self.data is not None


@dataclass(frozen=True)
class Theme:
    """One entry of the theme taxonomy, with its label per language."""

    id: str
    labels: dict[str, str]
    keywords: dict[str, tuple[str, ...]]

    def label(self, lang: str) -> str:
        return self.labels.get(lang) or self.id


@dataclass(frozen=True)
class Edition:
    """One language edition of a research result: one Markdown file.

    Its texts (`front_matter`, `body`) are not held: a build keeps every edition from loading to its end, and
    the texts were most of their weight (~6 KB a document); each is read back from the file when a render asks,
    checked against the `digest` of the bytes the loader validated.
    """

    slug: str
    lang: str
    path: Path
    digest: str
    title: str
    subtitle: str | None
    date: datetime.date
    authors: tuple[Author, ...]
    themes: tuple[str, ...]
    status: str
    licence: str
    doi: str | None
    url: str | None
    illustrative: bool
    summary: str
    key_findings: tuple[str, ...]
    recommendations: tuple[Recommendation, ...]
    figures: tuple[Figure, ...]
    body_line: int
    citations: bool
    """Whether the body cites anything (pandoc runs citeproc only then)."""
    images: tuple[str, ...] = ()
    """Every image file it shows, declared under figures or only placed in the body, next to its file."""
    placed: tuple[str, ...] = ()
    """The image sources its body places, in order (local or remote, pictures and charts)."""

    @property
    def front_matter(self) -> str:
        """The YAML between the file's '---' lines, as the loader read it."""
        return self.texts()[0]

    @property
    def body(self) -> str:
        """The Markdown after the front matter, as the loader read it."""
        return self.texts()[1]

    def document(self) -> str:
        """Front matter and body as one Markdown document, from a single reading of the file."""
        front_matter, body = self.texts()
        return f"---\n{front_matter}\n---\n{body}"

    def texts(self) -> tuple[str, str]:
        """The front matter and the body, read back from the file; a file whose bytes are no longer those the
        loader read (edited during the build) is a `ContentError`: its outputs fail, never mix two versions."""
        try:
            raw = self.path.read_bytes()
        except OSError as exc:
            raise ContentError(self.path, f"could not be read again during the build ({exc.strerror}): "
                               "build again") from None
        if content_digest(raw) != self.digest:
            raise ContentError(self.path, "changed during the build: build again")
        # the same cut as the loader's split, at the line it found the front matter closed
        lines = raw.decode("utf-8").removeprefix("\ufeff").split("\n")
        return "\n".join(lines[1:self.body_line - 2]), "\n".join(lines[self.body_line - 1:])

    def figure(self, file: str) -> Figure | None:
        return next((f for f in self.figures if f.file == file), None)


@dataclass(frozen=True)
class Result:
    """A research result: the same study in one or more languages, in `content/results/<slug>/`."""

    slug: str
    directory: Path
    editions: tuple[Edition, ...]

    def edition(self, lang: str) -> Edition | None:
        return next((e for e in self.editions if e.lang == lang), None)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(e.lang for e in self.editions)

    @property
    def date(self) -> datetime.date:
        return self.editions[0].date
