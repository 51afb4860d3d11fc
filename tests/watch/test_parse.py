"""Parsing bodies: normalised entries, DOCTYPE removal, clear errors for what is not a feed."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import FeedError
from pipeline.watch.parse import parse_feed, strip_doctype

FIXTURES = Path(__file__).resolve().parent / "fixtures"
XML = {"content-type": "application/xml"}


def test_doctype_with_entities_is_removed_before_parsing():
    body = (FIXTURES / "billion_laughs.xml").read_bytes()
    stripped, had_entities = strip_doctype(body)
    assert had_entities and b"<!ENTITY" not in stripped and stripped.lstrip().startswith(b"<?xml")
    assert strip_doctype(b"<rss><!DOCTYPE x></rss>") == (b"<rss><!DOCTYPE x></rss>", False)
    assert strip_doctype(b'<!DOCTYPE rss PUBLIC "x" "y"><rss/>') == (b"<rss/>", False)


def test_rss_entry_is_normalised():
    feed = parse_feed((FIXTURES / "rss2.xml").read_bytes(), XML, "https://example.org/feed", "en")
    assert (feed.title, feed.language, feed.warning) == ("Le Forum – Bruxelles contre les inégalités", "fr", None)
    first = feed.entries[0]
    assert first.key == "forum-2024-001"
    assert first.link == "https://example.org/news/non-recours?id=7"
    assert first.published.isoformat() == "2024-03-05T08:30:00+00:00"


def test_entries_without_guid_get_a_stable_hash_id():
    body = b'<rss version="2.0"><channel><title>t</title><item><title>A</title><link>https://x/1</link></item></channel></rss>'
    one = parse_feed(body, XML, "https://x/feed").entries[0].key
    assert one.startswith("sha1:") and one == parse_feed(body, XML, "https://x/feed").entries[0].key


def test_configured_language_is_the_last_resort():
    body = b'<rss version="2.0"><channel><title>t</title><item><title>A</title><guid>1</guid></item></channel></rss>'
    assert parse_feed(body, XML, "https://x/feed", "nl").entries[0].language == "nl"
    assert parse_feed(body, {"content-language": "fr-BE", **XML}, "https://x/feed", "nl").language == "fr"


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"<!doctype html><html><body>x</body></html>", "text/html", "HTML page, not RSS or Atom"),
        (b"<html><body>x</body></html>", "application/octet-stream", "HTML page, not RSS or Atom"),
        (b"", "application/xml", "empty body"),
        (b'{"items": []}', "application/json", "not RSS or Atom"),
    ],
)
def test_what_is_not_a_feed_is_a_feed_error(body, content_type, message):
    with pytest.raises(FeedError, match=message):
        parse_feed(body, {"content-type": content_type}, "https://x/page")


def test_bytes_naming_a_local_file_are_parsed_as_bytes_not_opened():
    with pytest.raises(FeedError):
        parse_feed(b"/etc/passwd", XML, "https://x/feed")
