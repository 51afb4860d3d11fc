"""The content model: frozen dataclasses that every stage after loading can trust."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path

STATUSES = ("draft", "published")


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
    """One language edition of a research result: one Markdown file."""

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
    front_matter: str
    body: str
    body_line: int
    images: tuple[str, ...] = ()
    """Every image file it shows, declared under figures or only placed in the body, next to its file."""

    @property
    def citations(self) -> bool:
        """Whether the body cites anything (pandoc runs citeproc only then)."""
        return "@" in self.body

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
