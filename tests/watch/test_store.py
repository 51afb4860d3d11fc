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


def test_two_entries_of_one_feed_with_one_link_stay_two_items(tmp_path):
    with Store(tmp_path / "w.sqlite") as store:
        state = store.feed_states(["https://f.example/feed"])["https://f.example/feed"]
        entries = [_entry("a", "https://x.example/1", "First"), _entry("b", "https://x.example/1", "Second")]
        assert store.ingest(state, entries, [ThemeMatch(), ThemeMatch()], WHEN) == (2, 0)
        assert store.ingest(state, entries, [ThemeMatch(), ThemeMatch()], WHEN) == (0, 0)  # no flip-flop
        assert sorted(i.title for i in store.items()) == ["First", "Second"]
        other = store.feed_states(["https://g.example/feed"])["https://g.example/feed"]
        assert store.ingest(other, [_entry("z", "https://x.example/1", "Elsewhere")], [ThemeMatch()], WHEN) == (0, 0)
        joined = [i for i in store.items() if len(i.sources) == 2]
        assert len(joined) == 1 and joined[0].title == "First"  # the other feed joins one of them


def test_a_schema_1_store_is_migrated_in_place(tmp_path):
    import sqlite3

    path = tmp_path / "w.sqlite"
    with Store(path) as store:
        state = store.feed_states(["https://f.example/feed"])["https://f.example/feed"]
        store.ingest(state, [_entry("a", "https://x.example/1")], [ThemeMatch()], WHEN)
    with sqlite3.connect(path) as db:  # back to schema 1: a unique link, no refresh column
        db.executescript(
            "PRAGMA legacy_alter_table=ON; ALTER TABLE feeds DROP COLUMN refresh; ALTER TABLE items RENAME TO old;"
            "CREATE TABLE items (id TEXT PRIMARY KEY, link TEXT UNIQUE, title TEXT NOT NULL, summary TEXT NOT NULL,"
            " published TEXT NOT NULL, first_seen TEXT NOT NULL, updated TEXT NOT NULL, author TEXT NOT NULL,"
            " language TEXT NOT NULL, themes TEXT NOT NULL, relevance REAL NOT NULL, cluster TEXT, entry_date TEXT,"
            " content_hash TEXT NOT NULL); INSERT INTO items SELECT * FROM old; DROP TABLE old;"
            " PRAGMA user_version=1;"
        )
    with Store(path) as store:
        state = store.feed_states()["https://f.example/feed"]
        assert state.refresh is None and state.item_count == 1
        both = [_entry("a", "https://x.example/1"), _entry("b", "https://x.example/1")]
        assert store.ingest(state, both, [ThemeMatch(), ThemeMatch()], WHEN) == (1, 0)
        assert len(store.items()) == 2
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == 2


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path):
    path = tmp_path / "watch.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(FeedError, match=r"not a usable watch database .* move it away"):
        Store(path)


def test_an_entry_with_a_new_guid_and_a_stored_link_of_its_feed_is_that_item(tmp_path):
    with Store(tmp_path / "w.sqlite") as store:
        state = store.feed_states(["https://f.example/feed"])["https://f.example/feed"]
        assert store.ingest(state, [_entry("g1", "https://x.example/1")], [ThemeMatch()], WHEN) == (1, 0)
        later = datetime(2026, 3, 2, tzinfo=UTC)
        assert store.ingest(state, [_entry("g2", "https://x.example/1")], [ThemeMatch()], later) == (0, 0)
        assert store.ingest(state, [_entry("g3", "https://x.example/1", "Retitled")], [ThemeMatch()], later) == (0, 1)
        [item] = store.items()
        assert (item.title, item.first_seen) == ("Retitled", "2026-03-01T12:00:00+00:00")
        assert [s.entry_key for s in item.sources] == ["g3"]
        # a second entry with that link beside the known one is still a second item
        both = [_entry("g3", "https://x.example/1", "Retitled"), _entry("g4", "https://x.example/1", "Other")]
        assert store.ingest(state, both, [ThemeMatch(), ThemeMatch()], later) == (1, 0)
