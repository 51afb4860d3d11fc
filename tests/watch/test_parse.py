"""Parsing bodies: normalised entries, DOCTYPE removal, clear errors for what is not a feed."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.errors import FeedError
from pipeline.watch.models import ParseLimits
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
        (b'{"items": []}', "application/json", "JSON, but not a JSON Feed"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": [}', "application/feed+json", "not valid JSON"),
        (b"<!-- <!DOCTYPE x> --><p>hello</p>", "text/plain", "not RSS, Atom or JSON Feed"),
    ],
)
def test_what_is_not_a_feed_is_a_feed_error(body, content_type, message):
    with pytest.raises(FeedError, match=message):
        parse_feed(body, {"content-type": content_type}, "https://x/page")


def test_bytes_naming_a_local_file_are_parsed_as_bytes_not_opened():
    with pytest.raises(FeedError):
        parse_feed(b"/etc/passwd", XML, "https://x/feed")


def test_past_the_html_time_budget_summaries_are_kept_as_text():
    items = "".join(f"<item><guid>{n}</guid><description>&lt;p&gt;&lt;b&gt;{n}&lt;/b&gt;&lt;/p&gt;</description></item>"
                    for n in range(3))  # fmt: skip
    body = f'<rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()
    parsed = parse_feed(body, XML, "https://x/feed", limits=ParseLimits(html_budget=0.0))
    assert parsed.entries[0].summary == "<p><b>0</b></p>"  # the budget is spent after the first one
    assert [e.summary for e in parsed.entries[1:]] == ["<p>1</p>", "<p>2</p>"]
    assert "took too long to clean (2 entries)" in parsed.warning


def test_a_json_feed_is_recognised_by_its_version_whatever_its_content_type():
    body = b'{"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": [{"id": "1", "title": "x"}]}'
    parsed = parse_feed(body, {"content-type": "text/plain"}, "https://x/feed.json")
    assert [e.key for e in parsed.entries] == ["1"] and parsed.title == "J"


def test_refresh_interval_declared_by_the_feed():
    def refresh(channel: str) -> float | None:
        body = (f'<rss version="2.0" xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"><channel><title>t'
                f"</title>{channel}<item><guid>1</guid></item></channel></rss>").encode()  # fmt: skip
        return parse_feed(body, XML, "https://x/feed").refresh

    assert refresh("<ttl>90</ttl>") == 5400
    assert refresh("<sy:updatePeriod>daily</sy:updatePeriod><sy:updateFrequency>4</sy:updateFrequency>") == 21600
    assert refresh("<ttl>soon</ttl>") is None and refresh("") is None


_FEED_PIECES = st.sampled_from([
    "<rss version='2.0'>", "<channel>", "<item>", "</item>", "<title>", "</title>", "<guid>", "</guid>",
    "<description>", "</description>", "<link>", "</link>", "&#xD800;", "&#0;", "&lt;script&gt;", "<![CDATA[<b>",
    "]]>", "<!DOCTYPE x [<!ENTITY a 'b'>]>", "<!--", "-->", "<div>", "<q cite='javascript:x'>", "&amp;", "é",
    "<pubDate>Thu, 01 Jan 1970 00:00:00 GMT</pubDate>", "<language>English</language>", "<ttl>99999999999</ttl>",
    '{"version": "https://jsonfeed.org/version/1.1", "items": [', '{"id": 1, "title": null}', "]}", "\x00",
])  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(_FEED_PIECES | st.text(max_size=20), max_size=40), st.sampled_from(["text/xml", "application/json"]))
def test_any_body_is_parsed_or_refused_with_a_feed_error(pieces, content_type):
    body = "".join(pieces).encode("utf-8", "surrogatepass")
    try:
        parsed = parse_feed(body, {"content-type": content_type}, "https://x/feed", limits=ParseLimits(max_title=50))
    except FeedError:
        return
    for entry in parsed.entries:
        assert len(entry.title) <= 50 and "\ud800" not in entry.title + entry.summary
        assert '="javascript' not in entry.summary.lower()


def _items(items: str) -> bytes:
    return f'<rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()


def test_an_entry_without_title_is_titled_from_its_summary_else_its_link():
    long = " ".join(f"mot{i}" for i in range(40))
    feed = parse_feed(_items(
        "<item><link>https://x.example/a</link><description>&lt;p&gt;Le CPAS &lt;b&gt;ouvre&lt;/b&gt; "
        "200 places.&lt;/p&gt;</description></item>"
        f"<item><link>https://x.example/b</link><description>{long}</description></item>"
        "<item><title>  </title><link>https://www.x.example/news/c/?id=3</link></item>"
    ), XML, "https://x.example/feed")
    titles = [e.title for e in feed.entries]
    assert titles[0] == "Le CPAS ouvre 200 places."
    assert titles[1].startswith("mot0 mot1 ") and titles[1].endswith("…") and len(titles[1]) <= 81
    assert titles[2] == "x.example/news/c"
    assert feed.warning == "entry without a title titled from its summary or link (3 entries)"


def test_an_entry_with_neither_title_nor_link_is_dropped_with_a_warning():
    feed = parse_feed(_items(
        "<item><guid isPermaLink='false'>g1</guid><description>Only a text</description></item>"
        "<item><title>Kept</title><guid isPermaLink='false'>g2</guid></item>"
    ), XML, "https://x.example/feed")
    assert [e.title for e in feed.entries] == ["Kept"]
    assert feed.warning == "entry without title or link dropped"
