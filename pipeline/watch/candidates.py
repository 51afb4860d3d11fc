"""A week's candidates for the digest: its stories, ranked by score, each under its main theme.

A story is one cluster of the store (the same news told by several outlets): it is
one candidate, led by its best-scored item, listing every source. Scores are taken
at the end of the week (or now, for the week in progress), so that reviewing the
same week twice ranks it the same way.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from urllib.parse import urlsplit

from pipeline.project import Project
from pipeline.watch.listing import rank_items
from pipeline.watch.models import Item
from pipeline.watch.opml import read_opml
from pipeline.watch.sanitize import html_to_text
from pipeline.watch.sources import feeds_path
from pipeline.watch.store import STORE_FILE, open_store
from pipeline.watch.titles import fallback_title
from pipeline.watch.weeks import Week, item_moment, project_timezone, week_items

UNTHEMED = "unthemed"
"""The group of items that match no theme of the taxonomy."""


@dataclass(frozen=True)
class Member:
    """Another item of the same story: its own outlet's version."""

    id: str
    title: str
    link: str | None
    source: str
    language: str


@dataclass(frozen=True)
class Candidate:
    """One story of the week, as the worksheet, the curation page and the digest show it."""

    id: str
    title: str
    link: str | None
    sources: tuple[str, ...]
    """Names of the outlets that published it (feed titles, else their host names), lead first."""
    language: str
    themes: tuple[str, ...]
    date: date
    """The day it was published (else first seen) on the centre's clocks."""
    score: float
    summary: str
    also: tuple[Member, ...] = ()

    @property
    def theme(self) -> str:
        """The group it is listed under: its main theme."""
        return self.themes[0] if self.themes else UNTHEMED

    @property
    def ids(self) -> tuple[str, ...]:
        return (self.id, *(m.id for m in self.also))


def source_name(url: str, names: dict[str, str]) -> str:
    """What readers call a feed: its title in feeds.opml, else its site's host name."""
    name = names.get(url)
    if name:
        return name
    host = urlsplit(url).hostname or url
    return host.removeprefix("www.")


def feed_names(project: Project) -> tuple[dict[str, str], dict[str, float]]:
    """Each watched feed's title and weight by URL (empty if there is no feeds.opml)."""
    path = feeds_path(project)
    feeds = read_opml(path) if path.exists() else ()
    return {f.url: f.title for f in feeds if f.title}, {f.url: f.weight for f in feeds}


def week_candidates(project: Project, week: Week, now: datetime | None = None) -> list[Candidate]:
    """The week's stories from the watch store, best first (none if nothing was ever fetched)."""
    if not (project.state_dir / STORE_FILE).exists():
        return []
    tz = project_timezone(project)
    with open_store(project.state_dir) as store:
        stored = week_items(store, week, tz)
    names, weights = feed_names(project)
    moment = min(now or datetime.now(UTC), week.end(tz))
    ranked = rank_items(stored, weights, moment, project.config.watch.recency_days)
    return stories(ranked, names, tz)


def stories(ranked: list[Item], names: dict[str, str], tz: tzinfo) -> list[Candidate]:
    """Group ranked items by cluster: one candidate per story, led by its best item, in rank order."""
    by_cluster: dict[str, list[Item]] = defaultdict(list)
    for item in ranked:
        by_cluster[item.cluster].append(item)
    out = []
    seen = set()
    for item in ranked:
        if item.cluster in seen:
            continue
        seen.add(item.cluster)
        lead, *others = by_cluster[item.cluster]
        sources = list(dict.fromkeys(source_name(s.feed, names) for s in lead.sources))
        also = []
        for other in others:
            other_sources = [source_name(s.feed, names) for s in other.sources]
            sources.extend(s for s in other_sources if s not in sources)
            also.append(Member(other.id, _title(other), other.link, other_sources[0] if other_sources else "",
                               other.language))
        out.append(Candidate(
            id=lead.id, title=_title(lead), link=lead.link, sources=tuple(sources), language=lead.language,
            themes=lead.themes, date=item_moment(lead).astimezone(tz).date(), score=lead.score,
            summary=lead.summary, also=tuple(also),
        ))
    return out


def _title(item: Item) -> str:
    """The item's title; one made from its summary or link for an item stored without (before crebis made
    one when parsing)."""
    return item.title or fallback_title(html_to_text(item.summary), item.link)
