"""Benchmark of `crebis build` against bare pandoc, on a generated project.

    python bench/build.py [--results 200] [--scale 2000] [--jobs N] [--full RESULTS [--only-full]]

Generates a temporary project with RESULTS results x 3 languages (cloned from the
sample content, citations and figures included) and measures, in one run:

  (a) the floor: one bare `pandoc -s` per document (with --citeproc and the same
      bibliography where the document cites), on the same number of workers;
  (b) crebis cold build of the web edition (`--only site`: one pandoc run per
      document, as in the floor; briefs are measured by bench/briefs.py);
  (c) no-op rebuild of the web edition, through the real `crebis` command: with the
      build stamp (lock, metadata of every input and output), and without it (content
      reading, checks from their cache, fingerprints);
  (d) rebuild after editing one file (which targets were rebuilt);
  (e) `crebis build --dry-run` over every output kind once the check cache is warm:
      the work of a no-op build of the whole project, without building it first;
  (f) `crebis check` (no cache, as the command runs);
  (g) `crebis --help` against Python's own start-up;
  (h) hugo building the same number of pages, when `hugo` is installed.

(e) and (f) are repeated at SCALE results (6,000 documents by default; 0 skips them),
with the ratio of their time per document to the smaller project's, and so is the
stamped no-op, after a build of the digests (the one kind whose build does not grow
with the results: its no-op still reads the metadata of every document).

Wall times depend on the machine's load, printed at the start and the end; CPU times
(user + system, of the process and its children) are printed beside them. Peak memory is
of the whole process tree (crebis, its pandoc and typst workers, Pagefind), proportional (PSS:
shared pages counted once), sampled every 0.1 s; (i) names each process of the tree at its peak.

Targets (2-core machine): (b) <= 1.5 x (a); (c) <= 0.5 s at 600 documents, and without the
stamp <= 3.5 s CPU; (d) <= 5 s, only that result's targets; (e) and (f) grow no faster
than the documents (ratio per document about 1); (g) <= 150 ms; peak memory of the crebis
process < 500 MB, of the whole tree < 1 GB. Each crebis run is a fresh process, so its peak RSS is its own.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sample_project import REPO, make_project

from pipeline.render.pandoc import pandoc_path

_CRERIS_RUN = """
import json, resource, sys, time
from pipeline.project import Project
import pipeline.publish
from pipeline.publish import build
index_site, search = pipeline.publish.index_site, [0.0]
def timed_index(*args, **kwargs):  # Pagefind's share, timed apart: it re-indexes the whole site
    started = time.perf_counter()
    try:
        return index_site(*args, **kwargs)
    finally:
        search[0] += time.perf_counter() - started
