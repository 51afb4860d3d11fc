"""The CPU-bound work on one fetched body: parse it and match each entry's themes.

Kept apart from the fetching code so that parser worker processes import only what
they run (feedparser, nh3, the taxonomy).
"""

from __future__ import annotations

from pipeline.watch.models import ParsedFeed, ParseLimits, ThemeMatch
from pipeline.watch.parse import parse_feed
from pipeline.watch.themes import Taxonomy, match_themes


def prepare_feed(
    body: bytes,
    headers: dict[str, str],
    url: str,
    language: str,
    feed_themes: tuple[str, ...],
    taxonomy: Taxonomy,
    limits: ParseLimits | None = None,
) -> tuple[ParsedFeed, tuple[ThemeMatch, ...]]:
    """Parse a body and match each entry's themes."""
    parsed = parse_feed(body, headers, url, language, limits)
    matches = tuple(match_themes(taxonomy, e.title, e.summary, e.language, feed_themes) for e in parsed.entries)
    return parsed, matches


def warm_up() -> None:
    """Nothing: submitted once per worker so that workers start before fetching does."""
