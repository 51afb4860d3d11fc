"""Typography per language: one set of rules, the same from the pandoc filter and from `typeset`."""

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
