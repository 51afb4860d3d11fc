"""Plain text for the text part of an email: pandoc's AST written out at 72 columns.

Links become numbered references, `text [1]`, listed at the end as
`[1] https://…`, the way careful plain-text mail has always done it. The
text is written from the model (the AST of each field), never scraped from
the HTML part.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pipeline.errors import RenderError
from pipeline.render.typography import NARROW_NBSP

WIDTH = 72
# Quotation marks per language: (open, close) for double and single quotes; French spaces as typography.py's.
QUOTES = {
    "fr": ((f"«{NARROW_NBSP}", f"{NARROW_NBSP}»"), (f"‹{NARROW_NBSP}", f"{NARROW_NBSP}›")),
    "nl": (("“", "”"), ("‘", "’")),
    "en": (("“", "”"), ("‘", "’")),
}

Node = dict[str, Any]


@dataclass
class LinkRefs:
    """Numbered link references: the same address gets the same number."""

    numbers: dict[str, int] = field(default_factory=dict)

    def number(self, url: str) -> int:
        return self.numbers.setdefault(url, len(self.numbers) + 1)

    def lines(self) -> list[str]:
        return [f"[{n}] {url}" for url, n in self.numbers.items()]


def wrap(text: str, width: int = WIDTH, first: str = "", rest: str | None = None) -> list[str]:
    """Wrap one paragraph; words longer than the width (addresses) are never broken."""
    wrapper = textwrap.TextWrapper(width=width, initial_indent=first, subsequent_indent=first if rest is None else rest,
                                   break_long_words=False, break_on_hyphens=False)
    return wrapper.wrap(text) or [first.rstrip()]


def underline(title: str, char: str) -> list[str]:
    """A heading: wrapped, with a line of `char` as long as its longest line."""
    lines = wrap(title)
    return [*lines, char * max(len(line) for line in lines)]


class TextWriter:
    """Writes pandoc AST nodes as plain text, numbering links in `refs`."""

    def __init__(self, lang: str, refs: LinkRefs, href: Callable[[str], str], source: str | None = None):
        self.lang, self.refs, self.href, self.source = lang, refs, href, source
        self.quotes = QUOTES.get(lang, QUOTES["en"])

    def inlines(self, nodes: list[Node]) -> str:
        """Inline nodes as one line of text (line breaks become spaces; the caller wraps).

        The AST comes from pandoc, whose typography filter (filters/typography.lua) has set the
        language's spaces and apostrophes already; texts from elsewhere go through `typeset`.
        """
        return "".join(self._inline(n) for n in nodes)

    def _inline(self, n: Node) -> str:
        t, c = n["t"], n.get("c")
        if t == "Str":
            return c
        if t in ("Space", "SoftBreak", "LineBreak"):
            return " "
        if t in ("Emph", "Strong", "Underline", "Strikeout", "Superscript", "Subscript", "SmallCaps"):
            return self.inlines(c)
        if t == "Span":
            return self.inlines(c[1])
        if t == "Quoted":
            opening, closing = self.quotes[0 if c[0]["t"] == "DoubleQuote" else 1]
            return f"{opening}{self.inlines(c[1])}{closing}"
        if t == "Code":
            return c[1]
        if t == "Math":
            return c[1]
        if t == "Cite":
            return self.inlines(c[1])
        if t == "Link":
            text, url = self.inlines(c[1]), self.href(c[2][0])
            if text == c[2][0] or text == url or (url.startswith("mailto:") and text == url[7:]):
                return text
            return f"{text} [{self.refs.number(url)}]"
        if t == "Image":
            alt = self.inlines(c[1])
            return f"[{alt}]" if alt else ""
        if t == "RawInline":
            return ""
        raise RenderError(self.source, f"{t} is not supported in a newsletter: remove it from the text")

    def blocks(self, nodes: list[Node], indent: str = "") -> list[str]:
        """Block nodes as lines, paragraphs separated by a blank line."""
        out: list[str] = []
        for n in nodes:
            lines = self._block(n, indent)
            if lines:
                if out:
                    out.append("")
                out.extend(lines)
        return out

    def _block(self, n: Node, indent: str) -> list[str]:
        t, c = n["t"], n.get("c")
        if t in ("Para", "Plain"):
            return wrap(self.inlines(c), first=indent)
        if t == "Header":
            return [indent + line for line in underline(self.inlines(c[2]), "-" if c[0] <= 2 else "·")]
        if t == "BulletList":
            return self._items(c, ["* "] * len(c), indent)
        if t == "OrderedList":
            start = c[0][0]
            return self._items(c[1], [f"{start + i}. " for i in range(len(c[1]))], indent)
        if t == "BlockQuote":
            return self.blocks(c, indent + "> ")
        if t == "Div":
            return self.blocks(c[1], indent)
        if t == "LineBlock":
            return [indent + self.inlines(line) for line in c]
        if t == "CodeBlock":
            return [indent + "    " + line for line in c[1].split("\n")]
        if t == "HorizontalRule":
            return [indent + "-" * (WIDTH - len(indent))]
        if t == "RawBlock":
            return []
        what = {"Table": "tables", "Figure": "figures", "DefinitionList": "definition lists"}.get(t, t)
        raise RenderError(self.source, f"{what} are not supported in a newsletter: write the text as "
                          "paragraphs or lists")

    def _items(self, items: list[list[Node]], markers: list[str], indent: str) -> list[str]:
        out: list[str] = []
        tight = all(len(blocks) <= 1 for blocks in items)
        for blocks, marker in zip(items, markers, strict=True):
            lines = self.blocks(blocks, indent + " " * len(marker))
            if lines:
                lines[0] = indent + marker + lines[0][len(indent) + len(marker):]
            if out and not tight:
                out.append("")
            out.extend(lines)
        return out

    def meta(self, value: Node, indent: str = "") -> list[str]:
        """A front matter field converted by pandoc (inlines or blocks) as wrapped lines."""
        if value["t"] == "MetaBlocks":
            return self.blocks(value["c"], indent)
        if value["t"] == "MetaInlines":
            return wrap(self.inlines(value["c"]), first=indent)
        return wrap(str(value.get("c", "")), first=indent)
