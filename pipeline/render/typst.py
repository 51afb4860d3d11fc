"""The typst adapter: Typst source to a tagged PDF (PDF/UA-1) with fonts that ship with crebis."""

from __future__ import annotations

import datetime
import functools
import re
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
        raise typst_error(exc, source_file) from None


_LOCATION = re.compile(r"┌─ (?P<file>[^\n]+?):(?P<line>\d+):(?P<column>\d+)")


def typst_error(exc: typst.TypstError, source_file: Path | str | None) -> RenderError:
    """A typst failure blamed where it is: a layout file of the project (`layouts/brief/brief.typ:12`), once
    for every target, or else the content file the generated document came from."""
    message = getattr(exc, "message", None) or str(exc)
    for match in _LOCATION.finditer(getattr(exc, "diagnostic", None) or ""):
        if not match.group("file").startswith("__typst"):  # a real file under the project root
            where = f"{match.group('file').lstrip('/')}:{match.group('line')}"
            return RenderError(where, f"typst error: {message} (column {match.group('column')})")
    return RenderError(source_file, f"typst could not make the PDF: {message}")


def rasterize_svg(svg: bytes, height_mm: float, width_mm: float | None = None, ppi: int = 200) -> bytes:
    """An SVG drawn as a PNG `height_mm` high (and `width_mm` wide, else as its proportions say) at `ppi`.

    Typst draws it, so no image library is needed: Word wants a bitmap for the logo in a
    header, and an imported EMF drawing needs one for every output.
    """
    width = f"{width_mm:.3f}mm" if width_mm else "auto"
    fit = ', width: 100%, fit: "stretch"' if width_mm else ""
    with tempfile.TemporaryDirectory(prefix="crebis-svg-") as tmp:
        Path(tmp, "image.svg").write_bytes(svg)
        # text in the SVG falls back to the document's font: the shipped sans, as in the PDF brief
        source = (f"#set page(width: {width}, height: {height_mm:.3f}mm, margin: 0pt, fill: none)\n"
                  f'#set text(font: "{FONT}")\n'
                  f'#image("image.svg", height: 100%{fit})\n')
        try:
            return typst.compile(source.encode("utf-8"), root=tmp, format="png", ppi=float(ppi),
                                 font_paths=font_paths(), ignore_system_fonts=True)
        except typst.TypstError as exc:
            raise RenderError(None, f"typst could not draw the SVG: {exc}") from None
