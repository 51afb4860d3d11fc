"""Benchmark `crebis check`: 600 documents (200 results × FR/NL/EN) checked in one run, target under 2 s,
with the syllable counter's accuracy per language printed beside it.

    python bench/check.py [--results 200] [--scale] [--keep DIR]

With --scale, the fresh-process check is also run on ten times as many results (2,000 results, 6,000
documents), and the time per document at both sizes is printed: the check must grow no faster than the
number of documents (ratio close to 1). With --keep, the generated project is written to DIR and left there,
so that a change to the check can be compared with `crebis -C DIR check --format json` before and after.

The results are the sample content's three studies copied under new names, each
copy with a sentence of its own so that not every text is the same. Accuracy is
measured per language against hand counts made independently of the counter
(tests/fixtures/syllables/<lang>.tsv): on the words the pronunciation dictionary has
and on those it lacks (counted by inflection, compound or spelling rules), and on the
running words of the sample content; and the spelling rules alone against 5,000
random dictionary words.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pipeline.checks import check_project  # noqa: E402
from pipeline.checks.syllables import DICTIONARIES, RULES, counter  # noqa: E402
from pipeline.checks.text import WORD  # noqa: E402
from pipeline.project import Project  # noqa: E402

LANGS = ("fr", "nl", "en")
EXTRA = {"fr": "Cette copie porte le numéro {i} et sert au banc d'essai.",
         "nl": "Deze kopie draagt nummer {i} en dient voor de test.",
         "en": "This copy is number {i} and serves the benchmark."}


def make_project(root: Path, results: int) -> None:
    shutil.copy(REPO / "crebis.toml", root / "crebis.toml")
    shutil.copytree(REPO / "layouts", root / "layouts")
    (root / "content").mkdir()
    shutil.copy(REPO / "content" / "themes.yaml", root / "content" / "themes.yaml")
    shutil.copy(REPO / "content" / "references.bib", root / "content" / "references.bib")  # the results cite it
    shutil.copytree(REPO / "content" / "glossary", root / "content" / "glossary")
    samples = sorted(p for p in (REPO / "content" / "results").iterdir() if p.is_dir())
    for i in range(results):
        target = root / "content" / "results" / f"{samples[i % len(samples)].name}-{i}"
        shutil.copytree(samples[i % len(samples)], target)
        for lang in LANGS:
            md = target / f"{lang}.md"
            md.write_text(md.read_text(encoding="utf-8") + "\n" + EXTRA[lang].format(i=i) + "\n", encoding="utf-8")


def accuracy() -> list[str]:
    rows = []
    for lang in LANGS:
        reference = {}
        for line in (REPO / "tests/fixtures/syllables" / f"{lang}.tsv").read_text(encoding="utf-8").splitlines():
            if line and not line.startswith("#"):
                word, count, _ = line.split("\t")
                reference[word] = int(count)
        c = counter(lang)
        found = {w: c.source(w) == "dictionary" for w in reference}
        parts = []
        for label, in_dictionary in (("in the dictionary", True), ("outside it", False)):
            words = [w for w in reference if found[w] == in_dictionary]
            right = sum(c.count(w) == reference[w] for w in words)
            parts.append(f"{right / len(words):6.1%} of {len(words)} words {label}")
        tokens = Counter()
        for md in (REPO / "content/results").glob(f"*/{lang}.md"):
            tokens.update(w.lower() for w in WORD.findall(md.read_text(encoding="utf-8")) if w.lower() in reference)
        running = sum(n for w, n in tokens.items() if c.count(w) == reference[w]) / sum(tokens.values())
        dictionary = DICTIONARIES[lang]
        words = sorted(w for w in dictionary.entries if w.isalpha())
        sample = random.Random(1).sample(words, 5000)
        rules = sum(RULES[lang](w) == dictionary.get(w) for w in sample) / len(sample)
        rows.append(f"  {lang}: hand counts {', '.join(parts)}; {running:.1%} of "
                    f"{sum(tokens.values())} running words of the sample; rules alone agree with the "
                    f"{dictionary.name} on {rules:.1%} of 5,000 words")
    return rows


def calibrate() -> list[str]:
    """The readability targets carried across languages by the sample's translations (see pipeline/config.py)."""
    from statistics import mean

    from pipeline.checks.readability import flesch_formula

    report = check_project(Project.open(REPO))
    rows = []
    anchors = {("score", "summary"): ("en", 60.0), ("score", "brief"): ("en", 30.0),
               ("score", "newsletter"): ("en", 60.0), ("lix", "summary"): ("fr", 45.0),
               ("lix", "brief"): ("fr", 62.0), ("lix", "newsletter"): ("fr", 45.0)}
    for kind in ("summary", "brief", "newsletter"):
        means = {}
        for lang in LANGS:
            docs = [d for d in report.documents if d.language == lang and d.kind == kind]
            means[lang] = (mean(d.readability[flesch_formula(lang)] for d in docs),
                           mean(d.readability["lix"] for d in docs))
        for index, scale in enumerate(("score", "lix")):
            anchor_lang, anchor = anchors[(scale, kind)]
            shift = {lang: means[lang][index] - means[anchor_lang][index] for lang in LANGS}
            cells = [f"{lang} {means[lang][index]:5.1f} → {anchor + shift[lang]:5.1f}" for lang in LANGS]
            rows.append(f"  {kind:10} {scale:5}: mean on the sample → target ({anchor_lang} anchored at {anchor:g}): "
                        + "; ".join(cells))
    return rows


