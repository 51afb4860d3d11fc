"""Listing: ranked items with filters; JSON gives every stored field."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from pipeline.errors import FeedError
from pipeline.watch.listing import items_as_json, list_items
from pipeline.watch.models import Entry, Feed, ThemeMatch
from pipeline.watch.store import open_store

NOW = datetime(2026, 3, 10, tzinfo=UTC)


@pytest.fixture
def stored(project, watch):
    heavy, light = "https://heavy.example/feed", "https://light.example/feed"
    watch(Feed(heavy, weight=3.0), Feed(light))
    with open_store(project.state_dir) as store:
        states = store.feed_states([heavy, light])
        march, january = datetime(2026, 3, 9, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)
        store.ingest(states[heavy], [
            Entry("h1", "https://heavy.example/1", "Logement à Bruxelles", "<p>x</p>", march, "", "fr"),
            Entry("h2", "https://heavy.example/2", "Old news", "", january, "", "en"),
        ], [ThemeMatch(("housing",), 3.0), ThemeMatch()], NOW)  # fmt: skip
        store.ingest(states[light], [
            Entry("l1", "https://light.example/1", "Huisvesting in Brussel", "", march, "", "nl"),
            Entry("l2", "https://heavy.example/1", "Same link", "", march, "", "fr"),
        ], [ThemeMatch(("housing",), 3.0), ThemeMatch()], NOW)  # fmt: skip
    return project


def test_items_are_ranked_by_score(stored):
    items = list_items(stored, now=NOW)
    assert [i.title for i in items] == ["Logement à Bruxelles", "Huisvesting in Brussel", "Old news"]
    assert items[0].score > items[1].score > items[2].score
    assert [s.feed for s in items[0].sources] == ["https://heavy.example/feed", "https://light.example/feed"]


def test_filters(stored):
    assert [i.title for i in list_items(stored, since=datetime(2026, 3, 1), now=NOW)] == [
        "Logement à Bruxelles", "Huisvesting in Brussel"]  # fmt: skip
    assert [i.title for i in list_items(stored, language="NL", now=NOW)] == ["Huisvesting in Brussel"]
    assert len(list_items(stored, theme="housing", now=NOW)) == 2
    assert len(list_items(stored, limit=1, now=NOW)) == 1
    with pytest.raises(FeedError, match="unknown theme 'logement'; known themes: non-take-up"):
        list_items(stored, theme="logement")


def test_json_has_every_stored_field(stored):
    [first, *_] = json.loads("".join(items_as_json(list_items(stored, now=NOW))))
    assert set(first) >= {"id", "link", "title", "summary", "published", "language", "themes", "score",
                          "sources", "cluster", "first_seen", "updated", "author", "relevance"}  # fmt: skip
    assert first["summary"] == "<p>x</p>" and first["themes"] == ["housing"]
    assert first["sources"][0] == {"feed": "https://heavy.example/feed", "entry_key": "h1",
                                   "first_seen": "2026-03-10T00:00:00+00:00"}  # fmt: skip
