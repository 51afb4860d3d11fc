"""HTML from feeds made safe with nh3: a strict allow-list, and plain text for titles."""

from __future__ import annotations

import html
import re

import nh3

# What a summary may keep: text structure and links. No images (tracking pixels), no
# tables, no style, and nothing active: script, style, iframe, object and event
# handlers are not on the list, so nh3 drops them.
ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "cite", "code", "em", "i", "li", "ol", "p",
    "pre", "q", "s", "strong", "sub", "sup", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title", "hreflang"}, "abbr": {"title"}, "q": {"cite"}}
URL_SCHEMES = {"http", "https", "mailto"}
# Removed with their content, not just their tags.
DROPPED_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "template", "noscript"}
_SPACE = re.compile(r"\s+")


def sanitize_html(fragment: str) -> str:
    """Keep only allow-listed tags, attributes and URL schemes of an HTML fragment."""
    cleaned = nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        clean_content_tags=DROPPED_WITH_CONTENT,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    return cleaned.strip()


def html_to_text(fragment: str) -> str:
    """The text of an HTML fragment, entities decoded and whitespace collapsed."""
    text = nh3.clean(fragment, tags=set(), clean_content_tags=DROPPED_WITH_CONTENT)
    return _SPACE.sub(" ", html.unescape(text)).strip()


def text_to_html(text: str) -> str:
    """Plain text as a safe HTML paragraph."""
    text = text.strip()
    return f"<p>{html.escape(text, quote=False)}</p>" if text else ""
