"""Figures from data: a CSV and a Vega-Lite spec in YAML, drawn per language with vl-convert.

`pipeline.content.chartdata` reads and checks the files and the texts; here crebis fills each
`{key}` with the edition's language, applies the brand (series colours, text colour, background,
font) and the language's number format (d3 format locale built from babel), then vl-convert
draws it with no browser or node: SVG for the web page and for Typst (the brief and summary PDFs:
vector, its text kept), and PNG at 2x for DOCX and email. No PDF: Typst takes the SVG.

Each chart is drawn twice: as its spec lays it out, and narrow (`narrow`: about a phone's width, legend
on top, fewer ticks, long labels and titles wrapped), which web pages show on small screens and the
easy-to-read summary prints at its column's width (its text then as large as the summary's). Vega lays
text out with Source Sans, which ships with crebis; the web drawings show the brand's fonts, each text
held to the width Vega measured (`textLength`), so that no label runs past the drawing's edge.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import html
import json
import math
import os
import re
import shutil
import struct
import tempfile
import threading
import zlib
from dataclasses import asdict, dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import font_source_sans_pro
import vl_convert
from babel import Locale
from babel import numbers as babel_numbers
from PIL import ImageFont

from pipeline.build import write_atomic
from pipeline.codeversion import code_version
from pipeline.config import Brand
from pipeline.content.chartdata import LABEL, ChartSource, chart_labels, read_chart
from pipeline.errors import ContentError
from pipeline.render import outlines, raster_worker
from pipeline.render.locale import locale_of
from pipeline.render.typography import typeset

FORMATS = ("svg", "png")
"""What `render` draws: the web SVG and the 2x PNG (`render_all` adds the print SVG that Typst reads)."""
PNG_SCALE = 2  # sharp on high-density screens and in Word at the page's width
# the d3 time-format locales vl-convert ships, by crebis language (babel has no d3 date patterns)
_TIME_LOCALES = {"fr": "fr-FR", "nl": "nl-NL", "en": "en-GB"}
NARROW_WIDTH = 335
"""CSS pixels of the whole narrow drawing: a 375 px phone's page less its side padding, so that it shows at
its size (or larger) there and its 12 px labels stay above 11 px down to a 360 px phone."""
_FONT_DIR = Path(font_source_sans_pro.__file__).parent / "files"
_FAMILY = "Source Sans Pro"  # the font Vega lays text out in, as its drawings name it


@dataclass(frozen=True)
class Chart:
    """A chart ready to draw: rows read, spec checked, texts of one language filled in."""

    source: ChartSource
    lang: str
    spec: dict[str, Any]
    width: float | None = None
    """The whole drawing's width the spec's plot width was worked out to give (`narrow`); a drawing that
    misses it is made again with Vega's own fit to it."""


# ---- the texts ----

def _fill(value: Any, labels: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {k: _fill(v, labels) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, labels) for v in value]
    if isinstance(value, str) and (m := LABEL.match(value)):
        return labels[m.group(1)]
    return value


def chart(source: ChartSource, lang: str, labels: dict[str, str], labels_file: Path | str,
          line: int | None = None) -> Chart:
    """The chart in `lang`: `labels` are the edition's own texts (over the labels table's); a label the
    spec or the data needs that neither gives is an error naming `labels_file` (the edition, at `line`)
    or the table, and the key."""
    data = read_chart(source)
    labels = chart_labels(source, data, lang, labels, Path(labels_file), line)
    # the typography the body gets (curly apostrophes, French spaces before ; : ! ?), as the data table has it
    labels = {key: typeset(text, lang) for key, text in labels.items()}
    spec = _fill(data.spec, labels)
    rows = [{**row, **{c: labels[f"{c}.{row[c]}"] for c in data.translate}} for row in data.rows]
    spec["data"] = {"values": rows}
    return Chart(source, lang, spec)


# ---- the narrow layout ----

@cache
def _face(size: float, bold: bool) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(_FONT_DIR / f"SourceSansPro-{'Bold' if bold else 'Regular'}.ttf"), size)


@lru_cache(maxsize=4096)  # the same axis labels, titles and numbers come back in every layout and chart
def text_width(text: str, size: float, bold: bool = False) -> float:
    """How wide `text` is in Source Sans at `size` CSS pixels, as Vega lays it out (FreeType's advances)."""
    return _face(size, bold).getlength(text)


