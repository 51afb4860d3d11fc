"""The build graph: targets with fingerprints, skipped when up to date, run in parallel,
written atomically, and stale outputs removed.

A `Target` is one output file and how to make it. Its fingerprint hashes what
can change the output: its input files (by their path in the project, so a moved
project or a fresh checkout with restored outputs stays up to date), the layout
files it uses, the slice of config it reads and the versions of crebis and the
external tools. The manifest (`.crebis/build.sqlite`) remembers the fingerprint,
size and modification time of every output written, so a second build does
nothing, and an output that differs from what the build wrote (a copy left behind
by a killed build, a file edited by hand) is written again.

The manifest is a cache: when it is missing or unreadable, the files already in
`outputs/` are adopted into it, so outputs of content deleted later are still
removed. Nothing is ever written or removed outside `outputs/`.
"""

from __future__ import annotations

import contextlib
import contextvars
import errno
import functools
import hashlib
import itertools
import json
import logging
import os
import shutil
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.codeversion import code_version
from pipeline.errors import CrebisError
from pipeline.state import open_cache, unwritable

log = logging.getLogger(__name__)

TMP_SUFFIX = ".crebis-tmp"


@dataclass(frozen=True)
class Rendered:
    """What a renderer may return instead of bare bytes: the output and warnings about it."""

    data: bytes
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Target:
    """One output file: where it goes, what it is made from, and the function that makes it.

    A build holds ~10 targets a document (60,000 at 6,000 documents) from its plan to its end: they have slots,
    the paths they name are shared within a plan (`shared_paths`), and their `data` is kept as its digest once
    a fingerprint has read it.
    """

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
    depends: tuple[Path, ...] = ()
    """Content files the output shows besides its source (an index its results, a page its siblings'
    titles): while one of them fails to load or check, the output is kept as it was."""
    broken: bool = False
    """A target standing for content that failed to load: it reports the errors, and the outputs that
    depend on its source are kept as they were."""

    def __post_init__(self) -> None:
        shared = _SHARED_PATHS.get()
        if shared is not None:
            # Each kind names the same files (an edition, its layouts, its siblings) in Path objects of its own,
            # ~350 bytes each: one object per name, and per equal tuple of names, for all the plan's targets.
            for name in ("inputs", "depends"):
                paths = tuple(shared.setdefault(p, p) for p in getattr(self, name))
                object.__setattr__(self, name, shared.setdefault(paths, paths))
            object.__setattr__(self, "source", shared.setdefault(self.source, self.source))

    @property
    def outputs(self) -> tuple[str, ...]:
        return (self.output, *self.copies)

    def data_digest(self) -> str:
        """The hash of `data`, in the fingerprint. Once taken, `data` is let go: some targets' data (a page's
        config, menus and siblings) weigh a kilobyte, and the digest stands for it in every later fingerprint."""
        if not isinstance(self.data, _DataDigest):  # kept in `data`, so that dataclasses.replace keeps it too
            object.__setattr__(self, "data", _DataDigest(hashlib.blake2b(
                json.dumps(self.data, sort_keys=True, default=str).encode(), digest_size=16).hexdigest()))
        return str(self.data)


class _DataDigest(str):
    """A target's data as its digest, once a fingerprint has taken it (`Target.data_digest`)."""


_SHARED_PATHS: contextvars.ContextVar[dict[Any, Any] | None] = contextvars.ContextVar("shared_paths", default=None)


@contextlib.contextmanager
def shared_paths() -> Iterator[None]:
    """Within this block (one plan), the targets made share one Path object per file they name."""
    token = _SHARED_PATHS.set({})
    try:
        yield
    finally:
        _SHARED_PATHS.reset(token)


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
    kept: list[str] = field(default_factory=list)
    """Outputs left as they were because content they show failed (see `Target.depends`)."""
    notices: list[str] = field(default_factory=list)
    """Things the build repaired on its own (a corrupt cache made anew), said once."""
    changes: dict[str, list[str]] = field(default_factory=dict)
    """Per output to (re)build: the inputs that changed since it was written ("new" if never written)."""
    warnings: list[tuple[Target, str]] = field(default_factory=list)
    """Warnings of targets built now or earlier (kept in the manifest, so they are not lost on a no-op build)."""
    stopped: bool = False
    """The build was asked to stop (`run_build(stop=...)`): what it wrote is recorded, the rest left for later."""

    @property
    def ok(self) -> bool:
        return not self.failed


