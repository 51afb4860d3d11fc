"""`crebis watch fetch`: every feed fetched concurrently, parsed in worker processes, stored.

Fetching runs on one asyncio loop; parsing (CPU-bound feedparser) runs in a process pool
as bodies arrive; storing runs on the loop's thread, one transaction per feed. Then
clusters are recomputed for recent items.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import os
import signal
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from multiprocessing import get_all_start_methods, get_context

from pipeline.config import Config
from pipeline.errors import FeedError
from pipeline.project import Project
from pipeline.watch.dedupe import Story, cluster_stories
from pipeline.watch.fetch import FetchOptions, FetchRequest, Limits, Session, fetch_feed, open_session
from pipeline.watch.models import (
    Feed,
    FeedReport,
    FeedState,
    Fetched,
    ParsedFeed,
    ParseLimits,
    ThemeMatch,
    UpdateSummary,
)
from pipeline.watch.opml import move_outline, read_opml
from pipeline.watch.prepare import prepare_feed, warm_up
from pipeline.watch.sources import feed_problems, feeds_path, load_taxonomy_of
from pipeline.watch.store import STORE_FILE, Store, body_hash, iso, open_store
from pipeline.watch.themes import Taxonomy

log = logging.getLogger(__name__)
Progress = Callable[[FeedReport, int, int], None]
# Items first seen this recently are re-clustered after each fetch.
RECLUSTER_DAYS = 60
# A feed's own <ttl> or sy:updatePeriod raises its interval up to this, never beyond:
# a feed declaring "yearly" is still fetched daily.
MAX_DECLARED_REFRESH = 86400.0


def update_feeds(
    project: Project, progress: Progress | None = None, only: tuple[str, ...] = (), force: bool = False
) -> UpdateSummary:
    """Fetch, parse and store the watched feeds that are due; report each to `progress` as it ends.

    `only` limits the run to those feed URLs (each must be watched); `force` fetches
    feeds whose minimum interval has not passed yet.
    """
    taxonomy = load_taxonomy_of(project)
    path = feeds_path(project)
    declared = read_opml(path)
    unknown = [url for url in only if url not in {f.url for f in declared}]
    if unknown:
        raise FeedError(
            f"{', '.join(unknown)}: not in {project.relative(path)}; "
            "`crebis watch feeds list` shows the watched feeds"
        )
    feeds, refused = [], []
    for feed in declared:  # a badly declared feed is reported, the others are fetched
        if only and feed.url not in only:
            continue
        problems = feed_problems(feed, taxonomy)
        if problems:
            where = project.relative(path)
            refused.append(FeedReport(feed.url, "failed", error=f"in {where}: {'; '.join(problems)}"))
        else:
            feeds.append(feed)
    watch = project.config.watch
    workers = watch.parse_workers or os.cpu_count() or 1
    try:
        with open_store(project.state_dir) as store, parser_pool(workers) as pool:
            run = Run(store, pool, FetchOptions.from_config(project.config), parse_limits(project.config), taxonomy,
                      schedule=Schedule(watch.min_interval_minutes * 60, force))  # fmt: skip
            reports = asyncio.run(ingest_feeds(run, tuple(feeds), progress))
            for report in reports:
                if report.moved_to:
                    move_outline(path, report.url, report.moved_to)
            changed = any(r.new or r.updated for r in reports)
            if changed:
                clusters = recluster(store, watch.cluster_threshold, watch.cluster_days)
            else:
                clusters = count_clusters(store)
    except sqlite3.Error as exc:
        where = project.relative(project.state_dir / STORE_FILE)
        raise FeedError(
            f"{where}: the watch database failed ({exc}); what came after was not stored: "
            "free disk space or move the file away, then run `crebis watch fetch` again"
        ) from None
    return UpdateSummary(reports=tuple(reports + refused), clusters=clusters)


def parse_limits(config: Config) -> ParseLimits:
    """The parse limits of a project's `[watch]` table."""
    watch = config.watch
    return ParseLimits(max_entries=watch.max_entries, max_title=watch.max_title_chars,
                       max_summary=watch.max_summary_chars)  # fmt: skip


