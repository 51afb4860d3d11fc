"""Word import: DOCX files made with python-docx round-trip to Markdown that builds, and what Word loses is said."""

import itertools
import re
from pathlib import Path

import docx
import pypdf
import pytest
from click.testing import CliRunner
from docx.shared import Inches
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from projects import FIXTURES, write_result

from pipeline.cli import main
from pipeline.content.docx_import import import_docx, looks_like_name
from pipeline.content.load import load_results, load_themes
from pipeline.content.word_images import libreoffice
from pipeline.errors import CrebisError
from pipeline.project import Project

REPORTS = FIXTURES / "docx"


def make_report(path: Path, alt: str | None = "Bar chart of take-up by benefit") -> Path:
    document = docx.Document()
    document.core_properties.title = "Le non-recours à Bruxelles"
    document.core_properties.author = "Amina El Idrissi"
    document.add_heading("Contexte", level=1)
    paragraph = document.add_paragraph("Un droit social n'a d'effet que s'il est perçu. ")
    run = paragraph.add_run("Ce point est discuté.")
    document.add_comment(run, text="Source ? À vérifier avec Wouter.", author="Bram")
    document.add_heading("Données", level=2)
    table = document.add_table(rows=3, cols=2)
    for row, (label, value) in zip(table.rows, [("Aide", "Non-recours"), ("RIS", "38 %"), ("BIM", "31 %")],
                                   strict=True):
        row.cells[0].text, row.cells[1].text = label, value
    document.add_picture(str(FIXTURES / "chart.png"), width=Inches(3))
    if alt is not None:
        document.inline_shapes[0]._inline.docPr.set("descr", alt)
    document.save(path)
    return path


def test_report_round_trips_to_markdown_with_image_and_comment_reported(project_dir, tmp_path):
    project = Project.open(project_dir)
    report = import_docx(project, make_report(tmp_path / "report.docx"), "non-take-up", "fr")
    text = report.written.read_text(encoding="utf-8")
    assert report.written == project_dir / "content/results/non-take-up/fr.md"
    assert 'title: Le non-recours à Bruxelles' in text
    assert "- name: Amina El Idrissi" in text and "status: draft" in text
    assert "## Contexte" in text and "### Données" in text  # Word's Heading 1 sits below the title
    assert "| Aide | Non-recours |" in text.replace("  ", " ") or "| Aide" in text
    assert "| RIS" in text and "38 %" in text
    (image,) = report.images
    assert image.parent == report.written.parent and image.read_bytes() == (FIXTURES / "chart.png").read_bytes()
    assert f"![Bar chart of take-up by benefit]({image.name})" in text
    assert report.dropped == ["comment by Bram dropped: \u201cSource ? À vérifier avec Wouter.\u201d"]
    assert "Source ?" not in text
    assert {"summary", "key_findings", "recommendations"} <= set(report.todo)
    # what it wrote is a valid edition: the build can take it as soon as the TODOs are filled in
    loaded = load_results(project.results_dir, ["fr"], load_themes(project_dir / "content/themes.yaml"))
    assert loaded.errors == [] and loaded.results[0].edition("fr").status == "draft"


def test_image_without_description_gets_a_todo_alt(project_dir, tmp_path):
    report = import_docx(Project.open(project_dir), make_report(tmp_path / "r.docx", alt=""), "study", "en")
    assert "![TODO: describe this image](" in report.written.read_text(encoding="utf-8")
    assert "alt text of 1 image(s)" in report.todo


def test_never_overwrites_without_force(project_dir, tmp_path):
    project = Project.open(project_dir)
    source = make_report(tmp_path / "r.docx")
    written = import_docx(project, source, "study", "nl").written
    written.write_text("edited by hand", encoding="utf-8")
    with pytest.raises(CrebisError, match=r"content/results/study/nl.md already exists: use --force"):
        import_docx(project, source, "study", "nl")
    assert written.read_text() == "edited by hand"
    import_docx(project, source, "study", "nl", force=True)
    assert written.read_text() != "edited by hand"


def test_second_language_shares_the_facts_of_the_first(project_dir, tmp_path):
    write_result(project_dir, langs=("fr",))
    project = Project.open(project_dir)
    import_docx(project, make_report(tmp_path / "r.docx"), "housing-first", "en")
    loaded = load_results(project.results_dir, ["fr", "en"], load_themes(project_dir / "content/themes.yaml"))
    assert loaded.errors == []
    en = loaded.results[0].edition("en")
    assert en.date.isoformat() == "2026-03-12" and [a.name for a in en.authors] == ["Lea Janssens"]
    assert en.figures[0].file == "chart.png" and en.figures[0].alt.startswith("TODO: ")


