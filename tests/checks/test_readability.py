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


def test_flesch_counts_figures_as_words_and_ends_sentences_at_colons_semicolons_and_dashes():
    from checks.helpers import checked

    # Hand count (Flesch 1949/1951): "Le loyer monte : il double ; 12,5 % des ménages – les plus pauvres – partent."
    # Units: "Le loyer monte" | "il double" | "12,5 % des ménages" | "les plus pauvres" | "partent" = 5 sentences.
    # Words: Le loyer monte il double "12,5 %" des ménages les plus pauvres partent = 12 (the figure is one word).
    # Syllables: le 1, loyer 2, monte 1, il 1, double 1, "douze virgule cinq pour cent" 6, des 1, ménages 2, les 1,
    # plus 1, pauvres 1, partent 1 = 19.
    # LIX ends sentences at the colon only: 2 sentences; long words (more than six letters): ménages, pauvres,
    # partent = 3.
    file = checked("fr", summary="Le loyer monte : il double ; 12,5 % des ménages – les plus pauvres – partent.",
                   findings=())
    counts = file.counts(file.texts["summary"].sentences)
    assert (counts.words, counts.sentences, counts.syllables, counts.long_words, counts.lix_sentences) == (
        12, 5, 19, 3, 2)
    # LIX = 12 / 2 + 100 * 3 / 12 = 6 + 25 = 31
    assert scores("fr", counts)["lix"] == 31.0


def test_colons_inside_figures_and_hyphens_inside_words_end_nothing():
    from checks.helpers import checked

    file = checked("en", summary="At 10:30 the non-take-up rate fell.", findings=())
    counts = file.counts(file.texts["summary"].sentences)
    # Words: At, 10, 30, the, non-take-up, rate, fell = 7 (10:30 is two figures); one sentence.
    assert (counts.words, counts.sentences) == (7, 1)


@pytest.mark.parametrize(("lang", "figure", "syllables"), [
    ("fr", "12,5 %", 6),   # douze virgule cinq pour cent
    ("fr", "2026", 4),     # deux mille vingt-six
    ("nl", "1 250", 7),    # duizend tweehonderdvijftig
    ("en", "2026", 5),     # twenty twenty-six (a year)
    ("en", "1,250", 9),    # one thousand, two hundred and fifty
    ("en", "7%", 4),       # seven per cent
])
def test_figures_are_counted_as_read_aloud(lang, figure, syllables):
    from pipeline.checks.readability import figure_syllables

    assert figure_syllables(lang, figure) == syllables


def test_targets_are_per_language_and_kind_and_follow_the_profile():
    from pipeline.config import Config, parse_config

    readability = Config().check.readability
    assert (readability.fr.summary_min_score, readability.nl.summary_min_score,
            readability.en.summary_min_score) == (74.0, 61.0, 60.0)
    assert (readability.fr.summary_max_lix, readability.nl.summary_max_lix, readability.en.summary_max_lix) == (
        45.0, 41.0, 33.0)
    from checks.helpers import checked

    from pipeline.checks.rules import prose

    text = "Les gens ont droit à une aide. Beaucoup ne la demandent pas. Ils ne savent pas comment faire."
    file = checked("fr", summary=text, findings=())
    stats, _ = prose.document_stats(file, file.texts["summary"])
    plain = Config().check
    assert not list(prose.readability(file, file.texts["summary"], stats, plain))
    easy = parse_config({"check": {"profiles": {"summary": "easy-to-read"},
                                   "readability": {"min_words": 0, "fr": {"easy_min_score": 200}}}}).check
    missed = list(prose.readability(file, file.texts["summary"], stats, easy))
    assert len(missed) == 1 and "easy-to-read target 200" in missed[0].message


def test_a_text_shorter_than_flesch_s_sample_is_scored_but_not_judged():
    from checks.helpers import checked

    from pipeline.checks.rules import prose
    from pipeline.config import Config, parse_config

    # Flesch (1948) and Björnsson (1968) score samples of 100 words: a 17-word text is too short to judge.
    text = "L'institutionnalisation administrative des procédures conditionne considérablement l'effectivité."
    file = checked("fr", summary=text, findings=())
    stats, _ = prose.document_stats(file, file.texts["summary"])
    assert stats.readability["kandel-moles"] < 0
    assert not list(prose.readability(file, file.texts["summary"], stats, Config().check))
    every_text = parse_config({"check": {"readability": {"min_words": 0}}}).check
    assert [f.rule for f in prose.readability(file, file.texts["summary"], stats, every_text)] == ["readability"]