class FileDigests:
    """Hashes of input files, each file read once per build, shared across threads.

    `known` seeds it with the digests of files already read (the content, by the loader), so that a
    fingerprint hashes the very bytes the output is made from, even if the file changes meanwhile.
    """

    def __init__(self, known: dict[Path, str] | None = None) -> None:
        self._cache: dict[Path, str] = dict(known or {})
        self._lock = threading.Lock()

    def __call__(self, path: Path) -> str:
        with self._lock:
            cached = self._cache.get(path)
        if cached is None:
            try:
                cached = hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()
            except (FileNotFoundError, NotADirectoryError):
                cached = "missing"
            except OSError as exc:  # unreadable: the renderer will say so; the target stays out of date
                cached = f"unreadable {exc.errno}"
            with self._lock:
                self._cache[path] = cached
        return cached


def target_inputs(target: Target, digests: FileDigests, tool_versions: dict[str, str],
                  relative: Callable[[Path], str]) -> dict[str, str]:
    """What the target's output depends on, by name: each input file's digest, its data's, the tools'."""
    inputs = {f"tool {tool}": tool_versions[tool] for tool in sorted(target.tools)}
    for path in sorted(set(target.inputs)):
        inputs[relative(path)] = digests(path)
    inputs["data"] = target.data_digest()
    return inputs


def fingerprint(target: Target, inputs: dict[str, str]) -> str:
    """A hash of everything that can change the target's output (paths relative to the project)."""
    h = hashlib.blake2b(digest_size=16)
    h.update(f"crebis {code_version()}\0{target.kind}\0{target.output}\0".encode())
    for name, digest in sorted(inputs.items()):
        h.update(f"{name}\0{digest}\0".encode())
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
        with contextlib.suppress(OSError):  # a read-only folder: the error that matters is the one above
            tmp.unlink(missing_ok=True)


class Manifest:
    """What the build wrote, in `.crebis/build.sqlite`: per output its fingerprint, warnings, size and time.

    The per-target inputs (file digests by name) are kept apart, read only to explain a rebuild.
    """

    SCHEMA = 3
    UNKNOWN = "?"
    """The kind of an output adopted from `outputs/` when the manifest was lost: its target is unknown."""

    def __init__(self, path: Path, notices: list[str] | None = None):
        self.path = path
        self.db, rows = open_cache(path, self.SCHEMA, (
            "CREATE TABLE IF NOT EXISTS outputs (path TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, "
            "kind TEXT NOT NULL, lang TEXT, source TEXT NOT NULL, warnings TEXT NOT NULL DEFAULT '[]', "
            "size INTEGER NOT NULL, mtime INTEGER NOT NULL)",
            "CREATE TABLE IF NOT EXISTS inputs (path TEXT PRIMARY KEY, inputs TEXT NOT NULL)",
        ), "SELECT path, fingerprint, kind, lang, source, warnings, size, mtime FROM outputs", notices)
        self.rows = {row[0]: row[1:] for row in rows}

    def fresh(self, output: str, fp: str, outputs_dir: Path) -> bool:
        """Whether `output` was written with fingerprint `fp` and is still the file the build wrote."""
        row = self.rows.get(output)
        if row is None or row[0] != fp:
            return False
        try:
            stat = os.stat(outputs_dir / output)
        except OSError:
            return False
        return (stat.st_size, stat.st_mtime_ns) == (row[5], row[6])

    def warnings(self, output: str) -> list[str]:
        row = self.rows.get(output)
        return json.loads(row[4]) if row else []

    def previous_inputs(self, output: str) -> dict[str, str] | None:
        row = self.db.execute("SELECT inputs FROM inputs WHERE path = ?", (output,)).fetchone()
        return json.loads(row[0]) if row else None

    def record(self, target: Target, fp: str, source: str, outputs_dir: Path, inputs: dict[str, str],
               warnings: tuple[str, ...] = ()) -> None:
        for output in target.outputs:
            stat = os.stat(outputs_dir / output)
            self.db.execute(
                "INSERT OR REPLACE INTO outputs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (output, fp, target.kind, target.lang, source,
                 json.dumps(list(warnings) if output == target.output else []), stat.st_size, stat.st_mtime_ns),
            )
        self.db.execute("INSERT OR REPLACE INTO inputs VALUES (?, ?)", (target.output, json.dumps(inputs)))

    def adopt(self, outputs_dir: Path) -> None:
        """Take every file already in `outputs/` into an empty manifest, so that those no target writes
        any more are removed like any stale output."""
        if self.rows or not outputs_dir.is_dir():
            return
        for path in outputs_dir.rglob("*"):
            if path.is_file() and not path.name.endswith(TMP_SUFFIX):
                output = path.relative_to(outputs_dir).as_posix()
                self.rows[output] = ("", self.UNKNOWN, None, "", "[]", -1, -1)
                self.db.execute("INSERT OR REPLACE INTO outputs VALUES (?, '', ?, NULL, '', '[]', -1, -1)",
                                (output, self.UNKNOWN))

    def forget(self, output: str) -> None:
        self.db.execute("DELETE FROM outputs WHERE path = ?", (output,))
        self.db.execute("DELETE FROM inputs WHERE path = ?", (output,))

    def commit(self) -> None:
        try:
            self.db.commit()
        except sqlite3.Error as exc:
            raise unwritable(self.path, exc) from None

    def close(self) -> None:
        try:
            self.commit()
        finally:
            self.db.close()


