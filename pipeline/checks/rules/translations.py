"""Translation rules: a configured language missing for a result, an edition left behind by its siblings."""

from __future__ import annotations

import subprocess
from collections.abc import Iterable, Iterator
from pathlib import Path

from pipeline.checks.findings import Finding
from pipeline.config import CheckOptions

LANGUAGE_FILES = {"fr": "French", "nl": "Dutch", "en": "English"}
DAY = 86400.0


def resolved(path: Path, folders: dict[Path, Path]) -> Path:
    """`path.resolve()`, the folder resolved once for all its files (in `folders`): resolving walks every part
    of a path, and every edition's was ~4 % of a check of 600 documents."""
    folder = folders.get(path.parent)
    if folder is None:
        folder = folders[path.parent] = path.parent.resolve()
    return path.resolve() if path.is_symlink() else folder / path.name


def change_times(root: Path, files: Iterable[Path]) -> dict[Path, float]:
    """When each file last changed: its last commit if tracked and unmodified, else its modification time."""
    folders: dict[Path, Path] = {}
    files = [resolved(f, folders) for f in files]
    times = {f: f.stat().st_mtime for f in files if f.exists()}
    try:
        status = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "-z", "--", "content"],
                                capture_output=True, text=True, check=True).stdout
        log = subprocess.run(["git", "-C", str(root), "log", "--format=%x00%ct", "--name-only", "--", "content"],
                             capture_output=True, text=True, check=True).stdout
        top = Path(subprocess.run(["git", "-C", str(root), "rev-parse", "--show-toplevel"],
                                  capture_output=True, text=True, check=True).stdout.strip()).resolve()
    except (OSError, subprocess.CalledProcessError):
        return times  # not a git repository, or no git: modification times
    dirty = {(top / entry[3:]).resolve() for entry in status.split("\0") if len(entry) > 3}
    committed: dict[Path, float] = {}
    for chunk in log.split("\0"):
        lines = chunk.strip().split("\n")
        if not lines or not lines[0].isdigit():
            continue
        when = float(lines[0])
        for name in lines[1:]:
            if name:
                committed.setdefault((top / name).resolve(), when)
    for path in files:
        if path in committed and path not in dirty:
            times[path] = committed[path]
    return times


def translations(directory: Path, relative: str, languages: list[str], times: dict[Path, float],
                 options: CheckOptions) -> Iterator[Finding]:
    """Missing language editions of one result, and editions changed long before all their siblings."""
    rule = options.translations
    if not rule.enabled:
        return
    present = [lang for lang in languages if (directory / f"{lang}.md").is_file()]
    if not present:
        return  # the loader reports a result without any edition
    for lang in languages:
        if lang not in present:
            yield Finding(f"{relative}/{lang}.md", None, None, rule.severity, "translation-missing",
                          f"no {LANGUAGE_FILES[lang]} edition of this result ({', '.join(f'{x}.md' for x in present)}"
                          f" {'exists' if len(present) == 1 else 'exist'})",
                          f"Translate {present[0]}.md into {lang}.md")
    folders: dict[Path, Path] = {}
    stamps = {lang: times.get(resolved(directory / f"{lang}.md", folders)) for lang in present}
    for lang, when in stamps.items():
        others = [t for other, t in stamps.items() if other != lang and t is not None]
        if when is None or not others:
            continue
        lag = min(others) - when
        if lag > rule.stale_days * DAY:
            newest = max((other for other in stamps if other != lang), key=lambda o: stamps[o] or 0)
            yield Finding(f"{relative}/{lang}.md", None, None, rule.severity, "translation-stale",
                          f"this edition last changed {lag / DAY:.0f} days before every other language edition: "
                          "it may be out of date",
                          f"Compare it with {newest}.md and bring it up to date")
