"""End to end: feeds served on 127.0.0.1, fetched, parsed, stored; hostile feeds end as errors."""

from __future__ import annotations

import gzip
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pipeline.errors import FeedError
from pipeline.project import Project
from pipeline.watch.listing import list_items
from pipeline.watch.models import Feed
from pipeline.watch.opml import read_opml
from pipeline.watch.sources import feed_health, feeds_path
from pipeline.watch.store import Store
from pipeline.watch.update import update_feeds

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REPO = Path(__file__).resolve().parents[2]
ETAG = '"v1"'
LAST_MODIFIED = "Wed, 06 Mar 2024 10:00:00 GMT"


def _by_url(summary):
    return {r.url: r for r in summary.reports}


def _db(project: Project) -> sqlite3.Connection:
    return sqlite3.connect(project.state_dir / "watch.sqlite")


def _dump(project: Project) -> str:
    """Every text stored in the watch database."""
    with _db(project) as db:
        rows = []
        for table in ("feeds", "items", "sources", "fetch_log"):
            rows += [repr(r) for r in db.execute(f"SELECT * FROM {table}")]
    return "\n".join(rows)


def test_rss_atom_and_rdf_are_stored_with_normalised_fields(project, server, watch):
    rss = server.add_fixture("rss2.xml", etag=ETAG)
    atom = server.add_fixture("atom.xml", content_type="application/atom+xml")
    rdf = server.add_fixture("rss1.rdf", content_type="application/rdf+xml")
    watch(Feed(rss, language="fr", weight=2.0), atom, Feed(rdf, themes=("health",)))

    summary = update_feeds(project)

    assert [r.status for r in summary.reports] == ["ok", "ok", "ok"]
    assert summary.new == 7
    items = {i.link: i for i in list_items(project)}
    forum = items["https://example.org/news/non-recours?id=7"]
    assert forum.title == "Le non-recours aux droits sociaux recule au CPAS d'Anderlecht"
    assert forum.summary.startswith("<p>Une étude sur l'<strong>accès aux droits</strong>")
    assert forum.published == "2024-03-05T08:30:00+00:00"
    assert forum.author == "Marie Dubois"
    assert forum.language == "fr"
    assert forum.themes[0] == "non-take-up"
    assert [s.feed for s in forum.sources] == [rss]
    assert "https://example.org/news/ag" in items  # fbclid removed
    kloof = items["https://example.be/nieuws/digitale-kloof"]
    assert (kloof.title, kloof.language, kloof.author) == ("Digitale uitsluiting in Brussel", "nl", "Jan Peeters")
    assert "digital-exclusion" in kloof.themes
    assert items["https://example.be/news/housing-first"].language == "en"  # the entry's xml:lang
    assert items["https://example.eu/a"].themes[0] == "energy-poverty"
    assert "health" in items["https://example.eu/b"].themes  # from the feed's declared themes
    assert server.request_headers[0]["user-agent"].startswith("crebis/")
    assert "https://crebis.example.org/" in server.request_headers[0]["user-agent"]


def test_second_fetch_gets_304_and_parses_nothing(project, server, watch):
    etag_url = server.add_fixture("rss2.xml", etag=ETAG)
    lm_url = server.add_fixture("atom.xml", last_modified=LAST_MODIFIED)
    watch(etag_url, lm_url)
    update_feeds(project)
    with _db(project) as db:
        before = db.execute("SELECT id, updated FROM items ORDER BY id").fetchall()

    summary = update_feeds(project)

    assert [r.status for r in summary.reports] == ["not-modified", "not-modified"]
    assert (summary.new, summary.updated) == (0, 0)
    assert server.count(304) == 2
    assert any(h.get("if-none-match") == ETAG for h in server.request_headers[-2:])
    assert any(h.get("if-modified-since") == LAST_MODIFIED for h in server.request_headers[-2:])
    with _db(project) as db:
        assert db.execute("SELECT id, updated FROM items ORDER BY id").fetchall() == before
        statuses = [r[0] for r in db.execute("SELECT status FROM fetch_log ORDER BY id")]
    assert statuses[-2:] == ["not-modified", "not-modified"]


def test_same_body_without_validators_is_not_parsed_again(project, server, watch):
    url = server.add_fixture("rss2.xml")
    watch(url)
    update_feeds(project)
    summary = update_feeds(project)
    assert summary.reports[0].status == "not-modified"
    assert server.hits["/rss2.xml"] == 2


