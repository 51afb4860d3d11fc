"""Feed bodies parsed with feedparser (from bytes, never from a URL) into normalised entries."""

from __future__ import annotations

import calendar
import hashlib
import io
import re
from collections.abc import Mapping
from datetime import UTC, datetime

import feedparser

from pipeline.errors import FeedError
from pipeline.watch.links import canonical_link
from pipeline.watch.models import Entry, ParsedFeed
from pipeline.watch.sanitize import html_to_text, sanitize_html, text_to_html

_DOCTYPE = re.compile(rb"<!DOCTYPE\b", re.IGNORECASE)
_SUBSET_END = re.compile(rb"\]\s*>")
_ROOT_TAG = re.compile(rb"<[A-Za-z]")
_SPACE = re.compile(r"\s+")
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}")
_HTML_START = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html)\b", re.IGNORECASE | re.DOTALL)
MAX_KEY = 500


def strip_doctype(body: bytes) -> tuple[bytes, bool]:
    """Remove the DOCTYPE from the prolog; True if it declared entities.

    Feeds have no use for DTDs, and internal entity declarations are how "billion
    laughs" and external-entity (XXE) attacks start. feedparser already refuses
    external entities; this removes the whole attack surface before it runs.
    """
    match = _DOCTYPE.search(body, 0, 65536)
    if match is None:
        return body, False
    root = _ROOT_TAG.search(body, 0, match.start())
    if root is not None:  # a DOCTYPE after the root element is just text
        return body, False
    bracket, close = body.find(b"[", match.end()), body.find(b">", match.end())
    if close == -1:
        return body, False
    if bracket != -1 and bracket < close:
        end = _SUBSET_END.search(body, bracket)
        stop = end.end() if end else len(body)
        return body[: match.start()] + body[stop:], b"<!ENTITY" in body[bracket:stop].upper()
    return body[: match.start()] + body[close + 1 :], False


def parse_feed(body: bytes, headers: Mapping[str, str], url: str, language: str = "") -> ParsedFeed:
    """Parse a fetched body into normalised entries; raise `FeedError` if it is not a feed.

    `headers` are the response's (content type, language) and `url` is where the body
    came from: relative links are resolved against it. `language` is the feed's
    configured language, used when neither the entries nor the feed declare one.
    """
    body, had_entities = strip_doctype(body)
    response_headers = {k.lower(): v for k, v in headers.items() if k.lower() in _PASSED_HEADERS}
    response_headers["content-location"] = url
    parsed = feedparser.parse(
        io.BytesIO(body),
        response_headers=response_headers,
        # nh3 sanitises with a stricter allow-list and resolves relative links in the same
        # pass, much faster than feedparser's own HTML processing of each entry.
        sanitize_html=False,
        resolve_relative_uris=False,
    )
    if not parsed.get("version") and not parsed.entries:
        raise FeedError(f"{url}: {_not_a_feed(body, response_headers)}")
    warning = None
    if parsed.bozo:
        exc = parsed.get("bozo_exception")
        warning = f"malformed feed, usable entries kept ({type(exc).__name__}: {exc})"
    if had_entities:
        warning = "entity declarations removed" + (f"; {warning}" if warning else "")
    feed_language = (
        _language(parsed.feed.get("language"))
        or _language(response_headers.get("content-language"))
        or _language(language)
    )
    entries: dict[str, Entry] = {}
    for raw in parsed.entries:
        entry = _normalise(raw, url, feed_language)
        entries.setdefault(entry.key, entry)  # a repeated guid keeps its first entry
    title = _text(parsed.feed.get("title", ""))
    return ParsedFeed(title=title, language=feed_language, entries=tuple(entries.values()), warning=warning)


_PASSED_HEADERS = {"content-type", "content-language"}


def _not_a_feed(body: bytes, headers: Mapping[str, str]) -> str:
    if "html" in headers.get("content-type", "").lower() or _HTML_START.match(body[:4096]):
        return (
            "the address returns an HTML page, not RSS or Atom; "
            "use the site's feed link (often ending in /feed or /rss)"
        )
    if not body.strip():
        return "the server sent an empty body; check the feed address"
    return "the body is not RSS or Atom; check the feed address"


def _normalise(entry: Mapping, base: str, feed_language: str) -> Entry:
    raw = dict(entry)  # plain dict lookups: FeedParserDict's own are slow
    link = canonical_link(raw.get("link"), base)
    title = _text(raw.get("title", ""))
    key = str(raw.get("id") or "").strip()[:MAX_KEY]
    if not key:
        key = "sha1:" + hashlib.sha1(f"{link or ''}\n{title}".encode()).hexdigest()
    return Entry(
        key=key,
        link=link,
        title=title,
        summary=_summary(raw, base),
        published=_date(raw.get("published_parsed")) or _date(raw.get("updated_parsed")),
        author=_SPACE.sub(" ", str(raw.get("author", ""))).strip(),
        language=_entry_language(raw) or feed_language,
    )


def _text(value: str) -> str:
    """Titles as text. Feeds often put escaped markup in titles, so even a "plain" title
    goes through the HTML-to-text step: markup is dropped, never kept as text."""
    return html_to_text(value)


def _summary(raw: Mapping, base: str) -> str:
    detail = raw.get("summary_detail")
    value = raw.get("summary", "")
    if not value and raw.get("content"):
        detail = raw["content"][0]
        value = detail.get("value", "")
    if detail and detail.get("type") == "text/plain":
        return text_to_html(value)
    return sanitize_html(value, (detail or {}).get("base") or base)


def _date(parsed: tuple | None) -> datetime | None:
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
            return _language(detail["language"])
    return ""


def _language(value: str | None) -> str:
    match = _LANGUAGE.match(value or "")
    return match.group(0).lower() if match else ""
