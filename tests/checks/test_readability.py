"""The formulas reproduce hand-computed values; the arithmetic is written out beside each."""

import pytest

from pipeline.checks.readability import Counts, scores


def test_flesch_reading_ease_and_kincaid_on_the_cat_sentence():
    # "The cat sat on the mat." 6 words, 1 sentence, 6 syllables (CMU: one each), 0 long words.
    c = Counts(words=6, sentences=1, syllables=6, long_words=0)
    got = scores("en", c)
    # FRE = 206.835 - 1.015 * 6 - 84.6 * 1 = 206.835 - 6.09 - 84.6 = 116.145
    assert got["flesch-reading-ease"] == pytest.approx(116.1)
    # FK grade = 0.39 * 6 + 11.8 * 1 - 15.59 = 2.34 + 11.8 - 15.59 = -1.45
    assert got["flesch-kincaid-grade"] == pytest.approx(-1.4, abs=0.06)
    # LIX = 6 / 1 + 100 * 0 / 6 = 6
    assert got["lix"] == 6.0


def test_kandel_moles():
    # 100 words, 5 sentences, 150 syllables, 25 long words.
    c = Counts(words=100, sentences=5, syllables=150, long_words=25)
    # KM = 207 - 1.015 * 20 - 73.6 * 1.5 = 207 - 20.3 - 110.4 = 76.3
    # LIX = 20 + 100 * 25 / 100 = 45
    assert scores("fr", c) == {"kandel-moles": 76.3, "lix": 45.0}


def test_flesch_douma():
    # Same counts: FD = 206.84 - 0.93 * 20 - 77 * 1.5 = 206.84 - 18.6 - 115.5 = 72.74
    c = Counts(words=100, sentences=5, syllables=150, long_words=25)
    assert scores("nl", c) == {"flesch-douma": 72.7, "lix": 45.0}


def test_the_published_english_example():
    # Flesch (1948) "plain English" band: 17 words a sentence, 1.47 syllables a word gives about 65.
    # 206.835 - 1.015 * 17 - 84.6 * 1.47 = 206.835 - 17.255 - 124.362 = 65.218
    c = Counts(words=1700, sentences=100, syllables=2499, long_words=0)
    assert scores("en", c)["flesch-reading-ease"] == pytest.approx(65.2)



def test_no_words_no_scores():
    assert scores("fr", Counts(0, 0, 0, 0)) == {}


def test_a_french_summary_counted_from_its_text():
    from checks.helpers import checked

    # "Le chat dort. Il fait beau." 6 words, 2 sentences; Le 1, chat 1, dort 1, Il 1, fait 1, beau 1 = 6 syllables.
    file = checked("fr", summary="Le chat dort. Il fait beau.", findings=())
    counts = file.counts(file.texts["summary"].sentences)
    assert (counts.words, counts.sentences, counts.syllables, counts.long_words) == (6, 2, 6, 0)
    # KM = 207 - 1.015 * 3 - 73.6 * 1 = 207 - 3.045 - 73.6 = 130.355
    assert scores("fr", counts)["kandel-moles"] == pytest.approx(130.4)