_WORD = re.compile(r"(?:\([^)]*\)|\S)+")


def wrap(text: str, size: float, width: float, bold: bool = False) -> list[str]:
    """`text` in lines of at most `width` pixels, broken between words but not inside brackets ("(n = 214)"
    stays whole); a longer word keeps its line."""
    lines: list[str] = []
    for word in _WORD.findall(text):
        if lines and text_width(f"{lines[-1]} {word}", size, bold) <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return lines


def _lines(text: Any, size: float, width: float, bold: bool) -> Any:
    # a Vega text of several lines is a list of strings
    if not isinstance(text, str):
        return text
    lines = wrap(text, size, width, bold)
    return lines if len(lines) > 1 else text


def _wrapped_labels(values: list[Any], width: float) -> str | None:
    # a labelExpr looking each long category up in its lines (a Vega expression takes a JSON object)
    lines = {v: wrap(v, _LABEL_SIZE, width) for v in values if isinstance(v, str)}
    lines = {v: ls for v, ls in lines.items() if len(ls) > 1}
    return f"{json.dumps(lines, ensure_ascii=False)}[datum.label] || datum.label" if lines else None


_LABEL_SIZE = 12  # brand_config's axis and legend labels
_TITLE_SIZE = 15


def _values(rows: list[dict[str, Any]], channel: dict[str, Any]) -> list[Any]:
    return list(dict.fromkeys(row.get(channel.get("field")) for row in rows))


def _narrow_plot(parts: tuple[dict[str, Any], ...], rows: list[dict[str, Any]]) -> float:
    """About how wide the narrow plot is: the drawing less its padding and the vertical axis beside it (its
    category labels as `narrow` wraps them, or numbers, its ticks and its title), a little less to be safe."""
    axis = 0.0
    for part in parts:
        y = (part.get("encoding") or {}).get("y")
        if not isinstance(y, dict) or y.get("axis", {}) is None:
            continue
        if y.get("type") in ("nominal", "ordinal"):
            labels = [line for v in _values(rows, y) for line in wrap(str(v), _LABEL_SIZE, NARROW_WIDTH * 0.4)]
        else:
            labels = ["100 %"]  # a number, as wide as the widest a narrow axis usually shows
        title = _LABEL_SIZE + 6 if isinstance(y.get("title"), str | list) else 0
        axis = max(axis, max((text_width(t, _LABEL_SIZE) for t in labels), default=0.0) + 7 + title)
    return (NARROW_WIDTH - 2 * _PADDING - axis) * 0.95


_PADDING = 5  # Vega's, around a drawing


def narrow(chart: Chart) -> Chart:
    """The chart laid out for a phone: `NARROW_WIDTH` wide in all, the legend above the plot, long titles and
    category labels wrapped over several lines (what the author's spec sets itself is kept)."""
    spec = json.loads(json.dumps(chart.spec))
    spec["width"] = NARROW_WIDTH
    if isinstance(spec.get("title"), str):
        spec["title"] = _lines(spec["title"], _TITLE_SIZE, NARROW_WIDTH, True)
    rows = spec["data"]["values"]
    parts = (spec, *(spec.get("layer") or []))
    plot = _narrow_plot(parts, rows)
    for part in parts:
        for name, channel in (part.get("encoding") or {}).items():
            if not isinstance(channel, dict):
                continue
            if name == "x" and isinstance(channel.get("title"), str):
                # centred under the plot, so no wider than it: a wider title ran past the drawing's right edge
                channel["title"] = _lines(channel["title"], _LABEL_SIZE, plot, True)
            values = _values(rows, channel)
            guide = "axis" if name in ("x", "y") else "legend" if name in ("color", "fill", "stroke") else None
            if guide is None or channel.get(guide, {}) is None or channel.get("type") not in ("nominal", "ordinal"):
                continue
            # a category label gets at most 40 % of the width beside a vertical axis, its band below one
            room = NARROW_WIDTH * (0.4 if name == "y" else 0.8 / max(1, len(values)) if name == "x" else 0.8)
            expr = _wrapped_labels(values, room)
            if expr and "labelExpr" not in (channel.get(guide) or {}):
                channel[guide] = {**(channel.get(guide) or {}), "labelExpr": expr}
            if guide == "legend" and "columns" not in (channel.get("legend") or {}):
                # one row of entries if they fit across, else one entry a line
                across = sum(text_width(str(v), _LABEL_SIZE) + 30 for v in values)
                if across > NARROW_WIDTH:
                    channel["legend"] = {**(channel.get("legend") or {}), "columns": 1}
    if "autosize" in spec:  # the author's own
        return Chart(chart.source, chart.lang, spec)
    known = _known_plot(spec, rows)
    if known is None:
        spec["autosize"] = _FIT
        return Chart(chart.source, chart.lang, spec)
    # Vega's fit lays the drawing out twice (at the whole width, then at the plot's); a plot width known
    # beforehand takes one layout, and the same drawing
    spec["width"], spec["autosize"] = known, {"type": "pad"}
    return Chart(chart.source, chart.lang, spec, width=NARROW_WIDTH)


