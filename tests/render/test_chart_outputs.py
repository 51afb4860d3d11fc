"""A chart from data in every output: SVG on the web page, vector in the PDF brief, PNG at 2x in the DOCX,
each with its data as a real table."""

from __future__ import annotations

import re
import struct
import zipfile
from pathlib import Path

import pypdf
import pytest
from projects import chart_figures, edition_text, write_chart, write_result

from pipeline.project import Project
from pipeline.publish import build

SLUG = "housing-first"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import shutil

    from projects import CONFIG, REPO
    root = tmp_path_factory.mktemp("charts") / "project"
    root.mkdir()
    (root / "crebis.toml").write_text(CONFIG, encoding="utf-8")
    shutil.copytree(REPO / "layouts", root / "layouts")
    (root / "content").mkdir()
    shutil.copy(REPO / "content" / "themes.yaml", root / "content" / "themes.yaml")
    directory = write_result(root)
    write_chart(directory)
    for lang in ("fr", "nl", "en"):
        (directory / f"{lang}.md").write_text(edition_text(lang, figures=chart_figures(lang)), encoding="utf-8")
    outcome = build(Project.open(root), only={"site", "brief"})
    assert outcome.ok, [str(f) for f in outcome.content_errors] + [f.message for f in outcome.report.failed]
    return root


def _page(root: Path, lang: str) -> str:
    return (root / f"outputs/site/{lang}/results/{SLUG}/index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(("lang", "category", "share"), [("fr", "Leefloon", None), ("nl", "Leefloon", "41%"),
                                                         ("en", "Integration income", "41%")])
def test_web_page_shows_the_svg_with_its_alt_and_the_data_table(built: Path, lang, category, share):
    page = _page(built, lang)
    img = re.search(rf'<img src="../../../media/{SLUG}/take-up\.{lang}\.svg" alt="([^"]+)"', page)
    assert img and img.group(1).startswith(("Barres", "Staven", "Bars"))
    svg = (built / f"outputs/site/media/{SLUG}/take-up.{lang}.svg").read_text(encoding="utf-8")
    assert svg.startswith("<svg")
    details = re.search(r'<details class="chart-data">\s*<summary>\s*(.+?)\s*</summary>\s*<table>(.+?)</table>\s*'
                        r"</details>", page, re.S)
    assert details, "no data table in a disclosure under the chart"
    assert details.group(1) in ("Données du graphique", "Gegevens van de grafiek", "Chart data")
    table = details.group(2)
    assert "<th" in table and table.count("<tr>") == 7
    if lang != "fr":
        assert category in table and f">{share}<" in table
    else:
        assert "Revenu d’intégration" in table or "Revenu d'intégration" in table
        assert re.search(r">41[\u00a0\u202f]%<", table)


def _structure(pdf: pypdf.PdfReader) -> list[tuple[str, str | None]]:
    """(tag, alt text) of every element of the PDF's structure tree."""
    found = []
    stack = [pdf.trailer["/Root"]["/StructTreeRoot"]]
    while stack:
        node = stack.pop()
        if isinstance(node, pypdf.generic.IndirectObject):
            node = node.get_object()
        if isinstance(node, pypdf.generic.ArrayObject):
            stack.extend(node)
            continue
        if not isinstance(node, pypdf.generic.DictionaryObject):
            continue
        if "/S" in node:
            found.append((str(node["/S"]), str(node["/Alt"]) if "/Alt" in node else None))
        if "/K" in node:
            stack.append(node["/K"])
    return found


def test_pdf_brief_draws_the_chart_as_vector_tagged_with_its_alt_and_a_tagged_table(built: Path):
    pdf = pypdf.PdfReader(built / f"outputs/briefs/{SLUG}/{SLUG}-nl.pdf")
    text = "".join(page.extract_text() for page in pdf.pages)
    # the chart's own texts are text in the PDF (vector drawing), in Dutch, with Dutch numbers
    assert "Niet-gebruik per uitkering" in text and "Verhoogde tegemoetkoming" in text and "40%" in text
    images = sum(len(page.images) for page in pdf.pages)
    assert images == 1  # the picture figure (chart.png) only: the chart is not a bitmap
    tags = _structure(pdf)
    assert ("/Figure", "Staven: het niet-gebruik gaat van 12 % tot 41 %.") in tags
    assert any(tag == "/Table" for tag, _ in tags) and any(tag == "/TH" for tag, _ in tags)


def test_docx_brief_has_the_png_at_twice_the_size_and_a_table(built: Path):
    with zipfile.ZipFile(built / f"outputs/briefs/{SLUG}/{SLUG}-en.docx") as docx:
        document = docx.read("word/document.xml").decode("utf-8")
        pngs = [docx.read(n) for n in docx.namelist() if n.startswith("word/media/") and n.endswith(".png")]
    charts = [p for p in pngs if b"pHYs" in p and struct.unpack(">I", p[p.index(b"pHYs") + 4:][:4])[0] == 7559]
    assert len(charts) == 1, "the chart's PNG says 192 dpi (2x), so Word shows it at its size"
    assert "<w:tbl>" in document and "Integration income" in document and "41%" in document


def test_the_chart_is_drawn_once_per_language(built: Path):
    drawn = sorted(p.name for p in (built / ".crebis/charts").iterdir())
    assert len([n for n in drawn if n.endswith(".print.svg")]) == 3
