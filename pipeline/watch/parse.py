"""Feed bodies (RSS, Atom, JSON Feed) parsed from bytes, never from a URL, into normalised entries.

RSS and Atom go through feedparser; JSON Feed 1.0/1.1 through the standard library. Both
become `RawEntry` values that one normaliser turns into `Entry`: text titles, sanitised
summaries, canonical links, stable keys, sizes capped by `ParseLimits`.
"""

from __future__ import annotations

import calendar
import hashlib
import io
import json
import re
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import feedparser

from pipeline.errors import FeedError
from pipeline.watch.languages import language_code
from pipeline.watch.links import canonical_link, is_web_url
from pipeline.watch.models import Entry, ParsedFeed, ParseLimits
from pipeline.watch.sanitize import MAX_DEPTH, flat_text, html_to_text, nesting_depth, sanitize_html, text_to_html
from pipeline.watch.titles import fallback_title

_SPACE = re.compile(r"\s+")
_HTML_START = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html)\b", re.IGNORECASE | re.DOTALL)
# Character references to what XML forbids (surrogates, NUL, most C0 controls, FFFE/FFFF):
# one of them makes feedparser fail on the whole feed, so they become U+FFFD first.
_CHAR_REF = re.compile(rb"&#(?:[xX]([0-9a-fA-F]{1,8})|([0-9]{1,10}));")
MAX_KEY = 500
# Dates before this are placeholders (0001-01-01, the Unix epoch), not publication dates.
EARLIEST_DATE = datetime(1990, 1, 1, tzinfo=UTC)
_PERIODS = {"hourly": 3600, "daily": 86400, "weekly": 7 * 86400, "monthly": 30 * 86400, "yearly": 365 * 86400}
_JSON_FEED = re.compile(rb'^\s*\{.*?"version"\s*:\s*"https?://jsonfeed\.org/version/1', re.DOTALL)
_HTML_TYPES = {"text/html", "application/xhtml+xml", "html", "xhtml"}


@dataclass(frozen=True)
class RawEntry:
    """One entry as the feed gives it, whatever its format, before normalising."""

    id: str
    link: str
    title: str
    title_is_html: bool
    summary: str
    summary_is_html: bool
    base: str
    published: datetime | None
    author: str
    language: str


def strip_doctype(body: bytes) -> tuple[bytes, bool]:
    """Remove the DOCTYPE from the prolog; True if it declared entities.

    Feeds have no use for DTDs, and internal entity declarations are how "billion
    laughs" and external-entity (XXE) attacks start. feedparser already refuses
    external entities; this removes the whole attack surface before it runs. The
    prolog is walked (declaration, comments, processing instructions), so a
    "<!DOCTYPE" written inside a comment is left alone.
    """
    pos, limit = 0, min(len(body), 65536)
    while pos < limit:
        while pos < limit and body[pos : pos + 1].isspace():
            pos += 1
        if body.startswith(b"\xef\xbb\xbf", pos):
            pos += 3
        elif body.startswith(b"<?", pos):
            end = body.find(b"?>", pos)
            if end == -1:
                return body, False
            pos = end + 2
        elif body.startswith(b"<!--", pos):
            end = body.find(b"-->", pos + 4)
            if end == -1:
                return body, False
            pos = end + 3
        elif body[pos : pos + 9].upper() == b"<!DOCTYPE":
            bracket, close = body.find(b"[", pos), body.find(b">", pos)
            if close == -1:
                return body, False
            if bracket != -1 and bracket < close:
                end = re.compile(rb"\]\s*>").search(body, bracket)
                stop = end.end() if end else len(body)
                return body[:pos] + body[stop:], b"<!ENTITY" in body[bracket:stop].upper()
            return body[:pos] + body[close + 1 :], False
        else:
            return body, False  # the root element: the prolog is over
    return body, False


