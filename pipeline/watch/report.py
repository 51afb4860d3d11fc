"""Plain-text and JSON renderings of the watch for the terminal."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Iterator

from pipeline.content.model import Theme
from pipeline.watch.models import FeedHealth, Item, UpdateSummary
from pipeline.watch.sources import ImportReport


def format_summary(summary: UpdateSummary) -> str:
    """The totals of a fetch, then one line per failure, warning and moved feed.

    Feeds not due yet are only counted: from cron, listing each on every run is noise.
    """
    lines = [
        f"{len(summary.reports)} feeds: {summary.new} new items, {summary.updated} updated, "
        f"{summary.count('not-modified')} not modified, "
        f"{summary.failed} failed, "
        f"{summary.count('skipped')} skipped, {summary.count('not-due')} not due yet; "
        f"{summary.clusters} stories told by several feeds."
    ]
    for r in summary.reports:
        if r.status in ("failed", "gone", "skipped"):
            lines.append(f"  {r.status}: {r.url}: {r.error}")
        if r.warning:
            lines.append(f"  warning: {r.url}: {r.warning}")
        if r.moved_to:
            lines.append(f"  moved: {r.url} -> {r.moved_to} (feeds.opml updated)")
    return "\n".join(lines)


def fetch_verdict(summary: UpdateSummary, strict: bool = False) -> str | None:
    """Why a fetch should exit non-zero, or None: every feed tried failed; with `strict`, any did."""
    tried = len(summary.reports) - summary.count("not-due") - summary.count("skipped")
    if summary.failed and summary.failed == tried:
        return f"every feed fetched failed ({summary.failed}); see the lines above"
    if strict and summary.failed:
        return f"{summary.failed} of {tried} feed(s) failed (--strict)"
    return None


def format_health(rows: list[FeedHealth]) -> str:
    """One block per feed: title, URL, state and counts."""
    if not rows:
        return "No feeds yet: add one with `crebis watch feeds add URL`."
    blocks = []
    for h in rows:
        state = "disabled" if h.disabled else ("failing" if h.failures else "ok")
        if h.last_success is None and not h.failures and not h.disabled:
            state = "never fetched"
        meta = [h.language or "-", f"weight {h.weight:g}"]
        if h.themes:
            meta.append("themes " + ",".join(h.themes))
        lines = [
            f"{h.title or h.url} [{' · '.join(meta)}]",
            f"  {h.url}",
            f"  {state}; {h.item_count} items; last success {h.last_success or 'never'}; "
            f"{h.failures} consecutive failure(s)",
        ]
        if h.last_error:
            lines.append(f"  last error: {h.last_error}")
        if h.disabled:
            lines.append(f"  {h.disabled}; remove it with `crebis watch feeds remove {h.url}`")
        if h.retry_after:
            lines.append(f"  not fetched again before {h.retry_after}")
        if h.last_warning:
            lines.append(f"  warning: {h.last_warning}")
        lines += [f"  problem in feeds.opml: {p}" for p in h.problems]
        blocks.append("\n".join(lines))
    return "\n".join(blocks)


def health_as_json(rows: list[FeedHealth]) -> str:
    """Each feed's declaration and health as a JSON array."""
    return json.dumps([dataclasses.asdict(h) for h in rows], ensure_ascii=False, indent=2)


def format_import(report: ImportReport) -> str:
    """What an OPML import added and skipped."""
    lines = [f"{len(report.added)} feed(s) added, {len(report.duplicates)} already watched."]
    lines += [f"  already watched: {url}" for url in report.duplicates]
    lines += [f"  listed more than once in the file: {url} (imported once)" for url in report.repeated]
    lines += [f"  theme '{theme}' of {url} is not in the taxonomy (content/themes.yaml): left out"
              for url, theme in report.dropped_themes]
    return "\n".join(lines)


def format_items(
    items: Iterable[Item], feed_names: dict[str, str] | None = None, themes: dict[str, Theme] | None = None
) -> Iterator[str]:
    """Ranked items, one block each (streamed): score, date, language, title, then link, themes
    and sources; a hint when there are none. Sources show the feed's name from `feed_names`
    and themes their label (in the item's language) from `themes`, where known."""
    feed_names, themes = feed_names or {}, themes or {}
    empty = True
    for item in items:
        empty = False
        feeds = ", ".join(feed_names.get(s.feed) or s.feed for s in item.sources)
        labels = ", ".join(themes[t].label(item.language or "en") if t in themes else t for t in item.themes)
        lines = [
            f"{item.score:7.3f}  {item.published[:10]}  [{item.language or '-'}] {item.title}",
            f"         {item.link or '(no link)'}",
            f"         themes: {labels or '-'} · sources: {feeds}",
        ]
        if item.cluster != item.id:
            lines.append(f"         same story as item {item.cluster}")
        yield "\n".join(lines)
    if empty:
        yield "No items: run `crebis watch fetch`, or widen the filters."
