"""Place a result's figures in its Markdown body, for any output format.

Authors write `![](chart.png)` where a declared figure goes (a chart from data by its spec's
name, `![](take-up.vl.yaml)`); the front matter gives its alt text, caption and source, so each
language edition says them in its own words while the file stays the same. A chart from data is
drawn per language (`pipeline.render.charts`), and its numbers follow it as a real table.
"""

from __future__ import annotations

import html
import re
import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from pipeline.config import CONFIG_FILE, Brand
from pipeline.content.chartdata import ChartSource, field_formats, field_titles, format_value, read_chart
from pipeline.content.load import IMAGE
from pipeline.content.model import Edition, Figure, Result
from pipeline.errors import ContentError, RenderError
from pipeline.render import charts
from pipeline.render.context import RenderContext
from pipeline.render.palette import palette_problems
from pipeline.render.typography import typeset

TYPST_FIGURES_FILTER = Path(__file__).parent / "filters" / "typst-figures.lua"
"""The pandoc filter that writes figures as Typst with their alt text (a PDF/UA figure needs it); the
`figure-width` metadata sets their width (82 % of the column by default)."""

TableWrap = Callable[[Figure, str], str]
"""How an output shows a chart's data table (Markdown) under the chart: `<details>` on the web, as is in print."""


