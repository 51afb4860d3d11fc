"""A chart from data in every output: SVG on the web page, vector in the PDF brief, PNG at 2x in the DOCX,
each with its data as a real table."""

from __future__ import annotations

import re
import struct
import zipfile
from pathlib import Path

import pypdf
import pytest
from projects import chart_figures, edition_text, write_chart, write_issue, write_result

from pipeline.project import Project
from pipeline.publish import build
from pipeline.render.charts import NARROW_WIDTH, svg_size

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
    write_issue(root)  # features the result
    outcome = build(Project.open(root), only={"site", "brief", "summary", "newsletter"})
    assert outcome.ok, [str(f) for f in outcome.content_errors] + [f.message for f in outcome.report.failed]
    return root


def _page(root: Path, lang: str) -> str:
    return (root / f"outputs/site/{lang}/results/{SLUG}/index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(("lang", "category", "share"), [("fr", "Leefloon", None), ("nl", "Leefloon", "41%"),
                                                         ("en", "Integration income", "41%")])
def test_web_page_shows_the_svg_with_its_alt_and_the_data_table(built: Path, lang, category, share):
    page = _page(built, lang)
    drawings = re.findall(r'<svg class="chart-(wide|narrow)" role="img" aria-label="([^"]+)"', page)
    assert [layout for layout, _ in drawings] == ["wide", "narrow"]  # in the page, the stylesheet shows one
    assert all(alt.startswith(("Barres", "Staven", "Bars")) for _, alt in drawings)
    assert 'aria-roledescription' not in page  # Vega's own marks: the alt text and the table say it
    svg = (built / f"outputs/site/media/{SLUG}/take-up.{lang}.svg").read_text(encoding="utf-8")
    assert svg.startswith("<svg")  # published beside the page too
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


def test_pdf_summary_draws_the_chart_as_vector_tagged_with_its_alt_and_a_tagged_table(built: Path):
    pdf = pypdf.PdfReader(built / f"outputs/summaries/{SLUG}-en.pdf")
    text = "".join(page.extract_text() for page in pdf.pages)
    assert "Non-take-up by benefit" in text and "Social tariff" in text and "40%" in text  # the chart's texts
    assert sum(len(page.images) for page in pdf.pages) == 0  # vector: the summary shows no picture
    tags = _structure(pdf)
    assert ("/Figure", "Bars: non-take-up ranges from 12% to 41%.") in tags
    assert any(tag == "/Table" for tag, _ in tags) and any(tag == "/TH" for tag, _ in tags)
    assert "Chart data: Chart caption en" in text and "Integration income" in text


def test_the_brief_keeps_its_figure_width_after_a_summary_set_its_own(built: Path):
    from pipeline.content.load import load_results, load_themes
    from pipeline.render.brief import convert_to_typst
    from pipeline.render.context import RenderContext
    from pipeline.render.summary import typst_source
    project = Project.open(built)
    themes = load_themes(built / "content/themes.yaml")
    ctx = RenderContext.create(project, load_results(project.results_dir, project.config.languages, themes).results,
                               themes)
    result = next(r for r in ctx.results if r.slug == SLUG)
    edition = next(e for e in result.editions if e.lang == "fr")
    assert "width: 100%" in typst_source(ctx, result, edition)  # the summary's chart: the whole column
    assert "width: 82%" in convert_to_typst(ctx, result, edition).body  # the same pandoc worker, the brief's width


@pytest.mark.parametrize(("lang", "share"), [("fr", "41[\u00a0\u202f]%"), ("en", "41%")])
def test_html_summary_shows_the_svg_in_the_page_and_the_data_table_in_a_disclosure(built: Path, lang, share):
    page = (built / f"outputs/summaries/{SLUG}-{lang}.html").read_text(encoding="utf-8")
    drawings = re.findall(r'<div class="chart">\s*<figure>\s*<svg class="chart-(wide)" role="img" aria-label="([^"]+)"'
                          r'[^>]* style="min-width: \d+px"|<svg class="chart-(narrow)" role="img"', page)
    assert [d[0] or d[2] for d in drawings] == ["wide", "narrow"], "the chart is not in the page, in its box"
    from pipeline.render.typography import typeset
    assert drawings[0][1] == typeset({"fr": "Barres : le non-recours va de 12 % à 41 %.",
                                      "en": "Bars: non-take-up ranges from 12% to 41%."}[lang], lang)
    assert "<img" not in page  # the summary is one file: its drawings in the page itself
    details = re.search(r'<details class="chart-data">\s*<summary>\s*(.+?)\s*</summary>\s*<table>(.+?)</table>',
                        page, re.S)
    assert details and details.group(1) in ("Données du graphique", "Chart data")
    assert details.group(2).count("<tr>") == 7 and re.search(f">{share}<", details.group(2))
    findings = page[page.index('<section aria-labelledby="findings-title">'):]
    assert findings.index("</ul>") < findings.index('<div class="chart">') < findings.index("</section>")


