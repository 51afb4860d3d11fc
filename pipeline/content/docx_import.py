"""`crebis import`: a researcher's Word report becomes a result edition in Markdown.

Pandoc reads the DOCX (tracked changes accepted, images extracted beside the
Markdown); the front matter is pre-filled from the document and from the
result's other language editions, with TODO markers for what Word cannot give.
What Word had but the Markdown does not (comments, tracked changes, charts,
embedded objects) is reported, so nothing disappears silently.
"""

from __future__ import annotations

import copy
import datetime
import json
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

import yaml
from lxml import etree

from pipeline.content.load import SLUG, load_edition, load_themes
from pipeline.content.word_images import METAFILES, ConversionError, metafiles_to_png
from pipeline.errors import ContentError, CrebisError
from pipeline.project import Project
from pipeline.render.pandoc import run_pandoc

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MAX_MEMBER = 200 * 1024 * 1024
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
_VML = "{urn:schemas-microsoft-com:vml}"
# Plain, readable Markdown: pipe tables where cells are one line, grid tables where a cell holds
# paragraphs or lists (never raw HTML, which the Typst and DOCX briefs cannot show), no escaped
# apostrophes, no image sizes from Word.
_MARKDOWN = "markdown+pipe_tables+grid_tables-simple_tables-multiline_tables-raw_attribute-smart"
_TODO = "TODO"
# Tracked changes accepted (they are reported); heading levels are normalised on the AST.
_DOCX_ARGS = ["--track-changes=accept"]
_META_TEMPLATE = Path(__file__).parent.parent / "render" / "pandoc-meta.tpl"


@dataclass
class ImportReport:
    """What an import wrote and what it could not carry over."""

    written: Path
    images: list[Path] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    todo: list[str] = field(default_factory=list)


def _open_docx(path: Path) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise CrebisError(f"{path}: file not found") from None
    except zipfile.BadZipFile:
        raise CrebisError(f"{path}: not a Word .docx file (save it as .docx from Word first)") from None
    if "word/document.xml" not in archive.namelist():
        raise CrebisError(f"{path}: not a Word .docx file (no word/document.xml inside)")
    if any(info.file_size > _MAX_MEMBER for info in archive.infolist()):
        raise CrebisError(f"{path}: a part of this file is larger than 200 MB once unpacked; refusing to import it")
    return archive


def _xml(archive: zipfile.ZipFile, name: str) -> ElementTree.Element | None:
    try:
        return ElementTree.fromstring(archive.read(name))
    except KeyError:
        return None


def core_properties(path: Path) -> dict[str, str]:
    """Title and author from the document's properties (File > Info in Word)."""
    with _open_docx(path) as archive:
        core = _xml(archive, "docProps/core.xml")
    if core is None:
        return {}
    found = {}
    for key, tag in (("title", "{http://purl.org/dc/elements/1.1/}title"),
                     ("author", "{http://purl.org/dc/elements/1.1/}creator")):
        element = core.find(tag)
        if element is not None and element.text and element.text.strip():
            found[key] = element.text.strip()
    return found


def what_word_loses(path: Path) -> list[str]:
    """The parts of a DOCX that the Markdown will not carry, as messages for the researcher."""
    lost = []
    with _open_docx(path) as archive:
        names = archive.namelist()
        comments = _xml(archive, "word/comments.xml")
        if comments is not None:
            for comment in comments.iter(f"{_W}comment"):
                author = comment.get(f"{_W}author", "?")
                text = " ".join("".join(t.text or "" for t in comment.iter(f"{_W}t")).split())
                lost.append(f"comment by {author} dropped: \u201c{text[:80]}\u201d")
        document = _xml(archive, "word/document.xml")
        insertions = sum(1 for _ in document.iter(f"{_W}ins"))
        deletions = sum(1 for _ in document.iter(f"{_W}del"))
        if insertions or deletions:
            lost.append(f"{insertions} tracked insertion(s) and {deletions} deletion(s) accepted: "
                        "check the text says what the authors agreed")
        for folder, what, advice in (
            ("word/charts/", "Word chart(s)", "export each as PNG and declare it under 'figures'"),
            ("word/embeddings/", "embedded object(s) (Excel, OLE)", "paste the data as a table or an image"),
            ("word/diagrams/", "SmartArt diagram(s)", "redraw as a list or export as an image"),
        ):
            count = sum(1 for n in names if n.startswith(folder) and not n.endswith("/") and "/_rels/" not in n)
            if count:
                lost.append(f"{count} {what} not imported: {advice}")
    return lost


