"""Rare words: words a reader at the text's level is unlikely to know, by a word-frequency list per language.

Frequencies come from wordfreq (Speer, R. (2022). wordfreq v3, Zenodo, doi:10.5281/zenodo.7199437), whose
wheel ships its lists: the "small" list of each language holds every word used at least once per million
words (Zipf 3), read in a tenth of a second. A word is rare when its Zipf frequency is below the profile's
floor (plain: 3, not in the small list; easy-to-read: 3.5). Guidance: CEFR B1 readers know the words of
everyday topics (Council of Europe 2001); easy-to-read uses "words that are easy to understand" (Inclusion
Europe 2009), which Scolarius and LiNT measure the same way, by word frequency.

Left out: names (a capital inside a sentence), acronyms (the acronym rule), glossary terms (the jargon rule
gives their plain alternative), short words, and Dutch compounds whose parts are frequent words.
"""

from __future__ import annotations

import functools
import gzip
import importlib.util
import math
import re
from collections.abc import Iterator
from pathlib import Path

from pipeline.checks.document import CheckedFile, Text
from pipeline.checks.findings import Finding
from pipeline.checks.glossary import Glossary
from pipeline.checks.rules.prose import finding
from pipeline.checks.rules.style import _kind
from pipeline.config import CheckOptions

_ELISION = re.compile(r"^(?:qu|lorsqu|puisqu|jusqu|quoiqu|[ldjnmtsc])'", re.IGNORECASE)


def _core(lang: str, word: str) -> str:
    """The word as the frequency list has it: straight apostrophes, a French elision dropped."""
    plain = word.replace("’", "'")
    return _ELISION.sub("", plain) if lang == "fr" and "'" in plain else plain


def _places(source: str, sentence) -> list[int]:
    """Where each word of `sentence` is in the file (-1 if not found), found one after another."""
    places, position = [], 0
    for word in sentence.words:
        at = source.find(word, sentence.start + position)
        position = max(position, at - sentence.start + len(word)) if at >= 0 else position
        places.append(at)
    return places
_LINKS = ("", "s", "e", "en")


@functools.cache
def frequencies(lang: str) -> dict[str, float]:
    """word → frequency (per word of running text) of wordfreq's small list of `lang`.

    Read from the list's file in the wheel the way `wordfreq.get_frequency_dict` reads it (a gzipped msgpack
    "cBpack": a header, then one list of words per centibel of frequency): importing wordfreq itself pulls in
    ftfy, langcodes and regex, which took about a third of a fresh `crebis check`'s time.
    """
    spec = importlib.util.find_spec("wordfreq")
    locations = spec.submodule_search_locations if spec is not None else None
    path = Path(locations[0]) / "data" / f"small_{lang}.msgpack.gz" if locations else None
    data = None
    if path is not None and path.is_file():
        import msgpack

        with gzip.open(path, "rb") as stream:
            data = msgpack.load(stream, raw=False)
    header = data[0] if data else None
    if not isinstance(header, dict) or header.get("format") != "cB" or header.get("version") != 1:
        from wordfreq import get_frequency_dict  # a wordfreq whose files moved or changed: ask it

        return get_frequency_dict(lang, wordlist="small")
    freqs: dict[str, float] = {}
    for index, bucket in enumerate(data[1:]):
        freq = 10 ** (-index / 100)  # wordfreq.cB_to_freq(-index)
        for word in bucket:
            freqs[word] = freq
    return freqs


def zipf(lang: str, word: str) -> float:
    """The Zipf frequency of `word` (log10 of uses per billion words); 0 for a word outside the small list."""
    frequency = frequencies(lang).get(word.lower())
    return math.log10(frequency * 1e9) if frequency else 0.0


def _per_million(floor: float) -> str:
    n = 10 ** (floor - 3)
    return "once" if n == 1 else f"{n:.2g} times"


def _known_compound(lang: str, word: str, floor: float) -> bool:
    if lang != "nl":
        return False
    for cut in range(3, len(word) - 2):
        if zipf(lang, word[:cut]) < floor:
            continue
        tail = word[cut:]
        for link in _LINKS:
            rest = tail[len(link):]
            if tail.startswith(link) and len(rest) >= 3 and (zipf(lang, rest) >= floor
                                                             or _known_compound(lang, rest, floor)):
                return True
    return False


@functools.lru_cache(maxsize=200_000)
def rare(lang: str, word: str, floor: float) -> bool:
    """Whether `word` (lower case, no elision) is rarer than `floor` on the Zipf scale (each word judged once:
    the Dutch compound search tries every cut)."""
    parts = [p for p in word.split("-") if p]
    return any(len(p) > 3 and zipf(lang, p) < floor and not _known_compound(lang, p, floor) for p in parts)


def rare_words(file: CheckedFile, text: Text, glossary: Glossary, options: CheckOptions) -> Iterator[Finding]:
    """Each rare word of a text, at its first use, with a suggestion."""
    rule = options.rare_words
    if not rule.enabled or _kind(text) not in rule.kinds:
        return
    easy = getattr(options.profiles, _kind(text), "plain") == "easy-to-read"
    floor = rule.easy_min_zipf if easy else rule.plain_min_zipf
    severity = rule.easy_severity if easy else rule.severity
    seen: set[str] = set()
    # word as written -> its core if that is a rare word the rule may report (None if not): judged once per
    # distinct word of the text, not at each of its uses
    judged: dict[str, str | None] = {}
    for _, sentences in text.paragraphs:
        for sentence in sentences:
            flagged = []
            for index, word in enumerate(sentence.words):
                core = judged.get(word, "")
                if core == "":
                    core = judged[word] = _rare_core(file.lang, word, floor, glossary)
                # a name (a capital inside a sentence) is left out; a word already reported is not again
                if core is not None and not (index and core[:1].isupper()) and core.lower() not in seen:
                    flagged.append((index, core))
            if not flagged:
                continue  # most sentences: no need to place their words in the file
            places = _places(file.source, sentence)
            for index, core in flagged:
                if core.lower() in seen:
                    continue
                seen.add(core.lower())
                word, at = sentence.words[index], places[index]
                yield finding(file, at if at >= 0 else sentence.start, severity, "rare-word",
                              f"“{core}” is a rare word: used less than {_per_million(floor)} per million "
                              "words (wordfreq)",
                              "Use a more common word, or explain it in the sentence; a term the centre uses "
                              "often belongs in the glossary with its plain alternative",
                              len(word) if at >= 0 else None)


def _rare_core(lang: str, word: str, floor: float, glossary: Glossary) -> str | None:
    """`word`'s core (see `_core`) if it is rare and neither an acronym (the acronym rule's) nor a glossary
    term (the jargon rule's, with its plain alternative); None otherwise."""
    core = _core(lang, word)
    lower = core.lower()
    if core.isupper() or not rare(lang, lower, floor) or lower in glossary.terms:
        return None
    return core
