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
                found += [str(v) for v in fields.get_all("Original-Rcpt-To", [])]
            elif isinstance(payload, str):
                found += [line.split(":", 1)[1].strip() for line in payload.splitlines()
                          if line.lower().startswith("original-rcpt-to:")]
        elif kind in ("message/rfc822", "text/rfc822-headers") and not found:
            payload = part.get_payload()
            original = payload[0] if isinstance(payload, list) and payload else \
                email.message_from_string(str(payload))
            found += [addr for _, addr in email.utils.getaddresses(original.get_all("To", []))]
    return found


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
        for raw, kind in found:
            try:
                address = normalise_address(raw)
            except MailError:
                continue
            before = store.get(address)
            if before is None:
                report.unknown.append(address)
                continue
            {"hard": report.hard, "soft": report.soft, "complaint": report.complaints}[kind].append(address)
            after = store.record_bounce(address, kind, detail)
            if after is not None and before.status == "active" and after.status != "active":
                report.stopped.append(address)
    return report
