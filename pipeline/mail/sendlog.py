"""The send log: one row per (campaign, recipient), so each reader gets a campaign exactly once.

States: queued → sending → sent | failed, plus skipped (unsubscribed meanwhile) and
uncertain. `sending` is written, durably, just before a message's last line leaves;
a row found in `sending` when no send runs was cut between the end of DATA and the
server's reply, and becomes `uncertain`: listed, and sent again only when asked.
A row is `sent` only after the server's 2xx, and is never sent again.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass

from pipeline.mail.sql import Database
from pipeline.mail.store import now

STATES = ("queued", "sending", "sent", "failed", "uncertain", "skipped")


@dataclass(frozen=True)
class Entry:
    address: str
    language: str
    name: str
    attempts: int


class SendLog:
    """The log rows of one campaign."""

    def __init__(self, db: Database, campaign: str):
        self.db, self.campaign = db, campaign

    def counts(self) -> dict[str, int]:
        found = {state: 0 for state in STATES}
        for r in self.db.rows("SELECT state, COUNT(*) AS n FROM send_log WHERE campaign = ? GROUP BY state",
                              (self.campaign,)):
            found[r["state"]] = r["n"]
        return found

    def exists(self) -> bool:
        return self.db.scalar("SELECT COUNT(*) FROM send_log WHERE campaign = ?", (self.campaign,)) > 0

    def enqueue(self, list_name: str) -> int:
        """Queue every active subscriber of the list (once: a queued or finished row is left as it is)."""
        with self.db.transaction():
            before = self.db.scalar("SELECT COUNT(*) FROM send_log WHERE campaign = ?", (self.campaign,))
            self.db.execute(
                "INSERT INTO send_log (campaign, address, language, state, attempts, updated_at) "
                "SELECT ?, s.address, s.language, 'queued', 0, ? FROM subscribers s JOIN memberships m "
                "ON m.address = s.address WHERE m.list = ? AND s.status = 'active' "
                "ON CONFLICT (campaign, address) DO NOTHING", (self.campaign, now(), list_name))
            after = self.db.scalar("SELECT COUNT(*) FROM send_log WHERE campaign = ?", (self.campaign,))
        return after - before

    def recover(self) -> int:
        """Rows left in `sending` by a send that died: uncertain. Call only while holding the send lock."""
        with self.db.transaction():
            count = self.db.scalar("SELECT COUNT(*) FROM send_log WHERE campaign = ? AND state = 'sending'",
                                   (self.campaign,))
            self.db.execute("UPDATE send_log SET state = 'uncertain', reply = COALESCE(reply, "
                            "'the send stopped between the end of the message and the server''s reply'), "
                            "updated_at = ? WHERE campaign = ? AND state = 'sending'", (now(), self.campaign))
        return count

    def requeue_uncertain(self) -> int:
        with self.db.transaction():
            count = self.db.scalar("SELECT COUNT(*) FROM send_log WHERE campaign = ? AND state = 'uncertain'",
                                   (self.campaign,))
            self.db.execute("UPDATE send_log SET state = 'queued', updated_at = ? WHERE campaign = ? "
                            "AND state = 'uncertain'", (now(), self.campaign))
        return count

    def queued(self, page: int = 500) -> Iterator[Entry]:
        """Queued rows by address, read in pages (memory stays flat with the list's size)."""
        last = ""
        while True:
            rows = self.db.rows(
                "SELECT l.address, l.language, l.attempts, COALESCE(s.name, '') AS name FROM send_log l "
                "LEFT JOIN subscribers s ON s.address = l.address WHERE l.campaign = ? AND l.state = 'queued' "
                "AND l.address > ? ORDER BY l.address LIMIT ?", (self.campaign, last, page))
            if not rows:
                return
            for r in rows:
                yield Entry(r["address"], r["language"], r["name"], r["attempts"])
            last = rows[-1]["address"]

    def rows(self, state: str) -> list[dict]:
        return self.db.rows("SELECT address, message_id, reply, updated_at FROM send_log WHERE campaign = ? "
                            "AND state = ? ORDER BY address", (self.campaign, state))

    def still_wanted(self, address: str) -> bool:
        """The row is still queued and its subscriber still active (an unsubscribe stops a pending message)."""
        return self.db.scalar(
            "SELECT COUNT(*) FROM send_log l JOIN subscribers s ON s.address = l.address WHERE l.campaign = ? "
            "AND l.address = ? AND l.state = 'queued' AND s.status = 'active'", (self.campaign, address)) > 0

    def claim(self, address: str, message_id: str) -> bool:
        """queued → sending, durably, if the subscriber is still active; False means do not finish the message."""
        cur = self.db.execute(
            "UPDATE send_log SET state = 'sending', message_id = ?, attempts = attempts + 1, updated_at = ? "
            "WHERE campaign = ? AND address = ? AND state = 'queued' AND EXISTS (SELECT 1 FROM subscribers s "
            "WHERE s.address = send_log.address AND s.status = 'active')",
            (message_id, now(), self.campaign, address))
        return cur.rowcount == 1

    def finish(self, address: str, state: str, reply: str, message_id: str | None = None) -> None:
        """Record the outcome of one message: sent, failed, uncertain or skipped."""
        self.db.execute("UPDATE send_log SET state = ?, reply = ?, message_id = COALESCE(?, message_id), "
                        "updated_at = ? WHERE campaign = ? AND address = ?",
                        (state, reply[:1000], message_id, now(), self.campaign, address))

    def unclaim(self, address: str) -> None:
        """sending → queued, for a message whose last line never left (the server discarded it)."""
        self.db.execute("UPDATE send_log SET state = 'queued', updated_at = ? WHERE campaign = ? AND address = ? "
                        "AND state = 'sending'", (now(), self.campaign, address))

    def bump(self, address: str, reply: str) -> None:
        """A temporary refusal: the row goes back to queued (the server did not take it), reply recorded."""
        self.db.execute("UPDATE send_log SET state = 'queued', reply = ?, updated_at = ? "
                        "WHERE campaign = ? AND address = ? AND state IN ('queued', 'sending')",
                        (reply[:1000], now(), self.campaign, address))

    def skip(self, address: str, reason: str) -> bool:
        """queued → skipped (the subscriber left); False if the row was not queued any more."""
        cur = self.db.execute("UPDATE send_log SET state = 'skipped', reply = ?, updated_at = ? "
                              "WHERE campaign = ? AND address = ? AND state = 'queued'",
                              (reason, now(), self.campaign, address))
        return cur.rowcount == 1


class Claim:
    """One claim on its way to disk; `wait` returns what `SendLog.claim` returned, once it is durable."""

    def __init__(self, address: str, message_id: str):
        self.address, self.message_id = address, message_id
        self.done = threading.Event()
        self.claimed = False
        self.error: BaseException | None = None

    def wait(self) -> bool:
        self.done.wait()
        if self.error is not None:
            raise self.error
        return self.claimed


class Claims:
    """The send log's writer during a send: the claims (queued → sending) of every sending thread and the
    outcomes of their messages, committed together by one thread.

    A claim must be on disk before its message's last line leaves (a power cut must not
    forget it), which costs an fsync; batching what arrives meanwhile shares one fsync
    among all the connections waiting, instead of one each. A sender `submit`s its claim
    as soon as the message is built and `wait`s for it only before the last line, so the
    fsync runs while the envelope and the message travel.

    Outcomes (`record`: sent, failed, uncertain) are not waited for: they join the next
    batch. Exactly once still holds, because a row leaves `sending` only by its outcome: if
    the process dies after the server's 250 and before that batch is committed, the row is
    found in `sending`, which `SendLog.recover` makes uncertain, never queued, so an
    acknowledged message is never sent again. And since a connection's next claim is
    committed in the same batch as its last outcome or a later one, at most one row per
    connection is left so (a claim not yet committed leaves its row queued: its last line
    never left). Waiting for the outcome instead would put a second fsync, or the write
    lock held through the claims' fsync, in every message's path.
    """

    def __init__(self, db: Database, campaign: str):
        self.log = SendLog(db, campaign)
        self.pending: list[Claim | tuple[str, str, str]] = []
        self.closed = False
        self.error: BaseException | None = None
        self.cv = threading.Condition()
        self.thread = threading.Thread(target=self._loop, name="send-log-writer", daemon=True)
        self.thread.start()

    def record(self, address: str, state: str, reply: str) -> None:
        """`SendLog.finish` in the next batch (not waited for)."""
        with self.cv:
            if self.closed:
                raise RuntimeError("the claims were closed")
            self.pending.append((address, state, reply))
            self.cv.notify()

    def submit(self, address: str, message_id: str) -> Claim:
        """Start `SendLog.claim`; the returned claim's `wait` says whether it was made, once it is durable."""
        claim = Claim(address, message_id)
        with self.cv:
            if self.closed:
                raise RuntimeError("the claims were closed")
            self.pending.append(claim)
            self.cv.notify()
        return claim

    def claim(self, address: str, message_id: str) -> bool:
        """Like `SendLog.claim`, durable when it returns."""
        return self.submit(address, message_id).wait()

    def _loop(self) -> None:
        while True:
            with self.cv:
                while not self.pending and not self.closed:
                    self.cv.wait()
                if not self.pending and self.closed:
                    return
                batch, self.pending = self.pending, []
            claims = [item for item in batch if isinstance(item, Claim)]
            try:
                with self.log.db.transaction():
                    for item in batch:  # in order: a connection's outcome, then its next claim
                        if isinstance(item, Claim):
                            item.claimed = self.log.claim(item.address, item.message_id)
                        else:
                            self.log.finish(*item)
            except Exception as exc:  # every waiting thread hears of it
                self.error = exc
                for claim in claims:
                    claim.error = exc
            for claim in claims:
                claim.done.set()

    def close(self) -> None:
        with self.cv:
            self.closed = True
            self.cv.notify()
        self.thread.join()
        self.log.db.close()
        if self.error is not None:  # an outcome may be lost: say so rather than report a count that is wrong
            raise self.error
