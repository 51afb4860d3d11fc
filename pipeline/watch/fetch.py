"""Conditional GETs of feeds with httpx: limits, timeouts, redirects, size caps.

Every outcome is a `Fetched`; a failure is a value with its reason, never an
exception, so one broken feed never stops the others. Requests go straight to the
transport (httpx's connection pool behind the SSRF guard): redirects are followed
here, each target checked, so no malformed Location can escape as an exception.
"""

from __future__ import annotations

import asyncio
import logging
import time
import zlib
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin

import httpx

from pipeline import __version__
from pipeline.config import Config
from pipeline.watch.guard import (
    AddressPolicy,
    ForbiddenAddress,
    GuardedBackend,
    GuardedTransport,
    Resolver,
    parse_networks,
    system_resolver,
    url_problem,
)
from pipeline.watch.links import host_of, is_web_url
from pipeline.watch.models import Fetched

log = logging.getLogger(__name__)

ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9,"
    " application/xml;q=0.8, text/xml;q=0.8, */*;q=0.1"
)
ACCEPT_ENCODING = "gzip, deflate"  # the ones decoded here, with a cap on the output
PERMANENT = {301, 308}
REDIRECTS = {301, 302, 303, 307, 308}
MAX_RETRY_AFTER = timedelta(days=7)
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class FetchOptions:
    """How feeds are fetched: identity, limits and timeouts."""

    user_agent: str
    concurrency: int = 100
    per_host: int = 2
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    total_timeout: float = 60.0
    max_body: int = 10_000_000
    max_redirects: int = 5
    allow_private: tuple[str, ...] = ()  # networks the SSRF guard lets through

    @classmethod
    def from_config(cls, config: Config) -> FetchOptions:
        """The fetch options of a project's `[watch]` table."""
        watch = config.watch
        return cls(
            user_agent=user_agent(config.organisation.website, config.organisation.short_name),
            concurrency=watch.concurrency,
            per_host=watch.per_host,
            connect_timeout=watch.connect_timeout,
            read_timeout=watch.read_timeout,
            total_timeout=watch.total_timeout,
            max_body=int(watch.max_body_mb * 1_000_000),
            max_redirects=watch.max_redirects,
            allow_private=tuple(watch.allow_private),
        )


@dataclass(frozen=True)
class FetchRequest:
    """A feed to fetch, with the cache validators of its last successful fetch."""

    url: str
    etag: str | None = None
    last_modified: str | None = None


def user_agent(website: str, short_name: str = "") -> str:
    """An honest User-Agent: crebis, its version, and whom to contact."""
    who = f"innovation watch of {short_name}; " if short_name else ""
    return f"crebis/{__version__} ({who}+{website})"


class Limits:
    """At most `concurrency` fetches in all and `per_host` per host at any time."""

    def __init__(self, concurrency: int, per_host: int):
        self._all = asyncio.Semaphore(concurrency)
        self._per_host = per_host
        self._hosts: dict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(self._per_host)
        )

    @asynccontextmanager
    async def slot(self, url: str) -> AsyncIterator[None]:
        """Wait for a free slot for `url`'s host, then for a global one."""
        async with self._hosts[host_of(url)], self._all:
            yield


class Session:
    """What the fetches of one run share: the guarded connection pool, headers and timeouts."""

    def __init__(self, options: FetchOptions, resolver: Resolver = system_resolver):
        policy = AddressPolicy(parse_networks(options.allow_private))
        limits = httpx.Limits(max_connections=options.concurrency, max_keepalive_connections=options.concurrency)
        self.transport = GuardedTransport(GuardedBackend(policy, resolver), limits)
        self.headers = {"User-Agent": options.user_agent, "Accept": ACCEPT, "Accept-Encoding": ACCEPT_ENCODING}
        self.timeout = httpx.Timeout(
            connect=options.connect_timeout,
            read=options.read_timeout,
            write=options.read_timeout,
            pool=options.total_timeout,
        ).as_dict()

    async def get(self, url: str, headers: dict[str, str]) -> httpx.Response:
        """Send one GET; the response's body is not read yet (close it with `aclose`)."""
        request = httpx.Request("GET", url, headers={**self.headers, **headers}, extensions={"timeout": self.timeout})
        return await self.transport.handle_async_request(request)

    async def __aenter__(self) -> Session:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.transport.aclose()


def open_session(options: FetchOptions, resolver: Resolver = system_resolver) -> Session:
    """A session that follows no redirect by itself, identifies crebis and guards addresses."""
    return Session(options, resolver)


