"""`crebis serve`: a live preview of the site, drafts included, on 127.0.0.1.

It builds the project with drafts into the preview folder (`.crebis/preview/outputs/`,
never `outputs/`, which is what gets published), serves its `site/` at the path of
`base_url` (so the site's own links and search work as in production), watches
`content/`, `layouts/` and `crebis.toml` with watchfiles, rebuilds what changed, and
reloads the open pages. A page asks `/_crebis/wait?since=N` (a long poll) and reloads
when the build number moves on; while the last build has problems, every page shows
them in a box at its top, as the terminal does.
"""

from __future__ import annotations

import html
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from pipeline.errors import CrebisError
from pipeline.project import Project
from pipeline.publish import build, preview_dir
from pipeline.render.search import index_site

log = logging.getLogger(__name__)
EVENTS = "/_crebis/wait"
WAIT_SECONDS = 20.0


@dataclass
class BuildState:
    """The number and problems of the latest preview build, shared by the watcher and the pages."""

    version: int = 0
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0
    _changed: threading.Condition = field(default_factory=threading.Condition, repr=False)

    def publish(self, problems: list[str], seconds: float) -> None:
        with self._changed:
            self.version += 1
            self.problems = problems
            self.seconds = seconds
            self._changed.notify_all()

    def wait(self, since: int, timeout: float) -> int:
        """Block until a build newer than `since` is done (or `timeout`); the current number."""
        with self._changed:
            self._changed.wait_for(lambda: self.version > since, timeout)
            return self.version


def build_preview(project_root: Path, search: bool = True) -> tuple[list[str], float]:
    """One incremental preview build (drafts included); the problems it met, and how long it took."""
    start = time.perf_counter()
    try:
        project = Project.open(project_root)
        outcome = build(project, drafts=True, search=search)
    except CrebisError as exc:
        return [str(exc)], time.perf_counter() - start
    problems = [f"{f.file}:{f.line}: {f.message}" if f.line else f"{f.file}: {f.message}"
                for f in outcome.content_errors]
    problems += sorted(f.message for f in outcome.report.failed)
    return list(dict.fromkeys(problems)), time.perf_counter() - start


def watched_paths(root: Path) -> list[Path]:
    """What a change to rebuilds on: the content, the layouts and the configuration."""
    return [p for p in (root / "content", root / "layouts", root / "crebis.toml") if p.exists()]


def watch_and_rebuild(root: Path, state: BuildState, stop: threading.Event,
                      on_build: Callable[[list[str], float], None] | None = None) -> None:
    """Rebuild the preview on every change under the watched paths until `stop` is set."""
    import watchfiles

    # A short debounce: an editor's save is one burst of events, and the reload should follow at once.
    for changes in watchfiles.watch(*watched_paths(root), stop_event=stop, debounce=60, step=20,
                                    raise_interrupt=False):
        if not changes:
            continue
        # The page reloads as soon as the pages are written; the search index follows.
        problems, seconds = build_preview(root, search=False)
        state.publish(problems, seconds)
        if on_build:
            on_build(problems, seconds)
        _reindex(root)


def _reindex(root: Path) -> None:
    try:
        project = Project.open(root)
        site = preview_dir(project) / "outputs" / "site"
        if project.config.site.search and site.is_dir():
            index_site(site)
    except CrebisError as exc:
        log.warning("search index not updated: %s", exc)


def _reload_script(version: int) -> str:
    return (f"<script>(() => {{ let v = {version}; const wait = async () => {{ try {{ "
            f"const r = await fetch('{EVENTS}?since=' + v, {{cache: 'no-store'}}); const s = await r.json(); "
            "if (s.version !== v) { location.reload(); return; } } "
            "catch (e) { await new Promise(ok => setTimeout(ok, 500)); } wait(); }; wait(); })();</script>")


def _problem_box(problems: list[str]) -> str:
    items = "".join(f"<li><pre>{html.escape(p)}</pre></li>" for p in problems)
    return ('<div id="crebis-build-error" role="alert" style="position:sticky;top:0;z-index:1000;margin:0;'
            'padding:0.75rem 1rem;background:#7a1010;color:#fff;font:15px/1.4 system-ui,sans-serif">'
            f"<strong>crebis build: {len(problems)} problem(s)</strong><ul style=\"margin:0.5rem 0 0;"
            f"padding-left:1.25rem\">{items}</ul></div>")