_FIT = {"type": "fit-x", "contains": "padding"}
_TICK_AND_PADDING = 7  # Vega's tickSize and labelPadding: a vertical axis's labels end this far left of the plot
_GRID_STROKE = 1  # the last grid line's half stroke past the plot's right edge, rounded up as Vega does
_PLOT_KEYS = {"mark", "encoding", "data", "title", "width", "height", "layer", "$schema", "description",
              "transform", "translate"}
_LABELS_AXIS_KEYS = {"labelExpr"}
_NUMBERS_AXIS_KEYS = {"format", "tickCount", "grid"}


def _known_plot(spec: dict[str, Any], rows: list[dict[str, Any]]) -> int | None:
    """The narrow plot's width, where Vega's layout of the sides can be known before drawing: categories
    beside an untitled vertical axis (their longest line, as `narrow` wraps them, sets its width) and
    numbers along the horizontal one (flush to the plot's ends); None for any other chart."""
    if not set(spec) <= _PLOT_KEYS:
        return None
    ys, xs = [], []
    for part in (spec, *(spec.get("layer") or [])):
        encoding = part.get("encoding") or {}
        if not set(encoding) <= {"x", "y", "xOffset", "yOffset", "color", "fill", "opacity", "tooltip"}:
            return None
        for name, found in (("y", ys), ("x", xs)):
            if name in encoding:
                found.append(encoding[name])
    if not ys or not all(isinstance(c, dict) for c in (*ys, *xs)):
        return None
    y = ys[0]
    axis = y.get("axis", {})  # None: no axis, so nothing left of the plot
    if (any(c.get("field") != y.get("field") for c in ys) or y.get("type") not in ("nominal", "ordinal")
            or "title" not in y or y["title"] is not None or "scale" in y or isinstance(y.get("sort"), list)
            or (axis is not None and not set(axis) <= _LABELS_AXIS_KEYS)):
        return None
    if any(c.get("type") != "quantitative" or not set(c.get("axis") or {}) <= _NUMBERS_AXIS_KEYS for c in xs):
        return None
    lines = [line for v in _values(rows, y) for line in wrap(str(v), _LABEL_SIZE, NARROW_WIDTH * 0.4)]
    left = 0 if axis is None else math.ceil(
        _TICK_AND_PADDING + max((text_width(t, _LABEL_SIZE) for t in lines), default=0.0))
    return NARROW_WIDTH - 2 * _PADDING - left - _GRID_STROKE


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


def brand_config(brand: Brand, layout: str = "wide", width: float | None = None) -> dict[str, Any]:
    """Vega-Lite config with the brand's colours and the font that ships with crebis (Vega lays text out with
    its widths); the `narrow` layout has its legend above the plot and fewer ticks, the wide one a number every
    80 px along a horizontal axis `width` px long."""
    series = list(brand.series)  # checked by pipeline.render.palette before a chart is drawn
    # labelLimit 0: no truncation to measure at each drawing (Vega's text measurement is most of its time)
    guide = {"labelColor": brand.text, "titleColor": brand.text, "labelFontSize": _LABEL_SIZE, "titleFontSize": 12,
             "labelLimit": 0}
    config = {
        "background": brand.background,
        "font": _FAMILY,
        "range": {"category": series},
        "mark": {"color": brand.primary},
        "title": {"color": brand.text, "fontSize": _TITLE_SIZE, "anchor": "start"},
        "axis": guide,
        "legend": dict(guide),
        "view": {"stroke": None},
    }
    if layout == "narrow":
        config["legend"].update(orient="top", direction="horizontal")
        config["axisQuantitative"] = {"tickCount": 4}
    elif width is not None:
        # a number every 80 px along the horizontal axis, not every 40 (Vega-Lite's): half the grid lines, and
        # half the labels for Vega to measure (most of a drawing's time). A number, not a signal of the width: in
        # a facet the width signal is not the plot's, and a tick count of 0 took every number off the axis
        config["axisXQuantitative"] = {"tickCount": max(2, math.ceil(width / 80))}
    return config


