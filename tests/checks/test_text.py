"""The text cutter's shortcuts give what the plain patterns give: markup found only where it can start."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

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
