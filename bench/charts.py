"""Benchmark of charts from data: N charts x 3 languages x every drawing a build uses, in one process.

    python bench/charts.py [--charts 100]

Generates N CSV + Vega-Lite spec pairs (varied rows and values, the shape of the sample's
grouped bar chart) and draws each in fr, nl and en as a build does (render_all): the chart as its
spec lays it out (the web SVG, the print SVG for the PDF brief, the PNG at 2x for DOCX and email:
one Vega drawing) and the narrow one (phones and the summary PDF: a second Vega drawing), with the
label check, brand and locale of a build; the PNG is rasterised in a worker process while the narrow
drawing is made, as in a build. Prints the median and 95th percentile time per chart and language, in
wall time and in CPU time (this process's, vl-convert's threads included: steadier than wall time on
a loaded machine; the raster worker's CPU is given over the pass), the first chart apart (vl-convert
starts its JavaScript engine then), each part alone on every tenth (wide Vega drawing, narrow Vega
drawing, PNG from the SVG), the same charts drawn by as many threads as the build has workers (its
throughput), a second build's cost (the chart store by fingerprint), the peak memory (this process
and the largest raster worker) and the load average before and after (on a shared machine the
figures mean little above 1 per core).

Targets (2-core machine): median per chart and language <= 50 ms; peak memory <= 300 MB.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import vl_convert

from pipeline.config import Brand
from pipeline.render import charts, raster_worker

SPEC = """title: "{title}"
width: 420
mark: bar
translate: [group]
encoding:
  y: {field: group, type: nominal, title: null}
  yOffset: {field: year, type: nominal}
  x: {field: share, type: quantitative, title: "{x}", axis: {format: "%"}}
  color: {field: year, type: nominal, title: "{year}"}
"""


def make(folder: Path, i: int, rng: random.Random) -> tuple[charts.ChartSource, dict[str, dict[str, str]]]:
    groups = [f"g{j}" for j in range(rng.randint(2, 8))]
    rows = [f"{g},{y},{rng.random():.3f}" for g in groups for y in (2024, 2025)]
    data, spec = folder / f"c{i}.csv", folder / f"c{i}.vl.yaml"
    data.write_text("group,year,share\n" + "\n".join(rows) + "\n", encoding="utf-8")
    spec.write_text(SPEC, encoding="utf-8")
    labels = {lang: {"title": f"Chart {i} ({lang})", "x": f"Share ({lang})", "year": "Year",
                     **{f"group.{g}": f"Group {g} ({lang})" for g in groups}} for lang in ("fr", "nl", "en")}
    return charts.ChartSource(data, spec), labels


def _children() -> list[int]:
    """This process's child processes (Linux)."""
    pids: list[int] = []
    for task in Path("/proc/self/task").iterdir():
        pids += [int(pid) for pid in (task / "children").read_text().split()]
    return pids