def test_refetch_updates_changed_items_and_keeps_first_seen(project, server, watch):
    url = server.add_fixture("rss2.xml")
    watch(url)
    update_feeds(project)
    with _db(project) as db:
        first_seen = dict(db.execute("SELECT link, first_seen FROM items"))
    time.sleep(1.1)  # timestamps are to the second
    body = server.routes["/rss2.xml"].body.replace(b"Assembl\xc3\xa9e g\xc3\xa9n\xc3\xa9rale 2024", b"AG 2024")
    server.routes["/rss2.xml"] = replace(server.routes["/rss2.xml"], body=body)

    summary = update_feeds(project)

    assert (summary.new, summary.updated) == (0, 1)
    with _db(project) as db:
        query = "SELECT link, title, first_seen, updated FROM items"
        rows = {link: (title, fs, upd) for link, title, fs, upd in db.execute(query)}
        assert db.execute("SELECT count(*) FROM items").fetchone()[0] == 3
        assert db.execute("SELECT count(*) FROM sources").fetchone()[0] == 3
    title, seen, updated = rows["https://example.org/news/ag"]
    assert title == "AG 2024"
    assert seen == first_seen["https://example.org/news/ag"]
    assert updated > seen


def test_same_link_from_two_feeds_is_one_item_with_two_sources(project, server, watch):
    one = server.add_fixture("rss2.xml")
    two = server.add("/copy.xml", server.routes["/rss2.xml"].body.replace(b"forum-2024", b"copy-2024"))
    watch(one, two)
    summary = update_feeds(project)
    assert summary.new == 3
    items = list_items(project)
    assert len(items) == 3
    assert all(sorted(s.feed for s in i.sources) == sorted([one, two]) for i in items)


def test_near_duplicate_titles_across_feeds_form_one_cluster(project, server, watch):
    def rss(host: str, title: str, other: str) -> str:
        return (
            f'<?xml version="1.0"?><rss version="2.0"><channel><title>{host}</title><link>https://{host}/</link>'
            f"<item><title>{title}</title><link>https://{host}/story</link><guid>s</guid>"
            "<pubDate>Mon, 04 Mar 2024 08:00:00 GMT</pubDate></item>"
            f"<item><title>{other}</title><link>https://{host}/agenda</link><guid>a</guid>"
            "<pubDate>Mon, 04 Mar 2024 08:00:00 GMT</pubDate></item></channel></rss>"
        )

    a = server.add("/a.xml", rss("a.example", "Brussels extends the social energy tariff to 40,000 households",
                                  "General assembly of the federation"))
    b = server.add("/b.xml", rss("b.example", "Social energy tariff extended to 40,000 Brussels households",
                                  "Job offer: social worker in Schaerbeek"))
    c = server.add("/c.xml", rss("c.example", "Brussels: social tariff for energy extended to 40 000 households",
                                  "Annual report on homelessness"))
    watch(a, b, c)
    summary = update_feeds(project)
    assert summary.clusters == 1
    items = list_items(project)
    stories = [i for i in items if i.link.endswith("/story")]
    assert len({i.cluster for i in stories}) == 1
    agendas = [i for i in items if i.link.endswith("/agenda")]
    assert len({i.cluster for i in agendas}) == 3


def test_relative_links_are_resolved_against_the_feed_address(project, server, watch):
    watch(server.add_fixture("relative_links.xml"))
    update_feeds(project)
    items = {i.title: i for i in list_items(project)}
    assert items["A page"].link == server.url("/news/relative-page")
    assert items["Another page"].link == server.url("/another.html")
    assert f'href="{server.url("/docs/report.pdf")}"' in items["A page"].summary


@pytest.mark.parametrize(
    ("fixture", "content_type", "title", "warned"),
    [
        ("iso8859_1.xml", "application/xml", "Sécurité sociale et santé", False),
        ("utf8_bom.xml", "application/xml", "Éducation et égalité — ça compte", False),
        ("wrong_charset.xml", "application/xml", "Réfugiés accueillis à Bruxelles", True),
        ("iso8859_1.xml", "text/xml; charset=iso-8859-1", "Sécurité sociale et santé", False),
    ],
)
def test_encodings(project, server, watch, fixture, content_type, title, warned):
    watch(server.add_fixture(fixture, content_type=content_type))
    summary = update_feeds(project)
    assert summary.reports[0].status == "ok"
    assert bool(summary.reports[0].warning) is warned
    [item] = list_items(project)
    assert item.title == title


def test_duplicate_guids_in_one_feed_keep_the_first_entry(project, server, watch):
    watch(server.add_fixture("duplicate_guids.xml"))
    assert update_feeds(project).new == 2
    update_feeds(project)
    titles = sorted(i.title for i in list_items(project))
    assert titles == ["First telling", "Other"]


def test_undated_and_future_entries_are_dated_no_later_than_the_fetch(project, server, watch):
    watch(server.add_fixture("dates.xml"))
    update_feeds(project)
    with _db(project) as db:
        fetched = db.execute("SELECT last_success FROM feeds").fetchone()[0]
        rows = dict(db.execute("SELECT title, published FROM items"))
        first_seen = dict(db.execute("SELECT title, first_seen FROM items"))
    assert rows["Undated entry"] == first_seen["Undated entry"] <= fetched
    assert rows["Entry from the future"] <= fetched
    time.sleep(1.1)
    server.routes["/dates.xml"] = replace(server.routes["/dates.xml"], body=server.routes["/dates.xml"].body + b" ")
    summary = update_feeds(project)
    assert (summary.new, summary.updated) == (0, 0)  # no date churn: nothing changed


