"""The MJML adapter: mjml-python (MRML, the Rust port of MJML) turns MJML into email HTML in-process."""

from __future__ import annotations

import functools
import re
import unicodedata
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from mjml import mjml2html

from pipeline.errors import RenderError


@functools.cache
def mjml_version() -> str:
    """The installed mjml-python's version, part of every email target's fingerprint."""
    try:
        return version("mjml-python")
    except PackageNotFoundError:  # pragma: no cover - an unusual install
        return "unknown"


# MRML writes an attribute's non-printing characters as Rust escapes: an alt text's no-break space in
# "38 %" came out as "38\u{a0}%". As character references they reach the HTML as they were (text
# between tags comes through as it is).
_ATTRIBUTE = re.compile(r'(?<=[\s"])([\w:.-]+)="([^"<>]*)"')
_TITLE = re.compile(r"(<mj-title>)(.*?)(</mj-title>)", re.S)
_NON_ASCII = re.compile("[^\x00-\x9f]")


def _reference(match: re.Match[str]) -> str:
    char = match.group(0)
    return f"&#{ord(char)};" if unicodedata.category(char)[0] in "ZCM" else char


def character_references(source_text: str) -> str:
    """MJML whose attribute values (and title, which MRML writes into an `aria-label` too) have their spaces,
    format characters and combining marks past ASCII as character references (`&#160;`), which MRML keeps."""
    text = _ATTRIBUTE.sub(lambda m: f'{m.group(1)}="{_NON_ASCII.sub(_reference, m.group(2))}"', source_text)
    return _TITLE.sub(lambda m: m.group(1) + _NON_ASCII.sub(_reference, m.group(2)) + m.group(3), text)


def render_mjml(source_text: str, source: Path | str | None = None) -> str:
    """Convert MJML to HTML; MRML's complaint becomes a `RenderError` on `source`."""
    try:
        # fonts={}: MJML's default web fonts (Roboto, Open Sans…) would make it link a Google Fonts stylesheet.
        return mjml2html(character_references(source_text), disable_comments=True, fonts={})
    except (ValueError, RuntimeError) as exc:  # MRML's parser errors
        message = str(exc).strip() or type(exc).__name__
        raise RenderError(source, f"MJML could not be rendered ({message}): check the layout in "
                          "layouts/newsletter/") from None