def _peak_rss(pid: int) -> int:
    """A process's peak resident memory in KB since it started its program (VmHWM: a child's RUSAGE_CHILDREN
    figure would count the parent's pages it was forked with)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def _reference() -> float:
    """The median time of one fixed Vega drawing with no text: how fast the machine runs vl-convert just now."""
    spec = {"mark": "bar", "width": 420, "height": 200, "data": {"values": [{"a": i, "b": i % 7} for i in range(24)]},
            "encoding": {"x": {"field": "a", "type": "ordinal", "axis": None},
                         "y": {"field": "b", "type": "quantitative", "axis": None}}}
    times = []
    for _ in range(50):
        t0 = time.perf_counter()
        vl_convert.vegalite_to_svg(spec)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--charts", type=int, default=100, help="charts to generate (default 100)")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    rng, brand = random.Random(15), Brand()
    per_chart: list[float] = []
    per_chart_cpu: list[float] = []
    parts: dict[str, list[float]] = {"wide SVG (Vega)": [], "narrow SVG (Vega)": [], "PNG 2x (resvg)": []}
    with tempfile.TemporaryDirectory() as tmp:
        sources = [make(Path(tmp), i, rng) for i in range(args.charts)]
        start, times_before = time.perf_counter(), os.times()
        for source, labels in sources:
            for lang in ("fr", "nl", "en"):
                t0, c0 = time.perf_counter(), time.process_time()  # what a build does for one chart and language
                chart = charts.chart(source, lang, labels[lang], "bench.md")
                charts.fingerprint(source, lang, labels[lang], brand)
                drawn = charts.render_all(chart, brand)
                per_chart.append(time.perf_counter() - t0)
                per_chart_cpu.append(time.process_time() - c0)
                if len(per_chart) % 10 == 1:  # each part alone, on a sample of the charts
                    printed = drawn["print"].decode("utf-8")
                    for times, draw in zip(parts.values(), (
                            lambda c=chart: charts.render(c, brand, "svg"),
                            lambda c=chart: charts.render(charts.narrow(c), brand, "svg", "narrow"),
                            lambda svg=printed: charts.png_from_svg(svg)), strict=True):
                        t1 = time.perf_counter()
                        draw()
                        times.append(time.perf_counter() - t1)
        total = time.perf_counter() - start
        reference = _reference()
        raster_worker.close_workers()  # stopped and waited for, so that their CPU time is counted as the children's
        times_after = os.times()
        workers = os.cpu_count() or 1  # the build's default jobs
        t4 = time.perf_counter()
        def draw(job: tuple[charts.ChartSource, dict[str, dict[str, str]], str]) -> None:
            source, labels, lang = job  # drawn and dropped, as a build writes each chart to the store
            charts.render_all(charts.chart(source, lang, labels[lang], "bench.md"), brand)
        with ThreadPoolExecutor(workers) as pool:
            for _ in pool.map(draw, [(s, labels, lang) for s, labels in sources for lang in ("fr", "nl", "en")]):
                pass
        threaded = (time.perf_counter() - t4) / (3 * len(sources))
        chart_store = charts.ChartStore(Path(tmp) / "store")
        source, labels = sources[0]
        chart_store.files(source, "fr", labels["fr"], brand, "bench.md")
        t3 = time.perf_counter()
        for _ in range(10):
            chart_store.files(source, "fr", labels["fr"], brand, "bench.md")
        again = (time.perf_counter() - t3) / 10
    first, rest, cpu = per_chart[0], per_chart[1:] or per_chart, per_chart_cpu[1:] or per_chart_cpu
    ms = lambda s: f"{s * 1000:.1f} ms"  # noqa: E731
    p95 = lambda t: ms(statistics.quantiles(t, n=20)[-1]) if len(t) > 1 else ms(t[0])  # noqa: E731
    print(f"{args.charts} charts x 3 languages x every drawing (web, print, narrow web, narrow print SVG; PNG 2x): "
          f"{total:.1f} s")
    print(f"first chart (engine start-up): {ms(first)}")
    print(f"machine's pace: a Vega drawing of bars alone (no text to measure) takes {ms(reference)} (median of 50; "
          "the figures below scale with it on a shared machine)")
    drawings = len(per_chart)  # user and system time apart: vl-convert opens its font file again for each glyph
    user, system, worker_user, worker_system = ((t1 - t0) / drawings for t1, t0 in zip(
        times_after[:4], times_before[:4], strict=True))
    print(f"CPU per chart and language over the pass (start-up and sampled parts in): user {ms(user)}, "
          f"system {ms(system)}; raster worker {ms(worker_user + worker_system)}")
    print(f"per chart and language, every drawing: median {ms(statistics.median(rest))}, p95 {p95(rest)} wall "
          f"(target <= 50 ms); this process's CPU median {ms(statistics.median(cpu))}, p95 {p95(cpu)}")
    for name, times in parts.items():
        print(f"  {name} alone: median {ms(statistics.median(times[1:] or times))}")
    print(f"with {workers} threads, as the build's workers: {ms(threaded)} per chart and language (throughput)")
    print(f"chart already in the store (a second build): {ms(again)}")
    worker_peak = max(map(_peak_rss, _children()), default=0) / 1024  # the raster workers of the threaded pass
    raster_worker.close_workers()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {peak:.0f} MB, and {worker_peak:.0f} MB the largest raster worker (target <= 300 MB)")
    print(f"load average (1 min): {load_before:.1f} before, {os.getloadavg()[0]:.1f} after")


if __name__ == "__main__":
    main()
