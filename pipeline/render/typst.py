"""The typst adapter: Typst source to a tagged PDF (PDF/UA-1) with fonts that ship with crebis."""

from __future__ import annotations

import datetime
import functools
import os
import re
import tempfile
import threading
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

import font_source_sans_pro
import manimgx_fonts
import noto_cjk_sans_otc

from pipeline.errors import RenderError
from pipeline.project import Project
from pipeline.render.typst_worker import Bounded, CompileError, compile_bounded

if TYPE_CHECKING:  # typst itself runs in the worker processes only
    import typst

# Source Sans (SIL OFL) comes from PyPI with crebis, so a PDF looks the same on every machine;
# system fonts are ignored for the same reason. The Noto fonts (SIL OFL, from PyPI too) show what
# Source Sans lacks: symbols, emoji, Chinese, Japanese and Korean, other scripts (layouts list them).
FONT = "Source Sans Pro"


@functools.cache
def font_paths() -> list[str]:
    """Folders of the fonts crebis ships."""
    return [str(Path(font_source_sans_pro.__file__).parent / "files"), str(Path(manimgx_fonts.__file__).parent),
            str(Path(noto_cjk_sans_otc.__file__).parent)]


@functools.cache
def typst_version() -> str:
    """The typst package's version, part of every PDF target's fingerprint."""
    return metadata.version("typst")


_NO_GLYPH = re.compile(r'the text `"(.+?)"` could not be displayed')


def compile_typst(source: str, root: Path, source_file: Path | str | None = None,
                  date: datetime.date | None = None, content: str | None = None) -> bytes:
    """Compile Typst `source` (files resolved under `root`) to PDF/UA-1 bytes.

    `date` fixes the PDF's creation date, so that the same input gives the same file. With `content`
    (the text of `source_file`), a character no font can show is reported at its line there.
    """
    timestamp = None
    if date is not None:
        timestamp = int(datetime.datetime(date.year, date.month, date.day, tzinfo=datetime.UTC).timestamp())
    try:
        # In a worker process: a document that would run for ever or take gigabytes is stopped there.
        return compile_bounded(
            source.encode("utf-8"), root=str(root), font_paths=font_paths(), ignore_system_fonts=True,
            pdf_standards=["ua-1"], timestamp=timestamp,
        )
    except CompileError as exc:
        raise typst_error(exc, source_file, content, root) from None
    except Bounded as exc:
        raise RenderError(source_file, f"{exc.reason} making this PDF: look for a very long field or body, "
                          "or a very large image") from None


SHARED_LINKS = "shared"
"""The folder of `.crebis/` holding a link to each of `build.shared_folders`, by its index in the list."""


def typst_path(project: Project, path: Path) -> str:
    """The name typst reads `path` by. Typst reads only under its root, the project: a file of the project
    is named by its project path; a file of a shared folder (`build.shared_folders`) through a link to that
    folder in `.crebis/shared/` (typst follows links, as it does a symlinked result folder). A wider root
    (the folders' common parent, `/` at worst) would let a document read anything beside them."""
    name = project.relative(path)
    if not os.path.isabs(name):
        return "/" + name
    for index, folder in enumerate(project.shared_folders):
        inside = os.path.relpath(name, folder)
        if not inside.startswith(".."):
            return f"/{project.relative(_shared_link(project, index, folder))}/{Path(inside).as_posix()}"
    return name  # outside every allowed folder: the build refuses such an input before any render


_link_lock = threading.Lock()


def _shared_link(project: Project, index: int, folder: Path) -> Path:
    """`.crebis/shared/<index>`, a link to `folder` (made, or mended if it points elsewhere)."""
    link = project.state_dir / SHARED_LINKS / str(index)
    with _link_lock:
        try:
            if os.readlink(link) == os.fspath(folder):
                return link
        except OSError:
            pass
        link.parent.mkdir(exist_ok=True)
        tmp = link.with_name(f".{index}.{os.getpid()}.tmp")
        tmp.unlink(missing_ok=True)
        os.symlink(folder, tmp)
        os.replace(tmp, link)  # a build that stops here leaves the old link or the new one, never none
    return link


_LOCATION = re.compile(r"┌─ (?P<file>[^\n]+?):(?P<line>\d+):(?P<column>\d+)")


def typst_error(exc: typst.TypstError | CompileError, source_file: Path | str | None,
                content: str | None = None, root: Path | None = None) -> RenderError:
    """A typst failure blamed where it is: a layout file of the project (`layouts/brief/brief.typ:12`, named
    from the project `root` whatever folder crebis runs in), once for every target, or else the content file the
    generated document came from (at the line of a character no font can show, with the file's `content`)."""
    message = getattr(exc, "message", None) or str(exc)
    glyph = _NO_GLYPH.search(message)
    if glyph and content and glyph.group(1) in content and source_file is not None:
        line = content.count("\n", 0, content.index(glyph.group(1))) + 1
        return RenderError(f"{source_file}:{line}", f"no font crebis ships can show “{glyph.group(1)}”: "
                           "write it another way, or leave it out of the brief")
    for match in _LOCATION.finditer(getattr(exc, "diagnostic", None) or ""):
        if not Path(match.group("file")).name.startswith("__typst"):  # a real file under the project root
            where = f"{_project_name(match.group('file'), getattr(exc, 'cwd', ''), root)}:{match.group('line')}"
            return RenderError(where, f"typst error: {message} (column {match.group('column')})")
    return RenderError(source_file, f"typst could not make the PDF: {message}")


def _project_name(file: str, cwd: str, root: Path | None) -> str:
    """A file of typst's diagnostic, which names it from the worker's folder `cwd`, by its path in the project."""
    if root is not None:
        full = os.path.normpath(os.path.join(cwd or os.getcwd(), file))
        inside = os.path.relpath(full, root)
        if not inside.startswith(".."):
            return Path(inside).as_posix()
    return file.lstrip("/")


def compile_png(source: str, root: Path | str | None = None, ppi: float = 72.0) -> bytes:
    """Typst `source` drawn as a PNG (one page), in a worker under the same bounds as the PDFs: a card, an
    icon or a drawing that would take gigabytes or run for ever raises `Bounded` instead of taking crebis
    down; typst's own refusal raises `CompileError`."""
    options: dict[str, object] = {"format": "png", "ppi": float(ppi), "font_paths": font_paths(),
                                  "ignore_system_fonts": True}
    if root is not None:
        options["root"] = str(root)
    return compile_bounded(source.encode("utf-8"), **options)


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
            return compile_png(source, tmp, ppi)
        except CompileError as exc:
            raise RenderError(None, f"typst could not draw the SVG: {exc}") from None
        except Bounded as exc:
            raise RenderError(None, f"{exc.reason} drawing an SVG: look for a very large drawing") from None
