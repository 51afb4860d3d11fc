"""Word's Windows drawings (EMF, WMF) made into PNGs that a browser, Typst and Word all show.

No Python package reads EMF on Linux; LibreOffice (`soffice`) does. It draws
the metafile on a page as SVG; the page is cropped to the drawing's bounding
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
_TIMEOUT = 120
# LibreOffice's SVG export marks each shape's extent (in 1/100 mm) with a rect of this class.
_BOX = re.compile(r'class="BoundingBox"[^>]*?x="(-?[\d.]+)" y="(-?[\d.]+)" width="([\d.]+)" height="([\d.]+)"')
_PAGE = re.compile(r'<svg\b[^>]*?\swidth="[^"]*" height="[^"]*" viewBox="[^"]*"')


class ConversionError(Exception):
    """A metafile could not be converted; the message says why and what to do."""


def libreoffice() -> str | None:
    """The LibreOffice program, if installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def metafile_to_png(path: Path, ppi: int = 200) -> bytes:
    """The EMF or WMF drawing at `path` as a PNG cropped to the drawing."""
    program = libreoffice()
    if program is None:
        raise ConversionError("LibreOffice is not installed, and crebis needs it to convert Windows drawings")
    with tempfile.TemporaryDirectory(prefix="crebis-emf-") as tmp:
        # its own profile folder: a user's running LibreOffice would otherwise take the job, or lock it
        profile = Path(tmp, "profile").as_uri()
        try:
            proc = subprocess.run(
                [program, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "svg", "--outdir", tmp,
                 str(path)], capture_output=True, timeout=_TIMEOUT, check=False, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise ConversionError(f"LibreOffice took more than {_TIMEOUT} s to convert it") from None
        svg_path = Path(tmp, path.stem + ".svg")
        if proc.returncode != 0 or not svg_path.is_file():
            said = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            raise ConversionError(f"LibreOffice could not read it ({said[-1] if said else 'no output'})")
        svg = svg_path.read_text(encoding="utf-8")
    boxes = [tuple(float(v) for v in box) for box in _BOX.findall(svg)]
    if not boxes:
        raise ConversionError("the drawing is empty")
    left, top = min(b[0] for b in boxes), min(b[1] for b in boxes)
    width = max(b[0] + b[2] for b in boxes) - left
    height = max(b[1] + b[3] for b in boxes) - top
    if width <= 0 or height <= 0:
        raise ConversionError("the drawing is empty")
    cropped, count = _PAGE.subn(
        f'<svg width="{width / 100:.2f}mm" height="{height / 100:.2f}mm" viewBox="{left} {top} {width} {height}"',
        svg, count=1)
    if not count:
        raise ConversionError("LibreOffice's drawing has no page size")
    return rasterize_svg(cropped.encode("utf-8"), height / 100, width / 100, ppi)
