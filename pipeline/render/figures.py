"""Place a result's figures in its Markdown body, for any output format.

Authors write `![](chart.png)` where a declared figure goes (a chart from data by its spec's
name, `![](take-up.vl.yaml)`); the front matter gives its alt text, caption and source, so each
language edition says them in its own words while the file stays the same. A chart from data is
drawn per language (`pipeline.render.charts`), and its numbers follow it as a real table.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path

from babel import numbers as babel_numbers

from pipeline.content.chartdata import ChartSource, read_chart
from pipeline.content.load import IMAGE
from pipeline.content.model import Edition, Figure
from pipeline.render import charts
from pipeline.render.context import RenderContext
from pipeline.render.locale import locale_of

TableWrap = Callable[[Figure, str], str]
"""How an output shows a chart's data table (Markdown) under the chart: `<details>` on the web, as is in print."""


def _attr(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


def figure_markdown(figure: Figure, src: str, source_label: str) -> str:
    """Pandoc Markdown for a captioned figure with its alt text and source (`source_label` ends with its colon)."""
    caption = figure.caption
    if figure.source:
        caption += f" *{source_label} {figure.source}*"
    return f'![{caption}]({src}){{alt="{_attr(figure.alt)}"}}'


def chart_source(edition: Edition, figure: Figure) -> ChartSource:
    """The files of a chart from data, beside the edition."""
    assert figure.data is not None
    return ChartSource(edition.path.parent / figure.data, edition.path.parent / figure.file)


def place_figures(edition: Edition, src_for: Callable[[str], str], source_label: str,
                  chart_src: Callable[[Figure], str] | None = None, table: TableWrap | None = None) -> str:
    """The body with declared figures expanded (appended at the end if not placed) and image paths mapped.

    A chart from data goes to `chart_src(figure)` (the drawing in the edition's language), followed by
    its data as a table, shown by `table` (left out without it).
    """
    placed: set[str] = set()

    def markdown(figure: Figure) -> str:
        if not figure.is_chart:
            return figure_markdown(figure, src_for(figure.file), source_label)
        if chart_src is None:
            raise ValueError("a chart from data needs chart_src")
        out = figure_markdown(figure, chart_src(figure), source_label)
        if table is not None:
            out += "\n\n" + table(figure, data_table(edition, figure))
        return out

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


def image_files(edition: Edition) -> tuple[str, ...]:
    """Every local file an output of the edition embeds: its declared figures (a chart's CSV, spec and
    labels table) and the images of its body (a fingerprint input: replacing one rebuilds what shows it)."""
    body = [m.group("src") for m in IMAGE.finditer(edition.body)
            if not _remote(m.group("src")) and not (edition.figure(m.group("src")) or Figure("", "", "")).is_chart]
    files = set(body)
    for figure in edition.figures:
        if figure.is_chart:
            files.update(p.name for p in chart_source(edition, figure).files)
        else:
            files.add(figure.file)
    return tuple(sorted(files))


def _markdown_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _formats(spec: dict) -> dict[str, str]:
    """The d3 format each field is shown with on its axis or legend ("%", ",.0f"…); "" for a field the
    chart reads as a category (a year, a code), written as it is."""
    formats: dict[str, str] = {}
    parts = [spec, *(spec.get("layer") or [])]
    for part in parts:
        for channel in (part.get("encoding") or {}).values():
            if not isinstance(channel, dict) or "field" not in channel:
                continue
            if channel.get("type") in ("nominal", "ordinal", "temporal"):
                formats.setdefault(channel["field"], "")
                continue
            fmt = channel.get("format") or (channel.get("axis") or {}).get("format") \
                or (channel.get("legend") or {}).get("format")
            if isinstance(fmt, str):
                formats.setdefault(channel["field"], fmt)
    return formats


def _titles(spec: dict, labels: dict[str, str]) -> dict[str, str]:
    """Each field's title as the chart shows it (its `{key}` filled in)."""
    titles: dict[str, str] = {}
    for part in [spec, *(spec.get("layer") or [])]:
        for channel in (part.get("encoding") or {}).values():
            if isinstance(channel, dict) and isinstance(channel.get("title"), str) and "field" in channel:
                title = channel["title"]
                key = title[1:-1] if title.startswith("{") and title.endswith("}") else None
                titles.setdefault(channel["field"], labels.get(key, title) if key else title)
    return titles


def format_value(value: object, fmt: str | None, lang: str) -> str:
    """A table cell as the chart's axis writes it, in the language's number format."""
    if not isinstance(value, int | float) or fmt == "":
        return str(value)
    locale = locale_of(lang)
    if fmt and fmt.endswith("%"):
        return babel_numbers.format_percent(value, locale=locale, decimal_quantization=False)
    if fmt and "$" in fmt:
        return babel_numbers.format_currency(value, "EUR", locale=locale)
    return babel_numbers.format_decimal(value, locale=locale)


def data_table(edition: Edition, figure: Figure) -> str:
    """The chart's data as a Markdown pipe table in the edition's language: one row per CSV row, the
    columns titled as the chart titles them (or by a `column.<name>` label), numbers formatted per locale."""
    data = read_chart(chart_source(edition, figure))
    labels, formats, titles = figure.labels, _formats(data.spec), _titles(data.spec, figure.labels)
    columns = list(data.rows[0])
    head = [labels.get(f"column.{c}") or titles.get(c) or c for c in columns]
    lines = ["| " + " | ".join(_markdown_cell(h) for h in head) + " |",
             "|" + "|".join("---:" if isinstance(data.rows[0][c], int | float) else ":---" for c in columns) + "|"]
    for row in data.rows:
        cells = [labels.get(f"{c}.{row[c]}", str(row[c])) if c in data.translate
                 else format_value(row[c], formats.get(c), edition.lang) for c in columns]
        lines.append("| " + " | ".join(_markdown_cell(c) for c in cells) + " |")
    return "\n".join(lines)


def chart_inputs(edition: Edition) -> tuple[Path, ...]:
    """The files of the edition's charts from data (CSV, spec, labels table)."""
    return tuple(p for f in edition.figures if f.is_chart for p in chart_source(edition, f).files)


def chart_name(figure: Figure, lang: str, extension: str) -> str:
    """The published name of a chart's drawing in one language: `take-up.vl.yaml` → `take-up.fr.svg`."""
    return f"{figure.file.removesuffix('.vl.yaml')}.{lang}.{extension}"


def chart_files(ctx: RenderContext, edition: Edition, figure: Figure) -> dict[str, Path]:
    """The chart drawn in the edition's language (svg, print svg, pdf, png), from the project's chart store."""
    return charts.store(ctx.project.state_dir / "charts").files(
        chart_source(edition, figure), edition.lang, figure.labels, ctx.project.config.brand,
        ctx.project.relative(edition.path))


def details_table(label: str) -> TableWrap:
    """The web page's data table: in a disclosure under the chart, closed until asked for."""
    return lambda figure, table: (f'<details class="chart-data">\n<summary>{html.escape(label)}</summary>\n\n'
                                  f"{table}\n\n</details>")


def print_table(label: str) -> TableWrap:
    """Print shows the table under the chart, captioned (a tagged table in the PDF, a table in Word)."""
    return lambda figure, table: f"{table}\n\n: {_markdown_cell(label)}: {_markdown_cell(figure.caption)}"
