"""Charts from data: per-language texts and numbers, brand, vector PDF, errors at file:line."""

from __future__ import annotations

import dataclasses
import io
import re
import shutil
from pathlib import Path

import pytest
import vl_convert
from PIL import Image

from pipeline.config import Brand
from pipeline.content import chartdata
from pipeline.errors import ContentError
from pipeline.render import charts
from pipeline.render.typography import typeset

FIXTURES = Path(__file__).parent.parent / "fixtures" / "charts"

LABELS = {
    "fr": {"title": "Non-recours par aide", "x": "Part des ménages éligibles", "year": "Année",
           "benefit.ris": "Revenu d'intégration", "benefit.bim": "Intervention majorée", "benefit.ts": "Tarif social"},
    "nl": {"title": "Niet-gebruik per uitkering", "x": "Aandeel rechthebbende huishoudens", "year": "Jaar",
           "benefit.ris": "Leefloon", "benefit.bim": "Verhoogde tegemoetkoming", "benefit.ts": "Sociaal tarief"},
    "en": {"title": "Non-take-up by benefit", "x": "Share of eligible households", "year": "Year",
           "benefit.ris": "Integration income", "benefit.bim": "Increased reimbursement",
           "benefit.ts": "Social tariff"},
}


@pytest.fixture
def source(tmp_path: Path) -> charts.ChartSource:
    for name in ("take-up.csv", "take-up.vl.yaml"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    return charts.ChartSource(tmp_path / "take-up.csv", tmp_path / "take-up.vl.yaml")


def _texts(svg: bytes) -> list[str]:
    # the texts a reader sees: not those Vega hid (a label overlapping its neighbour)
    return [text for attrs, text in re.findall(r"<text([^>]*)>([^<]+)</text>", svg.decode("utf-8"))
            if 'opacity="0"' not in attrs]


@pytest.mark.parametrize("lang", ["fr", "nl", "en"])
def test_golden_svg_per_language(source, lang, golden):
    svg = charts.render(charts.chart(source, lang, LABELS[lang], f"{lang}.md"), Brand(), "svg")
    texts = _texts(svg)
    assert LABELS[lang]["title"] in texts and typeset(LABELS[lang]["benefit.ris"], lang) in texts
    assert ("Revenu d’intégration" in texts) == (lang == "fr")  # the body's typography: a curly apostrophe
    assert ("40\u00a0%" in texts) == (lang == "fr") and ("40%" in texts) == (lang != "fr")
    assert Brand().series[0] in svg.decode() and Brand().series[1] in svg.decode()
    golden(f"charts/take-up-{lang}.svg", svg.decode("utf-8"))


@pytest.mark.parametrize(("lang", "expected"), [("fr", "1\u202f500\u00a0€"), ("nl", "€\u00a01.500"), ("en", "€1,500")])
def test_currency_and_grouping_follow_babel(tmp_path, lang, expected):
    (tmp_path / "c.csv").write_text("label,amount\na,1500\n", encoding="utf-8")
    (tmp_path / "c.vl.yaml").write_text("mark: text\nencoding:\n  text:\n    field: amount\n    type: quantitative\n"
                                        "    format: '$,.0f'\n", encoding="utf-8")
    source = charts.ChartSource(tmp_path / "c.csv", tmp_path / "c.vl.yaml")
    svg = charts.render(charts.chart(source, lang, {}, "x.md"), Brand(), "svg")
    assert expected in _texts(svg)


def test_render_all_gives_every_format(source):
    chart = charts.chart(source, "fr", LABELS["fr"], "fr.md")
    drawn = charts.render_all(chart, Brand())
    assert drawn["svg"] == charts.render(chart, Brand(), "svg")
    assert drawn["png"] == charts.render(chart, Brand(), "png")
    assert drawn["print"].startswith(b"<svg") and 'font-family="Source Sans Pro"' in drawn["print"].decode()
    # no PDF: the build never used it (Typst takes the SVG); the narrow drawing for phones and the summary
    assert set(drawn) == {"svg", "print", "png", "narrow", "narrow_print"}
    assert drawn["narrow_print"].startswith(b"<svg") and charts.svg_size(drawn["narrow"])[0] == charts.NARROW_WIDTH


def test_png_is_drawn_at_twice_the_size(source):
    chart = charts.chart(source, "en", LABELS["en"], "en.md")
    png = charts.render(chart, Brand(), "png")
    one = vl_convert.svg_to_png(charts._svg(chart, Brand()), scale=1)  # the same drawing at 1x
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(png[16:20], "big") == 2 * int.from_bytes(one[16:20], "big")


def test_missing_translation_names_file_and_key(source):
    labels = {k: v for k, v in LABELS["nl"].items() if k != "benefit.ts"}
    with pytest.raises(ContentError) as e:
        charts.chart(source, "nl", labels, "content/results/x/nl.md")
    assert str(e.value).startswith("content/results/x/nl.md: ") and "'benefit.ts'" in str(e.value)


def test_broken_csv_row_gives_its_line(source):
    lines = source.data.read_text().splitlines()
    lines[4] = "bim,2025"
    source.data.write_text("\n".join(lines) + "\n")
    with pytest.raises(ContentError) as e:
        charts.chart(source, "en", LABELS["en"], "en.md")
    assert e.value.path == source.data and e.value.line == 5 and "2 values" in e.value.message


def test_text_in_a_number_column_gives_its_line(source):
    source.data.write_text(source.data.read_text().replace("0.14", "14 pct"))
    with pytest.raises(ContentError) as e:
        chartdata.read_rows(source.data)
    assert e.value.line == 7 and "non_take_up" in e.value.message


@pytest.mark.parametrize(("old", "new", "word"), [
    ("    field: non_take_up", "    feild: non_take_up", "'field'"),
    ("mark: bar", "mark: barr", "'bar'"),
    ('      format: "%"', '      formt: "%"', "'format'"),
])
def test_misspelled_spec_key_gives_its_line(source, old, new, word):
    text = source.spec.read_text()
    line = text.splitlines().index(old) + 1
    source.spec.write_text(text.replace(old, new))
    with pytest.raises(ContentError) as e:
        charts.chart(source, "en", LABELS["en"], "en.md")
    assert e.value.path == source.spec and e.value.line == line and word in e.value.message


def test_fingerprint_covers_data_spec_labels_and_brand(source):
    base = charts.fingerprint(source, "en", LABELS["en"], Brand())
    assert charts.fingerprint(source, "en", LABELS["en"], Brand()) == base
    assert charts.fingerprint(source, "en", {**LABELS["en"], "x": "Share"}, Brand()) != base
    assert charts.fingerprint(source, "en", LABELS["en"], Brand(series=["#000000", "#c77700"])) != base
    assert charts.fingerprint(source, "fr", LABELS["en"], Brand()) != base
    for path in (source.data, source.spec):
        before = path.read_bytes()
        path.write_bytes(before + b"\n")
        assert charts.fingerprint(source, "en", LABELS["en"], Brand()) != base
        path.write_bytes(before)


def test_spec_may_not_fetch_data(source):
    source.spec.write_text(source.spec.read_text() + "data:\n  url: https://example.org/x.csv\n")
    with pytest.raises(ContentError, match="must not name its data"):
        chartdata.read_spec(source.spec)


@pytest.mark.parametrize("lang", ["fr", "nl", "en"])
def test_narrow_drawing_keeps_a_long_axis_title_inside_it(source, lang):
    # the x-axis title is centred under the plot, narrower than the drawing: wrapped to the drawing's width, its
    # end was cut off at the right edge (the summary PDF's chart)
    long = {"fr": "Part des ménages éligibles qui ne touchent pas l'aide en 2025",
            "nl": "Aandeel rechthebbende huishoudens zonder de steun in 2025",
            "en": "Share of eligible households without the benefit in 2025"}[lang]
    chart = charts.narrow(charts.chart(source, lang, {**LABELS[lang], "x": long}, f"{lang}.md"))
    image = Image.open(io.BytesIO(vl_convert.svg_to_png(charts._svg(chart, Brand(), "narrow"), scale=1)))
    image = image.convert("L")
    edge = image.crop((image.width - 3, 0, image.width, image.height))
    assert edge.getextrema()[0] > 200, "a text runs past the drawing's right edge"


def _fitted(chart: charts.Chart) -> str:
    # the narrow drawing as Vega's own fit lays it out: at the whole width, then again at the plot's
    return charts._draw(chart, {**chart.spec, "width": charts.NARROW_WIDTH, "autosize": charts._FIT}, Brand(),
                        "narrow")


def _root(svg: str) -> tuple[str, str, str]:
    found = charts._ROOT.match(svg)
    assert found, svg[:300]
    return found["width"], found["view"], found["rect"]


@pytest.mark.parametrize("lang", ["fr", "nl", "en"])
def test_narrow_bars_beside_categories_are_laid_out_once_as_vega_fits_them(source, lang):
    # categories beside the vertical axis, numbers along the other: the plot's width is known before drawing
    chart = charts.narrow(charts.chart(source, lang, LABELS[lang], f"{lang}.md"))
    assert chart.width == charts.NARROW_WIDTH and chart.spec["autosize"] == {"type": "pad"}
    drawn, fitted = charts._svg(chart, Brand(), "narrow"), _fitted(chart)
    assert _root(drawn) == (f"{charts.NARROW_WIDTH}",) * 3
    # the same drawing as Vega's fit, or one whose plot is a pixel narrower with that pixel white at its right
    assert drawn == fitted or (_texts(drawn.encode()) == _texts(fitted.encode())
                               and abs(len(drawn) - len(fitted)) < 200)


def test_a_narrow_chart_whose_sides_are_not_known_is_fitted_by_vega(tmp_path):
    (tmp_path / "c.csv").write_text("age,share\n18-34,0.21\n35-64,0.18\n65+,0.44\n", encoding="utf-8")
    (tmp_path / "c.vl.yaml").write_text(
        "mark: bar\nencoding:\n  x: {field: age, type: nominal}\n  y: {field: share, type: quantitative, "
        "title: Part, axis: {format: '%'}}\n", encoding="utf-8")
    chart = charts.narrow(charts.chart(charts.ChartSource(tmp_path / "c.csv", tmp_path / "c.vl.yaml"), "fr", {},
                                       "x.md"))
    assert chart.width is None and chart.spec["autosize"] == charts._FIT
    assert charts.svg_size(charts._svg(chart, Brand(), "narrow").encode())[0] == charts.NARROW_WIDTH


@pytest.mark.parametrize("off, drawings", [(-1, 1), (-charts._SHORT, 1), (-charts._SHORT - 1, 2), (1, 2), (20, 2)])
def test_a_narrow_plot_worked_out_wrong_is_mended_or_fitted(source, monkeypatch, off, drawings):
    # a drawing a little short gets white space at its right; a wider one, or one much narrower, is fitted by Vega
    chart = charts.narrow(charts.chart(source, "fr", LABELS["fr"], "fr.md"))
    exact = _fitted(chart)
    plot = float(re.search(r'class="background"[^>]*d="M0,0h([\d.]+)v', exact)[1])
    chart = dataclasses.replace(chart, spec={**chart.spec, "width": plot + off})
    calls = []
    draw = charts._draw
    monkeypatch.setattr(charts, "_draw", lambda *a: calls.append(a) or draw(*a))
    drawn = charts._svg(chart, Brand(), "narrow")
    assert len(calls) == drawings and _root(drawn) == (f"{charts.NARROW_WIDTH}",) * 3
    if drawings == 2:
        assert drawn == exact


def test_the_authors_own_autosize_is_kept_in_the_narrow_layout(source):
    spec = source.spec.read_text(encoding="utf-8") + "autosize: {type: fit, contains: padding}\n"
    source.spec.write_text(spec, encoding="utf-8")
    chart = charts.narrow(charts.chart(source, "en", LABELS["en"], "en.md"))
    assert chart.width is None and chart.spec["autosize"] == {"type": "fit", "contains": "padding"}


_GROUPS = "g,v\nMénages monoparentaux avec enfants (n = 1 214),0.31\nJeunes,0.12\nPersonnes âgées isolées,-0.05\n"
_NARROW_CASES = {
    "wrapped categories": (_GROUPS, "y: {field: g, type: nominal, title: null}\n  x: {field: v, type: quantitative, "
                                    "title: Part des ménages, axis: {format: '%'}}"),
    "no vertical axis": (_GROUPS, "y: {field: g, type: nominal, title: null, axis: null}\n  x: {field: v, "
                                  "type: quantitative}"),
    "ordinal years": ("g,v\n2019,0.3\n2020,0.5\n2021,0.1\n", "y: {field: g, type: ordinal, title: null}\n  "
                                                              "x: {field: v, type: quantitative}"),
    # the last label is centred on a tick short of the plot's end and runs past it: drawn again, with fit
    "long numbers": ("g,v\na,1500000\nb,2500000\n", "y: {field: g, type: nominal, title: null}\n  "
                                                     "x: {field: v, type: quantitative, axis: {format: '$,.0f'}}"),
}


@pytest.mark.parametrize("case", list(_NARROW_CASES))
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_narrow_drawing_is_as_wide_as_a_phone_and_shows_what_vega_fits(tmp_path, monkeypatch, case, lang):
    csv, encoding = _NARROW_CASES[case]
    (tmp_path / "c.csv").write_text(csv, encoding="utf-8")
    (tmp_path / "c.vl.yaml").write_text(f"title: Part\nmark: bar\nencoding:\n  {encoding}\n", encoding="utf-8")
    chart = charts.narrow(charts.chart(charts.ChartSource(tmp_path / "c.csv", tmp_path / "c.vl.yaml"), lang, {},
                                       "x.md"))
    assert chart.width == charts.NARROW_WIDTH  # each of these takes the one-layout way first
    calls = []
    draw = charts._draw
    monkeypatch.setattr(charts, "_draw", lambda *a: calls.append(a) or draw(*a))
    drawn = charts._svg(chart, Brand(), "narrow")
    assert len(calls) == (2 if case == "long numbers" else 1)
    assert _root(drawn) == (f"{charts.NARROW_WIDTH}",) * 3
    assert _texts(drawn.encode()) == _texts(_fitted(chart).encode())


def test_a_narrow_drawing_a_little_short_that_hides_a_label_is_fitted(tmp_path):
    # on a plot two pixels narrower than the fit's, Vega hid two of the numbers the fit shows
    (tmp_path / "c.csv").write_text('g,v\n"(ménages  niiiii)",2345678\nb,98765\n', encoding="utf-8")
    (tmp_path / "c.vl.yaml").write_text("mark: bar\nencoding:\n  y: {field: g, type: nominal, title: null}\n  x: "
                                        "{field: v, type: quantitative, axis: {format: '$,.0f', tickCount: 8}}\n",
                                        encoding="utf-8")
    chart = charts.narrow(charts.chart(charts.ChartSource(tmp_path / "c.csv", tmp_path / "c.vl.yaml"), "fr", {},
                                       "x.md"))
    first = charts._draw(chart, chart.spec, Brand(), "narrow")
    assert float(_root(first)[0]) < charts.NARROW_WIDTH and charts._HIDDEN_TEXT.search(first)  # the case at hand
    assert charts._svg(chart, Brand(), "narrow") == _fitted(chart)


@pytest.mark.parametrize("facet", ["column", "row"])
def test_a_faceted_chart_keeps_its_numbers(tmp_path, facet):
    # the tick count is the spec's width over 80: in a facet a signal of the width gave 0, and no number
    (tmp_path / "c.csv").write_text("g,s,v\nJeunes,H,0.3\nJeunes,F,0.2\nAgés,H,0.5\nAgés,F,0.1\n", encoding="utf-8")
    (tmp_path / "c.vl.yaml").write_text("width: 420\nmark: bar\nencoding:\n  y: {field: g, type: nominal}\n  x: "
                                        "{field: v, type: quantitative, axis: {format: '%'}}\n"
                                        f"  {facet}: {{field: s, type: nominal}}\n", encoding="utf-8")
    chart = charts.chart(charts.ChartSource(tmp_path / "c.csv", tmp_path / "c.vl.yaml"), "en", {}, "x.md")
    numbers = [t for t in _texts(charts.render(chart, Brand(), "svg")) if t.endswith("%")]
    assert {"0%", "50%"} <= set(numbers)
