"""The one SQL module of the subscribers database: SQLite (WAL) by default, PostgreSQL for a postgresql:// URL.

Every query of `pipeline.mail` is written once, with `?` placeholders and SQL that
both engines accept; `Database` adapts the placeholders and the few statements that
differ (the schema's upserts are standard `ON CONFLICT`, which both support).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from pipeline.errors import MailError

SCHEMA_VERSION = 1

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS subscribers (
        address TEXT PRIMARY KEY,
        name TEXT NOT NULL DEFAULT '',
        language TEXT NOT NULL,
        status TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        consent_at TEXT,
        consent_method TEXT,
        consent_version TEXT,
        consent_ip TEXT,
        confirmed_at TEXT,
        unsubscribed_at TEXT,
        unsubscribe_reason TEXT,
        soft_bounces INTEGER NOT NULL DEFAULT 0,
        last_bounce TEXT
    )""",
    """CREATE TABLE IF NOT EXISTS memberships (
        address TEXT NOT NULL REFERENCES subscribers(address) ON DELETE CASCADE,
        list TEXT NOT NULL,
        PRIMARY KEY (address, list)
    )""",
    """CREATE INDEX IF NOT EXISTS memberships_list ON memberships (list, address)""",
    """CREATE TABLE IF NOT EXISTS suppressions (
        hash TEXT PRIMARY KEY,
        reason TEXT NOT NULL,
        at TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS send_log (
        campaign TEXT NOT NULL,
        address TEXT NOT NULL,
        language TEXT NOT NULL,
        state TEXT NOT NULL,
        message_id TEXT,
        reply TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (campaign, address)
    )""",
    """CREATE INDEX IF NOT EXISTS send_log_state ON send_log (campaign, state, address)""",
    # The subscription service's rate limits (pipeline.mail.ratelimit), shared by its workers.
    """CREATE TABLE IF NOT EXISTS rate_events (
        name TEXT NOT NULL,
        key TEXT NOT NULL,
        at DOUBLE PRECISION NOT NULL
    )""",
    """CREATE INDEX IF NOT EXISTS rate_events_key ON rate_events (name, key)""",
    """CREATE INDEX IF NOT EXISTS rate_events_at ON rate_events (name, at)""",
    # A form subscription for an address that had stopped, waiting for its confirmation: the stopped
    # record stays as it is until then, so that a stranger's post cannot wipe it.
    """CREATE TABLE IF NOT EXISTS requests (
        address TEXT PRIMARY KEY REFERENCES subscribers(address) ON DELETE CASCADE,
        name TEXT NOT NULL DEFAULT '',
        language TEXT NOT NULL,
        lists TEXT NOT NULL,
        created_at TEXT NOT NULL,
        consent_version TEXT,
        consent_ip TEXT
    )""",
    # Each returned message already counted, per address: reading a mailbox again counts nothing twice.
    """CREATE TABLE IF NOT EXISTS bounces_seen (
        address TEXT NOT NULL REFERENCES subscribers(address) ON DELETE CASCADE,
        key TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (address, key)
    )""",
]


