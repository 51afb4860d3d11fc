"""`crebis import`: a researcher's Word report becomes a result edition in Markdown.

Pandoc reads the DOCX (tracked changes accepted, images extracted beside the
Markdown); the front matter is pre-filled from the document and from the
result's other language editions, with TODO markers for what Word cannot give.
What Word had but the Markdown does not (comments, tracked changes, charts,
embedded objects) is reported, so nothing disappears silently.
"""

from __future__ import annotations

import datetime
import json
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

import yaml

from pipeline.content.load import SLUG, load_edition, load_themes
from pipeline.errors import ContentError, CrebisError
from pipeline.project import Project
from pipeline.render.pandoc import run_pandoc

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MAX_MEMBER = 200 * 1024 * 1024
# Plain, readable Markdown: pipe tables, no escaped apostrophes, no image sizes from Word.
_MARKDOWN = "markdown+pipe_tables-simple_tables-multiline_tables-grid_tables-raw_attribute-smart"
_TODO = "TODO"
# Tracked changes accepted (they are reported); Word's Heading 1 becomes '##': the title is the page's h1.
_DOCX_ARGS = ["--track-changes=accept", "--shift-heading-level-by=1"]
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
    """Convert `source` into `content/results/<slug>/<lang>.md` with its images; never overwrite without `force`."""
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
        media = Path(tmp)
        ast = json.loads(run_pandoc(None, [*_DOCX_ARGS, "--to=json", f"--extract-media={media}", str(source)],
                                    source=source, from_format="docx"))
        ast = json.dumps(_drop_image_sizes(ast))
        meta = json.loads(run_pandoc(ast, ["--to=markdown", f"--template={_META_TEMPLATE}"], source=source,
                                     from_format="json").decode("utf-8") or "{}")
        body = run_pandoc(ast, [f"--to={_MARKDOWN}", "--wrap=none"], source=source, from_format="json").decode("utf-8")
        directory.mkdir(parents=True, exist_ok=True)
        images = []
        for extracted in sorted(media.rglob("*")):
            if extracted.is_file():
                name = f"{lang}-{extracted.name}"
                shutil.copyfile(extracted, directory / name)
                body = body.replace(str(extracted), name)
                images.append(directory / name)

    body, missing_alt = _mark_missing_alt(body)
    facts = _sibling_facts(project, directory, lang)
    # A Title-styled paragraph wins over File > Info, which often holds a template's leftovers.
    title = _plain(meta.get("title")) or properties.get("title") or f"{_TODO}: title"
    names = _names(meta.get("author")) or _names(properties.get("author"))
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
    if missing_alt:
        todo.append(f"alt text of {missing_alt} image(s)")
    return ImportReport(written=target, images=images, dropped=lost, todo=todo)


def _plain(value: object) -> str:
    return " ".join(str(value).split()) if isinstance(value, str) and value.strip() else ""


def _names(value: object) -> list[str]:
    if isinstance(value, list):
        return [n for n in (_plain(v) for v in value) if n]
    name = _plain(value)
    return [name] if name else []


def _drop_image_sizes(node: object) -> object:
    """Word's display sizes (width="3in") mean nothing on a page or in a brief: drop them from the AST."""
    if isinstance(node, dict):
        if node.get("t") == "Image":
            attr = node["c"][0]
            attr[2] = [kv for kv in attr[2] if kv[0] not in ("width", "height")]
        for value in node.values():
            _drop_image_sizes(value)
    elif isinstance(node, list):
        for value in node:
            _drop_image_sizes(value)
    return node


_EMPTY_ALT = re.compile(r"!\[\]\(")


def _mark_missing_alt(body: str) -> tuple[str, int]:
    """Images Word gave no description get a TODO alt text, which the checker and reviewers will catch."""
    count = len(_EMPTY_ALT.findall(body))
    return _EMPTY_ALT.sub(f"![{_TODO}: describe this image](", body), count
