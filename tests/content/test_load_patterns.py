"""The loader's faster searches find what the plain patterns find (they were the loader's slowest steps)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.content.frontmatter import bad_character
from pipeline.content.load import _ADDRESS, _addresses

PIECES = st.sampled_from(["href", "SRC", "data", "=", " = ", '"', "'", "[a]", "]:", "](", ")", "<", ">", "   [",
                          "javascript:", "mailto:x", "\n", " ", "x", "é", "\t"])
TEXTS = st.lists(PIECES, max_size=30).map("".join) | st.text(max_size=60)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(TEXTS)
def test_addresses_as_the_pattern_finds_them(text: str) -> None:
    assert [(m.span(), m.groupdict()) for m in _addresses(text)] == \
        [(m.span(), m.groupdict()) for m in _ADDRESS.finditer(text)]


def test_bad_characters_in_and_beyond_the_basic_plane() -> None:
    assert bad_character("plain é ’ 😀 text") is None
    assert bad_character("a\x07b") == (1, "U+0007")
    assert bad_character("😀 a \U0001FFFE b") == (4, "U+1FFFE")
    assert bad_character("x\U0010FFFF y \x00") == (1, "U+10FFFF")  # the first one, whichever plane
    assert bad_character("x \x00 y \U0010FFFF") == (2, "U+0000")
    assert bad_character("\ufffe") == (0, "U+FFFE")