def _sibling_facts(project: Project, directory: Path, lang: str) -> dict:
    """Date, authors, themes and figures of another edition of the result, which the new one must share."""
    themes = load_themes(project.path(project.config.watch.themes))
    for other in project.config.languages:
        path = directory / f"{other}.md"
        if other == lang or not path.is_file():
            continue
        errors: list[ContentError] = []
        edition = load_edition(path, directory.name, other, themes, errors)
        if edition:
            facts = {"date": edition.date, "authors": [{"name": a.name, "affiliation": a.affiliation or _TODO}
                                                       for a in edition.authors],
                     "themes": list(edition.themes), "licence": edition.licence}
            if edition.figures:
                facts["figures"] = [{"file": f.file, "alt": f"{_TODO}: {f.alt}", "caption": f"{_TODO}: {f.caption}",
                                     "source": f.source or ""} for f in edition.figures]
            return facts
    return {}


def import_docx(project: Project, source: Path, slug: str, lang: str, force: bool = False) -> ImportReport:
    """Convert `source` into `content/results/<slug>/<lang>.md` with its images; never overwrite without `force`.

    Nothing is written when a picture cannot be carried over (an EMF without LibreOffice, say).
    """
    if not SLUG.match(slug):
        raise CrebisError(f"'{slug}' is not a valid slug: use lower-case letters, digits and hyphens")
    if lang not in project.config.languages:
        raise CrebisError(f"language '{lang}' is not in crebis.toml's languages {project.config.languages}")
    directory = project.results_dir / slug
    target = directory / f"{lang}.md"
    if target.exists() and not force:
        raise CrebisError(f"{project.relative(target)} already exists: use --force to replace it")
    lost = what_word_loses(source)
    properties = core_properties(source)

    with tempfile.TemporaryDirectory(prefix="crebis-import-") as tmp:
        readable, boxes = _unwrap_text_boxes(source, Path(tmp) / "unboxed.docx")
        if boxes:
            lost.append(f"{boxes} text box(es) moved into the body after the paragraph they were anchored to: "
                        "check their place")
        media = Path(tmp) / "media"
        ast = json.loads(run_pandoc(None, [*_DOCX_ARGS, "--to=json", f"--extract-media={media}", str(readable)],
                                    source=source, from_format="docx"))
        tidy = _tidy(ast)
        lost.extend(tidy.notes)
        ast = json.dumps(ast)
        meta = json.loads(run_pandoc(ast, ["--to=markdown", f"--template={_META_TEMPLATE}"], source=source,
                                     from_format="json").decode("utf-8") or "{}")
        body = run_pandoc(ast, [f"--to={_MARKDOWN}", "--wrap=none"], source=source, from_format="json").decode("utf-8")
        extracted = [path for path in sorted(media.rglob("*")) if path.is_file()]
        converted = _converted(source, [p for p in extracted if p.suffix.lower() in METAFILES], body)
        pictures = {}  # name beside the Markdown -> bytes; all made before anything is written
        for path in extracted:
            name = f"{lang}-{path.name}"
            if path in converted:
                name = f"{lang}-{path.stem}.png"
                if any(other.name == f"{path.stem}.png" for other in extracted):
                    name = f"{lang}-{path.stem}-{path.suffix[1:].lower()}.png"
                lost.append(f"{path.name} (a Windows drawing) converted to {name}: check it looks right")
            body = body.replace(str(path), name)
            pictures[name] = converted[path] if path in converted else path.read_bytes()

    directory.mkdir(parents=True, exist_ok=True)
    images = []
    for name, data in pictures.items():
        (directory / name).write_bytes(data)
        images.append(directory / name)
    body, missing_alt = _mark_missing_alt(body)
    facts = _sibling_facts(project, directory, lang)
    # A Title-styled paragraph wins over File > Info, which often holds a template's leftovers.
    title = _plain(meta.get("title")) or properties.get("title") or f"{_TODO}: title"
    found = _names(meta.get("author")) or _names(properties.get("author"))
    names = [name for name in found if looks_like_name(name)]
    authors = (facts.get("authors") or [{"name": name, "affiliation": _TODO} for name in names]
               or [{"name": f"{_TODO}: author"}])
    front = {
        "title": title,
        "date": facts.get("date", datetime.date.today()),
        "authors": authors,
        "themes": facts.get("themes", []),
        "status": "draft",
        "licence": facts.get("licence", "CC-BY-4.0"),
        "summary": f"{_TODO}: three to five short sentences in plain language.",
        "key_findings": [f"{_TODO}: the main finding, in one sentence."],
        "recommendations": [{"text": f"{_TODO}: what should be done.", "addressee": f"{_TODO}: who should do it"}],
    }
    if "figures" in facts:
        front["figures"] = facts["figures"]
    text = "---\n" + yaml.safe_dump(front, allow_unicode=True, sort_keys=False, width=100) + "---\n\n" + body
    tmp_target = target.with_suffix(".md.crebis-tmp")
    tmp_target.write_text(text, encoding="utf-8")
    tmp_target.replace(target)
    todo = ["summary", "key_findings", "recommendations", "themes"]
    if title.startswith(_TODO):
        todo.insert(0, "title")
    if not facts.get("authors") and not names:
        rejected = [name for name in found if name not in names]
        why = (f" (the document gives {', '.join(repr(n) for n in rejected)}, not a person's name)" if rejected
               else " (the document names none)")
        todo.insert(1, "authors" + why)
    if missing_alt:
        todo.append(f"alt text of {missing_alt} image(s)")
    return ImportReport(written=target, images=images, dropped=lost, todo=todo)


