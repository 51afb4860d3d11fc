"""How to cite a result in APA 7 (a report by a group publisher): one citation for the web page, the PDF and the DOCX.

`El Idrissi, A., & Janssens, L. (2026). *Title: Subtitle*. Publisher. https://doi.org/…`
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from markupsafe import Markup

from pipeline.content.model import Edition
from pipeline.render.templates import typst_string
from pipeline.render.typography import typeset

# Words that belong to a surname when they stand before its last word ("Van der Berg", "El Idrissi").
_PARTICLES = {"van", "der", "den", "de", "del", "della", "di", "da", "du", "des", "le", "la", "el", "al", "ben",
              "von", "ter", "ten", "t", "'t", "op", "in", "het", "dos", "das", "y"}


def permalink(edition: Edition, page_url: str) -> str:
    """The lasting address of an edition: its DOI, else its declared URL, else its web page."""
    if edition.doi:
        return f"https://doi.org/{edition.doi}"
    return edition.url or page_url


def apa_name(name: str) -> str:
    """`Amina El Idrissi` → `El Idrissi, A.`; `Jean-Pierre Dubois` → `Dubois, J.-P.`; one word stays as is."""
    words = name.split()
    if len(words) < 2:
        return name
    cut = len(words) - 1
    while cut > 1 and words[cut - 1].lower() in _PARTICLES:
        cut -= 1
    given, surname = words[:cut], " ".join(words[cut:])
    initials = " ".join("-".join(f"{part[0]}." for part in word.split("-") if part) for word in given)
    return f"{surname}, {initials}"


def _authors(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    if len(names) == 2:
        return f"{names[0]}, & {names[1]}"
    return ", ".join(names[:-1]) + f", & {names[-1]}"


@dataclass(frozen=True)
class Citation:
    """The parts of a citation, each written out for the format that shows it."""

    authors: str
    year: int
    title: str
    publisher: str
    link: str

    @property
    def lead(self) -> str:
        # APA: the author list ends with a period, unless an initial already gave it one
        return f"{self.authors} ({self.year})."

    @property
    def text(self) -> str:
        return f"{self.lead} {self.title}. {self.publisher}. {self.link}"

    @property
    def markdown(self) -> str:
        return f"{self.lead} *{self.title}*. {self.publisher}. <{self.link}>"

    @property
    def html(self) -> Markup:
        e = html.escape
        return Markup(f"{e(self.lead)} <em>{e(self.title)}</em>. {e(self.publisher)}. "
                      f'<a href="{e(self.link)}">{e(self.link)}</a>')

    @property
    def typst(self) -> str:
        return (f"#{typst_string(self.lead)} #emph[#{typst_string(self.title)}]. #{typst_string(self.publisher)}. "
                f"#link({typst_string(self.link)})")


def how_to_cite(edition: Edition, organisation: str, page_url: str) -> Citation:
    """The APA 7 citation of an edition, in the typography of its language."""
    title = edition.title + (f": {edition.subtitle}" if edition.subtitle else "")
    title = re.sub(r"[.\s]+$", "", title)
    lang = edition.lang
    return Citation(typeset(_authors([apa_name(a.name) for a in edition.authors]), lang), edition.date.year,
                    typeset(title, lang), typeset(organisation, lang), permalink(edition, page_url))
