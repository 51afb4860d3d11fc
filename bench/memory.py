"""Memory of crebis's own process in a build of every kind, without rendering: a proxy of the full build.

    python bench/memory.py [--results 200 2000] [--mode stub|dry] [--trace 15] [--env NAME=VALUE]

The full build of every kind at 2,000 results (6,000 documents, bench/build.py --full 2000) takes 1.5-2 hours;
this runs its stages that do not render in minutes, on the same generated project, from a cold start (no
outputs, no `.crebis/`): loading, the checks (cold cache), planning the targets, their fingerprints, and

  stub   (default) the build itself, each render replaced by one returning no bytes: every target is written
         (empty) and recorded in the manifest, the report keeps what a real build keeps; the renders' closures
         are kept alive as the real ones are;
  dry    `--dry-run`: the plan and what would be built, nothing written.

It prints, per phase, crebis's resident and proportional memory (RSS, PSS) when the phase ends, its peak RSS,
and the peak PSS of the whole process tree sampled every 0.1 s (it says so if the check forks a process). With
`--trace N`, a second run under tracemalloc prints the N largest allocations by file:line at the end of the phase
where the traced heap was largest (or of `--trace-at PHASE`; tracemalloc's own bookkeeping inflates that run, so
its RSS is not the figure).

What it misses: everything rendering holds (pandoc and typst workers, the bytes of a render in flight, caches
the renderers fill: templates, charts, pandoc's converted HTML), and Pagefind; bench/build.py --full measures
those. Load averages are printed at the start and the end: run it with `nice`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import build as build_bench
from sample_project import REPO, make_project

KINDS = "site,brief,newsletter,summary,digest,social"

_CHILD = r"""
import gc, json, resource, sys, time
TRACE, TRACE_AT = int(sys.argv[3]), sys.argv[4]
if TRACE:
    import tracemalloc
    tracemalloc.start()
from pipeline.project import Project
import pipeline.build, pipeline.publish

phases, snapshot = [], [None, 0, ""]

def memory():
    with open("/proc/self/smaps_rollup", encoding="ascii") as fh:
        fields = dict(line.split()[:2] for line in fh if line.split()[0] in ("Rss:", "Pss:", "Private_Dirty:"))
    return {"rss": int(fields["Rss:"]) / 1024, "pss": int(fields["Pss:"]) / 1024,
            "private": int(fields["Private_Dirty:"]) / 1024}

def mark(name):
    figures = {"phase": name, "time": time.perf_counter(), **memory()}
    if TRACE:
        current, _peak = tracemalloc.get_traced_memory()
        figures["traced"] = current / 1024**2
        if name == TRACE_AT or (not TRACE_AT and current > snapshot[1]):
            snapshot[:] = [tracemalloc.take_snapshot(), current, name]
    phases.append(figures)

def wrap(module, name, before=None, after=None):
    original = getattr(module, name)
    def wrapped(*args, **kwargs):
        if before:
            mark(before)
        try:
            return original(*args, **kwargs)
        finally:
            if after:
                mark(after)
    setattr(module, name, wrapped)

kept = []
def stub(*args, **kwargs):
    targets = list(args[0])
    for target in targets:  # the real closures stay alive beside the stub, as they would in a real build
        kept.append(target.render)
        object.__setattr__(target, "render", bytes)
    return original_run_build(targets, *args[1:], **kwargs)

wrap(pipeline.publish, "plan", after="loaded and planned")
wrap(pipeline.publish, "content_checks", after="checked")
wrap(pipeline.build, "_run", before="fingerprinted", after="built")
original_run_build = pipeline.publish.run_build
if sys.argv[2] == "stub":
    pipeline.publish.run_build = stub
wrap(pipeline.publish, "run_build", after="run_build returned")
mark("imported")
outcome = pipeline.publish.build(Project.open(sys.argv[1]), only=set(KINDS.split(",")), search=False,
                                 dry_run=sys.argv[2] == "dry")
mark("build returned")
top = []
if TRACE:
    stats = snapshot[0].filter_traces([tracemalloc.Filter(False, tracemalloc.__file__)]).statistics("lineno")
    top = [(str(s.traceback[0]), s.size / 1024**2, s.count) for s in stats[:TRACE]]
    top.append((snapshot[2], snapshot[1] / 1024**2, 0))