def _converted(source: Path, metafiles: list[Path], body: str) -> dict[Path, bytes]:
    """Windows drawings as PNGs, or an error naming the report and the picture (by its alt text where known)."""
    try:
        return metafiles_to_png(metafiles)
    except ConversionError as exc:
        metafile = exc.path
        described = re.search(r"!\[([^\]]+)\]\(" + re.escape(str(metafile)), body)
        which = f"'{metafile.name}'" + (f" (\u201c{' '.join(described.group(1).split())}\u201d)" if described else "")
        others = f" ({len(metafiles)} such pictures in all)" if len(metafiles) > 1 else ""
        raise CrebisError(
            f"{source}: picture {which} is a Windows drawing ({metafile.suffix[1:].upper()}) that web pages and "
            f"PDFs cannot show, and it could not be converted: {exc}{others}. Install LibreOffice and import "
            "again, or in Word right-click the picture > Save as Picture > PNG, put the PNG in its place, and "
            "import again"
        ) from None


# --- what Word's files are really like -------------------------------------------------------------

def _unwrap_text_boxes(source: Path, out: Path) -> tuple[Path, int]:
    """Move the content of Word text boxes (paragraphs, pictures) into the body, after their anchor paragraph.

    Pandoc drops text boxes whole, pictures and all; here they become ordinary paragraphs.
    Returns the file pandoc should read (the source itself when it has no text box) and the count.
    """
    with _open_docx(source) as archive:
        xml = archive.read("word/document.xml")
        if b"txbxContent" not in xml:
            return source, 0
        root = etree.fromstring(xml, etree.XMLParser(huge_tree=True, resolve_entities=False))
        count = 0
        # A text box as Word 2010+ writes it (mc:AlternateContent, whose Fallback repeats it in VML),
        # as older Word writes it (w:pict with a v:textbox), or a bare drawing with a wps:txbx.
        for kind in (f"{_MC}AlternateContent", f"{_W}pict", f"{_W}drawing"):
            for container in list(root.iter(kind)):
                content = next(container.iter(f"{_W}txbxContent"), None)
                paragraph = next((a for a in container.iterancestors(f"{_W}p")), None)
                if content is None or paragraph is None or container.getparent() is None:
                    continue
                if any(a.tag == f"{_W}txbxContent" for a in container.iterancestors()):
                    continue  # a box inside a box is carried with its outer box
                anchor = paragraph
                for block in content:
                    if block.tag in (f"{_W}p", f"{_W}tbl"):
                        moved = copy.deepcopy(block)
                        anchor.addnext(moved)
                        anchor = moved
                container.getparent().remove(container)
                count += 1
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as patched:
            for item in archive.infolist():
                data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True) \
                    if item.filename == "word/document.xml" else archive.read(item.filename)
                patched.writestr(item, data)
    return out, count


