"""Stored items ranked by score and filtered by date, theme and language."""

from __future__ import annotations

import dataclasses
import heapq
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

from pipeline.errors import FeedError
from pipeline.project import Project
from pipeline.watch.models import Item, StoredItem
from pipeline.watch.opml import read_opml
from pipeline.watch.score import score_item
from pipeline.watch.sources import feeds_path, load_taxonomy_of
from pipeline.watch.store import Store, iso, open_store


def rank_items(
    stored: list[StoredItem], weights: dict[str, float], now: datetime, half_life_days: float
) -> list[Item]:
    """Score each item (its best source's weight) and sort, best first, newest on ties."""
    items = []
    for s in stored:
        score = _score(s.relevance, [src.feed for src in s.sources], s.published, weights, now, half_life_days)
        items.append(Item(**vars(s), score=score))
    return sorted(items, key=lambda i: _rank_key(i.score, i.published, i.id))


def _score(relevance: float, feeds: list[str], published: str, weights: dict[str, float], now: datetime,
           half_life_days: float) -> float:  # fmt: skip
    weight = max((weights.get(feed, 1.0) for feed in feeds), default=1.0)
    return score_item(relevance, weight, datetime.fromisoformat(published), now, half_life_days)


def _rank_key(score: float, published: str, item_id: str) -> tuple:
    return (-score, tuple(-ord(c) for c in published), item_id)


def list_items(
    project: Project,
    since: datetime | None = None,
    theme: str | None = None,
    language: str | None = None,
    limit: int | None = None,
    now: datetime | None = None,
) -> list[Item]:
    """The project's watch items, ranked, from `since` on, of one theme and language if given."""
    return list(iter_items(project, since, theme, language, limit, now))


# Items read from the store at a time while streaming.
_BATCH = 500


def iter_items(
    project: Project,
    since: datetime | None = None,
    theme: str | None = None,
    language: str | None = None,
    limit: int | None = None,
    now: datetime | None = None,
) -> Iterator[Item]:
    """`list_items`, streamed: only each item's score and id are held for ranking, and the
    items themselves are read a batch at a time, so memory does not grow with the store."""
    now = now or datetime.now(UTC)
    if theme is not None:
        taxonomy = load_taxonomy_of(project)
        if theme not in taxonomy.ids:
            raise FeedError(f"unknown theme {theme!r}; known themes: {', '.join(taxonomy.ids)}")
    path = feeds_path(project)
    weights = {f.url: f.weight for f in read_opml(path)} if path.exists() else {}
    since_iso = iso(since if since.tzinfo else since.replace(tzinfo=UTC)) if since else None
    half_life = project.config.watch.recency_days
    store = open_store(project.state_dir)
    try:
        keys = []
        for item_id, published, relevance, themes, feeds in store.ranking_rows(
            since_iso, language.lower() if language else None
        ):
            if theme is not None and theme not in json.loads(themes):
                continue
            score = _score(relevance, feeds, published, weights, now, half_life)
            keys.append((_rank_key(score, published, item_id), score))
        ranked = heapq.nsmallest(limit, keys) if limit else sorted(keys)
    except BaseException:
        store.close()
        raise
    del keys
    return _read_ranked(store, ranked)


def _read_ranked(store: Store, ranked: list[tuple[tuple, float]]) -> Iterator[Item]:
    with store:
        for start in range(0, len(ranked), _BATCH):
            batch = ranked[start : start + _BATCH]
            found = store.items_by_id([key[2] for key, _ in batch])
            for key, score in batch:
                if key[2] in found:
                    yield Item(**vars(found[key[2]]), score=score)


def items_as_json(items: Iterable[Item]) -> Iterator[str]:
    """Every stored field of each item, as the pieces of one JSON array (streamed)."""
    yield "["
    first = True
    for item in items:
        text = json.dumps(dataclasses.asdict(item), ensure_ascii=False, indent=2)
        yield ("\n  " if first else ",\n  ") + text.replace("\n", "\n  ")
        first = False
    yield "\n]" if not first else "]"
