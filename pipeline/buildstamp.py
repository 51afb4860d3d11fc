"""The build stamp: a build with nothing to do, recognised from file metadata alone.

After a build that ended well, `.crebis/buildstamp.json` records, per set of build options, a hash
of the metadata (size, modification and change times, inode) of every file the build could read
— `crebis.toml`, `content/`, `layouts/`, every other file a target read or the config names,
crebis's own code, the installed packages' folders, the watch store — and what the build
reported (its counts and warnings). A later build whose snapshot hashes the same, and whose
outputs are still the files the manifest says it wrote, has nothing to do: `replay` says so without
reading, parsing, checking or fingerprinting anything (the make/ninja test, at the scale of the
project). Any difference — one byte, a touched file, a new file, a deleted output — and the build
runs in full, with the per-target fingerprints of `pipeline.build` deciding what to rebuild.

The change time (ctime) cannot be set back by a user or a tool the way a modification time can,
so a rewrite is always seen. A file changed within `_RACY_SECONDS` of the snapshot could change
again within the same clock tick unseen ("racy git"): such a build records no stamp.

This module imports only the standard library and small crebis modules, so that a no-op
`crebis build` pays neither for the renderers' imports nor for the content.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import sqlite3
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pipeline
from pipeline import __version__
from pipeline.project import Project
from pipeline.state import project_lock

STAMP_FILE = "buildstamp.json"
_SCHEMA = 1
_RACY_SECONDS = 1.0
WALKED = ("content", "layouts")
"""Folders of the project walked whole (a new or removed file there changes the snapshot)."""
_STATE_INPUTS = ("watch.sqlite", "watch.sqlite-wal")
"""Files of `.crebis/` that builds read (the digest checks its items against the watch store)."""


@dataclass
class Snapshot:
    """The metadata of every file a build may read, taken before the build reads any."""

    digest: str
    taken_ns: int
    racy: bool
    """A file changed too close to `taken_ns` for its metadata to be trusted."""


@dataclass
class Replay:
    """What an up-to-date build reports, as the last full build found it."""

    counts: dict[str, int]
    """Targets up to date, per output kind."""
    findings: list[dict[str, object]] = field(default_factory=list)
    """Check warnings (file, line, rule, message)."""
    warnings: list[str] = field(default_factory=list)
    """Warnings of the targets (kept in the manifest)."""
    outputs_dir: str = "outputs"


def preview_dir(project: Project) -> Path:
    """Where a build with drafts goes (`crebis serve`, `build --drafts`): never outputs/, which is published."""
    return project.state_dir / "preview"


def build_dirs(project: Project, drafts: bool | None) -> tuple[Path, Path]:
    """The outputs folder and the state folder (its manifest's) of a build with or without drafts."""
    # Drafts are previewed, never published: they build into a folder (and manifest) of their own.
    with_drafts = project.config.build.drafts if drafts is None else drafts
    if with_drafts:
        return preview_dir(project) / "outputs", preview_dir(project)
    return project.outputs_dir, project.state_dir


def options_key(only: Iterable[str] | None, langs: Iterable[str] | None, drafts: bool | None,
                search: bool = True) -> str:
    """The build options a stamp is valid for (a `--only site` build says nothing about briefs)."""
    return json.dumps([sorted(only or ()), sorted(langs or ()), drafts, search])


def snapshot(project: Project, extra: Iterable[Path] = ()) -> Snapshot:
    """Hash the metadata of every file a build of `project` may read (and of the `extra` files)."""
    taken = time.time_ns()
    entries: list[str] = []
    newest = 0
    root = project.root

    def add(path: Path | str, stat: os.stat_result) -> None:
        nonlocal newest
        entries.append(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\0{stat.st_ctime_ns}\0{stat.st_ino}")
        newest = max(newest, stat.st_mtime_ns, stat.st_ctime_ns)

    for name in WALKED:
        _walk(root / name, add)
    files = {root / "crebis.toml", *(project.state_dir / name for name in _STATE_INPUTS), *extra,
             *_config_paths(project)}
    for path in sorted(files):
        if path.is_dir():
            _walk(path, add)
            continue
        try:
            add(path, path.stat())
        except OSError:
            entries.append(f"{path}\0missing")
    _walk(Path(pipeline.__file__).parent, add, skip=("__pycache__",))
    # Installing or removing a package changes its folder's listing (sys.path[0] is only the script's folder).
    for folder in filter(None, sys.path[1:]):
        with contextlib.suppress(OSError):
            add(Path(folder), os.stat(folder))
    h = hashlib.blake2b(digest_size=16)
    h.update(f"crebis {__version__}\0{sys.version}\0{sys.executable}\0{root}\n".encode())
    for entry in sorted(entries):
        h.update(entry.encode("utf-8", "surrogateescape") + b"\n")
    return Snapshot(h.hexdigest(), taken, newest > taken - int(_RACY_SECONDS * 1e9))


def _walk(folder: Path | str, add: Callable[[str, os.stat_result], None], skip: tuple[str, ...] = (),
          seen: set[tuple[int, int]] | None = None) -> None:
    """Every file under `folder`, symlinked folders followed (each real folder once, so a loop ends)."""
    seen = set() if seen is None else seen
    try:
        stat = os.stat(folder)
        if (stat.st_dev, stat.st_ino) in seen:
            return
        seen.add((stat.st_dev, stat.st_ino))
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        if entry.name in skip:
            continue
        try:
            if entry.is_dir():
                _walk(entry.path, add, skip, seen)
            else:
                add(entry.path, entry.stat())
        except OSError:
            continue  # a dangling link: the loader reports it when the build runs


def _config_paths(project: Project) -> list[Path]:
    """Every file or folder the config names (a themes file, a logo), wherever it is in the project."""
    paths = []
    stack: list[object] = [project.config]
    while stack:
        value = stack.pop()
        if dataclasses.is_dataclass(value):
            stack.extend(getattr(value, f.name) for f in dataclasses.fields(value))
        elif isinstance(value, list | tuple):
            stack.extend(value)
        elif isinstance(value, str) and value and "\n" not in value and not value.startswith(("http:", "https:")):
            path = project.root / value
            with contextlib.suppress(OSError, ValueError):
                if path.exists():
                    paths.append(path)
    return paths


def _outputs_digest(state_dir: Path, outputs_dir: Path) -> str | None:
    """A hash of the manifest's outputs, or None if one of them is no longer the file the build wrote."""
    manifest = state_dir / "build.sqlite"
    if not manifest.is_file():
        return None
    try:
        db = sqlite3.connect(f"file:{manifest}?mode=ro", uri=True)
        try:
            rows = db.execute("SELECT path, fingerprint, size, mtime FROM outputs ORDER BY path").fetchall()
        finally:
            db.close()
    except sqlite3.Error:
        return None
    h = hashlib.blake2b(digest_size=16)
    folder = str(outputs_dir)
    for path, fp, size, mtime in rows:
        try:
            stat = os.stat(os.path.join(folder, path))
        except OSError:
            return None
        if (stat.st_size, stat.st_mtime_ns) != (size, mtime):
            return None
        h.update(f"{path}\0{fp}\0{size}\0{mtime}\n".encode("utf-8", "surrogateescape"))
    index = outputs_dir / "site" / "pagefind" / "pagefind.js"  # the search index, outside the manifest
    h.update(f"index {index.is_file()}".encode())
    return h.hexdigest()


def _read(state_dir: Path) -> dict[str, dict]:
    try:
        data = json.loads((state_dir / STAMP_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # missing or damaged: a cache, the next full build writes it anew
    if not isinstance(data, dict) or data.get("schema") != _SCHEMA or not isinstance(data.get("builds"), dict):
        return {}
    return data["builds"]


def replay(project: Project, only: Iterable[str] | None = None, langs: Iterable[str] | None = None,
           drafts: bool | None = None, on_wait: Callable[[str], None] | None = None) -> Replay | None:
    """What the last build with these options reported, if nothing it read or wrote has changed since;
    None when a build must run. Holds the project lock while it looks."""
    key = options_key(only, langs, drafts)
    outputs_dir, state_dir = build_dirs(project, drafts)
    with project_lock(project.state_dir, on_wait):
        entry = _read(state_dir).get(key)
        if not isinstance(entry, dict):
            return None
        try:
            extra = [project.root / p for p in entry["extra"]]
            if snapshot(project, extra).digest != entry["inputs"]:
                return None
            if _outputs_digest(state_dir, outputs_dir) != entry["outputs"]:
                return None
            return Replay(**entry["report"])
        except (KeyError, TypeError, ValueError):
            return None


def record(project: Project, key: str, before: Snapshot, extra: Iterable[Path], outputs_dir: Path,
           state_dir: Path, report: Replay) -> bool:
    """Remember that the build which took `before` left everything up to date (returns whether it could).

    `extra` are the targets' inputs outside the walked folders: their metadata now must be what it was
    when the build began (they are not in `before`), or no stamp is written.
    """
    if before.racy or snapshot(project).digest != before.digest:
        return False  # an input changed while the build ran: the next build must look again
    extra_names = sorted({project.relative(p) for p in extra})
    extra_paths = [project.root / p for p in extra_names]
    if any(_changed_since(p, before.taken_ns) for p in extra_paths):
        return False
    outputs = _outputs_digest(state_dir, outputs_dir)
    if outputs is None:
        return False
    inputs = snapshot(project, extra_paths)
    builds = _read(state_dir)
    builds[key] = {"inputs": inputs.digest, "outputs": outputs, "extra": extra_names,
                   "report": dataclasses.asdict(report)}
    path = state_dir / STAMP_FILE
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps({"schema": _SCHEMA, "builds": builds}), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        return False
    return True


def _changed_since(path: Path, taken_ns: int) -> bool:
    try:
        stat = path.stat()
    except OSError:
        return False
    return max(stat.st_mtime_ns, stat.st_ctime_ns) > taken_ns - int(_RACY_SECONDS * 1e9)


def forget(state_dir: Path) -> None:
    """Drop every stamp (a forced build, or state that changed under the build)."""
    with contextlib.suppress(OSError):
        (state_dir / STAMP_FILE).unlink(missing_ok=True)
