"""matches_at_starts gives what finditer gives, for the two patterns the loader and the check search with it."""

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.checks.text import _DROP, _MARKUP_START
from pipeline.content.load import _ADDRESS_NO_ATTRIBUTE, _ADDRESS_START
from pipeline.content.scanning import matches_at_starts


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(["ab", " ", "\n", "[", "]", "(", ")", "<", ">", "!", "*", "_", "`", "@", ":",
                                 "//", "http", "javascript", "<!--", "-->", "=", '"', "'", "mailto"]), max_size=40))
def test_the_same_matches_as_finditer(parts):
    text = "".join(parts)
    for starts, pattern in ((_MARKUP_START, _DROP), (_ADDRESS_START, _ADDRESS_NO_ATTRIBUTE)):
        expected = [(m.span(), m.groups()) for m in pattern.finditer(text)]
        assert [(m.span(), m.groups()) for m in matches_at_starts(starts, pattern, text)] == expected, text