def replace_bad_char_refs(body: bytes) -> tuple[bytes, int]:
    """Character references to characters XML forbids replaced by U+FFFD; how many were."""
    if b"&#" not in body:
        return body, 0
    count = 0

    def fix(match: re.Match[bytes]) -> bytes:
        nonlocal count
        hex_digits, decimal = match.groups()
        code = int(hex_digits, 16) if hex_digits else int(decimal)
        if code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or 0x10000 <= code <= 0x10FFFF:
            return match.group(0)
        count += 1
        return b"&#xFFFD;"

    return _CHAR_REF.sub(fix, body), count


def parse_feed(
    body: bytes, headers: Mapping[str, str], url: str, language: str = "", limits: ParseLimits | None = None
) -> ParsedFeed:
    """Parse a fetched body into normalised entries; raise `FeedError` if it is not a feed.

    `headers` are the response's (content type, language) and `url` is where the body
    came from: relative links are resolved against it. `language` is the feed's
    configured language, used when neither the entries nor the feed declare one.
    """
    limits = limits or ParseLimits()
    response_headers = {k.lower(): v for k, v in headers.items() if k.lower() in _PASSED_HEADERS}
    warnings: Counter[str] = Counter()
    if _is_json_feed(body, response_headers):
        title, declared, raws, refresh = _read_json_feed(body, url)
    else:
        title, declared, raws, refresh = _read_xml_feed(body, response_headers, url, warnings)
    feed_language = declared or language_code(response_headers.get("content-language")) or language_code(language)
    entries: dict[str, Entry] = {}
    normaliser = _Normaliser(url, feed_language, limits, warnings)
    seen = 0
    for raw in raws:
        seen += 1
        if len(entries) >= limits.max_entries:
            continue
        entry = normaliser.entry(raw)
        if entry is None:
            continue
        entries.setdefault(entry.key, entry)  # a repeated guid keeps its first entry
    if seen > limits.max_entries:
        warnings[f"{seen} entries, the first {limits.max_entries} kept (watch.max_entries)"] += 1
    return ParsedFeed(
        title=_cap(title, limits.max_title, warnings, None),
        language=feed_language,
        entries=tuple(entries.values()),
        warning="; ".join(_counted(warnings)) or None,
        refresh=refresh,
    )


_PASSED_HEADERS = {"content-type", "content-language"}


def _counted(warnings: Counter[str]) -> Iterable[str]:
    for message, count in warnings.items():
        yield f"{message} ({count} entries)" if count > 1 else message


def _read_xml_feed(body: bytes, headers: dict[str, str], url: str, warnings: Counter[str]):
    body, had_entities = strip_doctype(body)
    body, replaced = replace_bad_char_refs(body)
    parsed = feedparser.parse(
        io.BytesIO(body),
        response_headers={**headers, "content-location": url},
        # nh3 sanitises with a stricter allow-list and resolves relative links in the same
        # pass, much faster than feedparser's own HTML processing of each entry.
        sanitize_html=False,
        resolve_relative_uris=False,
    )
    if not parsed.get("version") and not parsed.entries:
        raise FeedError(f"{url}: {_not_a_feed(body, headers)}")
    if had_entities:
        warnings["entity declarations removed"] += 1
    if replaced:
        warnings[f"{replaced} invalid character reference(s) replaced by U+FFFD"] += 1
    if parsed.bozo:
        exc = parsed.get("bozo_exception")
        warnings[f"malformed feed, usable entries kept ({type(exc).__name__}: {exc})"] += 1
    feed = parsed.feed
    detail = feed.get("title_detail") or {}
    title = _title(feed.get("title", ""), detail.get("type", "text/plain") in _HTML_TYPES)
    return title, language_code(feed.get("language")), map(_from_feedparser, parsed.entries), _refresh(feed)


def _from_feedparser(entry: Mapping) -> RawEntry:
    raw = dict(entry)  # plain dict lookups: FeedParserDict's own are slow
    detail = raw.get("summary_detail")
    summary = raw.get("summary", "")
    if not summary and raw.get("content"):
        detail = raw["content"][0]
        summary = detail.get("value", "")
    detail = detail or {}
    title_detail = raw.get("title_detail") or {}
    link = raw.get("link") or ""
    if raw.get("guidislink") and not is_web_url(link):
        link = ""  # feedparser made a link of a guid that is no address
    return RawEntry(
        id=str(raw.get("id") or "").strip(),
        link=link,
        title=raw.get("title", ""),
        title_is_html=title_detail.get("type", "text/plain") in _HTML_TYPES,
        summary=summary,
        summary_is_html=detail.get("type", "text/html") != "text/plain",
        base=detail.get("base") or "",
        published=_struct_date(raw.get("published_parsed")) or _struct_date(raw.get("updated_parsed")),
        author=str(raw.get("author", "")),
        language=_entry_language(raw),
    )


