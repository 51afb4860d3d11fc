"""What every crebis web app shares: templates, CSRF protection, rate limits, security headers, serving.

An app is a Starlette application made with `make_app`; `serve` runs it with uvicorn,
meant to sit behind a reverse proxy (it trusts X-Forwarded-For from 127.0.0.1 only).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jinja2
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

TEMPLATES = Path(__file__).parent / "templates"
CSRF_COOKIE = "crebis_csrf"
CSRF_FIELD = "csrf"


def environment(*folders: Path) -> jinja2.Environment:
    """A jinja2 environment over `folders` then the shared templates, autoescaping HTML."""
    return jinja2.Environment(loader=jinja2.FileSystemLoader([*map(str, folders), str(TEMPLATES)]),
                              autoescape=jinja2.select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)


class Csrf:
    """Double-submit CSRF protection: a random cookie, and a form field that is its HMAC under the app's key."""

    def __init__(self, key: bytes):
        self.key = key

    def _mac(self, value: str) -> str:
        return hmac.new(self.key, f"csrf\n{value}".encode(), hashlib.sha256).hexdigest()

    def issue(self, request: Request) -> tuple[str, str | None]:
        """(the form field's value, a new cookie value to set or None if the request already has one)."""
        cookie = request.cookies.get(CSRF_COOKIE)
        fresh = None
        if not cookie or len(cookie) != 32:
            cookie = fresh = secrets.token_hex(16)
        return self._mac(cookie), fresh

    def valid(self, request: Request, field: str | None) -> bool:
        cookie = request.cookies.get(CSRF_COOKIE)
        return bool(cookie and field) and hmac.compare_digest(self._mac(cookie), str(field))

    @staticmethod
    def set_cookie(response: Response, value: str | None, secure: bool) -> None:
        if value:
            response.set_cookie(CSRF_COOKIE, value, httponly=True, samesite="lax", secure=secure, max_age=86400)


class SecurityHeaders:
    """Adds the headers every page needs: no third-party anything, framing only by the project's own site."""

    def __init__(self, app: ASGIApp, frame_ancestors: str = "'self'"):
        self.app = app
        self.headers = [
            (b"content-security-policy", (f"default-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; "
                                          f"base-uri 'none'; frame-ancestors {frame_ancestors}").encode()),
            (b"referrer-policy", b"no-referrer"),
            (b"x-content-type-options", b"nosniff"),
            (b"cache-control", b"no-store"),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], *self.headers]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def make_app(routes: Sequence[Any], *, frame_ancestors: str = "'self'", state: dict[str, Any] | None = None
             ) -> Starlette:
    """A Starlette app with the shared middleware; `state` lands on `app.state`."""
    app = Starlette(routes=list(routes), middleware=[Middleware(SecurityHeaders, frame_ancestors=frame_ancestors)])
    for key, value in (state or {}).items():
        setattr(app.state, key, value)
    return app


def page(env: jinja2.Environment, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(env.get_template(template).render(**context), status_code=status)


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def serve(app: ASGIApp, host: str, port: int) -> None:
    """Run `app` with uvicorn until interrupted (X-Forwarded-For trusted from 127.0.0.1, the usual proxy)."""
    import uvicorn
    uvicorn.run(app, host=host, port=port, proxy_headers=True, forwarded_allow_ips="127.0.0.1", log_level="info")
