"""Figures from data: a CSV and a Vega-Lite spec in YAML, drawn per language with vl-convert.

A chart sits beside a result's Markdown as `<name>.csv` and `<name>.vl.yaml`. Every text the
reader sees is a label key in the spec — a string written `{key}` (title, axis titles, notes) —
and every category of a column listed under the spec's `translate:` is looked up as
`<column>.<value>`; the edition's front matter gives each key in its own language. crebis
applies the brand (series colours, text colour, background, font) and the language's number
format (d3 format locale built from babel), then vl-convert draws it with no browser or node:
SVG for the web page, PDF (vector) for the Typst brief, PNG at 2x for DOCX and email.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import json
import re
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

import font_source_sans_pro
import vl_convert
import yaml
from babel import Locale
from babel import numbers as babel_numbers

from pipeline.config import Brand
from pipeline.errors import ContentError
from pipeline.render.locale import locale_of

FORMATS = ("svg", "pdf", "png")
PNG_SCALE = 2  # sharp on high-density screens and in Word at the page's width
_LABEL = re.compile(r"^\{([A-Za-z0-9_.-]+)\}$")
# the d3 time-format locales vl-convert ships, by crebis language (babel has no d3 date patterns)
_TIME_LOCALES = {"fr": "fr-FR", "nl": "nl-NL", "en": "en-GB"}

# The Vega-Lite keys crebis accepts, by where they sit: a misspelled key would otherwise be
# ignored silently by Vega-Lite and the chart drawn wrong.
_TOP = {"$schema", "title", "description", "mark", "encoding", "width", "height", "transform", "layer",
        "config", "padding", "autosize", "view", "resolve", "params", "translate"}
_MARK = {"type", "tooltip", "size", "opacity", "strokeWidth", "cornerRadius", "cornerRadiusEnd", "point",
         "interpolate", "align", "baseline", "dx", "dy", "fontSize", "fontWeight", "orient", "thickness",
         "binSpacing", "filled", "color", "fill", "stroke", "text", "limit"}
_MARKS = {"bar", "line", "area", "point", "circle", "square", "tick", "rule", "text", "rect", "arc"}
_CHANNELS = {"x", "y", "x2", "y2", "color", "fill", "stroke", "opacity", "size", "shape", "text", "tooltip",
             "row", "column", "facet", "xOffset", "yOffset", "theta", "order", "detail", "strokeDash"}
_CHANNEL = {"field", "type", "title", "axis", "legend", "scale", "sort", "stack", "aggregate", "bin",
            "timeUnit", "format", "formatType", "value", "datum", "condition", "header", "bandPosition",
            "impute"}
_TYPES = {"quantitative", "nominal", "ordinal", "temporal"}
_AXIS = {"title", "format", "formatType", "labelAngle", "labelLimit", "labelFontSize", "titleFontSize",
         "grid", "ticks", "tickCount", "domain", "orient", "values", "labels", "labelPadding", "titlePadding",
         "labelExpr", "labelOverlap", "offset", "minExtent", "maxExtent"}
_LEGEND = {"title", "orient", "direction", "format", "formatType", "labelFontSize", "titleFontSize",
           "columns", "labelLimit", "symbolType", "values", "labelExpr", "offset"}
_SCALE = {"domain", "range", "type", "zero", "nice", "padding", "paddingInner", "paddingOuter", "reverse",
          "domainMax", "domainMin", "scheme", "clamp"}
_HEADER = {"title", "labelAngle", "labelOrient", "titleOrient", "labelFontSize", "labels", "labelExpr"}
_TITLE = {"text", "subtitle", "anchor", "fontSize", "subtitleFontSize", "orient", "offset"}
_NESTED = {"axis": _AXIS, "legend": _LEGEND, "scale": _SCALE, "header": _HEADER}


@dataclass(frozen=True)
class ChartSource:
    """A chart's files: the data and the spec, beside the result's Markdown."""

    data: Path
    spec: Path


@dataclass(frozen=True)
class Chart:
    """A chart ready to draw: rows read, spec checked, texts of one language filled in."""

    source: ChartSource
    lang: str
    spec: dict[str, Any]


# ---- the data ----

def _number(text: str) -> float | int | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return int(value) if value.is_integer() and "." not in text and "e" not in text.lower() else value


def read_rows(path: Path) -> list[dict[str, Any]]:
    """The CSV's rows, numbers as numbers; a row of the wrong width or a non-number in a column of
    numbers is an error naming the file and the row's line."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ContentError(path, "data file not found: put the CSV beside the result's Markdown") from None
    except UnicodeDecodeError:
        raise ContentError(path, "data file is not UTF-8 text: save the CSV as UTF-8") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if not header or not any(h.strip() for h in header):
        raise ContentError(path, "data file has no header row: the first line names the columns", 1)
    header = [h.strip() for h in header]
    if len(set(header)) != len(header) or "" in header:
        raise ContentError(path, "every column needs a distinct, non-empty name in the header row", 1)
    numeric: dict[str, bool] = {}
    rows = []
    for cells in reader:
        line = reader.line_num
        if not cells or not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            raise ContentError(path, f"row has {len(cells)} values but the header names {len(header)} columns "
                               f"({', '.join(header)}): fix the row", line)
        row: dict[str, Any] = {}
        for column, cell in zip(header, cells, strict=True):
            cell = cell.strip()
            value = _number(cell)
            is_number = numeric.setdefault(column, value is not None)
            if is_number and value is None:
                raise ContentError(path, f"column '{column}' holds numbers, but this row has {cell!r}: "
                                   "write a number (with a dot for decimals) or leave the chart out", line)
            row[column] = value if is_number else cell
        rows.append(row)
    if not rows:
        raise ContentError(path, "data file has a header but no rows", 1)
    return rows


