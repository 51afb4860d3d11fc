"""The pandoc adapter: one subprocess call per conversion, with the binary from pypandoc-binary."""

from __future__ import annotations

import functools
import re
import subprocess
from pathlib import Path

import pypandoc

from pipeline.errors import RenderError


@functools.cache
def pandoc_path() -> str:
    """The pandoc binary bundled by `pypandoc-binary` (or the one pypandoc finds)."""
    return pypandoc.get_pandoc_path()


@functools.cache
def pandoc_version() -> str:
    """The bundled pandoc's version, part of every target's fingerprint."""
    return pypandoc.get_pandoc_version()


_MISSING_CITATION = re.compile(r"Citeproc: citation (\S+) not found")


def run_pandoc(text: str | None, args: list[str], source: Path | str | None = None, cwd: Path | None = None,
               from_format: str = "markdown") -> bytes:
    """Run pandoc on Markdown `text` with `args`; pandoc's complaint becomes a `RenderError` on `source`.

    An unknown citation key, only a warning for pandoc, is an error here: a brief
    must not go out with "(?)" where a reference should be. With `text` None,
    pandoc reads the files named in `args`.
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
    missing = _MISSING_CITATION.findall(proc.stderr.decode("utf-8", "replace"))
    if missing:
        keys = ", ".join(sorted(set(missing)))
        raise RenderError(source, f"unknown citation key(s) {keys}: add them to the bibliography "
                          "(content/references.bib) or fix the key after '@'")
    return proc.stdout
