"""Benchmark of the publication site and of the `crebis serve` preview, on a generated project.

    python bench/site.py [--results 600] [--jobs N] [--edits 3] [--serve-only]

Generates RESULTS results x 3 languages (cloned from the sample content) and measures, in one run:

  (a) the baseline: a cold site-only build (`--only site`, no search index, no social cards);
  (b) the full site: a cold build of the same project copy with the Pagefind index and the social
      cards (`--only site --only social`, search on): target (b) <= 1.5 x (a);
  (c) `crebis serve` on that project: a real process and a real Chromium page on a result; one
      content file edited, the time until the open page shows the change (reload included), EDITS
      times: target <= 1 s. The briefs, summaries and cards of the preview are still being built in the
      background meanwhile (and the search index after an edit), as when someone edits right after start-up.
      With --serve-only, (a) and (b) are skipped (a quicker run).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sample_project import REPO, make_project

_RUN = """
import json, sys, time
from pipeline.project import Project
from pipeline.publish import build
start = time.perf_counter()
outcome = build(Project.open(sys.argv[1]), jobs=int(sys.argv[2]), only=set(sys.argv[3].split(",")))
print(json.dumps({"seconds": time.perf_counter() - start, "built": len(outcome.report.built), "ok": outcome.ok,
                  "search": outcome.search.pages if outcome.search else 0}))
"""


def crebis_build(root: Path, jobs: int, kinds: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", _RUN, str(root), str(jobs), kinds], capture_output=True, text=True,
                          check=True, cwd=REPO)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def set_site(root: Path, search: bool, social: bool) -> None:
    config = root / "crebis.toml"
    text = config.read_text(encoding="utf-8").split("\n[site]")[0]
    config.write_text(f"{text}\n[site]\nsearch = {str(search).lower()}\nsocial = {str(social).lower()}\n",
                      encoding="utf-8")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_edits(root: Path, edits: int) -> tuple[float, list[float]]:
    """Start `crebis serve`, open a result page, edit its title `edits` times; (start-up s, seconds per edit)."""
    sys.path.insert(0, str(REPO / "tests"))
    from webtools import chromium

    port = free_port()
    log = root.parent / "serve.log"
    start = time.perf_counter()
    with open(log, "w", encoding="utf-8") as out:
        process = subprocess.Popen([sys.executable, "-m", "pipeline", "-C", str(root), "serve", "--port", str(port)],
                                   stdout=out, stderr=subprocess.STDOUT, cwd=REPO,
                                   env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        while "Serving the preview" not in log.read_text(encoding="utf-8"):
            if process.poll() is not None:
                raise SystemExit(log.read_text(encoding="utf-8"))
            time.sleep(0.2)
        started = time.perf_counter() - start
        slug = sorted(p.name for p in (root / "content/results").iterdir())[0]
        source = root / "content/results" / slug / "en.md"
        original = source.read_text(encoding="utf-8")
        seconds = []
        with chromium() as browser:
            page = browser.new_page()
            page.set_default_timeout(60_000)
            page.goto(f"http://127.0.0.1:{port}/en/results/{slug}/")
            time.sleep(1.0)
            for i in range(edits):
                marker = f"Edited live {i}"
                text = original.replace('title: "', f'title: "{marker} ', 1)
                t0 = time.perf_counter()
                source.write_text(text, encoding="utf-8")
                page.wait_for_function(f"document.querySelector('h1').textContent.startsWith('{marker}')")
                seconds.append(time.perf_counter() - t0)
                time.sleep(1.5)  # an author reads the page before the next save
        source.write_text(original, encoding="utf-8")
        lines = log.read_text(encoding="utf-8").splitlines()
        print("    crebis serve said: " + " | ".join(line for line in lines if line.startswith("Build")))
        return started, seconds
    finally:
        process.terminate()
        process.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", type=int, default=600)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--edits", type=int, default=3)
    parser.add_argument("--serve-only", action="store_true", help="measure (c) only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="crebis-bench-site-") as tmp:
        base = Path(tmp) / "baseline"
        files = make_project(base, args.results)
        full = Path(tmp) / "full"
        shutil.copytree(base, full)
        print(f"{args.results} results x 3 languages = {len(files)} documents, {args.jobs} workers, "
              f"load average {os.getloadavg()[0]:.1f}")
        set_site(full, search=True, social=True)
        if not args.serve_only:
            measure_builds(base, full, args.jobs)
        started, seconds = serve_edits(full, args.edits)
        print(f"(c) crebis serve: site built and serving in {started:.1f} s; edit visible in the open page "
              f"after {', '.join(f'{s:.2f}' for s in seconds)} s (median {statistics.median(seconds):.2f} s, "
              f"target <= 1 s); load average {os.getloadavg()[0]:.1f}")


def measure_builds(base: Path, full: Path, jobs: int) -> None:
    """(a) and (b): the site alone, then with its search index and social cards."""
    set_site(base, search=False, social=False)
    a = crebis_build(base, jobs, "site")
    assert a["ok"], a
    print(f"(a) site only, no search, no cards      {a['seconds']:7.2f} s  {a['built']} targets")

    b = crebis_build(full, jobs, "site,social")
    assert b["ok"], b
    print(f"(b) site + Pagefind + social cards      {b['seconds']:7.2f} s  {b['built']} targets, "
          f"{b['search']} pages indexed; ratio to (a) {b['seconds'] / a['seconds']:.2f} (target <= 1.5)")


if __name__ == "__main__":
    main()
