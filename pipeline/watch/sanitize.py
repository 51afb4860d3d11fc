"""HTML from feeds made safe with nh3: a strict allow-list, and plain text for titles.

nh3's parser (html5ever) costs time in the square of the nesting depth: 100,000 nested
`<div>` take minutes. So a fragment is measured first (a linear scan), and one nested
deeper than `MAX_DEPTH` is not given to nh3: it is kept as plain text instead.
"""

from __future__ import annotations

import functools
import html
import re
from urllib.parse import urljoin, urlsplit

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
# Every attribute of ALLOWED_ATTRIBUTES that holds a URL: each is scheme-checked here,
# since nh3 checks the schemes of some URL attributes only (href, not cite).
URL_ATTRIBUTES = {"href", "cite"}
# Deeper than this, a fragment is kept as text (real feeds nest a few dozen levels at most).
MAX_DEPTH = 100
_SPACE = re.compile(r"\s+")
# [^<>] rather than [^>]: a scan never runs past the next "<", so no input makes it quadratic.
_TAG_TOKEN = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)\b[^<>]*?(/?)>")
# Elements that never nest (void) or whose start closes an open one of their kind:
# they add no depth however many there are.
_FLAT = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
    "track", "wbr", "p", "li", "dt", "dd", "tr", "td", "th", "option", "html", "head", "body",
}  # fmt: skip
_ACTIVE_START = re.compile(r"<(script|style|iframe|object|template|noscript)\b", re.IGNORECASE)
_ANY_TAG = re.compile(r"<[^<>]*>")
# Removed anywhere in a URL by browsers (WHATWG URL), so "java\tscript:" is javascript:.
_URL_NOISE = re.compile(r"[\t\n\r]")


def sanitize_html(fragment: str, base: str = "") -> str:
    """Keep only allow-listed tags, attributes and URL schemes; resolve links against `base`."""
    return _cleaner(base).clean(fragment).strip()


def nesting_depth(fragment: str) -> int:
    """How deep the elements of an HTML fragment nest, measured in one linear scan."""
    if "<" not in fragment:
        return 0
    depth = deepest = 0
    for closing, name, self_closing in _TAG_TOKEN.findall(fragment):
        if self_closing or name.lower() in _FLAT:
            continue
        if closing:
            depth = max(depth - 1, 0)
        else:
            depth += 1
            deepest = max(deepest, depth)
    return deepest


def safe_url(value: str, base: str = "") -> str | None:
    """`value` resolved against `base` if its scheme is allowed (or it is relative); else None."""
    value = _URL_NOISE.sub("", value).strip("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f"
                                            "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f ")
    try:
        resolved = urljoin(base, value) if base else value
        scheme = urlsplit(resolved).scheme.lower()
    except ValueError:
        return None
    if scheme and scheme not in URL_SCHEMES:
        return None
    return resolved


@functools.lru_cache(maxsize=64)
def _cleaner(base: str) -> nh3.Cleaner:
    def check(tag: str, attribute: str, value: str) -> str | None:
        # Returning None drops the attribute; nh3's own scheme check runs after this.
        return safe_url(value, base) if attribute in URL_ATTRIBUTES else value

    return nh3.Cleaner(
        tags=ALLOWED_TAGS,
        clean_content_tags=DROPPED_WITH_CONTENT,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
        attribute_filter=check,
    )


def html_to_text(fragment: str) -> str:
    """The text of an HTML fragment, entities decoded and whitespace collapsed."""
    if nesting_depth(fragment) > MAX_DEPTH:
        return flat_text(fragment)
    text = _TEXT_CLEANER.clean(fragment)
    return _SPACE.sub(" ", html.unescape(text)).strip()


def flat_text(fragment: str) -> str:
    """The text of an HTML fragment without parsing it: tags (and active content) dropped."""
    text = _ANY_TAG.sub(" ", _drop_active(fragment))
    return _SPACE.sub(" ", html.unescape(text)).strip()


def _drop_active(fragment: str) -> str:
    """`fragment` without script, style and the like, content included (one pass, no backtracking)."""
    lower = fragment.lower()
    parts, pos = [], 0
    for match in _ACTIVE_START.finditer(fragment):
        if match.start() < pos:
            continue
        end = lower.find(f"</{match.group(1).lower()}", match.end())
        parts.append(fragment[pos : match.start()])
        pos = len(fragment) if end == -1 else end
    parts.append(fragment[pos:])
    return " ".join(parts)


_TEXT_CLEANER = nh3.Cleaner(tags=set(), clean_content_tags=DROPPED_WITH_CONTENT)


def text_to_html(text: str) -> str:
    """Plain text as a safe HTML paragraph."""
    text = text.strip()
    return f"<p>{html.escape(text, quote=False)}</p>" if text else ""
