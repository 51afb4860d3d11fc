"""Titles for entries that have none: an empty title was published as a link without a name."""

from __future__ import annotations

from urllib.parse import urlsplit

FALLBACK_WORDS = 12
FALLBACK_CHARS = 80


def fallback_title(summary_text: str, link: str | None) -> str:
    """A title for an entry that has none: the first words of its summary, else its link's host and path."""
    words = summary_text.split()
    if words:
        title = ""
        for word in words[:FALLBACK_WORDS]:
            if title and len(title) + 1 + len(word) > FALLBACK_CHARS:
                break
            title = f"{title} {word}" if title else word
        title = title[:FALLBACK_CHARS]
        return title if title == " ".join(words) else title.rstrip(" ,;:.") + "…"
    if link:
        parts = urlsplit(link)
        return ((parts.hostname or "").removeprefix("www.") + parts.path.rstrip("/")) or link
    return ""
