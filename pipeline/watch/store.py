"""The watch's SQLite store under .crebis/: feeds (cache headers, health), items, sources, fetch log."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from pipeline.errors import FeedError
from pipeline.watch.models import Entry, FeedReport, FeedState, Fetched, Source, StoredItem, ThemeMatch

STORE_FILE = "watch.sqlite"
SCHEMA_VERSION = 2
_ITEMS_COLUMNS = """(
    id TEXT PRIMARY KEY,
    link TEXT,
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    published TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    updated TEXT NOT NULL,
    author TEXT NOT NULL,
    language TEXT NOT NULL,
    themes TEXT NOT NULL,
    relevance REAL NOT NULL,
    cluster TEXT,
    entry_date TEXT,
    content_hash TEXT NOT NULL
)"""
_SCHEMA = """
CREATE TABLE IF NOT EXISTS feeds (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    etag TEXT,
    last_modified TEXT,
    body_hash TEXT,
    last_attempt TEXT,
    last_success TEXT,
    last_error TEXT,
    last_warning TEXT,
    failures INTEGER NOT NULL DEFAULT 0,
    disabled TEXT,
    retry_after TEXT,
    refresh REAL
);
CREATE TABLE IF NOT EXISTS items {items};
CREATE INDEX IF NOT EXISTS items_published ON items (published);
CREATE INDEX IF NOT EXISTS items_link ON items (link);
CREATE TABLE IF NOT EXISTS sources (
    feed_id INTEGER NOT NULL REFERENCES feeds (id),
    entry_key TEXT NOT NULL,
    item_id TEXT NOT NULL REFERENCES items (id),
    first_seen TEXT NOT NULL,
    PRIMARY KEY (feed_id, entry_key)
);
CREATE INDEX IF NOT EXISTS sources_item ON sources (item_id);
CREATE TABLE IF NOT EXISTS fetch_log (
    id INTEGER PRIMARY KEY,
    feed_id INTEGER NOT NULL REFERENCES feeds (id),
    url TEXT NOT NULL,
    at TEXT NOT NULL,
    status TEXT NOT NULL,
    http_status INTEGER,
    duration_ms INTEGER,
    new INTEGER NOT NULL DEFAULT 0,
    updated INTEGER NOT NULL DEFAULT 0,
    message TEXT
);
""".replace("{items}", _ITEMS_COLUMNS)


def iso(moment: datetime) -> str:
    """A UTC timestamp as stored: ISO 8601 to the second, so that text order is time order."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


