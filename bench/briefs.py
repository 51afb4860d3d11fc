"""Benchmark of policy briefs: crebis (pandoc → Typst → PDF/UA) against pandoc + WeasyPrint.

    pip install -e '.[bench]'        # WeasyPrint, for the comparison
    python bench/briefs.py [--results 200] [--jobs N]

On a generated project of RESULTS results x 3 languages (cloned from the sample
content: citations, figures), in one run and on the same number of workers:

  (a) crebis, PDF only: the time of each PDF (pandoc + jinja2 + typst + page
      count), its median, the wall time, and the peak memory of the process;
  (b) crebis, PDF + DOCX: wall time;
  (c) the common alternative on the same documents: `pandoc -s --citeproc
      --pdf-engine=weasyprint` (Markdown → HTML → PDF), one process per document.

Targets (2-core machine): median <= 150 ms per PDF; (a) >= 5 x faster than (c);
peak memory < 1 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sample_project import REPO, make_project

from pipeline.render.pandoc import pandoc_path

_CREBIS_RUN = """
import json, resource, sys, time
import pipeline.render.brief as brief
from pipeline.project import Project
from pipeline.publish import build

durations = []
real_render_pdf = brief.render_pdf
def timed_render_pdf(*args):
    start = time.perf_counter()
    try:
        return real_render_pdf(*args)
    finally:
        durations.append(time.perf_counter() - start)
brief.render_pdf = timed_render_pdf

start = time.perf_counter()
outcome = build(Project.open(sys.argv[1]), jobs=int(sys.argv[2]), only={"brief"}, force=True)
from pipeline.render.pandoc import close_workers
close_workers()  # so that the pandoc workers' peak memory is counted among the children
print(json.dumps({"seconds": time.perf_counter() - start, "pdf_seconds": durations, "ok": outcome.ok,
                  "built": len(outcome.report.built), "failed": [f.message for f in outcome.report.failed],
                  "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "child_maxrss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""


def crebis(root: Path, jobs: int, docx: bool) -> dict:
    """A forced brief build in a fresh process, with or without the DOCX editions (brief.docx)."""
    config = root / "crebis.toml"
    original = config.read_text(encoding="utf-8")
    config.write_text(original.replace("\n[brief]\n", f"\n[brief]\ndocx = {str(docx).lower()}\n"), encoding="utf-8")
    try:
        proc = subprocess.run([sys.executable, "-c", _CREBIS_RUN, str(root), str(jobs)], capture_output=True,
                              text=True, check=True, cwd=REPO)
    finally:
        config.write_text(original, encoding="utf-8")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["ok"], result["failed"][:3]
    return result


def weasyprint(files: list[Path], root: Path, jobs: int) -> tuple[float, list[float]]:
    bib, csl = root / "content/references.bib", root / "layouts/csl/apa.csl"
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    out = Path(tempfile.mkdtemp(prefix="crebis-weasy-"))

    def one(md: Path) -> float:
        start = time.perf_counter()
        subprocess.run([pandoc_path(), str(md), "-s", "--citeproc", f"--bibliography={bib}", f"--csl={csl}",
                        f"--metadata=lang:{md.stem}", "--pdf-engine=weasyprint",
                        "-o", str(out / f"{md.parent.name}-{md.stem}.pdf")],
                       check=True, capture_output=True, cwd=md.parent, env=env)
        return time.perf_counter() - start

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        durations = list(pool.map(one, files))
    wall = time.perf_counter() - start
    shutil.rmtree(out)
    return wall, durations


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    if shutil.which("weasyprint", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}") is None:
        sys.exit("WeasyPrint is not installed: pip install -e '.[bench]'")
    with tempfile.TemporaryDirectory(prefix="crebis-bench-") as tmp:
        root = Path(tmp) / "project"
        files = make_project(root, args.results)
        print(f"{args.results} results x 3 languages = {len(files)} briefs, {args.jobs} workers")

        pdf = crebis(root, args.jobs, docx=False)
        median = statistics.median(pdf["pdf_seconds"]) * 1000
        print(f"(a) crebis PDF only         {pdf['seconds']:7.2f} s wall, median {median:.0f} ms per PDF "
              f"(target <= 150 ms), p90 {statistics.quantiles(pdf['pdf_seconds'], n=10)[-1] * 1000:.0f} ms, "
              f"peak {pdf['maxrss_mb']:.0f} MB (target < 1024 MB; largest pandoc or typst child "
              f"{pdf['child_maxrss_mb']:.0f} MB)")

        both = crebis(root, args.jobs, docx=True)
        print(f"(b) crebis PDF + DOCX       {both['seconds']:7.2f} s wall, {both['built']} files, "
              f"peak {both['maxrss_mb']:.0f} MB")

        wall, durations = weasyprint(files, root, args.jobs)
        print(f"(c) pandoc + WeasyPrint     {wall:7.2f} s wall, median {statistics.median(durations) * 1000:.0f} ms "
              "per PDF")
        print(f"crebis PDF is {wall / pdf['seconds']:.1f} x faster than the WeasyPrint path (target >= 5 x)")


if __name__ == "__main__":
    main()
