"""Canonical links: one page, one link."""

from __future__ import annotations

import pytest

from pipeline.watch.links import canonical_link, host_of, is_web_url


@pytest.mark.parametrize(
    ("link", "base", "expected"),
    [
        ("https://Example.ORG/a?utm_source=x&utm_medium=y&id=3#top", "", "https://example.org/a?id=3"),
        ("http://example.org:80/a?fbclid=abc&gclid=1&mc_cid=2", "", "http://example.org/a"),
        ("https://example.org:8443/a?b=1&a=2", "", "https://example.org:8443/a?b=1&a=2"),
        ("/news/1?utm_campaign=z", "https://site.example/feed/rss", "https://site.example/news/1"),
        ("item.html", "https://site.example/feed/rss", "https://site.example/feed/item.html"),
        ("//cdn.example/x", "https://site.example/", "https://cdn.example/x"),
        ("https://example.org", "", "https://example.org/"),
        ("javascript:alert(1)", "https://site.example/", None),
        ("mailto:a@example.org", "", None),
        ("", "https://site.example/", None),
        (None, "https://site.example/", None),
        ("http://[::1", "", None),
        ("https://example.org/issue-12#article-3", "", "https://example.org/issue-12#article-3"),
        ("https://example.org/a#xtor=RSS-3208", "", "https://example.org/a"),
        ("https://example.org/a#utm_source=feed&utm_medium=rss", "", "https://example.org/a"),
        ("https://example.org/post/#more-123", "", "https://example.org/post/"),
        ("https://example.org/post#comments", "", "https://example.org/post"),
    ],
)
def test_canonical_link(link, base, expected):
    assert canonical_link(link, base) == expected


def test_web_urls_and_hosts():
    assert is_web_url("https://a.example/feed") and not is_web_url("ftp://a.example/feed")
    assert not is_web_url("file:///etc/passwd") and not is_web_url("https:///nohost")
    assert host_of("https://A.Example:8080/x") == "a.example" and host_of("nonsense") == ""