_COMPOSED = {"facet", "repeat", "concat", "hconcat", "vconcat"}
_FACETS = {"row", "column", "facet"}


def _plot_width(spec: dict[str, Any]) -> float | None:
    """The plot's width as the spec gives it: a number, in a chart of one plot (not faceted, not composed)."""
    width = spec.get("width")
    parts = (spec, *(spec.get("layer") or []))
    if (not isinstance(width, int | float) or isinstance(width, bool) or _COMPOSED & set(spec)
            or any(_FACETS & set(part.get("encoding") or {}) for part in parts)):
        return None
    return width


_FACES = ("Regular", "Bold", "It", "BoldIt")


@cache
def _fonts() -> Path:
    # Four faces of Source Sans, TrueType only, in a folder of this process's own: the package's folder holds
    # 36 faces, each also as CFF (.otf, which vl-convert picked for the regular face). vl-convert opens the
    # font file again for every glyph it measures or draws; with these four a drawing takes ~10 % less CPU
    # (mostly system time), and Vega measures the glyphs text_width measures for the web drawings.
    folder, owner = Path(tempfile.mkdtemp(prefix="crebis-fonts-")), os.getpid()
    # removed by the process that made it (a forked child exiting must not take it from its parent)
    atexit.register(lambda: os.getpid() == owner and shutil.rmtree(folder, ignore_errors=True))
    for face in _FACES:
        name = f"SourceSansPro-{face}.ttf"
        (folder / name).write_bytes(outlines.unhinted(_FONT_DIR / name))
    vl_convert.register_font_directory(str(folder))
    return folder


def _svg(chart: Chart, brand: Brand, layout: str = "wide") -> str:
    svg = _draw(chart, chart.spec, brand, layout)
    if chart.width is None:
        return svg
    # the plot's width was worked out for a drawing `chart.width` wide: one a pixel or two short (the last grid
    # line fell inside the plot) gets that white space at its right; one wider, or narrower, is drawn again
    size = _ROOT.match(svg)
    # not where Vega hid a label (overlapping its neighbour) that the few pixels more of the fit might show
    if size and chart.width - _SHORT <= float(size["width"]) <= chart.width and not _HIDDEN_TEXT.search(svg):
        width = f"{chart.width:g}"
        return (f'{svg[:size.start("width")]}{width}{svg[size.end("width"):size.start("view")]}{width}'
                f'{svg[size.end("view"):size.start("rect")]}{width}{svg[size.end("rect"):]}')
    return _draw(chart, {**chart.spec, "width": chart.width, "autosize": _FIT}, brand, layout)


_HIDDEN_TEXT = re.compile(r'<text\b[^>]*\sopacity="0"')
_SHORT = 3  # pixels of white space a drawing may be given at its right to be as wide as it was laid out for
_ROOT = re.compile(r'<svg [^>]*?width="(?P<width>[\d.]+)" height="[\d.]+" viewBox="0 0 (?P<view>[\d.]+) [\d.]+">'
                   r'<rect width="(?P<rect>[\d.]+)"')


def _draw(chart: Chart, spec: dict[str, Any], brand: Brand, layout: str) -> str:
    _fonts()
    try:
        return vl_convert.vegalite_to_svg(
            spec, config=brand_config(brand, layout, _plot_width(spec)), format_locale=format_locale(chart.lang),
            time_format_locale=_TIME_LOCALES.get(chart.lang, "en-GB"), allowed_base_urls=[])
    except ValueError as e:
        raise ContentError(chart.source.spec, f"Vega-Lite could not draw the chart: {str(e).splitlines()[0]}") \
            from None


