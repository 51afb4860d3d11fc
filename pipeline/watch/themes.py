"""The theme taxonomy (content/themes.yaml) and keyword matching of watch items.

Matching folds case and accents and compares light stems, so "Logements sociaux"
matches the keyword "logement social" and "uitkeringen" matches "uitkering".
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from pipeline.content.load import load_themes
from pipeline.content.model import Theme
from pipeline.watch.models import ThemeMatch

TITLE_WEIGHT = 3.0
SUMMARY_WEIGHT = 1.0
FEED_THEME_WEIGHT = 0.5
# Endings stripped (at most twice, longest first) to catch plurals and simple inflections
# in French, Dutch and English; a stem keeps at least four letters.
_SUFFIXES = ("ements", "ement", "ingen", "ing", "es", "en", "ed", "er", "e", "s", "x")
_MIN_STEM = 4
_WORD = re.compile(r"\w+")
_TAG = re.compile(r"<[^>]*>")


@dataclass(frozen=True)
class Taxonomy:
    """Every theme, with an index of keyword stems for matching."""

    themes: tuple[Theme, ...]
    # language -> first stem -> [(theme id, all stems of the keyword)]
    index: dict[str, dict[str, tuple[tuple[str, tuple[str, ...]], ...]]]

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


def stem(word: str) -> str:
    """A light stem of an already folded word."""
    if word.endswith("aux") and len(word) > 5:  # French plural: sociaux -> social
        word = word[:-3] + "al"
    for _ in range(2):
        for suffix in _SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= _MIN_STEM:
                word = word[: -len(suffix)]
                break
        else:
            break
    return word


_STEMS: dict[str, str] = {}  # word -> stem, filled as words are met
_MAX_STEMS = 200_000


def stems(text: str) -> list[str]:
    """The stems of the words of `text` (case and accents folded), in order."""
    text = text.casefold()
    if not text.isascii():  # decomposed accents would split words
        text = unicodedata.normalize("NFC", text)
    words = _WORD.findall(text)
    cache = _STEMS
    out = []
    for word in words:
        stemmed = cache.get(word)
        if stemmed is None:
            stemmed = stem(fold(word))
            if len(cache) < _MAX_STEMS:
                cache[word] = stemmed
        out.append(stemmed)
    return out


def load_taxonomy(path: Path) -> Taxonomy:
    """Read the project's theme taxonomy (the one the results use) and index it for matching."""
    return build_taxonomy(list(load_themes(path).values()))


def build_taxonomy(themes: list[Theme]) -> Taxonomy:
    """Index the keywords of `themes` by language and first stem."""
    index: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for theme in themes:
        for language, words in theme.keywords.items():
            for keyword in words:
                keyword_stems = tuple(stems(keyword))
                if keyword_stems:
                    index[language][keyword_stems[0]].append((theme.id, keyword_stems))
    frozen = {
        lang: {first: tuple(entries) for first, entries in by_first.items()}
        for lang, by_first in index.items()
    }
    return Taxonomy(themes=tuple(themes), index=frozen)


def match_themes(
    taxonomy: Taxonomy, title: str, summary_html: str, language: str, feed_themes: tuple[str, ...] = ()
) -> ThemeMatch:
    """The themes of an item and its relevance: keyword hits weighted by where they occur.

    Keywords of the item's language are used; of every language when it has none the
    taxonomy knows. Themes the feed is declared with count as a weak hit.
    """
    languages = [language] if language in taxonomy.index else list(taxonomy.index)
    hits: dict[str, float] = defaultdict(float)
    for text, weight in ((title, TITLE_WEIGHT), (_TAG.sub(" ", summary_html), SUMMARY_WEIGHT)):
        words = stems(text)
        for lang in languages:
            _count_hits(taxonomy.index[lang], words, weight, hits)
    for theme_id in feed_themes:
        hits[theme_id] += FEED_THEME_WEIGHT
    ordered = sorted(hits.items(), key=lambda kv: (-kv[1], kv[0]))
    return ThemeMatch(themes=tuple(t for t, _ in ordered), relevance=round(sum(hits.values()), 3))


def _count_hits(index: dict, words: list[str], weight: float, hits: dict[str, float]) -> None:
    if index.keys().isdisjoint(words):  # the usual case, decided without a Python loop
        return
    for i, word in enumerate(words):
        for theme_id, keyword in index.get(word, ()):
            if tuple(words[i : i + len(keyword)]) == keyword:
                hits[theme_id] += weight
