"""feeds.opml: read the watched feeds from OPML 2.0, write them back, edit outlines in place.

A feed is an `outline` with an `xmlUrl`; crebis reads three optional attributes on it:
`language` (fr, nl, en…), `themes` (theme ids from the taxonomy, separated by spaces or
commas) and `weight` (a number above 0, 1 by default, multiplying the items' scores).
Edits keep the file's folders (nested outlines) and comments.
"""

from __future__ import annotations

import os
import tempfile
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

from pipeline.errors import FeedError
from pipeline.watch.models import Feed


def read_opml(path: Path) -> tuple[Feed, ...]:
    """The feeds of an OPML file, in document order, each URL once."""
    root = _load(path)
    feeds: dict[str, Feed] = {}
    problems: list[str] = []
    for outline in root.iter("outline"):
        if outline.get("xmlUrl") is None:
            continue
        feed = _feed(outline, problems)
        if feed is not None:
            feeds.setdefault(feed.url, feed)
    if problems:
        raise FeedError(f"{path}: {len(problems)} problem(s):\n" + "\n".join(f"  - {p}" for p in problems))
    return tuple(feeds.values())


def repeated_urls(path: Path) -> tuple[str, ...]:
    """The feed URLs an OPML file lists more than once, each once, in document order."""
    counts: dict[str, int] = {}
    for outline in _load(path).iter("outline"):
        url = (outline.get("xmlUrl") or "").strip()
        if url:
            counts[url] = counts.get(url, 0) + 1
    return tuple(url for url, n in counts.items() if n > 1)


def render_opml(feeds: tuple[Feed, ...] | list[Feed], title: str = "Watched feeds") -> str:
    """A flat OPML 2.0 document listing `feeds`."""
    root = _skeleton(title)
    body = root.find("body")
    for feed in feeds:
        body.append(_outline(feed))
    return _serialise(root)


def add_outlines(
    path: Path, feeds: list[Feed], title: str = "Watched feeds", folders: dict[str, tuple[str, ...]] | None = None
) -> None:
    """Append `feeds` to the OPML file's body, creating the file if needed.

    `folders` gives a feed's folder path (outer first); the feed goes into the folder of
    that name, made if the file has none.
    """
    root = _load(path) if path.exists() else _skeleton(title)
    body = root.find("body")
    for feed in feeds:
        parent = body
        for name in (folders or {}).get(feed.url, ()):
            parent = next(
                (o for o in parent.findall("outline") if o.get("xmlUrl") is None and o.get("text") == name), None
            ) or ET.SubElement(parent, "outline", {"text": name})
        parent.append(_outline(feed))
    _save(root, path)


def feed_folders(path: Path) -> dict[str, tuple[str, ...]]:
    """Each feed URL of an OPML file with its folder path (the texts of the folders holding it)."""
    found: dict[str, tuple[str, ...]] = {}

    def walk(element: ET.Element, trail: tuple[str, ...]) -> None:
        for outline in element.findall("outline"):
            url = (outline.get("xmlUrl") or "").strip()
            if url:
                found.setdefault(url, trail)
            else:
                walk(outline, (*trail, outline.get("text") or outline.get("title") or ""))

    walk(_load(path).find("body"), ())
    return found


def remove_outline(path: Path, url: str) -> bool:
    """Remove the feed `url` from the OPML file; False if it is not there."""
    root = _load(path)
    removed = False
    for parent in root.iter():
        for child in list(parent):
            if child.tag == "outline" and (child.get("xmlUrl") or "").strip() == url:
                parent.remove(child)
                removed = True
    if removed:
        _save(root, path)
    return removed


def update_outline(path: Path, feed: Feed) -> bool:
    """Rewrite the attributes crebis reads on the outline of `feed.url`, in place (its folder,
    its other attributes and the file's comments stay); False if it is not there."""
    root = _load(path)
    found = False
    for outline in root.iter("outline"):
        if (outline.get("xmlUrl") or "").strip() == feed.url:
            found = True
            for key in ("title", "language", "themes", "weight"):
                outline.attrib.pop(key, None)
            fresh = _outline(feed).attrib
            outline.set("text", fresh["text"])
            for key in ("title", "language", "themes", "weight"):
                if key in fresh:
                    outline.set(key, fresh[key])
    if found:
        _save(root, path)
    return found


