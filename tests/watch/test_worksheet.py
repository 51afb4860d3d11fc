"""The curation worksheet: written ranked and grouped, merged without touching the curator's edits."""

from __future__ import annotations

import difflib

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from watchweek import LATER, NOW, WEEK, add_feeds, cluster, fill, ingest

from pipeline.cli import main
from pipeline.errors import ContentErrors
from pipeline.watch.worksheet import StaleWorksheet, decide, read_worksheet, review, scalar, worksheet_path

LANGS = ["fr", "nl", "en"]


@pytest.fixture
def week(project):
    """The project with a week of items, and the ids of its items."""
    return project, fill(project)


def test_review_writes_the_week_ranked_by_score_grouped_by_theme_then_story(week):
    project, ids = week
    report = review(project, WEEK, now=NOW)
    assert report.created and report.added == 5 and report.candidates == 5
    path = worksheet_path(project, WEEK)
    assert project.relative(path) == "content/watch/curation/2026-W48.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["week"] == "2026-W48" and data["intro"] == {"fr": None, "nl": None, "en": None}
    assert list(data["candidates"]) == ["energy-poverty", "housing", "unthemed"]  # taxonomy order, unthemed last
    housing = data["candidates"]["housing"]
    assert [e["id"] for e in housing] == [ids["rents"], ids["huur"], ids["homeless"]]
    scores = [e["score"] for e in housing]
    assert scores == sorted(scores, reverse=True)
    rents = housing[0]
    assert rents == {"id": ids["rents"], "title": "Logement social : les loyers flambent à Bruxelles",
                     "link": "https://lesoir.example.org/rents", "sources": ["Le Soir"], "language": "fr",
                     "themes": ["Logement"], "date": NOW.date().replace(day=24), "score": rents["score"],
                     "keep": None, "note": None}
    # The story told by two outlets is one entry listing both sources; the other item is under `also`.
    [tariff] = data["candidates"]["energy-poverty"]
    assert tariff["id"] == ids["tariff"] and tariff["sources"] == ["Le Soir", "times.example.org"]
    assert tariff["also"] == [{"id": ids["tariff-en"], "title": "Energy poverty: social tariff extended in Brussels",
                               "link": "https://times.example.org/tariff", "source": "times.example.org",
                               "language": "en"}]
    assert [e["title"] for e in data["candidates"]["unthemed"]] == ["Un festival de jazz au parc"]
    text = path.read_text(encoding="utf-8")
    assert "  housing:  # Logement\n" in text and "    keep:\n    note:\n" in text  # empty, not `null`
    assert ids["next"] not in text  # Monday 00:30 in Brussels: the next week


CURATED = {
    # The curator's edits: an intro, comments, own quoting.
    "intro:\n  fr:\n": "intro:\n  fr: \"Cette semaine : le logement.\"   # short\n",
    "  housing:  # Logement\n": "  # my favourite theme\n  housing:  # Logement\n",
    "  unthemed:": "  # below: never in the digest\n  unthemed:",
}


def _blocks(lines: list[str]) -> list[int]:
    return [i for i, line in enumerate(lines) if line.startswith("  - id: ") or line.startswith("  unthemed:")]


def _edit(lines: list[str], item_id: str, old: str, new: str) -> None:
    """Replace `old` by `new` in the lines of one entry."""
    starts = _blocks(lines)
    first = next(i for i in starts if lines[i].startswith(f"  - id: {item_id}"))
    end = next(i for i in starts if i > first)
    at = next(i for i in range(first, end) if lines[i] == old)
    lines[at:at + 1] = [new]


