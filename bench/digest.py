"""Benchmark of the curator's week: review, digest build and curation page over a year of watch items.

A store of N items (default 50,000) over the 52 weeks of 2026, from 50 feeds in three
languages, themed by the real taxonomy. The measured week holds 500 stories; the others
share the rest (about 970 each). It measures:

1. `watch review` of a busy week (about 970 stories): first run (writes the worksheet)
   and a second run after 40 more items were fetched (merges them);
2. `watch review` of the 500-story week, then 30 stories kept;
3. the digest build of that week (`crebis build --only digest`: 3 languages x page,
   Markdown, email, text, archive, feed), then a no-op build;
4. the curation page of the 500-story week in Chromium: from navigation to the page being
   ready for the keyboard, then one keep (`x`) saved to the worksheet and confirmed.

Usage: python bench/digest.py [--items 50000]
Targets (2 cores): review of one week <= 1 s; digest build of one week <= 0.5 s;
curation page with 500 candidates interactive <= 1 s.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pipeline.project import Project  # noqa: E402
from pipeline.publish import build  # noqa: E402
from pipeline.watch.models import Entry, Feed  # noqa: E402
from pipeline.watch.opml import add_outlines  # noqa: E402
from pipeline.watch.store import open_store  # noqa: E402
from pipeline.watch.themes import load_taxonomy, match_themes  # noqa: E402
from pipeline.watch.weeks import Week  # noqa: E402
from pipeline.watch.worksheet import read_worksheet, review, worksheet_path  # noqa: E402

WEEK = Week(2026, 20)
BUSY = Week(2026, 30)
WORDS = {
    "fr": ["logement", "loyer", "CPAS", "énergie", "chauffage", "santé", "numérique", "allocation", "quartier",
           "familles", "Bruxelles", "projet", "accueil", "emploi", "école"],
    "nl": ["huisvesting", "huur", "OCMW", "energie", "verwarming", "gezondheid", "digitaal", "uitkering", "wijk",
           "gezinnen", "Brussel", "project", "opvang", "werk", "school"],
    "en": ["housing", "rent", "homeless", "energy bill", "heating", "health", "digital divide", "benefit",
           "neighbourhood", "families", "Brussels", "project", "shelter", "jobs", "school"],
}
CONFIG = 'languages = ["fr", "nl", "en"]\n[organisation]\nlogo = "layouts/assets/logo.svg"\n'


def make_project(root: Path) -> Project:
    (root / "content").mkdir(parents=True)
    (root / "crebis.toml").write_text(CONFIG, encoding="utf-8")
    shutil.copytree(REPO / "layouts", root / "layouts")
    shutil.copy(REPO / "content" / "themes.yaml", root / "content" / "themes.yaml")
    return Project.open(root)


def fill(project: Project, total: int, rng: random.Random) -> list[Feed]:
    """`total` items over the weeks of 2026: 500 in WEEK, the rest spread evenly."""
    feeds = [Feed(f"https://feed{i:02d}.example.org/rss", title=f"Source {i:02d}", language=("fr", "nl", "en")[i % 3],
                  weight=1.0 + (i % 4) / 4) for i in range(50)]
    add_outlines(project.path(project.config.watch.feeds), feeds)
    taxonomy = load_taxonomy(project.path(project.config.watch.themes))
    weeks = [Week(2026, n) for n in range(1, 53)]
    others = [w for w in weeks if w != WEEK]
    per_week = {w: (total - 500) // len(others) for w in others}
    per_week[WEEK] = 500
    fetched = datetime(2027, 1, 4, tzinfo=UTC)
    with open_store(project.state_dir) as store:
        states = store.feed_states([f.url for f in feeds])
        n = 0
        for week, count in per_week.items():
            by_feed: dict[int, list[Entry]] = {}
            start = datetime.combine(week.monday, datetime.min.time(), tzinfo=UTC) + timedelta(hours=6)
            for _ in range(count):
                feed = rng.randrange(len(feeds))
                lang = feeds[feed].language
                title = " ".join(rng.choice(WORDS[lang]) for _ in range(6)).capitalize() + f" {n}"
                published = start + timedelta(minutes=rng.randrange(6 * 24 * 60))
                by_feed.setdefault(feed, []).append(Entry(f"e{n}", f"https://feed{feed:02d}.example.org/a/{n}",
                                                          title, f"<p>{title}.</p>", published, "", lang))
                n += 1
            for feed, entries in by_feed.items():
                matches = [match_themes(taxonomy, e.title, e.summary, e.language) for e in entries]
                store.ingest(states[feeds[feed].url], entries, matches, fetched)
    return feeds


class Seconds(float):
    """Wall-clock seconds, printed with this process's CPU seconds beside them: on a shared, loaded machine
    the wall clock counts the time spent waiting for a core, the CPU time does not."""

    cpu: float = 0.0

    def __format__(self, spec: str) -> str:
        return f"{float(self):{spec}} s wall, {self.cpu:{spec}} s CPU"


def timed(func, *args, **kwargs):
    started, cpu = time.perf_counter(), time.process_time()
    result = func(*args, **kwargs)
    seconds = Seconds(time.perf_counter() - started)
    seconds.cpu = time.process_time() - cpu
    return seconds, result


def keep_some(project: Project, week: Week, count: int) -> None:
    path = worksheet_path(project, week)
    text = path.read_text(encoding="utf-8")
    text = text.replace("    keep:\n", "    keep: true\n", count)
    path.write_text(text, encoding="utf-8")


def curation_page(project: Project, week: Week) -> tuple[float, float] | None:
    """(seconds to a keyboard-ready page, seconds for one keep to be saved), or None without Chromium."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        return None
    from playwright.sync_api import sync_playwright

    from pipeline.web.curation import bind, server

    sock = bind(0)
    instance = server(project, week, sock, now=datetime(2027, 1, 4, tzinfo=UTC))
    thread = threading.Thread(target=instance.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not instance.started:
        time.sleep(0.01)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=[
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"])
            page = browser.new_page(bypass_csp=True)  # lets Playwright evaluate its wait conditions
            page.goto(url)  # warm: the first page load of a new browser pays its own start-up
            page.wait_for_selector("body[data-ready=true]")
            started = time.perf_counter()
            page.goto(url)
            page.wait_for_selector("body[data-ready=true]")
            ready = time.perf_counter() - started
            started = time.perf_counter()
            page.keyboard.press("j")
            page.keyboard.press("x")
            page.wait_for_function("document.getElementById('status').textContent.startsWith('Saved')")
            saved = time.perf_counter() - started
            browser.close()
    finally:
        instance.should_exit = True
        thread.join(10)
    return ready, saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=50_000)
    args = parser.parse_args()
    rng = random.Random(48)
    with tempfile.TemporaryDirectory() as tmp:
        project = make_project(Path(tmp) / "project")
        seconds, _ = timed(fill, project, args.items, rng)
        print(f"store: {args.items} items over 52 weeks, filled in {seconds:.1f}")
        print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        now = datetime(2027, 1, 4, tzinfo=UTC)

        first, report = timed(review, project, BUSY, now)
        print(f"review {BUSY} (first, {report.added} stories):       {first:.3f}   target <= 1 s")
        # 40 more items fetched for the busy week, then a second review merges them.
        more = {f"late{i}": i for i in range(40)}
        with open_store(project.state_dir) as store:
            url = "https://feed00.example.org/rss"
            state = store.feed_states([url])[url]
            monday = datetime.combine(BUSY.monday, datetime.min.time(), tzinfo=UTC) + timedelta(hours=9)
            entries = [Entry(k, f"https://feed00.example.org/late/{i}", f"Logement tardif {i}", "", monday, "", "fr")
                       for k, i in more.items()]
            store.ingest(state, entries, [match_themes(load_taxonomy(project.path("content/themes.yaml")),
                                                       e.title, "", "fr") for e in entries], now)
        second, report = timed(review, project, BUSY, now)
        print(f"review {BUSY} (again, {report.added} new merged):     {second:.3f}   target <= 1 s")

        seconds, report = timed(review, project, WEEK, now)
        print(f"review {WEEK} (first, {report.added} stories):       {seconds:.3f}   target <= 1 s")
        keep_some(project, WEEK, 30)
        shutil.move(worksheet_path(project, BUSY), Path(tmp) / "busy.yaml")  # build one week only
        assert len(read_worksheet(worksheet_path(project, WEEK), project.config.languages).kept) == 30
        seconds, outcome = timed(build, project, only={"digest"})
        assert outcome.ok, [f.message for f in outcome.report.failed]
        print(f"digest build of {WEEK} ({len(outcome.report.built)} outputs): {seconds:.3f}   target <= 0.5 s")
        seconds, outcome = timed(build, project, only={"digest"})
        print(f"digest build again (nothing to do):    {seconds:.3f}")

        page = curation_page(project, WEEK)
        if page is None:
            print("curation page: skipped (Chromium is not installed)")
        else:
            ready, saved = page
            print(f"curation page, 500 stories, ready:     {ready:.3f} s   target <= 1 s")
            print(f"curation page, one keep saved:         {saved:.3f} s")


if __name__ == "__main__":
    main()
