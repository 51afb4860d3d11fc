"""The search index (Pagefind) of a site, in parts when the site is large, and searched in a real browser."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import pytest
from webtools import serve_folder

from pipeline.render.search import BUNDLE, PARTS, index_site, site_pages, split_pages


def _pages(counts: dict[str, int]) -> list[Path]:
    return [Path(lang, f"page-{i:03d}", "index.html") for lang, count in counts.items() for i in range(count)]


def test_parts_hold_one_language_each_but_the_first():
    pages = _pages({"en": 700, "fr": 1000, "nl": 1000})
    parts = split_pages(pages, 500)
    assert all(len(part) <= 500 for part in parts)
    assert sorted(page for part in parts for page in part) == sorted(pages)
    assert {page.parts[0] for page in parts[0]} == {"en", "fr", "nl"}
    assert all(len({page.parts[0] for page in part}) == 1 for part in parts[1:])
    # a French search loads the first part and two more, not every part of the site
    assert sum(1 for part in parts[1:] if part[0].parts[0] == "fr") == 2


def test_a_small_site_is_one_part():
    pages = _pages({"fr": 3, "nl": 3})
    assert split_pages(pages, 500) == [pages]
    assert split_pages([], 500) == [[]]


@pytest.fixture(scope="module")
def parted_site(sample_site: Path, tmp_path_factory) -> Path:
    """The sample site indexed in parts of at most 5 pages (as a site of thousands is, in parts of 500)."""
    site = tmp_path_factory.mktemp("parted") / "site"
    shutil.copytree(sample_site, site)
    index_site(site, pages_per_part=5)
    return site


def test_a_site_in_parts_indexes_every_page_once(sample_site, parted_site):
    whole = json.loads((sample_site / BUNDLE / "pagefind-entry.json").read_text(encoding="utf-8"))["languages"]
    parts = json.loads((parted_site / BUNDLE / PARTS).read_text(encoding="utf-8"))
    counts: dict[str, int] = {}
    further = sorted({part for lang in parts for part in parts[lang]})
    assert len(further) >= 2
    for bundle in [parted_site / BUNDLE, *(parted_site / BUNDLE / part for part in further)]:
        for lang, info in json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))["languages"].items():
            counts[lang] = counts.get(lang, 0) + info["page_count"]
    assert counts == {lang: info["page_count"] for lang, info in whole.items()}
    assert set(parts) == set(whole) and all(parts[lang] for lang in parts)
    assert not list(parted_site.glob(f".{BUNDLE}-*")), "the work folders are gone"


def test_only_marked_pages_are_indexed(sample_site):
    pages = site_pages(sample_site)
    assert Path("fr/results/energy-poverty-brussels/index.html") in pages
    assert Path("fr/search/index.html") not in pages and not any(BUNDLE in p.parts for p in pages)


def test_a_stopped_index_keeps_the_old_one(parted_site):
    before = sorted(p.relative_to(parted_site) for p in (parted_site / BUNDLE).rglob("*"))
    stop = threading.Event()
    stop.set()
    assert index_site(parted_site, stop, pages_per_part=5) is None
    assert sorted(p.relative_to(parted_site) for p in (parted_site / BUNDLE).rglob("*")) == before
    assert not list(parted_site.glob(f".{BUNDLE}-*"))


@pytest.mark.parametrize("lang", ["fr", "nl", "en"])
def test_the_search_box_finds_pages_of_every_part_in_its_language(parted_site, browser, lang):
    # a page of this language indexed in the last part only, searched for by its title
    (page_path, *_) = [part for part in split_pages(site_pages(parted_site), 5) if part[0].parts[0] == lang][-1]
    with serve_folder(parted_site) as url:
        page = browser.new_page()
        page.goto(url + page_path.parent.as_posix() + "/")
        title = page.inner_text("h1")
        page.goto(f"{url}{lang}/search/")
        page.fill(".pagefind-ui__search-input", f'"{title}"')
        page.wait_for_selector(".pagefind-ui__result-link", timeout=10_000)
        links = page.eval_on_selector_all(".pagefind-ui__result-link", "els => els.map(e => e.getAttribute('href'))")
        page.close()
    assert f"/{page_path.parent.as_posix()}/" in links
    assert all(link.startswith(f"/{lang}/") for link in links)