def png_from_svg(svg: str) -> bytes:
    """The PNG at 2x of a drawn (print) SVG: resvg's raster of it costs a fraction of drawing again with Vega."""
    return _png_at_2x(_start_png(svg, PNG_SCALE).result())


def _png_at_2x(png: bytes) -> bytes:
    return png_resolution(png, 96 * PNG_SCALE)


def _start_png(svg: str, scale: float) -> raster_worker.Pending:
    # the texts as outlines, which resvg draws without opening a font file for each glyph; in a worker
    # process, so that this process's vl-convert is free for the next Vega drawing meanwhile
    fonts = _fonts()
    return raster_worker.rasterise(outlines.outline_texts(svg, fonts, _FAMILY), scale, fonts)


def svg_png(svg: str, scale: float) -> bytes:
    """A drawn chart (its print SVG) as PNG at `scale` times its size, in the fonts charts are drawn in."""
    return _start_png(svg, scale).result()


def png_resolution(png: bytes, dpi: int) -> bytes:
    """The PNG with its pHYs chunk saying `dpi`, so Word and pandoc show a 2x drawing at its size (vl-convert
    writes 72 dpi, which would print it 2.7 times too wide)."""
    data = struct.pack(">IIB", round(dpi / 0.0254), round(dpi / 0.0254), 1)
    chunk = struct.pack(">I", len(data)) + b"pHYs" + data + struct.pack(">I", zlib.crc32(b"pHYs" + data))
    at = png.find(b"pHYs")
    if at > 0:
        return png[:at - 4] + chunk + png[at + 4 + 9 + 4:]
    end = 8 + 4 + 4 + 13 + 4  # after the signature and IHDR
    return png[:end] + chunk + png[end:]


_TEXT = re.compile(r"<(text|tspan)\b([^>]*)>([^<]*)(?=<)")


def _font(attrs: str, size: float, bold: bool) -> tuple[float, bool]:
    """The font size and weight an SVG element's attributes give, else those it inherits."""
    found = dict(outlines.ATTR.findall(attrs))
    size = float(found.get("font-size", f"{size}").removesuffix("px"))
    bold = found["font-weight"] in outlines.BOLD if "font-weight" in found else bold
    return size, bold


def _held(match: re.Match[str], size: float, bold: bool) -> str:
    tag, attrs, content = match.groups()
    if not content.strip():
        return match.group(0)
    width = text_width(html.unescape(content), size, bold)
    return f'<{tag}{attrs} textLength="{width:.2f}" lengthAdjust="spacingAndGlyphs">{content}'


def _web(printed: str, brand: Brand) -> str:
    # The print drawing in the brand's web fonts, each text (or line of one) held to the width Vega gave it
    # in Source Sans: a wider font would run a label past the drawing's edge, a narrower one leave it short.
    out, at, size, bold = [], 0, 12.0, False
    for match in _TEXT.finditer(printed):
        if match.group(1) == "text":  # the lines of a text have its font
            size, bold = own = _font(match.group(2), 12.0, False)
        else:
            own = _font(match.group(2), size, bold)
        out += [printed[at:match.start()], _held(match, *own)]
        at = match.end()
    web = "".join([*out, printed[at:]])
    return web.replace(f'font-family="{_FAMILY}"', f'font-family="{html.escape(brand.font_body)}"')


