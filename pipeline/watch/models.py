"""The frozen records passed between the stages of the watch."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal


@dataclass(frozen=True)
class Feed:
    """One watched feed as declared in feeds.opml."""

    url: str
    title: str = ""
    html_url: str = ""
    language: str = ""
    themes: tuple[str, ...] = ()
    weight: float = 1.0


@dataclass(frozen=True)
class FeedState:
    """What the store remembers about a feed between fetches: cache headers and health."""

    id: int
    url: str
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    last_attempt: str | None = None
    last_success: str | None = None
    last_error: str | None = None
    last_warning: str | None = None
    failures: int = 0
    disabled: str | None = None
    retry_after: str | None = None
    refresh: float | None = None  # seconds between updates the feed declares
    item_count: int = 0


@dataclass(frozen=True)
class FeedHealth:
    """A feed of the registry with its health, as `crebis watch feeds list` shows it."""

    url: str
    title: str
    language: str
    themes: tuple[str, ...]
    weight: float
    last_success: str | None
    last_error: str | None
    last_warning: str | None
    failures: int
    disabled: str | None
    retry_after: str | None
    item_count: int
    problems: tuple[str, ...] = ()  # what is wrong with its declaration (an unknown theme…)


FetchStatus = Literal["ok", "not-modified", "failed", "gone", "skipped", "not-due"]


@dataclass(frozen=True)
class Fetched:
    """The outcome of one conditional GET: a body to parse, nothing new, or a reason it failed."""

    url: str
    status: FetchStatus
    fetched_at: datetime
    final_url: str = ""
    moved_to: str | None = None
    http_status: int | None = None
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None
    retry_after: datetime | None = None
    duration: float = 0.0


@dataclass(frozen=True)
class Entry:
    """One normalised feed entry: text title, sanitised HTML summary, canonical link.

    `published` is the entry's own date (published, else updated), None when it has
    none; the store turns it into the item's date (else first seen, never after the fetch).
    """

    key: str
    link: str | None
    title: str
    summary: str
    published: datetime | None
    author: str
    language: str


@dataclass(frozen=True)
class ParsedFeed:
    """The usable entries of a feed body, with a warning when the feed was malformed.

    `refresh` is how often the feed says it changes (RSS `<ttl>`, `sy:updatePeriod`), in
    seconds, None when it does not say.
    """

    title: str
    language: str
    entries: tuple[Entry, ...]
    warning: str | None = None
    refresh: float | None = None


@dataclass(frozen=True)
class ParseLimits:
    """How much of one feed body is kept, and how much work its HTML may cost."""

    max_entries: int = 500
    max_title: int = 300
    max_summary: int = 20_000
    max_author: int = 200
    max_link: int = 2_000
    # Seconds of HTML sanitising per feed; past it, the remaining summaries are kept as text.
    html_budget: float = 5.0


@dataclass(frozen=True)
class ThemeMatch:
    """The themes found in an entry and its keyword relevance (hits weighted by place)."""

    themes: tuple[str, ...] = ()
    relevance: float = 0.0


@dataclass(frozen=True)
class Source:
    """A feed that published an item."""

    feed: str
    entry_key: str
    first_seen: str


@dataclass(frozen=True)
class StoredItem:
    """A stored watch item with its sources and cluster, before scoring."""

    id: str
    link: str | None
    title: str
    summary: str
    published: str
    first_seen: str
    updated: str
    author: str
    language: str
    themes: tuple[str, ...]
    relevance: float
    cluster: str
    sources: tuple[Source, ...]


@dataclass(frozen=True)
class Item(StoredItem):
    """A stored item with its current score (recency moves it, so it is computed when listing)."""

    score: float


@dataclass(frozen=True)
class FeedReport:
    """What one feed's fetch came to, for the progress bar and the summary."""

    url: str
    status: FetchStatus
    new: int = 0
    updated: int = 0
    error: str | None = None
    warning: str | None = None
    moved_to: str | None = None


@dataclass(frozen=True)
class UpdateSummary:
    """The totals of one `crebis watch fetch`."""

    reports: tuple[FeedReport, ...]
    clusters: int = 0

    def count(self, status: FetchStatus) -> int:
        """How many feeds ended with `status`."""
        return sum(1 for r in self.reports if r.status == status)

    @property
    def failed(self) -> int:
        """How many feeds failed (an error, or gone)."""
        return self.count("failed") + self.count("gone")

    @property
    def new(self) -> int:
        return sum(r.new for r in self.reports)

    @property
    def updated(self) -> int:
        return sum(r.updated for r in self.reports)
