"""The typst adapter: Typst source to a tagged PDF (PDF/UA-1) with fonts that ship with crebis."""

from __future__ import annotations

import datetime
import functools
import tempfile
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


def rasterize_svg(svg: bytes, width_mm: float, height_mm: float, ppi: int = 200) -> bytes:
    """An SVG drawn as a PNG of `width_mm` × `height_mm` at `ppi`, by typst (no image library needed).

    Word needs a bitmap for a logo in a header, and an imported EMF drawing needs one for every output.
    """
    with tempfile.TemporaryDirectory(prefix="crebis-svg-") as tmp:
        Path(tmp, "image.svg").write_bytes(svg)
        source = (f"#set page(width: {width_mm:.3f}mm, height: {height_mm:.3f}mm, margin: 0pt, fill: none)\n"
                  '#image("image.svg", width: 100%, height: 100%, fit: "stretch")\n')
        try:
            return typst.compile(source.encode("utf-8"), root=tmp, format="png", ppi=float(ppi),
                                 font_paths=font_paths(), ignore_system_fonts=True)
        except typst.TypstError as exc:
            raise RenderError(None, f"typst could not draw the SVG: {exc}") from None
