"""A typst compiler in a child process, so that each PDF has a time and a memory bound.

The typst package compiles in-process, in Rust: a call cannot be interrupted, and a document
that needs gigabytes takes them from crebis itself. Long-lived worker processes (started once,
shared by the build's threads like the pandoc workers) compile instead: each runs under an
address-space limit (`resource.RLIMIT_AS`), and a compilation that takes longer than the time
bound has its worker killed. Either way that target fails with a message naming the file, and
the other targets go on.

Run as `python -m pipeline.render.typst_worker LIMIT_BYTES`, it is the child: requests are a JSON
line (options, then the source's length) followed by the source; answers are `OK n` or `ERROR n`
and n bytes (the PDF, or a JSON object with typst's message and diagnostic).
"""

from __future__ import annotations

import json
import os
import sys
import threading
from dataclasses import dataclass

from pipeline.render.workers import Pool, Worker

TIME_LIMIT = 120.0
"""Seconds one typst compilation may take before its worker is stopped."""
MEMORY_LIMIT = 2 * 1024**3
"""Bytes of address space a typst worker may use (the compiler, its fonts and the document)."""
MAX_REQUESTS_PER_WORKER = 200


class Bounded(Exception):
    """The compilation went past a bound; `reason` says which, for the target's message."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class CompileError(Exception):
    """typst refused the document (what `typst.TypstError` carries, across the process boundary)."""

    message: str
    diagnostic: str
    cwd: str = ""
    """The worker's folder: typst names the files of its diagnostic from there."""

    def __str__(self) -> str:
        return self.message


class _Worker(Worker):
    def __init__(self) -> None:
        # -P: not the current folder first on its import path (a project's `typst.py` must not run)
        super().__init__([sys.executable, "-P", "-m", "pipeline.render.typst_worker", str(MEMORY_LIMIT)],
                         MEMORY_LIMIT)

    def ask(self, options: dict, source: bytes) -> tuple[bool, bytes]:
        status, out = self.exchange(json.dumps({**options, "length": len(source)}).encode() + b"\n" + source)
        return status == "OK", out


_pool = Pool(_Worker, lambda: MEMORY_LIMIT, lambda: MAX_REQUESTS_PER_WORKER)


def close_workers() -> None:
    """Stop every idle typst worker."""
    _pool.close()


def compile_bounded(source: bytes, **options: object) -> bytes:
    """`typst.compile(source, **options)` in a worker: the PDF's bytes, a `CompileError`, or `Bounded`."""
    worker = _pool.take()
    watchdog = threading.Timer(TIME_LIMIT, worker.proc.kill)
    watchdog.start()
    try:
        ok, out = worker.ask(options, source)
    except (BrokenPipeError, OSError, ValueError):
        worker.close()
        if watchdog.finished.is_set():
            raise Bounded(f"typst took longer than {TIME_LIMIT:g} s and was stopped") from None
        raise Bounded(f"typst needed more than {MEMORY_LIMIT // 1024**2} MB and was stopped "
                      f"(exit status {worker.proc.returncode})") from None
    finally:
        watchdog.cancel()
    _pool.give_back(worker)
    if not ok:
        error = json.loads(out)
        raise CompileError(error["message"], error["diagnostic"], error.get("cwd", ""))
    return out


def _serve(limit: int) -> None:
    """The child's loop: one compilation per request, until stdin closes."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    import typst

    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while line := stdin.readline():
        options = json.loads(line)
        source = stdin.read(options.pop("length"))
        try:
            out, status = typst.compile(source, **options), b"OK"
        except typst.TypstError as exc:
            out, status = json.dumps({"message": getattr(exc, "message", None) or str(exc),
                                      "diagnostic": getattr(exc, "diagnostic", None) or "",
                                      "cwd": os.getcwd()}).encode(), b"ERROR"
        except MemoryError:
            sys.exit(3)
        stdout.write(status + b" %d\n" % len(out) + out)
        stdout.flush()


if __name__ == "__main__":
    _serve(int(sys.argv[1]))
