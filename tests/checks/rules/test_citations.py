"""The bibliography's keys, read by pandoc and kept while the file is unchanged."""

from __future__ import annotations

import marshal
from pathlib import Path

from pipeline.checks.rules.citations import Bibliography

ENTRY = "@book{{{key}, author = {{Doe, Jane}}, title = {{A Title}}, year = {{2020}}}}\n"


def _copies(cache: Path) -> list[Path]:
    return sorted((cache / "crebis").glob("bibliography-*"))


def test_a_bibliography_read_whole_is_kept_until_it_changes(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    bib = tmp_path / "references.bib"
    bib.write_text(ENTRY.format(key="doe2020"), encoding="utf-8")
    assert Bibliography(bib, str).keys == {"doe2020"}
    [copy] = _copies(cache)
    copy.write_bytes(marshal.dumps(["from-the-copy"]))
    assert Bibliography(bib, str).keys == {"from-the-copy"}  # a second reading starts no pandoc
    bib.write_text(ENTRY.format(key="doe2020") + ENTRY.format(key="roe2021"), encoding="utf-8")
    assert Bibliography(bib, str).keys == {"doe2020", "roe2021"}  # changed: read again
    assert len(_copies(cache)) == 1  # the copy of the old file is gone


def test_a_broken_bibliography_is_read_again_each_time_and_reported(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    bib = tmp_path / "references.bib"
    bib.write_text("@book{doe2020,\n  title = {Unclosed\n", encoding="utf-8")
    for _ in range(2):
        reading = Bibliography(bib, str)
        assert reading.keys is None and reading.problem is not None
        assert "the bibliography cannot be read" in reading.problem.message
    assert _copies(cache) == []


def test_each_project_keeps_its_own_bibliography(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    for name, key in (("one", "doe2020"), ("two", "roe2021")):
        (tmp_path / name / "content").mkdir(parents=True)
        (tmp_path / name / "content" / "references.bib").write_text(ENTRY.format(key=key), encoding="utf-8")
    for _ in range(2):
        assert Bibliography(tmp_path / "one" / "content" / "references.bib", str).keys == {"doe2020"}
        assert Bibliography(tmp_path / "two" / "content" / "references.bib", str).keys == {"roe2021"}
    assert len(_copies(cache)) == 2  # neither is taken for a stale copy of the other
