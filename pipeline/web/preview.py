"""`crebis serve`: a live preview of the site, drafts included, on 127.0.0.1.

It builds the project with drafts into the preview folder (`.crebis/preview/outputs/`,
never `outputs/`, which is what gets published), serves its `site/` at the path of
`base_url` (so the site's own links and search work as in production), watches
`content/`, `layouts/` and `crebis.toml` with watchfiles, rebuilds what changed, and
reloads the open pages.

A rebuild comes in two steps, so that an edit shows in about a second even in a large project.
The project stays in memory between rebuilds (`PreviewSession`): a change to a result's folder
re-reads and re-checks that folder only. First the pages an edit shows in are built (the edited
result's pages, or, after a change to a layout or the configuration, the pages open in a browser),
and each open page is told to reload as soon as its HTML is written. Then, once no file has changed
for QUIET_SECONDS, the rest of the project (briefs, summaries, cards, indexes, feeds, the search
index) follows in the background; a page
whose output that changes reloads again, the others stay. A new change stops the background step
and starts over from the first.

A page asks `/_crebis/wait?since=N&out=…&h=…&p=…` (a long poll: the build number it was served
at, its output file, that file's digest and the build problems it shows) and reloads only when its
own output changed or the problems did; while the last build has problems, every page shows them
in a box at its top, as the terminal does.
"""

from __future__ import annotations

import collections
import dataclasses
import hashlib
import html
import logging
import queue
import socket
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from pipeline.build import Target
from pipeline.checks.findings import CheckReport, Finding
from pipeline.config import CONFIG_FILE
from pipeline.content.load import Loaded, load_result, load_results, load_themes
from pipeline.content.model import Theme
from pipeline.errors import CrebisError
from pipeline.project import Project
from pipeline.publish import Outcome, Plan, build, content_checks, failed_paths, plan, preview_dir
from pipeline.render.context import RenderContext
from pipeline.render.search import index_site, needs_index
from pipeline.render.site import result_site_targets

log = logging.getLogger(__name__)
EVENTS = "/_crebis/wait"
WAIT_SECONDS = 20.0
QUIET_SECONDS = 2.0
"""How long no file may change before the background step (briefs, summaries, cards, indexes) starts."""
_LOG_LENGTH = 10_000
"""Builds remembered with the outputs they wrote; a page served before the oldest just reloads."""


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=8).hexdigest()