@dataclass(frozen=True)
class Schedule:
    """When a feed is due: its last attempt is at least `min_interval` seconds old, or at least
    the interval the feed itself declares (capped at `MAX_DECLARED_REFRESH`); always with `force`."""

    min_interval: float = 0.0
    force: bool = False

    def next_fetch(self, state: FeedState) -> datetime | None:
        """When `state`'s feed may be fetched again; None if it may be now."""
        if self.force or not state.last_attempt:
            return None
        interval = max(self.min_interval, min(state.refresh or 0.0, MAX_DECLARED_REFRESH))
        due = datetime.fromisoformat(state.last_attempt) + timedelta(seconds=interval)
        return due if due > datetime.now(UTC) else None


@dataclass(frozen=True)
class Run:
    """What every feed of one fetch run shares."""

    store: Store
    pool: Executor
    options: FetchOptions
    limits: ParseLimits
    taxonomy: Taxonomy
    schedule: Schedule = Schedule()


def make_parser_pool(workers: int) -> Executor:
    """Worker processes for parsing, started now (a thread when `workers` is 1).

    Workers are forked where the platform allows, before the event loop and its threads
    exist: they start in milliseconds with everything imported. Elsewhere they are
    spawned, importing only the parsing modules. Each worker ends with the process that
    started it (see `_init_worker`).
    """
    if workers <= 1:
        return ThreadPoolExecutor(1, thread_name_prefix="crebis-parse")
    methods = get_all_start_methods()
    pool = ProcessPoolExecutor(workers, mp_context=get_context("fork" if "fork" in methods else "spawn"),
                               initializer=_init_worker, initargs=(os.getpid(),))  # fmt: skip
    for _ in range(workers):
        pool.submit(warm_up)
    return pool


@contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Inside, SIGTERM (`kill PID`, `timeout`, systemd stopping a unit) stops like Ctrl-C: the store
    committed and closed, the parse workers shut down, "Interrupted." said. Main thread only."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, lambda *_: signal.raise_signal(signal.SIGINT))
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def parser_pool(workers: int) -> Iterator[Executor]:
    """`make_parser_pool`, shut down on leaving; when interrupted, without parsing what is still queued."""
    pool = make_parser_pool(workers)
    try:
        yield pool
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


# prctl(2) option: the signal a process gets when its parent ends.
_PR_SET_PDEATHSIG = 1


def _init_worker(parent: int) -> None:
    """Runs first in each parse worker.

    Ctrl-C signals the whole process group: a worker that took it died with a traceback
    of its own (two "Process ForkProcess-N" tracebacks above "Interrupted."). The parent
    alone decides to stop, and then shuts the pool down. A SIGTERM handler the parent had
    when forking is the parent's business too.

    A worker whose parent is killed (SIGKILL, or any end that skips the pool's shutdown)
    waited on its task queue forever, reparented to init: a forked worker holds both ends
    of that pipe, so it never sees it close. Linux kills it with its parent (prctl); the
    check after it catches a parent that died before the prctl, and elsewhere a thread
    watches the parent.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    killed_with_parent = _die_with_parent()
    if os.getppid() != parent:
        os._exit(1)
    if not killed_with_parent:
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="crebis-parent-watch").start()


def _die_with_parent() -> bool:
    """Ask Linux to kill this process when its parent ends; whether it could."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent: int, every: float = 1.0) -> None:
    while os.getppid() == parent:
        time.sleep(every)
    os._exit(1)


async def ingest_feeds(run: Run, feeds: tuple[Feed, ...], progress: Progress | None = None) -> list[FeedReport]:
    """Fetch, parse (in the run's pool) and store `feeds`; one report per feed, in the order given."""
    states = run.store.feed_states(f.url for f in feeds)
    limits = Limits(run.options.concurrency, run.options.per_host)
    done = 0

    async def one(feed: Feed) -> FeedReport:
        nonlocal done
        state = states[feed.url]
        try:
            report = await _ingest_one(run, session, limits, feed, state)
        except sqlite3.IntegrityError as exc:  # this feed's entries, not the database: a feed error
            report = _crashed(run.store, state, "storing", exc)
        except sqlite3.Error:
            raise  # the database itself failed: update_feeds stops and says so
        except Exception as exc:  # one feed's fault, whatever it is, is that feed's recorded error
            report = _crashed(run.store, state, "processing", exc)
        done += 1
        if progress:
            progress(report, done, len(feeds))
        return report

    async with open_session(run.options) as session:
        return list(await asyncio.gather(*(one(feed) for feed in feeds)))


