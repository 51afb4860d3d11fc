"""Build-time checks of a rendered email: the rules that keep it readable, accessible and unclipped.

`check_email` parses the HTML once and returns every broken rule as a sentence;
the newsletter renderer turns a non-empty list into a `RenderError`, so a bad
email is never written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

# Gmail clips a message whose HTML is above 102 KB, hiding the rest (and the unsubscribe link) behind a link.
GMAIL_CLIP_BYTES = 102 * 1000
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
_MERGE_FIELD = re.compile(r"^\[\[[a-z_]+\]\]$")
# What a mail client loads by itself when it opens a message: each one tells a third party who read it when.
_RESOURCE_ATTRS = {"img": ("src",), "link": ("href",), "script": ("src",), "iframe": ("src",), "source": ("src",),
                   "video": ("src", "poster"), "audio": ("src",), "input": ("src",), "embed": ("src",),
                   "object": ("data",), "body": ("background",), "table": ("background",), "td": ("background",)}
_CSS_URL = re.compile(r"""(?:url\(\s*['"]?|@import\s+['"])((?:https?:)?//[^'")\s]+)""", re.I)


@dataclass(frozen=True)
class EmailRules:
    """What one email must satisfy beyond the fixed rules."""

    lang: str
    preheader: str
    merge_fields: tuple[str, ...] = ()
    """Placeholders the sending step fills in; each must appear in the HTML and the text part."""
    utm: dict[str, str] = field(default_factory=dict)
    """UTM parameters every link to `own_hosts` must carry (empty: no UTM expected)."""
    own_hosts: tuple[str, ...] = ()
    max_bytes: int = GMAIL_CLIP_BYTES
    resource_hosts: tuple[str, ...] | None = None
    """Hosts images, style sheets and other loaded resources may come from (None: not checked)."""


def _style(value: str | None) -> dict[str, str]:
    out = {}
    for decl in (value or "").split(";"):
        if ":" in decl:
            key, _, val = decl.partition(":")
            out[key.strip().lower()] = val.strip().lower()
    return out


def _has_background(attrs: dict[str, str | None], style: dict[str, str]) -> bool:
    if attrs.get("bgcolor"):
        return True
    background = style.get("background-color") or style.get("background") or ""
    return bool(background) and background not in ("transparent", "none", "inherit", "initial")


@dataclass
class _Frame:
    tag: str
    background: bool
    hidden: bool


class _EmailParser(HTMLParser):
    """Collects, in one pass, what the rules look at."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.html_lang: str | None = None
        self.images: list[dict[str, str | None]] = []
        self.tables: list[dict[str, str | None]] = []
        self.links: list[str | None] = []
        self.resources: list[str] = []
        self.coloured_without_background: list[str] = []
        self.hidden_text: list[str] = []
        self.stack: list[_Frame] = []

    def handle_starttag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        attrs = dict(attrs_list)
        style = _style(attrs.get("style"))
        if tag == "html":
            self.html_lang = attrs.get("lang")
        elif tag == "img":
            self.images.append(attrs)
        elif tag == "table":
            self.tables.append(attrs)
        elif tag == "a":
            self.links.append(attrs.get("href"))
        for name in _RESOURCE_ATTRS.get(tag, ()):
            if attrs.get(name):
                self.resources.append(str(attrs[name]))
        parent = self.stack[-1] if self.stack else _Frame("", False, False)
        # Mail clients (Gmail among them) drop the styles of <html> and <body>: a background there does not count.
        background = parent.background or (tag not in ("html", "body") and _has_background(attrs, style))
        hidden = parent.hidden or style.get("display") == "none"
        if ("color" in style or (tag == "font" and attrs.get("color"))) and not background and not hidden:
            self.coloured_without_background.append(f"<{tag} style=\"{attrs.get('style') or ''}\">")
        if tag not in _VOID:
            self.stack.append(_Frame(tag, background, hidden))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID and self.stack and self.stack[-1].tag == tag:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index].tag == tag:
                del self.stack[index:]
                break

    def handle_data(self, data: str) -> None:
        if self.stack and self.stack[-1].hidden and data.strip():
            self.hidden_text.append(data.strip())


def _absolute(url: str | None) -> bool:
    return bool(url) and url.startswith(("https://", "http://")) and " " not in url  # type: ignore[union-attr]


def check_email(html: str, text: str, rules: EmailRules) -> list[str]:
    """Every rule the email breaks, as sentences saying what to fix; empty if it is fine."""
    parser = _EmailParser()
    parser.feed(html)
    parser.close()
    problems = []
    if not parser.html_lang:
        problems.append("<html> has no lang attribute: screen readers need it to pick a voice")
    elif parser.html_lang != rules.lang:
        problems.append(f"<html lang=\"{parser.html_lang}\"> but this edition is in '{rules.lang}'")
    for img in parser.images:
        src = img.get("src") or ""
        if not (img.get("alt") or "").strip():
            problems.append(f"image {src or '(no src)'} has no alt text: mail clients block images, "
                            "and screen readers read the alt")
        if not _absolute(src):
            problems.append(f"image src {src!r} is not an absolute URL: a mail client cannot resolve it")
    for table in parser.tables:
        if table.get("role") != "presentation":
            problems.append("a layout <table> lacks role=\"presentation\": screen readers would announce "
                            "rows and columns")
    if not rules.preheader.strip():
        problems.append("the preheader is empty: inboxes would show the first words of the body instead")
    elif not any(t.startswith(rules.preheader.strip()) for t in parser.hidden_text):
        problems.append("the preheader is missing: it belongs in a hidden block at the top of the body")
    size = len(html.encode("utf-8"))
    if size >= rules.max_bytes:
        problems.append(f"the HTML is {size / 1000:.0f} KB: Gmail clips messages above "
                        f"{rules.max_bytes / 1000:.0f} KB (and hides the unsubscribe link); shorten the issue")
    for href in parser.links:
        if href and _MERGE_FIELD.match(href) and href in rules.merge_fields:
            continue
        if not href or not (_absolute(href) or href.startswith("mailto:")):
            problems.append(f"link {href!r} is not absolute: in an email every link needs https://")
            continue
        if rules.utm and urlsplit(href).hostname in rules.own_hosts:
            query = parse_qs(urlsplit(href).query)
            if any(query.get(key) != [value] for key, value in rules.utm.items()):
                problems.append(f"link {href} lacks the UTM parameters {rules.utm}")
    for element in parser.coloured_without_background[:5]:
        problems.append(f"text colour without a background colour in {element[:120]}: dark mode would keep "
                        "the colour on a dark background")
    if rules.resource_hosts is not None:
        remote = [*parser.resources, *(m.group(1) for m in _CSS_URL.finditer(html))]
        for url in dict.fromkeys(remote):
            host = urlsplit(url if "//" in url else "").hostname
            if host and host not in rules.resource_hosts:
                problems.append(f"remote resource {url[:100]} is loaded from {host}: only the project's own site "
                                f"({', '.join(rules.resource_hosts)}) may serve what an email loads (fonts, images, "
                                "style sheets), or the third party learns who reads it")
    for merge_field in rules.merge_fields:
        for part, content in (("HTML", html), ("text", text)):
            if merge_field not in content:
                problems.append(f"the merge field {merge_field} is missing from the {part} part")
    return problems
