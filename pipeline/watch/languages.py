"""Feeds' language tags and names ("en-GB", "fra", "English", "Nederlands") as the project's codes.

The codes are ISO 639-1 where one exists (fr, nl, en, de…), as in `crebis.toml` and the
theme taxonomy. Babel knows the tags, their ISO 639-2 aliases and the languages' names.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from babel import Locale
from babel.core import get_global

_TAG = re.compile(r"^([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{1,8})*$")
# Languages whose own name ("Deutsch", "Español") is recognised besides their names in
# English, French and Dutch: the official languages of the EU and the centre's neighbours'.
_AUTONYMS = (
    "bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "ga", "hr", "hu", "it", "lt", "lv",
    "mt", "nl", "pl", "pt", "ro", "sk", "sl", "sv", "ar", "tr", "uk", "ru", "lb",
)  # fmt: skip


def language_code(value: str | None) -> str:
    """The code of a language tag or name; '' when it names no language Babel knows."""
    return _code((value or "").strip()[:100])


@functools.lru_cache(maxsize=1024)
def _code(text: str) -> str:
    if not text:
        return ""
    tag = _TAG.match(text)
    if tag:
        code = tag.group(1).lower()
        code = _aliases().get(code, code)
        if code in _known():
            return code
    name = _fold(re.split(r"[(,;/]", text, maxsplit=1)[0])
    return _names().get(name, "")


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold().strip())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@functools.cache
def _aliases() -> dict[str, str]:
    """ISO 639-2 and deprecated codes to their short form (eng -> en, dut -> nl)."""
    return {k: v for k, v in get_global("language_aliases").items() if "_" not in v}


@functools.cache
def _known() -> frozenset[str]:
    return frozenset(code for code in Locale("en").languages if "_" not in code)


@functools.cache
def _names() -> dict[str, str]:
    """Folded language name -> code, from the names in English, French and Dutch and autonyms."""
    names: dict[str, str] = {}
    for locale in ("en", "fr", "nl"):
        for code, name in Locale(locale).languages.items():
            if "_" not in code:
                names.setdefault(_fold(name), code)
    for code in _AUTONYMS:
        names[_fold(Locale(code).get_display_name(code))] = code
    return names
