"""Send a campaign (a newsletter issue or a watch digest) to the active subscribers of its list, exactly once.

The send log (`pipeline.mail.sendlog`) holds one row per recipient; a lock keeps two
sends of one campaign from running at once. Several SMTP connections send in
parallel, each many messages, under one rate limit; a 4xx is retried with
exponential backoff, a 5xx recorded as that recipient's failure. After a crash,
`resume` goes on with the queued rows; the few cut between the end of a message and
the server's reply are listed as uncertain and resent only with `resend_uncertain`.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from pipeline.errors import MailError
from pipeline.mail import smtp
from pipeline.mail.dkim import signer_for
from pipeline.mail.message import Campaign, MessageFactory, Recipient
from pipeline.mail.sendlog import Claims, Entry, SendLog
from pipeline.mail.store import SubscriberStore, normalise_address

# Connections lost in a row, without a message getting through, before the send stops (to be resumed).
MAX_CONSECUTIVE_DROPS = 5


@dataclass(frozen=True)
class SendOptions:
    dry_run: bool = False
    test_to: str | None = None
    resume: bool = False
    resend_uncertain: bool = False


@dataclass
class SendReport:
    """What a send did; `counts` are the log's, for the whole campaign."""

    campaign: str
    mode: str = "send"
    counts: dict[str, int] = field(default_factory=dict)
    this_run: dict[str, int] = field(default_factory=lambda: {"sent": 0, "failed": 0, "skipped": 0, "uncertain": 0})
    failures: list[tuple[str, str]] = field(default_factory=list)
    uncertain: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    rendered: int = 0
    recovered: int = 0
    elapsed: float = 0.0
    stopped: str | None = None
    first_message_after: float | None = None
    """Seconds from the start of the send to the first message accepted by the server."""


class _RateLimit:
    """At most `per_second` messages a second over all connections (0: no limit)."""

    def __init__(self, per_second: float):
        self.interval = 1.0 / per_second if per_second else 0.0
        self.next = time.monotonic()
        self.lock = threading.Lock()

    def wait(self) -> None:
        if not self.interval:
            return
        with self.lock:
            slot = max(self.next, time.monotonic())
            self.next = slot + self.interval
        delay = slot - time.monotonic()
        if delay > 0:
            time.sleep(delay)


class _Work:
    """Queued entries, read lazily from the log, plus retries waiting for their time; knows when all is done."""

    def __init__(self, source: Iterator[Entry]):
        self.source: Iterator[Entry] | None = source
        self.delayed: list[tuple[float, int, Entry]] = []
        self.counter = itertools.count()
        self.inflight = 0
        self.stopped = False
        self.cv = threading.Condition()

    def get(self) -> Entry | None:
        with self.cv:
            while not self.stopped:
                now = time.monotonic()
                if self.delayed and self.delayed[0][0] <= now:
                    self.inflight += 1
                    return heapq.heappop(self.delayed)[2]
                if self.source is not None:
                    entry = next(self.source, None)
                    if entry is not None:
                        self.inflight += 1
                        return entry
                    self.source = None
                if not self.delayed and self.inflight == 0:
                    return None
                self.cv.wait(timeout=(self.delayed[0][0] - now) if self.delayed else None)
            return None

    def done(self) -> None:
        with self.cv:
            self.inflight -= 1
            self.cv.notify_all()

    def retry(self, entry: Entry, delay: float) -> None:
        with self.cv:
            heapq.heappush(self.delayed, (time.monotonic() + delay, next(self.counter), entry))
            self.inflight -= 1
            self.cv.notify_all()

    def stop(self) -> None:
        with self.cv:
            self.stopped = True
            self.cv.notify_all()


def send_campaign(project: Any, campaign: Campaign, options: SendOptions = SendOptions(),
                  progress: Callable[[int], None] | None = None,
                  on_start: Callable[[int], None] | None = None) -> SendReport:
    """Send `campaign` to the active subscribers of `campaign.list` (or render only, or to one test address).

    `on_start(total)` is called with the number of messages to send, `progress(n)` after each n handled.
    """
    started = time.monotonic()
    if not campaign.editions:
        raise MailError(f"{campaign.id}: no edition to send")
    signer = signer_for(project)  # a missing or bad key fails here, before anything is sent
    factory = MessageFactory(project.config, campaign, signer)
    config = project.config
    report = SendReport(campaign.id)

    if options.test_to:
        return _send_test(project, campaign, factory, normalise_address(options.test_to), report, started)

    store = SubscriberStore.open(project, durable=True)
    try:
        if options.dry_run:
            return _dry_run(store, campaign, factory, report, started, on_start, progress)
        server = smtp.Server.from_options(config.smtp, smtp.password(project.config.smtp))
        with store.db.lock(f"send:{campaign.id}") as got:
            if not got:
                raise MailError(f"another send of {campaign.id} is running: wait for it to finish (a send holds "
                                "this lock until it ends or its process dies)")
            log = SendLog(store.db, campaign.id)
            report.recovered = log.recover()
            if log.exists() and not options.resume:
                counts = log.counts()
                done = ", ".join(f"{n} {state}" for state, n in counts.items() if n)
                raise MailError(f"{campaign.id} was already sent or started ({done}): run again with --resume "
                                "to go on where it stopped; nobody gets it twice")
            # Connect and log in before touching the log: a wrong password or host changes nothing.
            first = smtp.Connection(server)
            if options.resend_uncertain:
                log.requeue_uncertain()
            if not log.exists():
                log.enqueue(campaign.list)
            total = log.counts()["queued"]
            if on_start:
                on_start(total)
            _run(store, log, factory, server, config.smtp, report, started, progress, first)
            report.counts = log.counts()
            report.uncertain = [r["address"] for r in log.rows("uncertain")]
            report.failures = [(r["address"], r["reply"] or "") for r in log.rows("failed")]
    finally:
        store.close()
    report.elapsed = time.monotonic() - started
    if report.stopped:
        raise SendStopped(report)
    return report


