"""Word import: a DOCX made here with python-docx round-trips to Markdown, and what Word loses is said."""

from pathlib import Path

import docx
import pytest
from docx.shared import Inches
from projects import FIXTURES, write_result

from pipeline.content.docx_import import import_docx
from pipeline.content.load import load_results, load_themes
from pipeline.errors import CrebisError
from pipeline.project import Project


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