def test_text_summary_gives_the_chart_as_a_text_table(built: Path):
    text = (built / f"outputs/summaries/{SLUG}-en.txt").read_text(encoding="utf-8")
    lines = text.splitlines()
    assert all(len(line) <= 60 for line in lines)
    assert "Bars: non-take-up ranges from 12% to 41%." in text and "Chart caption en" in text
    rule = next(i for i, line in enumerate(lines) if set(line) <= {"-", " "} and line.startswith("---"))
    assert lines[rule - 1].split()[:2] == ["Benefit", "Year"]  # the long title wrapped, its last line on the rule
    first = [c.strip() for c in lines[rule + 1].split("  ") if c.strip()]
    assert first == ["Integration income", "2024", "41%", "1,200"]
    assert lines[rule + 7] == ""  # six rows, then the source
    assert "Source: Illustrative" in text
    # columns line up: every number ends where the column's rule ends
    end = len(lines[rule])
    assert all(len(line) == end for line in lines[rule + 1:rule + 7])


@pytest.mark.parametrize("lang", ["fr", "nl", "en"])
def test_email_shows_the_png_at_2x_from_the_site_with_its_alt_and_size(built: Path, lang):
    import email
    import email.policy

    from pipeline.render.typography import typeset
    html = (built / f"outputs/newsletters/2026-04/{lang}.html").read_text(encoding="utf-8")
    url = f"https://crebis.example.org/media/newsletters/2026-04/{SLUG}/take-up.{lang}.png"
    img = re.search(rf'<img src="{re.escape(url)}" alt="([^"]+)" width="(\d+)" height="(\d+)"', html)
    assert img, "no chart in the email"
    alt = typeset({"fr": "Barres : le non-recours va de 12 % à 41 %.", "nl": "Staven: het niet-gebruik gaat van "
                   "12 % tot 41 %.", "en": "Bars: non-take-up ranges from 12% to 41%."}[lang], lang)
    # the alt text as written (MRML wrote an attribute's no-break space as "\u{a0}")
    assert img.group(1).replace("&#160;", "\u00a0").replace("&#8239;", "\u202f") == alt and "\\u{" not in html
    png = (built / f"outputs/site/media/newsletters/2026-04/{SLUG}/take-up.{lang}.png").read_bytes()
    width, height = struct.unpack(">II", png[16:24])
    svg = (built / f"outputs/site/media/{SLUG}/take-up.{lang}.narrow.svg").read_bytes()  # the email's drawing
    drawn = float(re.search(rb'<svg[^>]*width="([\d.]+)"', svg).group(1))
    shown = int(img.group(2))
    assert shown == min(500, round(drawn)) and abs(width - 2 * shown) <= 1  # 2x as shown, not as drawn
    assert abs(int(img.group(3)) - height * shown / width) <= 1
    message = email.message_from_bytes((built / f"outputs/newsletters/2026-04/{lang}.eml").read_bytes(),
                                       policy=email.policy.default)
    part = message.get_body(("html",)).get_content()
    assert url in part and "cid:" not in part  # linked from the site, as every image of the email


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_newsletter_archive_and_feed_show_the_chart_the_email_shows(built: Path, lang):
    site = built / "outputs/site"
    page = (site / f"{lang}/newsletters/2026-04/index.html").read_text(encoding="utf-8")
    figure = re.search(r'<figure class="newsletter-chart">\s*<picture>\s*<source media="\(max-width: 46rem\)" '
                       r'srcset="\.\./\.\./\.\./([^"]+)">\s*<source srcset="\.\./\.\./\.\./([^"]+)" '
                       r'width="(\d+)" height="(\d+)">\s*<img src="\.\./\.\./\.\./([^"]+)" alt="([^"]+)"', page)
    assert figure, "no chart in the issue's web archive"
    narrow, wide, width, height, png, alt = figure.groups()
    assert png == f"media/newsletters/2026-04/{SLUG}/take-up.{lang}.png" and (site / png).is_file()
    assert narrow == f"media/{SLUG}/take-up.{lang}.narrow.svg" and (site / narrow).read_bytes().startswith(b"<svg")
    # a larger screen shows the wide drawing of the result's page, at its size (not the email's narrow one)
    assert wide == f"media/{SLUG}/take-up.{lang}.svg"
    drawn = svg_size((site / wide).read_bytes())
    assert (int(width), int(height)) == (round(drawn[0]), round(drawn[1])) and drawn[0] > NARROW_WIDTH
    assert alt.startswith(("Barres", "Bars"))
    feed = (site / f"{lang}/newsletters/feed.xml").read_text(encoding="utf-8")
    assert f'img src="https://crebis.example.org/{png}"' in feed.replace("&lt;", "<").replace("&gt;", ">")