class SendStopped(MailError):
    """The send stopped before the end (server unreachable, login refused, connection lost): resume it later."""

    def __init__(self, report: SendReport):
        self.report = report
        left = report.counts.get("queued", 0)
        super().__init__(f"{report.stopped}. {left} message(s) of {report.campaign} are still queued: run the same "
                         "command with --resume to send them (nobody gets it twice)")


def _send_test(project: Any, campaign: Campaign, factory: MessageFactory, address: str, report: SendReport,
               started: float) -> SendReport:
    report.mode = "test"
    server = smtp.Server.from_options(project.config.smtp, smtp.password(project.config.smtp))
    connection = smtp.Connection(server)
    try:
        for lang in campaign.editions:
            _, data = factory.build(Recipient(address, "", lang))
            try:
                connection.send(project.config.newsletter.sender_address, address, data, lambda: True)
                report.this_run["sent"] += 1
            except (smtp.TemporaryFailure, smtp.PermanentFailure) as exc:
                report.this_run["failed"] += 1
                report.failures.append((f"{address} ({lang})", str(exc)))
    except (smtp.LostBeforeEnd, smtp.LostAfterEnd) as exc:
        raise MailError(f"the SMTP server closed the connection during the test send ({exc})") from None
    finally:
        connection.close()
    report.elapsed = time.monotonic() - started
    return report


def _dry_run(store: SubscriberStore, campaign: Campaign, factory: MessageFactory, report: SendReport, started: float,
             on_start: Callable[[int], None] | None, progress: Callable[[int], None] | None) -> SendReport:
    report.mode = "dry-run"
    total = sum(store.stats()["lists"].get(campaign.list, {}).values())
    if on_start:
        on_start(total)
    fallback: dict[str, int] = {}
    for subscriber in store.subscribers(campaign.list, "active"):
        try:
            factory.build(Recipient(subscriber.address, subscriber.name, subscriber.language))
            report.rendered += 1
        except MailError as exc:
            report.problems.append(f"{subscriber.address}: {exc}")
        if subscriber.language not in campaign.editions:
            fallback[subscriber.language] = fallback.get(subscriber.language, 0) + 1
        if progress:
            progress(1)
    for lang, n in fallback.items():
        chosen = campaign.edition_for(lang, factory.languages).lang
        report.problems.append(f"{n} subscriber(s) reading '{lang}' get the '{chosen}' edition: there is no "
                               f"'{lang}' edition of {campaign.id}")
    report.elapsed = time.monotonic() - started
    return report


