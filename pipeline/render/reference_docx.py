"""The branded reference document pandoc styles DOCX briefs with.

It is generated from pandoc's own default reference document and the brand
colours of `crebis.toml`, so its look is code and config, not a binary in the
repository. A project may still drop its own `layouts/brief/reference.docx`
(e.g. made in Word from this one) to take over.
"""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import threading
from pathlib import Path

import docx
from docx.shared import Pt, RGBColor

from pipeline.config import Brand, BriefOptions
from pipeline.render.pandoc import pandoc_path, pandoc_version

CUSTOM = "layouts/brief/reference.docx"
_lock = threading.Lock()


def _rgb(colour: str) -> RGBColor:
    return RGBColor.from_string(colour.lstrip("#").upper())


def make_reference_docx(brand: Brand, options: BriefOptions) -> bytes:
    """Pandoc's default reference.docx restyled with the brand's colours and the brief's Word font."""
    default = subprocess.run([pandoc_path(), "--print-default-data-file", "reference.docx"],
                             capture_output=True, check=True).stdout
    document = docx.Document(io.BytesIO(default))
    styles = document.styles
    for name in ("Normal", "Body Text", "First Paragraph", "Compact"):
        if name in styles:
            styles[name].font.name = options.docx_font
            styles[name].font.size = Pt(11)
            styles[name].font.color.rgb = _rgb(brand.text)
    for name, size in (("Title", 24), ("Subtitle", 14), ("Heading 1", 16), ("Heading 2", 14), ("Heading 3", 12)):
        if name in styles:
            font = styles[name].font
            font.name = options.docx_font
            font.size = Pt(size)
            font.bold = name != "Subtitle"
            font.color.rgb = _rgb(brand.primary)
    for name in ("Hyperlink",):
        if name in styles:
            styles[name].font.color.rgb = _rgb(brand.primary)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def reference_docx(root: Path, state_dir: Path, brand: Brand, options: BriefOptions) -> Path:
    """The reference document to use: the project's own, else one generated for this brand (cached)."""
    custom = root / CUSTOM
    if custom.is_file():
        return custom
    key = json.dumps([brand.primary, brand.text, options.docx_font, pandoc_version()])
    path = state_dir / f"reference-{hashlib.blake2b(key.encode(), digest_size=8).hexdigest()}.docx"
    with _lock:  # several DOCX targets may ask at once on the first build
        if not path.exists():
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(make_reference_docx(brand, options))
            tmp.replace(path)
    return path
