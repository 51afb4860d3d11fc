"""The weekly digest, an output kind of the build: golden renders in three languages, the email, the
archive and feed, an empty week, an uncurated week, an item gone from the store, and incremental builds."""

from __future__ import annotations

import re
import sqlite3
from html.parser import HTMLParser
from pathlib import Path

import feedparser
import pytest
from watchweek import NOW, WEEK, fill

from pipeline.project import Project
from pipeline.publish import build
from pipeline.watch.worksheet import review, worksheet_path

LANGS = ("fr", "nl", "en")
PAGE = "outputs/site/{lang}/watch/2026-W48/index.html"


def _entry_lines(text: str, item_id: str) -> tuple[int, int]:
    lines = text.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if line.lstrip().startswith("- id: ") or line.startswith("  unthemed:")]
    first = next(i for i in starts if lines[i].strip() == f"- id: {item_id}")
    return first, next((i for i in starts if i > first), len(lines))


def set_fields(path: Path, item_id: str, **fields: str) -> None:
    """Replace `keep:` and `note:` lines of one entry, as a curator would in an editor."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    first, end = _entry_lines("".join(lines), item_id)
    for key, value in fields.items():
        at = next(i for i in range(first, end) if lines[i].strip() == f"{key}:")
        lines[at] = f"    {key}: {value}\n"
    path.write_text("".join(lines), encoding="utf-8")


@pytest.fixture
def curated(project_dir: Path):
    """A project whose week 2026-W48 is reviewed and curated: four stories kept, notes and intro partly translated."""
    project = Project.open(project_dir)
    ids = fill(project)
    review(project, WEEK, now=NOW)
    path = worksheet_path(project, WEEK)
    text = path.read_text(encoding="utf-8").replace(
        "intro:\n  fr:\n  nl:\n", "intro:\n  fr: \"Cette semaine : les loyers et l'énergie.\"\n"
        "  nl: \"Deze week: huur en energie.\"\n", 1)
    path.write_text(text, encoding="utf-8")
    set_fields(path, ids["rents"], keep="true", note='{fr: "Les loyers sociaux montent.", nl: "Sociale huur stijgt.", '
                                                     'en: "Social rents rise."}')
    set_fields(path, ids["huur"], keep="true", note='"Un chiffre à suivre."')  # French only: falls back visibly
    set_fields(path, ids["tariff"], keep="true")
    set_fields(path, ids["homeless"], keep="true", note='{en: "Counted on one night."}')
    set_fields(path, ids["jazz"], keep="false")
    return project, ids


def built(project: Project, **kwargs):
    outcome = build(project, only={"digest"}, **kwargs)
    assert outcome.ok, [f.message for f in outcome.report.failed]
    return outcome


class Page(HTMLParser):
    """Headings in order, and which texts sit inside an element with a lang attribute."""

    def __init__(self) -> None:
        super().__init__()
        self.html_lang, self.headings, self.stack, self.lang_texts = None, [], [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.html_lang = a.get("lang")
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag not in ("meta", "link", "br", "img", "input"):
            self.stack.append(a.get("lang"))

    def handle_endtag(self, tag):
        if tag not in ("meta", "link", "br", "img", "input") and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        inner = next((lang for lang in reversed(self.stack) if lang), None)
        if data.strip() and inner:
            self.lang_texts.append((inner, data.strip()))


@pytest.mark.parametrize("lang", LANGS)
def test_golden_renders_in_three_languages(curated, golden, lang):
    project, _ids = curated
    built(project)
    root = project.root
    golden(f"digest/page-{lang}.html", (root / PAGE.format(lang=lang)).read_text(encoding="utf-8"))
    golden(f"digest/digest-{lang}.md", (root / f"outputs/digests/2026-W48/{lang}.md").read_text(encoding="utf-8"))
    golden(f"digest/digest-{lang}.txt", (root / f"outputs/digests/2026-W48/{lang}.txt").read_text(encoding="utf-8"))


def test_titles_keep_their_language_with_a_visible_tag_and_themes_dates_and_notes_follow_the_edition(curated):
    project, _ids = curated
    built(project)
    pages = {lang: (project.root / PAGE.format(lang=lang)).read_text(encoding="utf-8") for lang in LANGS}
    fr = Page()
    fr.feed(pages["fr"])
    assert fr.html_lang == "fr" and fr.headings == [1, 2, 3, 2, 3, 3, 3]  # headings in order
    assert ("nl", "Sociale woning: huur stijgt opnieuw") in fr.lang_texts
    assert ("en", "Homeless count: more people sleep rough") in fr.lang_texts
    assert "[NL]" in pages["fr"] and "[EN]" in pages["fr"] and "[FR]" not in pages["fr"]
    assert "[FR]" in pages["nl"] and "[NL]" not in pages["nl"].split("<main", 1)[1]
    for lang, theme, day in (("fr", "Logement", "24 novembre 2026"), ("nl", "Huisvesting", "24 november 2026"),
                             ("en", "Housing", "24 November 2026")):
        assert f">{theme}</h2>" in pages[lang] and day in pages[lang]
    assert "Sociale huur stijgt." in pages["nl"] and "Social rents rise." in pages["en"]
    # A note or intro missing in the edition's language shows in another one, said so and marked.
    en = Page()
    en.feed(pages["en"])
    assert "Not translated yet:" in pages["en"] and ("fr", "[FR] Un chiffre à suivre.") in en.lang_texts
    assert ("fr", "[FR] Cette semaine\u202f: les loyers et l’énergie.") in en.lang_texts or any(
        lang == "fr" and "Cette semaine" in text for lang, text in en.lang_texts)
    nl = Page()
    nl.feed(pages["nl"])
    assert ("en", "[EN] Counted on one night.") in nl.lang_texts
    # The cluster: both outlets are its sources, each linking to its own article.
    assert '<a href="https://lesoir.example.org/tariff">Le Soir</a>, ' \
           '<a href="https://times.example.org/tariff">times.example.org</a>' in pages["en"]
    assert "Un festival de jazz" not in pages["fr"]  # keep: false


def test_the_email_passes_the_newsletter_rules_and_shares_its_layout(curated):
    project, _ids = curated
    built(project)
    for lang in LANGS:
        html = (project.root / f"outputs/digests/2026-W48/{lang}.html").read_text(encoding="utf-8")
        text = (project.root / f"outputs/digests/2026-W48/{lang}.txt").read_text(encoding="utf-8")
        assert f'<html lang="{lang}"' in html and "[[unsubscribe_url]]" in html and "[[unsubscribe_url]]" in text
        assert "https://crebis.example.org/assets/newsletter/logo.png" in html  # the newsletter's header
        assert all(len(line) <= 72 or "://" in line for line in text.splitlines())
    fr_text = (project.root / "outputs/digests/2026-W48/fr.txt").read_text(encoding="utf-8")
    assert "Sociale woning: huur stijgt opnieuw [NL] [" in fr_text


def test_archive_and_feed_list_the_week(curated):
    project, _ids = curated
    built(project)
    for lang in LANGS:
        index = (project.root / f"outputs/site/{lang}/watch/index.html").read_text(encoding="utf-8")
        assert 'href="2026-W48/"' in index
        feed = feedparser.parse((project.root / f"outputs/site/{lang}/watch/feed.xml").read_bytes())
        assert not feed.bozo and feed.feed.language == lang
        [entry] = feed.entries
        assert entry.link == f"https://crebis.example.org/{lang}/watch/2026-W48/"


def test_the_build_is_incremental(curated):
    project, ids = curated
    first = built(project)
    assert len(first.report.built) == 3 * 4 + 3 * 2 + 1  # per language: page, md, html, txt; index, feed; logo
    assert built(project).report.built == []
    set_fields(worksheet_path(project, WEEK), ids["jazz"], note='"Hors sujet."')
    again = built(project)
    assert {t.output for t in again.report.built} >= {"site/fr/watch/2026-W48/index.html", "digests/2026-W48/nl.md"}


def test_a_week_with_nothing_kept_publishes_nothing_and_says_so(project_dir):
    project = Project.open(project_dir)
    ids = fill(project)
    review(project, WEEK, now=NOW)
    set_fields(worksheet_path(project, WEEK), ids["rents"], keep="false")
    outcome = built(project)
    assert not (project.root / PAGE.format(lang="fr")).exists()
    assert not list((project.root / "outputs").glob("digests/**/*.md"))
    assert any("nothing kept in 2026-W48: no digest published" in w for _t, w in outcome.report.warnings)
    index = (project.root / "outputs/site/fr/watch/index.html").read_text(encoding="utf-8")
    assert "Aucune veille publiée pour l’instant." in index
    assert not (project.root / "outputs/site/fr/watch/feed.xml").exists()


def test_auto_top_publishes_an_uncurated_week_marked_as_such(project_dir):
    (project_dir / "crebis.toml").write_text((project_dir / "crebis.toml").read_text(encoding="utf-8")
                                            + "\n[watch.digest]\nauto_top = 2\n", encoding="utf-8")
    project = Project.open(project_dir)
    fill(project)
    review(project, WEEK, now=NOW)
    built(project)
    page = (project.root / PAGE.format(lang="en")).read_text(encoding="utf-8")
    assert "Automatic selection: our team has not chosen these articles yet." in page
    assert page.count("<h3>") == 2
    md = (project.root / "outputs/digests/2026-W48/fr.md").read_text(encoding="utf-8")
    assert "Sélection automatique" in md


def test_an_item_kept_but_gone_from_the_store_is_published_from_the_worksheet_and_reported(curated):
    project, ids = curated
    with sqlite3.connect(project.state_dir / "watch.sqlite") as db:
        db.execute("DELETE FROM sources WHERE item_id = ?", (ids["huur"],))
        db.execute("DELETE FROM items WHERE id = ?", (ids["huur"],))
    outcome = built(project)
    assert "Sociale woning: huur stijgt opnieuw" in (project.root / PAGE.format(lang="fr")).read_text(encoding="utf-8")
    [warning] = [w for _t, w in outcome.report.warnings if "no longer in the watch store" in w]
    assert re.match(rf"content/watch/curation/2026-W48.yaml:\d+: kept item {ids['huur']} “Sociale woning: huur stijgt "
                    r"opnieuw” is no longer in the watch store: published from the worksheet's copy", warning)


def test_a_broken_worksheet_stops_its_digest_and_keeps_what_was_published(curated):
    project, _ids = curated
    built(project)
    page = project.root / PAGE.format(lang="fr")
    before = page.read_bytes()
    path = worksheet_path(project, WEEK)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("    keep: false\n", "    keep: maybe\n", 1), encoding="utf-8")
    outcome = build(project, only={"digest"})
    assert not outcome.ok
    [message] = {f.message for f in outcome.report.failed if "keep:" in f.message}
    assert re.match(r"content/watch/curation/2026-W48.yaml:\d+: keep: must be true", message)
    assert page.read_bytes() == before
