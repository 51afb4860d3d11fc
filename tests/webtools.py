"""Real tools for testing web pages: Debian's Chromium through Playwright, the Nu Html Checker, axe-core.

`.ci/run` installs the npm packages (vnu-jar, axe-core) into `.tools/` at the repository
root; `CREBIS_NODE_TOOLS` points elsewhere. Without them the tests that need them are
skipped on a developer's machine and fail under CI, where a skip would hide a missing install.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from projects import REPO

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
NODE_TOOLS = Path(os.environ.get("CREBIS_NODE_TOOLS", REPO / ".tools")) / "node_modules"


def _missing(what: str) -> None:
    message = f"{what} is not installed (bash .ci/run installs it)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def node_file(relative: str) -> Path:
    """A file of an npm package installed by .ci/run, e.g. 'axe-core/axe.min.js'."""
    path = NODE_TOOLS / relative
    if not path.is_file():
        _missing(f"{relative.split('/')[0]} ({path})")
    return path


def html_errors(pages: list[Path]) -> list[str]:
    """The Nu Html Checker's errors over `pages`, one 'file:line: message' per error."""
    if not shutil.which("java"):
        _missing("java")
    jar = node_file("vnu-jar/build/dist/vnu.jar")
    run = subprocess.run(["java", "-Xss1m", "-jar", str(jar), "--errors-only", "--format", "json",
                          *map(str, pages)], capture_output=True, text=True, timeout=300)
    messages = json.loads(run.stderr or run.stdout or '{"messages": []}')["messages"]
    return [f"{m.get('url', '')}:{m.get('lastLine', '?')}: {m['message']}" for m in messages
            if m.get("type") == "error" or m.get("subType") == "fatal"]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serve_folder(folder: Path) -> Iterator[str]:
    """Serve `folder` over HTTP on 127.0.0.1; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def chromium() -> Iterator[object]:
    """Headless Debian Chromium, driven by Playwright (no browser download)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if CHROMIUM is None:
        _missing("Chromium")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def axe_violations(page, axe_js: Path) -> list[str]:
    """axe-core's WCAG 2.1 A/AA violations on an open Playwright page, one line each."""
    page.add_script_tag(path=str(axe_js))
    result = page.evaluate("""() => axe.run(document, {runOnly: {type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})""")
    return [f"{v['id']}: {v['help']} ({', '.join(n['target'][0] for n in v['nodes'][:3])})"
            for v in result["violations"]]