def _attr(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


def caption_markdown(figure: Figure, source_label: str) -> str:
    """A figure's caption in Markdown, its source after it (`source_label` ends with its colon)."""
    caption = figure.caption
    if figure.source:
        # A full stop between them: "…par commune Source : …" read as one sentence, in every output.
        if caption and not caption.rstrip("*_ ").endswith((".", "!", "?", "…", ":")):
            caption += "."
        caption += f" *{source_label} {figure.source}*"
    return caption


def figure_markdown(figure: Figure, src: str, source_label: str) -> str:
    """Pandoc Markdown for a captioned figure with its alt text and source (`source_label` ends with its colon)."""
    return f'![{caption_markdown(figure, source_label)}]({src}){{alt="{_attr(figure.alt)}"}}'


def chart_source(edition: Edition, figure: Figure) -> ChartSource:
    """The files of a chart from data, beside the edition."""
    assert figure.data is not None
    return ChartSource(edition.path.parent / figure.data, edition.path.parent / figure.file)


ChartHtml = Callable[[Figure, str], str]
"""How a web output writes a chart's figure itself, given the figure and its caption in Markdown."""


def chart_markdown(edition: Edition, figure: Figure, src: str | None, source_label: str,
                   table: TableWrap | None = None, chart_html: ChartHtml | None = None) -> str:
    """Pandoc Markdown for a chart from data: the figure (the image at `src`, or as `chart_html` writes it)
    and its data as a table shown by `table` (left out without it)."""
    if chart_html is not None:
        out = chart_html(figure, caption_markdown(figure, source_label))
    else:
        assert src is not None
        out = figure_markdown(figure, src, source_label)
    if table is not None:
        out += "\n\n" + table(figure, data_table(edition, figure))
    return out


def summary_chart(edition: Edition) -> Figure | None:
    """The chart a plain-language summary (and a newsletter's item on the result) shows under the key
    findings: the edition's first chart from data, if it has one."""
    return next((f for f in edition.figures if f.is_chart), None)


def place_figures(edition: Edition, src_for: Callable[[str], str], source_label: str,
                  chart_src: Callable[[Figure], str] | None = None, table: TableWrap | None = None,
                  chart_html: ChartHtml | None = None) -> str:
    """The body with declared figures expanded (appended at the end if not placed) and image paths mapped.

    A chart from data goes to `chart_src(figure)` (the drawing in the edition's language), or is written
    by `chart_html` (the web's drawings in the page), followed by its data as a table, shown by `table`
    (left out without it).
    """
    placed: set[str] = set()

    def markdown(figure: Figure) -> str:
        if not figure.is_chart:
            return figure_markdown(figure, src_for(figure.file), source_label)
        if chart_src is None and chart_html is None:
            raise ValueError("a chart from data needs chart_src or chart_html")
        return chart_markdown(edition, figure, chart_src(figure) if chart_src else None, source_label, table,
                              chart_html)

    def replace(match) -> str:
        src = match.group("src")
        figure = edition.figure(src)
        if figure is None:
            return match.group(0).replace(f"]({src}", f"]({src_for(src)}", 1) if not _remote(src) else match.group(0)
        placed.add(src)
        return markdown(figure)

    body = IMAGE.sub(replace, edition.body)
    rest = [f for f in edition.figures if f.file not in placed]
    for figure in rest:
        body += "\n\n" + markdown(figure) + "\n"
    return body


def _remote(src: str) -> bool:
    return src.startswith(("http://", "https://"))


def media_name(file: str) -> str:
    """The name an image of a result is published by beside its pages (site/media/<slug>/): its own for a
    file of the result's folder, `shared/<name>` for one from a shared folder (its path climbs out: `..`)."""
    parts = re.split(r"[\\/]", file)
    return f"shared/{parts[-1]}" if ".." in parts else file


def image_files(edition: Edition) -> tuple[str, ...]:
    """Every local file an output of the edition embeds: its declared figures (a chart's CSV, spec and
    labels table) and the images of its body (a fingerprint input: replacing one rebuilds what shows it)."""
    body = [src for src in edition.placed
            if not _remote(src) and not (edition.figure(src) or Figure("", "", "")).is_chart]
    files = set(body)
    for figure in edition.figures:
        if figure.is_chart:
            files.update(p.name for p in chart_source(edition, figure).files)
        else:
            files.add(figure.file)
    return tuple(sorted(files))


def _markdown_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


@dataclass(frozen=True)
class DataTable:
    """A chart's data as the edition shows it: column titles, rows of formatted cells, numeric columns."""

    head: list[str]
    rows: list[list[str]]
    numeric: list[bool]


def table_cells(edition: Edition, figure: Figure) -> DataTable:
    """The chart's data in the edition's language: one row per CSV row, the columns titled as the chart
    titles them (or by a `column.<name>` label), numbers formatted per locale, categories translated."""
    data = read_chart(chart_source(edition, figure))
    labels, formats, titles = figure.labels, field_formats(data.spec), field_titles(data.spec, figure.labels)
    columns = list(data.rows[0])
    return DataTable(
        head=[labels.get(f"column.{c}") or titles.get(c) or c for c in columns],
        rows=[[labels.get(f"{c}.{row[c]}", str(row[c])) if c in data.translate
               else format_value(row[c], formats.get(c), edition.lang) for c in columns] for row in data.rows],
        numeric=[isinstance(data.rows[0][c], int | float) for c in columns])


def data_table(edition: Edition, figure: Figure) -> str:
    """The chart's data (`table_cells`) as a Markdown pipe table."""
    table = table_cells(edition, figure)
    lines = ["| " + " | ".join(_markdown_cell(h) for h in table.head) + " |",
             "|" + "|".join("---:" if numeric else ":---" for numeric in table.numeric) + "|"]
    lines += ["| " + " | ".join(_markdown_cell(c) for c in row) + " |" for row in table.rows]
    return "\n".join(lines)


def text_table(edition: Edition, figure: Figure, width: int) -> list[str]:
    """The chart's data (`table_cells`, in the edition's typography) as lines of plain text at most `width`
    characters wide: aligned columns (numbers to the right) under a rule, long column titles wrapped over
    several lines; where even that would not fit, one line per row of `title: value`."""
    cells = table_cells(edition, figure)
    head = [typeset(h, edition.lang) for h in cells.head]
    rows = [[typeset(c, edition.lang) for c in row] for row in cells.rows]
    widths = [max(len(c) for c in column) for column in zip(*rows, strict=True)]
    widths = [max(w, *(len(word) for word in h.split())) for w, h in zip(widths, head, strict=True)]
    spare = width - sum(widths) - 2 * (len(widths) - 1)
    if spare >= 0:
        # the spare room goes to the titles that need it, so they take as few lines as they can
        for i, title in enumerate(head):
            grow = min(spare, max(0, len(title) - widths[i]))
            widths[i] += grow
            spare -= grow
        titles = [textwrap.wrap(h, w, break_on_hyphens=False) or [""] for h, w in zip(head, widths, strict=True)]
        depth = max(len(t) for t in titles)
        titles = [[""] * (depth - len(t)) + t for t in titles]  # titles sit on the rule, as in print

        def line(row: list[str]) -> str:
            return "  ".join(c.rjust(w) if numeric else c.ljust(w)
                             for c, w, numeric in zip(row, widths, cells.numeric, strict=True)).rstrip()
        return [*(line([t[i] for t in titles]) for i in range(depth)), "  ".join("-" * w for w in widths),
                *(line(row) for row in rows)]
    colon = typeset(":", edition.lang)  # the French space before a colon
    return [line for row in rows
            for line in textwrap.wrap("; ".join(f"{h}{colon} {c}" for h, c in zip(head, row, strict=True)), width,
                                      initial_indent="- ", subsequent_indent="  ", break_long_words=False,
                                      break_on_hyphens=False)]


def chart_inputs(edition: Edition) -> tuple[Path, ...]:
    """The files of the edition's charts from data (CSV, spec, labels table)."""
    return tuple(p for f in edition.figures if f.is_chart for p in chart_source(edition, f).files)


def chart_fingerprints(results: Iterable[Result], brand: Brand) -> set[str]:
    """The fingerprint of every chart from data the results draw, in every edition (drafts too): what the
    chart store must keep."""
    return {charts.fingerprint(chart_source(edition, figure), edition.lang, figure.labels, brand)
            for result in results for edition in result.editions for figure in edition.figures if figure.is_chart}


def chart_name(figure: Figure, lang: str, extension: str) -> str:
    """The published name of a chart's drawing in one language: `take-up.vl.yaml` → `take-up.fr.svg`."""
    return f"{figure.file.removesuffix('.vl.yaml')}.{lang}.{extension}"


PHONE_WIDTH = 335.0
"""CSS pixels a chart gets on a 375 px phone (the page's side padding taken off)."""
PRINT_WIDTH = 170 / 25.4 * 96 * 0.82
"""CSS pixels a chart gets in the brief: 82 % of its 170 mm column."""


def chart_files(ctx: RenderContext, edition: Edition, figure: Figure) -> dict[str, Path]:
    """The chart drawn in the edition's language (`charts.ChartStore.files`), from the project's chart store.

    Its series colours are checked first (palette.palette_problems) and its smallest text after: a chart
    that some readers could not read is an error naming the colour, or the spec's width, to change.
    """
    config = ctx.project.config
    source = chart_source(edition, figure)
    check_palette(ctx, figure, read_chart(source).series)
    files = charts.store(ctx.project.state_dir / "charts").files(
        source, edition.lang, figure.labels, config.brand, ctx.project.relative(edition.path))
    width, smallest = charts.svg_metrics(files["print"].read_bytes())
    printed = smallest * min(1.0, PRINT_WIDTH / width) if width else smallest
    least = config.check.accessibility.min_chart_label
    if printed < least:
        raise ContentError(source.spec, f"the chart's smallest text would be {printed:.1f} px in the brief "
                           f"({smallest:g} px in a drawing {width:g} px wide, printed {PRINT_WIDTH:.0f} px wide; "
                           f"at least {least:g} px): make the chart narrower ('width') or its labels larger",
                           _spec_line(source.spec, "width"))
    return files


def _spec_line(path: Path, key: str) -> int | None:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith(f"{key}:"):
            return number
    return None


def check_palette(ctx: RenderContext, figure: Figure, series: int) -> None:
    """The brand's first `series` chart colours, against the background and each other (a `RenderError` at
    crebis.toml naming the colour that fails)."""
    brand, options = ctx.project.config.brand, ctx.project.config.check.accessibility
    where = ctx.project.root / CONFIG_FILE
    if series > len(brand.series):
        raise RenderError(where, f"chart {figure.file} has {series} series but brand.series gives "
                          f"{len(brand.series)} colours: add colours to brand.series")
    problems = palette_problems(brand.series[:series], brand.background, options.min_colour_difference)
    if problems:
        raise RenderError(where, f"brand.series: {problems[0].message} (chart {figure.file})")


def web_min_width(ctx: RenderContext, svg: Path) -> float:
    """The narrowest a chart may be shown on the web with its smallest text still at `min_chart_label`
    (narrower screens scroll it sideways, as WCAG 1.4.10 allows for a graphic)."""
    width, smallest = charts.svg_metrics(svg.read_bytes())
    least = ctx.project.config.check.accessibility.min_chart_label
    return min(width, width * least / smallest) if smallest else width


def details_table(label: str) -> TableWrap:
    """The web page's data table: in a disclosure under the chart, closed until asked for."""
    return lambda figure, table: (f'<details class="chart-data">\n<summary>{html.escape(label)}</summary>\n\n'
                                  f"{table}\n\n</details>")


_VEGA_ARIA = re.compile(r'\s(?:role|aria-[\w-]+)="[^"]*"')


def _inline_svg(ctx: RenderContext, svg: Path, layout: str, alt: str) -> str:
    # In the page, an image named by the author's alt text: Vega's own ARIA marks (a label per bar) would
    # give a screen reader a second, machine-made description, the data table being the real one.
    text = _VEGA_ARIA.sub("", svg.read_text(encoding="utf-8"))
    head = (f'<svg class="chart-{layout}" role="img" aria-label="{html.escape(alt)}" data-pagefind-ignore '
            f'style="min-width: {web_min_width(ctx, svg):.0f}px"')
    return head + text.removeprefix("<svg").replace(' class="marks"', "", 1)


def web_chart(ctx: RenderContext, edition: Edition) -> ChartHtml:
    """A web page's chart (`chart_html`): its two drawings in the page itself, the wide one and the narrow
    one for small screens (the stylesheet shows one), each never narrower than its labels allow (a
    narrower screen scrolls it sideways in its box), and the caption under them."""
    def block(figure: Figure, caption: str) -> str:
        files = chart_files(ctx, edition, figure)
        alt = typeset(figure.alt, edition.lang)
        drawings = "\n".join(_inline_svg(ctx, files[kind], layout, alt)
                             for kind, layout in (("svg", "wide"), ("narrow", "narrow")))
        return (f"::: {{.chart}}\n```{{=html}}\n<figure>\n{drawings}\n<figcaption>\n```\n\n{caption}\n\n"
                "```{=html}\n</figcaption>\n</figure>\n```\n:::")
    return block


def print_table(label: str) -> TableWrap:
    """Print shows the table under the chart, captioned (a tagged table in the PDF, a table in Word)."""
    return lambda figure, table: f"{table}\n\n: {_markdown_cell(label)}: {_markdown_cell(figure.caption)}"
