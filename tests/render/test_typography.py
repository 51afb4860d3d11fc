"""Typography per language: one set of rules, the same from the pandoc filter and from `typeset`."""

import email
import email.policy
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

from pipeline.render.pandoc import convert
from pipeline.render.typography import NARROW_NBSP as N
from pipeline.render.typography import NBSP, typeset

CASES = [
    ("fr", "Un ménage sur trois (34 %) attend 15-30 jours.", f"Un ménage sur trois (34{N}%) attend 15–30 jours."),
    ("fr", "Pourquoi ? Parce que : « trop » de démarches ; voilà !",
     f"Pourquoi{N}? Parce que{N}: «{N}trop{N}» de démarches{N}; voilà{N}!"),
    ("fr", "Pourquoi? Voici: «non»", f"Pourquoi{N}? Voici{N}: «{N}non{N}»"),
    ("fr", "l'aide de 2024\u20112025, à 12:30 le 2026-03-12", "l’aide de 2024–2025, à 12:30 le 2026-03-12"),
    ("nl", "Een op de drie (34 %) wacht 15-30 dagen, 12 km ver.", f"Een op de drie (34{NBSP}%) wacht 15–30 dagen, "
                                                                  f"12{NBSP}km ver."),
    ("en", "One in three (34 %) waits 15-30 days: it's long.",
     f"One in three (34{NBSP}%) waits 15–30 days: it’s long."),
    ("en", "Pages 5-7 of the 2025 report, 3 answers", "Pages 5–7 of the 2025 report, 3 answers"),
    ("en", "Issue 2026-04 (2024-2025).", "Issue 2026-04 (2024–2025)."),
    ("fr", "Revenu d'intégration (n = 214), p < 0,05", f"Revenu d’intégration (n{NBSP}={NBSP}214), p{NBSP}<{NBSP}0,05"),
    ("nl", "Leefloon (n = 214) en a = b", f"Leefloon (n{NBSP}={NBSP}214) en a = b"),
    ("en", "households (N ≥ 1,200): x = -3, y = −2, z = -a, e = €3", f"households (N{NBSP}≥{NBSP}1,200): "
     f"x{NBSP}={NBSP}-3, y{NBSP}={NBSP}−2, z = -a, e = €3"),
]


@pytest.mark.parametrize(("lang", "text", "expected"), CASES)
def test_typeset(lang, text, expected):
    assert typeset(text, lang) == expected
    assert typeset(expected, lang) == expected  # applying it twice changes nothing


@pytest.mark.parametrize(("lang", "text", "expected"), CASES)
def test_every_pandoc_document_gets_the_same_typography(lang, text, expected):
    out = convert(text, "plain", metadata={"lang": f"{lang}-BE"}, wrap="none").decode("utf-8").strip()
    assert out == expected


def test_code_and_links_keep_their_text():
    out = convert("`15-30 %` and [a](https://example.org/15-30?x=1) 15-30", "html5",
                  metadata={"lang": "fr-BE"}).decode("utf-8")
    assert "<code>15-30 %</code>" in out and 'href="https://example.org/15-30?x=1"' in out and "15–30" in out


def test_a_no_break_space_already_there_is_not_doubled():
    text = "Source\u00a0: voilà» et «déjà\u00a0»."
    expected = f"Source{N}: voilà{N}» et «{N}déjà{N}»."
    assert typeset(text, "fr") == expected
    assert convert(text, "plain", metadata={"lang": "fr-BE"}, wrap="none").decode("utf-8").strip() == expected


# ---------------------------------------------------------------- texts that do not go through pandoc

_STRAIGHT = re.compile(r"[^\W\d_]'[^\W\d_]")
# attributes that hold addresses, not text; `alt` given as a pandoc attribute ({alt="…"}) is pandoc's
_NOT_TEXT = ("href", "src", "action", "srcset", "alt", "datetime", "value", "class", "id")


class _Texts(HTMLParser):
    """The text a reader (or a search engine) gets from an HTML page: its text and its attribute texts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._raw = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._raw += tag in ("script", "style")
        self.texts += [f'{name}="{value}"' for name, value in attrs if value and name not in _NOT_TEXT]

    def handle_endtag(self, tag: str) -> None:
        self._raw -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if not self._raw:
            self.texts.append(data)


def _texts(path: Path) -> list[str]:
    if path.suffix == ".html":
        parser = _Texts()
        parser.feed(path.read_text(encoding="utf-8"))
        return parser.texts
    if path.suffix == ".xml":
        return [t for el in ET.parse(path).iter() for t in
                (_texts_of_html(el.text or "") if el.get("type") == "html" else [el.text or "", *el.attrib.values()])]
    if path.suffix == ".eml":
        return [str(email.message_from_bytes(path.read_bytes(), policy=email.policy.default)["Subject"])]
    return [re.sub(r"https?://\S+", "", path.read_text(encoding="utf-8"))]  # .txt, .md: the text, not its addresses


def _texts_of_html(html: str) -> list[str]:
    parser = _Texts()
    parser.feed(html)
    return parser.texts


def test_every_text_outside_pandoc_gets_the_typography_of_its_language(sample_project):
    """Excerpts, meta descriptions, titles, labels, feeds, social posts, email subjects and text parts:
    the sample's French and English write straight apostrophes ("l'intégralité", "centre's")."""
    outputs = sample_project / "outputs"
    files = [p for p in sorted(outputs.rglob("*")) if p.suffix in (".html", ".txt", ".eml")
             or p.name == "feed.xml" or (p.suffix == ".md" and "social" in p.parts)]
    assert {"feed.xml", "fr.eml", "fr.txt", "fr.md", "index.html"} <= {p.name for p in files}
    straight = {str(p.relative_to(outputs)): found for p in files
                if (found := [t.strip()[:80] for t in _texts(p) if _STRAIGHT.search(t)])}
    assert not straight, straight
    home = (outputs / "site/fr/index.html").read_text(encoding="utf-8")
    assert "l’intégralité" in home and "l'intégralité" not in home
