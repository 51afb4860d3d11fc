"""Plain-language summaries: HTML, tagged PDF and text per result and language, in an easy-to-read layout."""

import re

import pypdf
import pytest
from projects import write_result

from pipeline.project import Project
from pipeline.publish import build
from pipeline.render.summary import to_typst, typst_escape
from pipeline.render.typst import compile_typst

SUMMARY = '"Beaucoup de ménages ne reçoivent pas leur aide. Un ménage sur trois est concerné."'


@pytest.fixture
def built(project_dir):
    write_result(project_dir, summary=SUMMARY)
    outcome = build(Project.open(project_dir), only={"summary"})
    assert outcome.ok, outcome.report.failed
    return project_dir / "outputs" / "summaries"


def test_every_edition_gets_three_files(built):
    assert sorted(p.name for p in built.iterdir()) == [
        f"housing-first-{lang}.{ext}" for lang in ("en", "fr", "nl") for ext in ("html", "pdf", "txt")]


def test_html_is_accessible_and_one_sentence_a_line(built):
    page = (built / "housing-first-nl.html").read_text(encoding="utf-8")
    assert '<html lang="nl">' in page
    assert re.findall(r"<h(\d)", page) == ["1", "2", "2", "2"]
    assert "<p>Beaucoup de ménages ne reçoivent pas leur aide.</p>" in page
    assert "<p>Un ménage sur trois est concerné.</p>" in page
    assert "<li>Finding <strong>one</strong> (34\u00a0%).</li>" in page
    assert "font-size: 1.25rem" in page and "hyphens: manual" in page and "text-align: left" in page
    assert 'href="https://crebis.example.org/nl/results/housing-first/"' in page
    # the brand's font stack reaches the style sheet as CSS, not HTML-escaped (which would drop it)
    assert 'font-family: system-ui, "Segoe UI", "Helvetica Neue"' in page


def test_text_has_short_lines(built):
    text = (built / "housing-first-en.txt").read_text(encoding="utf-8")
    assert text.startswith("Housing First in Brussels\n=========================\n")
    assert all(len(line) <= 60 for line in text.splitlines())
    assert "- Finding one (34\u00a0%)." in text and "**" not in text


def test_pdf_is_tagged_with_language_title_and_large_type(built):
    reader = pypdf.PdfReader(built / "housing-first-fr.pdf")
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "fr-BE" and "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"]
    assert reader.metadata.title == "Le logement d'abord à Bruxelles"
    sizes = []
    reader.pages[0].extract_text(visitor_text=lambda t, cm, tm, font, size: sizes.append(size * tm[0]) if t.strip()
                                 else None)
    assert min(sizes) >= 14
    text = reader.pages[0].extract_text()
    assert "Un ménage sur trois est concerné." in text


def test_typst_special_characters_are_escaped(tmp_path):
    nasty = "Coût #1 : 50 $ * 2_x @ref <b> [a] ~ // -- = + \\ `c`"
    pdf = compile_typst(f"#set document(title: \"t\")\n#set text(lang: \"fr\")\n{typst_escape(nasty)}\n", tmp_path)
    text = pypdf.PdfReader(__import__("io").BytesIO(pdf)).pages[0].extract_text()
    assert " ".join(text.split()) == " ".join(nasty.split())
    assert to_typst("a **b** *c* [d](https://e.be)") == 'a #strong[b] #emph[c] #link("https://e.be")[d]'


def test_pdf_keeps_the_date_on_one_line(built):
    reader = pypdf.PdfReader(built / "housing-first-fr.pdf")
    lines = [line for page in reader.pages for line in page.extract_text().splitlines()]
    # no-break spaces: with the centre's long name before it, the date broke as "12 / mars 2026"
    assert any("12\u00a0mars\u00a02026" in line for line in lines), lines[-5:]
