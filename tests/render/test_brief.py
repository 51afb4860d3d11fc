"""Policy briefs opened as their readers' tools open them: pypdf for the PDF, python-docx for the DOCX."""

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import docx
import pypdf
import pytest
from docx.oxml.ns import qn
from projects import edition_text, write_result

from pipeline.content.word_images import libreoffice
from pipeline.project import Project
from pipeline.publish import build

BIB = """\
@book{doe2020, author={Doe, Jane and Roe, Rick}, title={Housing and Health}, year={2020}, publisher={Presses}}
@misc{undated, author={Poe, Ann}, title={An Undated Leaflet}, publisher={Asbl}}
"""


@pytest.fixture
def briefs(project_dir: Path) -> Path:
    directory = write_result(project_dir)
    (project_dir / "content/references.bib").write_text(BIB, encoding="utf-8")
    for lang in ("fr", "nl", "en"):
        (directory / f"{lang}.md").write_text(edition_text(lang) + "\nSee [@doe2020; @undated].\n", encoding="utf-8")
    outcome = build(Project.open(project_dir), only={"brief"})
    assert outcome.ok, [f.message for f in outcome.report.failed]
    return project_dir / "outputs" / "briefs" / "housing-first"


def pdf(briefs: Path, lang: str) -> pypdf.PdfReader:
    return pypdf.PdfReader(briefs / f"housing-first-{lang}.pdf")


def text_of(reader: pypdf.PdfReader) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


@pytest.mark.parametrize("lang", ["fr", "nl", "en"])
def test_pdf_is_tagged_with_language_title_and_structure(briefs, lang):
    reader = pdf(briefs, lang)
    root = reader.trailer["/Root"]
    assert 1 <= len(reader.pages) <= 4
    assert root["/Lang"].startswith(lang)
    assert "/StructTreeRoot" in root
    assert bool(root["/MarkInfo"]["/Marked"])
    assert reader.metadata.title == {"fr": "Le logement d'abord à Bruxelles", "nl": "Housing First in Brussel",
                                     "en": "Housing First in Brussels"}[lang]
    assert reader.metadata.author == "Lea Janssens"


def _fonts(reader: pypdf.PdfReader) -> dict[str, bool]:
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            descriptor = (descendants[0].get_object() if descendants else font).get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor else {}
            embedded = any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))
            fonts[str(font["/BaseFont"])] = embedded
    return fonts


def test_pdf_fonts_are_the_shipped_sans_and_embedded(briefs):
    fonts = _fonts(pdf(briefs, "fr"))
    assert fonts and all(fonts.values()), fonts
    assert any("SourceSansPro" in name for name in fonts)


def test_pdf_figure_carries_its_alt_text_in_the_structure_tree(briefs):
    reader = pdf(briefs, "nl")
    alts = []

    def walk(node):
        node = node.get_object()
        if isinstance(node, dict):
            if node.get("/S") == "/Figure" and "/Alt" in node:
                alts.append(str(node["/Alt"]))
            kids = node.get("/K")
            for kid in kids if isinstance(kids, list) else [kids] if kids is not None else []:
                if hasattr(kid, "get_object"):
                    walk(kid)

    walk(reader.trailer["/Root"]["/StructTreeRoot"])
    assert "Een staafdiagram." in alts


@pytest.mark.parametrize(("lang", "labels", "undated"), [
    ("fr", ("Constats clés", "Recommandations", "Destinataire", "Références", "Comment citer"), "s. d."),
    ("nl", ("Belangrijkste bevindingen", "Aanbevelingen", "Voor", "Referenties", "Zo citeert u dit"), "z.d."),
    ("en", ("Key findings", "Recommendations", "For", "References", "How to cite"), "n.d."),
])
def test_pdf_content_is_in_the_edition_language(briefs, lang, labels, undated):
    text = text_of(pdf(briefs, lang))
    for label in labels:
        assert label in text, f"{label!r} missing from the {lang} brief"
    # (PDF text extraction gives any space as a space; tests/render/test_typography.py checks which)
    assert "Finding one (34 %)." in text.replace("\u00a0", " ").replace("\u202f", " ") and "Do this." in text
    # citeproc formats in the edition's language: "no date" is s.d. / z.d. / n.d.
    assert f"(Doe & Roe, 2020; Poe, {undated})" in text


