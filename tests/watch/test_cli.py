"""The `crebis watch` commands: thin, with help, clean errors, text and JSON output."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.cli.watch import feeds, watch


def _commands():
    return [watch, feeds, *watch.commands.values(), *feeds.commands.values()]


@pytest.mark.parametrize("command", _commands(), ids=lambda c: c.name)
def test_commands_have_help(command):
    assert command.help, f"{command.name} is missing its help"


def _run(project, *args):
    result = CliRunner().invoke(main, ["-C", str(project.root), "watch", *args], catch_exceptions=False)
    return result


def test_feeds_add_list_remove(project):
    added = _run(project, "feeds", "add", "https://a.example/feed", "--lang", "fr", "--theme", "housing",
                 "--weight", "2", "--title", "A")  # fmt: skip
    assert added.exit_code == 0 and "Added https://a.example/feed to content/watch/feeds.opml." in added.output
    listed = _run(project, "feeds", "list")
    assert "A [fr · weight 2 · themes housing]" in listed.output and "never fetched" in listed.output
    [row] = json.loads(_run(project, "feeds", "list", "--format", "json").output)
    assert row["url"] == "https://a.example/feed" and row["failures"] == 0 and row["item_count"] == 0
    assert _run(project, "feeds", "remove", "https://a.example/feed").exit_code == 0
    assert "No feeds yet" in _run(project, "feeds", "list").output


def test_errors_are_messages_not_tracebacks(project):
    result = _run(project, "feeds", "add", "https://a.example/feed", "--theme", "nope")
    assert result.exit_code == 1
    assert "Error: feed https://a.example/feed: unknown theme(s) nope" in result.output
    assert "Traceback" not in result.output
    missing = _run(project, "feeds", "remove", "https://nope.example/")
    assert missing.exit_code == 1
    assert "no feed list here; add a feed with `crebis watch feeds add URL`" in missing.output


def test_import_and_export(project, tmp_path):
    source = tmp_path / "reader.opml"
    source.write_text('<opml version="2.0"><head/><body><outline text="X" xmlUrl="https://x.example/rss"/>'
                      '<outline text="X" xmlUrl="https://x.example/rss"/></body></opml>', encoding="utf-8")  # fmt: skip
    assert "1 feed(s) added, 0 already watched." in _run(project, "feeds", "import", str(source)).output
    again = _run(project, "feeds", "import", str(source)).output
    assert "0 feed(s) added, 1 already watched." in again and "already watched: https://x.example/rss" in again
    assert 'xmlUrl="https://x.example/rss"' in _run(project, "feeds", "export").output
    out = tmp_path / "out.opml"
    _run(project, "feeds", "export", "-o", str(out))
    assert out.read_text(encoding="utf-8").startswith("<?xml")


def test_fetch_then_list(project, server, watch):
    good = server.add_fixture("rss2.xml")
    watch(good, server.url("/missing.xml"))
    fetched = _run(project, "fetch")
    assert fetched.exit_code == 0
    assert "2 feeds: 3 new items, 0 updated, 0 not modified, 1 failed, 0 skipped" in fetched.output
    assert f"failed: {server.url('/missing.xml')}: HTTP 404 Not Found" in fetched.output
    assert "not modified" in _run(project, "fetch").output
    listed = _run(project, "list", "--lang", "fr").output
    assert "Le non-recours aux droits sociaux recule au CPAS d'Anderlecht" in listed
    items = json.loads(_run(project, "list", "--format", "json", "--theme", "energy-poverty").output)
    assert [i["link"] for i in items] == ["https://example.org/news/energie"]
    assert _run(project, "list", "--since", "2030-01-01").output.startswith("No items")
    bad = _run(project, "list", "--theme", "poverty")
    assert bad.exit_code == 1 and "unknown theme 'poverty'" in bad.output


def test_fetch_without_feed_list_explains(project):
    result = _run(project, "fetch")
    assert result.exit_code == 1 and "crebis watch feeds add URL" in result.output


def test_hostile_feeds_never_end_the_fetch_with_an_internal_error(project, server, watch):
    good = server.add_fixture("rss2.xml")
    locations = ["javascript:alert(1)", "data:,x", "mailto:a@example.org", "urn:x:y"]
    redirects = [server.add(f"/r{i}.xml", status=302, headers={"Location": loc}) for i, loc in enumerate(locations)]
    busy = server.add("/busy.xml", status=429, content_type="text/plain", headers={"Retry-After": "9" * 15})
    watch(*redirects, busy, "http://xn--zz.example/feed", good)
    result = _run(project, "fetch")
    assert "Internal error" not in result.output
    assert result.exit_code == 0
    assert "3 new items" in result.output and "6 failed" in result.output


@pytest.mark.parametrize("url", ["http://xn--zz.example/feed", "http://example.org:abc/feed"])
def test_feeds_add_and_import_check_addresses_as_httpx_does(project, tmp_path, url):
    added = _run(project, "feeds", "add", url)
    assert added.exit_code == 1 and "not a valid web address" in added.output
    source = tmp_path / "reader.opml"
    source.write_text(f'<opml version="2.0"><head/><body><outline text="X" xmlUrl="{url}"/></body></opml>',
                      encoding="utf-8")  # fmt: skip
    imported = _run(project, "feeds", "import", str(source))
    assert imported.exit_code == 1 and "not a valid web address" in imported.output


def test_fetch_exits_non_zero_when_every_feed_failed_or_with_strict_when_any_did(project, server, watch):
    watch(server.url("/missing-1.xml"), server.url("/missing-2.xml"))
    every = _run(project, "fetch")
    assert every.exit_code == 1 and "every feed fetched failed (2)" in every.output
    good = server.add_fixture("rss2.xml")
    _run(project, "feeds", "add", good)
    some = _run(project, "fetch")
    assert some.exit_code == 0 and "3 new items" in some.output
    strict = _run(project, "fetch", "--strict")
    assert strict.exit_code == 1 and "2 of 3 feed(s) failed (--strict)" in strict.output


def test_fetch_one_feed_and_force(tmp_path, server):
    from .conftest import WATCH_CONFIG, make_project

    config = WATCH_CONFIG.replace("min_interval_minutes = 0", "min_interval_minutes = 60")
    project = make_project(tmp_path / "p", config)
    one, two = server.add_fixture("rss2.xml"), server.add_fixture("atom.xml")
    for url in (one, two):
        _run(project, "feeds", "add", url)
    only = _run(project, "fetch", "--feed", two)
    assert only.exit_code == 0 and "1 feeds: 2 new items" in only.output and server.hits["/rss2.xml"] == 0
    again = _run(project, "fetch")
    assert "1 not due yet" in again.output and again.exit_code == 0
    assert server.hits == {"/atom.xml": 1, "/rss2.xml": 1}
    forced = _run(project, "fetch", "--force", "--feed", two)
    assert forced.exit_code == 0 and server.hits["/atom.xml"] == 2
    unknown = _run(project, "fetch", "--feed", "https://nowhere.example/feed")
    assert unknown.exit_code == 1 and "not in content/watch/feeds.opml" in unknown.output


def test_list_streams_the_same_items_as_json_and_text(project, server, watch):
    watch(server.add_fixture("rss2.xml"), server.add_fixture("atom.xml"))
    _run(project, "fetch")
    items = json.loads(_run(project, "list", "--format", "json").output)
    assert len(items) == 5 and items == sorted(items, key=lambda i: -i["score"])
    text = _run(project, "list").output
    assert [line.split("] ", 1)[1] for line in text.splitlines() if line[:1] == " " and "] " in line][:5] == [
        i["title"] for i in items]  # fmt: skip
    assert json.loads(_run(project, "list", "--format", "json", "--since", "2031-01-01").output) == []


def test_list_shows_feed_names_and_theme_labels(project, server):
    url = server.add_fixture("rss2.xml")
    _run(project, "feeds", "add", url, "--title", "Le Forum", "--lang", "fr")
    _run(project, "fetch")
    listed = _run(project, "list", "--lang", "fr").output
    assert "sources: Le Forum" in listed and url not in listed
    assert "themes: Non-recours aux droits" in listed and "non-take-up" not in listed


def test_an_unknown_theme_written_by_hand_shows_in_feeds_list(project):
    (project.root / "content" / "watch").mkdir(parents=True)
    (project.root / "content" / "watch" / "feeds.opml").write_text(
        '<opml version="2.0"><head/><body><outline text="H" xmlUrl="https://h.example/rss" themes="housing logment"/>'
        "</body></opml>", encoding="utf-8")  # fmt: skip
    listed = _run(project, "feeds", "list").output
    assert "problem in feeds.opml: unknown theme(s) logment; known:" in listed
    [row] = json.loads(_run(project, "feeds", "list", "--format", "json").output)
    assert row["problems"][0].startswith("unknown theme(s) logment")


def test_import_reports_a_url_listed_twice_in_the_file(project, tmp_path):
    source = tmp_path / "reader.opml"
    source.write_text('<opml version="2.0"><head/><body><outline text="X" xmlUrl="https://x.example/rss"/>'
                      '<outline text="Folder"><outline text="X again" xmlUrl="https://x.example/rss"/></outline>'
                      "</body></opml>", encoding="utf-8")  # fmt: skip
    imported = _run(project, "feeds", "import", str(source)).output
    assert "1 feed(s) added" in imported
    assert "listed more than once in the file: https://x.example/rss (imported once)" in imported


def test_feeds_set_changes_a_feed_in_place_inside_its_folder(project):
    path = project.root / "content" / "watch" / "feeds.opml"
    path.parent.mkdir(parents=True)
    path.write_text('<opml version="2.0"><head><title>F</title></head><body><!-- the centre\'s partners -->'
                    '<outline text="Partners"><outline text="A" title="A" xmlUrl="https://a.example/rss" '
                    'themes="housing" custom="kept"/></outline></body></opml>', encoding="utf-8")  # fmt: skip
    result = _run(project, "feeds", "set", "https://a.example/rss", "--title", "Asso", "--lang", "NL",
                  "--theme", "health", "--theme", "migration", "--weight", "2")  # fmt: skip
    assert result.exit_code == 0 and "Set https://a.example/rss: Asso [nl · weight 2 · themes health,migration]" in (
        result.output)  # fmt: skip
    text = path.read_text(encoding="utf-8")
    assert "the centre's partners" in text and 'custom="kept"' in text
    from pipeline.watch.opml import read_opml

    [feed] = read_opml(path)
    assert (feed.title, feed.language, feed.themes, feed.weight) == ("Asso", "nl", ("health", "migration"), 2.0)
    assert '<outline text="Partners">' in _run(project, "feeds", "export").output  # folders survive export
    bad = _run(project, "feeds", "set", "https://a.example/rss", "--theme", "nope")
    assert bad.exit_code == 1 and "unknown theme(s) nope" in bad.output
    missing = _run(project, "feeds", "set", "https://b.example/rss", "--weight", "3")
    assert missing.exit_code == 1 and "is not in content/watch/feeds.opml" in missing.output
    assert _run(project, "feeds", "set", "https://a.example/rss", "--no-themes").exit_code == 0
    assert read_opml(path)[0].themes == ()


def test_import_keeps_the_file_s_folders(project, tmp_path):
    _run(project, "feeds", "add", "https://old.example/rss")
    source = tmp_path / "reader.opml"
    source.write_text('<opml version="2.0"><head/><body><outline text="Santé"><outline text="Bruxelles">'
                      '<outline text="A" xmlUrl="https://a.example/rss"/></outline>'
                      '<outline text="B" xmlUrl="https://b.example/rss"/></outline>'
                      '<outline text="C" xmlUrl="https://c.example/rss"/></body></opml>', encoding="utf-8")  # fmt: skip
    assert "3 feed(s) added" in _run(project, "feeds", "import", str(source)).output
    from pipeline.watch.opml import feed_folders

    folders = feed_folders(project.root / "content" / "watch" / "feeds.opml")
    assert folders == {"https://old.example/rss": (), "https://a.example/rss": ("Santé", "Bruxelles"),
                       "https://b.example/rss": ("Santé",), "https://c.example/rss": ()}  # fmt: skip
    exported = tmp_path / "out.opml"
    _run(project, "feeds", "export", "-o", str(exported))
    assert feed_folders(exported) == folders
