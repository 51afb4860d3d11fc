"""Canonical links: absolute, http(s) only, without tracking parameters or fragments."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

# Query parameters that only track the reader; dropped so that one page has one link.
TRACKING_PREFIXES = ("utm_", "mtm_", "pk_", "_hs")
TRACKING_PARAMS = {
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid",
    "mc_cid", "mc_eid", "ref_src", "ocid", "cmpid", "xtor", "at_medium", "at_campaign",
}  # fmt: skip
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
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in TRACKING_PARAMS and not k.lower().startswith(TRACKING_PREFIXES)
    ]
    return urlunsplit((scheme, host, parts.path or "/", urlencode(query), ""))


def host_of(url: str) -> str:
    """The host part of `url`, lower-cased ('' if none)."""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""