class Store:
    """One connection to the watch database; use as a context manager."""

    def __init__(self, path: Path, commit_every: float = 0.25):
        self.path = path
        self.commit_every = commit_every
        self._last_commit = time.monotonic()
        try:
            self.db = sqlite3.connect(path)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA busy_timeout=5000")
            self.db.execute("PRAGMA foreign_keys=ON")
            version = self.db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise FeedError(f"{path}: written by a newer crebis; upgrade crebis")
            if version == 1:
                self._migrate_from_1()
            self.db.executescript(_SCHEMA)
            self.db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except sqlite3.DatabaseError as exc:
            raise FeedError(
                f"{path}: not a usable watch database ({exc}); "
                "move it away and run `crebis watch fetch` again"
            ) from None

    def _migrate_from_1(self) -> None:
        """Schema 1 -> 2: item links no longer unique (one feed's entries may share a page),
        and feeds remember the refresh interval they declare."""
        self.db.execute("PRAGMA foreign_keys=OFF")
        columns = self.db.execute("PRAGMA table_info(items)").fetchall()
        names = ", ".join(c[1] for c in columns)
        with self.db:
            self.db.execute("ALTER TABLE feeds ADD COLUMN refresh REAL")
            self.db.execute(f"CREATE TABLE items_v2 {_ITEMS_COLUMNS}")
            self.db.execute(f"INSERT INTO items_v2 ({names}) SELECT {names} FROM items")
            self.db.execute("DROP TABLE items")
            self.db.execute("ALTER TABLE items_v2 RENAME TO items")
        self.db.execute("PRAGMA foreign_keys=ON")

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Commit what is pending and close the connection."""
        self.db.commit()
        self.db.close()

    @contextmanager
    def grouped(self) -> Iterator[sqlite3.Connection]:
        """Apply everything done inside, or nothing; commit at most every `commit_every` seconds.

        A fetch writes a few rows per feed; one commit per feed would cost more than the
        writing. What is applied but not yet committed is committed by the next group
        after the delay, by any `with self.db` block, or by `close`.
        """
        if not self.db.in_transaction:
            self.db.execute("BEGIN")  # else releasing the outermost savepoint would commit
        self.db.execute("SAVEPOINT grouped")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK TO grouped")
            self.db.execute("RELEASE grouped")
            raise
        self.db.execute("RELEASE grouped")
        if time.monotonic() - self._last_commit >= self.commit_every:
            self.db.commit()
            self._last_commit = time.monotonic()

    # feeds

    def feed_states(self, urls: Iterable[str] | None = None) -> dict[str, FeedState]:
        """The state of each feed by URL; feeds named in `urls` are created if new."""
        if urls is not None:
            with self.db:
                self.db.executemany(
                    "INSERT OR IGNORE INTO feeds (url) VALUES (?)", [(u,) for u in urls]
                )
        counts = dict(self.db.execute("SELECT feed_id, count(*) FROM sources GROUP BY feed_id"))
        rows = self.db.execute(
            "SELECT id, url, etag, last_modified, body_hash, last_attempt, last_success,"
            " last_error, last_warning, failures, disabled, retry_after, refresh FROM feeds"
        )
        states = {}
        for row in rows:
            state = FeedState(*row)
            states[state.url] = replace(state, item_count=counts.get(state.id, 0))
        return states

    def record_fetch(
        self, state: FeedState, fetched: Fetched, report: FeedReport, refresh: float | None = None
    ) -> None:
        """Remember the outcome of one fetch on the feed and in the fetch log.

        `refresh` is the update interval the fetched body declares (ttl, sy:updatePeriod).
        """
        at = iso(fetched.fetched_at)
        retry = iso(fetched.retry_after) if fetched.retry_after else None
        with self.grouped():
            if report.status == "ok":
                self.db.execute(
                    "UPDATE feeds SET etag=?, last_modified=?, body_hash=?, last_attempt=?,"
                    " last_success=?, last_error=NULL, last_warning=?, failures=0,"
                    " retry_after=NULL, refresh=? WHERE id=?",
                    (fetched.etag, fetched.last_modified, body_hash(fetched.body), at, at,
                     report.warning, refresh, state.id),
                )  # fmt: skip
            elif report.status == "not-modified":
                self.db.execute(
                    "UPDATE feeds SET last_attempt=?, last_success=?, last_error=NULL,"
                    " failures=0, retry_after=NULL, etag=coalesce(?, etag),"
                    " last_modified=coalesce(?, last_modified) WHERE id=?",
                    (at, at, fetched.etag, fetched.last_modified, state.id),
                )
            elif report.status in ("failed", "gone"):
                disabled = f"gone (HTTP 410) since {at}" if report.status == "gone" else None
                self.db.execute(
                    "UPDATE feeds SET last_attempt=?, last_error=?, failures=failures+1,"
                    " retry_after=?, disabled=coalesce(?, disabled) WHERE id=?",
                    (at, report.error, retry, disabled, state.id),
                )
            if report.moved_to and report.status in ("ok", "not-modified"):
                taken = self.db.execute("SELECT 1 FROM feeds WHERE url=?", (report.moved_to,))
                if taken.fetchone() is None:
                    self.db.execute("UPDATE feeds SET url=? WHERE id=?", (report.moved_to, state.id))
            self.db.execute(
                "INSERT INTO fetch_log (feed_id, url, at, status, http_status, duration_ms,"
                " new, updated, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (state.id, fetched.url, at, report.status, fetched.http_status,
                 round(fetched.duration * 1000), report.new, report.updated,
                 report.error or report.warning),
            )  # fmt: skip

    def enable_feed(self, url: str) -> None:
        """Clear a feed's disabled mark and failure count (after `feeds add` of a known feed)."""
        with self.db:
            self.db.execute(
                "UPDATE feeds SET disabled=NULL, failures=0, retry_after=NULL WHERE url=?", (url,)
            )

    # items

    def ingest(
        self,
        state: FeedState,
        entries: Iterable[Entry],
        matches: Iterable[ThemeMatch],
        fetched_at: datetime,
    ) -> tuple[int, int]:
        """Store a feed's entries: (new items, updated items).

        An entry already seen from this feed updates its item when its content changed,
        keeping the first-seen date. So does an entry with a new key whose link is that of
        an item of this feed whose own key the body no longer lists: some feeds make up a
        new guid on every fetch, and each fetch added the same stories again. An entry
        whose link another feed already brought becomes a second source of that item.
        """
        now = iso(fetched_at)
        pairs = list(zip(entries, matches, strict=True))
        updated = 0
        with self.grouped():
            keys = [e.key for e, _ in pairs]
            known = self._known_entries(state.id, keys)
            unknown = [e for e, _ in pairs if e.key not in known]
            orphans = self._orphans_by_link(state.id, set(keys), [e.link for e in unknown if e.link])
            fresh = []
            for entry, match in pairs:
                digest = _content_hash(entry)
                if entry.key not in known and entry.link and orphans.get(entry.link):
                    old_key, *known[entry.key] = orphans[entry.link].pop(0)
                    self.db.execute(
                        "UPDATE sources SET entry_key=? WHERE feed_id=? AND entry_key=?",
                        (entry.key, state.id, old_key),
                    )
                if entry.key in known:
                    item_id, old_digest, first_seen = known[entry.key]
                    if old_digest != digest:
                        self._update_item(item_id, entry, match, digest, first_seen, now)
                        updated += 1
                else:
                    fresh.append((entry, match, digest))
            new = self._insert_entries(state, fresh, now)
        return new, updated

    def _orphans_by_link(
        self, feed_id: int, listed: set[str], links: list[str]
    ) -> dict[str, list[tuple[str, str, str, str]]]:
        """link -> (entry key, item id, content hash, first seen) of this feed's items with that
        link whose entry key is not among `listed`, earliest first."""
        found: dict[str, list[tuple[str, str, str, str]]] = defaultdict(list)
        for chunk in _chunks(sorted(set(links))):
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(
                "SELECT i.link, s.entry_key, i.id, i.content_hash, i.first_seen FROM sources s"
                f" JOIN items i ON i.id = s.item_id WHERE s.feed_id=? AND i.link IN ({marks})"
                " ORDER BY i.first_seen, i.id",
                (feed_id, *chunk),
            )
            for link, key, item_id, digest, seen in rows:
                if key not in listed:
                    found[link].append((key, item_id, digest, seen))
        return found

    def _known_entries(self, feed_id: int, keys: list[str]) -> dict[str, tuple[str, str, str]]:
        """entry key -> (item id, content hash, first seen) for the keys this feed already brought."""
        known = {}
        for chunk in _chunks(keys):
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(
                "SELECT s.entry_key, i.id, i.content_hash, i.first_seen FROM sources s"
                f" JOIN items i ON i.id = s.item_id WHERE s.feed_id=? AND s.entry_key IN ({marks})",
                (feed_id, *chunk),
            )
            known.update((key, (item_id, digest, seen)) for key, item_id, digest, seen in rows)
        return known

    def _insert_entries(self, state: FeedState, fresh: list[tuple[Entry, ThemeMatch, str]], now: str) -> int:
        """New items for entries never seen from this feed, or new sources for known links.

        An entry joins an item that another feed brought with the same link (the same
        article); never one this feed already has, so two entries of one feed stay two items.
        """
        by_link = self._others_by_link(state.id, [e.link for e, _, _ in fresh if e.link])
        seeds = {e.key: e.link or f"{state.url}\n{e.key}" for e, _, _ in fresh}
        taken = set(self._lookup("SELECT id, id FROM items WHERE id IN ({})", [_short_hash(s) for s in seeds.values()]))
        items, sources = [], []
        for entry, match, digest in fresh:
            item_id = by_link.pop(entry.link, None) if entry.link else None
            if item_id is None:
                item_id = _short_hash(seeds[entry.key])
                if item_id in taken:
                    item_id = _short_hash(f"{seeds[entry.key]}\n{state.url}\n{entry.key}\n{now}")
                taken.add(item_id)
                items.append(
                    (item_id, entry.link, entry.title, entry.summary, _published(entry, now, now), now,
                     now, entry.author, entry.language, json.dumps(match.themes), match.relevance,
                     item_id, _entry_date(entry), digest)
                )  # fmt: skip
            sources.append((state.id, entry.key, item_id, now))
        self.db.executemany(
            "INSERT INTO items (id, link, title, summary, published, first_seen, updated, author,"
            " language, themes, relevance, cluster, entry_date, content_hash)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            items,
        )
        self.db.executemany(
            "INSERT INTO sources (feed_id, entry_key, item_id, first_seen) VALUES (?, ?, ?, ?)", sources
        )
        return len(items)

    def _others_by_link(self, feed_id: int, links: list[str]) -> dict[str, str]:
        """link -> the earliest item with that link that the feed `feed_id` is not a source of."""
        found: dict[str, str] = {}
        for chunk in _chunks(links):
            rows = self.db.execute(
                f"SELECT link, id FROM items WHERE link IN ({','.join('?' * len(chunk))}) AND NOT EXISTS"
                " (SELECT 1 FROM sources s WHERE s.item_id = items.id AND s.feed_id = ?)"
                " ORDER BY first_seen DESC, id DESC",
                (*chunk, feed_id),
            )
            found.update(rows.fetchall())  # the last row of a link, its earliest item, wins
        return found

    def _lookup(self, sql: str, values: list[str]) -> dict[str, str]:
        """Run a two-column `... IN ({})` query over `values` in chunks; first column -> second."""
        found: dict[str, str] = {}
        for chunk in _chunks(values):
            found.update(self.db.execute(sql.format(",".join("?" * len(chunk))), chunk).fetchall())
        return found

    def _update_item(
        self, item_id: str, entry: Entry, match: ThemeMatch, digest: str, first_seen: str, now: str
    ) -> None:
        self.db.execute(
            "UPDATE items SET link=?, title=?, summary=?, published=?, updated=?, author=?,"
            " language=?, themes=?, relevance=?, entry_date=?, content_hash=? WHERE id=?",
            (entry.link, entry.title, entry.summary, _published(entry, first_seen, now), now,
             entry.author, entry.language, json.dumps(match.themes), match.relevance,
             _entry_date(entry), digest, item_id),
        )  # fmt: skip

    def items(
        self, since: str | None = None, language: str | None = None, seen_since: str | None = None,
        until: str | None = None,
    ) -> list[StoredItem]:
        """Stored items published at or after `since` and before `until` (ISO), optionally in one language
        or first seen lately."""
        where, params = _item_filters(since=since, until=until, seen_since=seen_since, language=language)
        sql = (
            "SELECT id, link, title, summary, published, first_seen, updated, author, language,"
            " themes, relevance, cluster FROM items" + where
        )
        rows = self.db.execute(sql, params).fetchall()
        # A filtered listing (one week of a year's store) reads only its own items' sources.
        sources = self._sources([row[0] for row in rows] if where else None)
        return [_stored_item(row, sources) for row in rows]

    def existing_ids(self, ids: Iterable[str]) -> set[str]:
        """Those of `ids` that are items of the store."""
        return set(self._lookup("SELECT id, id FROM items WHERE id IN ({})", list(ids)))

    def ranking_rows(
        self, since: str | None = None, language: str | None = None
    ) -> Iterator[tuple[str, str, float, str, list[str]]]:
        """(id, published, relevance, themes JSON, source feed URLs) of each item, streamed:
        what ranking needs, without the texts."""
        where, params = _item_filters("i.", since=since, language=language)
        sql = (
            "SELECT i.id, i.published, i.relevance, i.themes, group_concat(f.url, char(10)) FROM items i"
            " LEFT JOIN sources s ON s.item_id = i.id LEFT JOIN feeds f ON f.id = s.feed_id" + where + " GROUP BY i.id"
        )
        for item_id, published, relevance, themes, urls in self.db.execute(sql, params):
            yield item_id, published, relevance, themes, urls.split("\n") if urls else []

    def items_by_id(self, ids: list[str]) -> dict[str, StoredItem]:
        """The stored items of `ids`, with their sources."""
        found = {}
        for chunk in _chunks(ids):
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(
                "SELECT id, link, title, summary, published, first_seen, updated, author, language,"
                f" themes, relevance, cluster FROM items WHERE id IN ({marks})",
                chunk,
            ).fetchall()
            sources = self._sources(chunk)
            for row in rows:
                found[row[0]] = _stored_item(row, sources)
        return found

    def _sources(self, ids: list[str] | None = None) -> dict[str, list[Source]]:
        by_item: dict[str, list[Source]] = defaultdict(list)
        sql = ("SELECT s.item_id, f.url, s.entry_key, s.first_seen FROM sources s"
               " JOIN feeds f ON f.id = s.feed_id{} ORDER BY s.first_seen, f.url")
        if ids is None:
            rows = self.db.execute(sql.format("")).fetchall()
        else:
            rows = []
            for chunk in _chunks(ids):
                marks = ",".join("?" * len(chunk))
                rows.extend(self.db.execute(sql.format(f" WHERE s.item_id IN ({marks})"), chunk).fetchall())
            rows.sort(key=lambda r: (r[3], r[1]))
        for item_id, url, key, first_seen in rows:
            by_item[item_id].append(Source(feed=url, entry_key=key, first_seen=first_seen))
        return by_item

    def stories(self, seen_since: str) -> list[tuple[str, str, str, str, frozenset[int]]]:
        """(id, title, published, cluster, feed ids) of the items first seen since `seen_since`."""
        rows = self.db.execute(
            "SELECT i.id, i.title, i.published, i.cluster, group_concat(s.feed_id) FROM items i"
            " JOIN sources s ON s.item_id = i.id WHERE i.first_seen >= ? GROUP BY i.id",
            (seen_since,),
        )
        return [(i, t, p, c, frozenset(int(f) for f in feeds.split(","))) for i, t, p, c, feeds in rows]

    def count_clusters(self, seen_since: str) -> int:
        """How many clusters of several items there are among items first seen since `seen_since`."""
        return self.db.execute(
            "SELECT count(*) FROM (SELECT cluster FROM items WHERE first_seen >= ?"
            " GROUP BY cluster HAVING count(*) > 1)",
            (seen_since,),
        ).fetchone()[0]

    def set_clusters(self, clusters: dict[str, str]) -> None:
        """Record the cluster of each item id given."""
        with self.db:
            self.db.executemany(
                "UPDATE items SET cluster=? WHERE id=?", [(c, i) for i, c in clusters.items()]
            )

    def fetch_log(self, limit: int = 100) -> list[tuple]:
        """The latest fetch log rows: (url, at, status, http_status, duration_ms, new, updated, message)."""
        return self.db.execute(
            "SELECT url, at, status, http_status, duration_ms, new, updated, message"
            " FROM fetch_log ORDER BY id DESC LIMIT ?",
            (limit,),
        ).fetchall()