def test_tracked_changes_and_charts_are_reported(project_dir, tmp_path):
    source = make_report(tmp_path / "r.docx")
    # a tracked insertion and an embedded chart part, as Word writes them
    import zipfile

    patched = tmp_path / "patched.docx"
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(patched, "w") as out:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "word/document.xml":
                insertion = (b'<w:p><w:ins w:id="90" w:author="A" w:date="2026-01-01T00:00:00Z">'
                             b"<w:r><w:t>Inserted.</w:t></w:r></w:ins></w:p>")
                data = data.replace(b"<w:body>", b"<w:body>" + insertion, 1)
            out.writestr(item, data)
        out.writestr("word/charts/chart1.xml", "<c:chartSpace/>")
    report = import_docx(Project.open(project_dir), patched, "study", "fr")
    assert "1 tracked insertion(s) and 0 deletion(s) accepted: check the text says what the authors agreed" \
        in report.dropped
    assert "1 Word chart(s) not imported: export each as PNG and declare it under 'figures'" in report.dropped
    assert "Inserted." in report.written.read_text(encoding="utf-8")


@pytest.mark.parametrize(("content", "message"), [
    (None, "file not found"), (b"plain text", "not a Word .docx file"),
])
def test_bad_input_is_a_clear_error(project_dir, tmp_path, content, message):
    path = tmp_path / "report.docx"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(CrebisError, match=message):
        import_docx(Project.open(project_dir), path, "study", "fr")
    assert not (project_dir / "content/results/study").exists()


def crebis(project_dir: Path, *args: str):
    result = CliRunner().invoke(main, ["-C", str(project_dir), *args])
    assert "Traceback" not in result.output, result.output
    return result


def fill_in(path: Path, author: str | None = "Amina El Idrissi") -> None:
    """Do what the researcher does after an import: replace the TODO markers of the front matter, publish."""
    text = path.read_text(encoding="utf-8")
    for todo, value in ((r"'TODO: three to five[^']*'", "Une phrase. Deux phrases."),
                        (r"'TODO: the main finding[^']*'", "Un constat."),
                        (r"'TODO: what should be done.'", "Agir."), (r"'TODO: who should do it'", "Le gouvernement"),
                        (r"affiliation: TODO", "affiliation: TEST"), (r"themes: \[\]", "themes: [housing]"),
                        (r"status: draft", "status: published")):
        text = re.sub(todo, value, text)
    if author:
        text = text.replace("- name: 'TODO: author'", f"- name: {author}")
    assert "TODO" not in text, text
    path.write_text(text, encoding="utf-8")


def test_report_starting_at_heading_2_with_tables_and_cross_references_builds(project_dir):
    imported = crebis(project_dir, "import", str(REPORTS / "heading2-crossref-table.docx"), "--slug", "non-take-up",
                      "--lang", "fr")
    assert imported.exit_code == 0, imported.output
    assert "comment by Wouter Claes dropped: \u201cChiffre à sourcer.\u201d" in imported.output
    assert "1 tracked insertion(s) and 1 deletion(s) accepted" in imported.output
    assert "3 cross-reference(s) to Word bookmarks" in imported.output
    assert "1 empty heading(s) dropped" in imported.output
    assert "authors (the document gives 'eng-dept', not a person's name)" in imported.output
    path = project_dir / "content/results/non-take-up/fr.md"
    text = path.read_text(encoding="utf-8")
    assert "title: Le non-recours aux droits sociaux" in text and "- name: 'TODO: author'" in text
    # Word's Heading 2 and 3 are the page's sections and subsections; the empty heading is gone
    assert re.findall(r"^#+ .*$", text, re.M) == ["## Contexte", "### Méthode", "## Résultats", "## Conclusions"]
    assert not re.search(r"^#+\s*$", text, re.M)
    # a cell of two paragraphs stays a table cell (a grid table), never raw HTML
    assert "<table" not in text and "+====" in text and "| Estimation haute : voir l'annexe. |" in text
    assert "_Ref" not in text and ".anchor" not in text and "](#" not in text
    assert "(voir Tableau 1)" in text and "Voir aussi la section Conclusions." in text
    assert "Il touche surtout les familles monoparentales." in text and "Il est rare." not in text

    fill_in(path)
    built = crebis(project_dir, "build")
    assert built.exit_code == 0, built.output
    briefs = project_dir / "outputs/briefs/non-take-up"
    pdf_text = " ".join(page.extract_text() for page in pypdf.PdfReader(briefs / "non-take-up-fr.pdf").pages)
    assert "Estimation haute" in pdf_text and "voir Tableau 1" in pdf_text
    assert len(re.findall(r"Tableau 1", pdf_text)) == 3, pdf_text  # Word's caption numbered once, two references
    brief = docx.Document(briefs / "non-take-up-fr.docx")
    (table,) = brief.tables
    cell = table.cell(1, 2)
    # (the French narrow no-break space before the colon: pipeline/render/typography.py)
    assert [p.text for p in cell.paragraphs] == ["Revenu d’intégration sociale.",
                                                 "Estimation haute\u202f: voir l’annexe."]
    html = (project_dir / "outputs/site/fr/results/non-take-up/index.html").read_text(encoding="utf-8")
    assert "<table" in html and "&lt;table" not in html and "Octroi automatique depuis 2024." in html