@dataclass
class BuildState:
    """What the pages need to know of the preview builds: a build number that moves on with each output
    written (and with each change of the problems), which outputs each number wrote, and the problems."""

    version: int = 0
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0
    watching: collections.Counter[str] = field(default_factory=collections.Counter)
    """Outputs of the pages open in a browser now (each waiting for a reload), with how many wait."""
    _written: collections.deque[tuple[int, frozenset[str]]] = field(
        default_factory=lambda: collections.deque(maxlen=_LOG_LENGTH), repr=False)
    _changed: threading.Condition = field(default_factory=threading.Condition, repr=False)

    @property
    def problems_key(self) -> str:
        return digest("\n".join(self.problems).encode())

    def publish(self, problems: list[str], seconds: float) -> None:
        """A build step is over, with these problems."""
        with self._changed:
            self.version += 1
            self.problems = problems
            self.seconds = seconds
            self._changed.notify_all()

    def written(self, outputs: Iterable[str]) -> None:
        """These outputs (paths relative to the outputs folder) were just written."""
        with self._changed:
            self.version += 1
            self._written.append((self.version, frozenset(outputs)))
            self._changed.notify_all()

    def wait(self, since: int, timeout: float) -> int:
        """Block until a build newer than `since` is done (or `timeout`); the current number."""
        with self._changed:
            self._changed.wait_for(lambda: self.version > since, timeout)
            return self.version

    def wait_for_page(self, since: int, output: str, seen: str, problems: str, timeout: float,
                      current: Callable[[], str]) -> tuple[int, bool]:
        """Block until the page served at build `since` should reload: its `output` was written again
        and its digest is no longer `seen` (`current` reads it), or the problems shown (`problems`, a
        key) changed. Returns the build number, and whether to reload (False after `timeout`)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            self.watching[output] += 1
            try:
                while True:
                    if self.problems_key != problems:
                        return self.version, True
                    if self._written and since < self._written[0][0] - 1:
                        return self.version, True  # served before what is remembered: reload to be sure
                    if any(v > since and output in outputs for v, outputs in self._written) and current() != seen:
                        return self.version, True
                    since = self.version
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        return self.version, False
                    self._changed.wait(remaining)
            finally:
                self.watching[output] -= 1
                if not self.watching[output]:
                    del self.watching[output]


def _problems(checks: CheckReport, failures: dict[str, str]) -> list[str]:
    found = [f"{f.file}:{f.line}: {f.message}" if f.line else f"{f.file}: {f.message}" for f in checks.errors]
    return list(dict.fromkeys(found + sorted(failures.values())))


class PreviewSession:
    """The project as the preview keeps it between rebuilds: configuration, results, themes and check
    findings in memory, re-read only where a file changed; and the two-step rebuild."""

    def __init__(self, root: Path, state: BuildState, echo: Callable[[str], None] = print) -> None:
        self.root = Path(root).resolve()
        self.state = state
        self.echo = echo
        self.project: Project | None = None
        self.content: tuple[Loaded, dict[str, Theme]] | None = None
        self.ctx: RenderContext | None = None
        self.renders = ThreadPoolExecutor(max_workers=2, thread_name_prefix="crebis-preview")
        """Renders the edited pages while their folder is checked again (pandoc runs outside the GIL)."""
        self.planner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="crebis-plan")
        self.checks = CheckReport()
        self.failures: dict[str, str] = {}
        """Per output, why its target failed in the latest build that tried it."""
        self.stop = threading.Event()
        """Set when files change again: the background step stops at once."""
        self.first_written: float | None = None

    # -- what changed --------------------------------------------------------------------------

    def _result_folders(self, changes: set[Path]) -> set[Path] | None:
        """The result folders the changes are in; None if any change is elsewhere (read everything again)."""
        if self.project is None or self.content is None:
            return None
        results_dir = self.project.results_dir
        folders = set()
        for path in changes:
            if results_dir not in path.parents or (path.parent == results_dir and path.is_file()):
                return None
            folders.add(results_dir / path.relative_to(results_dir).parts[0])
        return folders

    def _load_all(self) -> None:
        project = Project.open(self.root)
        themes = load_themes(project.path(project.config.watch.themes))
        loaded = load_results(project.results_dir, project.config.languages, themes, project.shared_folders)
        self.project, self.content = project, (loaded, themes)
        self.ctx = RenderContext.create(project, loaded.results, themes)
        self.checks = content_checks(project, self._plan_of([]))

    def _reload(self, folders: set[Path]) -> None:
        """Read the changed result folders again."""
        assert self.project is not None and self.content is not None
        loaded, themes = self.content
        project = self.project
        slugs = {f.name for f in folders}

        def inside(path: Path) -> bool:
            return any(path == f or f in path.parents for f in folders)

        # A new Loaded, not the old one changed: a plan of the background step may still be reading that.
        loaded = Loaded(results=[r for r in loaded.results if r.slug not in slugs],
                        errors=[e for e in loaded.errors if not inside(Path(e.path))],
                        failed=loaded.failed - slugs,
                        documents={path: doc for path, doc in loaded.documents.items() if not inside(path)})
        self.content = (loaded, themes)
        for folder in sorted(folders):
            if not folder.is_dir() or folder.name.startswith((".", "_")):
                continue
            result = load_result(folder, project.config.languages, themes, loaded.errors, loaded.documents,
                                 project.shared_folders)
            if result is None:
                loaded.failed.add(folder.name)
            else:
                loaded.results.append(result)
        loaded.results.sort(key=lambda r: r.slug)
        if self.ctx is not None:
            # The layouts, labels and configuration are as they were: keep their templates compiled.
            self.ctx = dataclasses.replace(self.ctx, results=tuple(loaded.results))

    def _recheck(self, folders: set[Path]) -> None:
        """Check the changed result folders again; the other folders' findings are kept."""
        assert self.project is not None
        project = self.project
        fresh = content_checks(project, self._plan_of([]), sorted(folders))
        names = [project.relative(f) for f in folders]
        kept = [f for f in self.checks.findings
                if not any(f.file == n or f.file.startswith(n + "/") for n in names)]
        seen = set()
        merged: list[Finding] = []
        for finding in kept + fresh.findings:
            if finding not in seen:
                seen.add(finding)
                merged.append(finding)
        self.checks = CheckReport(merged, self.checks.documents).sorted()

    def _plan_of(self, targets: list[Target]) -> Plan:
        assert self.project is not None and self.content is not None
        loaded, themes = self.content
        return Plan(targets, themes, loaded, failed_paths(self.project, loaded))

    # -- building ------------------------------------------------------------------------------

    def _build(self, planned: Plan, partial: bool, stop: threading.Event | None = None,
               only: set[str] | None = None) -> Outcome:
        assert self.project is not None

        def written(target: Target) -> None:
            self.failures.pop(target.output, None)
            self.state.written(target.outputs)
            if self.first_written is None:
                self.first_written = time.perf_counter()

        outcome = build(self.project, only=only, drafts=True, search=False, planned=planned, checks=self.checks,
                        partial=partial, stop=stop, on_written=written)
        for failure in outcome.report.failed:
            self.failures[failure.target.output] = failure.message
        return outcome

    def _first(self, changes: set[Path] | None, folders: set[Path] | None) -> Plan | None:
        """Step one: the pages an edit shows in. Returns the whole plan when it had to make it."""
        assert self.project is not None and self.content is not None and self.ctx is not None
        loaded, _themes = self.content
        if folders is not None:
            slugs = {f.name for f in folders}
            targets = result_site_targets(self.ctx, [r for r in loaded.results if r.slug in slugs], True)
            # The edited files' pages are rendered at once, while their folders are checked again: the
            # build below writes them only if the checks find no error (else the render is dropped).
            early = {t.output: self.renders.submit(t.render) for t in targets if t.source in (changes or ())}
            self._recheck(folders)
            targets = [dataclasses.replace(t, render=early[t.output].result) if t.output in early else t
                       for t in targets]
            whole = None
        else:
            whole = plan(self.project, True, self.content)
            open_pages = set(self.state.watching)
            targets = [t for t in whole.targets if t.kind == "site" and open_pages & set(t.outputs)]
        # The edited files' own pages first, then the pages open in a browser, then the rest.
        edited = changes or set()
        watched = set(self.state.watching)
        targets.sort(key=lambda t: (t.source not in edited, not watched & set(t.outputs)))
        if targets:
            self._build(self._plan_of(targets), partial=True)
        return whole

    def rebuild(self, changes: set[Path] | None = None, stop: threading.Event | None = None,
                on_first: Callable[[], None] | None = None) -> None:
        """Bring the preview up to date after `changes` (None: everything, as at start-up); `on_first` is
        called when the pages are written, before the background step."""
        start = time.perf_counter()
        self.first_written = None
        folders = self._result_folders(changes) if changes is not None else None
        try:
            if folders is not None:
                self._reload(folders)
            elif changes and self.project is not None and all(
                    self.project.layouts_dir in path.parents for path in changes):
                # Only templates or labels changed: the content and its findings are as they were.
                loaded, themes = self.content or (Loaded(), {})
                self.ctx = RenderContext.create(self.project, loaded.results, themes)
            else:
                self._load_all()
            assert self.project is not None
            if changes is None:
                # At start-up the site comes first, the briefs and cards after.
                whole = plan(self.project, True, self.content)
                self._build(whole, partial=False, only={"site"})
            else:
                whole = self._first(changes, folders)
        except CrebisError as exc:
            self.project = self.content = None  # read everything again on the next change
            self.state.publish([str(exc)], time.perf_counter() - start)
            self._report([str(exc)], time.perf_counter() - start)
            return
        first = time.perf_counter() - start
        problems = _problems(self.checks, self.failures)
        self.state.publish(problems, first)
        page = f"first page written after {self.first_written - start:.2f} s, " if self.first_written else ""
        self._report(problems, first, f"{page}pages ready")
        if on_first:
            on_first()
        # The rest waits until the author pauses: saves in quick succession each get their page at once,
        # with no background work competing for the processor; the briefs and cards follow the last.
        if stop is not None and changes is not None and stop.wait(QUIET_SECONDS):
            return
        try:
            whole = whole or self._plan(stop)
            if whole is None:
                return
            outcome = self._build(whole, partial=False, stop=stop)
        except CrebisError as exc:
            self.state.publish([str(exc)], time.perf_counter() - start)
            self._report([str(exc)], time.perf_counter() - start)
            return
        if outcome.report.stopped:
            return
        self.failures = {f.target.output: f.message for f in outcome.report.failed}
        problems = _problems(self.checks, self.failures)
        if problems != self.state.problems:
            self.state.publish(problems, time.perf_counter() - start)
        self._report(problems, time.perf_counter() - start, "everything built")
        self._reindex(outcome, stop)

    def _plan(self, stop: threading.Event | None) -> Plan | None:
        """The whole plan from the content in memory; None if `stop` is set meanwhile (the plan is then left
        to finish on its own thread, unused, so that the next edit's pages need not wait for it)."""
        project, content = self.project, self.content
        assert project is not None
        planning = self.planner.submit(plan, project, True, content)
        while True:
            done, _ = wait_futures([planning], timeout=0.02)
            if done:
                return planning.result()
            if stop is not None and stop.is_set():
                return None

    def _reindex(self, outcome: Outcome, stop: threading.Event | None) -> None:
        assert self.project is not None
        site = preview_dir(self.project) / "outputs" / "site"
        if not self.project.config.site.search or not site.is_dir() or not needs_index(site, outcome.report):
            return
        try:
            index_site(site, stop)
        except CrebisError as exc:
            log.warning("search index not updated: %s", exc)
            self.echo(f"  ✗ search index not updated: {exc}")

    def _report(self, problems: list[str], seconds: float, what: str = "done") -> None:
        if problems:
            self.echo(f"Build: {len(problems)} problem(s) ({seconds:.2f} s)")
            for problem in problems:
                self.echo("  ✗ " + problem.replace("\n", "\n    "))
        else:
            self.echo(f"Build: {what} ({seconds:.2f} s)")


