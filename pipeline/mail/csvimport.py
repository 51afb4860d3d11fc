"""CSV import of subscribers: crebis's own columns, a Mailchimp audience export or a listmonk export.

Every line is checked before anything is written; a bad line stops the whole import
(each one reported with its line number and reason) unless `skip_invalid`. An address
that unsubscribed, bounced, complained or was forgotten is never brought back.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.errors import MailError
from pipeline.mail.store import STOPPED, Consent, SubscriberStore, normalise_address, now

# Header names (lower-cased) of each source, by what crebis reads from them.
ADDRESS = ("email", "email address", "e-mail", "address", "courriel", "e-mailadres")
NAME = ("name", "full name")
FIRST, LAST = ("first name", "fname", "prénom", "voornaam"), ("last name", "lname", "nom", "achternaam")
LANGUAGE = ("language", "lang", "langue", "taal")
LISTS = ("lists", "list")
CONSENT_TIME = ("confirm_time", "optin_time", "created_at", "consent_at")
CONSENT_IP = ("confirm_ip", "optin_ip", "consent_ip")
# Mailchimp's unsubscribed and cleaned exports, listmonk's status column: people who said stop.
UNSUB_TIME, CLEAN_TIME, STATUS = ("unsub_time",), ("clean_time",), ("status",)


@dataclass
class ImportReport:
    """What an import did (or, when it refused, would have done)."""

    added: list[str] = field(default_factory=list)
    added_stopped: list[str] = field(default_factory=list)
    skipped: list[tuple[int, str, str]] = field(default_factory=list)
    invalid: list[tuple[int, str]] = field(default_factory=list)


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    lowered = [h.strip().lower() for h in header]
    for name in names:
        if name in lowered:
            return lowered.index(name)
    return None


def _language(value: str, languages: tuple[str, ...]) -> str | None:
    code = value.strip().lower().replace("-", "_").split("_")[0]
    return code if code in languages else None


def _time(value: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}.*", value):
        return value.replace(" ", "T", 1)
    return None


def read_rows(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise MailError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise MailError(f"{path}: not UTF-8 text: save the CSV as UTF-8 and import it again") from None
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        header = next(reader)
    except StopIteration:
        raise MailError(f"{path}: the file is empty: the first line must name the columns (email, name, "
                        "language, lists)") from None
    rows = []
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                rows.append((reader.line_num, row))
    except csv.Error as exc:
        raise MailError(f"{path}:{reader.line_num}: not valid CSV ({exc})") from None
    return header, rows


def import_csv(store: SubscriberStore, path: Path, *, lists: tuple[str, ...] = (), language: str | None = None,
               skip_invalid: bool = False) -> ImportReport:
    """Import subscribers from a CSV file into `store`, all or nothing unless `skip_invalid`."""
    header, rows = read_rows(path)
    col = {key: _column(header, names) for key, names in (
        ("address", ADDRESS), ("name", NAME), ("first", FIRST), ("last", LAST), ("language", LANGUAGE),
        ("lists", LISTS), ("time", CONSENT_TIME), ("ip", CONSENT_IP), ("unsub", UNSUB_TIME),
        ("clean", CLEAN_TIME), ("status", STATUS), ("attributes", ("attributes",)))}
    if col["address"] is None:
        raise MailError(f"{path}:1: no email column: name it 'email' (or 'Email Address' as Mailchimp does)")
    default_lists = store.check_lists(lists or ("newsletter",))
    default_language = store.check_language(language) if language else store.languages[0]
    report = ImportReport()
    planned: list[tuple[str, str, str, tuple[str, ...], Consent, str]] = []
    seen: dict[str, int] = {}

    def cell(row: list[str], key: str) -> str:
        index = col[key]
        return row[index].strip() if index is not None and index < len(row) else ""

    for line, row in rows:
        raw = cell(row, "address")
        try:
            address = normalise_address(raw)
        except MailError as exc:
            report.invalid.append((line, str(exc) if raw else "the email cell is empty"))
            continue
        if address in seen:
            report.invalid.append((line, f"{address} is already on line {seen[address]}"))
            continue
        seen[address] = line
        name = cell(row, "name") or " ".join(x for x in (cell(row, "first"), cell(row, "last")) if x)
        attributes: dict = {}
        if cell(row, "attributes"):
            try:
                attributes = json.loads(cell(row, "attributes"))
            except json.JSONDecodeError:
                report.invalid.append((line, "the attributes cell is not JSON (listmonk writes it as JSON)"))
                continue
            if not isinstance(attributes, dict):
                attributes = {}
        given_language = cell(row, "language") or str(attributes.get("language") or attributes.get("lang") or "")
        lang = default_language
        if given_language:
            found = _language(given_language, store.languages)
            if found is None:
                report.invalid.append((line, f"unknown language {given_language!r}: use one of "
                                             f"{', '.join(store.languages)}"))
                continue
            lang = found
        chosen = default_lists
        if cell(row, "lists"):
            names = [x.strip() for x in re.split(r"[;,|]", cell(row, "lists")) if x.strip()]
            unknown = [x for x in names if x not in store.lists]
            if unknown:
                report.invalid.append((line, f"unknown list(s) {', '.join(unknown)}: use "
                                             f"{', '.join(store.lists)}"))
                continue
            chosen = tuple(dict.fromkeys(names))
        status = "active"
        listmonk_status = cell(row, "status").lower()
        if cell(row, "unsub") or listmonk_status in ("blocklisted", "unsubscribed"):
            status = "unsubscribed"
        elif cell(row, "clean"):
            status = "bounced"
        existing = store.get(address)
        if existing is not None:
            why = (f"{existing.status} earlier: never subscribed again by an import" if existing.status in STOPPED
                   else f"already {existing.status}")
            report.skipped.append((line, address, why))
            continue
        if store.is_suppressed(address):
            report.skipped.append((line, address, "asked to be forgotten: never subscribed again by an import"))
            continue
        consent = Consent("import", at=_time(cell(row, "time")) or now(),
                          version=store.config.subscribers.consent_version, ip=cell(row, "ip") or None)
        planned.append((address, name, lang, chosen, consent, status))

    if report.invalid and not skip_invalid:
        listed = "\n".join(f"  {path}:{line}: {reason}" for line, reason in report.invalid)
        raise MailError(f"{path}: {len(report.invalid)} bad line(s), nothing imported (fix them, or pass "
                        f"--skip-invalid to import the other lines):\n{listed}")
    with store.db.transaction():
        for address, name, lang, chosen, consent, status in planned:
            store.insert_new(address, name, lang, chosen, consent, status)
            (report.added if status == "active" else report.added_stopped).append(address)
    return report