def _curate(text: str, ids: dict[str, str]) -> str:
    for old, new in CURATED.items():
        assert old in text, old
        text = text.replace(old, new, 1)
    lines = text.splitlines(keepends=True)
    _edit(lines, ids["homeless"], "    keep:\n", "    keep: true  # yes!\n")
    _edit(lines, ids["homeless"], "    note:\n", "    note: 'Une hausse nette.'\n")
    _edit(lines, ids["rents"], "    keep:\n", "    keep: false\n")
    _edit(lines, ids["huur"], "    note:\n", "    note:\n      nl: Huurprijzen stijgen.\n      fr: Les loyers.\n")
    # Swap the first two housing entries (the curator's own order).
    starts = _blocks(lines)
    first, second = (i for i in starts if ids["rents"] in lines[i] or ids["huur"] in lines[i])
    end = next(i for i in starts if i > second)
    return "".join(lines[:first] + lines[second:end] + lines[first:second] + lines[end:])


def test_a_second_review_merges_new_items_and_keeps_every_edit_order_and_comment(week):
    project, ids = week
    review(project, WEEK, now=NOW)
    path = worksheet_path(project, WEEK)
    curated = _curate(path.read_text(encoding="utf-8"), ids)
    path.write_text(curated, encoding="utf-8")
    before = read_worksheet(path, LANGS)
    later = ingest(project, LATER)
    cluster(project, ids["tariff"], ids["tariff-en"], later["tariff-nl"])

    report = review(project, WEEK, now=NOW)

    assert (report.created, report.added, report.merged) == (False, 1, 1)
    after_text = path.read_text(encoding="utf-8")
    diff = [line for line in difflib.ndiff(curated.splitlines(), after_text.splitlines()) if line[:1] in "+-"]
    removed = [line[2:] for line in diff if line.startswith("- ")]
    # Only the crebis-written source list of the story that a third outlet told changed; all else is added lines.
    assert removed == ["    sources: [Le Soir, times.example.org]"]
    assert "    sources: [Le Soir, times.example.org, Bruzz]" in after_text
    after = read_worksheet(path, LANGS)
    old = [(e.id, e.keep, e.notes) for e in before.entries]
    assert [x for x in ((e.id, e.keep, e.notes) for e in after.entries) if x[0] in {o[0] for o in old}] == old
    housing = [e.id for e in after.entries if e.group == "housing"]
    assert housing[:2] == [ids["huur"], ids["rents"]]  # the curator's order stays
    assert later["eviction"] in housing
    assert after.intro == {"fr": "Cette semaine : le logement."}
    assert after.entry(ids["homeless"]).notes == {"fr": "Une hausse nette."}  # a plain note is French
    assert after.entry(ids["huur"]).notes == {"nl": "Huurprijzen stijgen.", "fr": "Les loyers."}
    for comment in ("# short", "# my favourite theme", "# yes!", "# below: never in the digest"):
        assert comment in after_text
    assert [e.id for e in after.entry(ids["tariff"]).also] == [ids["tariff-en"], later["tariff-nl"]]


def test_a_review_with_nothing_new_writes_nothing(week):
    project, _ids = week
    review(project, WEEK, now=NOW)
    path = worksheet_path(project, WEEK)
    path.write_text(path.read_text(encoding="utf-8").replace("keep:\n", "keep: true\n", 1), encoding="utf-8")
    stamp, text = path.stat().st_mtime_ns, path.read_text(encoding="utf-8")
    report = review(project, WEEK, now=NOW)
    assert (report.added, report.merged) == (0, 0)
    assert path.stat().st_mtime_ns == stamp and path.read_text(encoding="utf-8") == text


