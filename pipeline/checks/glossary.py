"""Glossaries of jargon (`content/glossary/<lang>.yaml`): terms, their inflected forms and a plain alternative.

    non-recours: ne pas recevoir une aide à laquelle on a droit
    éligible:
      forms: [éligibles]
      plain: qui a droit
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pipeline.content.load import read_yaml
from pipeline.errors import ContentError


@dataclass(frozen=True)
class Glossary:
    """Terms of one language and their plain alternatives, matched as whole words, any case."""

    plain: dict[str, str]
    """Every form (lower case) → plain alternative."""
    terms: dict[str, str]
    """Every form (lower case) → the glossary's headword."""
    pattern: re.Pattern[str] | None

    def find(self, text: str) -> Iterator[tuple[int, str, str]]:
        """(index in text, headword, plain alternative) of each term in `text`."""
        if self.pattern is None:
            return
        for match in self.pattern.finditer(text):
            form = match.group(0).lower().replace("’", "'")
            yield match.start(), self.terms[form], self.plain[form]


def make_glossary(entries: dict[str, tuple[tuple[str, ...], str]]) -> Glossary:
    """A glossary from headword → (forms, plain alternative)."""
    plain, terms = {}, {}
    for headword, (forms, alternative) in entries.items():
        for form in (headword, *forms):
            plain[form.lower()] = alternative
            terms[form.lower()] = headword
    if not plain:
        return Glossary({}, {}, None)
    alternation = "|".join(re.escape(f).replace("'", "['’]") for f in sorted(plain, key=len, reverse=True))
    return Glossary(plain, terms, re.compile(rf"(?<![\w-])(?:{alternation})(?![\w-])", re.IGNORECASE))


def load_glossary(path: Path) -> Glossary:
    """Read one language's glossary; an absent file is an empty glossary."""
    try:
        data = read_yaml(path) or {}
    except FileNotFoundError:
        return make_glossary({})
    if not isinstance(data, dict):
        raise ContentError(path, "expected 'term: plain alternative' lines")
    entries: dict[str, tuple[tuple[str, ...], str]] = {}
    for term, value in data.items():
        if isinstance(value, str):
            entries[str(term)] = ((), value)
        elif isinstance(value, dict) and isinstance(value.get("plain"), str):
            forms = value.get("forms") or []
            if not isinstance(forms, list):
                raise ContentError(path, f"'{term}': 'forms' must be a list of words")
            entries[str(term)] = (tuple(str(f) for f in forms), value["plain"])
        else:
            raise ContentError(path, f"'{term}': give a plain alternative, or 'plain:' and 'forms:'")
    return make_glossary(entries)
