"""The check report's JSON: `as_json_text` writes exactly what `json.dumps(as_json(), indent=2)` writes."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.checks.findings import CheckReport, DocumentStats, Finding, HardSentence, json_text

# Texts with what JSON escapes: quotes, backslashes, controls, line ends, non-ASCII, astral characters.
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=20)
SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | TEXT
DATA = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
                    max_leaves=25)


@settings(max_examples=200, deadline=None)  # no time limit: a busy machine once took 0.9 s for one example
@given(DATA)
def test_json_text_is_the_standard_encoders_text(value):
    assert json_text(value) == json.dumps(value, ensure_ascii=False, indent=2)


@settings(deadline=None)
@given(st.lists(st.builds(Finding, TEXT, st.none() | st.integers(1, 999), st.none() | st.integers(1, 99),
                          st.sampled_from(("error", "warning", "info")), st.sampled_from(("passive", "jargon", "x")),
                          TEXT, st.none() | TEXT, st.none() | st.integers(0, 50)), max_size=5),
       st.lists(st.builds(DocumentStats, TEXT, st.sampled_from(("fr", "nl", "en")), st.just("summary"),
                          st.integers(0, 999), st.integers(0, 99), st.integers(0, 999),
                          st.dictionaries(TEXT, st.floats(-50, 150), max_size=3), st.just("plain"),
                          st.lists(st.builds(HardSentence, st.integers(1, 99), st.integers(1, 99), st.integers(1, 60),
                                             st.floats(-50, 150), TEXT), max_size=3).map(tuple)), max_size=3))
def test_report_text_is_the_report_dumped(findings, documents):
    report = CheckReport(findings, documents)
    assert report.as_json_text() == json.dumps(report.as_json(), ensure_ascii=False, indent=2)


def test_report_json_keeps_every_field_in_order():
    hard = HardSentence(3, 1, 31, 12.5, "Une phrase « longue ».")
    stats = DocumentStats("content/results/x/fr.md", "fr", "summary", 120, 6, 190, {"kandel-moles": 61.2, "lix": 40.0},
                          "plain", (hard,))
    finding = Finding("content/results/x/fr.md", 3, 1, "info", "passive", "voix passive", None, 12)
    data = json.loads(CheckReport([finding], [stats]).as_json_text())
    assert list(data["findings"][0]) == ["file", "line", "column", "severity", "rule", "message", "suggestion",
                                         "length"]
    assert data["documents"][0]["hardest"] == [{"line": 3, "column": 1, "words": 31, "score": 12.5,
                                                "text": "Une phrase « longue »."}]
    assert list(data["documents"][0]) == ["path", "language", "kind", "words", "sentences", "syllables",
                                          "readability", "profile", "hardest"]
    assert data["rules"]["passive"]


def test_json_text_refuses_what_json_would_change():
    with pytest.raises(TypeError):
        json_text({1: "a key that is not a text"})
    with pytest.raises(TypeError):
        json_text({"a set": {1, 2}})
    assert json_text([math.inf, -math.inf]) == "[\n  Infinity,\n  -Infinity\n]"
