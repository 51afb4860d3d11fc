"""Canonical links: absolute, http(s) only, without tracking parameters.

A fragment is kept: "page#part-1" and "page#part-2" are two entries of many real feeds
(one page per issue, one anchor per article). Only a fragment that tracks the reader
("#xtor=RSS-3208", "#utm_source=rss") or points into the article itself ("#comments",
"#more-123") is dropped.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

# Query parameters that only track the reader; dropped so that one page has one link.
TRACKING_PREFIXES = ("utm_", "mtm_", "pk_", "_hs")
TRACKING_PARAMS = {
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid",
    "mc_cid", "mc_eid", "ref_src", "ocid", "cmpid", "xtor", "at_medium", "at_campaign",
}  # fmt: skip
# Fragments that point into the article itself, not at another article on its page.
SAME_PAGE_FRAGMENTS = {"top", "main", "content", "main-content", "maincontent", "comments", "respond",
                       "disqus_thread", "more"}  # fmt: skip
_DEFAULT_PORTS = {"http": 80, "https": 443}


def is_web_url(url: str) -> bool:
    """Whether `url` is an absolute http or https URL with a host."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in _DEFAULT_PORTS and bool(parts.hostname)


def canonical_link(link: str | None, base: str = "") -> str | None:
    """`link` resolved against `base` and cleaned; None when it is not a web link."""
    if not link or not link.strip():
        return None
    try:
        absolute = urljoin(base, link.strip())
        parts = urlsplit(absolute)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    if port and port != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _tracking(k)]
    fragment = parts.fragment
    if fragment.lower().split("-", 1)[0] in SAME_PAGE_FRAGMENTS or (
        "=" in fragment and all(_tracking(k) for k, _ in parse_qsl(fragment, keep_blank_values=True))
    ):
        fragment = ""
    return urlunsplit((scheme, host, parts.path or "/", urlencode(query), fragment))


def _tracking(key: str) -> bool:
    key = key.lower()
    return key in TRACKING_PARAMS or key.startswith(TRACKING_PREFIXES)


def host_of(url: str) -> str:
    """The host part of `url`, lower-cased ('' if none)."""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""