def test_permanent_redirect_updates_the_stored_url(project, server, watch):
    new = server.add_fixture("rss2.xml")
    old = server.add("/old.xml", status=301, headers={"Location": "/rss2.xml"})
    temp = server.add("/temp.xml", status=302, headers={"Location": "/atom.xml"})
    server.add_fixture("atom.xml")
    watch(old, temp)
    summary = update_feeds(project)
    reports = _by_url(summary)
    assert reports[old].moved_to == new
    assert reports[temp].moved_to is None
    assert [f.url for f in read_opml(feeds_path(project))] == [new, temp]
    server.hits.clear()
    update_feeds(project)
    assert server.hits["/old.xml"] == 0 and server.hits["/rss2.xml"] == 1
    assert {h.url: h.item_count for h in feed_health(project)} == {new: 3, temp: 2}


def test_410_disables_the_feed(project, server, watch):
    url = server.add("/gone.xml", status=410, content_type="text/plain")
    watch(url)
    assert update_feeds(project).reports[0].status == "gone"
    second = update_feeds(project)
    assert second.reports[0].status == "skipped"
    assert server.hits["/gone.xml"] == 1
    [health] = feed_health(project)
    assert health.disabled.startswith("gone (HTTP 410)")


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_honoured(project, server, watch, status):
    url = server.add("/busy.xml", status=status, headers={"Retry-After": "3600"}, content_type="text/plain")
    watch(url)
    first = update_feeds(project).reports[0]
    assert first.status == "failed" and f"HTTP {status}" in first.error and "retry after" in first.error
    second = update_feeds(project).reports[0]
    assert second.status == "skipped" and "wait until" in second.error
    assert server.hits["/busy.xml"] == 1
    [health] = feed_health(project)
    assert health.retry_after is not None and health.failures == 1


def test_failures_are_counted_and_reset_by_a_success(project, server, watch):
    url = server.add("/flaky.xml", status=500, content_type="text/plain")
    watch(url)
    update_feeds(project)
    update_feeds(project)
    [health] = feed_health(project)
    assert (health.failures, health.last_error) == (2, "HTTP 500 Internal Server Error")
    server.add_fixture("rss2.xml")
    server.routes["/flaky.xml"] = server.routes["/rss2.xml"]
    update_feeds(project)
    [health] = feed_health(project)
    assert (health.failures, health.last_error, health.item_count) == (0, None, 3)
    assert health.last_success is not None


def test_one_broken_feed_does_not_stop_the_others(project, server, watch):
    good = server.add_fixture("rss2.xml")
    watch("http://127.0.0.1:9/nothing-listens-here", server.url("/missing.xml"), good, "ftp://example.org/feed")
    reports = _by_url(update_feeds(project))
    assert reports[good].status == "ok"
    assert "could not connect" in reports["http://127.0.0.1:9/nothing-listens-here"].error
    assert reports[server.url("/missing.xml")].error == "HTTP 404 Not Found"
    assert "must be an absolute http:// or https:// URL" in reports["ftp://example.org/feed"].error


# Hostile feeds: each ends as a recorded error or a sanitised item, never a crash or a hang.


def test_billion_laughs_is_not_expanded(project, server, watch):
    watch(server.add_fixture("billion_laughs.xml"))
    report = update_feeds(project).reports[0]
    assert report.status == "ok" and "entity declarations removed" in report.warning
    [item] = list_items(project)
    assert "lollol" not in item.title + item.summary
    assert len(_dump(project)) < 100_000