# ---- the spec ----

def _plain(node: yaml.Node) -> Any:
    return yaml.safe_load(yaml.serialize(node))


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _suggest(key: str, allowed: set[str]) -> str:
    close = difflib.get_close_matches(key, sorted(allowed), n=1)
    return f"did you mean '{close[0]}'?" if close else f"known keys: {', '.join(sorted(allowed))}"


def _check_keys(path: Path, node: yaml.Node, allowed: set[str], where: str) -> dict[str, yaml.Node]:
    if not isinstance(node, yaml.MappingNode):
        raise ContentError(path, f"'{where}' must be a mapping of keys", _line(node))
    found = {}
    for key_node, value in node.value:
        key = str(key_node.value)
        if key not in allowed:
            raise ContentError(path, f"unknown key '{key}' in '{where}': {_suggest(key, allowed)}", _line(key_node))
        found[key] = value
    return found


def _check_spec(path: Path, root: yaml.Node) -> None:
    if isinstance(root, yaml.MappingNode):
        for key, _ in root.value:
            if key.value == "data":
                raise ContentError(path, "the spec must not name its data: crebis reads the CSV beside it "
                                   "(the figure's 'data:')", _line(key))
    top = _check_keys(path, root, _TOP, "the spec")
    for name in ("mark", "encoding"):
        if name not in top and "layer" not in top:
            raise ContentError(path, f"the spec has no '{name}': say what to draw", _line(root))
    for part in ([root] + [n for n in top["layer"].value] if "layer" in top else [root]):
        keys = _check_keys(path, part, _TOP, "layer") if part is not root else top
        if "mark" in keys:
            mark = keys["mark"]
            kind = mark
            if isinstance(mark, yaml.MappingNode):
                kind = _check_keys(path, mark, _MARK, "mark").get("type", mark)
            if not isinstance(kind, yaml.ScalarNode) or kind.value not in _MARKS:
                raise ContentError(path, f"unknown mark {getattr(kind, 'value', '?')!r}: "
                                   f"{_suggest(str(getattr(kind, 'value', '')), _MARKS)}", _line(kind))
        if "encoding" in keys:
            for channel, spec in _check_keys(path, keys["encoding"], _CHANNELS, "encoding").items():
                fields = _check_keys(path, spec, _CHANNEL, f"encoding.{channel}")
                if "type" in fields and fields["type"].value not in _TYPES:
                    raise ContentError(path, f"unknown type {fields['type'].value!r} in 'encoding.{channel}': "
                                       f"{_suggest(str(fields['type'].value), _TYPES)}", _line(fields["type"]))
                for name, allowed in _NESTED.items():
                    if name in fields and not (isinstance(fields[name], yaml.ScalarNode)
                                               and fields[name].value in ("null", "~", "")):
                        _check_keys(path, fields[name], allowed, f"encoding.{channel}.{name}")
    if "title" in top and isinstance(top["title"], yaml.MappingNode):
        _check_keys(path, top["title"], _TITLE, "title")


