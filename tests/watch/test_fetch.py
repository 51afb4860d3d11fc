"""Fetching on its own: conditional GETs, compression, limits, Retry-After, identity."""

from __future__ import annotations

import asyncio
import threading
import time
import zlib
from datetime import UTC, datetime, timedelta

from pipeline.watch.fetch import (
    FetchOptions,
    FetchRequest,
    Limits,
    _retry_after,
    fetch_feeds,
    user_agent,
)

OPTIONS = FetchOptions(user_agent=user_agent("https://crebis.example.org/", "TEST"), connect_timeout=1,
                       read_timeout=1, total_timeout=3, max_body=1_000_000,
                       allow_private=("127.0.0.1/32",))  # fmt: skip
BODY = b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title></channel></rss>'


def _fetch(*requests: FetchRequest, options: FetchOptions = OPTIONS):
    return asyncio.run(fetch_feeds(list(requests), options))


def test_user_agent_names_crebis_and_the_centre():
    assert user_agent("https://crebis.example.org/", "CREBIS") == (
        "crebis/0.1.0 (innovation watch of CREBIS; +https://crebis.example.org/)")  # fmt: skip


def test_conditional_get_sends_the_stored_validators(server):
    url = server.add("/f.xml", BODY, etag='"abc"', last_modified="Wed, 06 Mar 2024 10:00:00 GMT")
    [first] = _fetch(FetchRequest(url))
    assert (first.status, first.etag, first.last_modified, first.body) == (
        "ok", '"abc"', "Wed, 06 Mar 2024 10:00:00 GMT", BODY)  # fmt: skip
    [second] = _fetch(FetchRequest(url, first.etag, first.last_modified))
    assert (second.status, second.http_status, second.body) == ("not-modified", 304, b"")
    assert server.request_headers[1]["if-none-match"] == '"abc"'
    assert server.request_headers[1]["accept-encoding"] == "gzip, deflate"


def test_deflate_with_and_without_zlib_header_is_decoded(server):
    raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    raw_body = raw.compress(BODY) + raw.flush()
    wrapped = server.add("/z.xml", zlib.compress(BODY), headers={"Content-Encoding": "deflate"})
    bare = server.add("/r.xml", raw_body, headers={"Content-Encoding": "deflate"})
    assert [f.body for f in _fetch(FetchRequest(wrapped), FetchRequest(bare))] == [BODY, BODY]


def test_unknown_or_corrupt_compression_is_an_error(server):
    br = server.add("/br.xml", b"xx", headers={"Content-Encoding": "br"})
    bad = server.add("/bad.xml", b"not gzip at all", headers={"Content-Encoding": "gzip"})
    first, second = _fetch(FetchRequest(br), FetchRequest(bad))
    assert "unsupported Content-Encoding 'br'" in first.error
    assert "corrupt compressed body" in second.error


def test_only_http_and_https(server):
    [fetched] = _fetch(FetchRequest("file:///etc/passwd"))
    assert (fetched.status, fetched.error) == ("failed", "the address must be an absolute http:// or https:// URL")


def test_retry_after_seconds_and_dates_are_capped_at_a_week():
    now = datetime(2026, 3, 1, tzinfo=UTC)
    assert _retry_after("120", now) == now + timedelta(seconds=120)
    assert _retry_after("Sun, 01 Mar 2026 01:00:00 GMT", now) == now + timedelta(hours=1)
    assert _retry_after("99999999", now) == now + timedelta(days=7)
    assert _retry_after("soon", now) is None and _retry_after(None, now) is None


def test_per_host_limit_is_respected(server):
    active, peak, lock = [0], [0], threading.Lock()
    original = server.record

    def record(path, status, headers):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.2)
        with lock:
            active[0] -= 1
        original(path, status, headers)

    server.record = record
    urls = [server.add(f"/p{i}.xml", BODY) for i in range(6)]
    options = FetchOptions(user_agent="t", concurrency=10, per_host=2, total_timeout=5, allow_private=("127.0.0.1",))
    fetched = _fetch(*(FetchRequest(u) for u in urls), options=options)
    assert all(f.status == "ok" for f in fetched)
    assert peak[0] == 2


def test_limits_share_a_global_cap():
    async def run() -> int:
        limits, active, peak = Limits(3, 10), [0], [0]

        async def one(i: int) -> None:
            async with limits.slot(f"http://h{i}.example/"):
                active[0] += 1
                peak[0] = max(peak[0], active[0])
                await asyncio.sleep(0.01)
                active[0] -= 1

        await asyncio.gather(*(one(i) for i in range(12)))
        return peak[0]

    assert asyncio.run(run()) == 3
