"""A drawn chart's texts turned into outlines, so that resvg rasterises it with no font work.

resvg (through vl-convert) lays a `<text>` out itself, opening the font file again for every glyph it
shapes: three quarters of a chart's PNG went there. Here HarfBuzz shapes each text of a print SVG in the
very Source Sans files Vega measured with, and each glyph becomes a path (its outline read once per face
and kept), placed where resvg would put it: at the text's baseline, by its anchor, line by line. A text
this cannot draw the same way (another font, a glyph Source Sans lacks, an attribute it does not know) is
left as it is, for resvg to draw.
"""

from __future__ import annotations

import html
import re
from functools import cache
from pathlib import Path

import uharfbuzz as hb

VERSION = hb.version_string()
"""The HarfBuzz that shapes: a chart's PNG depends on it (its fingerprint names it)."""

_TEXT = re.compile(r"<text\b([^>]*)>(.*?)</text>", re.S)
_TSPAN = re.compile(r"<tspan\b([^>]*)>([^<]*)</tspan>")
ATTR = re.compile(r'\s([\w:-]+)="([^"]*)"')
"""An attribute of an SVG element, as Vega writes them: name and value."""
# what a Vega text element may say that outlines keep; anything else leaves the text to resvg
_KNOWN = {"text-anchor", "transform", "font-family", "font-size", "font-weight", "font-style", "fill", "opacity",
          "fill-opacity"}
_KEPT = ("fill", "opacity", "fill-opacity")  # painted on the outlines as on the text
BOLD = frozenset({"bold", "600", "700", "800", "900"})
"""The font-weight values Source Sans draws in its bold face."""


class _Pen:
    """SVG path data of a glyph, in font units with y up (the outline's own axes); its methods are the pen
    protocol (fontTools') that HarfBuzz draws with."""

    def __init__(self) -> None:
        self.d: list[str] = []

    def moveTo(self, p: tuple[float, float]) -> None:
        self.d.append(f"M{p[0]:g} {p[1]:g}")

    def lineTo(self, p: tuple[float, float]) -> None:
        self.d.append(f"L{p[0]:g} {p[1]:g}")

    def qCurveTo(self, *ps: tuple[float, float]) -> None:
        (cx, cy), (x, y) = ps  # HarfBuzz gives one control point a curve
        self.d.append(f"Q{cx:g} {cy:g} {x:g} {y:g}")

    def curveTo(self, *ps: tuple[float, float]) -> None:
        (ax, ay), (bx, by), (x, y) = ps
        self.d.append(f"C{ax:g} {ay:g} {bx:g} {by:g} {x:g} {y:g}")

    def closePath(self) -> None:
        self.d.append("Z")


class Face:
    """One font file shaped with HarfBuzz, its glyph outlines kept as they are first drawn."""

    def __init__(self, path: Path):
        self.font = hb.Font(hb.Face(hb.Blob.from_file_path(str(path))))
        self.upem = self.font.face.upem
        self._outlines: dict[int, str] = {}

    def outline(self, glyph: int) -> str:
        """The glyph's path data, in font units (y up)."""
        d = self._outlines.get(glyph)
        if d is None:
            pen = _Pen()
            self.font.draw_glyph_with_pen(glyph, pen)
            d = self._outlines[glyph] = "".join(pen.d)
        return d

    def shape(self, text: str) -> list[tuple[int, int]] | None:
        """Each glyph of `text` and the pen's position before it (font units); None if the font lacks one."""
        buf = hb.Buffer()
        buf.add_str(text)
        buf.guess_segment_properties()
        hb.shape(self.font, buf)
        glyphs, x = [], 0
        for info, pos in zip(buf.glyph_infos, buf.glyph_positions, strict=True):
            if info.codepoint == 0:
                return None
            glyphs.append((info.codepoint, x + pos.x_offset))
            x += pos.x_advance
        glyphs.append((-1, x))  # the end: the line's width
        return glyphs


def unhinted(path: Path) -> bytes:
    """The font file without its hinting instructions (TrueType bytecode, over half of Source Sans's bytes),
    every glyph, table and feature kept. Neither resvg nor HarfBuzz runs them, so the same text is laid out
    and drawn the same; vl-convert, which maps the font again for each glyph it measures, maps less of it."""
    face = hb.Face(hb.Blob.from_file_path(str(path)))
    keep = hb.SubsetInput()
    keep.keep_everything()
    keep.flags |= hb.SubsetFlags.NO_HINTING
    keep.unicode_set.update(face.unicodes)
    return hb.subset(face, keep).blob.data


@cache
def _faces(folder: Path) -> dict[tuple[bool, bool], Face]:
    names = {(False, False): "Regular", (True, False): "Bold", (False, True): "It", (True, True): "BoldIt"}
    return {key: Face(folder / f"SourceSansPro-{name}.ttf") for key, name in names.items()}


def _line(face: Face, text: str, size: float, anchor: str, x: float, y: float) -> str | None:
    glyphs = face.shape(text)
    if glyphs is None:
        return None
    scale = size / face.upem
    width = glyphs[-1][1] * scale
    x -= width / 2 if anchor == "middle" else width if anchor == "end" else 0
    return "".join(f'<path transform="translate({x + at * scale:.3f},{y:g}) scale({scale:g},{-scale:g})" '
                   f'd="{d}"/>' for glyph, at in glyphs[:-1] if (d := face.outline(glyph)))


def _outlined(match: re.Match[str], folder: Path, family: str) -> str:
    attrs, content = match.groups()
    found = dict(ATTR.findall(attrs))
    if found.get("font-family") != family or not set(found) <= _KNOWN:
        return match.group(0)
    size = float(found.get("font-size", "12").removesuffix("px"))
    face = _faces(folder)[found.get("font-weight") in BOLD, found.get("font-style") in ("italic", "oblique")]
    anchor = found.get("text-anchor", "start")
    if "<" not in content:
        lines = [("", content)]
    else:  # Vega writes a text of several lines as tspans, each after the first with x="0" and its dy
        lines = _TSPAN.findall(content)
        if _TSPAN.sub("", content).strip():
            return match.group(0)
    paths, y = [], 0.0
    for line_attrs, line in lines:
        line_found = dict(ATTR.findall(line_attrs))
        if not set(line_found) <= {"x", "dy"} or line_found.get("x", "0") != "0":
            return match.group(0)
        y += float(line_found.get("dy", "0"))
        if not (text := html.unescape(line)).strip():
            continue
        drawn = _line(face, text, size, anchor, 0.0, y)
        if drawn is None:
            return match.group(0)
        paths.append(drawn)
    kept = "".join(f' {name}="{found[name]}"' for name in _KEPT if name in found)
    transform = f' transform="{found["transform"]}"' if "transform" in found else ""
    return f"<g{transform}{kept}>{''.join(paths)}</g>"


def outline_texts(svg: str, folder: Path, family: str) -> str:
    """`svg` with each text set in `family` (Source Sans, whose faces are in `folder`) drawn as outlines."""
    return _TEXT.sub(lambda m: _outlined(m, folder, family), svg)
