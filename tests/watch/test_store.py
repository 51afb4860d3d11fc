"""The SQLite store: WAL, idempotent ingest, clear errors on a broken file."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pipeline.errors import FeedError
from pipeline.watch.models import Entry, ThemeMatch
from pipeline.watch.store import Store

WHEN = datetime(2026, 3, 1, 12, tzinfo=UTC)


def _entry(key: str, link: str | None, title: str = "T", published: datetime | None = None) -> Entry:
    return Entry(key, link, title, "<p>s</p>", published, "", "en")


def test_database_is_in_wal_mode(tmp_path):
    with Store(tmp_path / "w.sqlite") as store:
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_ingest_is_idempotent_and_updates_changed_items(tmp_path):
    with Store(tmp_path / "w.sqlite") as store:
        state = store.feed_states(["https://f.example/feed"])["https://f.example/feed"]
        entries = [_entry("1", "https://x.example/1"), _entry("2", None, "No link")]
        matches = [ThemeMatch(("housing",), 3.0), ThemeMatch()]
        assert store.ingest(state, entries, matches, WHEN) == (2, 0)
        assert store.ingest(state, entries, matches, WHEN) == (0, 0)
        changed = [_entry("1", "https://x.example/1", "New title"), entries[1]]
        assert store.ingest(state, changed, matches, datetime(2026, 3, 2, tzinfo=UTC)) == (0, 1)
        items = {i.link: i for i in store.items()}
        assert items["https://x.example/1"].title == "New title"
        assert items["https://x.example/1"].first_seen == "2026-03-01T12:00:00+00:00"
        assert items["https://x.example/1"].updated == "2026-03-02T00:00:00+00:00"
        assert items["https://x.example/1"].themes == ("housing",)
        assert items[None].title == "No link"


def test_same_link_twice_in_one_feed_is_one_item(tmp_path):
    with Store(tmp_path / "w.sqlite") as store:
        state = store.feed_states(["https://f.example/feed"])["https://f.example/feed"]
        entries = [_entry("a", "https://x.example/1"), _entry("b", "https://x.example/1")]
        assert store.ingest(state, entries, [ThemeMatch(), ThemeMatch()], WHEN) == (1, 0)
        [item] = store.items()
        assert [s.entry_key for s in item.sources] == ["a", "b"]


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path):
    path = tmp_path / "watch.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(FeedError, match=r"not a usable watch database .* move it away"):
        Store(path)
