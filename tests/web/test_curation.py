"""The curation page in real Chromium on 127.0.0.1: keyboard keep and note, saved to the worksheet, shown
again on reload, filters, a concurrent edit of the YAML detected, and axe-core finding nothing."""

from __future__ import annotations

import json
import shutil
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from watchweek import NOW, WEEK, fill

from pipeline.project import Project
from pipeline.watch.worksheet import read_worksheet, review, worksheet_path
from pipeline.web.curation import bind, server

playwright = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (.ci/run installs it)")
AXE = Path(pytest.importorskip("axe_playwright_python").__file__).parent / "axe.min.js"
LANGS = ["fr", "nl", "en"]


@pytest.fixture
def curation(project_dir):
    """The curation page of a reviewed week, served by uvicorn on 127.0.0.1 in a thread."""
    project = Project.open(project_dir)
    ids = fill(project)
    review(project, WEEK, now=NOW)
    sock = bind(0)
    instance = server(project, WEEK, sock, now=NOW)
    thread = threading.Thread(target=instance.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not instance.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert instance.started
    yield project, ids, f"http://127.0.0.1:{sock.getsockname()[1]}/"
    instance.should_exit = True
    thread.join(10)
    sock.close()


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        yield instance
        instance.close()


def sheet(project):
    return read_worksheet(worksheet_path(project, WEEK), LANGS)


def open_page(browser, url, **context):
    page = browser.new_page(viewport={"width": 1100, "height": 900}, **context)
    page.goto(url)
    page.wait_for_selector("body[data-ready=true]")
    return page


def saved(page, count):
    """Wait until the page has said "Saved" `count` times in all (each save rewrites the status line)."""
    page.wait_for_function("n => window.__saves >= n", arg=count)


def test_keyboard_keep_and_note_are_saved_and_shown_again_on_reload(curation, browser):
    project, _ids, url = curation
    page = open_page(browser, url)
    page.evaluate("""() => { window.__saves = 0; new MutationObserver(() => {
        if (document.getElementById('status').textContent.startsWith('Saved')) window.__saves++; })
        .observe(document.getElementById('status'), {childList: true, characterData: true, subtree: true}); }""")
    first, second = (sheet(project).entries[i].id for i in (0, 1))
    page.keyboard.press("j")
    assert page.evaluate("document.activeElement.dataset.id") == first
    page.keyboard.press("x")
    saved(page, 1)
    assert sheet(project).entry(first).keep is True
    page.keyboard.press("j")
    page.keyboard.press("n")
    assert page.evaluate("document.activeElement.id") == "note-fr"
    assert page.evaluate("document.activeElement.closest('.entry').dataset.id") == second
    page.keyboard.type("Une piste à suivre.")
    page.keyboard.press("Enter")
    saved(page, 2)
    assert sheet(project).entry(second).notes == {"fr": "Une piste à suivre."}
    page.keyboard.press("Escape")
    assert page.evaluate("document.activeElement.dataset.id") == second
    page.keyboard.press("x")  # keep the second one too, then leave it out again
    saved(page, 3)
    page.keyboard.press("x")
    saved(page, 4)
    assert sheet(project).entry(second).keep is False
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    assert page.get_attribute(f'article[data-id="{first}"]', "data-keep") == "kept"
    assert page.get_attribute(f'article[data-id="{second}"]', "data-keep") == "dropped"
    assert page.text_content(f'article[data-id="{second}"] .note-view') == "FR: Une piste à suivre."
    page.click(f'article[data-id="{second}"] .note')
    assert page.input_value("#note-fr") == "Une piste à suivre." and page.input_value("#note-nl") == ""
    assert page.text_content("#kept") == "1" and page.text_content("#dropped") == "1"
    page.close()


def test_filters_by_theme_and_language(curation, browser):
    project, ids, url = curation
    page = open_page(browser, url)
    page.select_option("#filter-theme", "housing")
    shown = page.eval_on_selector_all(".entry:not([hidden])", "es => es.map(e => e.dataset.id)")
    assert set(shown) == {e.id for e in sheet(project).entries if e.group == "housing"}
    page.select_option("#filter-lang", "nl")
    assert page.eval_on_selector_all(".entry:not([hidden])", "es => es.map(e => e.dataset.id)") == [ids["huur"]]
    page.close()


def test_a_concurrent_edit_of_the_yaml_is_detected_and_not_overwritten(curation, browser):
    project, ids, url = curation
    page = open_page(browser, url)
    path = worksheet_path(project, WEEK)
    edited = path.read_text(encoding="utf-8") + "# edited in an editor meanwhile\n"
    path.write_text(edited, encoding="utf-8")
    page.click(f'article[data-id="{ids["jazz"]}"] .drop')
    page.wait_for_selector("#alert button")
    assert "was changed outside this page" in page.text_content("#alert")
    assert path.read_text(encoding="utf-8") == edited
    page.close()


def test_the_page_passes_axe_core_and_refuses_foreign_requests(curation, browser):
    _project, ids, url = curation
    page = open_page(browser, url, bypass_csp=True)  # the page's own policy refuses injected scripts, axe's too
    page.add_script_tag(path=str(AXE))
    for _state in ("list", "note editor open"):
        result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        assert [(v["id"], [n["target"] for n in v["nodes"]]) for v in result["violations"]] == []
        page.keyboard.press("j")
        page.keyboard.press("n")
    page.close()
    # A post without the page's token (another site's page in the same browser) changes nothing.
    request = urllib.request.Request(url + "decide", data=json.dumps({"id": ids["jazz"], "version": "x", "keep": True})
                                     .encode(), headers={"Content-Type": "application/json"}, method="POST")
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request, timeout=10)
    assert info.value.code == 403
