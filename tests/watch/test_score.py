"""Scores: relevance x weight x recency."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pipeline.watch.score import recency, score_item

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def test_recency_halves_every_half_life():
    assert recency(NOW, NOW, 14) == 1.0
    assert recency(NOW - timedelta(days=14), NOW, 14) == 0.5
    assert recency(NOW - timedelta(days=28), NOW, 14) == 0.25
    assert recency(NOW + timedelta(days=3), NOW, 14) == 1.0  # never above 1


def test_score_multiplies_relevance_weight_and_recency():
    assert score_item(0, 1, NOW, NOW, 14) == 1.0
    assert score_item(3, 2, NOW - timedelta(days=14), NOW, 14) == 4.0
    fresh_weak = score_item(1, 1, NOW, NOW, 14)
    old_strong = score_item(3, 1, NOW - timedelta(days=60), NOW, 14)
    assert fresh_weak > old_strong
