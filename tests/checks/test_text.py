"""The text cutter's and the rules' shortcuts give what the plain patterns give (markup found only where it can
start, an acronym's look-behind after its first capital)."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.checks.rules.prose import _ACRONYM
from pipeline.checks.text import _DROP, _FLESCH_BREAK, _LIX_BREAK, FIGURE, WORD, Lines, _markup, units

# Markdown's marks and the words around them, so that generated texts are mostly markup.
PIECES = st.sampled_from(["*", "**", "_", "__", "`", "[", "]", "(", ")", "!", "<", ">", "<!--", "-->", "@", "-",
                          "\\", "{", "}", "a", "mot", " ", "\n", ":", ";", " – ", "12", "é", "’"])
TEXTS = st.lists(PIECES, max_size=40).map("".join) | st.text(max_size=60)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(TEXTS)
def test_markup_is_found_where_the_pattern_finds_it(text: str) -> None:
    assert [m.span() for m in _markup(text)] == [m.span() for m in _DROP.finditer(text)]


@settings(max_examples=300, deadline=None, derandomize=True)
@given(TEXTS)
def test_units_without_a_break_mark_are_one(text: str) -> None:
    for breaks in (_FLESCH_BREAK, _LIX_BREAK):
        expected = max(1, sum(1 for part in breaks.split(text) if WORD.search(part) or FIGURE.search(part)))
        assert units(text, breaks) == expected


@settings(max_examples=200, deadline=None, derandomize=True)
@given(TEXTS)
def test_line_starts(text: str) -> None:
    starts = [0] + [i + 1 for i, char in enumerate(text) if char == "\n"]
    assert Lines(text).starts == starts


_PLAIN_ACRONYM = re.compile(r"(?<![\w-])[A-Z][A-Z0-9]*[A-Z](?:['’]?s)?(?![\w-])")
CAPITALS = st.lists(st.sampled_from(["A", "CPAS", "OCMW", "É", "é", "-", "x", " ", "'s", "’s", "1", "\n", "(", ")",
                                     "s", "_", "/"]), max_size=14).map("".join)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(CAPITALS)
def test_acronyms_as_the_plain_pattern_finds_them(text: str) -> None:
    assert [m.span() for m in _ACRONYM.finditer(text)] == [m.span() for m in _PLAIN_ACRONYM.finditer(text)]
