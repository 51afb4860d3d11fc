"""Near-duplicate titles across feeds form one story."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pipeline.watch.dedupe import Story, cluster_stories, similarity, stems, title_words

DAY = datetime(2026, 3, 1, tzinfo=UTC)


def test_title_words_fold_accents_case_and_inflections():
    assert title_words("Les Logements sociaux à Bruxelles") == title_words("logement social a BRUXELLES")
    assert similarity(title_words("Evictions in Brussels"), title_words("eviction in brussels")) == 1.0
    assert similarity(frozenset(), frozenset({"a"})) == 0.0


@pytest.mark.parametrize(
    ("a", "b"),
    [("logements sociaux", "Logement social"), ("PRÉCARITÉS ÉNERGÉTIQUES", "précarité énergétique"),
     ("uitkeringen", "uitkering"), ("migranten", "migrant"), ("evictions", "Eviction"), ("réfugiés", "refugie")],
)  # fmt: skip
def test_title_stems_fold_inflections_case_and_accents(a, b):
    assert stems(a) == stems(b)


def test_same_story_from_three_feeds_is_one_cluster_named_after_the_earliest():
    stories = [
        Story("b", "Brussels extends the social energy tariff", DAY, frozenset({2})),
        Story("a", "Social energy tariff extended in Brussels", DAY - timedelta(hours=3), frozenset({1})),
        Story("c", "Brussels: the social tariff for energy is extended", DAY, frozenset({3})),
        Story("d", "Job offer: social worker", DAY, frozenset({4})),
    ]
    clusters = cluster_stories(stories, 0.6, 7)
    assert clusters == {"a": "a", "b": "a", "c": "a", "d": "d"}


def test_same_feed_or_far_apart_stories_stay_apart():
    stories = [
        Story("w12", "Weekly news of the federation, week 12", DAY, frozenset({1})),
        Story("w13", "Weekly news of the federation, week 13", DAY, frozenset({1})),
        Story("old", "Weekly news of the federation, week 12", DAY - timedelta(days=30), frozenset({2})),
    ]
    clusters = cluster_stories(stories, 0.6, 7)
    assert len(set(clusters.values())) == 3


def test_threshold_is_respected():
    stories = [
        Story("x", "Housing first evaluation in Ghent", DAY, frozenset({1})),
        Story("y", "Housing first evaluation in Brussels published today", DAY, frozenset({2})),
    ]
    assert len(set(cluster_stories(stories, 0.9, 7).values())) == 2
    assert len(set(cluster_stories(stories, 0.5, 7).values())) == 1