def is_postgres(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://"))


class Database:
    """One connection to the subscribers database; `execute` takes SQL with `?` placeholders for either engine.

    A `Database` belongs to one thread; open one per thread (`reopen`).
    """

    def __init__(self, url: str, *, durable: bool = False):
        self.url = url
        self.durable = durable
        self.postgres = is_postgres(url)
        self._conn = self._connect()
        self._in_transaction = False

    def _connect(self) -> Any:
        if self.postgres:
            try:
                import psycopg
            except ImportError:  # pragma: no cover - psycopg is a dependency
                raise MailError("PostgreSQL needs psycopg: pip install 'psycopg[binary]'") from None
            try:
                conn = psycopg.connect(self.url, autocommit=True, connect_timeout=10)
            except psycopg.Error as exc:
                raise MailError(f"cannot connect to the subscribers database {_redact(self.url)}: "
                                f"{str(exc).strip()} (check subscribers.database in crebis.toml)") from None
            return conn
        path = Path(self.url)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            # FULL: a state written before a message's last byte survives a power cut, which exactly once needs.
            conn.execute(f"PRAGMA synchronous={'FULL' if self.durable else 'NORMAL'}")
            conn.execute("PRAGMA foreign_keys=ON")
        except sqlite3.Error as exc:
            raise MailError(f"{path}: cannot open the subscribers database ({exc}): check subscribers.database "
                            "in crebis.toml") from None
        conn.row_factory = sqlite3.Row
        return conn

    def reopen(self, *, durable: bool | None = None) -> Database:
        """A new connection to the same database (for another thread)."""
        return Database(self.url, durable=self.durable if durable is None else durable)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._conn.close()

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.postgres else sql

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Run one statement; returns the cursor."""
        try:
            if self.postgres:
                cur = self._conn.cursor()
                cur.execute(self._sql(sql), params)
                return cur
            return self._conn.execute(sql, params)
        except (sqlite3.Error, *self._pg_errors()) as exc:
            raise MailError(f"subscribers database {_redact(self.url)}: {str(exc).strip()}") from exc

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        try:
            if self.postgres:
                with self._conn.cursor() as cur:
                    cur.executemany(self._sql(sql), rows)
            else:
                self._conn.executemany(sql, rows)
        except (sqlite3.Error, *self._pg_errors()) as exc:
            raise MailError(f"subscribers database {_redact(self.url)}: {str(exc).strip()}") from exc

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Every row of a query, as dicts."""
        cur = self.execute(sql, params)
        if self.postgres:
            names = [d.name for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
        return [dict(row) for row in cur.fetchall()]

    def row(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        found = self.rows(sql, params)
        return found[0] if found else None

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self.execute(sql, params).fetchone()
        return None if row is None else row[0]

    @staticmethod
    def _pg_errors() -> tuple[type[BaseException], ...]:
        try:
            import psycopg
        except ImportError:  # pragma: no cover
            return ()
        return (psycopg.Error,)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Database]:
        """All statements inside commit together or not at all (nested calls join the outer one)."""
        if self._in_transaction:
            yield self
            return
        self._in_transaction = True
        try:
            self.execute("BEGIN IMMEDIATE" if not self.postgres else "BEGIN")
            try:
                yield self
            except BaseException:
                self.execute("ROLLBACK")
                raise
            self.execute("COMMIT")
        finally:
            self._in_transaction = False

    def create_schema(self) -> None:
        """Create the tables if they are missing (every statement is idempotent)."""
        with self.transaction():
            for statement in SCHEMA:
                self.execute(statement)
            self.execute("INSERT INTO meta (key, value) VALUES ('schema', ?) ON CONFLICT (key) DO NOTHING",
                         (str(SCHEMA_VERSION),))

    @contextlib.contextmanager
    def lock(self, name: str) -> Iterator[bool]:
        """Try to take the named lock for as long as the block runs; yields False if another process holds it.

        SQLite: an flock on a file beside the database; PostgreSQL: a session advisory lock. Both are
        released by the operating system or the server when the process dies, even by SIGKILL.
        """
        if self.postgres:
            key = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)
            conn = self.reopen()
            try:
                got = bool(conn.scalar("SELECT pg_try_advisory_lock(?)", (key,)))
                yield got
            finally:
                conn.close()  # ends the session, which releases the lock
            return
        digest = hashlib.blake2b(name.encode(), digest_size=8).hexdigest()
        path = Path(f"{self.url}.lock-{digest}")
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


def _redact(url: str) -> str:
    """A database URL fit to print: the password replaced by ***."""
    if "://" in url and "@" in url:
        scheme, rest = url.split("://", 1)
        credentials, host = rest.rsplit("@", 1)
        user = credentials.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}" if ":" in credentials else url
    return url

