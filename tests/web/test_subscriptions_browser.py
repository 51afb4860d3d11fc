"""Every page of the subscription service passes axe-core (WCAG 2.1 AA) in Chromium, in each language."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pipeline.mail.store import SubscriberStore
from pipeline.mail.tokens import make_token

playwright = pytest.importorskip("playwright.sync_api")
axe = pytest.importorskip("axe_playwright_python")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (.ci/run installs it)")
AXE_JS = Path(axe.__file__).parent / "axe.min.js"


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        # bypass_csp: the service's Content-Security-Policy would (rightly) refuse the injected axe script.
        context = instance.new_context(bypass_csp=True)
        yield context
        context.close()
        instance.close()


def violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate("""() => axe.run(document, {runOnly: {type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})""")
    return [f"{v['id']}: {v['help']} ({[n['target'] for n in v['nodes']]})" for v in result["violations"]]


def test_every_page_passes_axe(service, browser, tmp_path):
    url, project, _ = service
    store = SubscriberStore.open(project)
    store.add("ana@example.org", language="fr")
    store.subscribe("lea@example.org", language="nl", lists=["newsletter"])
    pages = ["", "fr/", "nl/", "en/", "fr/embed",
             f"unsubscribe/{make_token('unsubscribe', 'ana@example.org', issued=0)}",
             f"preferences/{make_token('preferences', 'ana@example.org', issued=0)}",
             f"confirm/{make_token('confirm', 'lea@example.org')}",
             "unsubscribe/not-a-token"]
    found = {}
    for path in pages:
        page = browser.new_page()
        page.set_viewport_size({"width": 375, "height": 800})
        response = page.goto(url + path)
        assert response.status in (200, 404), path
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, f"{path} scrolls sideways on a phone"
        found[path] = violations(page)
        page.close()
    # The form with its error messages shown.
    page = browser.new_page()
    page.goto(url + "en/")
    page.fill("#email", "ana@example")  # the browser accepts it; email-validator does not
    page.uncheck("#list-newsletter")
    page.click("button[type=submit]")
    page.wait_for_selector(".errors")
    found["en/ (errors)"] = violations(page)
    page.screenshot(path=str(tmp_path / "subscribe-errors.png"), full_page=True)
    page.close()
    assert {k: v for k, v in found.items() if v} == {}, json.dumps(found, indent=1)


def test_the_sites_honeypot_is_out_of_sight_of_eyes_keys_and_screen_readers(service, browser, site_form):
    _, project, _ = service
    assert "website" in site_form(project, "en")  # builds the site with its sign-up form
    page = browser.new_page()
    page.goto((project.root / "outputs/site/en/index.html").as_uri())
    trap = page.locator("#signup-website")
    box = trap.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 0, box  # drawn off the page, never in sight
    assert trap.evaluate("e => [e.tabIndex, e.autocomplete, e.closest('[aria-hidden=true]') !== null]") == \
        [-1, "off", True]
    reached = []
    for _ in range(60):  # every stop of the Tab key: the address field comes, the trap never
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.id"))
    assert "signup-email" in reached and "signup-website" not in reached
    tree = page.locator("aside.signup").aria_snapshot()
    assert "Your email address" in tree and "Leave this field empty" not in tree
    page.close()
