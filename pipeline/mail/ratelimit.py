"""Rate limits kept in the subscribers database, so that every worker of the subscription service shares them.

uvicorn's workers are processes, and a limit in one process's memory lets a robot
spread its requests over them (and start afresh at every restart). Each event is a
row of `rate_events`; a check counts the key's rows in the window and adds one in a
single transaction, serialised per key (SQLite: the write lock; PostgreSQL: a
transaction advisory lock), so two workers cannot both let the last one through.
Keys are stored as keyed hashes: the table never holds a stranger's address or IP.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass

from pipeline.mail.sql import Database


@dataclass(frozen=True)
class RateLimit:
    """At most `limit` events per key within `window` seconds (a sliding window), under the name `name`."""

    name: str
    limit: int
    window: float
    key: bytes
    """The secret the keys are hashed with (CREBIS_SECRET)."""

    def _hash(self, value: str) -> str:
        return hmac.new(self.key, f"rate\n{self.name}\n{value}".encode(), hashlib.sha256).hexdigest()

    def allow(self, db: Database, value: str, now: float | None = None) -> bool:
        """Record one event for `value`; False if that is over the limit (the event is then not recorded)."""
        now = time.time() if now is None else now  # wall clock: the workers share no monotonic clock
        key = self._hash(value)
        with db.transaction():
            if db.postgres:
                lock = int.from_bytes(bytes.fromhex(key[:16]), "big", signed=True)
                db.execute("SELECT pg_advisory_xact_lock(?)", (lock,))
            db.execute("DELETE FROM rate_events WHERE name = ? AND at <= ?", (self.name, now - self.window))
            count = db.scalar("SELECT COUNT(*) FROM rate_events WHERE name = ? AND key = ?", (self.name, key))
            if count >= self.limit:
                return False
            db.execute("INSERT INTO rate_events (name, key, at) VALUES (?, ?, ?)", (self.name, key, now))
        return True
