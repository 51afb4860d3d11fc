"""A generated project for the benchmarks: N results cloned from the sample content."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pipeline.scaffold import init_project  # noqa: E402


def make_project(root: Path, count: int) -> list[Path]:
    """A project with `count` results cloned from the samples (citations, figures); returns every Markdown file."""
    init_project(root)
    staging = root / "samples"
    shutil.move(root / "content/results", staging)
    samples = sorted(p for p in staging.iterdir() if p.is_dir())
    (root / "content/results").mkdir()
    files = []
    for i in range(count):
        sample = samples[i % len(samples)]
        target = root / "content/results" / f"{sample.name}-{i:03d}"
        shutil.copytree(sample, target)
        for md in sorted(target.glob("*.md")):
            text = md.read_text(encoding="utf-8")
            text = re.sub(r'^title: "(.*)"$', rf'title: "\1 ({i})"', text, count=1, flags=re.M)
            md.write_text(text, encoding="utf-8")
            files.append(md)
    shutil.rmtree(staging)
    # the sample newsletter features the sample slugs, which the clones renamed
    shutil.rmtree(root / "content/newsletters", ignore_errors=True)
    return files