def test_external_entity_never_reads_a_local_file(project, server, watch, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT-4242", encoding="utf-8")
    body = (
        '<?xml version="1.0"?>\n'
        f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>\n'
        '<rss version="2.0"><channel><title>XXE &xxe;</title><link>https://x.example/</link>'
        "<item><title>Leak &xxe;</title><link>https://x.example/1</link><guid>x1</guid>"
        "<description>&xxe;</description></item></channel></rss>"
    )
    watch(server.add("/xxe.xml", body))
    summary = update_feeds(project)
    assert summary.reports[0].status in ("ok", "failed")
    assert "TOP-SECRET" not in _dump(project)
    assert "TOP-SECRET" not in json.dumps([i.title + i.summary for i in list_items(project)])


def test_gzip_bomb_is_stopped_at_the_size_cap(project, server, watch):
    bomb = gzip.compress(b"<rss>" + b" " * 200_000_000, compresslevel=9)
    assert len(bomb) < 1_000_000
    watch(server.add("/bomb.xml", bomb, headers={"Content-Encoding": "gzip"}))
    report = update_feeds(project).reports[0]
    assert report.status == "failed" and "larger than 1.5 MB" in report.error


def test_gzip_feed_is_decoded(project, server, watch):
    body = gzip.compress((FIXTURES / "rss2.xml").read_bytes())
    watch(server.add("/gz.xml", body, headers={"Content-Encoding": "gzip"}))
    assert update_feeds(project).new == 3


@pytest.mark.parametrize("chunked", [False, True])
def test_oversized_body_is_aborted(project, server, watch, chunked):
    big = b'<?xml version="1.0"?><rss version="2.0"><channel>' + b"<!-- padding -->" * 200_000
    watch(server.add("/big.xml", big, chunked=chunked))
    report = update_feeds(project).reports[0]
    assert report.status == "failed" and "larger than 1.5 MB" in report.error


def test_server_that_never_answers_times_out(project, server, watch):
    good = server.add_fixture("rss2.xml")
    hang = server.add("/hang.xml", hang=True)
    watch(hang, good)
    started = time.monotonic()
    reports = _by_url(update_feeds(project))
    assert time.monotonic() - started < 5
    assert "read timeout" in reports[hang].error or "total timeout" in reports[hang].error
    assert reports[good].status == "ok"


def test_redirect_loop_is_an_error(project, server, watch):
    a = server.add("/loop-a.xml", status=302, headers={"Location": "/loop-b.xml"})
    server.add("/loop-b.xml", status=302, headers={"Location": "/loop-a.xml"})
    endless = server.add("/endless/0", status=302, headers={"Location": "/endless/1"})
    for n in range(1, 10):
        server.add(f"/endless/{n}", status=302, headers={"Location": f"/endless/{n + 1}"})
    scheme = server.add("/to-file.xml", status=301, headers={"Location": "file:///etc/passwd"})
    watch(a, endless, scheme)
    reports = _by_url(update_feeds(project))
    assert "redirect loop" in reports[a].error
    assert "more than 5 redirects" in reports[endless].error
    assert "not http or https" in reports[scheme].error


def test_html_page_instead_of_a_feed_is_an_error(project, server, watch):
    watch(server.add_fixture("html_page.html", content_type="text/html; charset=utf-8"))
    report = update_feeds(project).reports[0]
    assert report.status == "failed" and "HTML page, not RSS or Atom" in report.error
    [health] = feed_health(project)
    assert health.item_count == 0 and "HTML page" in health.last_error
    update_feeds(project)
    assert server.hits["/html_page.html"] == 2  # a failed parse keeps no validators


def test_script_and_javascript_links_are_sanitised(project, server, watch):
    watch(server.add_fixture("script_links.xml"))
    update_feeds(project)
    [item] = list_items(project)
    with _db(project) as db:  # everything but the title, which is text (escaped wherever it is shown)
        stored = repr(db.execute("SELECT link, summary, author FROM items").fetchall()).lower()
    for bad in ("<script", "javascript:", "onclick", "onerror", "<iframe", "<style", "alert("):
        assert bad not in stored, bad
    assert item.link is None
    assert item.title == "Click <script>alert('title')</script>here"  # a text title, kept as written
    assert 'href="https://ok.example.org/"' in item.summary


def test_parsing_in_worker_processes_gives_the_same_items(project, server, watch, tmp_path):
    watch(server.add_fixture("rss2.xml"), server.add_fixture("atom.xml"))
    config = project.root / "crebis.toml"
    config.write_text(config.read_text().replace("parse_workers = 1", "parse_workers = 2"))
    summary = update_feeds(Project.open(project.root))
    assert summary.new == 5


def test_a_redirect_to_a_broken_address_does_not_move_the_feed(project, server, watch):
    old = server.add("/moved-to-nowhere.xml", status=301, headers={"Location": "/gone.xml"})
    server.add("/gone.xml", status=410, content_type="text/plain")
    watch(old)
    report = update_feeds(project).reports[0]
    assert (report.status, report.moved_to) == ("gone", None)
    assert [f.url for f in read_opml(feeds_path(project))] == [old]


# One feed's fault, whatever it is, stays that feed's recorded error; the others are stored.


@pytest.mark.parametrize(
    "location", ["javascript:alert(1)", "data:application/rss+xml,<rss/>", "mailto:feeds@example.org",
                 "urn:isbn:0451450523", "http://[::1/feed"],
)  # fmt: skip
def test_a_redirect_to_a_non_web_address_fails_that_feed_only(project, server, watch, location):
    good = server.add_fixture("rss2.xml")
    bad = server.add("/odd.xml", status=302, headers={"Location": location})
    watch(bad, good)
    reports = _by_url(update_feeds(project))
    assert reports[good].new == 3
    assert reports[bad].status == "failed" and reports[bad].error.startswith("redirected to ")
    [health] = [h for h in feed_health(project) if h.url == bad]
    assert health.failures == 1 and health.last_error == reports[bad].error


def test_a_scheme_relative_location_is_resolved_like_a_browser_does(project, server, watch):
    target = server.add_fixture("rss2.xml")
    odd = server.add("/dir/odd.xml", status=302, headers={"Location": "http:../rss2.xml"})
    watch(odd)
    report = update_feeds(project).reports[0]
    assert (report.status, report.new) == ("ok", 3)
    assert server.hits[target.removeprefix(server.base)] == 1


def test_an_enormous_retry_after_is_capped_at_a_week(project, server, watch):
    good = server.add_fixture("rss2.xml")
    busy = server.add("/busy.xml", status=503, content_type="text/plain", headers={"Retry-After": "250000000000"})
    watch(busy, good)
    reports = _by_url(update_feeds(project))
    assert reports[good].new == 3
    assert reports[busy].status == "failed" and "retry after" in reports[busy].error
    [health] = [h for h in feed_health(project) if h.url == busy]
    waited = datetime.fromisoformat(health.retry_after) - datetime.now(UTC)
    assert timedelta(days=6) < waited <= timedelta(days=7)


def test_an_address_httpx_refuses_is_that_feed_s_error(project, server, watch):
    good = server.add_fixture("rss2.xml")
    watch("http://xn--zz.example/feed", good)  # written by hand in feeds.opml: never checked by `feeds add`
    reports = _by_url(update_feeds(project))
    assert reports[good].new == 3
    assert "not a valid web address" in reports["http://xn--zz.example/feed"].error


def test_an_unexpected_crash_on_one_feed_is_recorded_on_it(project, server, watch, monkeypatch):
    good = server.add_fixture("rss2.xml")
    other = server.add_fixture("atom.xml")
    watch(other, good)
    original = Store.ingest

    def ingest(self, state, entries, matches, fetched_at):
        if state.url == other:
            raise RuntimeError("a bug in one feed's path")
        return original(self, state, entries, matches, fetched_at)

    monkeypatch.setattr(Store, "ingest", ingest)
    reports = _by_url(update_feeds(project))
    assert reports[good].new == 3
    assert reports[other].status == "failed" and "RuntimeError: a bug in one feed's path" in reports[other].error


# What real feeds do: each entry kept, each text as written, each failure told.


def _rss(items: str, channel: str = "") -> str:
    namespace = "http://purl.org/rss/1.0/modules/syndication/"
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0" xmlns:sy="{namespace}"><channel>'
            f"<title>T</title><link>https://t.example/</link>{channel}{items}</channel></rss>")  # fmt: skip