def inject(page: bytes, state: BuildState) -> bytes:
    """A page as the preview serves it: with the reload script, and the build's problems if any."""
    text = page.decode("utf-8", errors="replace")
    if state.problems:
        box = _problem_box(state.problems)
        text = text.replace("<body>", "<body>" + box, 1) if "<body>" in text else box + text
    script = _reload_script(state.version)
    text = text.replace("</body>", script + "</body>", 1) if "</body>" in text else text + script
    return text.encode("utf-8")


def create_app(project_root: Path, state: BuildState, site_dir: Path | None = None) -> Starlette:
    """The preview app: the preview build's site under base_url's path, and the reload endpoint."""
    project = Project.open(project_root)
    site = (site_dir or preview_dir(project) / "outputs" / "site").resolve()
    prefix = urlsplit(project.config.base_url).path or "/"
    first_lang = project.config.languages[0]

    async def wait(request: Request) -> Response:
        since = int(request.query_params.get("since", "0") or 0)
        version = await anyio.to_thread.run_sync(state.wait, since, WAIT_SECONDS)
        return JSONResponse({"version": version, "problems": state.problems, "seconds": round(state.seconds, 3)},
                            headers={"Cache-Control": "no-store"})

    def html_page(path: Path, status: int = 200) -> Response:
        return HTMLResponse(inject(path.read_bytes(), state), status_code=status,
                            headers={"Cache-Control": "no-store"})

    async def page(request: Request) -> Response:
        path = request.url.path
        if not path.startswith(prefix):
            return Response(status_code=302, headers={"Location": prefix})
        relative = path[len(prefix):]
        target = (site / relative).resolve()
        if target != site and site not in target.parents:
            return Response("Not found", status_code=404)
        if target.is_dir():
            if not path.endswith("/"):
                return Response(status_code=301, headers={"Location": path + "/"})
            target = target / "index.html"
        if target.is_file():
            if target.suffix == ".html":
                return html_page(target)
            return FileResponse(target, headers={"Cache-Control": "no-store"})
        lang = relative.split("/", 1)[0]
        not_found = site / lang / "404.html" if (site / lang / "404.html").is_file() else site / "404.html"
        if not_found.is_file():
            return html_page(not_found, 404)
        if state.problems or not (site / first_lang).exists():
            return HTMLResponse(inject(b"<!DOCTYPE html><html lang=\"en\"><head><title>crebis preview</title>"
                                       b"</head><body><p>Nothing built yet.</p></body></html>", state), 404)
        return Response("Not found", status_code=404)

    return Starlette(routes=[Route(EVENTS, wait), Route("/{path:path}", page)])


def serve(project_root: Path, host: str = "127.0.0.1", port: int = 8000,
          echo: Callable[[str], None] = print) -> None:
    """Build, serve and watch until interrupted (Ctrl-C)."""
    import uvicorn

    root = Path(project_root).resolve()
    state = BuildState()
    echo("Building the preview (drafts included)…")
    problems, seconds = build_preview(root)
    state.publish(problems, seconds)
    report = _reporter(echo)
    report(problems, seconds)
    app = create_app(root, state)
    stop = threading.Event()
    watcher = threading.Thread(target=watch_and_rebuild, args=(root, state, stop, report), daemon=True)
    watcher.start()
    prefix = urlsplit(Project.open(root).config.base_url).path or "/"
    echo(f"Serving the preview at http://{host}:{port}{prefix} (Ctrl-C stops)")
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off")
    try:
        uvicorn.Server(config).run()
    finally:
        stop.set()
        watcher.join(timeout=5)


def _reporter(echo: Callable[[str], None]) -> Callable[[list[str], float], None]:
    def report(problems: list[str], seconds: float) -> None:
        if problems:
            echo(f"Build: {len(problems)} problem(s) ({seconds:.2f} s)")
            for problem in problems:
                echo("  ✗ " + problem.replace("\n", "\n    "))
        else:
            echo(f"Build: done ({seconds:.2f} s)")
    return report
