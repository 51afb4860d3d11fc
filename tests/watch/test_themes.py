"""Theme matching: case- and accent-insensitive, simple inflections, weighted by place."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import ContentError
from pipeline.watch.themes import TITLE_WEIGHT, build_taxonomy, load_taxonomy, match_themes, stems

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy(REPO / "content" / "themes.yaml")


def test_the_shared_taxonomy_loads_with_its_ids(taxonomy):
    assert taxonomy.ids == ("non-take-up", "energy-poverty", "digital-exclusion", "housing", "health",
                            "migration", "social-services")  # fmt: skip


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("logements sociaux", "Logement social"),
        ("PRÉCARITÉS ÉNERGÉTIQUES", "précarité énergétique"),
        ("uitkeringen", "uitkering"),
        ("migranten", "migrant"),
        ("evictions", "Eviction"),
        ("réfugiés", "refugie"),
    ],
)
def test_inflections_case_and_accents_share_stems(a, b):
    assert stems(a) == stems(b)


def test_matches_in_title_weigh_more_than_in_summary(taxonomy):
    in_title = match_themes(taxonomy, "Le CPAS et le logement", "", "fr")
    in_summary = match_themes(taxonomy, "Actualité", "<p>Le CPAS et le logement</p>", "fr")
    assert set(in_title.themes) == set(in_summary.themes) == {"non-take-up", "housing"}
    assert in_title.relevance == TITLE_WEIGHT * in_summary.relevance


def test_multi_word_keywords_need_all_their_words_in_order(taxonomy):
    assert "energy-poverty" in match_themes(taxonomy, "Rising ENERGY BILLS hit families", "", "en").themes
    assert match_themes(taxonomy, "The bill for energy", "", "en").themes == ()


def test_keywords_of_the_item_language_or_all_when_unknown(taxonomy):
    assert match_themes(taxonomy, "Huurprijzen stijgen", "", "fr").themes == ()
    assert "housing" in match_themes(taxonomy, "Huurprijzen stijgen: huur", "", "nl").themes
    assert "housing" in match_themes(taxonomy, "Sans-abri à Bruxelles", "", "").themes


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
