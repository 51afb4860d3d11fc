"""Typography per language, one set of rules for every output.

Pandoc documents (web pages, briefs, DOCX, newsletters) get these rules from the Lua filter
`filters/typography.lua`, applied by every pandoc conversion; texts that do not go through
pandoc get them from `typeset`: interface labels (when loaded), the `typeset` filter of the
templates (titles, excerpts, meta descriptions, subjects, preheaders), feeds, social posts, email
subjects, the easy-to-read summaries and the how-to-cite line. Both follow the
table below, and a test holds them to the same results.

- a no-break space between a number and `%`, `‰` or a unit (`34 %`, `12 km`), so they never part;
- French: a narrow no-break space before `; : ! ?` and `»`, and after `«`;
- an en dash in number ranges (`15-30`, `2024‑2025` with U+2011 → `15–30`);
- curly apostrophes (`l'aide` → `l’aide`);
- no-break spaces around `=`, `<`, `>`, `≤`, `≥` between a word and a number (`n = 214`, `p < 0,05`), so
  a sample size or a threshold is never cut over two lines (a table's cells, a chart's label).
"""

from __future__ import annotations

import re

NBSP = "\u00a0"
NARROW_NBSP = "\u202f"
UNITS = ("%", "‰", "€", "km", "m", "m²", "m2", "cm", "kg", "g", "h", "min", "s", "°C", "ans", "jaar", "years",
         "mois", "maanden", "months", "ETP", "FTE", "VTE")
"""What a number and a space may be followed by, to be kept with it."""

_UNIT = "|".join(re.escape(u) for u in sorted(UNITS, key=len, reverse=True))
_NUMBER_UNIT = re.compile(rf"(?<=\d)[ \u00a0\u202f](?=(?:{_UNIT})(?![\w²]))")
# not 2026-04 (a month) nor 2026-03-12 (a date): a range ends with a number that has no leading zero
_RANGE = re.compile(r"(?<![\d\-\u2011/.])(\d+)[-\u2011]([1-9]\d*)(?![\d\-\u2011/])")
_APOSTROPHE = re.compile(r"(?<=\w)'(?=\w)")
_RELATION = re.compile(r"(?<=\w)[ \u00a0]([=<>≤≥])[ \u00a0](?=[−-]?\d)")
_FR_BEFORE = re.compile(r"(?<=\S)[ \u00a0]([;:!?»])")
_FR_BEFORE_TIGHT = re.compile(r"(?<=[^\s\d:/])([;!?])(?=\s|$)")
_FR_COLON_TIGHT = re.compile(r"(?<=[^\W\d_]):(?=\s)")
_FR_AFTER = re.compile(r"«[ \u00a0]?(?=\S)")
_FR_CLOSE_TIGHT = re.compile(r"(?<=\S)»")


def typeset(text: str, lang: str) -> str:
    """`text` with the typography of `lang` (see the module); safe to apply twice."""
    text = _APOSTROPHE.sub("’", text)
    text = _RANGE.sub(r"\1–\2", text)
    space = NARROW_NBSP if lang == "fr" else NBSP
    text = _NUMBER_UNIT.sub(space, text)
    text = _RELATION.sub(NBSP + r"\1" + NBSP, text)
    if lang == "fr":
        text = _FR_BEFORE.sub(lambda m: NARROW_NBSP + m.group(1), text)
        text = _FR_BEFORE_TIGHT.sub(lambda m: NARROW_NBSP + m.group(1), text)
        text = _FR_COLON_TIGHT.sub(NARROW_NBSP + ":", text)
        text = _FR_AFTER.sub("«" + NARROW_NBSP, text)
        text = _FR_CLOSE_TIGHT.sub(NARROW_NBSP + "»", text)
    return text


def lang_of(tag: str) -> str:
    """`fr` for `fr-BE`, `fr_BE` or `fr`."""
    return re.split(r"[-_]", tag, maxsplit=1)[0].lower()
