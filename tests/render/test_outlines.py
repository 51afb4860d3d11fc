"""A chart's texts as outlines: the PNG resvg draws from them is the one it draws from the texts."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
import uharfbuzz as hb
import vl_convert
from PIL import Image, ImageChops

from pipeline.config import Brand
from pipeline.render import charts, outlines

FIXTURES = Path(__file__).parent.parent / "fixtures" / "charts"
LABELS = {"title": "Non-take-up by benefit: a title long enough to wrap on a phone's narrow drawing",
          "x": "Share of eligible households", "year": "Year", "benefit.ris": "Integration income",
          "benefit.bim": "Increased reimbursement (n = 214)", "benefit.ts": "Social tariff & “others”"}


@pytest.fixture(scope="module")
def drawn(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("chart")
    for name in ("take-up.csv", "take-up.vl.yaml"):
        shutil.copy(FIXTURES / name, folder / name)
    source = charts.ChartSource(folder / "take-up.csv", folder / "take-up.vl.yaml")
    return charts.render_all(charts.chart(source, "en", LABELS, "en.md"), Brand())


def _image(png: bytes) -> Image.Image:
    return Image.open(io.BytesIO(png)).convert("RGB")


@pytest.mark.parametrize("kind", ["print", "narrow_print"])
def test_outlined_texts_draw_the_pixels_resvg_draws_from_the_texts(drawn, kind):
    svg = drawn[kind].decode("utf-8")
    outlined = outlines.outline_texts(svg, charts._fonts(), "Source Sans Pro")
    # every text of both layouts (start, middle and end anchored, bold, wrapped in lines) is outlined
    assert "<text" not in outlined and "<text" in svg
    direct, ours = _image(vl_convert.svg_to_png(svg, scale=2)), _image(vl_convert.svg_to_png(outlined, scale=2))
    assert direct.size == ours.size
    # the same glyphs at the same places: at most a faint difference of antialiasing at a few pixels
    diff = ImageChops.difference(direct, ours).convert("L")
    assert max(diff.getextrema()) <= 32
    assert direct.width * direct.height - diff.histogram()[0] < direct.width * direct.height / 1000


def test_a_text_outlines_cannot_draw_the_same_is_left_to_resvg():
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="200" height="60">'
           '<text transform="translate(5,20)" font-family="Source Sans Pro" font-size="12px">漢字</text>'
           '<text transform="translate(5,40)" font-family="Noto Sans" font-size="12px">other font</text>'
           '<text x="5" y="55" font-family="Source Sans Pro" font-size="12px">placed by x and y</text>'
           '<text transform="translate(5,10)" font-family="Source Sans Pro" font-size="12px">kept</text></svg>')
    outlined = outlines.outline_texts(svg, charts._fonts(), "Source Sans Pro")
    assert outlined.count("<text") == 3 and "kept" not in outlined


def test_the_chart_fingerprint_names_the_harfbuzz_that_shapes(tmp_path, monkeypatch):
    for name in ("take-up.csv", "take-up.vl.yaml"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    source = charts.ChartSource(tmp_path / "take-up.csv", tmp_path / "take-up.vl.yaml")
    base = charts.fingerprint(source, "en", LABELS, Brand())
    monkeypatch.setattr(outlines, "VERSION", "0.0.0")
    assert charts.fingerprint(source, "en", LABELS, Brand()) != base


def test_the_fonts_vl_convert_reads_lose_only_their_hinting():
    original = charts._FONT_DIR / "SourceSansPro-Regular.ttf"
    lean = outlines.unhinted(original)
    before, after = (hb.Face(hb.Blob(data)) for data in (original.read_bytes(), lean))
    assert not {"fpgm", "prep", "cvt "} & set(after.table_tags) and len(lean) < original.stat().st_size * 0.8
    assert after.glyph_count == before.glyph_count and set(after.unicodes) == set(before.unicodes)
    # every glyph as wide and drawn the same
    fonts = [hb.Font(face) for face in (before, after)]
    assert all(fonts[0].get_glyph_h_advance(g) == fonts[1].get_glyph_h_advance(g)
               and fonts[0].get_glyph_extents(g) == fonts[1].get_glyph_extents(g) for g in range(before.glyph_count))
