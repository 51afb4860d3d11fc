"""Benchmark of the innovation watch: crebis fetch+parse+store against what a user would write.

A local server (a child process, loopback addresses only) serves N feeds x 20 entries, each
response delayed 100 ms, spread over up to 100 loopback hosts (127.0.0.1, 127.0.0.2, ...)
as real feeds are spread over many sites. One run measures:

1. crebis first fetch (fetch + parse + store, default [watch] settings) and second fetch
   (every feed answers 304), in a child process whose peak memory is measured too;
2. a sequential loop of `feedparser.parse(url)` over the same URLs (feedparser fetches with
   urllib): what a user would write;
3. the floor: bare `feedparser.parse` on the same bodies already in memory, spread over
   the same cores, against crebis's parse+store of those bodies (its worker processes and
   its SQLite store);
4. the deep-nesting body: one entry whose description is 100,000 nested <div> (1.1 MB),
   parsed and cleaned by crebis with the default limits, and with the summary size cap
   lifted (the nesting-depth guard alone). Before the guard it took 70 s.

Usage: python bench/watch.py [--feeds 500] [--entries 20] [--delay 0.1]
Targets (2 cores): first fetch >= 10x the loop; second fetch <= 1.5 s; parse+store
throughput >= 0.8x the floor; peak memory <= 300 MB; the deep-nesting body <= 3 s.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from multiprocessing import get_context
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MAX_HOSTS = 100
_SYLLABLES = [
    "ba", "ce", "di", "fo", "gu", "ha", "je", "ki", "lo", "mu", "na", "pe", "qui", "ro",
    "su", "ta", "ve", "wi", "xo", "ze", "bru", "gen", "ter", "vol", "mar", "sol",
]  # fmt: skip
_THEME_WORDS = [
    "logement", "huisvesting", "housing", "energy poverty", "précarité énergétique", "CPAS", "OCMW",
    "digital divide", "fracture numérique", "santé", "gezondheid", "migrants", "sociaal werk",
]  # fmt: skip


# Feed bodies: deterministic, so that the server and the floor build the same bytes.


def _vocabulary(rng: random.Random, size: int = 5000) -> list[str]:
    words = set()
    while len(words) < size:
        words.add("".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def make_bodies(feeds: int, entries: int) -> list[bytes]:
    """RSS 2.0 bodies of `feeds` feeds with `entries` entries each."""
    rng = random.Random(1234)
    vocab = _vocabulary(rng)
    now = datetime(2026, 1, 15, tzinfo=UTC)
    bodies = []
    for f in range(feeds):
        items = []
        for e in range(entries):
            words = [rng.choice(vocab) for _ in range(8)]
            if rng.random() < 0.4:
                words.insert(rng.randrange(8), rng.choice(_THEME_WORDS))
            title = " ".join(words).capitalize()
            summary = "<p>" + " ".join(rng.choice(vocab) for _ in range(60)) + (
                f' <a href="/doc/{f}/{e}">rapport</a> <strong>{rng.choice(_THEME_WORDS)}</strong>.</p>'
            )
            date = format_datetime(now - timedelta(hours=rng.randint(0, 24 * 30)), usegmt=True)
            items.append(
                f"<item><title>{escape(title)}</title>"
                f"<link>https://site{f}.example.org/news/{e}?utm_source=rss</link>"
                f"<guid isPermaLink=\"false\">feed{f}-entry{e}</guid><pubDate>{date}</pubDate>"
                f"<description>{escape(summary)}</description></item>"
            )
        bodies.append(
            (
                '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
                f"<title>Feed {f}</title><link>https://site{f}.example.org/</link>"
                f"<language>{('fr', 'nl', 'en')[f % 3]}</language>{''.join(items)}</channel></rss>"
            ).encode()
        )
    return bodies


def host_of(index: int, hosts: int) -> str:
    return f"127.0.0.{1 + index % hosts}"


# The server: an asyncio HTTP/1.1 server with keep-alive, ETags and a fixed delay.


async def _serve(feeds: int, entries: int, delay: float, hosts: int) -> None:
    bodies = make_bodies(feeds, entries)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                headers = {}
                while True:
                    header = await reader.readline()
                    if header in (b"\r\n", b"\n", b""):
                        break
                    key, _, value = header.decode("latin-1").partition(":")
                    headers[key.strip().lower()] = value.strip()
                path = line.split()[1].decode()
                await asyncio.sleep(delay)
                index = int(path.rsplit("/", 1)[-1].split(".")[0])
                etag = f'"feed{index}-v1"'
                if headers.get("if-none-match") == etag:
                    writer.write(f"HTTP/1.1 304 Not Modified\r\nETag: {etag}\r\n\r\n".encode())
                else:
                    body = bodies[index]
                    writer.write(
                        (
                            "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml; charset=utf-8\r\n"
                            f"Content-Length: {len(body)}\r\nETag: {etag}\r\n\r\n"
                        ).encode()
                        + body
                    )
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    servers, ports = [], []
    for h in range(hosts):
        server = await asyncio.start_server(handle, f"127.0.0.{1 + h}", 0, backlog=1024)
        servers.append(server)
        ports.append(server.sockets[0].getsockname()[1])
    print(json.dumps(ports), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until the parent closes stdin


def start_server(feeds: int, entries: int, delay: float, hosts: int) -> tuple[subprocess.Popen, list[str]]:
    """The server child process and the URL of every feed."""
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve", "--feeds", str(feeds), "--entries", str(entries),
         "--delay", str(delay), "--hosts", str(hosts)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    ports = json.loads(proc.stdout.readline())
    urls = [f"http://{host_of(i, hosts)}:{ports[i % hosts]}/feed/{i}.xml" for i in range(feeds)]
    return proc, urls


# crebis, in a child process so that its peak memory is its own.


def make_project(root: Path, urls: list[str]) -> None:
    """A crebis project with default [watch] settings watching `urls`."""
    from pipeline.watch.models import Feed
    from pipeline.watch.opml import add_outlines

    (root / "content").mkdir(parents=True)
    (root / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    # The bench's feeds are on loopback addresses, which the SSRF guard refuses unless allowed.
    # Its second fetch follows at once: no minimum interval.
    (root / "crebis.toml").write_text(
        '[organisation]\nlogo = "logo.svg"\n\n[watch]\nallow_private = ["127.0.0.0/8"]\nmin_interval_minutes = 0\n'
    )
    shutil.copy(REPO / "content" / "themes.yaml", root / "content" / "themes.yaml")
    add_outlines(root / "content" / "watch" / "feeds.opml", [Feed(url=u) for u in urls])


def child_fetch(root: Path) -> None:
    """Run `crebis watch fetch` twice from Python; print times, counts and peak memory."""
    from pipeline.project import Project
    from pipeline.watch.update import update_feeds

    project = Project.open(root)
    started = time.perf_counter()
    first = update_feeds(project)
    first_s = time.perf_counter() - started
    started = time.perf_counter()
    second = update_feeds(project)
    second_s = time.perf_counter() - started
    print(json.dumps({
        "first_s": first_s, "second_s": second_s,
        "first": [first.new, first.count("ok"), first.count("failed")],
        "second": [second.count("not-modified"), second.count("ok"), second.count("failed")],
        "workers": project.config.watch.parse_workers or os.cpu_count(),
        "self_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "children_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    }))  # fmt: skip


def _floor_parse(body: bytes) -> int:
    import feedparser

    return len(feedparser.parse(io.BytesIO(body)).entries)


def _warm(_: int) -> None:
    import feedparser  # noqa: F401

    import pipeline.watch.prepare  # noqa: F401


def measure_floor(bodies: list[bytes], workers: int) -> float:
    """Seconds for bare feedparser.parse on in-memory bodies over `workers` warm processes."""
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        list(pool.map(_warm, range(workers * 2)))
        started = time.perf_counter()
        entries = sum(pool.map(_floor_parse, bodies, chunksize=4))
        elapsed = time.perf_counter() - started
    assert entries == sum(b.count(b"<item>") for b in bodies)
    return elapsed


def measure_crebis_parse_store(bodies: list[bytes], workers: int, root: Path) -> float:
    """Seconds for crebis to parse (its worker pool), tag and store in-memory bodies."""
    from pipeline.watch.models import FeedReport, Fetched
    from pipeline.watch.prepare import prepare_feed
    from pipeline.watch.store import Store
    from pipeline.watch.themes import load_taxonomy
    from pipeline.watch.update import make_parser_pool

    taxonomy = load_taxonomy(REPO / "content" / "themes.yaml")
    urls = [f"http://127.0.0.1/feed/{i}.xml" for i in range(len(bodies))]
    headers = {"content-type": "application/rss+xml; charset=utf-8"}
    with make_parser_pool(workers) as pool, Store(root / "parse.sqlite") as store:
        list(pool.map(_warm, range(workers * 2)))
        states = store.feed_states(urls)

        async def run() -> None:
            loop = asyncio.get_running_loop()

            async def one(url: str, body: bytes) -> None:
                parsed, matches = await loop.run_in_executor(pool, prepare_feed, body, headers, url, "", (), taxonomy)
                now = datetime.now(UTC)
                new, updated = store.ingest(states[url], parsed.entries, matches, now)
                fetched = Fetched(url, "ok", now, body=body)
                store.record_fetch(states[url], fetched, FeedReport(url, "ok", new=new, updated=updated))

            await asyncio.gather(*(one(u, b) for u, b in zip(urls, bodies, strict=True)))

        started = time.perf_counter()
        asyncio.run(run())
        elapsed = time.perf_counter() - started
        stored = store.db.execute("SELECT count(*) FROM items").fetchone()[0]
    assert stored == sum(b.count(b"<item>") for b in bodies), stored
    return elapsed


def deep_nesting_body(levels: int = 100_000) -> bytes:
    """An RSS body with one entry whose HTML description nests `levels` <div> deep."""
    deep = "<div>" * levels + "Deep text" + "</div>" * levels
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Deep</title>'
        f"<item><title>Deep</title><guid>d</guid><description><![CDATA[{deep}]]></description></item>"
        "</channel></rss>"
    ).encode()


def measure_deep_nesting() -> tuple[float, float, int]:
    """Seconds for crebis to parse and clean the deep-nesting body: default limits, then with
    the summary cap lifted; and the body's size."""
    from pipeline.watch.models import ParseLimits
    from pipeline.watch.prepare import prepare_feed
    from pipeline.watch.themes import load_taxonomy

    taxonomy = load_taxonomy(REPO / "content" / "themes.yaml")
    body = deep_nesting_body()
    headers = {"content-type": "application/rss+xml; charset=utf-8"}
    times = []
    for limits in (ParseLimits(), ParseLimits(max_summary=len(body))):
        started = time.perf_counter()
        parsed, _ = prepare_feed(body, headers, "http://127.0.0.1/deep.xml", "en", (), taxonomy, limits)
        times.append(time.perf_counter() - started)
        assert "nested deeper" in (parsed.warning or ""), parsed.warning
    return times[0], times[1], len(body)