@dataclass
class _Tidied:
    notes: list[str] = field(default_factory=list)


def _text(inlines: list) -> str:
    """The plain text of a list of pandoc AST inlines."""
    parts = []
    for node in inlines:
        kind, content = node.get("t"), node.get("c")
        if kind == "Str":
            parts.append(content)
        elif kind in ("Space", "SoftBreak", "LineBreak"):
            parts.append(" ")
        elif kind in ("Emph", "Strong", "Underline", "SmallCaps", "Strikeout", "Superscript", "Subscript"):
            parts.append(_text(content))
        elif kind in ("Span", "Link", "Quoted"):
            parts.append(_text(content[1]))
        elif kind == "Code":
            parts.append(content[1])
    return " ".join("".join(parts).split())


def _has_image(node: object) -> bool:
    if isinstance(node, dict):
        return node.get("t") == "Image" or any(_has_image(v) for v in node.values())
    return isinstance(node, list) and any(_has_image(v) for v in node)


def _tidy(ast: dict) -> _Tidied:
    """Make pandoc's reading of a Word file fit a crebis edition, in place; what changed is noted for the user.

    - Word's display sizes go (they mean nothing on a page or in a brief).
    - Word's bookmarks (`[]{#_Ref71265628 .anchor}`) go, and a cross-reference to one ("see Table 1")
      becomes its text: its target rarely survives as an anchor every output can link to.
    - Empty headings go (a writer pressed Enter in a heading style); a heading holding only a picture
      becomes a paragraph.
    - The outline starts at `##` and never skips a level, whatever Word level the report began at.
    - A table of one-line cells loses Word's column widths, so that it is written as a pipe table.
    """
    tidied = _Tidied()
    links = _inlines_pass(ast)
    _forget_simple_widths(ast)
    if links:
        tidied.notes.append(f"{links} cross-reference(s) to Word bookmarks (\u201csee Table 1\u201d) kept as "
                            "text: check they still read well")
    blocks = ast["blocks"]
    empty = 0
    kept = []
    for block in blocks:
        if block.get("t") == "Header":
            _strip_spaces(block["c"][2])
        if block.get("t") == "Header" and not _text(block["c"][2]):
            if _has_image(block["c"][2]):
                kept.append({"t": "Para", "c": block["c"][2]})
            else:
                empty += 1
            continue
        kept.append(block)
    if empty:
        tidied.notes.append(f"{empty} empty heading(s) dropped")
    headers = [b for b in kept if b.get("t") == "Header"]
    if headers:
        top = min(h["c"][0] for h in headers)
        moved, previous = 0, 1
        for header in headers:
            level = min(header["c"][0] - top + 2, previous + 1)
            if level != header["c"][0] - top + 2:
                moved += 1
            header["c"][0] = previous = level
        if moved:
            tidied.notes.append(f"{moved} heading(s) moved up so that no level is skipped: check the outline")
    ast["blocks"] = kept
    return tidied


_BLANK = {"Space", "SoftBreak", "LineBreak"}


def _strip_spaces(inlines: list) -> None:
    """Drop a heading's leading and trailing spaces (Word keeps them; Markdown would write `##  Title`)."""
    while inlines and inlines[0].get("t") in _BLANK:
        inlines.pop(0)
    while inlines and inlines[-1].get("t") in _BLANK:
        inlines.pop()


def _inlines_pass(node: object) -> int:
    """Drop image sizes and bookmark anchors, unwrap links to Word bookmarks; returns the links unwrapped."""
    unwrapped = 0
    if isinstance(node, dict):
        if node.get("t") == "Image":
            attr = node["c"][0]
            attr[2] = [kv for kv in attr[2] if kv[0] not in ("width", "height")]
        for value in node.values():
            unwrapped += _inlines_pass(value)
    elif isinstance(node, list):
        for value in node:
            unwrapped += _inlines_pass(value)
        if any(_is_inline(v) for v in node):
            spliced = []
            for value in node:
                if _is_inline(value) and value["t"] == "Span" and "anchor" in value["c"][0][1]:
                    spliced.extend(value["c"][1])
                elif _is_inline(value) and value["t"] == "Link" and value["c"][2][0].startswith("#"):
                    spliced.extend(value["c"][1])
                    unwrapped += 1
                else:
                    spliced.append(value)
            node[:] = spliced
    return unwrapped


