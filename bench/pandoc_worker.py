"""Memory and CPU of one pandoc worker serving a build's requests.

    python bench/pandoc_worker.py [--results 10] [--requests 400] [--script other-worker.lua]

Builds a generated project of every kind once, recording each request the build sends to its
pandoc workers, then replays them (shuffled, repeated up to REQUESTS: a worker retires after
`pipeline.render.pandoc.MAX_REQUESTS_PER_WORKER`) to one fresh worker started as the build starts
them, and prints the worker's peak memory (PSS, sampled every 20 ms), its memory at the end and
its CPU time. `--script` replays the same requests to another worker script too, for a comparison
in the same run. CPU times vary with the machine's load, printed beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import threading
import time
from pathlib import Path

from sample_project import make_project

import pipeline.render.pandoc as pandoc
from pipeline.project import Project
from pipeline.publish import build
from pipeline.render.workers import Worker

KINDS = {"site", "brief", "newsletter", "summary", "digest", "social"}


def record(root: Path) -> list[dict]:
    """The requests a build of every kind of `root` sends to pandoc."""
    requests: list[dict] = []
    ask = pandoc._Worker.ask

    def recording(worker, request):
        requests.append(request)
        return ask(worker, request)

    pandoc._Worker.ask = recording
    try:
        outcome = build(Project.open(root), only=KINDS, search=False)
    finally:
        pandoc._Worker.ask = ask
    assert outcome.ok, "the generated project did not build"
    return requests


def pss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("Pss:")) / 1024


def replay(requests: list[dict], script: Path) -> tuple[float, float, float]:
    """Peak and final PSS in MB and CPU seconds of one worker running `script`."""
    worker = Worker([pandoc.pandoc_path(), "+RTS", f"-H{pandoc.HEAP_HINT_MB}m", "-RTS", "lua", str(script)],
                    pandoc.MEMORY_LIMIT_MB, preexec_fn=pandoc._memory_bound(pandoc.MEMORY_LIMIT_MB))
    peak, stop = [0.0], threading.Event()

    def sample() -> None:
        while not stop.wait(0.02):
            try:
                peak[0] = max(peak[0], pss_mb(worker.proc.pid))
            except (OSError, StopIteration):
                return

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    failed = sum(worker.exchange(json.dumps(request).encode() + b"\n")[0] != "OK" for request in requests)
    assert not failed, f"{failed} of the build's requests failed when replayed"
    stop.set()
    sampler.join()
    with open(f"/proc/{worker.proc.pid}/stat", encoding="ascii") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    end = pss_mb(worker.proc.pid)
    worker.retire()
    return max(peak[0], end), end, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", type=int, default=10)
    parser.add_argument("--requests", type=int, default=pandoc.MAX_REQUESTS_PER_WORKER)
    parser.add_argument("--script", type=Path, help="another worker script, replayed the same requests")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="crebis-bench-") as tmp:
        make_project(Path(tmp), args.results)
        started = time.perf_counter()
        requests = record(Path(tmp))
        print(f"{args.results} results: a build of every kind sent {len(requests)} requests to pandoc "
              f"({time.perf_counter() - started:.0f} s); load average {os.getloadavg()[0]:.2f}")
        random.Random(1).shuffle(requests)
        requests = (requests * (args.requests // len(requests) + 1))[:args.requests]
        for script in (pandoc._WORKER_SCRIPT, *([args.script] if args.script else [])):
            peak, end, cpu = replay(requests, script)  # in the project: requests name its files
            print(f"{script.name:24} {len(requests)} requests: peak {peak:4.0f} MB, at the "
                  f"end {end:4.0f} MB, CPU {cpu:5.1f} s; load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
