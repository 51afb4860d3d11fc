"""The build graph: targets with fingerprints, skipped when up to date, run in parallel,
written atomically, and stale outputs removed.

A `Target` is one output file and how to make it. Its fingerprint hashes what
can change the output: its input files, the layout files it uses, the slice of
config it reads and the versions of crebis and the external tools. The
manifest (`.crebis/build.sqlite`) remembers the fingerprint of every output
written, so a second build does nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline import __version__
from pipeline.errors import CrebisError

log = logging.getLogger(__name__)

TMP_SUFFIX = ".crebis-tmp"


@dataclass(frozen=True)
class Rendered:
    """What a renderer may return instead of bare bytes: the output and warnings about it."""

    data: bytes
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Target:
    """One output file: where it goes, what it is made from, and the function that makes it."""

    output: str
    """Path relative to `outputs/`, with forward slashes."""
    kind: str
    """Output family, for `--only`: site, brief, summary, newsletter."""
    source: Path
    """The file a failure is reported against."""
    render: Callable[[], bytes | Rendered] = field(compare=False, repr=False)
    inputs: tuple[Path, ...] = ()
    """Files whose bytes the output depends on (content, layouts, figures)."""
    data: Any = None
    """Anything else the output depends on (config slice, sibling titles): must be JSON-able."""
    lang: str | None = None
    tools: tuple[str, ...] = ()
    """External tools the renderer runs (their versions enter the fingerprint)."""
    copies: tuple[str, ...] = ()
    """Further paths (relative to `outputs/`) that get the same bytes, e.g. a PDF also published on the site."""

    @property
    def outputs(self) -> tuple[str, ...]:
        return (self.output, *self.copies)


@dataclass
class Failure:
    target: Target
    message: str


@dataclass
class Report:
    """What a build did, for the summary table and the exit code."""

    built: list[Target] = field(default_factory=list)
    fresh: list[Target] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    warnings: list[tuple[Target, str]] = field(default_factory=list)
    """Warnings of targets built now or earlier (kept in the manifest, so they are not lost on a no-op build)."""

    @property
    def ok(self) -> bool:
        return not self.failed


class FileDigests:
    """Hashes of input files, each file read once per build, shared across threads."""

    def __init__(self) -> None:
        self._cache: dict[Path, str] = {}
        self._lock = threading.Lock()

    def __call__(self, path: Path) -> str:
        with self._lock:
            cached = self._cache.get(path)
        if cached is None:
            try:
                cached = hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()
            except FileNotFoundError:
                cached = "missing"
            with self._lock:
                self._cache[path] = cached
        return cached


def fingerprint(target: Target, digests: FileDigests, tool_versions: dict[str, str]) -> str:
    """A hash of everything that can change the target's output."""
    h = hashlib.blake2b(digest_size=16)
    h.update(f"crebis {__version__}\0{target.kind}\0{target.output}\0".encode())
    for tool in sorted(target.tools):
        h.update(f"{tool} {tool_versions[tool]}\0".encode())
    for path in sorted(set(target.inputs)):
        h.update(f"{path}\0{digests(path)}\0".encode())
    h.update(json.dumps(target.data, sort_keys=True, default=str).encode())
    return h.hexdigest()


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` via a temp file and a rename, so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}{TMP_SUFFIX}")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


class Manifest:
    """The fingerprint (and warnings) of every output written, in `.crebis/build.sqlite`."""

    SCHEMA = 2

    def __init__(self, path: Path):
        self.db = sqlite3.connect(path)
        self.db.execute("PRAGMA journal_mode=WAL")
        if self.db.execute("PRAGMA user_version").fetchone()[0] != self.SCHEMA:
            # The manifest is a cache: an older layout is dropped, which only costs one full build.
            self.db.execute("DROP TABLE IF EXISTS outputs")
            self.db.execute(f"PRAGMA user_version = {self.SCHEMA}")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS outputs (path TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, "
            "kind TEXT NOT NULL, lang TEXT, source TEXT NOT NULL, warnings TEXT NOT NULL DEFAULT '[]')"
        )
        self.rows = {
            row[0]: row[1:]
            for row in self.db.execute("SELECT path, fingerprint, kind, lang, source, warnings FROM outputs")
        }

    def fingerprint(self, output: str) -> str | None:
        row = self.rows.get(output)
        return row[0] if row else None

    def warnings(self, output: str) -> list[str]:
        row = self.rows.get(output)
        return json.loads(row[4]) if row else []

    def record(self, target: Target, fp: str, source: str, warnings: tuple[str, ...] = ()) -> None:
        for output in target.outputs:
            self.db.execute(
                "INSERT OR REPLACE INTO outputs VALUES (?, ?, ?, ?, ?, ?)",
                (output, fp, target.kind, target.lang, source, json.dumps(list(warnings) if output == target.output
                                                                          else [])),
            )

    def forget(self, output: str) -> None:
        self.db.execute("DELETE FROM outputs WHERE path = ?", (output,))

    def commit(self) -> None:
        self.db.commit()

    def close(self) -> None:
        self.db.commit()
        self.db.close()


@dataclass(frozen=True)
class Scope:
    """Which targets a build covers; stale outputs are only removed within it."""

    kinds: frozenset[str] | None = None
    langs: frozenset[str] | None = None
    keep_sources: tuple[str, ...] = ()
    """Source folders whose content failed to load: their previous outputs are kept, not removed."""

    def covers(self, kind: str, lang: str | None) -> bool:
        return (self.kinds is None or kind in self.kinds) and (self.langs is None or lang is None or lang in self.langs)


def run_build(
    targets: Iterable[Target],
    outputs_dir: Path,
    state_dir: Path,
    tool_versions: dict[str, str],
    scope: Scope = Scope(),
    force: bool = False,
    jobs: int = 0,
    relative: Callable[[Path], str] = str,
    progress: Callable[[int], None] | None = None,
    on_plan: Callable[[int], None] | None = None,
) -> Report:
    """Bring `outputs_dir` up to date with `targets` and return what was done."""
    targets = [t for t in targets if scope.covers(t.kind, t.lang)]
    all_outputs = [o for t in targets for o in t.outputs]
    if len(set(all_outputs)) != len(all_outputs):
        raise CrebisError("two targets write the same output: this is a bug in a renderer")
    report = Report()
    manifest = Manifest(state_dir / "build.sqlite")
    digests = FileDigests()
    _remove_temp_files(outputs_dir)
    try:
        todo: list[tuple[Target, str]] = []
        for target in targets:
            fp = fingerprint(target, digests, tool_versions)
            if (not force and all(manifest.fingerprint(o) == fp for o in target.outputs)
                    and all((outputs_dir / o).exists() for o in target.outputs)):
                report.fresh.append(target)
                report.warnings.extend((target, w) for w in manifest.warnings(target.output))
            else:
                todo.append((target, fp))
        if on_plan:
            on_plan(len(todo))
        workers = jobs or os.cpu_count() or 1
        with ThreadPoolExecutor(max_workers=workers) as pool:
            pending: dict[Future[bytes | Rendered], tuple[Target, str]] = {
                pool.submit(target.render): (target, fp) for target, fp in todo
            }
            done_count = 0
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    target, fp = pending.pop(future)
                    try:
                        rendered = future.result()
                        if not isinstance(rendered, Rendered):
                            rendered = Rendered(rendered)
                        for output in target.outputs:
                            write_atomic(outputs_dir / output, rendered.data)
                    except CrebisError as exc:
                        report.failed.append(Failure(target, str(exc)))
                        for output in target.outputs:
                            manifest.forget(output)
                    except Exception as exc:  # a renderer bug must not stop the other targets
                        log.exception("unexpected error building %s", target.output)
                        report.failed.append(Failure(target, f"{relative(target.source)}: unexpected "
                                                     f"{type(exc).__name__}: {exc}"))
                        for output in target.outputs:
                            manifest.forget(output)
                    else:
                        manifest.record(target, fp, relative(target.source), rendered.warnings)
                        report.built.append(target)
                        report.warnings.extend((target, w) for w in rendered.warnings)
                    done_count += 1
                    if done_count % 50 == 0:
                        manifest.commit()
                    if progress:
                        progress(1)
        _remove_stale(manifest, set(all_outputs), outputs_dir, scope, report)
    finally:
        manifest.close()
    return report


def _remove_stale(manifest: Manifest, current: set[str], outputs_dir: Path, scope: Scope, report: Report) -> None:
    """Delete outputs built before whose content is gone (within the build's scope)."""
    for output, (_fp, kind, lang, source, _warnings) in list(manifest.rows.items()):
        if output in current or not scope.covers(kind, lang) or source.startswith(scope.keep_sources):
            continue
        path = outputs_dir / output
        if path.exists():
            path.unlink()
            _prune_empty_dirs(path.parent, outputs_dir)
        manifest.forget(output)
        report.removed.append(output)


def _prune_empty_dirs(directory: Path, stop: Path) -> None:
    while directory != stop and directory.is_dir() and not any(directory.iterdir()):
        directory.rmdir()
        directory = directory.parent


def _remove_temp_files(outputs_dir: Path) -> None:
    """Temp files left by a build that was killed mid-write."""
    if outputs_dir.is_dir():
        for tmp in outputs_dir.rglob(f"*{TMP_SUFFIX}"):
            tmp.unlink(missing_ok=True)
