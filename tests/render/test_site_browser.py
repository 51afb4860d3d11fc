"""The web edition in a real browser (headless Chromium on 127.0.0.1): what a reader and a keyboard user get."""

import functools
import http.server
import re
import shutil
import threading

import pytest

from pipeline.checks.rules.accessibility import contrast
from pipeline.project import Project
from pipeline.publish import build
from pipeline.scaffold import init_project

playwright = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (.ci/run installs it)")

PAGES = [
    "index.html",
    "fr/index.html",
    "fr/results/non-take-up-social-rights/index.html",
    "nl/results/energy-poverty-brussels/index.html",
    "en/results/digital-exclusion-social-services/index.html",
]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> str:
    """The sample project's web edition, served over HTTP on 127.0.0.1."""
    root = tmp_path_factory.mktemp("browser") / "centre"
    init_project(root)
    outcome = build(Project.open(root))
    assert outcome.ok, [f.message for f in outcome.report.failed]
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root / "outputs/site"))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        yield instance
        instance.close()


def hex_colour(css: str) -> str:
    r, g, b = (int(x) for x in re.findall(r"\d+", css)[:3])
    return f"#{r:02x}{g:02x}{b:02x}"


@pytest.mark.parametrize("path", PAGES)
def test_fits_a_phone_and_every_image_loads(site, browser, path):
    page = browser.new_page(viewport={"width": 375, "height": 800})
    response = page.goto(site + path)
    assert response.status == 200
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, "the page scrolls sideways on a phone"
    broken = page.evaluate("[...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)")
    assert broken == []
    page.close()


def test_first_tab_reaches_a_visible_skip_link_to_the_content(site, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(site + PAGES[2])
    page.keyboard.press("Tab")
    focused = page.evaluate("""() => { const e = document.activeElement, r = e.getBoundingClientRect(),
        s = getComputedStyle(e); return {cls: e.className, top: r.top, outline: s.outlineStyle,
        width: parseFloat(s.outlineWidth)}; }""")
    assert focused["cls"] == "skip-link" and focused["top"] >= 0
    assert focused["outline"] != "none" and focused["width"] >= 2  # a visible focus ring
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#content"
    page.close()


@pytest.mark.parametrize("selector", ["main p", "main a", ".key-findings li", ".summary p", ".tags li",
                                      ".site-footer p", ".notice"])
def test_text_contrast_meets_wcag_aa(site, browser, selector):
    page = browser.new_page()
    page.goto(site + PAGES[2])
    colours = page.evaluate("""(selector) => { const e = document.querySelector(selector);
        let bg = e, colour = 'rgba(0, 0, 0, 0)';
        while (bg && (colour = getComputedStyle(bg).backgroundColor) === 'rgba(0, 0, 0, 0)') bg = bg.parentElement;
        return [getComputedStyle(e).color, bg ? colour : 'rgb(255, 255, 255)']; }""", selector)
    ratio = contrast(hex_colour(colours[0]), hex_colour(colours[1]))
    assert ratio >= 4.5, f"{selector}: {colours[0]} on {colours[1]} is {ratio:.2f}:1"
    page.close()


def test_print_hides_navigation_and_keeps_the_content(site, browser):
    page = browser.new_page()
    page.goto(site + PAGES[3])
    page.emulate_media(media="print")
    hidden = page.evaluate("['.skip-link', '.languages', '.toc'].map(s => getComputedStyle("
                           "document.querySelector(s)).display)")
    assert hidden == ["none", "none", "none"]
    assert page.evaluate("getComputedStyle(document.querySelector('.key-findings')).display") != "none"
    page.close()


def test_main_menu_reaches_results_and_newsletter_archive(site, browser):
    page = browser.new_page()
    page.goto(site + PAGES[3])
    links = page.evaluate("[...document.querySelectorAll('.site-nav a')].map(a => [a.textContent, a.href])")
    assert [text for text, _ in links] == ["Onderzoeksresultaten", "Nieuwsbrief"]
    for _, href in links:
        assert page.request.get(href).status == 200
    page.close()


def test_download_links_serve_the_briefs_and_summaries(site, browser):
    page = browser.new_page()
    page.goto(site + PAGES[2])
    for href in page.evaluate("[...document.querySelectorAll('.downloads a')].map(a => a.href)"):
        response = page.request.get(href)
        assert response.status == 200
        body = response.body()
        assert body.startswith(b"%PDF") or body.startswith(b"PK") or b'<html lang="fr">' in body, href
    page.close()
