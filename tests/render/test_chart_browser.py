"""Charts from data in a real browser (headless Chromium on 127.0.0.1): the drawing a phone shows keeps its
labels legible, and no text runs past a drawing's edge in the fonts the page shows."""

from __future__ import annotations

import pytest

CHART_PAGES = [
    "fr/results/non-take-up-social-rights/index.html",
    "nl/results/energy-poverty-brussels/index.html",
    "en/results/digital-exclusion-social-services/index.html",
    "fr/results/digital-exclusion-social-services/index.html",
]
LEAST_ON_A_PHONE = 11.0
"""CSS pixels: the smallest a chart's text may be drawn on a 375-390 px phone."""

# Each text of the chart drawing the page shows: its drawn size (its font size times its scale on screen)
# and its box, and the drawing's box.
_MEASURE = """() => [...document.querySelectorAll('.chart svg')]
  .filter(svg => getComputedStyle(svg).display !== 'none')
  .map(svg => {
    const box = svg.getBoundingClientRect();
    return {layout: svg.getAttribute('class'), left: box.left, right: box.right, top: box.top, bottom: box.bottom,
      texts: [...svg.querySelectorAll('text')].filter(t => t.textContent.trim()).map(t => {
        const r = t.getBoundingClientRect(), m = t.getScreenCTM();  // a rotated axis title too
        return {text: t.textContent, size: parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b),
                left: r.left, right: r.right, top: r.top, bottom: r.bottom};
      })};
  })"""


def _drawings(browser, url: str, width: int) -> list[dict]:
    page = browser.new_page(viewport={"width": width, "height": 800})
    page.goto(url)
    page.evaluate("document.fonts.ready")
    drawings = page.evaluate(_MEASURE)
    page.close()
    return drawings


@pytest.mark.parametrize("width", [375, 390])
@pytest.mark.parametrize("path", CHART_PAGES)
def test_a_phone_shows_the_narrow_drawing_with_no_text_under_11_px(site, browser, path, width):
    drawings = _drawings(browser, site + path, width)
    assert drawings and all(d["layout"] == "chart-narrow" for d in drawings), drawings
    small = [(t["text"], round(t["size"], 1)) for d in drawings for t in d["texts"] if t["size"] < LEAST_ON_A_PHONE]
    assert small == [], f"chart text under {LEAST_ON_A_PHONE} px at {width} px"


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("path", CHART_PAGES)
def test_no_chart_text_runs_past_the_drawing(site, browser, path, width):
    """Vega lays text out in Source Sans; the page shows the brand's fonts, each text held to Vega's width."""
    drawings = _drawings(browser, site + path, width)
    assert drawings
    if width == 1280:
        assert all(d["layout"] == "chart-wide" for d in drawings)
    out = [
        t["text"]
        for d in drawings
        for t in d["texts"]
        if t["left"] < d["left"] - 0.5
        or t["right"] > d["right"] + 0.5
        or t["top"] < d["top"] - 0.5
        or t["bottom"] > d["bottom"] + 0.5
    ]
    assert out == [], f"text outside its drawing at {width} px"


def _serve_email_locally(page, project, base_url: str) -> None:
    """Every request of the page answered from the built site (the email's images live at the site's
    address): nothing leaves the machine, and an address the site does not have is refused."""

    def answer(route):
        url = route.request.url
        path = project / "outputs" / "site" / url[len(base_url):].split("?")[0]
        if url.startswith(base_url) and path.is_file():
            route.fulfill(body=path.read_bytes(), content_type="image/png" if path.suffix == ".png" else None)
        else:
            route.abort()

    page.route("**/*", answer)


@pytest.mark.parametrize("lang", ["fr", "nl", "en"])
def test_the_email_shows_its_charts_with_no_text_under_11_px_on_a_phone(sample_project, browser, lang):
    """The email's chart is the narrow drawing as a PNG: on a 375 px phone its smallest text, scaled to
    the width the image is shown at, stays legible (the wide drawing's was about 6 px)."""
    from pipeline.project import Project
    from pipeline.render.charts import svg_metrics

    base_url = Project.open(sample_project).config.base_url
    (email,) = (sample_project / "outputs" / "newsletters").glob(f"*/{lang}.html")
    page = browser.new_page(viewport={"width": 375, "height": 800})
    _serve_email_locally(page, sample_project, base_url)
    page.route(base_url + "email.html", lambda route: route.fulfill(body=email.read_text("utf-8"),
                                                                     content_type="text/html"))
    page.goto(base_url + "email.html")
    shown = page.evaluate("""() => [...document.images].filter(i => i.src.includes('/media/newsletters/'))
        .map(i => ({src: i.src, width: i.getBoundingClientRect().width, loaded: i.naturalWidth > 0}))""")
    page.close()
    assert shown and all(image["loaded"] for image in shown), shown
    for image in shown:
        slug, name = image["src"].split("/")[-2:]
        drawing = sample_project / "outputs" / "site" / "media" / slug / name.replace(".png", ".narrow.svg")
        width, smallest = svg_metrics(drawing.read_bytes())
        on_screen = smallest * image["width"] / width
        assert on_screen >= LEAST_ON_A_PHONE, f"{name}: {on_screen:.1f} px at 375 px"