pipeline.publish.index_site = timed_index
start = time.perf_counter()
outcome = build(Project.open(sys.argv[1]), jobs=int(sys.argv[2]), only=set(sys.argv[3].split(",")))
elapsed = time.perf_counter() - start
from pipeline.render.pandoc import close_workers
close_workers()  # so that the pandoc workers' peak memory is counted among the children
print(json.dumps({"seconds": elapsed, "search_seconds": search[0],
                  "built": sorted(t.output for t in outcome.report.built),
                  "fresh": len(outcome.report.fresh), "failed": len(outcome.report.failed),
                  "ok": outcome.ok,
                  "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "child_maxrss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""


def tree_rss_mb(pid: int) -> float:
    """Memory of `pid` and every process below it, in MB (from /proc; see `tree_processes`)."""
    return sum(tree_processes(pid).values())


def tree_processes(pid: int) -> dict[str, float]:
    """Memory of `pid` and every process below it, in MB, by process (`name pid`): proportional (PSS), so
    that pages two processes share count once; resident memory (RSS) counted a child forked from crebis,
    before it runs its program, as a second crebis (~270 MB that do not exist)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    names: dict[int, str] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as fh:
                head, tail = fh.read().rsplit(")", 1)
        except OSError:
            continue
        fields = tail.split()
        children.setdefault(int(fields[1]), []).append(int(entry))
        rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        names[int(entry)] = head.split("(", 1)[1]
    found, stack = {}, [pid]
    while stack:
        current = stack.pop()
        if current in rss:
            found[f"{names[current]} {current}"] = _pss(current, rss[current]) / 1024**2
        stack.extend(children.get(current, []))
    return found


def _pss(pid: int, rss: int) -> int:
    """The process's proportional set size in bytes (its RSS if /proc does not say)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as fh:
            return next(int(line.split()[1]) * 1024 for line in fh if line.startswith("Pss:"))
    except (OSError, StopIteration, ValueError):
        return rss


PEAK_PROCESSES: dict[str, float] = {}
"""The processes of the last sampled run at its peak, with their memory in MB."""


def run_sampled(command: list[str], cwd: Path, env: dict[str, str] | None = None, progress: float = 0,
                ) -> tuple[subprocess.CompletedProcess, float, float, float]:
    """Run `command` (in `env`, if given): its result, wall seconds, CPU seconds (itself and its children), peak
    tree MB. With `progress` (seconds), the peak so far is printed that often: a full build at scale runs for
    hours, and its peak comes early."""
    before = os.times()
    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    peak = [0.0]
    stop = threading.Event()

    def sample() -> None:
        global PEAK_PROCESSES
        reported = time.perf_counter()
        while not stop.wait(0.1):
            processes = tree_processes(proc.pid)
            if sum(processes.values()) > peak[0]:
                peak[0], PEAK_PROCESSES = sum(processes.values()), processes
            if progress and time.perf_counter() - reported >= progress:
                reported = time.perf_counter()
                print(f"    {(reported - start) / 60:5.1f} min: now {sum(processes.values()):.0f} MB, peak so far "
                      f"{peak[0]:.0f} MB ({peak_line()}); load {load_average()}", flush=True)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    stop.set()
    sampler.join()
    wall = time.perf_counter() - start
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return subprocess.CompletedProcess(command, proc.returncode, out, err), wall, cpu, peak[0]


def peak_line() -> str:
    """The processes at the peak, largest first."""
    return ", ".join(f"{name} {mb:.0f} MB" for name, mb in sorted(PEAK_PROCESSES.items(), key=lambda item: -item[1]))


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


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


def crebis_build(root: Path, jobs: int, kinds: str = "site", progress: float = 0) -> dict:
    """One `crebis build` in a fresh process (the web edition: one pandoc run per document, like the floor)."""
    proc, _wall, cpu, tree = run_sampled([sys.executable, "-c", _CRERIS_RUN, str(root), str(jobs), kinds], REPO,
                                         progress=progress)
    assert proc.returncode == 0, proc.stderr
    return {**json.loads(proc.stdout.strip().splitlines()[-1]), "cpu": cpu, "tree_mb": tree}


def crebis_command(root: Path, *args: str) -> tuple[float, float, subprocess.CompletedProcess, float]:
    """Run the real `crebis` executable in `root`: wall seconds, peak RSS in MB (its process), the result,
    CPU seconds."""
    proc, wall, cpu, _tree = run_sampled(["/usr/bin/time", "-f", "%M", sys.executable, "-c",
                                          "from pipeline.cli import run; run()", *args], root)
    rss = int(proc.stderr.strip().splitlines()[-1]) / 1024
    return wall, rss, proc, cpu


def best_of(runs: int, command: list[str]) -> float:
    """The fastest of `runs` wall times of `command` (start-up is noisy on a shared machine)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True, cwd=REPO)
        times.append(time.perf_counter() - start)
    return min(times)


def no_op_and_check(root: Path, documents: int) -> tuple[float, float, float, float]:
    """(e) and (f) on one project: seconds of a warm dry run of every kind, its peak MB, seconds of `crebis check`,
    CPU seconds of a stamped no-op (after a build of the digests)."""
    crebis_command(root, "build", "--dry-run")  # warms the check cache, as a first build would
    dry, rss, proc, dry_cpu = crebis_command(root, "build", "--dry-run")
    assert "to build" in proc.stdout, proc.stderr
    check, _, _, check_cpu = crebis_command(root, "check")
    print(f"    {documents:>5} documents: no-op (dry run, every kind, no stamp) {dry:6.2f} s wall / {dry_cpu:.2f} s "
          f"CPU ({dry_cpu / documents * 1000:.2f} ms CPU/doc, peak {rss:.0f} MB); crebis check {check:6.2f} s wall / "
          f"{check_cpu:.2f} s CPU ({check_cpu / documents * 1000:.2f} ms CPU/doc)")
    crebis_command(root, "build", "--only", "digest")
    stamped, _, proc, stamped_cpu = crebis_command(root, "build", "--only", "digest")
    assert proc.returncode == 0, proc.stderr
    print(f"    {documents:>5} documents: stamped no-op (--only digest) {stamped:6.3f} s wall / {stamped_cpu:.3f} s "
          f"CPU ({stamped_cpu / documents * 1000:.3f} ms CPU/doc)")
    return dry_cpu, rss, check_cpu, stamped_cpu


def hugo_line(root: Path, documents: int) -> None:
    """(h): hugo rendering as many Markdown pages (the same bodies), when it is installed."""
    hugo = shutil.which("hugo")
    if hugo is None:
        print("(h) hugo                                not installed (apt-get install hugo): no comparison")
        return
    site = root.parent / "hugo-site"
    (site / "content").mkdir(parents=True)
    (site / "hugo.toml").write_text('baseURL = "https://example.org/"\ntitle = "bench"\n', encoding="utf-8")
    (site / "layouts/_default").mkdir(parents=True)
    (site / "layouts/_default/single.html").write_text("<html><body>{{ .Content }}</body></html>", encoding="utf-8")
    (site / "layouts/_default/list.html").write_text("<html><body>{{ range .Pages }}{{ .Title }}{{ end }}"
                                                     "</body></html>", encoding="utf-8")
    for i, md in enumerate(sorted((root / "content/results").glob("*/*.md"))[:documents]):
        body = md.read_text(encoding="utf-8").split("\n---\n", 1)[-1]
        (site / "content" / f"page-{i}.md").write_text(f'---\ntitle: "Page {i}"\n---\n{body}', encoding="utf-8")
    start = time.perf_counter()
    subprocess.run([hugo, "--quiet", "-s", str(site)], check=True, capture_output=True)
    elapsed = time.perf_counter() - start
    print(f"(h) hugo, {documents} pages from scratch       {elapsed:7.2f} s")


def full_build(root: Path, args: argparse.Namespace) -> None:
    """(i): a cold build of every kind at `args.full` results, for its peak memory."""
    documents = len(make_project(root, args.full))
    print(f"(i) full build of every kind, {documents} documents; load average {load_average()}", flush=True)
    outcome = crebis_build(root, args.jobs, ",".join(("site", "brief", "newsletter", "summary", "digest", "social")),
                           progress=args.progress)
    print(f"    {outcome['seconds']:.1f} s, CPU {outcome['cpu']:.1f} s, {len(outcome['built'])} outputs; peak memory "
          f"of the whole tree {outcome['tree_mb']:.0f} MB (crebis {outcome['maxrss_mb']:.0f} MB; target < 1 GB at "
          f"6,000)")
    print(f"    at the peak: {peak_line()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", type=int, default=200)
    parser.add_argument("--scale", type=int, default=2000, help="results of the scale run (0: none)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--full", type=int, default=0, help="results of a full build of every kind, for its "
                        "memory (0: none)")
    parser.add_argument("--only-full", action="store_true", help="only the full build (i)")
    parser.add_argument("--progress", type=float, default=300, help="seconds between the full build's peak "
                        "reports (0: none)")
    args = parser.parse_args()
    if args.only_full:
        with tempfile.TemporaryDirectory(prefix="crebis-bench-") as tmp:
            full_build(Path(tmp) / "full", args)
        return
    with tempfile.TemporaryDirectory(prefix="crebis-bench-") as tmp:
        root = Path(tmp) / "project"
        files = make_project(root, args.results)
        print(f"{args.results} results x 3 languages = {len(files)} documents, {args.jobs} workers; "
              f"load average {load_average()}")

        floor = bare_pandoc(files, root, args.jobs)
        print(f"(a) bare pandoc -s per document       {floor:7.2f} s  ({floor / len(files) * 1000:.1f} ms/doc)")

        cold = crebis_build(root, args.jobs)
        assert cold["ok"], cold
        print(f"(b) crebis cold build                 {cold['seconds']:7.2f} s  {len(cold['built'])} targets, "
              f"ratio to floor {cold['seconds'] / floor:.2f} (target <= 1.5)  CPU {cold['cpu']:.1f} s  peak "
              f"{cold['maxrss_mb']:.0f} MB (whole tree {cold['tree_mb']:.0f} MB)")

        noop = crebis_build(root, args.jobs)
        assert not noop["built"], noop["built"]
        crebis_command(root, "build", "--only", "site")  # the stamp of these options, if the API build left none
        runs = [crebis_command(root, "build", "--only", "site") for _ in range(3)]
        seconds, rss, _, cpu = min(runs, key=lambda run: run[0])
        print(f"(c) no-op rebuild (crebis build)      {seconds:7.2f} s wall, {cpu:.2f} s CPU  {noop['fresh']} up to "
              f"date (target <= 0.5 s; best of 3)  peak {rss:.0f} MB")
        (root / ".crebis/buildstamp.json").unlink()
        seconds, rss, _, cpu = crebis_command(root, "build", "--only", "site")
        print(f"    without the stamp                 {seconds:7.2f} s wall, {cpu:.2f} s CPU  (reads, checks from "
              f"cache, fingerprints)  peak {rss:.0f} MB")

        edited = files[len(files) // 2]
        edited.write_text(edited.read_text(encoding="utf-8") + "\nOne more sentence.\n", encoding="utf-8")
        slug, lang = edited.parent.name, edited.stem
        touched = crebis_build(root, args.jobs)
        own = all(f"/{slug}/" in out for out in touched["built"])
        print(f"(d) rebuild after editing {slug}/{lang}.md {touched['seconds']:6.2f} s wall, {touched['cpu']:.2f} s "
              f"CPU (Pagefind re-indexing the site {touched['search_seconds']:.2f} s of it; the unstamped path, as "
              f"every edit and `crebis serve` pay)  rebuilt {touched['built']} -> only that result's targets: {own}")
        peak = max(cold["maxrss_mb"], noop["maxrss_mb"], touched["maxrss_mb"])
        print(f"peak memory of crebis {peak:.0f} MB (target < 500 MB); largest pandoc worker "
              f"{cold['child_maxrss_mb']:.0f} MB")

        print("(e, f) no-op and check, growing with the project:")
        small = no_op_and_check(root, len(files))
        python = best_of(5, [sys.executable, "-c", "pass"])
        help_time = best_of(5, [sys.executable, "-c", "from pipeline.cli import run; run()", "--help"])
        print(f"(g) crebis --help                     {help_time * 1000:7.0f} ms (target <= 150 ms; "
              f"python alone {python * 1000:.0f} ms)")
        hugo_line(root, len(files))
        if args.scale:
            big = Path(tmp) / "scale"
            documents = len(make_project(big, args.scale))
            large = no_op_and_check(big, documents)
            growth = documents / len(files)
            print(f"    per document, {documents} vs {len(files)} (CPU): no-op x{large[0] / small[0] / growth:.2f}, "
                  f"check x{large[2] / small[2] / growth:.2f}, stamped no-op x{large[3] / small[3] / growth:.2f} "
                  f"(1.00 = linear); peak {large[1]:.0f} MB")
        if args.full:
            full_build(Path(tmp) / "full", args)
        print(f"load average at the end {load_average()}")


if __name__ == "__main__":
    main()
