"""The feed registry of a project: feeds.opml checked against the taxonomy, plus each feed's health."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from pipeline.errors import FeedError
from pipeline.project import Project
from pipeline.watch.guard import url_problem
from pipeline.watch.models import Feed, FeedHealth
from pipeline.watch.opml import (
    add_outlines,
    document_text,
    feed_folders,
    read_opml,
    remove_outline,
    repeated_urls,
    update_outline,
)
from pipeline.watch.store import open_store
from pipeline.watch.themes import Taxonomy, load_taxonomy

_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$")


@dataclass(frozen=True)
class ImportReport:
    """What `import_feeds` did: feeds added, URLs skipped because already watched, theme ids dropped."""

    added: tuple[Feed, ...]
    duplicates: tuple[str, ...]
    dropped_themes: tuple[tuple[str, str], ...] = ()
    """(feed URL, theme id) pairs not in the project's taxonomy, left out of the import."""
    repeated: tuple[str, ...] = ()
    """URLs listed more than once in the imported file (imported once)."""


def feeds_path(project: Project) -> Path:
    """Where the project's feed list lives."""
    return project.path(project.config.watch.feeds)


def load_taxonomy_of(project: Project) -> Taxonomy:
    """The project's theme taxonomy."""
    return load_taxonomy(project.path(project.config.watch.themes))


def check_feeds(feeds: tuple[Feed, ...], taxonomy: Taxonomy, where: Path | str) -> None:
    """Raise one `FeedError` listing every feed with a bad URL, language or theme."""
    problems = []
    for feed in feeds:
        problems.extend(f"feed {feed.url}: {p}" for p in feed_problems(feed, taxonomy))
    if problems:
        raise FeedError(f"{where}: {len(problems)} problem(s):\n" + "\n".join(f"  - {p}" for p in problems))


def feed_problems(feed: Feed, taxonomy: Taxonomy) -> list[str]:
    """What is wrong with one feed's declaration, each with what to do."""
    problems = []
    url = url_problem(feed.url)
    if url:
        problems.append(url)
    if feed.language and not _LANGUAGE.match(feed.language):
        problems.append(f"language {feed.language!r} is not a language code such as fr, nl or en")
    if feed.weight <= 0:
        problems.append(f"weight must be above 0, got {feed.weight:g}")
    unknown = [t for t in feed.themes if t not in taxonomy.ids]
    if unknown:
        problems.append(f"unknown theme(s) {', '.join(unknown)}; known: {', '.join(taxonomy.ids)}")
    return problems


def load_feeds(project: Project, taxonomy: Taxonomy | None = None) -> tuple[Feed, ...]:
    """The project's watched feeds, checked."""
    path = feeds_path(project)
    feeds = read_opml(path)
    check_feeds(feeds, taxonomy or load_taxonomy_of(project), project.relative(path))
    return feeds


def _known_feeds(project: Project) -> tuple[Feed, ...]:
    path = feeds_path(project)
    return read_opml(path) if path.exists() else ()


def add_feed(project: Project, feed: Feed) -> Feed:
    """Add `feed` to feeds.opml; a feed already there is an error naming it."""
    feed = Feed(**{**feed.__dict__, "language": feed.language.lower()})
    problems = feed_problems(feed, load_taxonomy_of(project))
    if problems:
        raise FeedError(f"feed {feed.url}: " + "; ".join(problems))
    if any(known.url == feed.url for known in _known_feeds(project)):
        raise FeedError(
            f"feed {feed.url} is already in {project.relative(feeds_path(project))}; "
            "remove it first to change its settings"
        )
    add_outlines(feeds_path(project), [feed])
    with open_store(project.state_dir) as store:
        store.enable_feed(feed.url)
    return feed


def set_feed(
    project: Project,
    url: str,
    title: str | None = None,
    language: str | None = None,
    themes: tuple[str, ...] | None = None,
    weight: float | None = None,
) -> Feed:
    """Change a watched feed's title, language, themes or weight in place (None keeps one)."""
    path = feeds_path(project)
    url = url.strip()
    current = next((f for f in _known_feeds(project) if f.url == url), None)
    if current is None:
        raise FeedError(
            f"feed {url} is not in {project.relative(path)}; `crebis watch feeds list` shows the watched feeds"
        )
    changes = {"title": title, "language": language.lower() if language is not None else None,
               "themes": themes, "weight": weight}  # fmt: skip
    feed = replace(current, **{k: v for k, v in changes.items() if v is not None})
    problems = feed_problems(feed, load_taxonomy_of(project))
    if problems:
        raise FeedError(f"feed {url}: " + "; ".join(problems))
    update_outline(path, feed)
    return feed


def remove_feed(project: Project, url: str) -> None:
    """Remove the feed `url` from feeds.opml; its stored items stay."""
    path = feeds_path(project)
    if not remove_outline(path, url.strip()):
        raise FeedError(
            f"feed {url} is not in {project.relative(path)}; "
            "`crebis watch feeds list` shows the watched feeds"
        )


def import_feeds(project: Project, source: Path) -> ImportReport:
    """Merge the feeds of another OPML file into feeds.opml; already watched URLs are reported."""
    incoming = read_opml(source)
    repeated = repeated_urls(source)
    taxonomy = load_taxonomy_of(project)
    # Themes unknown here are dropped (and reported) rather than refusing the whole file.
    dropped = tuple((f.url, t) for f in incoming for t in f.themes if t not in taxonomy.ids)
    incoming = tuple(
        Feed(**{**f.__dict__, "themes": tuple(t for t in f.themes if t in taxonomy.ids)})
        for f in incoming
    )
    check_feeds(incoming, taxonomy, source)
    known = {f.url for f in _known_feeds(project)}
    added, duplicates = [], []
    for feed in incoming:
        if feed.url in known:
            duplicates.append(feed.url)
            continue
        known.add(feed.url)
        added.append(feed)
    if added:  # into the folders they had in the imported file
        add_outlines(feeds_path(project), added, folders=feed_folders(source))
    return ImportReport(added=tuple(added), duplicates=tuple(duplicates), dropped_themes=dropped, repeated=repeated)


def export_feeds(project: Project) -> str:
    """The watched feeds as an OPML 2.0 document, folders kept as in feeds.opml."""
    path = feeds_path(project)
    read_opml(path)  # the same checks as every reader of the file
    return document_text(path, f"{project.config.organisation.short_name} — watched feeds")


def feed_health(project: Project) -> list[FeedHealth]:
    """Each watched feed with its health: last success, last error, failures, item count."""
    feeds = read_opml(feeds_path(project))
    taxonomy = load_taxonomy_of(project)
    with open_store(project.state_dir) as store:
        states = store.feed_states()
    rows = []
    for feed in feeds:
        state = states.get(feed.url)
        rows.append(
            FeedHealth(
                url=feed.url,
                title=feed.title,
                language=feed.language,
                themes=feed.themes,
                weight=feed.weight,
                last_success=state.last_success if state else None,
                last_error=state.last_error if state else None,
                last_warning=state.last_warning if state else None,
                failures=state.failures if state else 0,
                disabled=state.disabled if state else None,
                retry_after=state.retry_after if state else None,
                item_count=state.item_count if state else 0,
                problems=tuple(feed_problems(feed, taxonomy)),
            )
        )
    return rows
