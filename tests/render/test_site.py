"""The web page of a result: accessible, per-language, linked to its other editions."""

import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from projects import edition_text, write_result

from pipeline.project import Project
from pipeline.publish import build


class Outline(HTMLParser):
    """Collects what an accessibility reviewer looks at first."""

    def __init__(self) -> None:
        super().__init__()
        self.html_lang = None
        self.headings: list[int] = []
        self.images: list[dict] = []
        self.links: list[dict] = []
        self.anchors: list[dict] = []
        self.ids: set[str] = set()
        self.first_link = None
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "html":
            self.html_lang = a.get("lang")
        elif tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self.headings.append(int(tag[1]))
        elif tag == "img":
            self.images.append(a)
        elif tag == "link":
            self.links.append(a)
        elif tag == "a":
            self.anchors.append(a)
            self.first_link = self.first_link or a

    def handle_data(self, data):
        self.text.append(data)


def page(project_dir: Path, lang: str, slug: str = "housing-first") -> tuple[str, Outline]:
    html = (project_dir / "outputs" / "site" / lang / "results" / slug / "index.html").read_text(encoding="utf-8")
    outline = Outline()
    outline.feed(html)
    return html, outline


@pytest.fixture
def built_site(project_dir: Path) -> Path:
    write_result(project_dir)
    assert build(Project.open(project_dir)).ok
    return project_dir


@pytest.mark.parametrize("lang", ["fr", "nl", "en"])
def test_page_structure_is_accessible(built_site, lang):
    html, outline = page(built_site, lang)
    assert outline.html_lang == lang
    assert outline.first_link["href"] == "#content" and "content" in outline.ids  # skip link first
    assert outline.headings.count(1) == 1 and outline.headings[0] == 1
    for before, after in zip(outline.headings, outline.headings[1:], strict=False):
        assert after <= before + 1, f"heading jumps from h{before} to h{after}"
    assert outline.images, "the page has its logo and figure"
    assert all(img.get("alt") for img in outline.images)
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html


def test_figure_gets_alt_caption_and_source_from_front_matter(built_site):
    _, outline = page(built_site, "nl")
    (figure,) = [img for img in outline.images if "chart.png" in img["src"]]
    assert figure["alt"] == "Een staafdiagram."
    assert figure["src"] == "../../../media/housing-first/chart.png"
    assert (built_site / "outputs/site/nl/results/housing-first" / figure["src"]).resolve().is_file()
    text = "".join(outline.text)
    assert "Caption nl" in text and "Bron: Illustrative" in text


def test_other_editions_are_linked_with_hreflang(built_site):
    _, outline = page(built_site, "fr")
    alternates = {link["hreflang"]: link["href"] for link in outline.links
                  if link.get("rel") == "alternate" and "hreflang" in link}
    # every language version lists itself, its siblings and x-default (the first language's version)
    assert alternates == {"fr": "https://crebis.example.org/fr/results/housing-first/",
                          "nl": "https://crebis.example.org/nl/results/housing-first/",
                          "en": "https://crebis.example.org/en/results/housing-first/",
                          "x-default": "https://crebis.example.org/fr/results/housing-first/"}
    switcher = [a for a in outline.anchors if a.get("hreflang")]
    assert [(a["hreflang"], a["lang"], a["href"]) for a in switcher] == [
        ("nl", "nl", "../../../nl/results/housing-first/"), ("en", "en", "../../../en/results/housing-first/")]


@pytest.mark.parametrize(("lang", "date"), [("fr", "12 mars 2026"), ("nl", "12 maart 2026"),
                                            ("en", "12 March 2026")])
def test_dates_follow_the_edition_locale(built_site, lang, date):
    html, _ = page(built_site, lang)
    assert f'<time datetime="2026-03-12">{date}</time>' in html


def test_front_matter_markdown_is_rendered_and_labels_translated(built_site):
    html, _ = page(built_site, "nl")
    assert "<li>Finding <strong>one</strong> (34\u00a0%).</li>" in html
    assert ">Belangrijkste bevindingen</h2>" in html and ">Aanbevelingen</h2>" in html
    assert "Voorbeeldinhoud: de cijfers zijn illustratief" in html  # illustrative content says so


def test_stylesheet_has_focus_print_and_brand(built_site):
    css = (built_site / "outputs/site/assets/site.css").read_text()
    assert ":focus-visible" in css and "@media print" in css and "@media (max-width" in css
    assert "--primary: #1d4e89" in css


def test_citations_are_rendered_under_a_references_heading(project_dir):
    directory = write_result(project_dir, langs=("fr", "en"))
    (project_dir / "content/references.bib").write_text(
        "@book{doe2020, author={Doe, Jane and Roe, Rick}, title={Housing and Health}, year={2020}, "
        "publisher={Presses}}\n", encoding="utf-8")
    for lang in ("fr", "en"):
        (directory / f"{lang}.md").write_text(edition_text(lang) + "\nVoir [@doe2020, p. 12].\n", encoding="utf-8")
    assert build(Project.open(project_dir)).ok
    fr, _ = page(project_dir, "fr")
    en, _ = page(project_dir, "en")
    assert 'id="references-title">Références</h2>' in fr and "Housing and Health" in fr
    assert 'id="references-title">References</h2>' in en
    # citeproc speaks the edition's language: APA joins two authors with "&" and writes "p." in both
    assert "Doe &amp; Roe, 2020, p. 12" in en and "Doe &amp; Roe, 2020, p. 12" in fr


def test_language_index_and_root(built_site):
    index = (built_site / "outputs/site/en/index.html").read_text()
    assert 'href="results/housing-first/">Housing First in Brussels</a>' in index
    root = (built_site / "outputs/site/index.html").read_text()
    for lang, name in (("fr", "Français"), ("nl", "Nederlands"), ("en", "English")):
        assert f'<li lang="{lang}"><a href="{lang}/" hreflang="{lang}">{name}</a>' in root


def test_golden_page(built_site, golden):
    html, _ = page(built_site, "fr")
    golden("site/housing-first-fr.html", html)


def test_a_draft_sibling_is_never_linked(project_dir):
    directory = write_result(project_dir)
    (directory / "en.md").write_text(edition_text("en", status="draft", title='"TODO: title"'), encoding="utf-8")
    assert build(Project.open(project_dir), only={"site"}).ok
    html, outline = page(project_dir, "fr")
    hreflangs = {link.get("hreflang") for link in outline.links if link.get("rel") == "alternate"}
    assert "nl" in hreflangs and "en" not in hreflangs
    assert "en" not in [a["hreflang"] for a in outline.anchors if a.get("hreflang")]
    assert "TODO" not in html and "/en/results/housing-first" not in html


def test_an_image_only_placed_in_the_body_is_published_like_a_figure(project_dir):
    directory = write_result(project_dir)
    shutil.copy(directory / "chart.png", directory / "fr-image1.png")  # what `crebis import` writes
    (directory / "fr.md").write_text(edition_text("fr") + "\n![Un graphique des loyers](fr-image1.png)\n",
                                     encoding="utf-8")
    outcome = build(Project.open(project_dir), only={"site", "brief"})
    assert outcome.ok, [f.message for f in outcome.report.failed] + [f.message for f in outcome.content_errors]
    _, outline = page(project_dir, "fr")
    (image,) = [img for img in outline.images if "fr-image1" in img["src"]]
    assert image["alt"] == "Un graphique des loyers"
    assert (project_dir / "outputs/site/fr/results/housing-first" / image["src"]).resolve().is_file()
