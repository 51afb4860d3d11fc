"""The style rules (passive, nominalisations, subordinate clauses, negations, rare words) in each language:
a text that should trigger each, one that should not, and the easy-to-read profile's stricter limits."""

import dataclasses

import pytest
from checks.helpers import checked

from pipeline.checks.glossary import make_glossary
from pipeline.checks.rules import style, vocabulary
from pipeline.config import Config, parse_config

OPTIONS = Config().check
EASY = parse_config({"check": {"profiles": {"summary": "easy-to-read"}}}).check
LANGS = ("fr", "nl", "en")
NO_GLOSSARY = make_glossary({})

CASES = {
    "passive": {
        "fr": ("L'allocation est versée chaque mois par la caisse.", "La caisse verse l'allocation chaque mois.",
               "Elle est venue ici hier."),
        "nl": ("De uitkering wordt elke maand door de kas betaald.", "De kas betaalt de uitkering elke maand.",
               "Het wordt steeds duurder."),
        "en": ("The allowance is paid every month by the fund.", "The fund pays the allowance every month.",
               "The need is real."),
    },
    "nominalisation": {
        "fr": ("La vérification de l'éligibilité précède l'attribution et la notification de la décision.",
               "Le service vérifie si vous avez droit, puis il décide et vous prévient.",
               "Le logement coûte cher."),
        "nl": ("De controle na de aanvraag leidt tot de toekenning, de berekening en de betaling van de steun.",
               "De dienst controleert uw aanvraag, berekent de steun en betaalt die.",
               "De woning is klein."),
        "en": ("The verification of eligibility precedes the allocation and the notification of the decision.",
               "The office checks whether you are entitled, then decides and tells you.",
               "The building is old."),
    },
    "subordinate-clauses": {
        "fr": ("Les ménages qui ont droit à l'aide, que le service connaît, ne la demandent pas parce qu'ils "
               "craignent qu'on les juge.",
               "Beaucoup de ménages ont droit à l'aide. Ils ne la demandent pas. Ils ont peur d'être jugés.",
               "Il gagne plus que son voisin."),
        "nl": ("Gezinnen vragen hun steun niet aan omdat ze vrezen dat men hen beoordeelt, terwijl de dienst "
               "hen kent.",
               "Veel gezinnen hebben recht op steun. Ze vragen die niet aan. Ze zijn bang voor een oordeel.",
               "Dat is duidelijk."),
        "en": ("Households who are entitled to help, which the office knows about, do not ask because they fear "
               "that they will be judged.",
               "Many households are entitled to help. They do not ask for it. They fear being judged.",
               "That is clear."),
    },
    "negations": {
        "fr": ("Il n'est pas rare qu'on ne reçoive aucune aide sans rendez-vous.",
               "Souvent, on ne reçoit pas d'aide.", "On reçoit souvent de l'aide."),
        "nl": ("Het is niet zo dat niemand geen steun krijgt.", "Vaak krijgt men geen steun.",
               "Men krijgt vaak steun."),
        "en": ("It is not unusual that nobody gets no help.", "People often get no help.",
               "People often get help."),
    },
}
RULES = {"passive": style.passive, "nominalisation": style.nominalisations,
         "subordinate-clauses": style.subordinates, "negations": style.negations}


def found(rule_id, lang, summary, options=OPTIONS):
    file = checked(lang, summary=summary, findings=())
    return [f for f in RULES[rule_id](file, file.texts["summary"], options) if f.rule == rule_id]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("rule_id", list(CASES))
def test_rule_triggers_on_its_case_and_not_on_the_plain_rewrite(rule_id, lang):
    hard, plain, other = CASES[rule_id][lang]
    hits = found(rule_id, lang, hard)
    assert len(hits) == 1 and hits[0].suggestion
    assert (hits[0].line, hits[0].column) == (3, 11)  # the sentence's place in the file
    assert not found(rule_id, lang, plain)
    assert not found(rule_id, lang, other)


@pytest.mark.parametrize("lang", LANGS)
def test_easy_to_read_is_stricter(lang):
    # One negation passes in plain language; easy-to-read says things positively.
    _, one_negation, _ = CASES["negations"][lang]
    assert not found("negations", lang, one_negation)
    assert [f.severity for f in found("negations", lang, one_negation, EASY)] == ["warning"]
    # A passive is a hint in plain language, a warning in easy-to-read.
    hard, _, _ = CASES["passive"][lang]
    assert [f.severity for f in found("passive", lang, hard)] == ["info"]
    assert [f.severity for f in found("passive", lang, hard, EASY)] == ["warning"]


def test_disabled_rules_say_nothing():
    off = dataclasses.replace(OPTIONS, passive=dataclasses.replace(OPTIONS.passive, enabled=False))
    assert not found("passive", "en", CASES["passive"]["en"][0], off)


RARE = {"fr": ("Les ménages impécunieux renoncent.", "Les ménages pauvres renoncent.", "impécunieux"),
        "nl": ("Onvermogende gezinnen haken af.", "Arme gezinnen haken af.", "Onvermogende"),
        "en": ("Impecunious households give up.", "Poor households give up.", "Impecunious")}


@pytest.mark.parametrize("lang", LANGS)
def test_rare_words(lang):
    hard, plain, word = RARE[lang]
    file = checked(lang, summary=hard, findings=())
    hits = list(vocabulary.rare_words(file, file.texts["summary"], NO_GLOSSARY, OPTIONS))
    assert [(f.rule, f.message.split("”")[0].lstrip("“")) for f in hits] == [("rare-word", word)]
    assert hits[0].length == len(word)
    assert file.source[file.lines.starts[hits[0].line - 1] + hits[0].column - 1:].startswith(word)
    file = checked(lang, summary=plain, findings=())
    assert not list(vocabulary.rare_words(file, file.texts["summary"], NO_GLOSSARY, OPTIONS))


def test_rare_words_leave_names_glossary_terms_and_dutch_compounds_alone():
    file = checked("nl", summary="Sofia Benali ziet energiefacturen en het niet-gebruik.", findings=())
    glossary = make_glossary({"niet-gebruik": ((), "geen steun vragen")})
    assert not list(vocabulary.rare_words(file, file.texts["summary"], glossary, OPTIONS))


def test_the_easy_profile_flags_less_frequent_words():
    # "rebate" is in wordfreq's small list, but rarer than Zipf 3.5.
    assert 3.0 <= vocabulary.zipf("en", "rebate") < 3.5 <= vocabulary.zipf("en", "house")
    file = checked("en", summary="The house gets a rebate.", findings=())
    assert not list(vocabulary.rare_words(file, file.texts["summary"], NO_GLOSSARY, OPTIONS))
    hits = list(vocabulary.rare_words(file, file.texts["summary"], NO_GLOSSARY, EASY))
    assert [(f.rule, f.severity, f.length) for f in hits] == [("rare-word", "warning", len("rebate"))]


@pytest.mark.parametrize("lang", ["fr", "nl", "en"])
def test_frequencies_are_wordfreqs_small_list(lang: str) -> None:
    """The list read straight from wordfreq's file is the one wordfreq gives."""
    from wordfreq import get_frequency_dict

    from pipeline.checks.rules.vocabulary import frequencies

    assert frequencies(lang) == get_frequency_dict(lang, wordlist="small")
