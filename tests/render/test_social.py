"""The social kit: a 1200×630 card per result and language, and post texts within each network's limit."""

from __future__ import annotations

import re
import struct

import pytest

from pipeline.render.social import LIMITS, _fit, hashtag, mastodon_length

SLUGS = ("energy-poverty-brussels", "non-take-up-social-rights", "digital-exclusion-social-services")


@pytest.mark.parametrize("lang", ["fr", "nl", "en"])
def test_each_result_has_a_card_published_as_its_page_image(sample_project, lang):
    for slug in SLUGS:
        card = (sample_project / "outputs/social" / slug / f"{lang}.png").read_bytes()
        assert card.startswith(b"\x89PNG") and struct.unpack(">II", card[16:24]) == (1200, 630)
        assert (sample_project / "outputs/site" / lang / "results" / slug / "card.png").read_bytes() == card
    assert (sample_project / "outputs/site/assets/card.png").is_file()


@pytest.mark.parametrize("lang", ["fr", "nl", "en"])
def test_post_texts_fit_each_network(sample_project, lang):
    for slug in SLUGS:
        text = (sample_project / "outputs/social" / slug / f"{lang}.md").read_text(encoding="utf-8")
        sections = dict(re.findall(r"^## (\w+).*?\n\n(.*?)(?=\n## |\Z)", text, re.S | re.M))
        assert set(sections) == {"Mastodon", "Bluesky", "LinkedIn"}
        url = f"https://crebis.example.org/{lang}/results/{slug}/"
        for network, body in sections.items():
            assert url in body, network
        assert mastodon_length(sections["Mastodon"].strip()) <= LIMITS["mastodon"]
        assert len(sections["Bluesky"].strip()) <= LIMITS["bluesky"]
        assert re.search(r"#\w+", sections["Mastodon"])


def test_a_long_finding_is_cut_at_a_word_to_fit():
    text = _fit("Title\n\n", "word " * 100, "\n\nhttps://example.org/", 80)
    assert len(text) <= 80 and text.endswith("…\n\nhttps://example.org/")
    assert "wor…" not in text


def test_hashtags_join_words_of_theme_labels():
    assert hashtag("Précarité énergétique") == "#PrécaritéÉnergétique"
    assert hashtag("Non-take-up of rights") == "#NonTakeUpOfRights"