def render(chart: Chart, brand: Brand, fmt: str, layout: str = "wide") -> bytes:
    """The chart drawn as `fmt` (svg or png at 2x), with no network access; `layout` narrow for a chart made
    by `narrow` (its legend on top, fewer ticks)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown chart format {fmt!r}: one of {', '.join(FORMATS)}")
    printed = _svg(chart, brand, layout)
    return _web(printed, brand).encode("utf-8") if fmt == "svg" else png_from_svg(printed)


def render_all(chart: Chart, brand: Brand) -> dict[str, bytes]:
    """Every drawing a build uses, from two Vega drawings: the chart as its spec lays it out gives the print
    SVG (`print`, in the font that ships with crebis, for Typst), the PNG at 2x and the web SVG (the same
    drawing in the brand's web fonts); the narrow one (`narrow`) gives `narrow_print` and `narrow` (web)."""
    printed = _svg(chart, brand)
    png = _start_png(printed, PNG_SCALE)  # rasterised while the narrow drawing is made
    try:
        small = _svg(narrow(chart), brand, "narrow")
    except BaseException:
        with contextlib.suppress(ValueError):  # the worker is taken back; the drawing's error is this call's
            png.result()
        raise
    raster = png.result()
    return {"svg": _web(printed, brand).encode("utf-8"), "print": printed.encode("utf-8"),
            "png": _png_at_2x(raster),
            "narrow": _web(small, brand).encode("utf-8"), "narrow_print": small.encode("utf-8")}


def fingerprint(source: ChartSource, lang: str, labels: dict[str, str], brand: Brand) -> str:
    """What a drawn chart depends on: the CSV, the spec, its labels, the brand, the drawing libraries (Vega,
    HarfBuzz) and crebis's code (this module, `outlines`, which sets the PNG's texts, the typography of the
    labels, the reading of the CSV...: `code_version`)."""
    h = hashlib.blake2b(digest_size=16)
    for part in (*(path.read_bytes() for path in source.files),
                 json.dumps([lang, labels, asdict(brand), vl_convert.get_vega_version(), outlines.VERSION,
                             code_version()], sort_keys=True, ensure_ascii=False).encode("utf-8")):
        h.update(len(part).to_bytes(8, "big"))
        h.update(part)
    return h.hexdigest()


_EXTENSIONS = {"svg": "svg", "print": "print.svg", "png": "png", "narrow": "narrow.svg",
               "narrow_print": "narrow.print.svg"}


class ChartStore:
    """Charts drawn once per fingerprint and kept as files in a folder (`.crebis/charts/`).

    Every output that shows a chart in a language (web page, brief, DOCX) reads the same files: the
    chart is drawn once, by the first worker thread that asks, and not again by the next build.
    """

    def __init__(self, folder: Path):
        self.folder = folder
        self._lock = threading.Lock()
        self._drawing: dict[str, threading.Lock] = {}

    def files(self, source: ChartSource, lang: str, labels: dict[str, str], brand: Brand,
              labels_file: Path | str) -> dict[str, Path]:
        """The chart's files by kind (svg for the web, print for Typst, png; narrow and narrow_print for
        small screens and the summary), drawn if need be."""
        fp = fingerprint(source, lang, labels, brand)
        paths = {kind: self.folder / f"{fp}.{ext}" for kind, ext in _EXTENSIONS.items()}
        if all(p.is_file() for p in paths.values()):
            return paths
        with self._lock:
            lock = self._drawing.setdefault(fp, threading.Lock())
        with lock:
            if not all(p.is_file() for p in paths.values()):
                drawn = render_all(chart(source, lang, labels, labels_file), brand)
                for kind, path in paths.items():
                    write_atomic(path, drawn[kind])
        return paths


    def prune(self, keep: set[str]) -> int:
        """Remove the drawings whose fingerprint is not in `keep` (no chart of the project draws them any more:
        its data, texts or the brand changed, or it was deleted); returns how many files went."""
        removed = 0
        for path in self.folder.glob("*") if self.folder.is_dir() else ():
            if path.is_file() and path.name.split(".", 1)[0] not in keep:
                path.unlink(missing_ok=True)
                removed += 1
        return removed


_SVG_WIDTH = re.compile(r'<svg[^>]*\swidth="([\d.]+)"')
_SVG_HEIGHT = re.compile(r'<svg[^>]*\sheight="([\d.]+)"')


def svg_size(svg: bytes) -> tuple[float, float]:
    """A drawn chart's width and height, in CSS pixels."""
    text = svg.decode("utf-8")
    width, height = _SVG_WIDTH.search(text), _SVG_HEIGHT.search(text)
    return float(width.group(1)) if width else 0.0, float(height.group(1)) if height else 0.0
_FONT_SIZE = re.compile(r'font-size="([\d.]+)px"')


def svg_metrics(svg: bytes) -> tuple[float, float]:
    """A drawn chart's width and its smallest text size, in CSS pixels."""
    text = svg.decode("utf-8")
    width = _SVG_WIDTH.search(text)
    sizes = [float(size) for size in _FONT_SIZE.findall(text)]
    return float(width.group(1)) if width else 0.0, min(sizes, default=0.0)


@cache
def store(folder: Path) -> ChartStore:
    """The one store of a folder, shared by the threads of a build."""
    return ChartStore(folder)
