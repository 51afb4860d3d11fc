"""Benchmark of `crebis build` against bare pandoc, on a generated project.

    python bench/build.py [--results 200] [--jobs N]

Generates a temporary project with RESULTS results x 3 languages (cloned from the
sample content, citations and figures included) and measures, in one run:

  (a) the floor: one bare `pandoc -s` per document (with --citeproc and the same
      bibliography where the document cites), on the same number of workers;
  (b) crebis cold build of the web edition (`--only site`: one pandoc run per
      document, as in the floor; briefs are measured by bench/briefs.py);
  (c) no-op rebuild;
  (d) rebuild after editing one file (which targets were rebuilt).

Targets (2-core machine): (b) <= 1.5 x (a); (c) < 1 s; (d) only that result's
targets; peak memory of the crebis process < 500 MB. Each crebis run is a fresh
process, so its peak RSS is its own.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sample_project import REPO, make_project

from pipeline.render.pandoc import pandoc_path

_CRERIS_RUN = """
import json, resource, sys, time
from pipeline.project import Project
from pipeline.publish import build
start = time.perf_counter()
outcome = build(Project.open(sys.argv[1]), jobs=int(sys.argv[2]), only=set(sys.argv[3].split(",")))
elapsed = time.perf_counter() - start
from pipeline.render.pandoc import close_workers
close_workers()  # so that the pandoc workers' peak memory is counted among the children
print(json.dumps({"seconds": elapsed, "built": sorted(t.output for t in outcome.report.built),
                  "fresh": len(outcome.report.fresh), "failed": len(outcome.report.failed),
                  "ok": outcome.ok,
                  "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "child_maxrss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""


def bare_pandoc(files: list[Path], root: Path, jobs: int) -> float:
    bib, csl = root / "content/references.bib", root / "layouts/csl/apa.csl"

    def one(md: Path) -> None:
        args = [pandoc_path(), "-s", str(md), "-o", os.devnull]
        if "[@" in md.read_text(encoding="utf-8"):
            args += ["--citeproc", f"--bibliography={bib}", f"--csl={csl}"]
        subprocess.run(args, check=True, capture_output=True, cwd=md.parent)

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(one, files))
    return time.perf_counter() - start


def crebis_build(root: Path, jobs: int, kinds: str = "site") -> dict:
    """One `crebis build` in a fresh process (the web edition: one pandoc run per document, like the floor)."""
    proc = subprocess.run([sys.executable, "-c", _CRERIS_RUN, str(root), str(jobs), kinds], capture_output=True,
                          text=True, check=True, cwd=REPO)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="crebis-bench-") as tmp:
        root = Path(tmp) / "project"
        files = make_project(root, args.results)
        print(f"{args.results} results x 3 languages = {len(files)} documents, {args.jobs} workers")

        floor = bare_pandoc(files, root, args.jobs)
        print(f"(a) bare pandoc -s per document       {floor:7.2f} s  ({floor / len(files) * 1000:.1f} ms/doc)")

        cold = crebis_build(root, args.jobs)
        assert cold["ok"], cold
        print(f"(b) crebis cold build                 {cold['seconds']:7.2f} s  {len(cold['built'])} targets, "
              f"ratio to floor {cold['seconds'] / floor:.2f} (target <= 1.5)  peak {cold['maxrss_mb']:.0f} MB")

        noop = crebis_build(root, args.jobs)
        print(f"(c) no-op rebuild                     {noop['seconds']:7.2f} s  {len(noop['built'])} built, "
              f"{noop['fresh']} up to date (target < 1 s)  peak {noop['maxrss_mb']:.0f} MB")

        edited = files[len(files) // 2]
        edited.write_text(edited.read_text(encoding="utf-8") + "\nOne more sentence.\n", encoding="utf-8")
        slug, lang = edited.parent.name, edited.stem
        touched = crebis_build(root, args.jobs)
        own = all(f"/{slug}/" in out for out in touched["built"])
        print(f"(d) rebuild after editing {slug}/{lang}.md {touched['seconds']:6.2f} s  rebuilt "
              f"{touched['built']} -> only that result's targets: {own}")
        peak = max(cold["maxrss_mb"], noop["maxrss_mb"], touched["maxrss_mb"])
        print(f"peak memory of crebis {peak:.0f} MB (target < 500 MB); largest pandoc worker "
              f"{cold['child_maxrss_mb']:.0f} MB")


if __name__ == "__main__":
    main()
