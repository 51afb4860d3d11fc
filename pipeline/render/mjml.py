"""The MJML adapter: mjml-python (MRML, the Rust port of MJML) turns MJML into email HTML in-process."""

from __future__ import annotations

import functools
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


def render_mjml(source_text: str, source: Path | str | None = None) -> str:
    """Convert MJML to HTML; MRML's complaint becomes a `RenderError` on `source`."""
    try:
        # fonts={}: MJML's default web fonts (Roboto, Open Sans…) would make it link a Google Fonts stylesheet.
        return mjml2html(source_text, disable_comments=True, fonts={})
    except (ValueError, RuntimeError) as exc:  # MRML's parser errors
        message = str(exc).strip() or type(exc).__name__
        raise RenderError(source, f"MJML could not be rendered ({message}): check the layout in "
                          "layouts/newsletter/") from None
