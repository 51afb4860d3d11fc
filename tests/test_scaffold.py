import datetime

import pytest

from pipeline.content.load import load_results, load_themes
from pipeline.errors import CrebisError
from pipeline.project import Project
from pipeline.publish import build
from pipeline.scaffold import init_project, new_result


def test_init_creates_a_project_that_builds_at_once(tmp_path):
    init_project(tmp_path / "centre")
    project = Project.open(tmp_path / "centre")
    outcome = build(project)
    assert outcome.ok, [f.message for f in outcome.report.failed] + [str(e) for e in outcome.content_errors]
    pages = sorted(p.relative_to(project.outputs_dir).as_posix()
                   for p in project.outputs_dir.glob("site/*/results/*/index.html"))
    assert len(pages) >= 9  # the three sample results in three languages
    assert (tmp_path / "centre" / ".gitignore").read_text() == "outputs/\n.crebis/\n"


def test_init_refuses_an_existing_project(tmp_path):
    init_project(tmp_path / "centre")
    with pytest.raises(CrebisError, match="already a crebis project"):
        init_project(tmp_path / "centre")


def test_new_result_writes_valid_draft_stubs(project_dir):
    project = Project.open(project_dir)
    paths = new_result(project, "housing-first-evaluation", today=datetime.date(2026, 11, 26))
    assert [p.name for p in paths] == ["fr.md", "nl.md", "en.md"]
    loaded = load_results(project.results_dir, project.config.languages,
                          load_themes(project_dir / "content/themes.yaml"))
    assert loaded.errors == []
    (result,) = loaded.results
    assert {e.status for e in result.editions} == {"draft"}
    assert result.edition("nl").title == "TODO: titel van het resultaat"
    assert result.date == datetime.date(2026, 11, 26)
    # drafts are not published by default
    assert not [t for t in build(project).report.built if "housing-first-evaluation" in t.output]


def test_new_result_refuses_bad_or_taken_slugs(project_dir):
    project = Project.open(project_dir)
    with pytest.raises(CrebisError, match="not a valid slug"):
        new_result(project, "Housing First")
    new_result(project, "housing-first")
    with pytest.raises(CrebisError, match="already exists"):
        new_result(project, "housing-first")


def test_the_new_result_stub_builds_once_its_todos_are_written_and_it_is_published(project_dir):
    project = Project.open(project_dir)
    paths = new_result(project, "housing-first-evaluation", today=datetime.date(2026, 11, 26))
    for path in paths:
        path.write_text(path.read_text(encoding="utf-8").replace("status: draft", "status: published"),
                        encoding="utf-8")
    themes = load_themes(project_dir / "content/themes.yaml")
    loaded = load_results(project.results_dir, project.config.languages, themes)
    # published with its markers: each one an error with its line, nothing else
    assert {e.message.split(" (")[0] for e in loaded.errors} == {
        f"unfinished: 'TODO' in {where}" for where in ("title", "authors[1].name", "summary", "key_findings[1]",
                                                       "recommendations[1].text", "recommendations[1].addressee",
                                                       "body")}
    assert all(e.line for e in loaded.errors)
    for path in paths:
        path.write_text(path.read_text(encoding="utf-8").replace("TODO: ", ""), encoding="utf-8")
    outcome = build(project)
    assert outcome.ok, [f.message for f in outcome.report.failed] + [str(e) for e in outcome.content_errors]
    assert (project.outputs_dir / "site/fr/results/housing-first-evaluation/index.html").is_file()
