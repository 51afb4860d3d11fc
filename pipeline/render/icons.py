"""The site's favicon and touch icons, made from the logo (`organisation.logo`): SVG, PNG or JPEG.

An SVG logo gives `assets/icon.svg` (its left square: the mark of a wide logo) and is drawn into the
PNG sizes by typst; a PNG or JPEG logo is cropped to the same square and scaled by Pillow. Each icon
sits on the page background with a small margin, so that a transparent logo stays visible.
"""

from __future__ import annotations

import io
import re
import struct
import tempfile
from pathlib import Path

from pipeline.errors import RenderError
from pipeline.render.context import RenderContext
from pipeline.render.typst import compile_png
from pipeline.render.typst_worker import Bounded, CompileError

ICON_SIZES = {"apple-touch-icon.png": 180, "icon-192.png": 192, "icon-512.png": 512}
RASTER = (".png", ".jpg", ".jpeg")
_KEY = "organisation.logo"


def icon_svg(logo: Path) -> bytes:
    """A square icon from an SVG logo: its left square (the mark of a wide logo), else the whole logo."""
    text = logo.read_text(encoding="utf-8")
    match = re.search(r'viewBox="\s*([-\d.]+)[\s,]+([-\d.]+)[\s,]+([-\d.]+)[\s,]+([-\d.]+)\s*"', text)
    if not match:
        return text.encode("utf-8")
    x, y, width, height = (float(v) for v in match.groups())
    side = min(width, height)
    square = f'viewBox="{x:g} {y:g} {side:g} {side:g}"'
    text = text.replace(match.group(0), square, 1)
    text = re.sub(r'(<svg\b[^>]*?)\s(width|height)="[^"]*"', r"\1", text, count=2)
    return text.encode("utf-8")


def _unusable(ctx: RenderContext, logo: Path, why: str) -> RenderError:
    relative = ctx.project.relative(logo)
    return RenderError(logo, f"{_KEY} = '{relative}' cannot make the site's icons: {why}; set {_KEY} in "
                             "crebis.toml to an SVG, PNG or JPEG file")


def icon_png(ctx: RenderContext, size: int) -> bytes:
    """The icon as a `size`-pixel PNG on the page background."""
    logo = ctx.project.path(ctx.project.config.organisation.logo)
    background = ctx.project.config.brand.background
    if logo.suffix.lower() in RASTER:
        return _raster_icon(ctx, logo, size, background)
    if logo.suffix.lower() != ".svg":
        raise _unusable(ctx, logo, f"'{logo.suffix}' files are not supported")
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "icon.svg").write_bytes(icon_svg(logo))
        source = (f'#set page(width: {size}pt, height: {size}pt, margin: {size // 12}pt, fill: rgb("{background}"))\n'
                  '#align(center + horizon, image("icon.svg", width: 100%, height: 100%, fit: "contain"))\n')
        try:
            return compile_png(source, tmp)
        except CompileError as exc:
            raise _unusable(ctx, logo, f"typst could not draw it ({exc})") from None
        except Bounded as exc:
            raise _unusable(ctx, logo, f"{exc.reason} drawing it") from None


def _raster_icon(ctx: RenderContext, logo: Path, size: int, background: str) -> bytes:
    """A PNG or JPEG logo's left square, scaled into a `size`-pixel square on `background`."""
    from PIL import Image, ImageColor  # imported here: only raster logos need it

    try:
        with Image.open(logo) as image:
            image.load()
            picture = image.convert("RGBA")
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise _unusable(ctx, logo, f"it is not a readable image ({exc})") from None
    side = min(picture.size)
    if side == 0:
        raise _unusable(ctx, logo, "the image is empty")
    mark = picture.crop((0, 0, side, side))
    margin = size // 12
    inner = size - 2 * margin
    mark = mark.resize((inner, inner), Image.Resampling.LANCZOS)
    icon = Image.new("RGBA", (size, size), ImageColor.getrgb(background))
    icon.alpha_composite(mark, (margin, margin))
    out = io.BytesIO()
    icon.convert("RGB").save(out, format="PNG", optimize=True)  # no metadata: the same logo gives the same bytes
    return out.getvalue()


def favicon_ico(ctx: RenderContext) -> bytes:
    """favicon.ico holding a 32-pixel PNG (ICO files may embed PNG since Windows Vista)."""
    png = icon_png(ctx, 32)
    header = struct.pack("<HHH", 0, 1, 1)
    entry = struct.pack("<BBBBHHII", 32, 32, 0, 0, 1, 32, len(png), 6 + 16)
    return header + entry + png