def watched_paths(root: Path) -> list[Path]:
    """What a change to rebuilds on: the content, the layouts and the configuration."""
    return [p for p in (root / "content", root / "layouts", root / CONFIG_FILE) if p.exists()]


def watch(root: Path, changes: queue.Queue[set[Path]], stop_build: threading.Event, stop: threading.Event) -> None:
    """Queue every batch of changes under the watched paths (and stop the background build) until `stop`."""
    import watchfiles

    # A short debounce: an editor's save is one burst of events, and the reload should follow at once.
    for batch in watchfiles.watch(*watched_paths(root), stop_event=stop, debounce=50, step=10,
                                  raise_interrupt=False):
        if batch:
            changes.put({Path(p) for _change, p in batch})
            stop_build.set()


def run_builds(session: PreviewSession, changes: queue.Queue[set[Path]], stop: threading.Event) -> None:
    """Rebuild on each batch of changes, in order; a new batch stops the background step of the last."""
    while not stop.is_set():
        try:
            batch = changes.get(timeout=0.2)
        except queue.Empty:
            continue
        # Cleared before the queue is emptied: a change queued from now on stops this rebuild.
        session.stop.clear()
        while True:
            try:
                batch |= changes.get_nowait()
            except queue.Empty:
                break
        try:
            session.rebuild(batch, session.stop)
        except Exception:  # a bug must not end the preview: say it, keep serving, try again on the next change
            log.exception("preview rebuild failed")
            session.echo("  ✗ the preview could not rebuild (a bug in crebis: please report it); "
                         "edit a file to try again")


