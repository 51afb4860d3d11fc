"""Returned mail and complaints: read an mbox or Maildir, find who bounced, and stop those addresses.

flufl.bounce recognises the delivery status notifications of the common mail servers
(RFC 3464 and the many older formats) and tells temporary from permanent failures.
ARF reports (RFC 5965, `multipart/report; report-type=feedback-report`), which mail
providers send when a reader clicks "spam", are complaints. A hard bounce or a
complaint stops the address at once; soft bounces after `subscribers.soft_bounce_limit`
in a row.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import mailbox
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path

from flufl.bounce import all_failures

from pipeline.errors import MailError
from pipeline.mail.store import SubscriberStore, normalise_address


@dataclass
class BounceReport:
    messages: int = 0
    hard: list[str] = field(default_factory=list)
    soft: list[str] = field(default_factory=list)
    complaints: list[str] = field(default_factory=list)
    stopped: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    """Addresses found in returned mail that are not subscribers."""
    unrecognised: int = 0
    """Messages in which no bounced address or complaint was found."""
    unreadable: list[str] = field(default_factory=list)
    """Addresses named in returned mail that are not valid addresses."""
    already: int = 0
    """Bounces and complaints read before (the same mailbox read again): not counted twice."""


def read_mailbox(source: Path) -> Iterator[Message]:
    """The messages of an mbox file or a Maildir folder."""
    if source.is_dir():
        if not (source / "cur").is_dir() and not (source / "new").is_dir():
            raise MailError(f"{source}: a folder that is not a Maildir (no cur/ or new/ in it)")
        box: mailbox.Mailbox = mailbox.Maildir(source, factory=None, create=False)
    elif source.is_file():
        box = mailbox.mbox(source, create=False)
    else:
        raise MailError(f"{source}: no such mbox file or Maildir folder")
    try:
        for key in box.iterkeys():
            raw = box.get_bytes(key)
            yield email.message_from_bytes(raw, policy=email.policy.compat32)
    finally:
        box.close()


def _quoted(part: Message) -> Message:
    """The original message (or its headers) a message/rfc822 or text/rfc822-headers part quotes."""
    payload = part.get_payload()
    return payload[0] if isinstance(payload, list) and payload else email.message_from_string(str(payload))


def _complaint_recipients(message: Message) -> list[str] | None:
    """The complained-about recipients of an ARF report, or None if `message` is not one."""
    if message.get_content_type() != "multipart/report" or \
            (message.get_param("report-type") or "").lower() != "feedback-report":
        return None
    found = []
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/feedback-report":
            payload = part.get_payload()
            fields = payload[0] if isinstance(payload, list) and payload else None
            if fields is not None:
                values = [str(v) for v in fields.get_all("Original-Rcpt-To", [])]
            elif isinstance(payload, str):
                values = [line.split(":", 1)[1].strip() for line in payload.splitlines()
                          if line.lower().startswith("original-rcpt-to:")]
            else:
                values = []
            # RFC 5965's own examples write the address in angle brackets.
            found += [v.strip().removeprefix("<").removesuffix(">").strip() for v in values]
        elif kind in ("message/rfc822", "text/rfc822-headers") and not found:
            found += [addr for _, addr in email.utils.getaddresses(_quoted(part).get_all("To", []))]
    return found


def message_key(message: Message) -> str:
    """What names the mail a returned message is about, so that it is counted once however often it is read
    (a server may warn of one delay several times): the Message-ID of our message quoted in it, else the
    returned message's own, else a digest of its bytes."""
    for part in message.walk():
        if part.get_content_type() in ("message/rfc822", "text/rfc822-headers"):
            original = _quoted(part)
            if original.get("Message-ID"):
                return "quoted " + str(original["Message-ID"]).strip()
    if message.get("Message-ID"):
        return "own " + str(message["Message-ID"]).strip()
    return "digest " + hashlib.sha256(message.as_bytes()).hexdigest()


def classify(message: Message) -> list[tuple[str, str]]:
    """(address, hard | soft | complaint) for each recipient this returned message is about."""
    complained = _complaint_recipients(message)
    if complained is not None:
        return [(a, "complaint") for a in complained]
    try:
        temporary, permanent = all_failures(message)
    except Exception:  # a detector can trip on odd mail (flufl.bounce's Yale one on a message without From)
        return []
    found = [(a.decode("utf-8", "replace"), "hard") for a in sorted(permanent)]
    found += [(a.decode("utf-8", "replace"), "soft") for a in sorted(temporary - permanent)]
    return found


def process_bounces(store: SubscriberStore, source: Path) -> BounceReport:
    """Read every returned message of `source` and record each bounce and complaint in `store`."""
    report = BounceReport()
    for message in read_mailbox(source):
        report.messages += 1
        found = classify(message)
        if not found:
            report.unrecognised += 1
        detail = str(message.get("Subject", "")).strip()[:200]
        key = message_key(message)
        for raw, kind in found:
            try:
                address = normalise_address(raw)
            except MailError:
                report.unreadable.append(raw)
                continue
            before = store.get(address)
            if before is None:
                report.unknown.append(address)
                continue
            after = store.record_bounce(address, kind, detail, key=f"{kind} {key}")
            if after == before:  # read before: counted then
                report.already += 1
                continue
            {"hard": report.hard, "soft": report.soft, "complaint": report.complaints}[kind].append(address)
            if after is not None and before.status == "active" and after.status != "active":
                report.stopped.append(address)
    return report