async def _ingest_one(run: Run, session: Session, limits: Limits, feed: Feed, state: FeedState) -> FeedReport:
    """Fetch, parse and store one feed; its report."""
    fetched, report = await _fetch_and_parse(run, session, limits, feed, state)
    if fetched is not None:
        refresh = None
        if isinstance(report, tuple):
            parsed, matches = report
            refresh = parsed.refresh
            new, updated = run.store.ingest(state, parsed.entries, matches, fetched.fetched_at)
            report = FeedReport(feed.url, "ok", new=new, updated=updated,
                                warning=parsed.warning, moved_to=fetched.moved_to)  # fmt: skip
        run.store.record_fetch(state, fetched, report, refresh)
    return report


def _crashed(store: Store, state: FeedState, doing: str, exc: Exception) -> FeedReport:
    """Record an unexpected failure on its feed (a bug in crebis or a library, logged)."""
    log.warning("%s %s failed", doing, state.url, exc_info=True)
    report = FeedReport(state.url, "failed", error=f"{doing} failed: {type(exc).__name__}: {exc}")
    store.record_fetch(state, Fetched(state.url, "failed", datetime.now(UTC), error=report.error), report)
    return report


async def _fetch_and_parse(
    run: Run, session: Session, limits: Limits, feed: Feed, state: FeedState
) -> tuple[Fetched | None, FeedReport | tuple[ParsedFeed, tuple[ThemeMatch, ...]]]:
    """The fetch and, for a new body, its parsed entries; a `FeedReport` when nothing to store."""
    now = datetime.now(UTC)
    if state.disabled:
        return None, FeedReport(feed.url, "skipped", error=f"disabled: {state.disabled}")
    if state.retry_after and state.retry_after > iso(now):
        return None, FeedReport(feed.url, "skipped",
                                error=f"the server asked to wait until {state.retry_after}")  # fmt: skip
    due = run.schedule.next_fetch(state)
    if due is not None:
        return None, FeedReport(feed.url, "not-due", error=f"fetched at {state.last_attempt}; due at {iso(due)}")
    request = FetchRequest(feed.url, state.etag, state.last_modified)
    fetched = await fetch_feed(session, request, run.options, limits)
    if fetched.status != "ok":  # a feed moves only where it answers
        moved_to = fetched.moved_to if fetched.status == "not-modified" else None
        return fetched, FeedReport(feed.url, fetched.status, error=fetched.error, moved_to=moved_to)
    if body_hash(fetched.body) == state.body_hash:  # 200 with the very same body
        return fetched, FeedReport(feed.url, "not-modified", moved_to=fetched.moved_to)
    loop = asyncio.get_running_loop()
    try:
        prepared = await loop.run_in_executor(
            run.pool, prepare_feed, fetched.body, fetched.headers, fetched.final_url or feed.url,
            feed.language, feed.themes, run.taxonomy, run.limits,
        )  # fmt: skip
    except FeedError as exc:
        return _unparsed(fetched), FeedReport(feed.url, "failed", error=str(exc).split(": ", 1)[-1])
    except Exception as exc:  # a parser crash on one hostile body must not stop the others
        log.warning("parsing %s failed", feed.url, exc_info=True)
        return _unparsed(fetched), FeedReport(feed.url, "failed",
                                              error=f"could not parse: {type(exc).__name__}: {exc}")  # fmt: skip
    return fetched, prepared


def _unparsed(fetched: Fetched) -> Fetched:
    """A fetched body that could not be used: keep no validators, so it is fetched whole again."""
    return replace(fetched, status="failed", etag=None, last_modified=None, body=b"")


def recluster(store: Store, threshold: float, max_days: float, now: datetime | None = None) -> int:
    """Recompute the clusters of recent items; the number of clusters with several items."""
    since = iso((now or datetime.now(UTC)) - timedelta(days=RECLUSTER_DAYS))
    rows = store.stories(since)
    stories = [Story(i, title, datetime.fromisoformat(published), feeds) for i, title, published, _, feeds in rows]
    clusters = cluster_stories(stories, threshold, max_days)
    current = {row[0]: row[3] for row in rows}
    store.set_clusters({k: v for k, v in clusters.items() if current.get(k) != v})
    return store.count_clusters(since)


def count_clusters(store: Store, now: datetime | None = None) -> int:
    """The number of recent clusters with several items, as they stand."""
    return store.count_clusters(iso((now or datetime.now(UTC)) - timedelta(days=RECLUSTER_DAYS)))
