"""Theme matching: case- and accent-insensitive, a keyword's inflections only, in the item's language."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import ContentError
from pipeline.watch.themes import TITLE_WEIGHT, build_taxonomy, load_taxonomy, match_themes

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy(REPO / "content" / "themes.yaml")


def test_the_shared_taxonomy_loads_with_its_ids(taxonomy):
    assert taxonomy.ids == ("non-take-up", "energy-poverty", "digital-exclusion", "housing", "health",
                            "migration", "social-services")  # fmt: skip


@pytest.mark.parametrize(
    ("title", "language", "theme"),
    [
        ("Logements sociaux à Bruxelles", "fr", "housing"),
        ("Un nouveau LOGEMENT", "fr", "housing"),
        ("PRÉCARITÉS ÉNERGÉTIQUES en hausse", "fr", "energy-poverty"),
        ("Réfugiées ukrainiennes", "fr", "migration"),
        ("Minder uitkeringen", "nl", "non-take-up"),
        ("Meer sociale woningen", "nl", "housing"),
        ("De huren stijgen", "nl", "housing"),
        ("Migranten in Brussel", "nl", "migration"),
        ("Evictions rise", "en", "housing"),
        ("Housing first", "en", "housing"),
        ("Refugee support", "en", "migration"),
        ("Health inequality in cities", "en", "health"),
    ],
)
def test_inflections_of_a_keyword_match(taxonomy, title, language, theme):
    assert theme in match_themes(taxonomy, title, "", language).themes


@pytest.mark.parametrize(
    ("title", "language", "theme"),
    [
        ("How to plan your career", "en", "health"),  # care
        ("Statement from the White House", "en", "housing"),  # housing
        ("Houses of Parliament", "en", "housing"),
        ("Heat wave hits Europe", "en", "energy-poverty"),  # heating
        ("Rentals of bikes", "en", "housing"),  # rent
    ],
)
def test_no_word_is_cut_down_into_another(taxonomy, title, language, theme):
    assert theme not in match_themes(taxonomy, title, "", language).themes


def test_items_are_matched_in_their_own_language_only(taxonomy):
    assert match_themes(taxonomy, "Memory allocation in Rust", "", "en").themes == ()
    assert match_themes(taxonomy, "Memory allocation in Rust", "", "").themes == ()  # no language: no keyword
    assert "non-take-up" in match_themes(taxonomy, "Allocation de chômage", "", "fr").themes


def test_matches_in_title_weigh_more_than_in_summary(taxonomy):
    in_title = match_themes(taxonomy, "Le CPAS et le logement", "", "fr")
    in_summary = match_themes(taxonomy, "Actualité", "<p>Le CPAS et le logement</p>", "fr")
    assert set(in_title.themes) == set(in_summary.themes) == {"non-take-up", "housing"}
    assert in_title.relevance == TITLE_WEIGHT * in_summary.relevance


def test_multi_word_keywords_need_all_their_words_in_order(taxonomy):
    assert "energy-poverty" in match_themes(taxonomy, "Rising ENERGY BILLS hit families", "", "en").themes
    assert match_themes(taxonomy, "The bill for energy", "", "en").themes == ()


def test_keywords_of_the_item_language_only(taxonomy):
    assert match_themes(taxonomy, "Huurprijzen stijgen: huur", "", "fr").themes == ()
    assert "housing" in match_themes(taxonomy, "Huurprijzen stijgen: huur", "", "nl").themes
    assert match_themes(taxonomy, "Sans-abri à Bruxelles", "", "").themes == ()


def test_feed_themes_count_as_a_weak_hit(taxonomy):
    match = match_themes(taxonomy, "Assemblée générale", "", "fr", ("housing",))
    assert match.themes == ("housing",) and 0 < match.relevance < 1


def test_markup_is_not_matched(taxonomy):
    assert match_themes(taxonomy, "", '<a href="https://x/logement">lien</a>', "fr").themes == ()


def test_bad_theme_files_name_the_file(tmp_path):
    path = tmp_path / "themes.yaml"
    path.write_text("housing: [not, a, table]\n", encoding="utf-8")
    with pytest.raises(ContentError, match="theme 'housing': needs a 'label' table"):
        load_taxonomy(path)
    path.write_text("housing:\n  label: {fr: x\n", encoding="utf-8")
    with pytest.raises(ContentError, match="not valid YAML"):
        load_taxonomy(path)
    with pytest.raises(ContentError, match="theme file not found"):
        load_taxonomy(tmp_path / "absent.yaml")


def test_taxonomy_can_be_built_in_python():
    from pipeline.watch.themes import Theme

    taxonomy = build_taxonomy([Theme("x", {"en": "X"}, {"en": ("social housing",)})])
    assert match_themes(taxonomy, "More social housings", "", "en").themes == ("x",)