def test_deeply_nested_html_costs_little_and_is_kept_as_text(project, server, watch):
    deep = "<p>Deep text</p>" + "<div>" * 100_000 + "</div>" * 100_000  # 1.1 MB; took 70 s in nh3
    body = _rss(f"<item><title>Deep</title><guid>d</guid><description><![CDATA[{deep}]]></description></item>"
                "<item><title>Shallow</title><guid>s</guid>"
                "<description><![CDATA[<p><b>ok</b></p>]]></description></item>")  # fmt: skip
    watch(server.add("/deep.xml", body))
    report = update_feeds(project).reports[0]
    assert report.status == "ok" and "nested deeper than 100 levels, kept as plain text" in report.warning
    assert "summary cut to 20000 characters" in report.warning
    items = {i.title: i for i in list_items(project)}
    assert items["Deep"].summary == "<p>Deep text</p>"
    assert items["Shallow"].summary == "<p><b>ok</b></p>"


def test_entries_differing_by_fragment_date_or_long_guid_stay_apart(project, server, watch):
    long = "tag:example.org,2024:" + "x" * 600
    body = _rss(
        "<item><title>Part one</title><link>https://t.example/issue-7#one</link><guid>i7-1</guid></item>"
        "<item><title>Part two</title><link>https://t.example/issue-7#two</link><guid>i7-2</guid></item>"
        "<item><title>Weekly update</title><pubDate>Mon, 04 Mar 2024 08:00:00 GMT</pubDate></item>"
        "<item><title>Weekly update</title><pubDate>Mon, 11 Mar 2024 08:00:00 GMT</pubDate></item>"
        f"<item><title>Long A</title><guid isPermaLink='false'>{long}A</guid></item>"
        f"<item><title>Long B</title><guid isPermaLink='false'>{long}B</guid></item>"
    )
    watch(server.add("/many.xml", body))
    assert update_feeds(project).new == 6
    server.routes["/many.xml"] = replace(server.routes["/many.xml"], body=server.routes["/many.xml"].body + b" ")
    assert (update_feeds(project).updated, len(list_items(project))) == (0, 6)  # no item flips between entries
    links = sorted(i.link for i in list_items(project) if i.link)
    assert links == ["https://t.example/issue-7#one", "https://t.example/issue-7#two"]