def test_picture_in_a_text_box_is_carried_into_the_body(project_dir):
    imported = crebis(project_dir, "import", str(REPORTS / "text-box-image.docx"), "--slug", "wonen", "--lang", "nl")
    assert imported.exit_code == 0, imported.output
    assert "1 text box(es) moved into the body" in imported.output
    directory = project_dir / "content/results/wonen"
    text = (directory / "nl.md").read_text(encoding="utf-8")
    assert "- name: Jan Van den Berg" in text and "- name: Marie Dupont" in text
    assert "Encadré : la figure du rapport\n\n![Staafdiagram van de huurprijzen](nl-image1.png)" in text
    assert (directory / "nl-image1.png").read_bytes() == (FIXTURES / "chart.png").read_bytes()
    assert re.findall(r"^#+ .*$", text, re.M) == ["## Inleiding", "### Resultaten"]
    fill_in(directory / "nl.md", author=None)
    built = crebis(project_dir, "build", "--only", "brief")
    assert built.exit_code == 0, built.output
    brief = docx.Document(project_dir / "outputs/briefs/wonen/wonen-nl.docx")
    assert len(brief.inline_shapes) == 1


def _png_ratio(png: bytes) -> float:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    return int.from_bytes(png[16:20], "big") / int.from_bytes(png[20:24], "big")


@pytest.mark.skipif(libreoffice() is None, reason="LibreOffice converts EMF drawings; not installed")
def test_emf_and_wmf_drawings_are_converted_to_png_at_import(project_dir):
    imported = crebis(project_dir, "import", str(REPORTS / "emf-image.docx"), "--slug", "energy", "--lang", "en")
    assert imported.exit_code == 0, imported.output
    assert "image1.emf (a Windows drawing) converted to en-image1.png" in imported.output
    assert "image2.wmf (a Windows drawing) converted to en-image2.png" in imported.output
    assert "authors (the document gives 'KSAS-IT', not a person's name)" in imported.output
    directory = project_dir / "content/results/energy"
    assert sorted(p.name for p in directory.iterdir()) == ["en-image1.png", "en-image2.png", "en.md"]
    # cropped to the 2:1 drawings, not LibreOffice's A4 page
    assert abs(_png_ratio((directory / "en-image1.png").read_bytes()) - 2) < 0.05
    assert abs(_png_ratio((directory / "en-image2.png").read_bytes()) - 2) < 0.05
    text = (directory / "en.md").read_text(encoding="utf-8")
    assert "![Diagram: two overlapping shapes](en-image1.png)" in text and "![A blue band](en-image2.png)" in text
    fill_in(directory / "en.md")
    built = crebis(project_dir, "build", "--only", "brief")
    assert built.exit_code == 0, built.output
    assert len(docx.Document(project_dir / "outputs/briefs/energy/energy-en.docx").inline_shapes) == 2


def test_emf_drawing_without_a_converter_is_refused_by_name(project_dir, monkeypatch):
    monkeypatch.setenv("PATH", str(project_dir))  # no LibreOffice on this PATH
    imported = crebis(project_dir, "import", str(REPORTS / "emf-image.docx"), "--slug", "energy", "--lang", "en")
    assert imported.exit_code != 0
    assert "emf-image.docx: picture 'image1.emf' (\u201cDiagram: two overlapping shapes\u201d) is a Windows " \
           "drawing (EMF)" in imported.output
    assert "(2 such pictures in all)" in imported.output
    assert "Install LibreOffice" in imported.output and "Save as Picture" in imported.output
    assert not (project_dir / "content/results/energy").exists()


