"""Rate limits in the subscribers database (SQLite file and real PostgreSQL): shared by every connection, a
sliding window, and no address or IP in clear in the table."""

from __future__ import annotations

from pipeline.mail.ratelimit import RateLimit
from pipeline.mail.sql import Database

KEY = b"rate-test-key-0123456789abcdef"


def test_two_connections_share_one_limit_and_the_window_slides(database_url):
    one, two = Database(database_url), Database(database_url)  # as two workers of the service
    try:
        for db in (one, two):
            db.create_schema()
        limit = RateLimit("subscribe-address", 3, 100.0, KEY)
        assert [limit.allow(db, "stranger@example.org", now=1000.0 + i) for i, db in
                enumerate((one, two, one, two))] == [True, True, True, False]
        assert limit.allow(two, "someone-else@example.org", now=1004.0)  # another key has its own count
        assert not limit.allow(one, "stranger@example.org", now=1099.0)  # the first event is 99 s old
        assert limit.allow(one, "stranger@example.org", now=1100.5)  # ... and now out of the window
        assert not limit.allow(two, "stranger@example.org", now=1100.6)
        other = RateLimit("subscribe-ip", 3, 100.0, KEY)  # another limit counts apart
        assert other.allow(one, "stranger@example.org", now=1100.7)
        stored = " ".join(str(value) for row in one.rows("SELECT name, key FROM rate_events") for value in row.values())
        assert "stranger" not in stored and "example.org" not in stored
        assert one.scalar("SELECT COUNT(*) FROM rate_events WHERE at <= ?", (1000.0,)) == 0  # old events go
    finally:
        one.close()
        two.close()
