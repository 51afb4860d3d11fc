"""Dates and numbers per edition language, through babel (fr_BE, nl_BE, en)."""

from __future__ import annotations

import datetime

from babel.dates import format_date as _babel_date
from babel.numbers import format_decimal

LOCALES = {"fr": "fr_BE", "nl": "nl_BE", "en": "en"}
# Dates in English follow British order (12 March 2026): readers in Brussels read day first.
_DATE_LOCALES = {**LOCALES, "en": "en_GB"}


def locale_of(lang: str) -> str:
    """The babel locale used for an edition language."""
    return LOCALES[lang]


def territorial_locale(lang: str) -> str:
    """The locale with its territory (fr_BE, nl_BE, en_GB): Open Graph's og:locale needs one."""
    return _DATE_LOCALES[lang]


def format_date(value: datetime.date, lang: str, style: str = "long") -> str:
    """`12 mars 2026`, `12 maart 2026`, `12 March 2026`."""
    return _babel_date(value, format=style, locale=_DATE_LOCALES[lang])


def format_number(value: float, lang: str) -> str:
    """`1 234,5` in French, `1.234,5` in Dutch, `1,234.5` in English."""
    return format_decimal(value, locale=LOCALES[lang])