def fresh_check(root: Path, jobs: int | None = None) -> tuple[float, float]:
    """Seconds `crebis check --format json` takes in a new process, as a user runs it (with `--jobs` if given):
    elapsed, and the CPU time its processes used (less sensitive to a busy machine than the elapsed time)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "pipeline", "-C", str(root), "check", "--format", "json",
                           *(["--jobs", str(jobs)] if jobs else [])], capture_output=True, text=True, cwd=REPO)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert proc.returncode in (0, 1) and json.loads(proc.stdout)["documents"], proc.stderr
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def scale(results: int, small: tuple[float, float]) -> list[str]:
    """The fresh check on ten times `results`, per document against the `small` run's (elapsed and CPU)."""
    with tempfile.TemporaryDirectory() as tmp:
        make_project(Path(tmp), results * 10)
        large = fresh_check(Path(tmp))
    rows = []
    for index, what in enumerate(("elapsed", "CPU")):
        per_small, per_large = small[index] / (results * 3) * 1000, large[index] / (results * 30) * 1000
        rows.append(f"  scale ({what}): {results * 3} documents {small[index]:.2f} s ({per_small:.2f} ms/doc), "
                    f"{results * 30} documents {large[index]:.2f} s ({per_large:.2f} ms/doc): "
                    f"×{per_large / per_small:.2f} per document (target ≤ ×1.1, as the number of documents)")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=int, default=200)
    parser.add_argument("--scale", action="store_true", help="also check ten times as many results, and compare "
                        "the time per document")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="write the generated project to DIR (a new "
                        "folder) and keep it")
    parser.add_argument("--calibrate", action="store_true", help="print the readability targets the sample's "
                        "translations give, and stop")
    args = parser.parse_args()
    if args.calibrate:
        print("readability targets from the parallel texts of the sample content:")
        print("\n".join(calibrate()))
        return
    if args.keep and args.keep.exists():
        parser.error(f"--keep: {args.keep} exists: give a new folder (a kept project is never written over one)")
    load = os.getloadavg()[0]
    with contextlib.nullcontext(args.keep) if args.keep else tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        if args.keep:
            root.mkdir(parents=True)
        make_project(root, args.results)
        documents = args.results * len(LANGS)
        # A fresh process, as a user runs it: dictionaries loaded, nothing cached.
        cold = fresh_check(root)
        alone = fresh_check(root, jobs=1)
        start = time.perf_counter()
        report = check_project(Project.open(root))
        warm = time.perf_counter() - start
        # The same run without the style and vocabulary rules: their cost as a ratio, whatever the machine's load.
        project = Project.open(root)
        options = project.config.check
        off = {name: dataclasses.replace(getattr(options, name), enabled=False)
               for name in ("passive", "nominalisations", "subordinates", "negations", "rare_words")}
        project = Project(root=project.root,
                          config=dataclasses.replace(project.config, check=dataclasses.replace(options, **off)))
        start = time.perf_counter()
        check_project(project)
        baseline = time.perf_counter() - start
    checked = len({d.path for d in report.documents})
    print(f"crebis check, {documents} documents ({args.results} results × {len(LANGS)} languages), "
          f"{len(report.findings)} findings; load average {load:.1f} at the start:")
    print(f"  full check in a fresh process: {cold[0]:.2f} s (target < 2 s)  {'OK' if cold[0] < 2 else 'SLOW'}; "
          f"CPU time {cold[1]:.2f} s; in one process (--jobs 1) {alone[0]:.2f} s, CPU time {alone[1]:.2f} s")
    print(f"  check_project again in the same process: {warm:.2f} s ({checked} files); without the style and "
          f"rare-word rules {baseline:.2f} s: the new rules cost ×{warm / baseline:.2f}")
    if args.scale:
        print("\n".join(scale(args.results, cold)))
    print("syllable counter accuracy:")
    print("\n".join(accuracy()))


if __name__ == "__main__":
    main()