def _reload_script(version: int, output: str, seen: str, problems: str) -> str:
    query = f"out={quote(output)}&h={seen}&p={problems}"
    return (f"<script>(() => {{ let v = {version}; const wait = async () => {{ try {{ "
            f"const r = await fetch('{EVENTS}?{query}&since=' + v, {{cache: 'no-store'}}); const s = await r.json(); "
            "if (s.reload) { location.reload(); return; } v = s.version; } "
            "catch (e) { await new Promise(ok => setTimeout(ok, 500)); } wait(); }; wait(); })();</script>")


def _problem_box(problems: list[str]) -> str:
    # In the page's flow, first in its body: it pushes the page down and hides nothing. (It was sticky, over
    # the site's header as soon as the page scrolled, which a reload keeps: the logo, the language links and
    # the focused skip link went under it.) Long lines wrap: a path must not widen a phone's page.
    items = "".join(f'<li><pre style="margin:0;white-space:pre-wrap;overflow-wrap:anywhere;font:13px/1.4 '
                    f'ui-monospace,monospace">{html.escape(p)}</pre></li>' for p in problems)
    return ('<div id="crebis-build-error" role="alert" style="position:static;margin:0;padding:0.75rem 1rem;'
            'background:#7a1010;color:#fff;font:15px/1.4 system-ui,sans-serif">'
            f"<strong>crebis build: {len(problems)} problem(s)</strong><ul style=\"margin:0.5rem 0 0;"
            f"padding-left:1.25rem\">{items}</ul></div>")


def inject(page: bytes, state: BuildState, output: str = "", seen: str | None = None) -> bytes:
    """A page as the preview serves it: with the reload script (for its `output`, whose bytes were `page`
    unless `seen` says otherwise) and the build's problems if any."""
    text = page.decode("utf-8", errors="replace")
    with state._changed:
        version, problems = state.version, list(state.problems)
    if problems:
        box = _problem_box(problems)
        text = text.replace("<body>", "<body>" + box, 1) if "<body>" in text else box + text
    script = _reload_script(version, output, digest(page) if seen is None else seen,
                            digest("\n".join(problems).encode()))
    text = text.replace("</body>", script + "</body>", 1) if "</body>" in text else text + script
    return text.encode("utf-8")