def test_docx_has_title_headings_lists_and_figure_alt(briefs):
    document = docx.Document(briefs / "housing-first-en.docx")
    styled = [(p.style.name, p.text) for p in document.paragraphs if p.text.strip()]
    assert ("Title", "Housing First in Brussels") in styled
    headings = [(style, text) for style, text in styled if style.startswith("Heading")]
    # Word's own heading styles, the outline starting at Heading 1 below the Title
    assert headings[:3] == [("Heading 1", "Key findings"), ("Heading 1", "Housing"), ("Heading 2", "Detail")]
    assert {"Recommendations", "References", "How to cite"} <= {text for _, text in headings}
    assert document.styles["Heading 1"].element.pPr.find(qn("w:outlineLvl")).get(qn("w:val")) == "0"
    numbered = [p.text for p in document.paragraphs if p._p.pPr is not None and p._p.pPr.numPr is not None]
    assert "Finding one (34\u00a0%)." in numbered and "Finding two." in numbered
    assert any(text.startswith("Do this.") for text in numbered)
    alts = [el.get("descr") for el in document.element.body.iter(qn("wp:docPr"))]
    assert alts == ["A bar chart."]


def test_docx_uses_the_branded_reference_document(briefs):
    document = docx.Document(briefs / "housing-first-fr.docx")
    heading = document.styles["Heading 1"]
    assert str(heading.font.color.rgb) == "1D4E89"
    assert document.styles["Normal"].font.name == "Arial"


@pytest.mark.parametrize(("lang", "footer"), [
    ("fr", "Centre de test · Note de politique\tPage  / "),
    ("nl", "Centre de test · Beleidsnota\tPagina  / "),
    ("en", "Centre de test · Policy brief\tPage  / "),
])
def test_docx_page_is_a4_with_logo_header_numbered_footer_and_language(briefs, lang, footer):
    document = docx.Document(briefs / f"housing-first-{lang}.docx")
    (section,) = document.sections
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert [round(m.mm) for m in (section.left_margin, section.right_margin, section.bottom_margin)] == [20, 20, 22]
    (logo,) = section.header._element.iter(qn("wp:docPr"))
    assert logo.get("descr") == "TEST"  # the logo says whose it is
    assert section.footer.paragraphs[0].text == footer  # without the numbers, which Word fills in
    fields = [f.get(qn("w:instr")).strip() for f in section.footer._element.iter(qn("w:fldSimple"))]
    assert fields == ["PAGE", "NUMPAGES"]
    language = document.styles.element.find(f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}/{qn('w:lang')}")
    assert language.get(qn("w:val")) == {"fr": "fr-BE", "nl": "nl-BE", "en": "en"}[lang]
    assert document.core_properties.language == language.get(qn("w:val"))


def test_docx_is_reproducible_and_keeps_no_machine_path(briefs):
    project_dir = briefs.parent.parent.parent
    path = briefs / "housing-first-en.docx"
    first = path.read_bytes()
    with zipfile.ZipFile(path) as archive:
        # the edition's date, not the build's time, in the properties and on the parts pandoc writes
        assert archive.getinfo("word/document.xml").date_time == (2026, 3, 12, 0, 0, 0)
        core = archive.read("docProps/core.xml").decode()
        assert "<dcterms:created xsi:type=\"dcterms:W3CDTF\">2026-03-12T00:00:00Z</dcterms:created>" in core
        for name in archive.namelist():
            data = archive.read(name)
            assert str(project_dir).encode() not in data, name
        custom = archive.read("docProps/custom.xml").decode() if "docProps/custom.xml" in archive.namelist() else ""
        assert "references.bib" not in custom and "apa.csl" not in custom
    # a clean build elsewhere, later: no state, no cached reference document
    shutil.rmtree(project_dir / ".crebis")
    shutil.rmtree(project_dir / "outputs")
    outcome = build(Project.open(project_dir), only={"brief"})
    assert outcome.ok
    assert path.read_bytes() == first


