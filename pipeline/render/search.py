"""Static full-text search: Pagefind indexes outputs/site after the build, one index per language.

Pagefind reads each page's `<html lang>` and keeps one index per language, so a search from
a French page finds French pages only. Only the content marked `data-pagefind-body` (result,
generic and newsletter pages) is indexed: menus and footers are not. The bundle lands in
`outputs/site/pagefind/` and needs no server: the search page loads it with JavaScript.

The index is written to a fresh folder beside the old one, then swapped in, so the site
never serves half an index.

Pagefind holds every page it indexes in memory until it writes the bundle: about 0.46 MB per result
page (1.7 GB for the 6,044 pages of 6,000 documents, the largest process of a full build by far). So a
large site is indexed in parts of at most `PAGES_PER_PART` pages, one Pagefind run after another. Part 1,
the bundle at `pagefind/`, holds the first pages of every language (a smaller site's whole index, as
before); part N, the bundle at `pagefind/part-N/`, holds the next pages of one language. `pagefind/parts.json`
names, per language, the further parts that hold it, and the search page merges them
(Pagefind's `mergeIndex`), so a search still covers the whole site in its own language.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from pipeline.build import Report
from pipeline.errors import RenderError

BUNDLE = "pagefind"
PARTS = "parts.json"

PAGES_PER_PART = 500
"""Pages of one Pagefind run: ~230 MB of result pages, where all 6,044 pages of 6,000 documents took 1.7 GB."""

_BODY = b"data-pagefind-body"


@dataclass(frozen=True)
class SearchIndex:
    """What one indexing run did."""

    pages: int
    languages: tuple[str, ...]


def needs_index(site_dir: Path, report: Report) -> bool:
    """Whether a build changed any page of the site (or the index is missing)."""
    if not (site_dir / BUNDLE / "pagefind.js").is_file():
        return True
    changed = [t.output for t in report.built] + report.removed
    return any(o.startswith("site/") and o.endswith(".html") for o in changed)


TIMEOUT = 900.0
"""Seconds Pagefind may take over a whole site."""


def index_site(site_dir: Path, stop: threading.Event | None = None,
               pages_per_part: int = PAGES_PER_PART) -> SearchIndex | None:
    """Run Pagefind over `site_dir` and put its bundle in `site_dir/pagefind/` (in parts, see the module).

    Once `stop` is set (the preview server: a file changed again), Pagefind is stopped, the old index
    is kept and None is returned.
    """
    fresh = site_dir / f".{BUNDLE}-new"
    old = site_dir / f".{BUNDLE}-old"
    pages_dir = site_dir / f".{BUNDLE}-pages"
    for leftover in (fresh, old, pages_dir):
        shutil.rmtree(leftover, ignore_errors=True)
    parts = split_pages(site_pages(site_dir), pages_per_part)
    names = ["", *(f"part-{number}/" for number in range(2, len(parts) + 1))]  # part 1 is the bundle itself
    deadline, indexed = time.monotonic() + TIMEOUT, 0
    try:
        for name, part in zip(names, parts, strict=True):
            # stopped between parts too: a small part can finish before its run looks at `stop`
            if stop is not None and stop.is_set():
                return None
            if not _run_pagefind(site_dir, part, pages_dir, fresh / name, deadline, stop):
                return None
            indexed += 1
    finally:
        shutil.rmtree(pages_dir, ignore_errors=True)
        if indexed < len(parts):  # stopped or failed: the old index stays, whole
            shutil.rmtree(fresh, ignore_errors=True)
    languages: dict[str, int] = {}
    further: dict[str, list[str]] = {}
    for name in names:
        for lang, count in _sort_entry(fresh / name).items():
            languages[lang] = languages.get(lang, 0) + count
            if name:
                further.setdefault(lang, []).append(name)
    (fresh / PARTS).write_text(json.dumps(dict(sorted(further.items())), separators=(",", ":")), encoding="utf-8")
    bundle = site_dir / BUNDLE
    if bundle.exists():
        bundle.rename(old)
    fresh.rename(bundle)
    shutil.rmtree(old, ignore_errors=True)
    return SearchIndex(pages=sum(languages.values()), languages=tuple(sorted(languages)))


def site_pages(site_dir: Path) -> list[Path]:
    """The pages Pagefind indexes, relative to `site_dir`: those with content marked `data-pagefind-body`, or
    every page if none is marked (Pagefind's own rule, which a run over part of the site must not change)."""
    pages = sorted(path.relative_to(site_dir) for path in site_dir.rglob("*.html")
                   if not any(part.startswith(".") or part == BUNDLE
                              for part in path.relative_to(site_dir).parts[:-1]))
    marked = [page for page in pages if _BODY in (site_dir / page).read_bytes()]
    return marked or pages


def split_pages(pages: list[Path], pages_per_part: int) -> list[list[Path]]:
    """`pages` in parts of at most `pages_per_part`: the first holds the first pages of every language (its
    first folder), as the site's one bundle does, and each further part the next pages of one language, so
    that a search loads only the parts of its own language."""
    if len(pages) <= pages_per_part:
        return [pages]
    by_lang: dict[str, list[Path]] = {}
    for page in pages:
        by_lang.setdefault(page.parts[0] if len(page.parts) > 1 else "", []).append(page)
    head = max(1, pages_per_part // len(by_lang))
    parts = [sorted(page for lang_pages in by_lang.values() for page in lang_pages[:head])]
    for lang_pages in by_lang.values():
        rest = lang_pages[head:]
        parts += [rest[at:at + pages_per_part] for at in range(0, len(rest), pages_per_part)]
    return parts


def _run_pagefind(site_dir: Path, pages: list[Path], pages_dir: Path, output: Path, deadline: float,
                  stop: threading.Event | None) -> bool:
    """Index `pages` of `site_dir` into the bundle `output` (False: stopped); the pages are linked into
    `pages_dir` at their own paths, so that their addresses in the index are those of the site."""
    shutil.rmtree(pages_dir, ignore_errors=True)
    pages_dir.mkdir()
    for page in pages:
        (pages_dir / page).parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(site_dir / page, pages_dir / page)
        except OSError:  # a file system without hard links
            shutil.copyfile(site_dir / page, pages_dir / page)
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pagefind", "--site", str(pages_dir), "--output-path", str(output), "--quiet"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    except OSError as exc:
        raise RenderError(site_dir, f"pagefind could not run: {exc}") from None
    while True:
        wait = 0.1 if stop is not None else max(0.1, deadline - time.monotonic())
        try:
            stdout, stderr = proc.communicate(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            stopped = stop is not None and stop.is_set()
            if stopped or time.monotonic() > deadline:
                proc.kill()
                proc.communicate()
                if stopped:
                    return False
                raise RenderError(site_dir, f"pagefind could not run: it took more than {TIMEOUT:.0f} s") from None
    if proc.returncode != 0 or not (output / "pagefind.js").is_file():
        detail = (stderr or stdout).strip().splitlines()[-5:]
        raise RenderError(site_dir, "pagefind could not index the site (is the package 'pagefind[bin]' "
                          "installed?): " + " / ".join(detail))
    return True


def _sort_entry(bundle: Path) -> dict[str, int]:
    """Sort the bundle's languages (Pagefind lists them in no fixed order: sorted, the same site gives the same
    bundle); returns the pages of each."""
    entry_file = bundle / "pagefind-entry.json"
    entry = json.loads(entry_file.read_text(encoding="utf-8"))
    entry["languages"] = dict(sorted(entry["languages"].items()))
    entry_file.write_text(json.dumps(entry, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    return {lang: info["page_count"] for lang, info in entry["languages"].items()}
