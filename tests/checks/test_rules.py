"""Each rule, in each language: a text that triggers it and one that does not."""

from pathlib import Path

import pytest
from checks.helpers import checked
from projects import FIXTURES

from pipeline.checks.glossary import load_glossary, make_glossary
from pipeline.checks.rules import accessibility, prose
from pipeline.config import Config, parse_config

OPTIONS = Config().check
# Readability judged on texts of any length (the default, 100 words, is Flesch's sample).
SHORT_TEXTS = parse_config({"check": {"readability": {"min_words": 0}}}).check
LONG = {
    "fr": "Les ménages qui ont eu un contact avec un service social dans l'année sont deux fois moins souvent "
          "en situation de non-recours que les autres ménages de la ville.",
    "nl": "Huishoudens die in het voorbije jaar contact hadden met een sociale dienst, bevinden zich half zo vaak "
          "in een situatie van niet-gebruik als de andere huishoudens van de stad.",
    "en": "Households that had contact with a social service in the past year are half as likely as the other "
          "households of the city to be in a situation of non-take-up of their rights.",
}
HARD = {
    "fr": "L'institutionnalisation administrative des procédures d'automatisation intersectorielle conditionne "
          "considérablement l'effectivité opérationnelle des politiques redistributives contemporaines.",
    "nl": "De institutionalisering van administratieve automatiseringsprocedures bepaalt in aanzienlijke mate "
          "de operationele effectiviteit van herverdelende beleidsmaatregelen.",
    "en": "The institutionalisation of intersectoral administrative automatisation considerably conditions "
          "the operational effectiveness of contemporary redistributive policies.",
}
SHORT = {"fr": "Une aide sur trois ne va pas aux gens.", "nl": "Een op de drie mensen krijgt geen steun.",
         "en": "One person in three gets no help."}
LANGS = ("fr", "nl", "en")


def rules_of(findings):
    return [f.rule for f in findings]


@pytest.mark.parametrize("lang", LANGS)
def test_sentence_length(lang):
    file = checked(lang, summary=LONG[lang], findings=())
    found = list(prose.length(file, file.texts["summary"], OPTIONS))
    assert rules_of(found) == ["sentence-length"]
    assert (found[0].line, found[0].column) == (3, 11)
    assert "summary limit 20" in found[0].message
    short = checked(lang, summary=SHORT[lang], findings=())
    assert not list(prose.length(short, short.texts["summary"], OPTIONS))
    # The same long sentence is fine in a whole study (limit 40).
    body = checked(lang, body=f"## A\n\n{LONG[lang]}\n")
    assert not list(prose.length(body, body.texts["brief"], OPTIONS))


@pytest.mark.parametrize("lang", LANGS)
def test_paragraph_length(lang):
    paragraph = " ".join([LONG[lang]] * 6)
    file = checked(lang, body=f"## A\n\n{paragraph}\n")
    assert "paragraph-length" in rules_of(prose.length(file, file.texts["brief"], OPTIONS))
    short = checked(lang, body=f"## A\n\n{SHORT[lang]}\n\n{SHORT[lang]}\n")
    assert not list(prose.length(short, short.texts["brief"], OPTIONS))


@pytest.mark.parametrize("lang", LANGS)
def test_readability_names_the_hardest_sentences(lang):
    file = checked(lang, summary=f"{SHORT[lang]} {HARD[lang]}", findings=())
    stats, _ = prose.document_stats(file, file.texts["summary"])
    found = list(prose.readability(file, file.texts["summary"], stats, SHORT_TEXTS))
    assert rules_of(found) == ["readability"]
    assert found[0].suggestion.index(f"line 3 ({len(HARD[lang].split())} words") < found[0].suggestion.index(
        f"({len(SHORT[lang].split())} words")
    easy = checked(lang, summary=SHORT[lang], findings=())
    stats, _ = prose.document_stats(easy, easy.texts["summary"])
    assert not list(prose.readability(easy, easy.texts["summary"], stats, SHORT_TEXTS))


JARGON = {"fr": ("Le non-recours reste fréquent.", "Beaucoup de gens ne demandent pas leur aide.", "non-recours"),
          "nl": ("Het niet-gebruik blijft hoog.", "Veel mensen vragen hun steun niet aan.", "niet-gebruik"),
          "en": ("Non-take-up remains common.", "Many people do not ask for their help.", "non-take-up")}


@pytest.mark.parametrize("lang", LANGS)
def test_jargon_in_summaries_gets_the_plain_word(lang):
    bad, good, term = JARGON[lang]
    glossary = make_glossary({term: ((), "not getting help you are entitled to")})
    file = checked(lang, summary=bad, findings=())
    found = list(prose.jargon(file, file.texts["summary"], glossary, OPTIONS))
    assert rules_of(found) == ["jargon"] and found[0].suggestion == "Say: not getting help you are entitled to"
    assert found[0].column == 11 + bad.lower().index(term)
    file = checked(lang, summary=good, findings=())
    assert not list(prose.jargon(file, file.texts["summary"], glossary, OPTIONS))


def test_glossary_forms_and_the_shipped_glossaries():
    glossary = make_glossary({"éligible": (("éligibles",), "qui a droit")})
    assert [t for _, t, _ in glossary.find("Les ménages éligibles et inéligibles")] == ["éligible"]
    repo = Path(__file__).resolve().parents[2] / "content" / "glossary"
    for lang in LANGS:
        assert load_glossary(repo / f"{lang}.yaml").plain, lang