@pytest.mark.parametrize(("change", "offset", "message"), [
    (("    keep:\n", "    keep: yes\n"), 0, "keep: must be true (in the digest), false (left out) or empty (not "
                                           "decided yet), not 'yes'"),
    (("    keep:\n", "    kep: true\n"), 0, "unknown key 'kep' in an entry: the keys are id, title"),
    (("    note:\n", "    note: [a, b]\n"), 0, "note: write a text, or one per language (fr, nl, en)"),
    (("    note:\n", "    note: {de: Hallo}\n"), 0, "note: 'de' is not a language of the project"),
    (("week: 2026-W48", "week: 2026-W47"), 0, "week: says 2026-W47 but the file is named for 2026-W48"),
    (("    keep:\n", "    keep: [true\n"), 1, "not valid YAML"),  # found where the list should have ended
])
def test_a_mistake_is_reported_with_file_line_and_what_to_do_and_nothing_is_written(week, change, offset, message):
    project, _ids = week
    review(project, WEEK, now=NOW)
    path = worksheet_path(project, WEEK)
    broken = path.read_text(encoding="utf-8").replace(*change, 1)
    path.write_text(broken, encoding="utf-8")
    line = broken[:broken.index(change[1])].count("\n") + 1 + offset
    ingest(project, LATER)  # something to merge, if the file could be read
    with pytest.raises(ContentErrors) as info:
        review(project, WEEK, now=NOW)
    assert f"content/watch/curation/2026-W48.yaml:{line}: {message}" in str(info.value)
    assert path.read_text(encoding="utf-8") == broken


def test_an_unknown_id_and_a_duplicate_id_are_errors(week):
    project, ids = week
    review(project, WEEK, now=NOW)
    path = worksheet_path(project, WEEK)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(f"id: {ids['jazz']}\n    title: Un festival de jazz au parc\n",
                                 "id: 0000000000000000\n    title:\n", 1), encoding="utf-8")
    with pytest.raises(ContentErrors, match=r"2026-W48.yaml:\d+: unknown id 0000000000000000: it is not an item "
                                            r"of 2026-W48 in the watch store; correct the id, or give the entry a "
                                            r"title: and a link: of its own"):
        review(project, WEEK, now=NOW)
    path.write_text(text.replace(f"id: {ids['jazz']}", f"id: {ids['rents']}", 1), encoding="utf-8")
    with pytest.raises(ContentErrors, match=rf"id {ids['rents']} is listed twice \(first at line \d+\)"):
        review(project, WEEK, now=NOW)


def test_an_entry_gone_from_the_store_stays_as_written_and_is_reported(week):
    project, ids = week
    review(project, WEEK, now=NOW)
    path = worksheet_path(project, WEEK)
    text = path.read_text(encoding="utf-8").replace(f"id: {ids['jazz']}", "id: 00000000deadbeef", 1)
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["-C", str(project.root), "watch", "review", "2026-W48"])
    assert result.exit_code == 0, result.output
    assert "1 entries are no longer among the week's items in the watch store" in result.output
    assert "content/watch/curation/2026-W48.yaml:" in result.output and "“Un festival de jazz au parc”" in result.output
    # The jazz item is a candidate again (its id is no longer listed): added back, the edited entry kept.
    after = path.read_text(encoding="utf-8")
    assert "id: 00000000deadbeef" in after and f"id: {ids['jazz']}" in after


