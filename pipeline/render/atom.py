"""Atom feeds (RFC 4287): the one writer of the results, newsletter and digest feeds.

Each feed kind says what its feed and entries hold (`Entry`); this module writes the XML. Every
text and attribute passes through `xml_text`, so a character XML 1.0 forbids (a control
character, U+FFFE, a lone surrogate) can never make a feed unreadable, wherever the text
came from (content, labels, a watched source's title).
"""

from __future__ import annotations

import datetime
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass

NS = "http://www.w3.org/2005/Atom"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# What XML 1.0 allows (https://www.w3.org/TR/xml/#charsets); everything else is dropped.
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """`text` without the characters XML 1.0 forbids."""
    return _NOT_XML.sub("", text)


def timestamp(date: datetime.date, time: datetime.time = datetime.time(8, 0)) -> str:
    """An RFC 3339 date-time in UTC, as Atom wants it: `2026-03-12T08:00:00Z`."""
    return f"{date.isoformat()}T{time.isoformat(timespec='seconds')}Z"


@dataclass(frozen=True)
class Entry:
    """One entry of a feed; `content` is HTML, `categories` are (term, label) pairs."""

    id: str
    title: str
    updated: str
    link: str
    published: str | None = None
    authors: tuple[str, ...] = ()
    categories: tuple[tuple[str, str], ...] = ()
    summary: str | None = None
    content: str | None = None


# The elements are written unqualified under an `xmlns` declared on the root: ET's namespace registry
# is global, and the sitemap registers its own default namespace, so a feed written at the same time
# in another thread could come out with `ns0:` prefixes.
def feed(id: str, title: str, lang: str, updated: str, entries: Iterable[Entry], *, self_url: str, alternate: str,
         author: str, author_uri: str | None = None) -> bytes:
    """A whole Atom feed document, UTF-8, with the feed's own address (`self_url`) and its web page."""
    root = ET.Element("feed", {"xmlns": NS, _XML_LANG: lang})
    _sub(root, "id", id)
    _sub(root, "title", title)
    _sub(root, "updated", updated)
    _sub(root, "link", rel="self", type="application/atom+xml", href=self_url)
    _sub(root, "link", rel="alternate", type="text/html", href=alternate)
    _author(root, author, author_uri)
    for e in entries:
        entry = _sub(root, "entry")
        _sub(entry, "id", e.id)
        _sub(entry, "title", e.title)
        if e.published:
            _sub(entry, "published", e.published)
        _sub(entry, "updated", e.updated)
        _sub(entry, "link", rel="alternate", type="text/html", href=e.link)
        for name in e.authors:
            _author(entry, name)
        for term, label in e.categories:
            _sub(entry, "category", term=term, label=label)
        if e.summary is not None:
            _sub(entry, "summary", e.summary)
        if e.content is not None:
            _sub(entry, "content", e.content, type="html")
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: xml_text(v) for k, v in attrs.items()})
    if text is not None:
        element.text = xml_text(text)
    return element


def _author(parent: ET.Element, name: str, uri: str | None = None) -> None:
    author = _sub(parent, "author")
    _sub(author, "name", name)
    if uri:
        _sub(author, "uri", uri)