def read_spec(path: Path) -> dict[str, Any]:
    """The Vega-Lite spec, its keys checked: a misspelled or unknown key is an error at its file:line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ContentError(path, "chart spec not found: put the .vl.yaml beside the result's Markdown") from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise ContentError(path, f"the spec is not valid YAML: {getattr(e, 'problem', e)}",
                           mark.line + 1 if mark else None) from None
    if root is None:
        raise ContentError(path, "the spec is empty: write a Vega-Lite spec in YAML")
    _check_spec(path, root)
    return _plain(root)


# ---- the texts ----

def label_keys(spec: dict[str, Any], rows: list[dict[str, Any]]) -> list[str]:
    """Every label key the chart needs, in the order it appears: `{key}` strings, then categories."""
    keys: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)
        elif isinstance(value, str) and (m := _LABEL.match(value)) and m.group(1) not in keys:
            keys.append(m.group(1))

    walk({k: v for k, v in spec.items() if k != "translate"})
    for column in spec.get("translate") or ():
        for row in rows:
            key = f"{column}.{row.get(column)}"
            if key not in keys:
                keys.append(key)
    return keys


def _fill(value: Any, labels: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {k: _fill(v, labels) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, labels) for v in value]
    if isinstance(value, str) and (m := _LABEL.match(value)):
        return labels[m.group(1)]
    return value


def chart(source: ChartSource, lang: str, labels: dict[str, str], labels_file: Path | str) -> Chart:
    """The chart in `lang`: a label the spec or the data needs and `labels` lacks is an error naming
    `labels_file` (the edition whose front matter gives them) and the key."""
    rows = read_rows(source.data)
    spec = read_spec(source.spec)
    translate = spec.pop("translate", None) or []
    if not isinstance(translate, list) or any(c not in rows[0] for c in translate):
        raise ContentError(source.spec, f"'translate' must list columns of {source.data.name} "
                           f"({', '.join(rows[0])})")
    missing = [k for k in label_keys({**spec, "translate": translate}, rows) if not labels.get(k)]
    if missing:
        raise ContentError(labels_file, f"chart {source.spec.name} needs a {lang} text for "
                           f"{', '.join(repr(k) for k in missing)}: add it under the figure's 'labels:'")
    spec = _fill(spec, labels)
    for row in rows:
        for column in translate:
            row[column] = labels[f"{column}.{row[column]}"]
    spec["data"] = {"values": rows}
    return Chart(source, lang, spec)


# ---- locale and brand ----

@cache
def format_locale(lang: str) -> dict[str, Any]:
    """A d3 format locale from babel's data: separators, grouping, currency (euro) and percent sign."""
    locale = locale_of(lang)
    parsed = Locale.parse(locale)
    currency = parsed.currency_formats["standard"].pattern.split(";")[0].replace("¤", "€")
    number = re.search(r"[#0][#0,.]*", currency)
    assert number  # every CLDR currency pattern has a number part
    percent = parsed.percent_formats[None].pattern.split(";")[0]
    return {
        "decimal": babel_numbers.get_decimal_symbol(locale),
        "thousands": babel_numbers.get_group_symbol(locale),
        "grouping": [3],
        "currency": [currency[:number.start()], currency[number.end():]],
        "percent": percent[re.search(r"[#0][#0,.]*", percent).end():],  # type: ignore[union-attr]
        "minus": babel_numbers.get_minus_sign_symbol(locale),
    }


def brand_config(brand: Brand, fmt: str) -> dict[str, Any]:
    """Vega-Lite config with the brand's colours and font (PDF and PNG use the font that ships with crebis)."""
    font = "Source Sans Pro" if fmt != "svg" else brand.font_body
    series = [brand.primary, brand.accent, brand.text]
    return {
        "background": brand.background,
        "font": font,
        "range": {"category": series},
        "mark": {"color": brand.primary},
        "title": {"color": brand.text, "fontSize": 15, "anchor": "start"},
        "axis": {"labelColor": brand.text, "titleColor": brand.text, "labelFontSize": 12, "titleFontSize": 12},
        "legend": {"labelColor": brand.text, "titleColor": brand.text, "labelFontSize": 12, "titleFontSize": 12},
        "view": {"stroke": None},
    }


@cache
def _fonts() -> None:
    vl_convert.register_font_directory(str(Path(font_source_sans_pro.__file__).parent / "files"))


def _svg(chart: Chart, brand: Brand, fmt: str) -> str:
    _fonts()
    try:
        return vl_convert.vegalite_to_svg(
            chart.spec, config=brand_config(brand, fmt), format_locale=format_locale(chart.lang),
            time_format_locale=_TIME_LOCALES.get(chart.lang, "en-GB"), allowed_base_urls=[])
    except ValueError as e:
        raise ContentError(chart.source.spec, f"Vega-Lite could not draw the chart: {str(e).splitlines()[0]}") \
            from None


def _from_print_svg(svg: str, fmt: str) -> bytes:
    # Converting the drawn SVG costs a fraction of drawing again with Vega; vl-convert's PDF stays vector.
    return vl_convert.svg_to_pdf(svg) if fmt == "pdf" else vl_convert.svg_to_png(svg, scale=PNG_SCALE)


def render(chart: Chart, brand: Brand, fmt: str) -> bytes:
    """The chart drawn as `fmt` (svg, pdf or png at 2x), with no network access."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown chart format {fmt!r}: one of {', '.join(FORMATS)}")
    if fmt == "svg":
        return _svg(chart, brand, fmt).encode("utf-8")
    return _from_print_svg(_svg(chart, brand, fmt), fmt)


def render_all(chart: Chart, brand: Brand) -> dict[str, bytes]:
    """Every format at once: Vega draws the web SVG and one print SVG, which gives the PDF and the PNG."""
    printed = _svg(chart, brand, "pdf")
    return {"svg": _svg(chart, brand, "svg").encode("utf-8"),
            "pdf": _from_print_svg(printed, "pdf"), "png": _from_print_svg(printed, "png")}


def fingerprint(source: ChartSource, lang: str, labels: dict[str, str], brand: Brand) -> str:
    """What a drawn chart depends on: the CSV, the spec, its labels, the brand and the drawing library."""
    h = hashlib.blake2b(digest_size=16)
    for part in (source.data.read_bytes(), source.spec.read_bytes(),
                 json.dumps([lang, labels, asdict(brand), vl_convert.get_vega_version()], sort_keys=True,
                            ensure_ascii=False).encode("utf-8")):
        h.update(len(part).to_bytes(8, "big"))
        h.update(part)
    return h.hexdigest()