@pytest.mark.skipif(libreoffice() is None, reason="LibreOffice shows the DOCX as Word would; not installed")
def test_docx_laid_out_by_a_word_processor_has_its_header_and_page_numbers(briefs, tmp_path):
    profile = (tmp_path / "profile").as_uri()
    subprocess.run([libreoffice(), f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(briefs / "housing-first-nl.docx")],
                   check=True, capture_output=True, timeout=180, stdin=subprocess.DEVNULL)
    reader = pypdf.PdfReader(tmp_path / "housing-first-nl.pdf")
    pages = len(reader.pages)
    assert [round(float(v)) for v in reader.pages[0].mediabox[2:]] == [595, 842]  # A4 in points
    for number, page in enumerate(reader.pages, 1):
        text = " ".join(page.extract_text().split())
        assert f"Centre de test · Beleidsnota Pagina {number} / {pages}" in text
    assert "/XObject" in reader.pages[0]["/Resources"]  # the header's logo (the chart may be on a later page)


def test_briefs_are_published_beside_the_web_page_and_linked(briefs):
    project_dir = briefs.parent.parent.parent
    build(Project.open(project_dir), only={"site"})
    page_dir = project_dir / "outputs/site/fr/results/housing-first"
    assert (page_dir / "housing-first-fr.pdf").read_bytes() == (briefs / "housing-first-fr.pdf").read_bytes()
    html = (page_dir / "index.html").read_text()
    assert 'href="housing-first-fr.pdf"' in html and 'href="housing-first-fr.docx"' in html


def test_over_budget_brief_is_a_warning_naming_result_and_pages(project_dir):
    directory = write_result(project_dir, langs=("en",))
    long_body = "\n\n".join(["A paragraph of the body that goes on for a while to fill the page."] * 60)
    (directory / "en.md").write_text(edition_text("en") + long_body + "\n", encoding="utf-8")
    config = project_dir / "crebis.toml"
    config.write_text(config.read_text() + "\n[brief]\nmax_pages = 1\n", encoding="utf-8")
    outcome = build(Project.open(project_dir), only={"brief"})
    assert outcome.ok
    (warning,) = [w for _, w in outcome.report.warnings]
    assert warning.startswith("content/results/housing-first/en.md: the en brief of 'housing-first' has 3 pages, "
                              "over the budget of 1 (brief.max_pages)")


def test_typst_special_characters_in_plain_fields_are_escaped(project_dir):
    write_result(project_dir, langs=("en",), title='"Costs in $ and #1 [draft] // *not bold*"',
                 authors='\n  - name: "Ann \\\\ \\"Q\\" O\'Neil"')
    outcome = build(Project.open(project_dir), only={"brief"})
    assert outcome.ok, [f.message for f in outcome.report.failed]
    reader = pypdf.PdfReader(project_dir / "outputs/briefs/housing-first/housing-first-en.pdf")
    assert reader.metadata.title == "Costs in $ and #1 [draft] // *not bold*"
    assert "Costs in $ and #1 [draft] // *not bold*" in text_of(reader)


def test_a_thematic_break_and_highlighted_code_build_the_pdf(project_dir):
    directory = write_result(project_dir, langs=("en",))
    body = "\nBefore.\n\n---\n\nAfter.\n\n```python\nx = 1\n```\n"
    (directory / "en.md").write_text(edition_text("en") + body, encoding="utf-8")
    outcome = build(Project.open(project_dir), only={"brief"})
    assert outcome.ok, [f.message for f in outcome.report.failed]
    text = text_of(pypdf.PdfReader(project_dir / "outputs/briefs/housing-first/housing-first-en.pdf"))
    assert "Before." in text and "After." in text and "x = 1" in text


