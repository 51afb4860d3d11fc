"""Benchmark of charts from data: N charts x 3 languages x every format a build uses, in one process.

    python bench/charts.py [--charts 100]

Generates N CSV + Vega-Lite spec pairs (varied rows and values, the shape of the sample's
grouped bar chart) and draws each in fr, nl and en in every format a build uses: the web SVG,
the print SVG (Typst's, for the PDF brief and summary) and the PNG at 2x (DOCX and email), with
the label check, brand and locale of a build. Prints the median and 95th percentile time per
chart and language (all formats together through render_all, one Vega drawing for every format;
each format alone on every tenth), the first chart apart (vl-convert starts its JavaScript engine
then), the baseline of one Vega drawing per format on the same sample (the ratio is what counts on
a loaded machine), the same charts drawn by as many threads as the build has workers (its
throughput), a second build's cost (the chart store by fingerprint), the peak memory and the load
average before and after (on a shared machine the figures mean little above 1 per core).

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

from pipeline.config import Brand
from pipeline.render import charts

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--charts", type=int, default=100, help="charts to generate (default 100)")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    rng, brand = random.Random(15), Brand()
    per_chart: list[float] = []
    per_format: dict[str, list[float]] = {f: [] for f in charts.FORMATS}
    baseline: list[float] = []
    sampled: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        sources = [make(Path(tmp), i, rng) for i in range(args.charts)]
        start = time.perf_counter()
        for source, labels in sources:
            for lang in ("fr", "nl", "en"):
                t0 = time.perf_counter()  # what a build does for one chart and language
                chart = charts.chart(source, lang, labels[lang], "bench.md")
                charts.fingerprint(source, lang, labels[lang], brand)
                charts.render_all(chart, brand)
                per_chart.append(time.perf_counter() - t0)
                if len(per_chart) % 10 == 1:  # each format alone, on a sample of the charts
                    sampled.append(per_chart[-1])
                    t2 = time.perf_counter()
                    for fmt in charts.FORMATS:
                        t1 = time.perf_counter()
                        charts.render(chart, brand, fmt)
                        per_format[fmt].append(time.perf_counter() - t1)
                    baseline.append(time.perf_counter() - t2)
        total = time.perf_counter() - start
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
    first, rest = per_chart[0], per_chart[1:] or per_chart
    ms = lambda s: f"{s * 1000:.1f} ms"  # noqa: E731
    print(f"{args.charts} charts x 3 languages x every format (web SVG, print SVG, PNG 2x): {total:.1f} s")
    print(f"first chart (engine start-up): {ms(first)}")
    print(f"per chart and language, every format: median {ms(statistics.median(rest))}, "
          f"p95 {ms(statistics.quantiles(rest, n=20)[-1]) if len(rest) > 1 else ms(rest[0])} (target <= 50 ms)")
    for fmt, times in per_format.items():  # each alone: the SVG is one Vega drawing, the PNG that drawing + resvg
        print(f"  {fmt} alone: median {ms(statistics.median(times[1:] or times))}")
    base, now = statistics.median(baseline[1:] or baseline), statistics.median(sampled[1:] or sampled)
    print(f"baseline, one Vega drawing per format (same charts): median {ms(base)}; "
          f"render_all takes {now / base:.2f} of it")
    print(f"with {workers} threads, as the build's workers: {ms(threaded)} per chart and language (throughput)")
    print(f"chart already in the store (a second build): {ms(again)}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {peak:.0f} MB (target <= 300 MB)")
    print(f"load average (1 min): {load_before:.1f} before, {os.getloadavg()[0]:.1f} after")


if __name__ == "__main__":
    main()
