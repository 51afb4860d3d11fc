"""Charts as an email shows them: drawn for the pixels the email gives them, as palette PNGs.

The chart store's PNG is drawn at 2x the chart's own width for DOCX; an email shows a chart at
most `EMAIL_CHART_WIDTH` CSS pixels wide, so that PNG carried up to a third more pixels than a
2x screen shows, and as 8-bit RGBA ~100 KB for a flat drawing of a few dozen colours. Readers
open newsletters on phones and metered data: here a print SVG of the chart (the narrow drawing:
`newsletter.email_drawing`) is drawn again at twice
the width it is shown at (so its text is drawn sharp at that size, not scaled down by the mail
client) and written with a palette, which for a drawing of at most 256 colours loses nothing.
"""

from __future__ import annotations

import io

from PIL import Image

from pipeline.render.charts import svg_png, svg_size

EMAIL_CHART_WIDTH = 500
"""The widest a chart is shown in the email, in CSS pixels: the 600 px message less the featured box's margins."""
DENSITY = 2  # device pixels per CSS pixel that the PNG serves: sharp on phones' and laptops' 2x screens


def shown_size(svg: bytes) -> tuple[int, int]:
    """The CSS size a drawn chart is shown at in an email: its own, narrowed to the email's column."""
    width, height = svg_size(svg)
    shown = min(width, EMAIL_CHART_WIDTH)
    return round(shown), round(height * shown / width) if width else round(height)


def email_png(svg: bytes) -> bytes:
    """The chart's print SVG as the PNG an email shows: `DENSITY` times its shown width, palette colours."""
    width, _ = svg_size(svg)
    shown, _ = shown_size(svg)
    scale = DENSITY * shown / width if width else DENSITY
    return palette_png(svg_png(svg.decode("utf-8"), scale))


def palette_png(png: bytes) -> bytes:
    """A PNG with at most 256 colours and no dithering (exactly its colours when it has no more), compressed
    as tightly as zlib goes; a drawing with transparency stays RGBA, only compressed again."""
    image = Image.open(io.BytesIO(png))
    image.load()
    if image.mode == "RGBA" and image.getextrema()[3][0] == 255:
        image = image.convert("RGB")
    if image.mode == "RGB":
        # median cut keeps every colour of a drawing that has at most 256 (FASTOCTREE would merge them)
        image = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()
