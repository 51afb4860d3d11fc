"""The site's pages per language: home, results index, themes, generic pages, 404, and links that all resolve."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import yaml

from pipeline.content.pages import load_pages
from pipeline.errors import ContentError
from pipeline.project import Project
from pipeline.publish import build

LANGS = ("fr", "nl", "en")


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.ids: set[str] = set()
        self.forms: list[dict] = []
        self.inputs: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "form":
            self.forms.append(a)
        if tag == "input":
            self.inputs.append((a.get("name"), a.get("value")))
        for key in ("href", "src"):
            if tag in ("a", "link", "img", "script") and a.get(key):
                self.hrefs.append(a[key])


def parse(path: Path) -> Links:
    links = Links()
    links.feed(path.read_text(encoding="utf-8"))
    return links


@pytest.mark.parametrize("lang", LANGS)
def test_every_page_kind_exists_in_each_language(sample_site, lang):
    themes = yaml.safe_load((sample_site.parent.parent / "content/themes.yaml").read_text(encoding="utf-8"))
    expected = ["index.html", "results/index.html", "404.html", "search/index.html", "feed.xml",
                "newsletters/index.html", "about/index.html", "legal-notice/index.html",
                "accessibility/index.html", *(f"themes/{t}/index.html" for t in themes)]
    missing = [p for p in expected if not (sample_site / lang / p).is_file()]
    assert missing == []


def test_every_internal_link_and_anchor_resolves(sample_site, site_pages):
    """Opened from the server, no link of any page ends in a 404 or a missing anchor."""
    base = "https://site.test/"
    broken = []
    for page in site_pages:
        if page.name == "404.html":
            continue  # its links start at the site root path, checked below
        rel = page.relative_to(sample_site).as_posix()
        for href in parse(page).hrefs:
            url = urljoin(base + rel, href)
            if not url.startswith(base):
                continue
            path, fragment = urlsplit(url).path[1:], urlsplit(url).fragment
            target = sample_site / path
            if target.is_dir() or path == "" or path.endswith("/"):
                target = target / "index.html"
            if not target.is_file():
                broken.append(f"{rel}: {href}")
            elif fragment and target.suffix == ".html" and fragment not in parse(target).ids:
                broken.append(f"{rel}: {href} (no such anchor)")
    assert broken == []


def test_not_found_pages_link_from_the_site_root(sample_site):
    for path in (sample_site / "404.html", sample_site / "en/404.html"):
        hrefs = parse(path).hrefs
        assert "/en/" in hrefs and "/assets/site.css" in hrefs
    assert '<meta name="robots" content="noindex">' in (sample_site / "nl/404.html").read_text(encoding="utf-8")


def test_results_index_groups_by_year_and_theme_without_javascript(sample_site):
    html = (sample_site / "nl/results/index.html").read_text(encoding="utf-8")
    assert "<script" not in html
    assert re.search(r'<h3 id="year-2026">2026</h3>.*<h3 id="year-2025">2025</h3>', html, re.S)
    assert '<h3 id="theme-energy-poverty"><a href="../themes/energy-poverty/">Energiearmoede</a></h3>' in html
    by_theme = html.split('id="by-theme"')[-1]
    assert 'href="energy-poverty-brussels/">Energiearmoede bij Brusselse huurders</a>' in by_theme


def test_theme_page_lists_its_results_and_newsletters(sample_site):
    html = (sample_site / "fr/themes/energy-poverty/index.html").read_text(encoding="utf-8")
    assert "<h1>Précarité énergétique</h1>" in html
    assert 'href="../../results/energy-poverty-brussels/"' in html
    assert 'href="../../results/digital-exclusion-social-services/"' not in html
    assert 'href="../../newsletters/2026-04/"' in html  # the April issue features the energy study


def test_home_shows_the_centre_latest_results_and_newsletter(sample_site):
    html = (sample_site / "en/index.html").read_text(encoding="utf-8")
    assert "CREBIS studies social inequalities in Brussels" in html and 'href="about/"' in html
    assert html.index("non-take-up-social-rights") < html.index("energy-poverty-brussels")  # newest first
    assert 'href="newsletters/2026-04/"' in html
    root = (sample_site / "index.html").read_text(encoding="utf-8")
    assert all(f'hreflang="{lang}" href="https://crebis.example.org/{lang}/"' in root for lang in LANGS)


def test_generic_pages_are_in_the_footer_in_their_order(sample_site):
    html = (sample_site / "fr/results/index.html").read_text(encoding="utf-8")
    footer = html.split('class="footer-links"')[1]
    assert footer.index("about/") < footer.index("legal-notice/") < footer.index("accessibility/")
    page = (sample_site / "nl/accessibility/index.html").read_text(encoding="utf-8")
    assert "<h1>Toegankelijkheidsverklaring</h1>" in page and "2016/2102" in page


def test_page_loader_reports_each_problem_with_its_line(tmp_path):
    folder = tmp_path / "pages" / "about"
    folder.mkdir(parents=True)
    (folder / "en.md").write_text('---\ntitle: "About"\ndescription: "' + "x" * 170 + '"\ncolour: red\n---\n\nHi\n',
                                  encoding="utf-8")
    (tmp_path / "pages" / "Bad Name").mkdir()
    loaded = load_pages(tmp_path / "pages", ["en"])
    assert loaded.pages == []
    messages = [(e.line, e.message) for e in loaded.errors if isinstance(e, ContentError)]
    assert any("must be lower-case words" in m for _, m in messages)
    assert (3, "'description' has 170 characters: search engines show 160 at most, shorten it") in messages
    assert any(line == 4 and "unknown front matter key 'colour'" in m for line, m in messages)


def test_signup_form_posts_to_the_configured_service_only(project_dir):
    """The one key mail.service_url: no form without it; with it, the form posts to the service's own form in
    the page's language, with the fields the service reads (tests/web/test_subscriptions.py posts them)."""
    from projects import write_result

    write_result(project_dir)
    assert build(Project.open(project_dir)).ok
    home = project_dir / "outputs/site/fr/index.html"
    assert parse(home).forms == []
    with open(project_dir / "crebis.toml", "a", encoding="utf-8") as fh:
        fh.write('\n[mail]\nservice_url = "https://crebis.example.org/subscriptions"\n')
    assert build(Project.open(project_dir)).ok
    for lang, path in (("fr", home), ("fr", project_dir / "outputs/site/fr/results/housing-first/index.html"),
                       ("nl", project_dir / "outputs/site/nl/index.html")):
        page = parse(path)
        (form,) = page.forms
        assert form == {"method": "post", "action": f"https://crebis.example.org/subscriptions/{lang}/"}
        assert page.inputs == [("language", lang), ("lists", "newsletter"), ("website", None), ("email", None)]
    assert parse(project_dir / "outputs/site/fr/results/index.html").forms == []


@pytest.mark.parametrize("name", ["results", "search", "newsletters", "Bad Name"])
def test_a_page_folder_with_a_name_the_site_uses_is_an_error_naming_it_and_the_rest_builds(project_dir, name):
    from projects import write_result

    write_result(project_dir)
    folder = project_dir / "content" / "pages" / name
    folder.mkdir(parents=True)
    (folder / "en.md").write_text('---\ntitle: "Results"\ndescription: "Ours."\n---\n\nHi\n', encoding="utf-8")
    outcome = build(Project.open(project_dir))
    assert not outcome.ok
    assert [str(f) for f in outcome.report.failed] and all(
        f"page folder '{name}' must be lower-case words" in f.message for f in outcome.report.failed)
    assert (project_dir / "outputs/site/en/results/housing-first/index.html").is_file()
    assert (project_dir / "outputs/site/en/results/index.html").is_file()
