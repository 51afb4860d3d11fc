"""Readability formulas, each as published for its language, over counts of words, sentences and syllables.

Counted as each formula's published procedure says (`count`):

- Flesch (1948; and his procedure as restated in The Art of Readable Writing,
  1949, and How to Test Readability, 1951): words are runs of letters, a
  hyphenated word or an elision counting once ("non-recours", "l'aide"), and
  figures and symbols count as words too ("17", "12,5 %"), their syllables as
  read aloud ("12,5 %" is douze virgule cinq pour cent); a sentence is a unit
  marked off by a full stop, question or exclamation mark, colon, semicolon or
  dash; an acronym is read letter by letter (`pipeline.checks.syllables`).
  Kandel & Moles and Douma transpose Flesch's formula and keep his procedure.
- LIX (Björnsson 1968): the same words, figures included; a sentence ends at a
  full stop, colon, question or exclamation mark (not at a semicolon or dash);
  a long word has more than six letters as written (a figure has none).

- Flesch Reading Ease (English). Flesch, R. (1948). A new readability yardstick.
  Journal of Applied Psychology 32(3), 221–233:
  206.835 − 1.015 × words/sentences − 84.6 × syllables/words.
  0–100, higher is easier; 60–70 is "plain English".
- Flesch–Kincaid grade (English). Kincaid, J. P., Fishburne, R. P., Rogers, R. L.
  & Chissom, B. S. (1975). Derivation of new readability formulas for Navy enlisted
  personnel. Research Branch Report 8-75, Naval Technical Training Command:
  0.39 × words/sentences + 11.8 × syllables/words − 15.59 (a US school grade).
- Kandel & Moles (French). Kandel, L. & Moles, A. (1958). Application de l'indice
  de Flesch à la langue française. Cahiers Études de Radio-Télévision 19, 253–274:
  207 − 1.015 × words/sentences − 73.6 × syllables/words (Flesch's scale).
- Flesch–Douma (Dutch). Douma, W. H. (1960). De leesbaarheid van landbouwbladen.
  Bulletin 17, Afdeling Sociologie en Sociografie, Landbouwhogeschool Wageningen:
  206.84 − 0.93 × words/sentences − 77 × syllables/words (Flesch's scale).
- LIX (all languages). Björnsson, C. H. (1968). Läsbarhet. Stockholm: Liber:
  words/sentences + 100 × long words/words, a long word having more than six
  letters. Below 30 very easy, 40 plain, above 50 hard.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from pipeline.checks.syllables import counter
from pipeline.checks.text import WORD, Sentence


@dataclass(slots=True)
class Counts:
    """What every formula reads from a text (slots and not frozen, as `Sentence`: one per sentence is made, and a
    frozen __init__ sets each field through object.__setattr__)."""

    words: int
    sentences: int
    syllables: int
    long_words: int
    """Words of more than six letters (for LIX)."""
    lix_sentences: int = 0
    """Sentences in LIX's sense (0: the same as `sentences`)."""

    @staticmethod
    def total(parts: Iterable[Counts]) -> Counts:
        """The sum of `parts` (without a new object per addition: a text has hundreds of sentences)."""
        words = sentences = syllables = long_words = lix_sentences = 0
        for part in parts:
            words += part.words
            sentences += part.sentences
            syllables += part.syllables
            long_words += part.long_words
            lix_sentences += part.lix_sentences
        return Counts(words, sentences, syllables, long_words, lix_sentences)

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.words + other.words, self.sentences + other.sentences,
                      self.syllables + other.syllables, self.long_words + other.long_words,
                      self.lix_sentences + other.lix_sentences)

    @property
    def words_per_sentence(self) -> float:
        return self.words / self.sentences if self.sentences else 0.0

    @property
    def syllables_per_word(self) -> float:
        return self.syllables / self.words if self.words else 0.0


class Formula(NamedTuple):
    name: str
    higher_is_easier: bool
    compute: object


def flesch_reading_ease(c: Counts) -> float:
    return 206.835 - 1.015 * c.words_per_sentence - 84.6 * c.syllables_per_word


def flesch_kincaid_grade(c: Counts) -> float:
    return 0.39 * c.words_per_sentence + 11.8 * c.syllables_per_word - 15.59