ACRONYMS = {"fr": ("Il faut aller au CPAS.", "Il faut aller au centre public d'action sociale (CPAS)."),
            "nl": ("Ga naar het OCMW.", "Ga naar het openbaar centrum voor maatschappelijk welzijn (OCMW)."),
            "en": ("Ask the PCSW.", "Ask the public centre for social welfare (PCSW), then the PCSW again.")}


@pytest.mark.parametrize("lang", LANGS)
def test_acronym_spelled_out_at_first_use(lang):
    bad, good = ACRONYMS[lang]
    file = checked(lang, summary=bad, findings=())
    assert rules_of(prose.acronyms(file, file.texts["summary"], OPTIONS)) == ["acronym"]
    file = checked(lang, summary=good, findings=())
    assert not list(prose.acronyms(file, file.texts["summary"], OPTIONS))
    known = parse_config({"check": {"acronyms": {"known": ["CPAS", "OCMW", "PCSW"]}}}).check
    file = checked(lang, summary=bad, findings=())
    assert not list(prose.acronyms(file, file.texts["summary"], known))


PERCENT = {"fr": ("34 % des ménages n'ont rien.", "34 % des ménages, soit un ménage sur trois, n'ont rien.",
                  "environ 1 sur 3"),
           "nl": ("34 % van de huishoudens krijgt niets.", "34 % of een op de drie huishoudens krijgt niets.",
                  "ongeveer 1 op de 3"),
           "en": ("34% of households get nothing.", "34% of households, one in three, get nothing.", "about 1 in 3")}


@pytest.mark.parametrize("lang", LANGS)
def test_percentage_in_a_summary_suggests_a_proportion(lang):
    bad, good, said = PERCENT[lang]
    file = checked(lang, summary=bad, findings=())
    found = list(prose.numbers(file, file.texts["summary"], OPTIONS))
    assert rules_of(found) == ["percentage"] and said in found[0].suggestion and found[0].severity == "info"
    file = checked(lang, summary=good, findings=())
    assert not list(prose.numbers(file, file.texts["summary"], OPTIONS))
    # Not in a whole study: a brief may give percentages.
    file = checked(lang, body=f"## A\n\n{bad}\n")
    assert not list(prose.numbers(file, file.texts["brief"], OPTIONS))


def test_proportions():
    assert [prose.proportion(p) for p in (34, 38, 47, 82, 3)] == [(1, 3), (2, 5), (1, 2), (4, 5), (3, 100)]


LINKS = {"fr": ("[cliquez ici](https://a.be)", "[l'étude complète](https://a.be)"),
         "nl": ("[klik hier](https://a.be)", "[de volledige studie](https://a.be)"),
         "en": ("[click here](https://a.be)", "[the full study](https://a.be)")}


@pytest.mark.parametrize("lang", LANGS)
def test_link_text(lang, tmp_path):
    bad, good = LINKS[lang]
    file = checked(lang, body=f"## A\n\nVoir {bad}.\n", path=tmp_path / f"{lang}.md")
    found = [f for f in accessibility.body(file, OPTIONS) if f.rule == "link-text"]
    assert len(found) == 1 and (found[0].line, found[0].column) == (10, 6)
    file = checked(lang, body=f"## A\n\nVoir {good}.\n", path=tmp_path / f"{lang}.md")
    assert not list(accessibility.body(file, OPTIONS))


@pytest.mark.parametrize("lang", LANGS)
def test_alt_text_and_headings_are_errors(lang, tmp_path):
    (tmp_path / "chart.png").write_bytes((FIXTURES / "chart.png").read_bytes())  # a whole PNG: the loader checks
    file = checked(lang, body="## A\n\n#### Too deep\n\n![image](chart.png)\n", path=tmp_path / f"{lang}.md")
    found = list(accessibility.body(file, OPTIONS))
    assert [(f.rule, f.severity, f.line) for f in found] == [("heading-order", "error", 10), ("alt-text", "error", 12)]
    file = checked(lang, body="## A\n\n### Fine\n\n![A bar chart of take-up by benefit](chart.png)\n",
                   path=tmp_path / f"{lang}.md")
    assert not list(accessibility.body(file, OPTIONS))


def test_contrast_ratios_are_wcag():
    assert accessibility.contrast("#000000", "#ffffff") == pytest.approx(21)
    assert accessibility.contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)
    assert accessibility.contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


def test_brand_colours_below_aa(tmp_path):
    (tmp_path / "crebis.toml").write_text('[brand]\nprimary = "#7fa7d9"\n', encoding="utf-8")
    config = parse_config({"brand": {"primary": "#7fa7d9"}})
    found = list(accessibility.brand_contrast(tmp_path, config))
    assert {f.rule for f in found} == {"contrast"} and all(f.line == 2 for f in found)
    assert "2.4" in found[0].message and "4.5:1" in found[0].message
    fix = found[0].suggestion.split()[5]
    assert accessibility.contrast(fix, "#ffffff") >= 4.5
    assert not list(accessibility.brand_contrast(tmp_path, Config()))


def test_todo_markers_are_not_acronyms():
    file = checked("en", summary="TODO: three sentences. The CPAS helps.", findings=("TODO: a finding.",))
    acronyms = [f.message for f in prose.acronyms(file, file.texts["summary"], OPTIONS)]
    assert acronyms == ["acronym CPAS is not spelled out at its first use in the summary"]
