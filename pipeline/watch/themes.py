"""The theme taxonomy (content/themes.yaml) and keyword matching of watch items.

Matching folds case and accents and accepts a keyword's inflections in its own language:
"logement social" matches "Logements sociaux", "woning" matches "woningen", "eviction"
matches "evictions". Inflections are generated from the keyword, never found by
stemming the text, so no word is cut down into another one (career is not care, the
White House is not housing, heat is not heating). An item is matched against the
keywords of its own language only.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pipeline.content.load import load_themes
from pipeline.content.model import Theme
from pipeline.watch.models import ThemeMatch

TITLE_WEIGHT = 3.0
SUMMARY_WEIGHT = 1.0
FEED_THEME_WEIGHT = 0.5
_WORD = re.compile(r"\w+")
_TAG = re.compile(r"<[^<>]*>")
_VOWELS = set("aeiouy")
# Words this short are matched as written only: their inflections are other words.
_MIN_INFLECTED = 4


@dataclass(frozen=True)
class Taxonomy:
    """Every theme, with an index of keyword forms for matching."""

    themes: tuple[Theme, ...]
    # language -> a form of a keyword's first word -> [(theme id, the forms of each of its words)]
    index: dict[str, dict[str, tuple[tuple[str, tuple[frozenset[str], ...]], ...]]]

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(t.id for t in self.themes)


def fold(text: str) -> str:
    """Lower-case `text` and strip its accents."""
    text = text.casefold()
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_FOLDED: dict[str, str] = {}  # word -> folded word, filled as words are met
_MAX_FOLDED = 200_000


def words(text: str) -> list[str]:
    """The words of `text`, case and accents folded, in order."""
    text = text.casefold()
    if not text.isascii():  # decomposed accents would split words
        text = unicodedata.normalize("NFC", text)
    cache = _FOLDED
    out = []
    for word in _WORD.findall(text):
        folded = cache.get(word)
        if folded is None:
            folded = fold(word)
            if len(cache) < _MAX_FOLDED:
                cache[word] = folded
        out.append(folded)
    return out


def inflections(word: str, language: str) -> frozenset[str]:
    """The forms of a folded keyword word in `language`: itself, its singular and plural
    (and for French and Dutch the adjective endings), never a shorter or longer other word."""
    if len(word) < _MIN_INFLECTED:
        return frozenset({word})
    forms = {word}
    for base in _bases(word, language):
        forms.add(base)
        forms.update(_inflect(base, language))
    return frozenset(forms)


def _bases(word: str, language: str) -> Iterator[str]:
    """The word and, if it looks inflected, its uninflected forms."""
    yield word
    if language == "en":
        if word.endswith("ies"):
            yield word[:-3] + "y"
        elif word.endswith("s") and not word.endswith("ss"):
            yield word[:-1]
    elif language == "fr":
        if word.endswith("aux"):
            yield word[:-3] + "al"
        elif word.endswith(("s", "x")):
            yield word[:-1]
    elif language == "nl":
        if word.endswith("en"):
            yield word[:-2]
            if len(word) > 4 and word[-3] == word[-4] and word[-3] not in _VOWELS:  # loketten -> loket
                yield word[:-3]
        elif word.endswith("s"):
            yield word[:-1]


def _inflect(base: str, language: str) -> set[str]:
    if language == "en":
        forms = {base + "s", base + "es"}
        if base.endswith("y") and base[-2:-1] not in _VOWELS:
            forms.add(base[:-1] + "ies")
        return forms
    if language == "fr":
        forms = {base + "s", base + "x", base + "e", base + "es"}
        if base.endswith("al"):
            forms.update({base[:-2] + "aux", base + "e", base + "es"})
        return forms
    if language == "nl":
        forms = {base + "en", base + "s", base + "e"} | ({base + "n"} if base.endswith("e") else set())
        last, vowel = base[-1], base[-2:-1]
        if len(base) > 3 and base[-3:-2] == vowel and vowel in _VOWELS and last not in _VOWELS:
            soft = {"s": "z", "f": "v"}.get(last, last)  # huur -> huren, sociaal -> sociale, dakloos -> daklozen
            forms.update({base[:-2] + soft + "en", base[:-2] + soft + "e"})
        elif last not in _VOWELS and vowel in _VOWELS and base[-3:-2] not in _VOWELS:
            forms.add(base + last + "en")  # loket -> loketten
        return forms
    return {base + "s"}


def load_taxonomy(path: Path) -> Taxonomy:
    """Read the project's theme taxonomy (the one the results use) and index it for matching."""
    return build_taxonomy(list(load_themes(path).values()))


def build_taxonomy(themes: list[Theme]) -> Taxonomy:
    """Index the keywords of `themes` by language and the forms of their first word."""
    index: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for theme in themes:
        for language, keywords in theme.keywords.items():
            for keyword in keywords:
                forms = tuple(inflections(w, language) for w in words(keyword))
                if forms:
                    for first in forms[0]:
                        index[language][first].append((theme.id, forms))
    frozen = {
        lang: {first: tuple(entries) for first, entries in by_first.items()}
        for lang, by_first in index.items()
    }
    return Taxonomy(themes=tuple(themes), index=frozen)


def match_themes(
    taxonomy: Taxonomy, title: str, summary_html: str, language: str, feed_themes: tuple[str, ...] = ()
) -> ThemeMatch:
    """The themes of an item and its relevance: keyword hits weighted by where they occur.

    Only the keywords of the item's language are used: an item in no known language is
    matched by none (French "allocation" says nothing of an English memory allocation).
    Themes the feed is declared with count as a weak hit.
    """
    hits: dict[str, float] = defaultdict(float)
    index = taxonomy.index.get(language)
    if index:
        for text, weight in ((title, TITLE_WEIGHT), (_TAG.sub(" ", summary_html), SUMMARY_WEIGHT)):
            _count_hits(index, words(text), weight, hits)
    for theme_id in feed_themes:
        hits[theme_id] += FEED_THEME_WEIGHT
    ordered = sorted(hits.items(), key=lambda kv: (-kv[1], kv[0]))
    return ThemeMatch(themes=tuple(t for t, _ in ordered), relevance=round(sum(hits.values()), 3))


def _count_hits(index: dict, text_words: list[str], weight: float, hits: dict[str, float]) -> None:
    if index.keys().isdisjoint(text_words):  # the usual case, decided without a Python loop
        return
    for i, word in enumerate(text_words):
        for theme_id, forms in index.get(word, ()):
            if len(forms) == 1 or (
                i + len(forms) <= len(text_words)
                and all(w in f for w, f in zip(text_words[i + 1 : i + len(forms)], forms[1:], strict=True))
            ):
                hits[theme_id] += weight