def test_email_text_part_gives_the_chart_data_as_a_text_table(built: Path):
    text = (built / "outputs/newsletters/2026-04/nl.txt").read_text(encoding="utf-8")
    lines = text.splitlines()
    assert all(len(line) <= 72 for line in lines)
    at = lines.index("  Gegevens van de grafiek:")
    assert "Staven: het niet-gebruik gaat van 12" in " ".join(lines[at - 4:at])
    rule = next(i for i in range(at, len(lines)) if lines[i].startswith("  ---"))
    assert lines[rule - 1].split()[:2] == ["Uitkering", "Jaar"]
    assert [c.strip() for c in lines[rule + 1].split("  ") if c.strip()] == ["Leefloon", "2024", "41%", "1.200"]


def test_docx_brief_has_the_png_at_twice_the_size_and_a_table(built: Path):
    with zipfile.ZipFile(built / f"outputs/briefs/{SLUG}/{SLUG}-en.docx") as docx:
        document = docx.read("word/document.xml").decode("utf-8")
        pngs = [docx.read(n) for n in docx.namelist() if n.startswith("word/media/") and n.endswith(".png")]
    charts = [p for p in pngs if b"pHYs" in p and struct.unpack(">I", p[p.index(b"pHYs") + 4:][:4])[0] == 7559]
    assert len(charts) == 1, "the chart's PNG says 192 dpi (2x), so Word shows it at its size"
    assert "<w:tbl>" in document and "Integration income" in document and "41%" in document
    # the picture's second description is the chart's readable name, as a picture's is its file name
    assert '<pic:cNvPr descr="take-up.en.png"' in document and ".crebis" not in document


def test_the_chart_is_drawn_once_per_language(built: Path):
    drawn = sorted(p.name for p in (built / ".crebis/charts").iterdir())
    assert len({n.split(".", 1)[0] for n in drawn}) == 3
    # no PDF: Typst takes the SVG; the narrow drawing for phones and the summary
    assert {n.split(".", 1)[1] for n in drawn} == {"svg", "print.svg", "png", "narrow.svg", "narrow.print.svg"}


def test_the_chart_store_keeps_only_what_the_project_draws(tmp_path: Path):
    root = _chart_project(tmp_path)
    assert build(Project.open(root), only={"site"}).ok
    store = root / ".crebis/charts"
    first = {p.name for p in store.iterdir()}
    assert len(first) == 15  # 3 languages x 5 drawings
    csv = root / f"content/results/{SLUG}/take-up.csv"
    csv.write_text(csv.read_text().replace("0.41", "0.43"))
    broken = root / f"content/results/{SLUG}/nl.md"
    good = broken.read_text()
    broken.write_text(good.replace("status: published", "status: [published"))  # a build that fails
    assert not build(Project.open(root), only={"site"}).ok
    assert first <= {p.name for p in store.iterdir()}  # nothing removed by a build that failed
    broken.write_text(good)
    assert build(Project.open(root), only={"brief"}).ok  # any kind: the store serves them all
    now = {p.name for p in store.iterdir()}
    assert len(now) == 15 and not now & first  # the old drawings gone, the new ones kept
    assert build(Project.open(root)).ok and {p.name for p in store.iterdir()} == now  # a no-op keeps them


