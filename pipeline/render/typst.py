"""The typst adapter: Typst source to a tagged PDF (PDF/UA-1) with fonts that ship with crebis."""

from __future__ import annotations

import datetime
import functools
from importlib import metadata
from pathlib import Path

import font_source_sans_pro
import typst

from pipeline.errors import RenderError

# Source Sans (SIL OFL) comes from PyPI with crebis, so a PDF looks the same on every machine;
# system fonts are ignored for the same reason.
FONT = "Source Sans Pro"


@functools.cache
def font_paths() -> list[str]:
    """Folders of the fonts crebis ships."""
    return [str(Path(font_source_sans_pro.__file__).parent / "files")]


@functools.cache
def typst_version() -> str:
    """The typst package's version, part of every PDF target's fingerprint."""
    return metadata.version("typst")


def compile_typst(source: str, root: Path, source_file: Path | str | None = None,
                  date: datetime.date | None = None) -> bytes:
    """Compile Typst `source` (files resolved under `root`) to PDF/UA-1 bytes.

    `date` fixes the PDF's creation date, so that the same input gives the same file.
    """
    timestamp = None
    if date is not None:
        timestamp = int(datetime.datetime(date.year, date.month, date.day, tzinfo=datetime.UTC).timestamp())
    try:
        return typst.compile(
            source.encode("utf-8"), root=str(root), font_paths=font_paths(), ignore_system_fonts=True,
            pdf_standards=["ua-1"], timestamp=timestamp,
        )
    except typst.TypstError as exc:
        raise RenderError(source_file, f"typst could not make the PDF: {exc}") from None
