"""Syllable counts against hand counts made independently of the counter (tests/fixtures/syllables/<lang>.tsv).

Each list was counted by hand from the words alone, before the counter was run on them; its header states the
convention. 'sample' rows are every word type of the sample content; 'issue' and 'oov' rows are the cases issue 14
measured (French ne/ce, elisions and schwas, Dutch -tie-/-cie-/-sie- + vowel and gruut's misreadings, English
words outside the CMU Pronouncing Dictionary).
"""

import random
from pathlib import Path

import pytest

from pipeline.checks.syllables import DICTIONARIES, RULES, SyllableCounter, counter

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "syllables"
LANGS = ("fr", "nl", "en")


def reference(lang: str) -> list[tuple[str, int, str]]:
    rows = []
    for line in (FIXTURES / f"{lang}.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            word, count, kind = line.split("\t")
            rows.append((word, int(count), kind))
    return rows


def accuracy(lang: str, in_dictionary: bool) -> tuple[float, int, list]:
    c = counter(lang)
    rows = [(w, n) for w, n, _ in reference(lang) if (c.source(w) == "dictionary") == in_dictionary]
    wrong = [(w, n, c.count(w), c.source(w)) for w, n in rows if c.count(w) != n]
    return 1 - len(wrong) / len(rows), len(rows), wrong


@pytest.mark.parametrize(("lang", "floor"), [("fr", 0.98), ("nl", 0.98), ("en", 0.98)])
def test_dictionary_words_match_the_hand_counts(lang, floor):
    share, rows, wrong = accuracy(lang, in_dictionary=True)
    assert rows >= 300
    assert share >= floor, wrong


@pytest.mark.parametrize(("lang", "floor"), [("fr", 0.95), ("nl", 0.98), ("en", 0.95)])
def test_words_outside_the_dictionary_match_the_hand_counts(lang, floor):
    share, rows, wrong = accuracy(lang, in_dictionary=False)
    assert rows >= 30
    assert share >= floor, wrong


def test_the_english_list_outside_the_dictionary_is_outside_it():
    # The 'oov' rows exist to measure what the CMU dictionary cannot answer: nearly all must be missing from it.
    oov = [w for w, _, kind in reference("en") if kind == "oov"]
    assert sum(w not in DICTIONARIES["en"] for w in oov) / len(oov) >= 0.95


@pytest.mark.parametrize(("lang", "word", "count"), [
    # French: gruut reads "ne" as nord-est and "ce" as the letter C; elided conjunctions keep their syllable.
    ("fr", "ne", 1), ("fr", "ce", 1), ("fr", "jusqu'à", 2), ("fr", "lorsqu'il", 2), ("fr", "puisqu'elle", 2),
    ("fr", "quoiqu'on", 2), ("fr", "jusqu’à", 2), ("fr", "l'aide", 1), ("fr", "qu'il", 1),
    # French schwa: one rule for every word (the lexicon had changement 3 but logement 2).
    ("fr", "logement", 2), ("fr", "changement", 2), ("fr", "appartement", 4), ("fr", "justement", 3),
    ("fr", "devenir", 2), ("fr", "petit", 2), ("fr", "lorsque", 2), ("fr", "table", 1),
    ("fr", "ci-dessous", 3), ("fr", "décrivent", 2),
    # Dutch: Latinate t/c/s + i + vowel is one syllable; gruut's "jan" is januari, "elf" E-L-F, "aandacht" a-a.
    ("nl", "sociale", 3), ("nl", "nationale", 4), ("nl", "financiële", 4), ("nl", "officieel", 3),
    ("nl", "nationaal", 3), ("nl", "situatie", 4), ("nl", "jan", 1), ("nl", "elf", 1), ("nl", "aandacht", 2),
    ("nl", "huishoudens", 3), ("nl", "geïsoleerde", 5), ("nl", "energiefacturen", 6),
    # English outside CMUdict: -ier/-iest/-ies, and inflected words are not split as compounds.
    ("en", "silkiest", 3), ("en", "chunkier", 3), ("en", "smoothies", 2), ("en", "maroons", 2),
    ("en", "goalies", 2), ("en", "upcycled", 3), ("en", "neighbourhoods", 3), ("en", "non-take-up", 3),
])
def test_words(lang, word, count):
    assert counter(lang).count(word) == count


@pytest.mark.parametrize(("lang", "word", "count"), [
    ("fr", "CPAS", 4), ("fr", "EPB", 3), ("fr", "OCMW", 6), ("nl", "OCMW", 4), ("nl", "OCMW's", 4),
    ("en", "EU", 2), ("en", "WHO", 5),
])
def test_acronyms_are_read_letter_by_letter(lang, word, count):
    # Flesch counts symbols "the way they are normally read aloud": an all-capital word is spelled out.
    assert counter(lang).count(word) == count
    assert counter(lang).source(word) == "acronym"


def test_a_word_with_one_capital_is_a_word():
    assert counter("fr").count("Brugel") == counter("fr").count("brugel")
    assert counter("en").source("Who") == "dictionary"


@pytest.mark.parametrize("lang", LANGS)
def test_a_sample_of_the_dictionary_is_counted_as_the_dictionary_says(lang):
    dictionary = DICTIONARIES[lang]
    words = sorted(w for w in dictionary.entries if w.isalpha() and w != "ce")
    sample = random.Random(7).sample(words, 300)
    c = counter(lang)
    assert [c.count(w) for w in sample] == [dictionary.get(w) for w in sample]


@pytest.mark.parametrize(("lang", "floor"), [("fr", 0.90), ("nl", 0.92), ("en", 0.84)])
def test_spelling_rules_agree_with_the_dictionary_on_most_words(lang, floor):
    # What a word missing from the dictionary gets: measured on 3,000 dictionary words (bench/check.py prints it).
    dictionary = DICTIONARIES[lang]
    words = sorted(w for w in dictionary.entries if w.isalpha())
    sample = random.Random(11).sample(words, 3000)
    agree = sum(RULES[lang](w) == dictionary.get(w) for w in sample) / len(sample)
    assert agree >= floor


def test_rules_alone_without_dictionary():
    c = SyllableCounter("nl", use_dictionary=False)
    assert c.count("ziekteverzekering") == 6 and c.source("ziekteverzekering") == "rules"
    assert SyllableCounter("fr", use_dictionary=False).count("rapidement") == 3
    assert SyllableCounter("fr", use_dictionary=False).count("appartement") == 4


def test_preload_reads_the_dictionaries_of_the_languages_named_once(monkeypatch):
    import pipeline.checks.syllables as syllables

    read: list[str] = []
    fresh = {lang: syllables.Dictionary(d.name, lambda: Path("missing.dict"),
                                        lambda path, lang=lang: read.append(lang) or {"mot": "m o"}, len)
             for lang, d in DICTIONARIES.items()}
    monkeypatch.setattr(syllables, "DICTIONARIES", fresh)
    syllables.preload(["fr", "nl", "de"])  # a language without a dictionary is left alone
    syllables.preload(["fr"])
    assert read == ["fr", "nl"]
    assert fresh["fr"].get("mot") == 3 and fresh["en"]._counts is None


def test_a_dictionary_is_counted_from_its_kept_copy_while_its_file_is_unchanged(tmp_path, monkeypatch):
    from pipeline.checks.syllables import kept

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    source = tmp_path / "data" / "cmudict.dict"
    source.parent.mkdir()
    source.write_text("table 2\nrun 1\n", encoding="utf-8")
    made: list[Path] = []

    def make(path: Path) -> dict[str, int]:
        made.append(path)
        return {word: int(n) for word, n in (line.split() for line in path.read_text(encoding="utf-8").splitlines())}

    assert kept(source, make) == {"table": 2, "run": 1}
    assert kept(source, make) == {"table": 2, "run": 1} and made == [source]  # the kept copy
    source.write_text("run 1\n", encoding="utf-8")
    assert kept(source, make) == {"run": 1} and len(made) == 2  # changed: made again
    copies = list((tmp_path / "cache" / "crebis").iterdir())
    assert len(copies) == 1  # the copy of the old file is gone
    copies[0].write_bytes(b"not marshal data")
    assert kept(source, make) == {"run": 1} and len(made) == 3  # damaged: made again
    assert kept(source, make) == {"run": 1} and len(made) == 3


def test_a_cache_folder_that_cannot_be_written_costs_only_time(tmp_path, monkeypatch):
    from pipeline.checks.syllables import kept

    (tmp_path / "file").write_text("", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "file"))  # a file where the folder would be
    source = tmp_path / "words.txt"
    source.write_text("run\n", encoding="utf-8")
    assert kept(source, lambda path: {path.read_text(encoding="utf-8").strip(): 1}) == {"run": 1}
    assert kept(tmp_path / "missing", lambda path: {}) == {}  # no file to key the copy on: made, not kept


def test_the_kept_counts_of_each_dictionary_are_its_entries_counted(tmp_path, monkeypatch):
    import pipeline.checks.syllables as syllables

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    for lang, dictionary in DICTIONARIES.items():
        fresh = syllables.Dictionary(dictionary.name, dictionary._source, dictionary._read, dictionary._count)
        again = syllables.Dictionary(dictionary.name, dictionary._source, dictionary._read, dictionary._count)
        counted = {word: dictionary._count(phonemes) for word, phonemes in dictionary.entries.items()}
        assert fresh.counts == counted == again.counts, lang  # made, then read from the copy
    assert len(list((tmp_path / "crebis").iterdir())) == 3