def _forget_simple_widths(node: object) -> None:
    """Give every simple table (each cell one paragraph or empty, nothing spanning) pandoc's default widths.

    Word stores each column's width, and pandoc's Markdown writer keeps relative widths in a grid table
    (`+----+`) only: a table of one-line cells came out as a grid, hard to edit, where README promises a
    pipe table. A table whose cells hold paragraphs or lists keeps its widths, and its grid.
    """
    if isinstance(node, dict):
        if node.get("t") == "Table" and _is_simple_table(node["c"]):
            node["c"][2] = [[align, {"t": "ColWidthDefault"}] for align, _width in node["c"][2]]
        for value in node.values():
            _forget_simple_widths(value)
    elif isinstance(node, list):
        for value in node:
            _forget_simple_widths(value)


def _is_simple_table(table: list) -> bool:
    _attr, _caption, _specs, head, bodies, foot = table
    rows = [*head[1], *(row for body in bodies for row in (*body[2], *body[3])), *foot[1]]
    cells = [cell for _row_attr, row_cells in rows for cell in row_cells]
    return all(rowspan == 1 and colspan == 1 and len(blocks) <= 1
               and all(block.get("t") in ("Plain", "Para") for block in blocks)
               for _cell_attr, _align, rowspan, colspan, blocks in cells)


def _is_inline(value: object) -> bool:
    return isinstance(value, dict) and value.get("t") in ("Span", "Link")


# Words that Word's "Author" property holds when it is an account, not a person.
_NOT_A_NAME = {"admin", "administrator", "administrateur", "beheerder", "user", "utilisateur", "gebruiker",
               "microsoft", "office", "windows", "owner", "author", "auteur", "dept", "department", "service",
               "team", "it", "ict", "pc", "staff", "secretariat", "secrétariat", "unknown", "inconnu"}
_PARTICLES = {"van", "von", "de", "der", "den", "du", "des", "la", "le", "el", "al", "di", "da", "dos", "ter",
              "ten", "op", "in", "t", "d", "l", "bin", "ben"}


def looks_like_name(value: str) -> bool:
    """Whether a document property looks like a person's name ('Amina El Idrissi'), not an account ('eng-dept')."""
    words = value.split()
    if len(words) < 2 or any(ch.isdigit() or ch in "@_\\/|#" for ch in value):
        return False
    capitalised = 0
    for word in words:
        parts = [p for p in re.split(r"[-\u2010'\u2019]", word.rstrip(".,")) if p]
        if not parts:
            return False
        for part in parts:
            if part.lower() in _NOT_A_NAME:
                return False
            if part.lower() in _PARTICLES:
                continue
            if not (part[0].isupper() and part.replace(".", "").isalpha()):
                return False
            if not part.isupper() or len(part) == 1:
                capitalised += 1
    # 'Marie DUPONT' is a name, 'KSAS IT' is not: at least one word written as a name, not an acronym
    return capitalised >= 1


def _plain(value: object) -> str:
    return " ".join(str(value).split()) if isinstance(value, str) and value.strip() else ""


def _names(value: object) -> list[str]:
    """Names from pandoc's author metadata or Word's Author property ('Ann Dee; Bo Ek')."""
    if isinstance(value, list):
        return [n for v in value for n in _names(v)]
    return [name for name in (_plain(part) for part in _plain(value).split(";")) if name]


_EMPTY_ALT = re.compile(r"!\[\]\(")


def _mark_missing_alt(body: str) -> tuple[str, int]:
    """Images Word gave no description get a TODO alt text, which the checker and reviewers will catch."""
    count = len(_EMPTY_ALT.findall(body))
    return _EMPTY_ALT.sub(f"![{_TODO}: describe this image](", body), count