def _refresh(feed: Mapping) -> float | None:
    """Seconds between updates the feed declares (RSS ttl in minutes, or sy:updatePeriod)."""
    ttl = str(feed.get("ttl") or "").strip()
    if ttl.isdigit() and int(ttl) > 0:
        return int(ttl) * 60.0
    period = _PERIODS.get(str(feed.get("sy_updateperiod") or "").strip().lower())
    if period:
        frequency = str(feed.get("sy_updatefrequency") or "1").strip()
        return period / (int(frequency) if frequency.isdigit() and int(frequency) > 0 else 1)
    return None


def _is_json_feed(body: bytes, headers: Mapping[str, str]) -> bool:
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in ("application/feed+json", "application/json") and body.lstrip()[:1] == b"{":
        return True
    return bool(_JSON_FEED.match(body[:4096]))


def _read_json_feed(body: bytes, url: str):
    """A JSON Feed 1.0 or 1.1 (https://jsonfeed.org/version/1.1)."""
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise FeedError(f"{url}: the body is not valid JSON ({exc}); check the feed address") from None
    if not isinstance(data, dict) or not str(data.get("version", "")).startswith(("https://jsonfeed.org/version/1",
                                                                                 "http://jsonfeed.org/version/1")):
        raise FeedError(f"{url}: JSON, but not a JSON Feed (no jsonfeed.org version); check the feed address")
    items = data.get("items")
    if not isinstance(items, list):
        raise FeedError(f"{url}: a JSON Feed without an items list")
    authors = _json_authors(data)
    language = language_code(_json_str(data.get("language")))
    entries = (_from_json_item(item, authors) for item in items if isinstance(item, dict))
    return _json_str(data.get("title")), language, entries, None


def _from_json_item(item: Mapping, feed_authors: str) -> RawEntry:
    html = _json_str(item.get("content_html"))
    text = _json_str(item.get("content_text"))
    summary = _json_str(item.get("summary"))
    body, is_html = (html, True) if html else ((text, False) if text else (summary, False))
    return RawEntry(
        id=_json_str(item.get("id")),
        link=_json_str(item.get("url")) or _json_str(item.get("external_url")),
        title=_json_str(item.get("title")),
        title_is_html=False,
        summary=body,
        summary_is_html=is_html,
        base="",
        published=_iso_date(item.get("date_published")) or _iso_date(item.get("date_modified")),
        author=_json_authors(item) or feed_authors,
        language=language_code(_json_str(item.get("language"))),
    )


def _json_str(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)  # ids may be numbers in the wild
    return ""


def _json_authors(data: Mapping) -> str:
    authors = data.get("authors")
    if not isinstance(authors, list):
        authors = [data.get("author")]  # JSON Feed 1.0
    return ", ".join(_json_str(a.get("name")) for a in authors if isinstance(a, dict) and _json_str(a.get("name")))


