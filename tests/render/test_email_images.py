"""Charts as an email shows them: twice the width shown, palette colours, not a pixel changed."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageChops

from pipeline.render.charts import svg_png
from pipeline.render.email_images import EMAIL_CHART_WIDTH, email_png, palette_png, shown_size


def _drawing(width: int, height: int) -> bytes:
    # a chart's shape: flat bars on white, grey rules and antialiased text in the font charts use
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}">'
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>'
        f'<rect x="120" y="20" width="{width - 200}" height="40" fill="#1d4e89"/>'
        f'<rect x="120" y="70" width="{width // 2}" height="40" fill="#c77700"/>'
        f'<line x1="120" y1="130" x2="{width - 20}" y2="130" stroke="#888888"/>'
        '<text x="10" y="45" font-family="Source Sans Pro" font-size="11px" fill="#1a1a1a">Revenu (n = 214)</text>'
        '<text x="120" y="150" font-family="Source Sans Pro" font-size="10px" fill="#1a1a1a">0 % 10 % 20 %</text>'
        "</svg>"
    ).encode()


def _image(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


@pytest.mark.parametrize(("drawn", "shown"), [(800, EMAIL_CHART_WIDTH), (420, 420)])
def test_a_chart_is_drawn_at_twice_the_width_it_is_shown_at_with_every_pixel_kept(drawn, shown):
    svg = _drawing(drawn, 180)
    assert shown_size(svg) == (shown, round(180 * shown / drawn))
    png = email_png(svg)
    image = _image(png)
    assert image.mode == "P" and image.width == 2 * shown and abs(image.height - 2 * 180 * shown / drawn) <= 1
    # the same pixels as resvg draws at that scale: the palette lost nothing, the text is as sharp
    direct = _image(svg_png(svg.decode(), 2 * shown / drawn)).convert("RGB")
    assert ImageChops.difference(image.convert("RGB"), direct).getbbox() is None
    assert len(png) < len(svg_png(svg.decode(), 2 * shown / drawn)) / 2


def test_a_drawing_with_transparency_keeps_it():
    image = Image.new("RGBA", (40, 20), (255, 255, 255, 0))
    image.paste((29, 78, 137, 255), (5, 5, 30, 15))
    out = io.BytesIO()
    image.save(out, "PNG")
    kept = _image(palette_png(out.getvalue()))
    assert kept.mode == "RGBA" and ImageChops.difference(kept, image).getbbox() is None


def test_a_drawing_of_more_than_256_colours_gets_the_256_that_serve_it_best():
    gradient = Image.new("RGB", (512, 2))
    gradient.putdata([(x // 2, x % 256, 128) for x in range(512)] * 2)
    out = io.BytesIO()
    gradient.save(out, "PNG")
    reduced = _image(palette_png(out.getvalue()))
    assert reduced.mode == "P" and len(reduced.getcolors(1024)) <= 256
    assert max(high for _, high in ImageChops.difference(reduced.convert("RGB"), gradient).getextrema()) <= 16