@dataclass(frozen=True)
class Scope:
    """Which targets a build covers; stale outputs are only removed within it."""

    kinds: frozenset[str] | None = None
    langs: frozenset[str] | None = None
    keep_sources: tuple[str, ...] = ()
    """Source folders whose content failed to load: their previous outputs are kept, not removed."""
    keep_outputs: frozenset[str] = frozenset()
    """Outputs kept as they were (their content failed): neither rebuilt nor removed."""

    def covers(self, kind: str, lang: str | None) -> bool:
        return (self.kinds is None or kind in self.kinds) and (self.langs is None or lang is None or lang in self.langs)

    @property
    def everything(self) -> bool:
        return self.kinds is None and self.langs is None and not self.keep_sources and not self.keep_outputs


class Interrupted(CrebisError):
    """The build was stopped (Ctrl-C); what it wrote so far is whole and recorded."""

    exit_code = 130


class OutputsUnwritable(CrebisError):
    """`outputs/` cannot take more files (disk full, read-only): the build stops at the first."""


_STOP_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM}


def inside(path: str, folder: Path) -> bool:
    """Whether the relative `path` stays inside `folder` (no absolute path, no `..` climbing out)."""
    return bool(path) and not os.path.isabs(path) and \
        Path(os.path.normpath(folder / path)).is_relative_to(folder) and os.path.normpath(path) != "."


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
    known_digests: dict[Path, str] | None = None,
    allowed_input: Callable[[Path], bool] | None = None,
    dry_run: bool = False,
    partial: bool = False,
    stop: threading.Event | None = None,
    on_written: Callable[[Target], None] | None = None,
) -> Report:
    """Bring `outputs_dir` up to date with `targets` and return what was done.

    `relative` names input files in fingerprints (the project-relative path); `allowed_input` refuses
    inputs from outside the project. With `dry_run`, nothing is written or removed: the report lists
    what would be built (`changes`, with the inputs that changed) and removed.

    For the preview server: with `partial`, `targets` are only some of the project's (those an open page
    needs first), so nothing is removed; targets are rendered in the order given; `on_written` is called
    (from the calling thread) as soon as a target's outputs are written; once `stop` is set, nothing more
    is started or written, renders under way are abandoned, and the report says `stopped`.
    """
    targets = [t for t in targets if scope.covers(t.kind, t.lang) and t.output not in scope.keep_outputs]
    all_outputs = [o for t in targets for o in t.outputs]
    if len(set(all_outputs)) != len(all_outputs):
        raise CrebisError("two targets write the same output: this is a bug in a renderer")
    # The same inputs (layouts, the bibliography, each edition) are named by thousands of targets: judge
    # and name each path once per build.
    relative = functools.cache(relative)
    allowed_input = functools.cache(allowed_input) if allowed_input is not None else None
    report = Report()
    manifest = Manifest(state_dir / "build.sqlite", report.notices)
    digests = FileDigests(known_digests)
    try:
        if not dry_run and not partial:
            _remove_temp_files(outputs_dir)
            manifest.adopt(outputs_dir)
        # The inputs of each target are named again when it is written, not kept: a dict of ~10 names for each
        # of tens of thousands of targets, held for the whole build (the digests are cached, naming them is cheap).
        def inputs_of(target: Target) -> dict[str, str]:
            return target_inputs(target, digests, tool_versions, relative)

        todo: list[tuple[Target, str]] = []
        for target in targets:
            if stop is not None and stop.is_set():
                report.stopped = True
                return report
            refused = _refusal(target, outputs_dir, allowed_input, relative)
            if refused:
                report.failed.append(Failure(target, refused))
                continue
            fp = fingerprint(target, inputs_of(target))
            if not force and all(manifest.fresh(o, fp, outputs_dir) for o in target.outputs):
                report.fresh.append(target)
                report.warnings.extend((target, w) for w in manifest.warnings(target.output))
            else:
                todo.append((target, fp))
        if dry_run:
            for target, _fp in todo:
                report.changes[target.output] = _changed(manifest, target, inputs_of(target), outputs_dir, force)
            _remove_stale(manifest, set(all_outputs), outputs_dir, scope, report, dry_run=True)
            return report
        if on_plan:
            on_plan(len(todo))
        _run(todo, outputs_dir, manifest, report, jobs, relative, inputs_of, progress, stop, on_written)
        if not partial and not report.stopped:
            _remove_stale(manifest, set(all_outputs), outputs_dir, scope, report)
    finally:
        manifest.close()
    return report


