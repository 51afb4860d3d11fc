"""`crebis serve`: the preview builds, serves on 127.0.0.1, rebuilds on a change and reloads the open page."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest
from webtools import chromium

from pipeline.scaffold import init_project
from pipeline.web.preview import BuildState, inject


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


def test_pages_get_the_reload_script_and_the_build_problems():
    state = BuildState()
    state.publish(["content/x.md:3: bad <value>"], 0.1)
    page = inject(b"<html><body><p>Hi</p></body></html>", state).decode()
    assert 'id="crebis-build-error"' in page and "bad &lt;value&gt;" in page
    assert "let v = 1;" in page and page.index("<p>Hi</p>") < page.index("<script>")
    assert state.wait(0, 0.01) == 1 and state.wait(1, 0.01) == 1