def measure_sequential(urls: list[str]) -> float:
    """Seconds for the loop a user would write: feedparser.parse(url) one after the other."""
    import feedparser

    started = time.perf_counter()
    entries = sum(len(feedparser.parse(url).entries) for url in urls)
    elapsed = time.perf_counter() - started
    assert entries > 0
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--entries", type=int, default=20)
    parser.add_argument("--delay", type=float, default=0.1, help="Seconds each response is delayed.")
    parser.add_argument("--hosts", type=int, default=0, help="Loopback hosts (default: min(feeds, 100)).")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child-fetch", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    hosts = args.hosts or min(args.feeds, MAX_HOSTS)
    if args.serve:
        asyncio.run(_serve(args.feeds, args.entries, args.delay, hosts))
        return
    if args.child_fetch:
        child_fetch(args.child_fetch)
        return

    workers = os.cpu_count() or 1
    print(f"watch bench: {args.feeds} feeds x {args.entries} entries, {args.delay * 1000:.0f} ms per response, "
          f"{hosts} loopback hosts, {workers} cores")  # fmt: skip
    server, urls = start_server(args.feeds, args.entries, args.delay, hosts)
    tmp = Path(tempfile.mkdtemp(prefix="crebis-bench-"))
    try:
        make_project(tmp / "project", urls)
        out = subprocess.run([sys.executable, __file__, "--child-fetch", str(tmp / "project")],
                             capture_output=True, text=True, check=True)  # fmt: skip
        crebis = json.loads(out.stdout.strip().splitlines()[-1])
        sequential = measure_sequential(urls)
        bodies = make_bodies(args.feeds, args.entries)
        floor = measure_floor(bodies, workers)
        parse_store = measure_crebis_parse_store(bodies, workers, tmp)
        deep_default, deep_uncapped, deep_size = measure_deep_nesting()
    finally:
        server.stdin.close()
        server.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)

    peak_mb = (crebis["self_kb"] + crebis["workers"] * crebis["children_kb"]) / 1024
    n = args.feeds
    rows = [
        ("crebis first fetch (fetch+parse+store)", f"{crebis['first_s']:.2f} s",
         f"{crebis['first'][0]} new items, {crebis['first'][1]} ok, {crebis['first'][2]} failed"),
        ("crebis second fetch", f"{crebis['second_s']:.2f} s",
         f"{crebis['second'][0]} not modified, {crebis['second'][1]} parsed, {crebis['second'][2]} failed"),
        ("sequential feedparser.parse(url) loop", f"{sequential:.2f} s", ""),
        ("floor: feedparser.parse(bytes) on all cores", f"{floor:.2f} s", f"{n / floor:.0f} feeds/s"),
        ("crebis parse+store of the same bodies", f"{parse_store:.2f} s", f"{n / parse_store:.0f} feeds/s"),
        ("deep-nesting body (default limits)", f"{deep_default:.2f} s",
         f"{deep_size / 1e6:.1f} MB, 100,000 nested <div>, kept as text"),
        ("deep-nesting body (summary cap lifted)", f"{deep_uncapped:.2f} s", "the depth guard alone"),
        ("crebis peak memory (main + workers)", f"{peak_mb:.0f} MB",
         f"main {crebis['self_kb'] / 1024:.0f} MB, each worker <= {crebis['children_kb'] / 1024:.0f} MB"),
    ]  # fmt: skip
    for name, value, note in rows:
        print(f"  {name:<46} {value:>10}  {note}")
    speed_up = sequential / crebis["first_s"]
    checks = [
        ("first fetch speed-up over the loop", speed_up, ">= 10x", speed_up >= 10),
        ("second fetch", crebis["second_s"], "<= 1.5 s", crebis["second_s"] <= 1.5),
        ("parse+store throughput / floor", floor / parse_store, ">= 0.8x", floor / parse_store >= 0.8),
        ("peak memory (MB)", peak_mb, "<= 300 MB", peak_mb <= 300),
        ("deep-nesting body, worst case (s)", deep_uncapped, "<= 3 s", max(deep_default, deep_uncapped) <= 3),
    ]  # fmt: skip
    print("targets:")
    for name, value, target, met in checks:
        print(f"  {name:<46} {value:>10.2f}  target {target:<9} {'met' if met else 'MISSED'}")


if __name__ == "__main__":
    main()
