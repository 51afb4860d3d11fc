"""A week of watch items in a real store, for the worksheet, digest and curation page tests.

Week 2026-W48 (23–29 November 2026, Europe/Brussels): French, Dutch and English items,
a story told by two outlets (one cluster), an item of no theme, and one of the next week.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pipeline.project import Project
from pipeline.watch.models import Entry, Feed
from pipeline.watch.opml import add_outlines
from pipeline.watch.store import open_store
from pipeline.watch.themes import load_taxonomy, match_themes
from pipeline.watch.weeks import Week

WEEK = Week(2026, 48)
NOW = datetime(2026, 11, 30, 9, tzinfo=UTC)  # Monday of the next week: reviewing last week
FEEDS = {
    "soir": Feed("https://lesoir.example.org/feed", title="Le Soir", language="fr", weight=1.5),
    "bruzz": Feed("https://bruzz.example.org/rss", title="Bruzz", language="nl"),
    "times": Feed("https://times.example.org/rss"),  # no title: shown by its host name
}
# key: (feed, link path, title, summary, language, published)
ITEMS = {
    "rents": ("soir", "/rents", "Logement social : les loyers flambent à Bruxelles",
              "<p>Le <b>logement social</b> manque.</p>", "fr", datetime(2026, 11, 24, 8, tzinfo=UTC)),
    "huur": ("bruzz", "/huur", "Sociale woning: huur stijgt opnieuw", "<p>Huur en huisvesting.</p>", "nl",
             datetime(2026, 11, 25, 12, tzinfo=UTC)),
    "tariff": ("soir", "/tariff", "Précarité énergétique : le tarif social prolongé",
               "<p>Le chauffage coûte.</p>", "fr", datetime(2026, 11, 26, 7, tzinfo=UTC)),
    "tariff-en": ("times", "/tariff", "Energy poverty: social tariff extended in Brussels", "", "en",
                  datetime(2026, 11, 26, 9, tzinfo=UTC)),
    "jazz": ("soir", "/jazz", "Un festival de jazz au parc", "", "fr", datetime(2026, 11, 27, 18, tzinfo=UTC)),
    "homeless": ("times", "/homeless", "Homeless count: more people sleep rough", "", "en",
                 datetime(2026, 11, 29, 22, 30, tzinfo=UTC)),  # Sunday 23:30 in Brussels: still W48
    "next": ("times", "/next", "Housing: next week's story", "", "en", datetime(2026, 11, 29, 23, 30, tzinfo=UTC)),
}
LATER = {
    "eviction": ("bruzz", "/eviction", "Uithuiszetting: nieuwe regels voor huurders", "", "nl",
                 datetime(2026, 11, 28, 10, tzinfo=UTC)),
    "tariff-nl": ("bruzz", "/tarief", "Energiearmoede: sociaal tarief verlengd", "", "nl",
                  datetime(2026, 11, 26, 11, tzinfo=UTC)),
}


def add_feeds(project: Project) -> None:
    add_outlines(project.path(project.config.watch.feeds), list(FEEDS.values()))


def ingest(project: Project, items: dict[str, tuple], fetched_at: datetime = NOW) -> dict[str, str]:
    """Store `items` as fetched at `fetched_at`; returns the item id of each key."""
    taxonomy = load_taxonomy(project.path(project.config.watch.themes))
    by_feed: dict[str, list[Entry]] = {}
    links = {}
    for key, (feed, path, title, summary, lang, published) in items.items():
        link = FEEDS[feed].url.rsplit("/", 1)[0] + path
        links[key] = link
        by_feed.setdefault(feed, []).append(Entry(key, link, title, summary, published, "", lang))
    with open_store(project.state_dir) as store:
        states = store.feed_states([f.url for f in FEEDS.values()])
        for feed, entries in by_feed.items():
            matches = [match_themes(taxonomy, e.title, e.summary, e.language, FEEDS[feed].themes) for e in entries]
            store.ingest(states[FEEDS[feed].url], entries, matches, fetched_at)
        ids = {i.link: i.id for i in store.items()}
    return {key: ids[link] for key, link in links.items()}


def cluster(project: Project, lead: str, *members: str) -> None:
    """Make items one story (the dedupe stage does this after a fetch)."""
    with open_store(project.state_dir) as store:
        store.set_clusters({m: lead for m in (lead, *members)})


def fill(project: Project) -> dict[str, str]:
    """The week's feeds and items, the two tariff stories as one cluster; returns ids by key."""
    add_feeds(project)
    ids = ingest(project, ITEMS)
    cluster(project, ids["tariff"], ids["tariff-en"])
    return ids