def test_the_same_article_in_two_feeds_is_still_one_item(project, server, watch):
    one = server.add("/one.xml", _rss("<item><title>A</title><link>https://t.example/a#xtor=RSS-1</link>"
                                      "<guid>one-a</guid></item>"))  # fmt: skip
    two = server.add("/two.xml", _rss("<item><title>A</title><link>https://t.example/a</link><guid>two-a</guid></item>"))
    watch(one, two)
    assert update_feeds(project).new == 1
    [item] = list_items(project)
    assert sorted(s.feed for s in item.sources) == sorted([one, two])


def test_titles_are_stripped_of_markup_only_when_they_are_html(project, server, watch):
    rss = server.add("/titles.xml", _rss(
        "<item><title>How to use &lt;script&gt; tags safely</title><guid>1</guid></item>"
        "<item><title>&lt;noscript&gt; fallback</title><guid>2</guid></item>"
        "<item><title>&lt;b&gt;Bold&lt;/b&gt; news</title><guid>3</guid></item>"))  # fmt: skip
    atom = server.add("/titles.atom", '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>'
                      '<entry><title type="text">Vector&lt;int&gt;</title><id>v</id></entry>'
                      '<entry><title type="html">&lt;em&gt;Hi&lt;/em&gt; there</title><id>h</id></entry></feed>',
                      content_type="application/atom+xml")  # fmt: skip
    watch(rss, atom)
    update_feeds(project)
    assert sorted(i.title for i in list_items(project)) == [
        "<noscript> fallback", "Bold news", "Hi there", "How to use <script> tags safely", "Vector<int>"]  # fmt: skip


@pytest.mark.parametrize(
    ("declared", "code"),
    [("English", "en"), ("Nederlands", "nl"), ("Français", "fr"), ("fr-BE", "fr"), ("eng", "en"), ("dut", "nl"),
     ("néerlandais", "nl"), ("en_GB", "en"), ("Klingon-ish", "")],
)  # fmt: skip
def test_language_names_and_tags_become_the_project_codes(project, server, watch, declared, code):
    channel = f"<language>{declared}</language>"
    watch(server.add("/lang.xml", _rss("<item><title>x</title><guid>1</guid></item>", channel)))
    update_feeds(project)
    [item] = list_items(project)
    assert item.language == code


def test_every_url_attribute_kept_is_scheme_checked(project, server, watch):
    html = ('<q cite="javascript:alert(1)">a</q><q cite="/source">b</q><a href="java&#9;script:alert(2)">c</a>'
            '<a href=" javascript:alert(3)">d</a><q cite="data:text/html,x">e</q>')  # fmt: skip
    watch(server.add("/q.xml", _rss(f"<item><title>q</title><guid>1</guid><description><![CDATA[{html}]]>"
                                    "</description></item>")))  # fmt: skip
    update_feeds(project)
    [item] = list_items(project)
    assert "javascript" not in item.summary.lower() and "data:" not in item.summary
    assert f'<q cite="{server.url("/source")}">b</q>' in item.summary


def test_items_without_a_language_get_no_keyword_themes(project, server, watch):
    watch(server.add("/nolang.xml", _rss("<item><title>Memory allocation and house keeping</title><guid>1</guid>"
                                         "</item>")))  # fmt: skip
    update_feeds(project)
    [item] = list_items(project)
    assert (item.language, item.themes) == ("", ())


def test_a_304_to_a_request_without_validators_is_an_error(project, server, watch):
    watch(server.add("/always-304.xml", status=304))
    first = update_feeds(project).reports[0]
    assert first.status == "failed" and "304 Not Modified to a request without cache validators" in first.error
    [health] = feed_health(project)
    assert health.last_success is None and health.failures == 1


