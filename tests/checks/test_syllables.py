"""Syllable counts against each language's dictionary and a hand-checked list from the sample content."""

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
            word, count, source = line.split("\t")
            rows.append((word, int(count), source))
    return rows


@pytest.mark.parametrize("lang", LANGS)
def test_a_sample_of_the_dictionary_is_counted_as_the_dictionary_says(lang):
    dictionary = DICTIONARIES[lang]
    words = sorted(w for w in dictionary.entries if w.isalpha())
    sample = random.Random(7).sample(words, 300)
    c = counter(lang)
    assert [c.count(w) for w in sample] == [dictionary.get(w) for w in sample]


@pytest.mark.parametrize(("lang", "floor"), [("fr", 0.88), ("nl", 0.92), ("en", 0.84)])
def test_spelling_rules_agree_with_the_dictionary_on_most_words(lang, floor):
    # What a word missing from the dictionary gets: measured on 3,000 dictionary words (bench/check.py prints it).
    dictionary = DICTIONARIES[lang]
    words = sorted(w for w in dictionary.entries if w.isalpha())
    sample = random.Random(11).sample(words, 3000)
    agree = sum(RULES[lang](w) == dictionary.get(w) for w in sample) / len(sample)
    assert agree >= floor


@pytest.mark.parametrize("lang", LANGS)
def test_hand_checked_words_of_the_sample_content(lang):
    rows = reference(lang)
    assert len(rows) >= 200
    c = counter(lang)
    wrong = [(w, n, c.count(w)) for w, n, _ in rows if c.count(w) != n]
    assert len(wrong) / len(rows) <= 0.01, wrong


@pytest.mark.parametrize(("lang", "word", "count"), [
    ("fr", "table", 1), ("fr", "l'aide", 1), ("fr", "aujourd'hui", 3), ("fr", "non-recours", 3), ("fr", "pays", 2),
    ("nl", "huishoudens", 3), ("nl", "huis", 1), ("nl", "geïsoleerde", 5), ("nl", "energiefacturen", 6),
    ("nl", "steunmaatregelen", 5),
    ("en", "social", 2), ("en", "the", 1), ("en", "households", 2), ("en", "non-take-up", 3),
])
def test_words(lang, word, count):
    assert counter(lang).count(word) == count


def test_rules_alone_without_dictionary():
    c = SyllableCounter("nl", use_dictionary=False)
    assert c.count("ziekteverzekering") == 6 and c.source("ziekteverzekering") == "rules"
    assert SyllableCounter("fr", use_dictionary=False).count("rapidement") == 3
