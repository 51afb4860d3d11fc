"""Generic site pages: `content/pages/<slug>/<lang>.md` (about, legal notice, accessibility statement…).

Front matter: `title` and `description` (the search engines' snippet, at most 160
characters) are required; `illustrative: true` marks sample text; `order` sorts the
footer links. The body is Markdown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.content.load import FrontMatterReader, check_body, check_keys, content_folders, read_document
from pipeline.errors import ContentError

MAX_DESCRIPTION = 160
_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
RESERVED = {"results", "themes", "newsletters", "watch", "search", "pagefind"}
"""Folder names the site uses for its own pages: a page folder cannot take one."""


def is_page_name(name: str) -> bool:
    """Whether a folder of content/pages may be a page: a slug the site does not use for its own pages."""
    return bool(_SLUG.match(name)) and name not in RESERVED


@dataclass(frozen=True)
class PageEdition:
    """One language of a generic page."""

    slug: str
    lang: str
    path: Path
    title: str
    description: str
    illustrative: bool
    order: int
    body: str


@dataclass(frozen=True)
class Page:
    slug: str
    editions: tuple[PageEdition, ...]

    def edition(self, lang: str) -> PageEdition | None:
        return next((e for e in self.editions if e.lang == lang), None)


@dataclass
class LoadedPages:
    pages: list[Page] = field(default_factory=list)
    errors: list[ContentError] = field(default_factory=list)


def load_page_edition(path: Path, slug: str, lang: str, errors: list[ContentError]) -> PageEdition | None:
    """Read one language file of a page; problems go to `errors` (with their line) and give None."""
    before = len(errors)
    read = read_document(path, errors)
    if read is None:
        return None
    _raw, doc = read
    reader = FrontMatterReader(path, doc, errors)
    check_keys(reader, ("title", "description"), ("illustrative", "order"))
    data = doc.data
    title = reader.text(data.get("title"), ("title",))
    description = reader.text(data.get("description"), ("description",))
    if description and len(description) > MAX_DESCRIPTION:
        reader.error(("description",), f"'description' has {len(description)} characters: search engines show "
                     f"{MAX_DESCRIPTION} at most, shorten it")
    illustrative = data.get("illustrative", False)
    if not isinstance(illustrative, bool):
        reader.error(("illustrative",), "'illustrative' must be true or false")
    order = data.get("order", 100)
    if not isinstance(order, int) or isinstance(order, bool):
        reader.error(("order",), "'order' must be a whole number (footer links are sorted by it)")
    check_body(path, doc, set(), errors)
    if len(errors) > before or title is None or description is None:
        return None
    return PageEdition(slug, lang, path, title, description, bool(illustrative), int(order), doc.body)


def load_pages(pages_dir: Path, languages: list[str]) -> LoadedPages:
    """Every page under `pages_dir`, sorted by slug; a file with errors is left out and its errors kept."""
    loaded = LoadedPages()
    if not pages_dir.is_dir():
        return loaded
    for directory in content_folders(pages_dir):
        if not is_page_name(directory.name):
            loaded.errors.append(ContentError(directory, f"page folder '{directory.name}' must be lower-case words "
                                              "joined by '-' and not one of " + ", ".join(sorted(RESERVED))))
            continue
        editions = []
        for lang in languages:
            path = directory / f"{lang}.md"
            if path.is_file():
                edition = load_page_edition(path, directory.name, lang, loaded.errors)
                if edition:
                    editions.append(edition)
        if editions:
            loaded.pages.append(Page(directory.name, tuple(editions)))
    return loaded