def test_web_chart_keeps_its_labels_legible_by_scrolling_rather_than_shrinking(built: Path):
    page = _page(built, "en")
    block = re.search(r'<div class="chart">\s*<figure>\s*<svg class="chart-wide"[^>]* style="min-width: (\d+)px"',
                      page)
    assert block, "the chart is not in its scrolling box"
    svg = (built / f"outputs/site/media/{SLUG}/take-up.en.svg").read_bytes()
    width = float(re.search(rb'<svg[^>]*width="([\d.]+)"', svg).group(1))
    smallest = min(float(x) for x in re.findall(rb'font-size="([\d.]+)px"', svg))
    assert smallest * int(block.group(1)) / width >= 9 - 0.5  # the smallest label at the narrowest width
    css = (built / "outputs/site/assets/site.css").read_text(encoding="utf-8")
    assert ".chart { overflow-x: auto; }" in css


def _chart_project(tmp_path: Path, config_extra: str = "") -> Path:
    import shutil

    from projects import CONFIG, REPO
    root = tmp_path / "project"
    root.mkdir()
    (root / "crebis.toml").write_text(CONFIG + config_extra, encoding="utf-8")
    shutil.copytree(REPO / "layouts", root / "layouts")
    (root / "content").mkdir()
    shutil.copy(REPO / "content" / "themes.yaml", root / "content" / "themes.yaml")
    directory = write_result(root, langs=("fr", "nl", "en"))
    write_chart(directory)
    for lang in ("fr", "nl", "en"):
        (directory / f"{lang}.md").write_text(edition_text(lang, figures=chart_figures(lang)), encoding="utf-8")
    return root


def test_a_palette_that_merges_in_greyscale_stops_the_chart_naming_the_colour(tmp_path: Path):
    root = _chart_project(tmp_path, '\n[brand]\nseries = ["#1d4e89", "#b3261e"]\n')
    outcome = build(Project.open(root), only={"site"})
    failed = {f.target.output: f.message for f in outcome.report.failed}
    assert f"site/media/{SLUG}/take-up.en.svg" in failed and f"site/en/results/{SLUG}/index.html" in failed
    message = failed[f"site/media/{SLUG}/take-up.en.svg"]
    assert message.startswith("crebis.toml") or "crebis.toml" in message
    assert "#b3261e" in message and "greyscale" in message
    assert not (root / f"outputs/site/media/{SLUG}/take-up.en.svg").exists()
    assert (root / "outputs/site/en/index.html").is_file()  # the rest of the site is built


def test_crebis_check_names_the_failing_series_colour(tmp_path: Path):
    from pipeline.checks.runner import check_project
    root = _chart_project(tmp_path, '\n[brand]\nseries = ["#1d4e89", "#b3261e"]\n')
    findings = [f for f in check_project(Project.open(root)).findings if f.rule == "chart-colours"]
    assert len(findings) == 1 and findings[0].file == "crebis.toml" and "#b3261e" in findings[0].message
    assert findings[0].line == (root / "crebis.toml").read_text().splitlines().index(
        'series = ["#1d4e89", "#b3261e"]') + 1


def test_labels_too_small_in_the_brief_are_an_error_at_the_spec_width(tmp_path: Path):
    root = _chart_project(tmp_path)
    spec = root / f"content/results/{SLUG}/take-up.vl.yaml"
    spec.write_text(spec.read_text().replace("width: 420", "width: 1400"))
    outcome = build(Project.open(root), only={"brief"})
    messages = [f.message for f in outcome.report.failed]
    line = spec.read_text().splitlines().index("width: 1400") + 1
    assert messages and all(f"take-up.vl.yaml:{line}: the chart's smallest text would be" in m for m in messages)


def test_a_chart_without_alt_gets_a_draft_from_its_data_and_is_not_published(tmp_path: Path):
    from pipeline.checks.runner import check_project
    root = _chart_project(tmp_path)
    path = root / f"content/results/{SLUG}/en.md"
    path.write_text(path.read_text().replace('    alt: "Bars: non-take-up ranges from 12% to 41%."\n', ""))
    findings = [f for f in check_project(Project.open(root)).findings if f.rule == "alt-text"]
    assert len(findings) == 1 and findings[0].severity == "error"
    assert "“Highest value: Integration income, 2024 (41%); lowest: Social tariff, 2024 (12%). " \
           "From 2024 to 2025, it falls for 2 of 3.”" in findings[0].message
    outcome = build(Project.open(root), only={"site"})
    assert not outcome.ok and not (root / f"outputs/site/en/results/{SLUG}/index.html").exists()
