"""The subscribers store: who subscribed to which list, in which language, with what consent.

`.crebis/subscribers.sqlite` by default, or PostgreSQL (`subscribers.database` set to a
postgresql:// URL); every query goes through `pipeline.mail.sql`. An address that
unsubscribed, bounced or complained is never brought back by an import or by hand;
a forgotten one leaves only a keyed hash on the suppression list.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from email_validator import EmailNotValidError, validate_email

from pipeline.config import Config
from pipeline.errors import MailError
from pipeline.mail import tokens
from pipeline.mail.sql import Database, is_postgres

STATUSES = ("pending", "active", "unsubscribed", "bounced", "complained")
# Statuses that mean the person (or their mail server) said stop: no import or manual add undoes them.
STOPPED = ("unsubscribed", "bounced", "complained")
METHODS = ("form", "import", "by hand")


def now() -> str:
    """The current UTC time as stored: ISO 8601 to the second."""
    return datetime.datetime.now(datetime.UTC).replace(microsecond=0).isoformat()


def normalise_address(address: str) -> str:
    """The address checked (syntax only: no DNS) and normalised to ASCII, lower-cased; `MailError` says what is wrong.

    An internationalised domain is kept in its ASCII (punycode) form, which every SMTP server takes; an
    address with non-ASCII characters before the @ is refused here, at the edge, because it can only be
    sent to over SMTPUTF8, which crebis does not speak.
    """
    address = address.strip()
    try:
        checked = validate_email(address, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        if not address.partition("@")[0].isascii():
            raise MailError(f"{address!r} cannot be used: crebis sends mail without SMTPUTF8, so an address "
                            "needs plain ASCII letters before the @ (ask the person for another address)") from None
        raise MailError(f"{address!r} is not a valid email address: {exc}") from None
    return checked.ascii_email.lower()


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
MAX_NAME = 200


def one_line(name: str) -> str:
    """A name as stored: control characters and line breaks made spaces (a name is greeted in a message's
    first line and listed one per line), runs of spaces made one, at most `MAX_NAME` characters."""
    return " ".join(_CONTROL.sub(" ", name).split())[:MAX_NAME]


@dataclass
class Subscriber:
    """One person on the lists, with their consent record."""

    address: str
    name: str
    language: str
    status: str
    lists: tuple[str, ...] = ()
    created_at: str = ""
    updated_at: str = ""
    consent_at: str | None = None
    consent_method: str | None = None
    consent_version: str | None = None
    consent_ip: str | None = None
    confirmed_at: str | None = None
    unsubscribed_at: str | None = None
    unsubscribe_reason: str | None = None
    soft_bounces: int = 0
    last_bounce: str | None = None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["lists"] = list(self.lists)
        return data


@dataclass(frozen=True)
class Consent:
    """How a subscription was given: by which channel, when, against which consent text, from which IP."""

    method: str
    at: str = field(default_factory=now)
    version: str | None = None
    ip: str | None = None


_COLUMNS = ("address", "name", "language", "status", "created_at", "updated_at", "consent_at", "consent_method",
            "consent_version", "consent_ip", "confirmed_at", "unsubscribed_at", "unsubscribe_reason",
            "soft_bounces", "last_bounce")


class SubscriberStore:
    """The subscribers of one project, over one database connection."""

    def __init__(self, db: Database, config: Config):
        self.db = db
        self.config = config
        self.languages = tuple(config.languages)
        self.lists = tuple(config.lists)
        db.create_schema()

    @classmethod
    def open(cls, project: Any, *, durable: bool = False) -> SubscriberStore:
        """The store `subscribers.database` names (a path relative to the project root, or a URL)."""
        url = project.config.subscribers.database
        if not is_postgres(url):
            url = str(project.path(url))
        return cls(Database(url, durable=durable), project.config)

    def close(self) -> None:
        self.db.close()

    # ------------------------------------------------------------ checks at the edge

    def check_language(self, language: str) -> str:
        if language not in self.languages:
            raise MailError(f"unknown language {language!r}: choose among {', '.join(self.languages)} "
                            "(the languages of crebis.toml)")
        return language

    def check_lists(self, lists: Iterable[str]) -> tuple[str, ...]:
        chosen = tuple(dict.fromkeys(lists))
        unknown = [name for name in chosen if name not in self.lists]
        if unknown:
            raise MailError(f"unknown list(s) {', '.join(unknown)}: choose among {', '.join(self.lists)} "
                            "(declared under [lists] in crebis.toml)")
        return chosen

    # ------------------------------------------------------------ reading

    def get(self, address: str) -> Subscriber | None:
        """The subscriber with this address (normalised first), or None."""
        try:
            address = normalise_address(address)
        except MailError:
            return None
        row = self.db.row(f"SELECT {', '.join(_COLUMNS)} FROM subscribers WHERE address = ?", (address,))
        if row is None:
            return None
        lists = [r["list"] for r in self.db.rows("SELECT list FROM memberships WHERE address = ? ORDER BY list",
                                                  (address,))]
        return Subscriber(**row, lists=tuple(lists))

    def require(self, address: str) -> Subscriber:
        found = self.get(address)
        if found is None:
            raise MailError(f"no subscriber {address.strip()!r}")
        return found

    def subscribers(self, list_name: str | None = None, status: str | None = None) -> Iterator[Subscriber]:
        """Subscribers by address, optionally of one list and one status, read in pages (flat memory)."""
        last = ""
        while True:
            where, params = ["s.address > ?"], [last]
            if status:
                where.append("s.status = ?")
                params.append(status)
            if list_name:
                where.append("EXISTS (SELECT 1 FROM memberships m WHERE m.address = s.address AND m.list = ?)")
                params.append(list_name)
            rows = self.db.rows(
                f"SELECT {', '.join('s.' + c for c in _COLUMNS)} FROM subscribers s WHERE {' AND '.join(where)} "
                "ORDER BY s.address LIMIT 500", params)
            if not rows:
                return
            memberships: dict[str, list[str]] = {}
            marks = ", ".join("?" for _ in rows)
            for r in self.db.rows(f"SELECT address, list FROM memberships WHERE address IN ({marks}) ORDER BY list",
                                  [r["address"] for r in rows]):
                memberships.setdefault(r["address"], []).append(r["list"])
            for row in rows:
                yield Subscriber(**row, lists=tuple(memberships.get(row["address"], ())))
            last = rows[-1]["address"]

    def stats(self) -> dict[str, Any]:
        """Counts per status, and active subscribers per list and per language."""
        by_status = {s: 0 for s in STATUSES}
        for r in self.db.rows("SELECT status, COUNT(*) AS n FROM subscribers GROUP BY status"):
            by_status[r["status"]] = r["n"]
        per_list = {name: {lang: 0 for lang in self.languages} for name in self.lists}
        for r in self.db.rows("SELECT m.list, s.language, COUNT(*) AS n FROM memberships m JOIN subscribers s "
                              "ON s.address = m.address WHERE s.status = 'active' GROUP BY m.list, s.language"):
            per_list.setdefault(r["list"], {}).setdefault(r["language"], 0)
            per_list[r["list"]][r["language"]] = r["n"]
        suppressed = self.db.scalar("SELECT COUNT(*) FROM suppressions")
        return {"status": by_status, "lists": per_list, "suppressed": suppressed}

    # ------------------------------------------------------------ suppression (forgotten addresses)

    def _suppression_key(self) -> bytes | None:
        """The key of the suppression hashes; None if nothing was ever forgotten and no secret is set."""
        try:
            return tokens.secret()
        except MailError:
            if self.db.scalar("SELECT COUNT(*) FROM suppressions"):
                raise
            return None

    def is_suppressed(self, address: str) -> bool:
        key = self._suppression_key()
        if key is None:
            return False
        digest = tokens.address_hash(address, key)
        return self.db.scalar("SELECT COUNT(*) FROM suppressions WHERE hash = ?", (digest,)) > 0

    # ------------------------------------------------------------ writing

    def add(self, address: str, *, name: str = "", language: str | None = None, lists: Iterable[str] = ("newsletter",),
            consent: Consent | None = None, status: str = "active") -> Subscriber:
        """Add one subscriber (by hand or from an import); refuses addresses that asked to stop or were forgotten."""
        address = normalise_address(address)
        language = self.check_language(language or self.languages[0])
        chosen = self.check_lists(lists)
        consent = consent or Consent("by hand", version=self.config.subscribers.consent_version)
        with self.db.transaction():
            self.insert_new(address, name, language, chosen, consent, status)
        return self.require(address)

    def insert_new(self, address: str, name: str, language: str, lists: tuple[str, ...], consent: Consent,
                   status: str) -> None:
        """Insert a normalised address inside the caller's transaction; `MailError` if it may not be added."""
        existing = self.db.row("SELECT status FROM subscribers WHERE address = ?", (address,))
        if existing and existing["status"] in STOPPED:
            raise MailError(f"{address} is {existing['status']}: crebis never subscribes again an address that "
                            "asked to stop or whose mail bounced; they can subscribe again themselves on the form")
        if existing:
            raise MailError(f"{address} is already subscribed ({existing['status']}): change their lists with "
                            "the subscription pages or remove them first")
        if self.is_suppressed(address):
            raise MailError(f"{address} asked to be forgotten: it is on the suppression list and cannot be added "
                            "again (only its owner can, by subscribing on the form)")
        stamp = now()
        confirmed = consent.at if status == "active" else None
        self.db.execute(
            "INSERT INTO subscribers (address, name, language, status, created_at, updated_at, consent_at, "
            "consent_method, consent_version, consent_ip, confirmed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (address, one_line(name), language, status, stamp, stamp, consent.at, consent.method, consent.version,
             consent.ip, confirmed))
        self.db.executemany("INSERT INTO memberships (address, list) VALUES (?, ?)", [(address, x) for x in lists])
        if status in STOPPED:  # imported from a list where they had already said stop: keep that
            self.db.execute("UPDATE subscribers SET unsubscribed_at = ?, unsubscribe_reason = ? WHERE address = ?",
                            (stamp, f"imported as {status}", address))

    def subscribe(self, address: str, *, name: str = "", language: str, lists: Iterable[str],
                  ip: str | None = None) -> Subscriber:
        """A subscription from the form, waiting for its confirmation; the subscriber as stored now.

        A new address is stored as pending. For an address that had stopped, the record stays as it is
        (status, reason, history) and the request waits beside it: only confirming, the person's own new
        consent, brings it back. An active subscriber is left as they are.
        """
        address = normalise_address(address)
        language = self.check_language(language)
        chosen = self.check_lists(lists) or ("newsletter",)
        consent = Consent("form", version=self.config.subscribers.consent_version, ip=ip)
        with self.db.transaction():
            existing = self.db.row("SELECT status FROM subscribers WHERE address = ?", (address,))
            if existing is None:
                self._insert_pending(address, name, language, chosen, consent)
            elif existing["status"] == "pending":  # a new request replaces the unconfirmed one
                self.db.execute("DELETE FROM subscribers WHERE address = ?", (address,))
                self._insert_pending(address, name, language, chosen, consent)
            elif existing["status"] in STOPPED:
                self.db.execute("DELETE FROM requests WHERE address = ?", (address,))
                self.db.execute(
                    "INSERT INTO requests (address, name, language, lists, created_at, consent_version, consent_ip) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (address, one_line(name), language, ",".join(chosen), consent.at, consent.version, consent.ip))
        return self.require(address)

    def _request(self, address: str) -> dict[str, Any] | None:
        """The form request waiting beside a stopped record, if any (`subscribe`)."""
        return self.db.row("SELECT name, language, lists, created_at, consent_version, consent_ip "
                           "FROM requests WHERE address = ?", (address,))

    def awaits_confirmation(self, subscriber: Subscriber) -> bool:
        """True if confirming would make this subscriber active: pending, or stopped with a request."""
        if subscriber.status == "pending":
            return True
        return subscriber.status in STOPPED and self._request(subscriber.address) is not None

    def _insert_pending(self, address: str, name: str, language: str, lists: tuple[str, ...],
                        consent: Consent) -> None:
        stamp = now()
        self.db.execute(
            "INSERT INTO subscribers (address, name, language, status, created_at, updated_at, consent_at, "
            "consent_method, consent_version, consent_ip) VALUES (?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?)",
            (address, one_line(name), language, stamp, stamp, consent.at, consent.method, consent.version,
             consent.ip))
        self.db.executemany("INSERT INTO memberships (address, list) VALUES (?, ?)", [(address, x) for x in lists])

    def confirm(self, address: str) -> Subscriber:
        """Double opt-in done: a pending subscriber, or a stopped one with a request, becomes active."""
        subscriber = self.require(address)
        stamp = now()
        with self.db.transaction():
            if subscriber.status == "pending":
                self.db.execute("UPDATE subscribers SET status = 'active', confirmed_at = ?, updated_at = ?, "
                                "unsubscribed_at = NULL, unsubscribe_reason = NULL, soft_bounces = 0 "
                                "WHERE address = ?", (stamp, stamp, subscriber.address))
            elif subscriber.status in STOPPED:
                request = self._request(subscriber.address)
                if request is None:
                    return subscriber
                self.db.execute(
                    "UPDATE subscribers SET status = 'active', name = ?, language = ?, consent_at = ?, "
                    "consent_method = 'form', consent_version = ?, consent_ip = ?, confirmed_at = ?, updated_at = ?, "
                    "unsubscribed_at = NULL, unsubscribe_reason = NULL, soft_bounces = 0, last_bounce = NULL "
                    "WHERE address = ?",
                    (request["name"], request["language"], request["created_at"], request["consent_version"],
                     request["consent_ip"], stamp, stamp, subscriber.address))
                self.db.execute("DELETE FROM memberships WHERE address = ?", (subscriber.address,))
                self.db.executemany("INSERT INTO memberships (address, list) VALUES (?, ?)",
                                    [(subscriber.address, x) for x in request["lists"].split(",") if x])
                self.db.execute("DELETE FROM requests WHERE address = ?", (subscriber.address,))
            else:
                return subscriber
            key = self._suppression_key()
            if key is not None:  # they came back by themselves: their new consent lifts the suppression
                self.db.execute("DELETE FROM suppressions WHERE hash = ?",
                                (tokens.address_hash(subscriber.address, key),))
        return self.require(subscriber.address)

    def set_preferences(self, address: str, *, language: str, lists: Iterable[str], name: str | None = None
                        ) -> Subscriber:
        """Change a subscriber's language and lists; no list at all means unsubscribing."""
        subscriber = self.require(address)
        language = self.check_language(language)
        chosen = self.check_lists(lists)
        if not chosen:
            return self.unsubscribe(subscriber.address, "preferences: no list chosen")
        with self.db.transaction():
            self.db.execute("UPDATE subscribers SET language = ?, name = ?, updated_at = ? WHERE address = ?",
                            (language, subscriber.name if name is None else one_line(name), now(), subscriber.address))
            self.db.execute("DELETE FROM memberships WHERE address = ?", (subscriber.address,))
            self.db.executemany("INSERT INTO memberships (address, list) VALUES (?, ?)",
                                [(subscriber.address, x) for x in chosen])
        return self.require(subscriber.address)

    def unsubscribe(self, address: str, reason: str, lists: Iterable[str] | None = None) -> Subscriber:
        """Stop sending to an address (or only some of its lists); idempotent."""
        subscriber = self.require(address)
        with self.db.transaction():
            if lists is not None:
                for name in self.check_lists(lists):
                    self.db.execute("DELETE FROM memberships WHERE address = ? AND list = ?",
                                    (subscriber.address, name))
                if self.db.scalar("SELECT COUNT(*) FROM memberships WHERE address = ?", (subscriber.address,)):
                    return self.require(subscriber.address)
            self._stop(subscriber, "unsubscribed", reason)
        return self.require(subscriber.address)

    def _stop(self, subscriber: Subscriber, status: str, reason: str) -> None:
        if subscriber.status in STOPPED and status == "unsubscribed":
            return  # already stopped: the first reason stays
        stamp = now()
        self.db.execute("UPDATE subscribers SET status = ?, unsubscribed_at = ?, unsubscribe_reason = ?, "
                        "updated_at = ? WHERE address = ?", (status, stamp, reason, stamp, subscriber.address))

    def record_bounce(self, address: str, kind: str, detail: str, key: str | None = None) -> Subscriber | None:
        """A returned message: `hard` and `complaint` stop the address at once, `soft` after the configured run.

        `key` names the returned message: one already recorded for this address under that key changes nothing.
        """
        subscriber = self.get(address)
        if subscriber is None:
            return None
        with self.db.transaction():
            if key is not None:
                if self.db.scalar("SELECT COUNT(*) FROM bounces_seen WHERE address = ? AND key = ?",
                                  (subscriber.address, key)):
                    return subscriber
                self.db.execute("INSERT INTO bounces_seen (address, key, at) VALUES (?, ?, ?)",
                                (subscriber.address, key, now()))
            if kind == "complaint":
                self._stop(subscriber, "complained", f"complaint: {detail}")
            elif kind == "hard":
                self._stop(subscriber, "bounced", f"hard bounce: {detail}")
            else:
                count = subscriber.soft_bounces + 1
                self.db.execute("UPDATE subscribers SET soft_bounces = ?, last_bounce = ?, updated_at = ? "
                                "WHERE address = ?", (count, now(), now(), subscriber.address))
                if count >= self.config.subscribers.soft_bounce_limit and subscriber.status == "active":
                    self._stop(subscriber, "bounced", f"{count} soft bounces in a row: {detail}")
        return self.require(subscriber.address)

    def delivered(self, address: str) -> None:
        """A message was accepted: the run of soft bounces is broken."""
        self.db.execute("UPDATE subscribers SET soft_bounces = 0 WHERE address = ? AND soft_bounces > 0", (address,))

    def expire_pending(self) -> int:
        """Delete subscriptions left unconfirmed for longer than `subscribers.pending_days`; returns how many."""
        limit = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=self.config.subscribers.pending_days)
        cutoff = limit.replace(microsecond=0).isoformat()
        with self.db.transaction():
            count = self.db.scalar("SELECT COUNT(*) FROM subscribers WHERE status = 'pending' AND created_at < ?",
                                   (cutoff,))
            self.db.execute("DELETE FROM subscribers WHERE status = 'pending' AND created_at < ?", (cutoff,))
            count += self.db.scalar("SELECT COUNT(*) FROM requests WHERE created_at < ?", (cutoff,))
            self.db.execute("DELETE FROM requests WHERE created_at < ?", (cutoff,))
        return count

    # ------------------------------------------------------------ GDPR

    def export(self, address: str) -> dict[str, Any]:
        """Everything stored about one person (GDPR art. 15): their record, lists and every message sent."""
        subscriber = self.require(address)
        sends = self.db.rows("SELECT campaign, language, state, message_id, reply, attempts, updated_at "
                             "FROM send_log WHERE address = ? ORDER BY campaign", (subscriber.address,))
        request = self._request(subscriber.address)
        data: dict[str, Any] = {"subscriber": subscriber.as_dict(), "messages": sends}
        if request is not None:
            data["unconfirmed_request"] = {**request, "lists": request["lists"].split(",")}
        return data

    def forget(self, address: str) -> bool:
        """Erase a person (GDPR art. 17), keeping only a keyed hash so no import brings them back.

        Returns False if the address was not stored (its hash is added all the same)."""
        address = normalise_address(address)
        key = tokens.secret()
        with self.db.transaction():
            existed = self.db.scalar("SELECT COUNT(*) FROM subscribers WHERE address = ?", (address,)) > 0
            self.db.execute("DELETE FROM send_log WHERE address = ?", (address,))
            self.db.execute("DELETE FROM memberships WHERE address = ?", (address,))
            self.db.execute("DELETE FROM requests WHERE address = ?", (address,))
            self.db.execute("DELETE FROM bounces_seen WHERE address = ?", (address,))
            self.db.execute("DELETE FROM subscribers WHERE address = ?", (address,))
            self.db.execute("INSERT INTO suppressions (hash, reason, at) VALUES (?, 'forgotten', ?) "
                            "ON CONFLICT (hash) DO NOTHING", (tokens.address_hash(address, key), now()))
        return existed