def test_characters_source_sans_lacks_fall_back_to_the_bundled_noto_fonts(project_dir):
    directory = write_result(project_dir, langs=("fr",))
    (directory / "fr.md").write_text(edition_text("fr") + "\nMerci \U0001F64F, 世界 et ✓.\n", encoding="utf-8")
    outcome = build(Project.open(project_dir), only={"brief"})
    assert outcome.ok, [f.message for f in outcome.report.failed]
    reader = pypdf.PdfReader(project_dir / "outputs/briefs/housing-first/housing-first-fr.pdf")
    fonts = {str(font["/BaseFont"]) for page in reader.pages
             for font in (page["/Resources"].get("/Font") or {}).values()
             for font in [font.get_object()]}
    assert any("NotoEmoji" in f for f in fonts) and any("NotoSansCJK" in f for f in fonts), fonts


def test_a_character_no_font_can_show_is_reported_at_its_line(project_dir):
    directory = write_result(project_dir, langs=("fr",))
    (directory / "fr.md").write_text(edition_text("fr") + "\nUn hiéroglyphe \U00013000 ici.\n", encoding="utf-8")
    outcome = build(Project.open(project_dir), only={"brief"})
    (failure,) = [f for f in outcome.report.failed if f.target.output.endswith(".pdf")]
    assert failure.message.startswith("content/results/housing-first/fr.md:34: no font crebis ships can show")


def test_a_table_caption_is_printed_as_written_numbered_once(project_dir):
    # Word's captions carry their own number, named by the text's cross-references ("voir Tableau 1"),
    # as crebis import writes them: the PDF shows it once, as the web page and the DOCX do.
    directory = write_result(project_dir, langs=("fr",))
    table = ("\nVoir le Tableau 1.\n\n| Prestation | Non-recours |\n|---|---|\n| RIS | 38 % |\n\n"
             ": Tableau 1 : non-recours par prestation\n")
    (directory / "fr.md").write_text(edition_text("fr") + table, encoding="utf-8")
    outcome = build(Project.open(project_dir), only={"brief"})
    assert outcome.ok, [f.message for f in outcome.report.failed]
    briefs = project_dir / "outputs/briefs/housing-first"
    pdftotext = shutil.which("pdftotext")
    texts = [text_of(pypdf.PdfReader(briefs / "housing-first-fr.pdf"))]
    if pdftotext:
        texts.append(subprocess.run([pdftotext, briefs / "housing-first-fr.pdf", "-"], capture_output=True,
                                    text=True, check=True).stdout)
    for text in texts:
        assert len(re.findall(r"Tableau 1\s*: non-recours par prestation", text)) == 1, text
        assert text.count("Tableau 1") == 2, text  # the caption and the cross-reference, nothing else
    captions = [p.text for p in docx.Document(briefs / "housing-first-fr.docx").paragraphs if "non-recours" in p.text]
    assert captions == ["Tableau 1\u202f: non-recours par prestation"]


def test_a_figure_stays_where_it_fits_and_one_that_does_not_floats_with_the_text_flowing_on(project_dir):
    from projects import chart_figures, write_chart

    directory = write_result(project_dir, langs=())
    write_chart(directory)
    # A short text: chart and data table fit on page 1 (floating every figure put the chart above the title);
    # the picture after them does not, and floats to page 2 while the text after it fills page 1.
    body = "\n\n## Résultats\n\nAvant le graphique.\n\n![](take-up.vl.yaml)\n\n" + "Texte. " * 300 + \
        "\n\n![](chart.png)\n\nAPRÈS LA FIGURE.\n"
    text = edition_text("fr", figures=chart_figures("fr"))
    (directory / "fr.md").write_text(text.split("\n\n## ")[0] + body, encoding="utf-8")
    outcome = build(Project.open(project_dir), only={"brief"})
    assert outcome.ok, [f.message for f in outcome.report.failed]
    reader = pypdf.PdfReader(project_dir / "outputs/briefs/housing-first/housing-first-fr.pdf")
    pages = [" ".join(page.extract_text().split()) for page in reader.pages]
    first = pages[0]
    assert first.index("Le logement d’abord") < first.index("Avant le graphique") < first.index("Fig. 1")
    assert first.index("Fig. 1") < first.index("Données du graphique")  # the data table under its chart
    assert "Fig. 2" not in first and "Fig. 2" in pages[1]
    assert "APRÈS LA FIGURE" in first or pages[1].index("Fig. 2") < pages[1].index("APRÈS LA FIGURE")
