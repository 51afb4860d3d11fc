"""Figures from data: a CSV and a Vega-Lite spec in YAML, drawn per language with vl-convert.

`pipeline.content.chartdata` reads and checks the files and the texts; here crebis fills each
`{key}` with the edition's language, applies the brand (series colours, text colour, background,
font) and the language's number format (d3 format locale built from babel), then vl-convert
draws it with no browser or node: SVG for the web page and for Typst (the brief and summary PDFs:
vector, its text kept), and PNG at 2x for DOCX and email. No PDF: Typst takes the SVG.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import struct
import threading
import zlib
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

import font_source_sans_pro
import vl_convert
from babel import Locale
from babel import numbers as babel_numbers

from pipeline.build import write_atomic
from pipeline.config import Brand
from pipeline.content.chartdata import LABEL, ChartSource, chart_labels, read_chart
from pipeline.errors import ContentError
from pipeline.render.locale import locale_of

FORMATS = ("svg", "png")
"""What `render` draws: the web SVG and the 2x PNG (`render_all` adds the print SVG that Typst reads)."""
PNG_SCALE = 2  # sharp on high-density screens and in Word at the page's width
# the d3 time-format locales vl-convert ships, by crebis language (babel has no d3 date patterns)
_TIME_LOCALES = {"fr": "fr-FR", "nl": "nl-NL", "en": "en-GB"}


@dataclass(frozen=True)
class Chart:
    """A chart ready to draw: rows read, spec checked, texts of one language filled in."""

    source: ChartSource
    lang: str
    spec: dict[str, Any]


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
    spec = _fill(data.spec, labels)
    rows = [{**row, **{c: labels[f"{c}.{row[c]}"] for c in data.translate}} for row in data.rows]
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
    """Vega-Lite config with the brand's colours and font (Vega draws with the font that ships with crebis,
    whose widths it knows; `fmt` svg asks for the web font stack)."""
    font = "Source Sans Pro" if fmt != "svg" else brand.font_body
    series = list(brand.series)  # checked by pipeline.render.palette before a chart is drawn
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


def _png(svg: str) -> bytes:
    # Converting the drawn SVG (resvg) costs a fraction of drawing again with Vega.
    return png_resolution(svg_png(svg, PNG_SCALE), 96 * PNG_SCALE)


def svg_png(svg: str, scale: float) -> bytes:
    """A drawn chart (its print SVG) as PNG at `scale` times its size, in the fonts charts are drawn in."""
    _fonts()
    return vl_convert.svg_to_png(svg, scale=scale)


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


def _web(printed: str, brand: Brand) -> str:
    # the print drawing in the brand's web font stack: Vega lays text out with the shipped font's widths
    # (a system font's differ by a few per cent), and one drawing serves every format
    return printed.replace('font-family="Source Sans Pro"', f'font-family="{html.escape(brand.font_body)}"')


def render(chart: Chart, brand: Brand, fmt: str) -> bytes:
    """The chart drawn as `fmt` (svg or png at 2x), with no network access."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown chart format {fmt!r}: one of {', '.join(FORMATS)}")
    printed = _svg(chart, brand, "print")
    return _web(printed, brand).encode("utf-8") if fmt == "svg" else _png(printed)


def render_all(chart: Chart, brand: Brand) -> dict[str, bytes]:
    """Every format a build uses from one Vega drawing: the print SVG (`print`, in the font that ships with
    crebis, for Typst) gives the PNG and the web SVG (the same drawing in the brand's web fonts)."""
    printed = _svg(chart, brand, "print")
    return {"svg": _web(printed, brand).encode("utf-8"), "print": printed.encode("utf-8"), "png": _png(printed)}


def fingerprint(source: ChartSource, lang: str, labels: dict[str, str], brand: Brand) -> str:
    """What a drawn chart depends on: the CSV, the spec, its labels, the brand, the drawing library and
    this module (how crebis draws)."""
    h = hashlib.blake2b(digest_size=16)
    for part in (*(path.read_bytes() for path in source.files), Path(__file__).read_bytes(),
                 json.dumps([lang, labels, asdict(brand), vl_convert.get_vega_version()], sort_keys=True,
                            ensure_ascii=False).encode("utf-8")):
        h.update(len(part).to_bytes(8, "big"))
        h.update(part)
    return h.hexdigest()


_EXTENSIONS = {"svg": "svg", "print": "print.svg", "png": "png"}


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
        """The chart's files by kind (svg for the web, print for Typst, png), drawn if need be."""
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
