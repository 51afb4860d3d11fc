"""Watch fixtures: a real HTTP server on 127.0.0.1 serving feeds, and a small crebis project."""

from __future__ import annotations

import shutil
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pipeline.project import Project
from pipeline.watch.models import Feed
from pipeline.watch.opml import add_outlines

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
HANG_LIMIT = 30.0  # a "never answers" request is released at the latest after this

WATCH_CONFIG = """\
languages = ["fr", "nl", "en"]

[organisation]
short_name = "TEST"
website = "https://crebis.example.org/"
logo = "logo.svg"

[watch]
connect_timeout = 1.0
read_timeout = 1.0
total_timeout = 3.0
max_body_mb = 1.5
parse_workers = 1
allow_private = ["127.0.0.1/32"]
min_interval_minutes = 0
"""


@dataclass
class Route:
    """What the server answers on one path."""

    body: bytes = b""
    status: int = 200
    content_type: str = "application/rss+xml; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    hang: bool = False  # accept the request and never answer
    chunked: bool = False  # no Content-Length: the body streams until the connection closes


class FeedServer:
    """A threaded HTTP/1.1 server on a loopback address that counts requests per path."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, Route] = {}
        self.hits: Counter[str] = Counter()
        self.statuses: list[tuple[str, int]] = []
        self.request_headers: list[dict[str, str]] = []
        self.released = threading.Event()
        self._lock = threading.Lock()
        self.httpd = ThreadingHTTPServer((host, 0), _handler(self))
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    def add(self, path: str, body: bytes | str = b"", **kwargs: object) -> str:
        """Serve `body` at `path`; return its URL."""
        if isinstance(body, str):
            body = body.encode("utf-8")
        self.routes[path] = Route(body=body, **kwargs)
        return self.url(path)

    def add_fixture(self, name: str, **kwargs: object) -> str:
        """Serve the fixture file `name` at /`name`."""
        return self.add("/" + name, (FIXTURES / name).read_bytes(), **kwargs)

    def record(self, path: str, status: int, headers: dict[str, str]) -> None:
        with self._lock:
            self.hits[path] += 1
            self.statuses.append((path, status))
            self.request_headers.append(headers)

    def count(self, status: int) -> int:
        return sum(1 for _, s in self.statuses if s == status)


def _handler(server: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            route = server.routes.get(path)
            headers = {k.lower(): v for k, v in self.headers.items()}
            if route is None:
                server.record(path, 404, headers)
                self._send(404, b"not found", {"Content-Type": "text/plain"})
                return
            if route.hang:
                server.record(path, 0, headers)
                server.released.wait(HANG_LIMIT)
                self.close_connection = True
                return
            if _not_modified(route, headers):
                server.record(path, 304, headers)
                self._send(304, b"", _validators(route))
                return
            server.record(path, route.status, headers)
            extra = {"Content-Type": route.content_type, **_validators(route), **route.headers}
            if route.chunked:
                self.send_response(route.status)
                for k, v in {**extra, "Connection": "close"}.items():
                    self.send_header(k, v)
                self.end_headers()
                self.close_connection = True
                try:
                    for start in range(0, len(route.body), 65536):
                        self.wfile.write(route.body[start : start + 65536])
                except (BrokenPipeError, ConnectionResetError):
                    pass
                return
            self._send(route.status, route.body, extra)

        def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            if status != 304:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

    return Handler


def _validators(route: Route) -> dict[str, str]:
    out = {}
    if route.etag:
        out["ETag"] = route.etag
    if route.last_modified:
        out["Last-Modified"] = route.last_modified
    return out


def _not_modified(route: Route, headers: dict[str, str]) -> bool:
    if route.etag and headers.get("if-none-match") == route.etag:
        return True
    return bool(route.last_modified and headers.get("if-modified-since") == route.last_modified)


def _serving(host: str) -> Iterator[FeedServer]:
    feed_server = FeedServer(host)
    feed_server.thread.start()
    try:
        yield feed_server
    finally:
        feed_server.released.set()
        feed_server.httpd.shutdown()
        feed_server.httpd.server_close()
        time.sleep(0)


@pytest.fixture
def server() -> Iterator[FeedServer]:
    """A feed server on 127.0.0.1, stopped (and its hanging requests released) after the test."""
    yield from _serving("127.0.0.1")


@pytest.fixture
def inside_server() -> Iterator[FeedServer]:
    """A server on 127.0.0.2, which the tests' allow-list (127.0.0.1/32) leaves forbidden."""
    yield from _serving("127.0.0.2")


def make_project(root: Path, config: str = WATCH_CONFIG) -> Project:
    """A minimal crebis project at `root` with the repository's theme taxonomy and `config`."""
    (root / "content").mkdir(parents=True, exist_ok=True)
    (root / "crebis.toml").write_text(config, encoding="utf-8")
    (root / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>', encoding="utf-8")
    shutil.copy(REPO / "content" / "themes.yaml", root / "content" / "themes.yaml")
    return Project.open(root)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """A minimal crebis project with short watch timeouts that may fetch from 127.0.0.1 only."""
    return make_project(tmp_path / "project")


@pytest.fixture
def watch(project: Project):
    """A function adding feeds (or bare URLs) to the project's feeds.opml."""

    def add(*feeds: Feed | str) -> None:
        items = [f if isinstance(f, Feed) else Feed(url=f) for f in feeds]
        add_outlines(project.path(project.config.watch.feeds), items)

    return add
