"""Stored items ranked by score and filtered by date, theme and language."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime

from pipeline.errors import FeedError
from pipeline.project import Project
from pipeline.watch.models import Item, StoredItem
from pipeline.watch.opml import read_opml
from pipeline.watch.score import score_item
from pipeline.watch.sources import feeds_path, load_taxonomy_of
from pipeline.watch.store import iso, open_store


def rank_items(
    stored: list[StoredItem], weights: dict[str, float], now: datetime, half_life_days: float
) -> list[Item]:
    """Score each item (its best source's weight) and sort, best first, newest on ties."""
    items = []
    for s in stored:
        weight = max((weights.get(src.feed, 1.0) for src in s.sources), default=1.0)
        published = datetime.fromisoformat(s.published)
        score = score_item(s.relevance, weight, published, now, half_life_days)
        items.append(Item(**vars(s), score=score))
    return sorted(items, key=lambda i: (-i.score, _desc(i.published), i.id))


def _desc(text: str) -> tuple[int, ...]:
    return tuple(-ord(c) for c in text)


def list_items(
    project: Project,
    since: datetime | None = None,
    theme: str | None = None,
    language: str | None = None,
    limit: int | None = None,
    now: datetime | None = None,
) -> list[Item]:
    """The project's watch items, ranked, from `since` on, of one theme and language if given."""
    now = now or datetime.now(UTC)
    if theme is not None:
        taxonomy = load_taxonomy_of(project)
        if theme not in taxonomy.ids:
            raise FeedError(f"unknown theme {theme!r}; known themes: {', '.join(taxonomy.ids)}")
    path = feeds_path(project)
    weights = {f.url: f.weight for f in read_opml(path)} if path.exists() else {}
    since_iso = iso(since if since.tzinfo else since.replace(tzinfo=UTC)) if since else None
    with open_store(project.state_dir) as store:
        stored = store.items(since=since_iso, language=language.lower() if language else None)
    if theme is not None:
        stored = [s for s in stored if theme in s.themes]
    ranked = rank_items(stored, weights, now, project.config.watch.recency_days)
    return ranked[:limit] if limit else ranked


def items_as_json(items: list[Item]) -> str:
    """Every stored field of each item, as a JSON array."""
    return json.dumps([dataclasses.asdict(i) for i in items], ensure_ascii=False, indent=2)