def _iso_date(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _not_a_feed(body: bytes, headers: Mapping[str, str]) -> str:
    if "html" in headers.get("content-type", "").lower() or _HTML_START.match(body[:4096]):
        return (
            "the address returns an HTML page, not RSS or Atom; "
            "use the site's feed link (often ending in /feed or /rss)"
        )
    if not body.strip():
        return "the server sent an empty body; check the feed address"
    return "the body is not RSS, Atom or JSON Feed; check the feed address"


class _Normaliser:
    """Turns the raw entries of one feed into `Entry` values, counting what it had to change."""

    def __init__(self, base: str, feed_language: str, limits: ParseLimits, warnings: Counter[str]):
        self.base = base
        self.feed_language = feed_language
        self.limits = limits
        self.warnings = warnings
        self.html_seconds = 0.0

    def entry(self, raw: RawEntry) -> Entry | None:
        """The normalised entry; None for one that readers could neither name nor open."""
        limits, warnings = self.limits, self.warnings
        link = canonical_link(raw.link[: limits.max_link + 1], self.base) if raw.link else None
        if link and len(link) > limits.max_link:
            link = None
            warnings[f"link longer than {limits.max_link} characters dropped"] += 1
        title = _cap(_title(raw.title, raw.title_is_html), limits.max_title, warnings, "title")
        if not title and not link:
            warnings["entry without title or link dropped"] += 1
            return None
        published = raw.published
        if published is not None and published < EARLIEST_DATE:
            published = None
            warnings["date before 1990 treated as missing"] += 1
        summary = self.summary(raw)
        key = _key(raw.id, link, title, published, raw.summary)  # before any made-up title: stable
        if not title:
            # An empty title became an empty link in the digest (no accessible name) and an
            # empty heading on the curation page.
            title = _cap(fallback_title(html_to_text(summary), link), limits.max_title, warnings, None)
            warnings["entry without a title titled from its summary or link"] += 1
        return Entry(
            key=key,
            link=link,
            title=title,
            summary=summary,
            published=published,
            author=_cap(_SPACE.sub(" ", raw.author).strip(), limits.max_author, warnings, "author name"),
            language=raw.language or self.feed_language,
        )

    def summary(self, raw: RawEntry) -> str:
        """The sanitised summary, its work bounded: size, nesting depth, time per feed."""
        limits, warnings = self.limits, self.warnings
        value = raw.summary
        if len(value) > limits.max_summary:
            value = value[: limits.max_summary]
            if raw.summary_is_html and value.rfind("<") > value.rfind(">"):
                value = value[: value.rfind("<")]  # no tag cut in two
            warnings[f"summary cut to {limits.max_summary} characters (watch.max_summary_chars)"] += 1
        if not raw.summary_is_html:
            return text_to_html(_SPACE.sub(" ", value))
        if self.html_seconds > limits.html_budget:
            warnings["summary kept as plain text: this feed's HTML took too long to clean"] += 1
            return text_to_html(flat_text(value))
        if nesting_depth(value) > MAX_DEPTH:
            warnings[f"summary HTML nested deeper than {MAX_DEPTH} levels, kept as plain text"] += 1
            return text_to_html(flat_text(value))
        started = time.perf_counter()
        cleaned = sanitize_html(value, raw.base or self.base)
        self.html_seconds += time.perf_counter() - started
        return cleaned


def _title(value: str, is_html: bool) -> str:
    """Titles as text: markup is dropped from an HTML title only; a text title is kept as written."""
    return html_to_text(value) if is_html else _SPACE.sub(" ", value).strip()


def _cap(text: str, limit: int, warnings: Counter[str], what: str | None) -> str:
    if len(text) <= limit:
        return text
    if what:
        warnings[f"{what} cut to {limit} characters"] += 1
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip() + "…"


def _key(guid: str, link: str | None, title: str, published: datetime | None, summary: str) -> str:
    """An entry's identity in its feed: its guid; else its link and title; else title, date (and text).

    A long guid is hashed whole, never cut, so guids sharing a long prefix stay apart.
    Without guid or link, the date (or the text) tells same-title entries apart.
    """
    if guid:
        return guid if len(guid) <= MAX_KEY else "sha256:" + hashlib.sha256(guid.encode()).hexdigest()
    if link:
        seed = f"{link}\n{title}"
    else:
        when = published.isoformat() if published else hashlib.sha1(summary.encode()).hexdigest()
        seed = f"\n{title}\n{when}"
    return "sha1:" + hashlib.sha1(seed.encode()).hexdigest()


def _struct_date(parsed: tuple | None) -> datetime | None:
    if not parsed:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), UTC)
    except (OverflowError, ValueError, OSError):
        return None


def _entry_language(raw: Mapping) -> str:
    for key in ("summary_detail", "title_detail"):
        detail = raw.get(key)
        if detail and detail.get("language"):
            return language_code(detail["language"])
    return ""
