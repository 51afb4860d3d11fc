"""The branded reference document pandoc styles DOCX briefs with.

It is generated from pandoc's own default reference document and the brand
colours of `crebis.toml`, so its look is code and config, not a binary in the
repository. Pandoc keeps its page setup, header and footer: A4 with the PDF
brief's margins, the logo in the header, the centre's name and page numbers in
the footer (one document per language, since the footer is words). A project
may still drop its own `layouts/brief/reference.docx` (e.g. made in Word from
this one) to take over.
"""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path

import docx
from docx.enum.text import WD_TAB_ALIGNMENT
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from docx.shared import Mm, Pt, RGBColor

from pipeline.config import Brand, BriefOptions
from pipeline.render.pandoc import pandoc_path, pandoc_version
from pipeline.render.typst import rasterize_svg

CUSTOM = "layouts/brief/reference.docx"
_lock = threading.Lock()
# The PDF brief's page (layouts/brief/brief.typ): A4, 20 mm sides and top, 22 mm bottom.
_MARGIN, _BOTTOM, _LOGO_HEIGHT = 20, 22, 10
_FURNITURE = "5A5A5A"
_VERSION = 2  # of the generated document's design: a change here makes cached ones stale


@dataclass(frozen=True)
class PageFurniture:
    """What the header and footer of one language's DOCX briefs say and show."""

    organisation: str
    kicker: str
    page_label: str
    logo: Path | None
    logo_alt: str


def _rgb(colour: str) -> RGBColor:
    return RGBColor.from_string(colour.lstrip("#").upper())


def make_reference_docx(brand: Brand, options: BriefOptions, furniture: PageFurniture) -> bytes:
    """Pandoc's default reference.docx restyled with the brand's colours and the brief's Word font, on A4
    with the logo in the header and the centre's name and page numbers in the footer."""
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
    _page(document, furniture, options.docx_font)
    saved = io.BytesIO()
    document.save(saved)
    return _without_times(saved.getvalue())


def _without_times(package: bytes) -> bytes:
    """The package with a fixed time on every part: pandoc copies the header's parts into each brief as
    they are, and the time python-docx stamps would make a brief built elsewhere differ."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(zipfile.ZipInfo(item.filename, date_time=(1980, 1, 1, 0, 0, 0)),
                            source.read(item.filename), zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _page(document: docx.document.Document, furniture: PageFurniture, font: str) -> None:
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(_MARGIN)
    section.top_margin, section.bottom_margin = Mm(_MARGIN + 5), Mm(_BOTTOM)
    section.header_distance = section.footer_distance = Mm(10)
    text_width = Mm(210 - 2 * _MARGIN)
    if furniture.logo is not None and furniture.logo.is_file():
        header = section.header.paragraphs[0]
        picture = header.add_run().add_picture(io.BytesIO(_logo_png(furniture.logo)), height=Mm(_LOGO_HEIGHT))
        # python-docx would describe it by its file name; a screen reader should hear whose logo it is
        picture._inline.docPr.set("descr", furniture.logo_alt)
        picture._inline.docPr.set("name", "Logo")
    footer = section.footer.paragraphs[0]
    footer.paragraph_format.tab_stops.add_tab_stop(text_width, WD_TAB_ALIGNMENT.RIGHT)
    runs = [footer.add_run(f"{furniture.organisation} · {furniture.kicker}\t{furniture.page_label} ")]
    footer._p.append(_field("PAGE"))
    runs.append(footer.add_run(" / "))
    footer._p.append(_field("NUMPAGES"))
    for run in [*runs, *footer.runs]:
        run.font.name, run.font.size, run.font.color.rgb = font, Pt(8.5), RGBColor.from_string(_FURNITURE)


def _field(code: str):
    """A Word field (PAGE, NUMPAGES) that Word and LibreOffice fill in when they lay the page out."""
    return parse_xml(f'<w:fldSimple {nsdecls("w")} w:instr=" {code} "><w:r><w:rPr><w:sz w:val="17"/>'
                     f'<w:color w:val="{_FURNITURE}"/></w:rPr><w:t>1</w:t></w:r></w:fldSimple>')


def _logo_png(path: Path) -> bytes:
    """Word needs a bitmap in a header: an SVG logo is drawn by typst at print resolution."""
    if path.suffix.lower() == ".svg":
        return rasterize_svg(path.read_bytes(), height_mm=_LOGO_HEIGHT, ppi=300)
    return path.read_bytes()


def reference_docx(root: Path, state_dir: Path, brand: Brand, options: BriefOptions,
                   furniture: PageFurniture) -> Path:
    """The reference document to use: the project's own, else one generated for this brand and language (cached)."""
    custom = root / CUSTOM
    if custom.is_file():
        return custom
    logo = furniture.logo.read_bytes() if furniture.logo and furniture.logo.is_file() else b""
    key = json.dumps([brand.primary, brand.text, options.docx_font, pandoc_version(),
                      furniture.organisation, furniture.kicker, furniture.page_label, furniture.logo_alt,
                      hashlib.blake2b(logo).hexdigest(), _VERSION])
    path = state_dir / f"reference-{hashlib.blake2b(key.encode(), digest_size=8).hexdigest()}.docx"
    with _lock:  # several DOCX targets may ask at once on the first build
        if not path.exists():
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(make_reference_docx(brand, options, furniture))
            tmp.replace(path)
    return path
