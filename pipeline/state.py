"""The project's state folder `.crebis/`: its SQLite caches, opened safely, and the lock one build holds.

Everything in `.crebis/` that this module opens is a cache: a file that is not a readable
SQLite database (garbage, truncated, from a newer crebis) is dropped and rebuilt, with one
notice. A state folder that cannot be written is one `CrebisError` naming it.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from pipeline.errors import CrebisError

LOCK_FILE = "build.lock"


class StateError(CrebisError):
    """`.crebis/` (or a file in it) cannot be created or written."""


def state_dir(root: Path) -> Path:
    """`root/.crebis`, created if missing; a clear error if it is a file or cannot be created."""
    path = root / ".crebis"
    try:
        path.mkdir(exist_ok=True)
    except FileExistsError:
        raise StateError(f"{path.name}: is a file, not a folder; crebis keeps its state there: move the file "
                         "away and build again") from None
    except OSError as exc:
        raise StateError(f"{path.name}/: cannot be created ({exc.strerror}): check the project folder's "
                         "permissions") from None
    return path


def unwritable(path: Path, exc: BaseException) -> StateError:
    """The message for a state file that cannot be written."""
    return StateError(f"{path.parent.name}/{path.name}: cannot write crebis's state ({exc}): make "
                      f"{path.parent.name}/ writable (or delete it: it is only a cache) and run again")


def open_cache(path: Path, schema: int, create: tuple[str, ...], load: str,
               notices: list[str] | None = None) -> tuple[sqlite3.Connection, list[tuple]]:
    """Open the SQLite cache at `path` with the tables `create`, at layout version `schema`, and read
    the rows of the query `load` (read whole now, so that a damaged page is found here, not later).

    A file of another layout is emptied; one that is not a database at all is deleted and made anew
    (with a notice appended to `notices`). Raises `StateError` if the file cannot be written.
    """
    for attempt in (1, 2):
        db = None
        try:
            db = sqlite3.connect(path, timeout=30)
            db.execute("PRAGMA journal_mode=WAL")
            if db.execute("PRAGMA user_version").fetchone()[0] != schema:
                # A cache of another layout only costs one full run: drop its tables.
                for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
                    db.execute(f'DROP TABLE IF EXISTS "{table}"')
                db.execute(f"PRAGMA user_version = {schema}")
            for statement in create:
                db.execute(statement)
            rows = db.execute(load).fetchall()
            db.commit()
            return db, rows
        except sqlite3.DatabaseError as exc:
            if db is not None:
                db.close()
            if _cannot_write(exc) or attempt == 2:
                raise unwritable(path, exc) from None
            for suffix in ("", "-wal", "-shm", "-journal"):
                try:
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
                except OSError as unlink_error:
                    raise unwritable(path, unlink_error) from None
            if notices is not None:
                notices.append(f"{path.parent.name}/{path.name} was not a readable cache ({exc}): "
                               "it was made anew")
    raise AssertionError("unreachable")


def _cannot_write(exc: sqlite3.DatabaseError) -> bool:
    text = str(exc).lower()
    return isinstance(exc, sqlite3.OperationalError) and any(
        words in text for words in ("readonly", "read-only", "unable to open", "disk i/o", "permission"))


@contextlib.contextmanager
def project_lock(directory: Path, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the lock of the project whose state is in `directory` while the block runs.

    A second build waits for the first; `on_wait` is told who holds the lock first. Without
    `on_wait`, a held lock is a `CrebisError` naming the holder.
    """
    path = directory / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise unwritable(path, exc) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise unwritable(path, exc) from None
            holder = _holder(fd)
            if on_wait is None:
                raise CrebisError(f"another crebis build is running in this project ({holder}): wait for it "
                                  "to finish") from None
            on_wait(holder)
            fcntl.flock(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()} {time.strftime('%Y-%m-%d %H:%M:%S')}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _holder(fd: int) -> str:
    try:
        pid, _, since = os.pread(fd, 200, 0).decode("utf-8", "replace").strip().partition(" ")
    except OSError:
        return "process unknown"
    return f"process {pid}, since {since}" if pid.isdigit() else "process unknown"