class _Refused(Exception):
    """A fetch that ends here, with a reason for the user."""

    def __init__(self, reason: str, http_status: int | None = None):
        super().__init__(reason)
        self.http_status = http_status


async def fetch_feed(
    session: Session,
    request: FetchRequest,
    options: FetchOptions,
    limits: Limits | None = None,
) -> Fetched:
    """GET one feed conditionally; every problem becomes a failed `Fetched` with its reason."""
    fetched_at = datetime.now(UTC)
    problem = url_problem(request.url)
    if problem:
        return Fetched(request.url, "failed", fetched_at, error=problem)
    limits = limits or Limits(1, 1)
    async with limits.slot(request.url):
        fetched_at = datetime.now(UTC)
        started = time.monotonic()
        try:
            async with asyncio.timeout(options.total_timeout):
                fetched = await _follow(session, request, options, fetched_at)
        except _Refused as exc:
            fetched = Fetched(request.url, "failed", fetched_at, error=str(exc),
                              http_status=exc.http_status)  # fmt: skip
        except TimeoutError:
            fetched = _failed(request, fetched_at,
                              f"download took longer than {options.total_timeout:g} s (total timeout)")  # fmt: skip
        except httpx.ConnectTimeout:
            fetched = _failed(request, fetched_at,
                              f"no connection within {options.connect_timeout:g} s (connect timeout)")  # fmt: skip
        except httpx.ReadTimeout:
            fetched = _failed(request, fetched_at,
                              f"server sent nothing for {options.read_timeout:g} s (read timeout)")  # fmt: skip
        except httpx.ConnectError as exc:
            fetched = _failed(request, fetched_at, f"could not connect: {exc or 'refused'}")
        except httpx.HTTPError as exc:
            fetched = _failed(request, fetched_at, f"HTTP error: {type(exc).__name__}: {exc}")
        except ForbiddenAddress as exc:
            fetched = _failed(request, fetched_at, str(exc))
        except zlib.error as exc:
            fetched = _failed(request, fetched_at, f"corrupt compressed body: {exc}")
        except Exception as exc:  # whatever else goes wrong with one feed stays that feed's error
            log.warning("fetching %s failed", request.url, exc_info=True)
            fetched = _failed(request, fetched_at, f"could not fetch: {type(exc).__name__}: {exc}")
    return replace(fetched, duration=time.monotonic() - started)


def _failed(request: FetchRequest, fetched_at: datetime, reason: str) -> Fetched:
    return Fetched(request.url, "failed", fetched_at, error=reason)


async def _follow(session: Session, request: FetchRequest, options: FetchOptions, fetched_at: datetime) -> Fetched:
    url, seen, moved_to, permanent = request.url, {request.url}, None, True
    headers = {}
    if request.etag:
        headers["If-None-Match"] = request.etag
    if request.last_modified:
        headers["If-Modified-Since"] = request.last_modified
    for _ in range(options.max_redirects + 1):
        response = await session.get(url, headers)
        try:
            status = response.status_code
            if status in REDIRECTS:
                target = _redirect_target(response, url, seen)
                permanent = permanent and status in PERMANENT
                if permanent:
                    moved_to = target
                seen.add(target)
                url = target
                continue
            common = {"final_url": url, "moved_to": moved_to, "http_status": status}
            if status == 304:
                if not headers:  # nothing was asked conditionally: there is nothing to keep
                    raise _Refused("HTTP 304 Not Modified to a request without cache validators; "
                                   "the server is misconfigured, nothing was received", status)  # fmt: skip
                return Fetched(request.url, "not-modified", fetched_at, **common)
            if status == 410:
                return Fetched(request.url, "gone", fetched_at,
                               error="the feed is gone (HTTP 410); it is disabled", **common)  # fmt: skip
            if status in (429, 503):
                retry = _retry_after(response.headers.get("retry-after"), fetched_at)
                when = f"; retry after {retry:%Y-%m-%d %H:%M} UTC" if retry else ""
                return Fetched(request.url, "failed", fetched_at, retry_after=retry,
                               error=f"HTTP {status} {response.reason_phrase}{when}", **common)  # fmt: skip
            if not 200 <= status < 300:
                raise _Refused(f"HTTP {status} {response.reason_phrase}", status)
            body = await _read_body(response, options.max_body)
            kept = {k: response.headers[k] for k in ("content-type", "content-language")
                    if k in response.headers}  # fmt: skip
            return Fetched(
                request.url, "ok", fetched_at, body=body, headers=kept,
                etag=response.headers.get("etag"),
                last_modified=response.headers.get("last-modified"), **common,
            )  # fmt: skip
        finally:
            await response.aclose()
    raise _Refused(f"more than {options.max_redirects} redirects; check the feed address")


