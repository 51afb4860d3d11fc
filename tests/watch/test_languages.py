"""Language tags and names become the project's codes."""

from __future__ import annotations

import pytest

from pipeline.watch.languages import language_code


@pytest.mark.parametrize(
    ("value", "code"),
    [("fr", "fr"), ("FR-be", "fr"), ("nl_BE", "nl"), ("en-GB", "en"), ("eng", "en"), ("fra", "fr"), ("fre", "fr"),
     ("dut", "nl"), ("nld", "nl"), ("English", "en"), ("english (US)", "en"), ("Nederlands", "nl"),
     ("Français", "fr"), ("francais", "fr"), ("Néerlandais", "nl"), ("Engels", "en"), ("Deutsch", "de"),
     ("Español", "es"), ("", ""), (None, ""), ("ned", ""), ("Elvish", ""), ("x" * 10_000, "")],
)  # fmt: skip
def test_language_code(value, code):
    assert language_code(value) == code
