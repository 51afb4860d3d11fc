"""Static full-text search: Pagefind indexes outputs/site after the build, one index per language.

Pagefind reads each page's `<html lang>` and keeps one index per language, so a search from
a French page finds French pages only. Only the content marked `data-pagefind-body` (result,
generic and newsletter pages) is indexed: menus and footers are not. The bundle lands in
`outputs/site/pagefind/` and needs no server: the search page loads it with JavaScript.

The index is written to a fresh folder beside the old one, then swapped in, so the site
never serves half an index.
"""

from __future__ import annotations

import json
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


def index_site(site_dir: Path, stop: threading.Event | None = None) -> SearchIndex | None:
    """Run Pagefind over `site_dir` and put its bundle in `site_dir/pagefind/`.

    Once `stop` is set (the preview server: a file changed again), Pagefind is stopped, the old index
    is kept and None is returned.
    """
    fresh = site_dir / f".{BUNDLE}-new"
    old = site_dir / f".{BUNDLE}-old"
    for leftover in (fresh, old):
        shutil.rmtree(leftover, ignore_errors=True)
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pagefind", "--site", str(site_dir), "--output-path", str(fresh), "--quiet"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    except OSError as exc:
        raise RenderError(site_dir, f"pagefind could not run: {exc}") from None
    deadline = time.monotonic() + TIMEOUT
    while True:
        try:
            stdout, stderr = proc.communicate(timeout=0.1 if stop is not None else TIMEOUT)
            break
        except subprocess.TimeoutExpired:
            stopped = stop is not None and stop.is_set()
            if stopped or time.monotonic() > deadline:
                proc.kill()
                proc.communicate()
                shutil.rmtree(fresh, ignore_errors=True)
                if stopped:
                    return None
                raise RenderError(site_dir, f"pagefind could not run: it took more than {TIMEOUT:.0f} s") from None
    if proc.returncode != 0 or not (fresh / "pagefind.js").is_file():
        shutil.rmtree(fresh, ignore_errors=True)
        detail = (stderr or stdout).strip().splitlines()[-5:]
        raise RenderError(site_dir, "pagefind could not index the site (is the package 'pagefind[bin]' "
                          "installed?): " + " / ".join(detail))
    # Pagefind lists the languages in no fixed order: sorted, the same site gives the same bundle
    entry_file = fresh / "pagefind-entry.json"
    entry = json.loads(entry_file.read_text(encoding="utf-8"))
    entry["languages"] = dict(sorted(entry["languages"].items()))
    entry_file.write_text(json.dumps(entry, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    bundle = site_dir / BUNDLE
    if bundle.exists():
        bundle.rename(old)
    fresh.rename(bundle)
    shutil.rmtree(old, ignore_errors=True)
    entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))["languages"]
    return SearchIndex(pages=sum(v["page_count"] for v in entry.values()), languages=tuple(sorted(entry)))