_FILTERS = {"since": "published >= ?", "until": "published < ?", "seen_since": "first_seen >= ?",
            "language": "language = ?"}  # fmt: skip


def _item_filters(prefix: str = "", **values: str | None) -> tuple[str, list[str]]:
    """A WHERE clause (or '') and its parameters for the item filters given a value."""
    given = [(name, value) for name, value in values.items() if value]
    where = " AND ".join(prefix + _FILTERS[name] for name, _ in given)
    return (f" WHERE {where}" if where else ""), [value for _, value in given]


def _stored_item(row: tuple, sources: dict[str, list[Source]]) -> StoredItem:
    return StoredItem(
        *row[:9],
        themes=tuple(json.loads(row[9])),
        relevance=row[10],
        cluster=row[11] or row[0],
        sources=tuple(sources.get(row[0], ())),
    )


def open_store(state_dir: Path) -> Store:
    """The watch store in a project's state folder."""
    return Store(state_dir / STORE_FILE)


def body_hash(body: bytes) -> str:
    """The fingerprint of a feed body: the same body twice costs no parsing."""
    return hashlib.sha256(body).hexdigest()


def _chunks(values: list[str], size: int = 500) -> list[list[str]]:
    return [values[i : i + size] for i in range(0, len(values), size)]


def _short_hash(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def _entry_date(entry: Entry) -> str | None:
    return iso(entry.published) if entry.published else None


def _published(entry: Entry, first_seen: str, now: str) -> str:
    """The entry's date, else first seen; never later than this fetch."""
    date = _entry_date(entry) or first_seen
    return min(date, now)


def _content_hash(entry: Entry) -> str:
    parts = (entry.link or "", entry.title, entry.summary, entry.author, entry.language,
             _entry_date(entry) or "")  # fmt: skip
    return hashlib.sha1("\x1f".join(parts).encode()).hexdigest()
