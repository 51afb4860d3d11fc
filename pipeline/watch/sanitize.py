"""HTML from feeds made safe with nh3: a strict allow-list, and plain text for titles."""

from __future__ import annotations

import functools
import html
import re
from urllib.parse import urljoin

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
_URL_ATTRIBUTES = {"href", "cite"}
_SPACE = re.compile(r"\s+")


def sanitize_html(fragment: str, base: str = "") -> str:
    """Keep only allow-listed tags, attributes and URL schemes; resolve links against `base`."""
    return _cleaner(base).clean(fragment).strip()


@functools.lru_cache(maxsize=64)
def _cleaner(base: str) -> nh3.Cleaner:
    def resolve(tag: str, attribute: str, value: str) -> str:
        # Runs before nh3's URL scheme check, which still drops javascript: and the like.
        return urljoin(base, value.strip()) if attribute in _URL_ATTRIBUTES else value

    return nh3.Cleaner(
        tags=ALLOWED_TAGS,
        clean_content_tags=DROPPED_WITH_CONTENT,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
        attribute_filter=resolve if base else None,
    )


def html_to_text(fragment: str) -> str:
    """The text of an HTML fragment, entities decoded and whitespace collapsed."""
    text = _TEXT_CLEANER.clean(fragment)
    return _SPACE.sub(" ", html.unescape(text)).strip()


_TEXT_CLEANER = nh3.Cleaner(tags=set(), clean_content_tags=DROPPED_WITH_CONTENT)


def text_to_html(text: str) -> str:
    """Plain text as a safe HTML paragraph."""
    text = text.strip()
    return f"<p>{html.escape(text, quote=False)}</p>" if text else ""