def test_a_decision_from_the_page_changes_one_line_and_keeps_comments(week):
    project, ids = week
    review(project, WEEK, now=NOW)
    path = worksheet_path(project, WEEK)
    text = path.read_text(encoding="utf-8").replace(
        f"  - id: {ids['huur']}\n", f"  - id: {ids['huur']}  # from Bruzz\n", 1)
    path.write_text(text, encoding="utf-8")
    sheet = read_worksheet(path, LANGS)
    sheet = decide(path, LANGS, ids["huur"], sheet.version, keep=True)
    after = path.read_text(encoding="utf-8")
    diff = [d for d in difflib.ndiff(text.splitlines(), after.splitlines()) if d[:1] in "+-"]
    assert diff == ["-     keep:", "+     keep: true"]
    assert f"  - id: {ids['huur']}  # from Bruzz" in after
    sheet = decide(path, LANGS, ids["huur"], sheet.version, note=("nl", "Huurprijzen stijgen."))
    sheet = decide(path, LANGS, ids["huur"], sheet.version, note=("fr", "Les loyers montent."))
    entry = sheet.entry(ids["huur"])
    assert entry.keep is True and entry.notes == {"nl": "Huurprijzen stijgen.", "fr": "Les loyers montent."}
    # A version the page showed before an outside edit is refused, and nothing is written.
    stale = sheet.version
    edited = path.read_text(encoding="utf-8") + "# edited in an editor\n"
    path.write_text(edited, encoding="utf-8")
    with pytest.raises(StaleWorksheet, match="was changed outside this page"):
        decide(path, LANGS, ids["huur"], stale, keep=False)
    assert path.read_text(encoding="utf-8") == edited


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_damaged_worksheet_is_read_or_refused_with_a_line_never_a_crash(tmp_path, data):
    good = (
        "week: 2026-W48\nintro:\n  fr: Bonjour\ncandidates:\n  housing:\n  - id: abc\n    title: T\n"
        "    link: https://x.example.org/\n    sources: [A]\n    keep: true\n    note: {fr: x}\n"
        "    also:\n    - {id: d, title: t, link: l, source: s}\n"
    )
    position = data.draw(st.integers(0, len(good)))
    cut = data.draw(st.integers(0, 8))
    insert = data.draw(st.text(alphabet="-:#[]{}'\"\n ab1&*!|>?@`%", max_size=6))
    text = good[:position] + insert + good[position + cut:]
    path = tmp_path / "2026-W48.yaml"
    try:
        sheet = read_worksheet(path, LANGS, text)
    except ContentErrors as exc:
        assert all(str(e).startswith(str(path)) for e in exc.errors)
    else:
        assert sheet.week.number == 48
        for entry in sheet.entries:
            assert entry.span[0] < entry.span[1] <= len(text)


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=40))
def test_a_written_value_reads_back_as_the_same_text_in_block_and_flow_style(text):
    assert yaml.safe_load(f"key: {scalar(text)}\n")["key"] == text
    assert yaml.safe_load(f"key: [{scalar(text, flow=True)}]\n")["key"] == [text]


def test_the_command_names_a_week_that_does_not_exist_and_exits_1(project):
    result = CliRunner().invoke(main, ["-C", str(project.root), "watch", "review", "2025-W53"])
    assert result.exit_code == 1
    assert "Error: 2025 has no week 53: its weeks are 1 to 52" in result.output
    assert not (project.root / "content/watch/curation").exists()


def test_a_kept_entry_without_a_title_is_an_error_with_its_line(week):
    project, ids = week
    review(project, WEEK, now=NOW)
    path = worksheet_path(project, WEEK)
    text = path.read_text(encoding="utf-8")
    entry = f"- id: {ids['jazz']}\n    title: Un festival de jazz au parc\n"
    broken = text.replace(entry, f"- id: {ids['jazz']}\n    title:\n", 1)
    at = broken.index(ids["jazz"])
    broken = broken[:at] + broken[at:].replace("keep:\n", "keep: true\n", 1)
    path.write_text(broken, encoding="utf-8")
    line = broken[:broken.index(f"- id: {ids['jazz']}")].count("\n") + 1
    with pytest.raises(ContentErrors) as info:
        read_worksheet(path, LANGS, shown="content/watch/curation/2026-W48.yaml")
    assert (f"content/watch/curation/2026-W48.yaml:{line}: keep: true, but the entry has no title: "
            "give it one (readers click on it)") in str(info.value)
    read_worksheet(path, LANGS, broken.replace("title:\n", "title: Jazz\n", 1))  # once titled, it reads


def test_a_stored_item_without_a_title_is_listed_with_one_made_from_its_summary(project):
    add_feeds(project)
    ingest(project, {"untitled": ("soir", "/u", "", "<p>Un <b>nouveau</b> centre d'accueil.</p>", "fr",
                                  NOW.replace(day=24))})
    review(project, WEEK, now=NOW)
    data = yaml.safe_load(worksheet_path(project, WEEK).read_text(encoding="utf-8"))
    [entry] = [e for group in data["candidates"].values() for e in group]
    assert entry["title"] == "Un nouveau centre d'accueil."