def _refusal(target: Target, outputs_dir: Path, allowed_input: Callable[[Path], bool] | None,
             relative: Callable[[Path], str]) -> str | None:
    """Why a target may not run: an output outside `outputs/`, an input outside the project."""
    for output in target.outputs:
        if not inside(output, outputs_dir):
            return f"{relative(target.source)}: refused to write '{output}': outside outputs/"
    if allowed_input is not None:
        for path in target.inputs:
            if not allowed_input(path):
                return (f"{relative(target.source)}: refused to read '{path}': it is outside the project "
                        "(keep the files the content uses inside the project folder, or list their folder "
                        "under build.shared_folders in crebis.toml)")
    return None


def _changed(manifest: Manifest, target: Target, inputs: dict[str, str], outputs_dir: Path,
             force: bool) -> list[str]:
    """Which inputs of a target differ from when it was last written: what a rebuild is for."""
    if force:
        return ["--force"]
    before = manifest.previous_inputs(target.output)
    if before is None:
        return ["new"]
    changed = [name for name in sorted(set(before) | set(inputs)) if before.get(name) != inputs.get(name)]
    if not changed:
        missing = [o for o in target.outputs if not (outputs_dir / o).exists()]
        return [f"{o} missing" for o in missing] or ["output differs from what the build wrote"]
    return changed


def _run(todo: list[tuple[Target, str]], outputs_dir: Path, manifest: Manifest, report: Report,
         jobs: int, relative: Callable[[Path], str], inputs_of: Callable[[Target], dict[str, str]],
         progress: Callable[[int], None] | None,
         stop: threading.Event | None = None, on_written: Callable[[Target], None] | None = None) -> None:
    """Render the out-of-date targets on `jobs` threads and write their outputs as they finish.

    Ctrl-C cancels what is queued, keeps (and records) what was written and raises `Interrupted`;
    a full or read-only disk stops the build with one `OutputsUnwritable`.
    """
    threads = jobs or os.cpu_count() or 1
    pool = ThreadPoolExecutor(max_workers=threads)
    # A few renders queued per thread, the next submitted as one finishes: queued all at once, each held a future
    # (~1.8 KB: 99 MB at 55,000 targets) and every wait() walked all of them (quadratic in the targets).
    window, queue = 4 * threads, iter(todo)
    pending: dict[Future[bytes | Rendered], tuple[Target, str]] = {}

    def submit_more() -> None:
        for target, fp in itertools.islice(queue, window - len(pending)):
            pending[pool.submit(target.render)] = (target, fp)

    submit_more()
    done_count = 0
    try:
        while pending:
            # With a stop event, wake up now and then to look at it (a render may take seconds).
            finished, _ = wait(pending, timeout=0.05 if stop is not None else None, return_when=FIRST_COMPLETED)
            if stop is not None and stop.is_set():
                # Renders under way finish in their threads, unwritten: the next build makes them again.
                pool.shutdown(wait=False, cancel_futures=True)
                report.stopped = True
                return
            for future in finished:
                target, fp = pending.pop(future)
                built = len(report.built)
                _finish(future, target, fp, inputs_of, outputs_dir, manifest, report, relative)
                if on_written and len(report.built) > built:
                    on_written(target)
                done_count += 1
                if done_count % 50 == 0:
                    manifest.commit()
                if progress:
                    progress(1)
            submit_more()
    except KeyboardInterrupt:
        pool.shutdown(wait=False, cancel_futures=True)
        raise Interrupted(f"interrupted: {len(report.built)} output(s) written and kept, "
                          f"{len(todo) - done_count} left as they were; build again to finish") from None
    except OutputsUnwritable:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _finish(future: Future[bytes | Rendered], target: Target, fp: str, inputs_of: Callable[[Target], dict[str, str]],
            outputs_dir: Path, manifest: Manifest, report: Report, relative: Callable[[Path], str]) -> None:
    """Write one rendered target (all its copies, then record them together), or record its failure."""
    try:
        rendered = future.result()
        if not isinstance(rendered, Rendered):
            rendered = Rendered(rendered)
        for output in target.outputs:
            _write_output(outputs_dir, output, rendered.data)
    except CrebisError as exc:
        if isinstance(exc, OutputsUnwritable):
            raise
        report.failed.append(Failure(target, str(exc)))
        for output in target.outputs:
            manifest.forget(output)
    except Exception as exc:  # a renderer bug must not stop the other targets, nor print a traceback
        log.debug("unexpected error building %s", target.output, exc_info=True)
        report.failed.append(Failure(target, f"{relative(target.source)}: could not make {target.output}: "
                                     f"{type(exc).__name__}: {exc} (a bug in crebis: please report it)"))
        for output in target.outputs:
            manifest.forget(output)
    else:
        manifest.record(target, fp, relative(target.source), outputs_dir, inputs_of(target), rendered.warnings)
        report.built.append(target)
        report.warnings.extend((target, w) for w in rendered.warnings)