def kandel_moles(c: Counts) -> float:
    return 207 - 1.015 * c.words_per_sentence - 73.6 * c.syllables_per_word


def flesch_douma(c: Counts) -> float:
    return 206.84 - 0.93 * c.words_per_sentence - 77 * c.syllables_per_word


def lix(c: Counts) -> float:
    sentences = c.lix_sentences or c.sentences
    return (c.words / sentences if sentences else 0.0) + (100 * c.long_words / c.words if c.words else 0.0)


# The formulas reported for each language; the first is the language's Flesch score, the one targets apply to.
FORMULAS: dict[str, dict[str, Formula]] = {
    "fr": {"kandel-moles": Formula("Kandel & Moles", True, kandel_moles), "lix": Formula("LIX", False, lix)},
    "nl": {"flesch-douma": Formula("Flesch–Douma", True, flesch_douma), "lix": Formula("LIX", False, lix)},
    "en": {"flesch-reading-ease": Formula("Flesch Reading Ease", True, flesch_reading_ease),
           "flesch-kincaid-grade": Formula("Flesch–Kincaid grade", False, flesch_kincaid_grade),
           "lix": Formula("LIX", False, lix)},
}


def flesch_formula(lang: str) -> str:
    """The id of the language's Flesch-scale formula."""
    return next(iter(FORMULAS[lang]))


def scores(lang: str, counts: Counts) -> dict[str, float]:
    """Every formula of the language, by id, rounded to one decimal."""
    if not counts.words or not counts.sentences:
        return {}
    return {key: round(f.compute(counts), 1) for key, f in FORMULAS[lang].items()}


def count(lang: str, sentences: Iterable[Sentence]) -> Counts:
    """Words, sentences, syllables and long words of `sentences` by the formulas' procedure (see above)."""
    return Counts.total(sentence_counts(lang, sentences))


def sentence_counts(lang: str, sentences: Iterable[Sentence]) -> list[Counts]:
    """`count` of each sentence alone, in one pass over their words (a text's figures, and its hardest
    sentences, read every sentence's)."""
    costs = _word_costs(lang)
    out = []
    for sentence in sentences:
        total = long_words = 0
        for word in sentence.words:
            cost = costs.get(word)
            if cost is None:
                cost = costs[word] = _word_cost(lang, word)
            total += cost[0]
            long_words += cost[1]
        figures = sentence.figures
        if figures:  # most sentences have none
            total += sum(figure_syllables(lang, f) for f in figures)
        out.append(Counts(len(sentence.words) + len(figures), sentence.units, total, long_words, sentence.lix_units))
    return out


@functools.cache
def _word_costs(lang: str) -> dict[str, tuple[int, int]]:
    """word as written → (syllables, 1 if a long word for LIX): a text repeats its words, each is counted once."""
    return {}


def _word_cost(lang: str, word: str) -> tuple[int, int]:
    return counter(lang).count(word), int(len(word.replace("-", "").replace("'", "").replace("’", "")) > 6)


_PERCENT = {"fr": "pour cent", "nl": "procent", "en": "per cent"}
_DECIMAL = {"fr": ",", "nl": ",", "en": "."}


@functools.cache
def figure_syllables(lang: str, figure: str) -> int:
    """Syllables of a figure read aloud in `lang`: "12,5 %" is douze virgule cinq pour cent (7)."""
    from num2words import num2words

    text = figure.replace("%", "").strip()
    decimal = _DECIMAL[lang]
    whole, _, fraction = re.sub(r"[ \u00a0\u202f]", "", text).rpartition(decimal) if decimal in text else (text, "", "")
    if not whole:
        whole, fraction = text, ""
    digits = re.sub(r"\D", "", whole)
    if not digits:
        return 1
    number: float | int = int(digits)
    if fraction and fraction.isdigit():
        number = float(f"{digits}.{fraction}")
    as_year = lang == "en" and isinstance(number, int) and 1100 <= number <= 2099 and whole.isdigit()
    spoken = num2words(number, lang=lang, to="year" if as_year else "cardinal")
    if figure.rstrip().endswith("%"):
        spoken += " " + _PERCENT[lang]
    syllables = counter(lang).count
    return sum(syllables(w) for w in WORD.findall(spoken)) or 1
