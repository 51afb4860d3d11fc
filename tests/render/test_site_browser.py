"""The web edition in a real browser (headless Chromium on 127.0.0.1): what a reader and a keyboard user get."""

import re

import pytest
from webtools import axe_violations, node_file

from pipeline.checks.rules.accessibility import contrast

PAGES = [
    "index.html",
    "fr/index.html",
    "fr/results/non-take-up-social-rights/index.html",
    "nl/results/energy-poverty-brussels/index.html",
    "en/results/digital-exclusion-social-services/index.html",
]


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


def test_no_page_scrolls_sideways_at_320_px(site, browser, site_pages, sample_site):
    """WCAG 1.4.10 (reflow): every page, long addresses and Dutch compounds included, fits 320 CSS pixels."""
    page = browser.new_page(viewport={"width": 320, "height": 640})
    wide = []
    for path in site_pages:
        page.goto(site + path.relative_to(sample_site).as_posix())
        if page.evaluate("document.documentElement.scrollWidth") > 320:
            wide.append(path.relative_to(sample_site).as_posix())
    page.close()
    assert wide == []


def test_printed_result_ends_on_a_page_with_content(site, browser, tmp_path):
    """A printed page must not spend its last sheet on the footer alone."""
    from pypdf import PdfReader

    page = browser.new_page()
    page.goto(site + "en/results/energy-poverty-brussels/index.html")
    page.emulate_media(media="print")
    pdf = tmp_path / "page.pdf"
    page.pdf(path=str(pdf), format="A4")
    footer = page.evaluate("document.querySelector('.site-footer').innerText")
    page.close()
    last = PdfReader(pdf).pages[-1].extract_text()
    words = set(re.findall(r"\w+", last)) - set(re.findall(r"\w+", footer))
    assert words, f"the last printed page holds only the footer: {last!r}"


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
    assert [text for text, _ in links] == ["Onderzoeksresultaten", "Nieuwsbrief", "Archief van de innovatiewatch",
                                           "Over het centrum", "Zoeken"]
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


def test_axe_finds_no_wcag_21_aa_violation_on_any_page(site, browser, site_pages, sample_site):
    axe = node_file("axe-core/axe.min.js")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    found = {}
    for path in site_pages:
        name = path.relative_to(sample_site).as_posix()
        page.goto(site + name)
        violations = axe_violations(page, axe)
        if violations:
            found[name] = violations
    page.close()
    assert found == {}


PAGE_KINDS = ["", "results/", "themes/energy-poverty/", "results/energy-poverty-brussels/", "accessibility/",
              "newsletters/", "newsletters/2026-04/", "search/", "404.html"]


@pytest.mark.parametrize("lang", ["fr", "nl", "en"])
def test_keyboard_tour_reaches_every_control_with_a_visible_focus(site, browser, lang):
    """Tab from the top: the skip link first, every link and control once, each with a focus ring, no trap."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    for kind in PAGE_KINDS:
        page.goto(f"{site}{lang}/{kind}")
        page.wait_for_load_state("networkidle")
        expected = page.evaluate("""() => [...document.querySelectorAll('a[href], button, input:not([type=hidden])')]
            .filter(e => e.getClientRects().length && getComputedStyle(e).visibility !== 'hidden')
            .map((e, i) => { e.dataset.tour = i; return e; }).length""")
        seen, rings = [], []
        for _ in range(expected + 5):
            page.keyboard.press("Tab")
            info = page.evaluate("""() => { const e = document.activeElement; if (e === document.body) return null;
                const s = getComputedStyle(e); return [e.dataset.tour + ' ' + e.outerHTML.slice(0, 60),
                s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2]; }""")
            if info is None or (seen and info[0] == seen[0]):
                break
            seen.append(info[0])
            rings.append(info[1])
        assert seen and "skip-link" in seen[0], kind
        assert len(seen) == len(set(seen)) >= expected - 1, f"{kind}: {len(seen)} stops for {expected} controls"
        assert all(rings), f"{kind}: no focus ring on {[s for s, r in zip(seen, rings, strict=True) if not r]}"
    page.close()


# Quoted: Pagefind then matches the exact phrase (each from the energy study's subtitle in one language).
PHRASES = {"fr": '"factures trop lourdes"', "nl": '"te zware facturen"', "en": '"heavy bills"'}


@pytest.mark.parametrize("lang", ["fr", "nl", "en"])
def test_search_finds_a_phrase_in_its_language_only(site, browser, lang):
    page = browser.new_page()
    page.goto(f"{site}{lang}/search/")
    hits = {}
    for phrase_lang, phrase in PHRASES.items():
        hits[phrase_lang] = page.evaluate("""async (q) => { const pf = await import('/pagefind/pagefind.js');
            await pf.init(); const r = await pf.search(q);
            return Promise.all(r.results.map(async x => (await x.data()).url)); }""", phrase)
    page.close()
    assert f"/{lang}/results/energy-poverty-brussels/" in hits[lang]
    assert all(url.startswith(f"/{lang}/") for url in hits[lang])
    assert all(hits[other] == [] for other in PHRASES if other != lang), hits


def test_search_box_shows_results_as_you_type(site, browser):
    page = browser.new_page()
    page.goto(site + "nl/search/")
    page.fill(".pagefind-ui__search-input", "energiearmoede")
    page.wait_for_selector(".pagefind-ui__result-link", timeout=10_000)
    links = page.eval_on_selector_all(".pagefind-ui__result-link", "els => els.map(e => e.getAttribute('href'))")
    assert "/nl/results/energy-poverty-brussels/" in links
    page.close()


def test_search_results_look_like_the_site(site, browser):
    """Pagefind's own sheet draws result titles in grey Helvetica at 80 %: they are the site's links here."""
    page = browser.new_page()
    page.goto(site + "en/search/")
    page.fill(".pagefind-ui__search-input", "energy")
    link = page.wait_for_selector(".pagefind-ui__result-link", timeout=10_000)
    style = link.evaluate("e => { const s = getComputedStyle(e); "
                          "return [s.color, s.textDecorationLine, s.fontFamily]; }")
    body = page.evaluate("getComputedStyle(document.body).fontFamily")
    heading = page.eval_on_selector(".site-nav a", "e => getComputedStyle(e).color")
    page.close()
    assert hex_colour(style[0]) == hex_colour(heading) and "underline" in style[1] and style[2] == body


@pytest.mark.parametrize("lang", ["fr", "nl", "en"])
def test_on_a_phone_the_language_links_stand_apart_from_the_menu(site, browser, lang):
    page = browser.new_page(viewport={"width": 320, "height": 800})
    page.goto(f"{site}{lang}/")
    languages = page.eval_on_selector(".languages", "e => e.getBoundingClientRect().bottom")
    top, border, first_link = page.eval_on_selector(".site-nav ul", """e => [e.getBoundingClientRect().top,
        getComputedStyle(e).borderTopWidth, e.querySelector('a').getBoundingClientRect().top]""")
    page.close()
    assert languages <= top and border != "0px", "a rule separates the language links from the menu"
    assert first_link - languages >= 12, "the menu's first link is not crowded against the language links"