def test_a_gzip_body_cut_short_is_an_error_not_a_malformed_feed(project, server, watch):
    whole = gzip.compress((FIXTURES / "rss2.xml").read_bytes())
    watch(server.add("/cut.xml", whole[: len(whole) // 2], headers={"Content-Encoding": "gzip"}))
    report = update_feeds(project).reports[0]
    assert report.status == "failed" and "cut short" in report.error
    assert list_items(project) == []


def test_a_reference_to_a_surrogate_is_replaced_and_the_feed_kept(project, server, watch):
    watch(server.add("/surrogate.xml", _rss("<item><title>Bad &#xD800; char</title><guid>1</guid></item>"
                                            "<item><title>Fine</title><guid>2</guid></item>")))  # fmt: skip
    report = update_feeds(project).reports[0]
    assert report.status == "ok" and "invalid character reference(s) replaced" in report.warning
    assert sorted(i.title for i in list_items(project)) == ["Bad \ufffd char", "Fine"]


def test_a_doctype_inside_a_leading_comment_is_left_alone(project, server, watch):
    body = '<?xml version="1.0"?>\n<!-- generated; <!DOCTYPE rss> was here -->\n' + _rss(
        "<item><title>Kept</title><guid>1</guid></item>").split("?>", 1)[1]  # fmt: skip
    watch(server.add("/comment.xml", body))
    report = update_feeds(project).reports[0]
    assert report.status == "ok" and report.new == 1


def test_placeholder_dates_are_treated_as_missing(project, server, watch):
    watch(server.add("/epoch.xml", _rss(
        "<item><title>Epoch</title><guid>1</guid><pubDate>Thu, 01 Jan 1970 00:00:00 GMT</pubDate></item>"
        "<item><title>Year one</title><guid>2</guid><dc:date xmlns:dc='http://purl.org/dc/elements/1.1/'>"
        "0001-01-01T00:00:00Z</dc:date></item>")))  # fmt: skip
    report = update_feeds(project).reports[0]
    assert "date before 1990 treated as missing" in report.warning
    with _db(project) as db:
        rows = db.execute("SELECT published, first_seen, entry_date FROM items").fetchall()
    assert len(rows) == 2 and all(published == seen and date is None for published, seen, date in rows)


def test_stored_fields_and_entries_per_feed_are_capped(tmp_path, server):
    from .conftest import WATCH_CONFIG, make_project

    project = make_project(tmp_path / "p", WATCH_CONFIG + "max_entries = 5\nmax_summary_chars = 1000\n")
    items = "".join(f"<item><title>Entry {n}</title><guid>{n}</guid></item>" for n in range(8))
    huge = "<item><title>" + "Long title " * 20_000 + "</title><guid>huge</guid><description>" + "word " * 100_000
    body = _rss(huge + "</description></item>" + items)
    from pipeline.watch.opml import add_outlines

    add_outlines(feeds_path(project), [Feed(server.add("/big.xml", body))])
    report = update_feeds(project).reports[0]
    assert report.new == 5 and "9 entries, the first 5 kept (watch.max_entries)" in report.warning
    with _db(project) as db:
        title, summary = db.execute("SELECT title, summary FROM items WHERE title LIKE 'Long%'").fetchone()
    assert len(title) <= 300 and title.endswith("…") and len(summary) <= 1010


def test_json_feed_1_1_and_1_0_are_parsed(project, server, watch):
    v11 = json.dumps({
        "version": "https://jsonfeed.org/version/1.1", "title": "J", "language": "fr-BE",
        "authors": [{"name": "Équipe"}],
        "items": [{"id": "1", "url": "https://j.example/1?utm_source=x", "title": "Le logement social",
                   "content_html": "<p>Du <b>logement</b><script>x()</script></p>",
                   "date_published": "2024-03-05T08:30:00+01:00"},
                  {"id": 2, "title": "Sans lien", "content_text": "a < b", "language": "nl"}]})  # fmt: skip
    v10 = json.dumps({"version": "https://jsonfeed.org/version/1", "title": "Old", "author": {"name": "Ann"},
                      "items": [{"id": "x", "external_url": "https://j.example/x", "summary": "S"}]})  # fmt: skip
    watch(server.add("/feed.json", v11, content_type="application/feed+json"),
          server.add("/old.json", v10, content_type="application/json"))  # fmt: skip
    summary = update_feeds(project)
    assert [r.status for r in summary.reports] == ["ok", "ok"] and summary.new == 3
    items = {i.title: i for i in list_items(project)}
    first = items["Le logement social"]
    assert (first.link, first.language, first.author) == ("https://j.example/1", "fr", "Équipe")
    assert first.summary == "<p>Du <b>logement</b></p>" and "housing" in first.themes
    assert first.published == "2024-03-05T07:30:00+00:00"
    assert (items["Sans lien"].language, items["Sans lien"].summary) == ("nl", "<p>a &lt; b</p>")
    assert items["S"].author == "Ann" and items["S"].link == "https://j.example/x"  # untitled: titled by its summary


# Scheduling: a minimum interval per feed, the feed's own ttl as a floor, --force, --feed.


def test_a_feed_is_not_fetched_again_before_its_interval(tmp_path, server):
    from .conftest import WATCH_CONFIG, make_project

    config = WATCH_CONFIG.replace("min_interval_minutes = 0", "min_interval_minutes = 30")
    project = make_project(tmp_path / "p", config)
    from pipeline.watch.opml import add_outlines

    add_outlines(feeds_path(project), [Feed(server.add_fixture("rss2.xml"))])
    assert update_feeds(project).reports[0].status == "ok"
    second = update_feeds(project).reports[0]
    assert second.status == "not-due" and "due at" in second.error
    assert server.hits["/rss2.xml"] == 1
    assert update_feeds(project, force=True).reports[0].status == "not-modified"
    assert server.hits["/rss2.xml"] == 2


@pytest.mark.parametrize(
    "channel", ["<ttl>60</ttl>", "<sy:updatePeriod>hourly</sy:updatePeriod><sy:updateFrequency>1</sy:updateFrequency>"]
)
def test_the_feed_s_own_ttl_is_a_floor(project, server, watch, channel):
    url = server.add("/ttl.xml", _rss("<item><title>x</title><guid>1</guid></item>", channel))
    watch(url)
    update_feeds(project)
    assert update_feeds(project).reports[0].status == "not-due"  # watch.min_interval_minutes is 0 here
    assert server.hits["/ttl.xml"] == 1


def test_only_named_feeds_are_fetched(project, server, watch):
    one, two = server.add_fixture("rss2.xml"), server.add_fixture("atom.xml")
    watch(one, two)
    summary = update_feeds(project, only=(two,))
    assert [r.url for r in summary.reports] == [two] and server.hits["/rss2.xml"] == 0
    with pytest.raises(FeedError, match=r"not in content/watch/feeds\.opml"):
        update_feeds(project, only=("https://unknown.example/feed",))


def test_a_feed_changing_its_guids_on_every_fetch_keeps_one_item_per_link(project, server, watch):
    def body(fetch: int) -> str:
        return _rss(
            f"<item><title>Sans-abri : 200 places</title><link>https://g.example/sansabri?utm_source=rss</link>"
            f"<guid isPermaLink='false'>uuid-{fetch}-a</guid><description>fetch {fetch}</description></item>"
            f"<item><title>Asile : accueil saturé</title><link>https://g.example/asile</link>"
            f"<guid isPermaLink='false'>uuid-{fetch}-b</guid></item>"
        )

    url = server.add("/guids.xml", body(1))
    watch(url)
    assert update_feeds(project).new == 2
    for fetch in (2, 3):
        server.routes["/guids.xml"] = replace(server.routes["/guids.xml"], body=body(fetch).encode())
        summary = update_feeds(project)
        assert (summary.new, summary.updated) == (0, 1)  # the summary changed, the item is the same
    items = list_items(project)
    assert sorted(i.link for i in items) == ["https://g.example/asile", "https://g.example/sansabri"]
    assert [[s.entry_key for s in i.sources] for i in sorted(items, key=lambda i: i.link)] == [
        ["uuid-3-b"], ["uuid-3-a"]]  # the source follows the feed's latest guid: no growth


# Stopping a fetch: Ctrl-C, SIGTERM and SIGKILL leave neither tracebacks nor parse workers behind.


def _children(pid: int) -> set[int]:
    """The live child processes of `pid` (zombies count as ended)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _fetch_in_progress(tmp_path, server):
    """A `crebis watch fetch` in its own session, its 2 parse workers started, one feed hanging: (process, workers)."""
    from pipeline.watch.opml import add_outlines

    from .conftest import WATCH_CONFIG, make_project

    config = (WATCH_CONFIG.replace("parse_workers = 1", "parse_workers = 2")
              .replace("read_timeout = 1.0", "read_timeout = 60.0")
              .replace("total_timeout = 3.0", "total_timeout = 60.0"))
    project = make_project(tmp_path / "p", config)
    add_outlines(feeds_path(project), [Feed(server.add_fixture("rss2.xml")), Feed(server.add("/hang.xml", hang=True))])
    process = subprocess.Popen(
        [sys.executable, "-c", "from pipeline.cli import run; run()", "-C", str(project.root), "watch", "fetch"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None and not (
            server.hits["/hang.xml"] and server.hits["/rss2.xml"] and len(_children(process.pid)) >= 2):
        time.sleep(0.05)
    assert process.poll() is None, process.communicate()
    workers = _children(process.pid)
    assert len(workers) == 2
    return process, workers


def _wait_gone(pids: set[int]) -> set[int]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.05)
    return {p for p in pids if _alive(p)}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_an_interrupted_fetch_says_interrupted_only_and_its_workers_end(tmp_path, server, how):
    process, workers = _fetch_in_progress(tmp_path, server)
    if how == "ctrl-c":  # a terminal signals the whole process group
        os.killpg(process.pid, signal.SIGINT)
    else:  # `kill PID`, `timeout`, systemd: the fetch process alone
        process.send_signal(signal.SIGTERM)
    _out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err and "ForkProcess" not in err, err
    assert err.rstrip().endswith("Interrupted."), err
    assert _wait_gone(workers) == set()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_parse_workers_end_when_the_fetch_is_killed(tmp_path, server):
    process, workers = _fetch_in_progress(tmp_path, server)
    process.kill()
    process.communicate(timeout=60)
    assert _wait_gone(workers) == set()
