"""Every page of the web edition is valid HTML, and the result page is put together right."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml
from webtools import html_errors

from pipeline.render.site import as_blocks, split_references, toc_with


def test_every_generated_page_passes_the_nu_html_checker(site_pages):
    assert len(site_pages) > 20
    assert html_errors(site_pages) == []


def test_references_leave_the_section_that_holds_them_closed():
    body = ('<section id="a"><h2>A</h2><p>x</p>\n<div id="refs" class="references"><div class="csl-entry">R'
            '</div>\n</div>\n</section>')
    rest, refs = split_references(body)
    assert rest == '<section id="a"><h2>A</h2><p>x</p>\n\n</section>'
    assert refs == '<div id="refs" class="references"><div class="csl-entry">R</div>\n</div>'
    assert split_references("<p>no citations</p>") == ("<p>no citations</p>", "")


def test_front_matter_fields_are_paragraphs_once():
    assert as_blocks("One line.") == "<p>One line.</p>"
    assert as_blocks("<p>One.</p>\n<p>Two.</p>\n") == "<p>One.</p>\n<p>Two.</p>"


def test_table_of_contents_ends_with_the_page_sections():
    toc = '<ul>\n<li><a href="#a">A</a></li>\n</ul>'
    assert toc_with(toc, [("recs", "Recommendations"), ("refs", "References")]) == (
        '<ul>\n<li><a href="#a">A</a></li>\n<li><a href="#recs">Recommendations</a></li>\n'
        '<li><a href="#refs">References</a></li>\n</ul>')


def test_sample_result_pages_list_recommendations_and_references_in_their_contents(sample_site):
    page = (sample_site / "en/results/energy-poverty-brussels/index.html").read_text(encoding="utf-8")
    toc = re.search(r'<nav class="toc".*?</nav>', page, re.S).group(0)
    assert '<a href="#recommendations-title">Recommendations</a>' in toc
    assert '<a href="#references-title">References</a>' in toc
    assert "<p><p>" not in page


def test_urls_declared_in_the_sample_point_at_published_pages(sample_project: Path):
    base_url = tomllib.loads((sample_project / "crebis.toml").read_text(encoding="utf-8"))["base_url"]
    declared = []
    for path in sorted((sample_project / "content/results").glob("*/*.md")):
        front = yaml.safe_load(path.read_text(encoding="utf-8").split("---")[1])
        if str(front.get("url", "")).startswith(base_url):
            declared.append(front["url"])
    assert declared, "the sample declares url: somewhere"
    for url in declared:
        assert (sample_project / "outputs/site" / url[len(base_url):] / "index.html").is_file(), url
