"""Searching a text with a costly pattern only where a match can start."""

from __future__ import annotations

import re
from collections.abc import Iterator


def matches_at_starts(starts: re.Pattern[str], pattern: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """The non-overlapping matches of `pattern` in `text`, as `pattern.finditer(text)` gives them, where `starts`
    finds every place one can begin: a wide alternation tried at every character cost more than the rest of the
    loader or the check together, and `starts`, one character class or a few literals, skips to the candidates."""
    end = 0
    for candidate in starts.finditer(text):
        if candidate.start() < end:
            continue
        match = pattern.match(text, candidate.start())
        if match:
            end = match.end()
            yield match