def _write_output(outputs_dir: Path, output: str, data: bytes) -> None:
    """Write one output atomically; a disk that is full or read-only is `OutputsUnwritable`, said once."""
    path = outputs_dir / output
    try:
        write_atomic(path, data)
    except OSError as exc:
        if exc.errno not in _STOP_ERRNOS:
            raise CrebisError(f"outputs/{output}: cannot write it ({exc.strerror})") from None
        folder = next((p for p in (path.parent, *path.parents) if p.exists()), outputs_dir)
        where = folder.relative_to(outputs_dir.parent).as_posix() if folder.is_relative_to(outputs_dir.parent) \
            else str(folder)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            free = shutil.disk_usage(folder).free
            raise OutputsUnwritable(
                f"{where}/: no space left on the disk ({free // 1024} KB free, {output} alone needs "
                f"{max(len(data) // 1024, 1)} KB): free some space and build again; the outputs already "
                "there are kept as they were") from None
        raise OutputsUnwritable(f"{where}/: cannot write there ({exc.strerror}): make it writable and build "
                                "again; the outputs already there are kept as they were") from None


def _remove_stale(manifest: Manifest, current: set[str], outputs_dir: Path, scope: Scope, report: Report,
                  dry_run: bool = False) -> None:
    """Delete outputs built before whose content is gone (within the build's scope, never outside `outputs/`)."""
    for output, (_fp, kind, lang, source, *_rest) in list(manifest.rows.items()):
        if output in current or output in scope.keep_outputs:
            continue
        if not inside(output, outputs_dir):
            manifest.forget(output)  # never delete outside outputs/, whatever the manifest says
            continue
        if kind == Manifest.UNKNOWN:
            if not scope.everything:
                continue  # adopted after a lost manifest: removed only by a full build with nothing failing
        elif not scope.covers(kind, lang) or source.startswith(scope.keep_sources):
            continue
        report.removed.append(output)
        if dry_run:
            continue
        path = outputs_dir / output
        if path.is_file() or path.is_symlink():
            path.unlink()
            _prune_empty_dirs(path.parent, outputs_dir)
        manifest.forget(output)


def _prune_empty_dirs(directory: Path, stop: Path) -> None:
    while directory != stop and directory.is_relative_to(stop) and directory.is_dir() and not any(directory.iterdir()):
        directory.rmdir()
        directory = directory.parent


def _remove_temp_files(outputs_dir: Path) -> None:
    """Temp files left by a build that was killed mid-write."""
    if outputs_dir.is_dir():
        for tmp in outputs_dir.rglob(f"*{TMP_SUFFIX}"):
            with contextlib.suppress(OSError):  # a read-only outputs/: the first write says so
                tmp.unlink(missing_ok=True)