def _file_digest(path: Path) -> str:
    try:
        return digest(path.read_bytes())
    except OSError:
        return ""


def create_app(project_root: Path, state: BuildState, site_dir: Path | None = None) -> Starlette:
    """The preview app: the preview build's site under base_url's path, and the reload endpoint."""
    project = Project.open(project_root)
    site = (site_dir or preview_dir(project) / "outputs" / "site").resolve()
    outputs = site.parent
    prefix = urlsplit(project.config.base_url).path or "/"
    first_lang = project.config.languages[0]

    async def wait(request: Request) -> Response:
        query = request.query_params
        since = int(query.get("since", "0") or 0)
        output = query.get("out", "")
        target = (outputs / output).resolve()
        if not output or outputs not in target.parents:
            version = await anyio.to_thread.run_sync(state.wait, since, WAIT_SECONDS)
            reload = version != since
        else:
            version, reload = await anyio.to_thread.run_sync(
                state.wait_for_page, since, output, query.get("h", ""), query.get("p", ""), WAIT_SECONDS,
                lambda: _file_digest(target))
        return JSONResponse({"version": version, "reload": reload, "problems": state.problems,
                             "seconds": round(state.seconds, 3)}, headers={"Cache-Control": "no-store"})

    def html_page(path: Path, output: Path, status: int = 200) -> Response:
        data = path.read_bytes()
        seen = None if path == output else _file_digest(output)
        return HTMLResponse(inject(data, state, output.relative_to(outputs).as_posix(), seen), status_code=status,
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
                return html_page(target, target)
            return FileResponse(target, headers={"Cache-Control": "no-store"})
        # Not built (yet): the 404 page, which reloads when the page it stands for is written.
        wanted = target / "index.html" if path.endswith("/") else target
        lang = relative.split("/", 1)[0]
        not_found = site / lang / "404.html" if (site / lang / "404.html").is_file() else site / "404.html"
        if not_found.is_file():
            return html_page(not_found, wanted, 404)
        if state.problems or not (site / first_lang).exists():
            return HTMLResponse(inject(b"<!DOCTYPE html><html lang=\"en\"><head><title>crebis preview</title>"
                                       b"</head><body><p>Nothing built yet.</p></body></html>", state,
                                       wanted.relative_to(outputs).as_posix(), ""), 404)
        return Response("Not found", status_code=404)

    return Starlette(routes=[Route(EVENTS, wait), Route("/{path:path}", page)])


def serve(project_root: Path, host: str = "127.0.0.1", port: int = 8000,
          echo: Callable[[str], None] = print, sock: socket.socket | None = None) -> None:
    """Build, serve and watch until interrupted (Ctrl-C); on `sock` if given, a socket already listening on
    HOST:PORT (`crebis serve` takes the port before the build, so a port in use stops it at once)."""
    import uvicorn

    root = Path(project_root).resolve()
    state = BuildState()
    session = PreviewSession(root, state, echo)
    echo("Building the preview (drafts included): the site first…")
    changes: queue.Queue[set[Path]] = queue.Queue()
    stop = threading.Event()
    # Watching starts before the first build, so that nothing saved meanwhile is missed.
    watcher = threading.Thread(target=watch, args=(root, changes, session.stop, stop), daemon=True)
    watcher.start()
    first_done = threading.Event()

    def start_up() -> None:
        try:
            session.rebuild(None, session.stop, on_first=first_done.set)
        finally:
            first_done.set()
        run_builds(session, changes, stop)

    builder = threading.Thread(target=start_up, daemon=True)
    builder.start()
    first_done.wait()
    app = create_app(root, state)
    prefix = urlsplit(Project.open(root).config.base_url).path or "/"
    echo(f"Serving the preview at http://{host}:{port}{prefix} (Ctrl-C stops)")
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off")
    try:
        uvicorn.Server(config).run(sockets=[sock] if sock is not None else None)
    finally:
        stop.set()
        session.stop.set()
        watcher.join(timeout=5)
        builder.join(timeout=5)
        session.renders.shutdown(wait=False, cancel_futures=True)
        session.planner.shutdown(wait=False, cancel_futures=True)
        if sock is not None:
            sock.close()