class _Worker:
    """One sending thread: its own database connection and SMTP connection."""

    def __init__(self, run: _Run):
        self.run = run
        # Claims and outcomes go through `run.claims` (one writer, batched); this connection reads, and writes
        # only the rare skips, retries and unclaims.
        self.log = SendLog(run.store.db.reopen(durable=False), run.log.campaign)
        self.connection: smtp.Connection | None = None

    def close(self) -> None:
        self.drop()
        self.log.db.close()

    def drop(self) -> None:
        if self.connection is not None:
            self.connection.close()
        self.connection = None

    def loop(self) -> None:
        run = self.run
        try:
            while (entry := run.work.get()) is not None:
                try:
                    outcome = self.one(entry)
                except smtp.LostBeforeEnd as exc:
                    self.drop()
                    if run.dropped():
                        run.stop(f"the SMTP server closed the connection {MAX_CONSECUTIVE_DROPS} times in a row "
                                 f"({exc})")
                        run.work.done()
                    else:
                        run.work.retry(entry, 0.2)  # nothing was delivered: the same message again
                    continue
                except MailError as exc:  # cannot connect or log in: stop; the rest stays queued
                    self.drop()
                    run.stop(str(exc))
                    run.work.done()
                    continue
                except Exception as exc:
                    # A fault of crebis's own: stop every thread, so that the send ends and says so (a thread
                    # that died alone left its rows queued behind a send that looked finished). A row already
                    # claimed stays 'sending', and the next run's recover() lists it as uncertain.
                    self.drop()
                    run.stop(f"sending to {entry.address} failed on an unexpected error ({type(exc).__name__}: "
                             f"{exc}), a bug in crebis: please report it")
                    run.work.done()
                    continue
                if isinstance(outcome, tuple):
                    run.work.retry(*outcome)
                    continue
                if outcome:
                    run.count(outcome)
                run.work.done()
        finally:
            self.close()

    def one(self, entry: Entry) -> str | tuple[Entry, float] | None:
        """Send one entry; returns its outcome, (entry, delay) for a retry, or None if it needs no count."""
        run, log, options = self.run, self.log, self.run.options
        if not log.still_wanted(entry.address):
            return "skipped" if log.skip(entry.address, "not active any more when its turn came") else None
        try:
            message_id, data = run.factory.build(Recipient(entry.address, entry.name, entry.language))
        except MailError as exc:  # this recipient's message cannot be made: theirs fails, the others go on
            run.claims.record(entry.address, "failed", str(exc))
            return "failed"
        run.rate.wait()
        if self.connection is not None and self.connection.sent >= options.messages_per_connection:
            self.drop()
        if self.connection is None:
            self.connection = smtp.Connection(run.server)
        # The claim goes to disk while the envelope and the message travel; the last line waits for it.
        # Whatever happens before that line, the claim is waited for here, so that the row's state is
        # known before it is changed: a claimed row ('sending') goes back to queued only when the last
        # line surely never left (the server discards an unfinished message), else it stays for recover().
        claim = run.claims.submit(entry.address, message_id)
        try:
            reply = self.connection.send(run.sender, entry.address, data, claim.wait)
        except smtp.LostBeforeEnd:
            if claim.wait():
                log.unclaim(entry.address)
            raise
        except smtp.Cancelled:
            self.connection = None
            return "skipped" if log.skip(entry.address, "unsubscribed during the send") else None
        except smtp.LostAfterEnd as exc:
            self.connection = None
            run.claims.record(entry.address, "uncertain", f"connection lost after the end of the message ({exc})")
            return "uncertain"
        except smtp.TemporaryFailure as exc:
            claim.wait()
            run.got_reply()
            if entry.attempts < options.retries:
                log.bump(entry.address, str(exc))
                return (replace(entry, attempts=entry.attempts + 1), options.retry_delay * 2 ** entry.attempts)
            run.claims.record(entry.address, "failed", f"{exc} (still refused after {entry.attempts + 1} tries)")
            return "failed"
        except smtp.PermanentFailure as exc:
            claim.wait()
            run.got_reply()
            run.claims.record(entry.address, "failed", str(exc))
            return "failed"
        run.got_reply()
        run.claims.record(entry.address, "sent", reply)
        return "sent"


@dataclass
class _Run:
    """What the sending threads share."""

    store: SubscriberStore
    log: SendLog
    factory: MessageFactory
    server: smtp.Server
    options: Any
    report: SendReport
    started: float
    progress: Callable[[int], None] | None
    work: _Work = field(init=False)
    rate: _RateLimit = field(init=False)
    lock: threading.Lock = field(default_factory=threading.Lock)
    drops: int = 0

    def __post_init__(self) -> None:
        self.claims = Claims(self.store.db.reopen(durable=True), self.log.campaign)
        self.work = _Work(self.log.queued())
        self.rate = _RateLimit(self.options.rate)
        self.sender = self.factory.config.newsletter.sender_address

    def count(self, outcome: str) -> None:
        with self.lock:
            self.report.this_run[outcome] += 1
            if outcome == "sent" and self.report.first_message_after is None:
                self.report.first_message_after = time.monotonic() - self.started
            if self.progress:
                self.progress(1)

    def stop(self, reason: str) -> None:
        with self.lock:
            self.report.stopped = self.report.stopped or reason
        self.work.stop()

    def dropped(self) -> bool:
        """One more connection lost before a message's end; True when that is too many in a row."""
        with self.lock:
            self.drops += 1
            return self.drops >= MAX_CONSECUTIVE_DROPS

    def got_reply(self) -> None:
        with self.lock:
            self.drops = 0


def _run(store: SubscriberStore, log: SendLog, factory: MessageFactory, server: smtp.Server, options: Any,
         report: SendReport, started: float, progress: Callable[[int], None] | None,
         first: smtp.Connection | None = None) -> None:
    run = _Run(store, log, factory, server, options, report, started, progress)
    workers = [_Worker(run) for _ in range(options.connections)]
    workers[0].connection = first
    threads = [threading.Thread(target=w.loop, name=f"smtp-{i}", daemon=True) for i, w in enumerate(workers)]
    for t in threads:
        t.start()
    try:
        for t in threads:
            while t.is_alive():
                t.join(timeout=0.5)
    except KeyboardInterrupt:
        run.stop("interrupted")
        for t in threads:
            t.join()
    finally:
        run.claims.close()


