"""The pandoc adapter, with the binary from pypandoc-binary.

Renderers call `convert`, served by a pool of long-lived pandoc processes
(`pandoc-worker.lua`), one per concurrent conversion; `run_pandoc` runs a one-off pandoc command (Word import).
"""

from __future__ import annotations

import datetime
import functools
import json
import resource
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pypandoc

from pipeline.errors import RenderError
from pipeline.render.typography import UNITS
from pipeline.render.workers import Pool, Worker


@functools.cache
def pandoc_path() -> str:
    """The pandoc binary bundled by `pypandoc-binary` (or the one pypandoc finds)."""
    return pypandoc.get_pandoc_path()


@functools.cache
def pandoc_version() -> str:
    """The bundled pandoc's version, part of every target's fingerprint."""
    return pypandoc.get_pandoc_version()


def run_pandoc(text: str | None, args: list[str], source: Path | str | None = None, cwd: Path | None = None,
               from_format: str = "markdown") -> bytes:
    """Run one pandoc command on `text` with `args`; its complaint becomes a `RenderError` on `source`.

    With `text` None, pandoc reads the files named in `args`. (Renderers use `convert`,
    whose worker also turns unknown citation keys into errors.)
    """
    # pypandoc's convert_text adds temp files and version probes per call; a direct
    # subprocess keeps crebis within a few percent of bare pandoc.
    proc = subprocess.run(
        [pandoc_path(), f"--from={from_format}", *args],
        input=text.encode("utf-8") if text is not None else None,
        capture_output=True,
        cwd=cwd,
        check=False,
    )
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip() or f"pandoc exited with {proc.returncode}"
        raise RenderError(source, f"pandoc failed: {message}")
    return proc.stdout


_WORKER_SCRIPT = Path(__file__).with_name("pandoc-worker.lua")
TYPOGRAPHY_FILTER = Path(__file__).parent / "filters" / "typography.lua"


@dataclass(frozen=True)
class Citations:
    """Bibliography and CSL style for citeproc."""

    bibliography: Path
    csl: Path | None = None


TIMEOUT = 120.0
"""Seconds one conversion may take before its pandoc process is stopped."""
MEMORY_LIMIT_MB = 2048
"""Address space a pandoc worker may use: past it pandoc stops ("out of memory"). The runtime's own
`+RTS -M` bound does not stop `pandoc lua`: it thrashes below the bound instead."""
HEAP_HINT_MB = 16
"""The heap pandoc's runtime sizes itself to at start. The binary's built-in hint (-H64m) keeps ~83 MB private per
worker where 16 MB keeps ~55 MB, for the same CPU time over a page, a brief and a DOCX (measured over 120 conversions;
the heap still grows as a large document needs)."""
_OUT_OF_MEMORY = 251
"""The exit status of a Haskell program out of memory."""


def _memory_bound(limit_mb: int) -> Callable[[], None]:
    def set_limit() -> None:  # in the child, before pandoc starts: its runtime sizes itself to the bound
        resource.setrlimit(resource.RLIMIT_AS, (limit_mb * 1024**2, limit_mb * 1024**2))
    return set_limit


class _Worker(Worker):
    """One `pandoc lua` process answering conversion requests over its stdin and stdout."""

    def __init__(self) -> None:
        super().__init__([pandoc_path(), "+RTS", f"-H{HEAP_HINT_MB}m", "-RTS", "lua", str(_WORKER_SCRIPT)],
                         MEMORY_LIMIT_MB, preexec_fn=_memory_bound(MEMORY_LIMIT_MB))

    def ask(self, request: dict) -> tuple[bool, bytes]:
        status, out = self.exchange(json.dumps(request).encode("utf-8") + b"\n")
        return status == "OK", out


# pandoc's heap grows with what a worker has converted; a fresh process costs ~100 ms.
MAX_REQUESTS_PER_WORKER = 400
_pool = Pool(_Worker, lambda: MEMORY_LIMIT_MB, lambda: MAX_REQUESTS_PER_WORKER)


def close_workers() -> None:
    """Stop every idle pandoc worker (they also stop by themselves when crebis exits)."""
    _pool.close()


def convert(text: str, to: str, source: Path | str | None = None, *, from_format: str = "markdown",
            template: Path | None = None, toc: bool = False, toc_depth: int = 3, section_divs: bool = False,
            wrap: str | None = None, metadata: dict | None = None, citations: Citations | None = None,
            filters: tuple[Path, ...] = (), reference_doc: Path | None = None, cwd: Path | None = None,
            created: datetime.date | None = None) -> bytes:
    """Convert `text` with pandoc; a problem (an unknown citation key among them) is a `RenderError` on `source`.

    `cwd` is where relative image paths are read from; `created` is the date a DOCX records as its
    creation time (pandoc would stamp the build time, and the same input would give other bytes).
    """
    # Every document gets the typography of its language (`lang` in its metadata or front matter).
    request: dict = {"text": text, "from": from_format, "to": to, "toc": toc, "toc_depth": toc_depth,
                     "section_divs": section_divs, "metadata": {"typography-units": list(UNITS), **(metadata or {})},
                     "filters": [str(f) for f in (*filters, TYPOGRAPHY_FILTER)]}
    if template:
        request["template"] = str(template)
    if wrap:
        request["wrap"] = wrap
    if citations:
        request["bibliography"] = str(citations.bibliography)
        if citations.csl:
            request["csl"] = str(citations.csl)
    if reference_doc:
        request["reference_doc"] = str(reference_doc)
    if cwd:
        request["cwd"] = str(cwd)
    if created:
        # a string: a JSON number reaches Lua as a float, which pandoc would not read as a time
        request["source_date_epoch"] = str(int(datetime.datetime(created.year, created.month, created.day,
                                                                 tzinfo=datetime.UTC).timestamp()))
    worker = _pool.take()
    # A bound on each conversion: a pathological input (megabytes in one field) must not keep a build
    # running for ever; the worker is killed, this target fails with a message, the others go on.
    watchdog = threading.Timer(TIMEOUT, worker.proc.kill)
    watchdog.start()
    try:
        ok, out = worker.ask(request)
    except (BrokenPipeError, OSError, ValueError) as exc:
        worker.close()
        if watchdog.finished.is_set():
            raise RenderError(source, f"pandoc took longer than {TIMEOUT:g} s on this file and was stopped: "
                              "look for a very long field or body") from None
        if worker.proc.wait() == _OUT_OF_MEMORY:
            raise RenderError(source, f"pandoc needed more than {worker.limit} MB for this file and was stopped: "
                              "look for a very long field or body") from None
        raise RenderError(source, f"pandoc stopped unexpectedly ({exc}); run the build again") from None
    finally:
        watchdog.cancel()
    _pool.give_back(worker)
    if not ok:
        message = out.decode("utf-8", "replace")
        raise RenderError(source, message if message.startswith("unknown citation") else f"pandoc failed: {message}")
    return out
