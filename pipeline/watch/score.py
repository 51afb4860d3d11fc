"""An item's score: keyword relevance, times its best feed's weight, times its recency."""

from __future__ import annotations

from datetime import datetime


def recency(published: datetime, now: datetime, half_life_days: float) -> float:
    """1 for an item published now, halving every `half_life_days`."""
    age_days = max(0.0, (now - published).total_seconds() / 86400)
    return 0.5 ** (age_days / half_life_days)


def score_item(
    relevance: float, weight: float, published: datetime, now: datetime, half_life_days: float
) -> float:
    """The ranking score: (1 + relevance) x feed weight x recency.

    The 1 keeps items that match no theme ranked by weight and recency.
    """
    return round((1.0 + relevance) * weight * recency(published, now, half_life_days), 4)