def document_text(path: Path, title: str | None = None) -> str:
    """The OPML file as it stands, folders and all, serialised afresh; under `title` if given."""
    root = _load(path)
    if title is not None:
        head = root.find("head")
        if head is None:
            head = ET.Element("head")
            root.insert(0, head)
        (head.find("title") if head.find("title") is not None else ET.SubElement(head, "title")).text = title
    return _serialise(root)


def move_outline(path: Path, old_url: str, new_url: str) -> bool:
    """Point the feed `old_url` at `new_url` (after a permanent redirect); False if absent."""
    root = _load(path)
    moved = False
    for outline in root.iter("outline"):
        if (outline.get("xmlUrl") or "").strip() == old_url:
            outline.set("xmlUrl", new_url)
            moved = True
    if moved:
        _save(root, path)
    return moved


def _feed(outline: ET.Element, problems: list[str]) -> Feed | None:
    url = (outline.get("xmlUrl") or "").strip()
    name = outline.get("title") or outline.get("text") or ""
    if name.strip() == url:
        name = ""
    where = f"feed {url or name or '(no xmlUrl)'}"
    if not url:
        problems.append(f"{where}: empty xmlUrl")
        return None
    weight_text = (outline.get("weight") or "1").strip()
    try:
        weight = float(weight_text)
    except ValueError:
        weight = 0.0
    if not weight > 0:
        problems.append(f"{where}: weight must be a number above 0, got {weight_text!r}")
        return None
    themes = tuple(t for t in (outline.get("themes") or "").replace(",", " ").split() if t)
    return Feed(
        url=url,
        title=name.strip(),
        html_url=(outline.get("htmlUrl") or "").strip(),
        language=(outline.get("language") or "").strip().lower(),
        themes=themes,
        weight=weight,
    )


def _outline(feed: Feed) -> ET.Element:
    attrs = {"type": "rss", "text": feed.title or feed.url}
    if feed.title:
        attrs["title"] = feed.title
    attrs["xmlUrl"] = feed.url
    if feed.html_url:
        attrs["htmlUrl"] = feed.html_url
    if feed.language:
        attrs["language"] = feed.language
    if feed.themes:
        attrs["themes"] = " ".join(feed.themes)
    if feed.weight != 1.0:
        attrs["weight"] = f"{feed.weight:g}"
    return ET.Element("outline", attrs)


def _skeleton(title: str) -> ET.Element:
    root = ET.Element("opml", {"version": "2.0"})
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    ET.SubElement(head, "dateCreated").text = format_datetime(datetime.now(UTC), usegmt=True)
    ET.SubElement(root, "body")
    return root


def _load(path: Path) -> ET.Element:
    parser = ET.XMLParser(target=ET.TreeBuilder(insert_comments=True))
    try:
        root = ET.parse(path, parser).getroot()
    except FileNotFoundError:
        raise FeedError(
            f"{path}: no feed list here; add a feed with `crebis watch feeds add URL` "
            "or import one with `crebis watch feeds import FILE.opml`"
        ) from None
    except ET.ParseError as exc:
        line, _ = exc.position
        raise FeedError(f"{path}:{line}: not valid XML ({exc}); fix the file or re-export it") from None
    if root.tag != "opml" or root.find("body") is None:
        raise FeedError(f"{path}: not an OPML file (expected <opml> with a <body>)")
    return root


def _serialise(root: ET.Element) -> str:
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _save(root: ET.Element, path: Path) -> None:
    """Write atomically: a temporary file in the same folder, then a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    head = root.find("head")
    if head is not None:
        modified = head.find("dateModified")
        if modified is None:
            modified = ET.SubElement(head, "dateModified")
        modified.text = format_datetime(datetime.now(UTC), usegmt=True)
    text = _serialise(root)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
