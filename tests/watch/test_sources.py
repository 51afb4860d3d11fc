"""The feed registry: add, remove, import, export, health."""

from __future__ import annotations

import pytest

from pipeline.errors import FeedError
from pipeline.watch.models import Feed
from pipeline.watch.opml import read_opml
from pipeline.watch.report import format_import
from pipeline.watch.sources import (
    add_feed,
    export_feeds,
    feed_health,
    feeds_path,
    import_feeds,
    load_feeds,
    remove_feed,
)


def test_add_then_list_then_remove(project):
    add_feed(project, Feed("https://a.example/feed", title="A", language="FR", themes=("housing",), weight=2))
    [health] = feed_health(project)
    assert (health.url, health.title, health.language, health.themes, health.weight) == (
        "https://a.example/feed", "A", "fr", ("housing",), 2.0)  # fmt: skip
    assert (health.last_success, health.failures, health.item_count) == (None, 0, 0)
    remove_feed(project, "https://a.example/feed")
    assert feed_health(project) == []


def test_add_refuses_duplicates_bad_urls_themes_and_languages(project):
    add_feed(project, Feed("https://a.example/feed"))
    with pytest.raises(FeedError, match=r"already in content/watch/feeds\.opml"):
        add_feed(project, Feed("https://a.example/feed"))
    with pytest.raises(FeedError, match=r"absolute http:// or https:// URL"):
        add_feed(project, Feed("file:///etc/passwd"))
    with pytest.raises(FeedError, match="unknown theme\\(s\\) poverty; known: non-take-up"):
        add_feed(project, Feed("https://b.example/feed", themes=("poverty",)))
    with pytest.raises(FeedError, match="language 'french' is not a language code"):
        add_feed(project, Feed("https://b.example/feed", language="french"))


def test_remove_unknown_feed_says_where_to_look(project):
    add_feed(project, Feed("https://a.example/feed"))
    with pytest.raises(FeedError, match=r"not in content/watch/feeds\.opml; `crebis watch feeds list`"):
        remove_feed(project, "https://nope.example/feed")


def test_import_merges_and_reports_duplicates(project, tmp_path):
    add_feed(project, Feed("https://a.example/feed"))
    other = tmp_path / "reader.opml"
    other.write_text(
        '<opml version="2.0"><head/><body><outline text="News">'
        '<outline text="A" xmlUrl="https://a.example/feed"/>'
        '<outline text="B" xmlUrl="https://b.example/feed" themes="housing unknown-theme"/>'
        '<outline text="C" xmlUrl="https://c.example/feed" language="nl"/>'
        "</outline></body></opml>",
        encoding="utf-8",
    )
    report = import_feeds(project, other)
    assert [f.url for f in report.added] == ["https://b.example/feed", "https://c.example/feed"]
    assert report.duplicates == ("https://a.example/feed",)
    assert report.dropped_themes == (("https://b.example/feed", "unknown-theme"),)
    assert "theme 'unknown-theme' of https://b.example/feed is not in the taxonomy" in format_import(report)
    feeds = {f.url: f for f in load_feeds(project)}
    assert feeds["https://b.example/feed"].themes == ("housing",)
    assert feeds["https://c.example/feed"].language == "nl"
    assert import_feeds(project, other).added == ()


def test_export_is_opml_that_reads_back(project, tmp_path):
    add_feed(project, Feed("https://a.example/feed", title="A & B", themes=("health",), weight=0.5))
    exported = tmp_path / "export.opml"
    exported.write_text(export_feeds(project), encoding="utf-8")
    assert read_opml(exported) == read_opml(feeds_path(project))
    assert "TEST — watched feeds" in exported.read_text(encoding="utf-8")


def test_the_sample_feed_list_is_valid(tmp_path):
    from pathlib import Path

    from pipeline.project import Project

    repo = Path(__file__).resolve().parents[2]
    feeds = load_feeds(Project.open(repo))
    assert 15 <= len(feeds) <= 30
    assert {f.language for f in feeds} == {"fr", "nl", "en"}