print(json.dumps({"phases": phases, "maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "outputs": len(outcome.report.built) + len(outcome.report.fresh) + len(outcome.report.changes),
                  "failed": len(outcome.report.failed), "errors": len(outcome.checks.errors), "top": top}))
""".replace("KINDS", repr(KINDS))


def run(root: Path, mode: str, trace: int, env: dict[str, str], trace_at: str = "",
        ) -> tuple[dict, float, dict[str, float]]:
    """One cold build of `root` in a fresh process: its figures, the tree's peak PSS and its processes then."""
    for state in ("outputs", ".crebis"):
        shutil.rmtree(root / state, ignore_errors=True)
    command = [sys.executable, "-c", _CHILD, str(root), mode, str(trace), trace_at]
    proc, wall, cpu, tree = build_bench.run_sampled(command, REPO, env={**os.environ, **env})
    if proc.returncode != 0:
        raise SystemExit(f"the build failed:\n{proc.stderr[-3000:]}")
    figures = json.loads(proc.stdout.strip().splitlines()[-1])
    figures["wall"], figures["cpu"] = wall, cpu
    return figures, tree, dict(build_bench.PEAK_PROCESSES)  # rebound by each sampled run


def report(documents: int, mode: str, figures: dict, tree: float, processes: dict[str, float]) -> None:
    phases = figures["phases"]
    print(f"  {documents} documents, {mode}: {figures['outputs']} outputs ({figures['failed']} failed, "
          f"{figures['errors']} check errors) in {figures['wall']:.1f} s wall, {figures['cpu']:.1f} s CPU")
    start = phases[0]["time"]
    for phase in phases:
        print(f"    {phase['time'] - start:7.1f} s  {phase['phase']:<20} RSS {phase['rss']:6.0f} MB  PSS "
              f"{phase['pss']:6.0f} MB  private {phase['private']:6.0f} MB")
    per_doc = (max(p["pss"] for p in phases) - phases[0]["pss"]) / documents * 1024
    peak = max(p["pss"] for p in phases)
    print(f"    crebis peak RSS {figures['maxrss']:.0f} MB, peak PSS at a phase end {peak:.0f} MB ({per_doc:.0f} KB "
          f"per document above the imports); whole tree peak PSS {tree:.0f} MB: "
          + ", ".join(f"{name} {mb:.0f}" for name, mb in sorted(processes.items(), key=lambda item: -item[1])))
    if len(processes) > 1:
        print("    (more than one process at the peak: a check or a renderer forked from crebis)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", type=int, nargs="+", default=[200, 2000])
    parser.add_argument("--mode", choices=("stub", "dry"), default="stub")
    parser.add_argument("--trace", type=int, default=0, help="print the N largest allocations (a second run)")
    parser.add_argument("--trace-at", default="", help="the phase whose allocations --trace prints (default: "
                        "where the traced heap was largest at a phase end)")
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for the build's process "
                        "(e.g. MALLOC_ARENA_MAX=2)")
    parser.add_argument("--keep", type=Path, help="generate the projects under this folder and reuse them "
                        "(a project already there is used as it is)")
    args = parser.parse_args()
    env = dict(item.split("=", 1) for item in args.env)
    print(f"load average {build_bench.load_average()}" + (f"; environment {env}" if env else ""))
    with tempfile.TemporaryDirectory(prefix="crebis-memory-") as tmp:
        for results in args.results:
            root = (args.keep or Path(tmp)) / f"project-{results}"
            if not (root / "content/results").is_dir():
                make_project(root, results)
            documents = len(list((root / "content/results").glob("*/*.md")))
            report(documents, args.mode, *run(root, args.mode, 0, env))
            if args.trace:
                figures, _tree, _processes = run(root, args.mode, args.trace, env, args.trace_at)
                phase, traced, _ = figures["top"].pop()
                print(f"    largest allocations when '{phase}' ended ({traced:.0f} MB traced, under tracemalloc):")
                for where, mb, count in figures["top"]:
                    print(f"      {mb:7.1f} MB {count:9d} blocks  {where}")
    print(f"load average at the end {build_bench.load_average()}")


if __name__ == "__main__":
    main()
