"""Word's Windows drawings (EMF, WMF) made into PNGs that a browser, Typst and Word all show.

No Python package reads EMF on Linux; LibreOffice (`soffice`) does. It draws
each metafile on a page as SVG; the page is cropped to the drawing's bounding
box and typst turns it into a PNG. Without LibreOffice the import refuses the
picture by name, and says what to do, rather than publish an image nobody sees.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from pipeline.render.typst import rasterize_svg

METAFILES = (".emf", ".wmf")
_TIMEOUT = 300
# LibreOffice's SVG export marks each shape's extent (in 1/100 mm) with a rect of this class.
_BOX = re.compile(r'class="BoundingBox"[^>]*?x="(-?[\d.]+)" y="(-?[\d.]+)" width="([\d.]+)" height="([\d.]+)"')
_PAGE = re.compile(r'<svg\b[^>]*?\swidth="[^"]*" height="[^"]*" viewBox="[^"]*"')


class ConversionError(Exception):
    """A metafile could not be converted; `path` is which, the message says why."""

    def __init__(self, path: Path, message: str):
        self.path = path
        super().__init__(message)


def libreoffice() -> str | None:
    """The LibreOffice program, if installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def metafiles_to_png(paths: list[Path], ppi: int = 200) -> dict[Path, bytes]:
    """Each EMF or WMF drawing of `paths` as a PNG cropped to the drawing (one LibreOffice run for all)."""
    if not paths:
        return {}
    program = libreoffice()
    if program is None:
        raise ConversionError(paths[0], "LibreOffice is not installed, and crebis needs it to convert Windows "
                                        "drawings")
    with tempfile.TemporaryDirectory(prefix="crebis-emf-") as tmp:
        # numbered copies: image1.emf and image1.wmf would both become image1.svg
        inputs = [Path(tmp, f"in{number}{path.suffix.lower()}") for number, path in enumerate(paths)]
        for path, copy in zip(paths, inputs, strict=True):
            shutil.copyfile(path, copy)
        # its own profile folder: a user's running LibreOffice would otherwise take the job, or lock it
        profile = Path(tmp, "profile").as_uri()
        try:
            proc = subprocess.run(
                [program, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "svg", "--outdir", tmp,
                 *map(str, inputs)], capture_output=True, timeout=_TIMEOUT, check=False, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise ConversionError(paths[0], f"LibreOffice took more than {_TIMEOUT} s to convert it") from None
        said = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        pictures = {}
        for path, copy in zip(paths, inputs, strict=True):
            svg = Path(tmp, copy.stem + ".svg")
            if not svg.is_file():
                raise ConversionError(path, f"LibreOffice could not read it ({said[-1] if said else 'no output'})")
            pictures[path] = _cropped_png(path, svg.read_text(encoding="utf-8"), ppi)
    return pictures


def _cropped_png(path: Path, svg: str, ppi: int) -> bytes:
    boxes = [tuple(float(v) for v in box) for box in _BOX.findall(svg)]
    if not boxes:
        raise ConversionError(path, "the drawing is empty")
    left, top = min(b[0] for b in boxes), min(b[1] for b in boxes)
    width = max(b[0] + b[2] for b in boxes) - left
    height = max(b[1] + b[3] for b in boxes) - top
    if width <= 0 or height <= 0:
        raise ConversionError(path, "the drawing is empty")
    cropped, count = _PAGE.subn(
        f'<svg width="{width / 100:.2f}mm" height="{height / 100:.2f}mm" viewBox="{left} {top} {width} {height}"',
        svg, count=1)
    if not count:
        raise ConversionError(path, "LibreOffice's drawing has no page size")
    return rasterize_svg(cropped.encode("utf-8"), height / 100, width / 100, ppi)