def _redirect_target(response: httpx.Response, url: str, seen: set[str]) -> str:
    location = response.headers.get("location")
    if not location:
        raise _Refused(f"HTTP {response.status_code} redirect without a Location", response.status_code)
    location = location.strip()
    shown = location if len(location) <= 200 else location[:200] + "…"
    try:  # resolved as browsers do: "http:feed.xml" is relative to an http page
        target = urljoin(url, location)
    except ValueError as exc:
        raise _Refused(f"redirected to {shown!r}, which is not a valid address ({exc})", response.status_code) from None
    if not is_web_url(target):
        raise _Refused(f"redirected to {shown!r}, which is not http or https", response.status_code)
    problem = url_problem(target)
    if problem:
        raise _Refused(f"redirected to {shown!r}: {problem}", response.status_code)
    if target in seen:
        raise _Refused(f"redirect loop through {target}; check the feed address")
    return target


def _retry_after(value: str | None, now: datetime) -> datetime | None:
    """The moment a Retry-After header (seconds or HTTP date) names, at most a week away."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():  # seconds; capped before timedelta, which overflows past ~2.7e11 days
        return now + min(timedelta(seconds=min(int(value), MAX_RETRY_AFTER.total_seconds())), MAX_RETRY_AFTER)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
    return min(moment, now + MAX_RETRY_AFTER)


async def _read_body(response: httpx.Response, limit: int) -> bytes:
    """The decoded body, aborted as soon as it (or its compressed form) exceeds `limit` bytes."""
    too_large = _Refused(
        f"body larger than {limit / 1_000_000:g} MB, download stopped "
        "(raise watch.max_body_mb if this feed is really that big)",
        response.status_code,
    )
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    inflater = _Inflater(response.headers.get("content-encoding", ""))
    parts, size, raw_size = [], 0, 0
    async for chunk in response.aiter_raw(_CHUNK):
        raw_size += len(chunk)
        if raw_size > limit:
            raise too_large
        for part in inflater.feed(chunk, limit - size):
            size += len(part)
            if size > limit:
                raise too_large
            parts.append(part)
    if not inflater.complete:
        raise _Refused(f"the {inflater.coding}-compressed body was cut short; the download is incomplete",
                       response.status_code)  # fmt: skip
    return b"".join(parts)


class _Inflater:
    """Content-Encoding decoding whose output is produced at most `room + 1` bytes at a time."""

    def __init__(self, encoding: str):
        codings = [c.strip().lower() for c in encoding.split(",") if c.strip()]
        codings = [c for c in codings if c != "identity"]
        if len(codings) > 1 or (codings and codings[0] not in ("gzip", "x-gzip", "deflate")):
            raise _Refused(f"unsupported Content-Encoding {encoding!r}")
        self.coding = codings[0] if codings else None
        if self.coding in ("gzip", "x-gzip"):
            self.decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif self.coding == "deflate":
            self.decoder = zlib.decompressobj()
        self._first = True
        self._started = False  # whether any compressed byte came

    @property
    def complete(self) -> bool:
        """Whether the compressed stream reached its end (always, for an uncompressed body)."""
        return self.coding is None or not self._started or self.decoder.eof

    def feed(self, chunk: bytes, room: int) -> list[bytes]:
        """Decode `chunk`; stop once more than `room` bytes came out."""
        if self.coding is None:
            return [chunk]
        self._started = self._started or bool(chunk)
        if self._first and self.coding == "deflate":
            self._first = False
            if chunk[:1] and (chunk[0] & 0x0F) != 8:  # raw deflate, no zlib header
                self.decoder = zlib.decompressobj(-zlib.MAX_WBITS)
        out = []
        data = chunk
        while data and room >= 0:
            part = self.decoder.decompress(data, room + 1)
            out.append(part)
            room -= len(part)
            data = self.decoder.unconsumed_tail
        return out


async def fetch_feeds(
    requests: list[FetchRequest], options: FetchOptions, resolver: Resolver = system_resolver
) -> list[Fetched]:
    """Fetch every feed concurrently within the limits; results in the order of `requests`."""
    limits = Limits(options.concurrency, options.per_host)
    async with open_session(options, resolver) as session:
        return await asyncio.gather(*(fetch_feed(session, r, options, limits) for r in requests))
