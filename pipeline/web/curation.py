"""The curation page: a week's worksheet in a browser, on 127.0.0.1 (`crebis watch curate`).

The page and the YAML are two views of one file: every keep, drop or note is saved
at once to content/watch/curation/<WEEK>.yaml (an atomic write through
`worksheet.decide`, which round-trips only the entry it changes). Each save names
the version of the file the page showed; if the file changed meanwhile (an editor,
`crebis watch review`), nothing is written and the page says so.

It listens on the loopback interface only, answers only requests addressed to it by
that name (no DNS rebinding), and takes changes only with the token of the page it
served (another site's page in the same browser cannot post to it).
"""

from __future__ import annotations

import re
import secrets
import socket
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from pipeline.content.load import load_themes
from pipeline.errors import ContentErrors, CrebisError
from pipeline.project import Project
from pipeline.render.locale import format_date
from pipeline.watch.candidates import UNTHEMED, week_candidates
from pipeline.watch.weeks import Week
from pipeline.watch.worksheet import StaleWorksheet, Worksheet, decide, read_worksheet, review, worksheet_path

HERE = Path(__file__).parent
HOST = "127.0.0.1"
_TAG = re.compile(r"<[^>]*>")
_ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE), autoescape=True, trim_blocks=True,
                          lstrip_blocks=True, undefined=jinja2.StrictUndefined)
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


class Curation:
    """The state of one curation session: the project, the week, the page's token."""

    def __init__(self, project: Project, week: Week, now: datetime | None = None):
        self.project, self.week, self.now = project, week, now
        self.path = worksheet_path(project, week)
        self.token = secrets.token_urlsafe(24)
        self.languages = project.config.languages
        self.themes = load_themes(project.path(project.config.watch.themes))

    def worksheet(self) -> Worksheet:
        if not self.path.exists():
            review(self.project, self.week, self.now)  # nothing to curate without a worksheet: write it first
        return read_worksheet(self.path, self.languages, shown=self.project.relative(self.path))

    def page(self) -> str:
        """The page, rendered from the worksheet as it is on disk now."""
        sheet = self.worksheet()
        summaries = {}
        others = {}
        for candidate in week_candidates(self.project, self.week, self.now):
            for item_id in candidate.ids:
                summaries[item_id] = " ".join(_TAG.sub(" ", candidate.summary).split())
            others[candidate.id] = candidate.also
        first = self.languages[0]
        groups: dict[str, list[dict[str, Any]]] = {}
        for entry in sheet.entries:
            groups.setdefault(entry.group, []).append({
                "entry": entry, "summary": summaries.get(entry.id, ""),
                "date": format_date(entry.date, "en", "medium") if entry.date else "",
            })
        theme_labels = {g: self._label(g) for g in groups}
        languages = sorted({e.language for e in sheet.entries if e.language})
        return _ENV.get_template("curation.html").render(
            week=self.week, span=f"{format_date(self.week.monday, 'en', 'd MMMM')} – "
                                 f"{format_date(self.week.sunday, 'en', 'd MMMM yyyy')}",
            sheet=sheet, groups=groups, theme_labels=theme_labels, item_languages=languages,
            languages=self.languages, first=first, token=self.token, file=self.project.relative(self.path),
        )

    def _label(self, group: str) -> str:
        theme = self.themes.get(group)
        if theme:
            return theme.label("en")  # the page's own language; the digest shows each edition's
        return "No theme" if group == UNTHEMED else group

    def decide(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Apply one change from the page; returns the entry's new state and the file's new version."""
        entry_id, version = payload.get("id"), payload.get("version")
        if not isinstance(entry_id, str) or not isinstance(version, str):
            raise ValueError("a change needs the entry's id and the version of the worksheet it was made on")
        kwargs: dict[str, Any] = {}
        if "keep" in payload:
            if payload["keep"] not in (True, False, None):
                raise ValueError("keep must be true, false or null")
            kwargs["keep"] = payload["keep"]
        if "note" in payload:
            lang, text = payload.get("lang"), payload["note"]
            if not isinstance(lang, str) or not isinstance(text, str):
                raise ValueError("a note needs its language and its text")
            kwargs["note"] = (lang, text)
        if not kwargs:
            raise ValueError("nothing to change")
        sheet = decide(self.path, self.languages, entry_id, version, **kwargs)
        entry = sheet.entry(entry_id)
        kept = sum(1 for e in sheet.entries if e.keep)
        dropped = sum(1 for e in sheet.entries if e.keep is False)
        return {"version": sheet.version, "keep": entry.keep if entry else None,
                "notes": entry.notes if entry else {},
                "counts": {"kept": kept, "dropped": dropped, "open": len(sheet.entries) - kept - dropped}}


def create_app(project: Project, week: Week, port_of: Callable[[], int] | None = None,
               now: datetime | None = None) -> Starlette:
    """The curation page's Starlette app for one week of a project."""
    curation = Curation(project, week, now)

    def allowed(request: Request) -> bool:
        # Only requests addressed to this server by its loopback name: another site resolving its own
        # name to 127.0.0.1 (DNS rebinding) gets nothing.
        host = request.headers.get("host", "")
        name = host.rsplit(":", 1)[0]
        return name in (HOST, "localhost") and (port_of is None or host.endswith(f":{port_of()}"))

    def respond(response: Response) -> Response:
        response.headers.update(HEADERS)
        return response

    async def page(request: Request) -> Response:
        if not allowed(request):
            return respond(PlainTextResponse("unknown host", status_code=421))
        try:
            return respond(HTMLResponse(curation.page()))
        except (ContentErrors, CrebisError) as exc:
            return respond(HTMLResponse(_ENV.get_template("curation-error.html").render(message=str(exc)),
                                        status_code=500))

    async def asset(request: Request) -> Response:
        if not allowed(request):
            return respond(PlainTextResponse("unknown host", status_code=421))
        name = request.path_params["name"]
        media = {"curation.js": "text/javascript", "curation.css": "text/css"}[name]
        return respond(Response((HERE / name).read_text(encoding="utf-8"), media_type=media))

    async def change(request: Request) -> Response:
        if not allowed(request) or request.headers.get("x-crebis-token") != curation.token:
            return respond(JSONResponse({"error": "this page is not the one the server gave out: reload it"},
                                        status_code=403))
        try:
            payload = await request.json()
            if not isinstance(payload, dict):
                raise ValueError("expected a JSON object")
            return respond(JSONResponse(curation.decide(payload)))
        except StaleWorksheet as exc:
            return respond(JSONResponse({"error": str(exc), "stale": True}, status_code=409))
        except (ValueError, CrebisError) as exc:
            return respond(JSONResponse({"error": str(exc)}, status_code=400))

    return Starlette(routes=[
        Route("/", page),
        Route("/assets/{name:str}", asset),
        Route("/decide", change, methods=["POST"]),
    ])


def bind(port: int = 0) -> socket.socket:
    """A listening socket on 127.0.0.1 (port 0: any free port)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
    except OSError as exc:
        sock.close()
        raise CrebisError(f"cannot listen on {HOST}:{port} ({exc.strerror}): choose another --port") from None
    return sock


def server(project: Project, week: Week, sock: socket.socket, now: datetime | None = None) -> uvicorn.Server:
    """A uvicorn server for the curation page on `sock` (run it with `.run(sockets=[sock])`)."""
    port = sock.getsockname()[1]
    app = create_app(project, week, lambda: port, now)
    return uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