def test_outline_never_skips_a_level(project_dir, tmp_path):
    document = docx.Document()
    for text, level in (("Introduction", 1), ("Détail", 3), ("Encore", 4), ("Suite", 1), ("Note", 2)):
        document.add_heading(text, level=level)
        document.add_paragraph("Texte.")
    document.save(tmp_path / "gaps.docx")
    report = import_docx(Project.open(project_dir), tmp_path / "gaps.docx", "gaps", "fr")
    text = report.written.read_text(encoding="utf-8")
    assert re.findall(r"^#+ .*$", text, re.M) == ["## Introduction", "### Détail", "#### Encore", "## Suite",
                                                   "### Note"]
    assert "2 heading(s) moved up so that no level is skipped: check the outline" in report.dropped


@pytest.mark.parametrize(("value", "expected"), [
    ("Amina El Idrissi", True), ("Jan Van den Berg", True), ("Marie DUPONT", True), ("Jean-Luc d'Hondt", True),
    ("J. Smith", True), ("eng-dept", False), ("KSAS-IT", False), ("KSAS IT", False), ("Administrator", False),
    ("Microsoft Office User", False), ("Utilisateur Windows", False), ("user42", False), ("lea", False),
    ("Lea", False), ("jdoe@example.org", False), ("DOMAIN\\jdoe", False),
])
def test_author_properties_are_taken_only_when_they_look_like_names(value, expected):
    assert looks_like_name(value) is expected


# Text as researchers type it, with what Markdown would misread: '#', '*', '|', '@', '[', '<', '$', '\\'.
_WORDS = st.text(alphabet="abcdeéèàçñ ABCXYZ0123456789.,;:!?'’«»%#*|@[]<>$\\-", max_size=30)
_BLOCKS = st.lists(st.one_of(
    st.tuples(st.just("heading"), st.integers(1, 6), st.one_of(st.just(""), _WORDS)),
    st.tuples(st.just("para"), st.just(0), _WORDS),
    st.tuples(st.just("table"), st.integers(1, 3), st.lists(_WORDS, min_size=1, max_size=3)),
), min_size=1, max_size=10)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(blocks=_BLOCKS)
@example(blocks=[("heading", 1, " 0"), ("heading", 2, "0")])  # Word keeps a heading's leading space
def test_any_outline_and_tables_import_to_an_edition_the_loader_accepts(project_dir, tmp_path, blocks):
    document = docx.Document()
    for kind, number, content in blocks:
        if kind == "heading":
            document.add_heading(content, level=number)
        elif kind == "para":
            document.add_paragraph(content)
        else:
            table = document.add_table(rows=2, cols=number)
            for cell in table._cells:
                cell.text = content[0]
                for extra in content[1:]:
                    cell.add_paragraph(extra)  # a cell of several paragraphs
    document.save(tmp_path / "fuzz.docx")
    report = import_docx(Project.open(project_dir), tmp_path / "fuzz.docx", "fuzz", "fr", force=True)
    text = report.written.read_text(encoding="utf-8")
    body = text.split("\n---\n", 1)[1]
    levels = [len(m) for m in re.findall(r"^(#+) \S", body, re.M)]
    if levels:
        assert levels[0] == 2 and all(b <= a + 1 for a, b in itertools.pairwise(levels)), levels
    assert "<table" not in body and not re.search(r"^#+\s*$", body, re.M)
    loaded = load_results(project_dir / "content/results", ["fr"], load_themes(project_dir / "content/themes.yaml"))
    assert [e.message for e in loaded.errors if "TODO" not in e.message] == []


def test_a_table_of_one_line_cells_is_a_pipe_table(project_dir, tmp_path):
    # Word (and python-docx) store each column's width: pandoc wrote such a table as a grid (+----+)
    document = docx.Document()
    document.add_heading("Un rapport simple", level=1)
    table = document.add_table(rows=3, cols=3)
    table.style = "Table Grid"
    for row, values in zip(table.rows, [("Commune", "Logés", "Taux"), ("Anderlecht", "40", "85 %"),
                                        ("Ixelles", "25", "90 %")], strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    document.save(tmp_path / "simple.docx")
    report = import_docx(Project.open(project_dir), tmp_path / "simple.docx", "simple", "fr")
    body = report.written.read_text(encoding="utf-8").split("---\n", 2)[2]
    assert "+--" not in body
    assert re.findall(r"^\|.*\|$", body, re.M) == [
        "| Commune    | Logés | Taux |",
        "|------------|-------|------|",
        "| Anderlecht | 40    | 85 % |",
        "| Ixelles    | 25    | 90 % |",
    ]
