"""`crebis serve`: the preview builds, serves on 127.0.0.1, rebuilds on a change and reloads the open page."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from projects import CONFIG, REPO, write_result
from webtools import chromium

from pipeline.scaffold import init_project
from pipeline.web.preview import BuildState, PreviewSession, digest, inject


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def preview(tmp_path_factory):
    """`crebis serve` on the sample project, as a real process; yields (project folder, base URL)."""
    root = tmp_path_factory.mktemp("preview") / "centre"
    init_project(root)
    port = free_port()
    log = open(root.parent / "serve.log", "w+", encoding="utf-8")  # noqa: SIM115 - closed below
    process = subprocess.Popen([sys.executable, "-m", "pipeline", "-C", str(root), "serve", "--port", str(port)],
                               stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        deadline = time.monotonic() + 600
        while "Serving the preview" not in (root.parent / "serve.log").read_text(encoding="utf-8"):
            assert process.poll() is None, (root.parent / "serve.log").read_text(encoding="utf-8")
            assert time.monotonic() < deadline, "the preview did not start"
            time.sleep(0.5)
        yield root, f"http://127.0.0.1:{port}/"
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


@pytest.fixture(scope="module")
def browser():
    with chromium() as instance:
        yield instance


def test_preview_is_built_apart_from_the_published_site(preview):
    root, _ = preview
    assert (root / ".crebis/preview/outputs/site/en/index.html").is_file()
    assert not (root / "outputs/site").exists()


def test_an_edit_shows_in_the_open_page_and_a_broken_file_shows_its_error(preview, browser):
    root, url = preview
    page = browser.new_page()
    page.set_default_timeout(120_000)
    page.goto(url + "en/about/")
    assert page.inner_text("h1") == "About the centre"
    source = root / "content/pages/about/en.md"
    original = source.read_text(encoding="utf-8")
    source.write_text(original.replace('title: "About the centre"', 'title: "About us, edited live"'),
                      encoding="utf-8")
    page.wait_for_function("document.querySelector('h1').textContent === 'About us, edited live'")

    source.write_text(original.replace('title: "About the centre"', 'title: [About'), encoding="utf-8")
    box = page.wait_for_selector("#crebis-build-error")
    assert "content/pages/about/en.md" in box.inner_text() and "YAML" in box.inner_text()

    source.write_text(original, encoding="utf-8")
    page.wait_for_function("!document.querySelector('#crebis-build-error') && "
                           "document.querySelector('h1').textContent === 'About the centre'")
    page.close()


_RECT = """selector => { const r = document.querySelector(selector).getBoundingClientRect();
                          return {top: r.top, bottom: r.bottom}; }"""


def test_the_error_box_pushes_the_page_down_and_hides_nothing(preview, browser):
    root, url = preview
    source = root / "content/pages/about/fr.md"
    original = source.read_text(encoding="utf-8")
    page = browser.new_page(viewport={"width": 375, "height": 700})
    page.set_default_timeout(120_000)
    page.goto(url + "fr/about/")
    # a long problem line: the box wraps it rather than widen a phone's page
    source.write_text(original.replace("title: \"", "title: [" + "x" * 120, 1), encoding="utf-8")
    try:
        page.wait_for_selector("#crebis-build-error")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        for scrolled in (0, 60):  # a reload keeps the page's scroll: the box was sticky, over the header
            page.evaluate(f"window.scrollTo(0, {scrolled})")
            box = page.evaluate(_RECT, "#crebis-build-error")
            for part in (".brand", ".languages", ".site-nav"):
                assert page.evaluate(_RECT, part)["top"] >= box["bottom"], (scrolled, part)
        page.evaluate("window.scrollTo(0, 0)")
        page.keyboard.press("Tab")  # the skip link shows over the box, not under it
        link = page.evaluate(_RECT, ".skip-link")
        assert page.evaluate("""() => { const r = document.querySelector('.skip-link').getBoundingClientRect();
            return document.elementFromPoint(r.left + 2, r.top + r.height / 2).closest('.skip-link') !== null; }""")
        assert link["top"] >= 0
    finally:
        source.write_text(original, encoding="utf-8")
    page.wait_for_function("!document.querySelector('#crebis-build-error')")
    page.close()


def test_pages_get_the_reload_script_and_the_build_problems():
    state = BuildState()
    state.publish(["content/x.md:3: bad <value>"], 0.1)
    page = inject(b"<html><body><p>Hi</p></body></html>", state).decode()
    assert 'id="crebis-build-error"' in page and "bad &lt;value&gt;" in page
    assert "let v = 1;" in page and page.index("<p>Hi</p>") < page.index("<script>")
    assert state.wait(0, 0.01) == 1 and state.wait(1, 0.01) == 1


def test_a_page_reloads_only_when_its_own_output_changed_or_the_problems_did():
    state = BuildState()
    state.publish([], 0.1)
    mine, other = "site/en/results/a/index.html", "site/en/results/b/index.html"
    current = {"bytes": "one"}
    since, problems = state.version, state.problems_key
    assert state.wait_for_page(since, mine, "one", problems, 0.01, lambda: current["bytes"]) == (since, False)
    state.written([other])
    assert state.wait_for_page(since, mine, "one", problems, 0.01, lambda: current["bytes"]) == (since + 1, False)
    state.written([mine])  # written again with the same bytes: nothing to reload
    assert state.wait_for_page(since, mine, "one", problems, 0.01, lambda: current["bytes"])[1] is False
    current["bytes"] = "two"
    state.written([mine])
    assert state.wait_for_page(since, mine, "one", problems, 0.01, lambda: current["bytes"])[1] is True
    state.publish(["content/x.md:1: broken"], 0.1)
    assert state.wait_for_page(state.version, mine, "two", problems, 0.01, lambda: current["bytes"])[1] is True


def test_an_open_page_is_told_to_reload_while_it_waits():
    state = BuildState()
    page = "site/en/index.html"
    answer = []
    waiter = threading.Thread(target=lambda: answer.append(
        state.wait_for_page(0, page, "old", state.problems_key, 30, lambda: "new")))
    waiter.start()
    deadline = time.monotonic() + 10
    while page not in state.watching:  # the server knows which pages are open
        assert time.monotonic() < deadline
        time.sleep(0.01)
    state.written([page])
    waiter.join(timeout=10)
    assert answer == [(1, True)] and page not in state.watching


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    """A small project (two results in French and English) built whole by a preview session, in process."""
    root = tmp_path_factory.mktemp("session") / "centre"
    root.mkdir()
    (root / "crebis.toml").write_text(CONFIG.replace('["fr", "nl", "en"]', '["fr", "en"]'), encoding="utf-8")
    shutil.copytree(REPO / "layouts", root / "layouts")
    (root / "content").mkdir()
    shutil.copy(REPO / "content/themes.yaml", root / "content/themes.yaml")
    write_result(root, "housing-first", ("fr", "en"))
    write_result(root, "second-study", ("fr", "en"), title='"Another study"')
    state = BuildState()
    said: list[str] = []
    preview = PreviewSession(root, state, echo=said.append)
    written: list[str] = []
    record = state.written
    state.written = lambda outputs: (written.extend(outputs), record(outputs))  # type: ignore[method-assign]
    preview.rebuild()
    assert state.problems == [], state.problems
    yield preview, written, said
    preview.renders.shutdown()
    preview.planner.shutdown()


def _outputs(preview: PreviewSession) -> Path:
    return preview.root / ".crebis/preview/outputs"


def test_an_edit_writes_its_page_first_then_the_rest_and_only_what_changed(session):
    preview, written, said = session
    out = _outputs(preview)
    source = preview.root / "content/results/housing-first/en.md"
    other_page = out / "site/en/results/second-study/index.html"
    other_before = other_page.read_bytes()
    written.clear()
    source.write_text(source.read_text(encoding="utf-8").replace("Body text of en.", "Body text, edited live."),
                      encoding="utf-8")
    preview.rebuild({source}, threading.Event())
    page = "site/en/results/housing-first/index.html"
    assert written[0] == page and "Body text, edited live." in (out / page).read_text(encoding="utf-8")
    # the brief and the summary follow in the background step, after the page
    assert written.index("briefs/housing-first/housing-first-en.pdf") > 0
    assert any(o.startswith("summaries/housing-first-en") for o in written)
    # the French page, the other result and its brief were not touched
    assert "site/fr/results/housing-first/index.html" not in written
    assert not [o for o in written if "second-study" in o] and other_page.read_bytes() == other_before
    assert any("first page written after" in line for line in said)


def test_a_new_change_stops_the_background_step_and_the_next_rebuild_finishes_it(session):
    preview, written, _said = session
    out = _outputs(preview)
    source = preview.root / "content/results/housing-first/en.md"
    pdf = out / "briefs/housing-first/housing-first-en.pdf"
    pdf_before = pdf.read_bytes()
    written.clear()
    source.write_text(source.read_text(encoding="utf-8").replace("More.", "More, and a second edit."),
                      encoding="utf-8")
    stopped = threading.Event()
    stopped.set()  # as if the next save came while the page was being written
    preview.rebuild({source}, stopped)
    assert written == ["site/en/results/housing-first/index.html"] and pdf.read_bytes() == pdf_before
    assert (out / "site/en/results/second-study/index.html").is_file()  # a partial build removes nothing
    preview.rebuild(set(), threading.Event())
    assert "briefs/housing-first/housing-first-en.pdf" in written and pdf.read_bytes() != pdf_before


def test_a_broken_edit_keeps_the_page_and_shows_the_error(session):
    preview, written, _said = session
    out = _outputs(preview)
    source = preview.root / "content/results/housing-first/en.md"
    page = out / "site/en/results/housing-first/index.html"
    before, good = page.read_bytes(), source.read_text(encoding="utf-8")
    served = preview.state.version, preview.state.problems_key
    written.clear()
    source.write_text(good.replace('title: "Housing First in Brussels"', "title: [Housing"), encoding="utf-8")
    preview.rebuild({source}, threading.Event())
    assert any("content/results/housing-first/en.md" in p for p in preview.state.problems)
    assert page.read_bytes() == before and not [o for o in written if "housing-first/index.html" in o]
    since, key = served
    assert preview.state.wait_for_page(since, "site/en/results/housing-first/index.html", digest(before), key,
                                       0.01, lambda: digest(page.read_bytes()))[1] is True
    source.write_text(good, encoding="utf-8")
    preview.rebuild({source}, threading.Event())
    assert preview.state.problems == []
