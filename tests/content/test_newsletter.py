"""Newsletter issues: loading, every error with its file and line, and `crebis newsletter new`."""

import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from projects import REPO, write_result

from pipeline.cli import main
from pipeline.content.load import load_results, load_themes
from pipeline.content.newsletter import create_issue, load_newsletters
from pipeline.errors import CrebisError
from pipeline.project import Project

LANGS = ("fr", "nl", "en")
FIELDS = {
    "subject": '"Le logement d\'abord, un an après"',
    "preheader": '"Une étude, deux rendez-vous."',
    "date": "2026-04-16",
    "featured": "\n  - slug: housing-first\n    finding: 2",
    "events": ('\n  - title: "Midi-débat"\n    date: 2026-04-23\n    time: "12:30–14:00"'
               '\n    place: "1000 Bruxelles"\n    link: https://crebis.example.org/agenda/'),
    "watch": ('\n  - title: "Un guichet unique"\n    source: "Ville exemple"\n    link: https://example.org/a'
              '\n    note: "Une ligne."'),
    "cta": '\n  text: "Répondez."\n  label: "Répondre"\n  link: https://crebis.example.org/enquete/',
}


def issue_text(**overrides: str | None) -> str:
    fields = {**FIELDS, **overrides}
    front = "\n".join(f"{k}: {v}" for k, v in fields.items() if v is not None)
    return f"---\n{front}\n---\n\nL'édito.\n\n## Une section\n\nPlus.\n"


def write_issue(project: Path, issue: str = "2026-04", langs: tuple[str, ...] = ("fr", "nl", "en"),
                **overrides: str | None) -> Path:
    directory = project / "content" / "newsletters" / issue
    directory.mkdir(parents=True, exist_ok=True)
    for lang in langs:
        (directory / f"{lang}.md").write_text(issue_text(**overrides), encoding="utf-8")
    return directory


def load(project_dir: Path, drafts: bool = False):
    project = Project.open(project_dir)
    themes = load_themes(project_dir / "content/themes.yaml")
    results = load_results(project.results_dir, project.config.languages, themes).results
    return load_newsletters(project.content_dir / "newsletters", project.config.languages, results,
                            project.results_dir, drafts)


def errors(project_dir: Path, **kwargs) -> list[tuple[str, int | None, str]]:
    return [(f"{e.path.parent.name}/{e.path.name}", e.line, e.message) for e in load(project_dir, **kwargs).errors]


def test_a_valid_issue_loads_with_the_featured_result_from_the_content_model(project_dir):
    write_result(project_dir)
    write_issue(project_dir)
    loaded = load(project_dir)
    assert loaded.errors == []
    (newsletter,) = loaded.newsletters
    assert newsletter.issue == "2026-04" and [e.lang for e in newsletter.editions] == ["fr", "nl", "en"]
    nl = newsletter.edition("nl")
    (featured,) = nl.featured
    assert featured.edition.title == "Housing First in Brussel"  # pulled from content/results, in Dutch
    assert featured.finding == "Finding two."
    assert nl.events[0].date == datetime.date(2026, 4, 23) and nl.events[0].time == "12:30–14:00"
    assert nl.highlights[0].link == "https://example.org/a"
    assert nl.cta.label == "Répondre" and nl.status == "published"
    assert nl.body_line == 24


def test_the_sample_issue_of_the_repository_loads(tmp_path):
    project = Project.open(REPO)
    themes = load_themes(REPO / "content/themes.yaml")
    results = load_results(project.results_dir, project.config.languages, themes).results
    loaded = load_newsletters(REPO / "content/newsletters", project.config.languages, results, project.results_dir)
    assert loaded.errors == []
    (sample,) = [n for n in loaded.newsletters if n.issue == "2026-04"]
    assert all(e.illustrative for e in sample.editions)
    assert len(sample.edition("fr").featured) == 3


def test_unknown_slug_names_the_file_and_line(project_dir):
    write_result(project_dir)
    write_issue(project_dir, langs=("fr",), featured="\n  - housing-frist")
    assert errors(project_dir) == [("2026-04/fr.md", 6, "unknown result 'housing-frist' (did you mean "
                                    "'housing-first'?)")]


def test_a_result_missing_the_language_of_the_edition(project_dir):
    write_result(project_dir, langs=("fr", "en"))
    write_issue(project_dir, langs=("nl",))
    assert errors(project_dir) == [("2026-04/nl.md", 6, "result 'housing-first' has no nl edition: add "
                                    "content/results/housing-first/nl.md or leave it out of this edition")]


def test_a_result_with_errors_is_not_called_unknown(project_dir):
    write_result(project_dir, title=None)
    write_issue(project_dir, langs=("fr",))
    ((_, line, message),) = errors(project_dir)
    assert line == 6 and message == "result 'housing-first' has errors and was not loaded: fix them first"


def test_a_draft_result_needs_drafts(project_dir):
    write_result(project_dir, status="draft")
    write_issue(project_dir, langs=("en",))
    ((_, line, message),) = errors(project_dir)
    assert line == 6 and "is a draft in en" in message
    assert errors(project_dir, drafts=True) == []


def test_finding_out_of_range(project_dir):
    write_result(project_dir)
    write_issue(project_dir, langs=("fr",), featured="\n  - slug: housing-first\n    finding: 3")
    assert errors(project_dir) == [("2026-04/fr.md", 7, "'finding' must be a number from 1 to 2 (the key "
                                    "findings of 'housing-first'), got 3")]


def test_missing_subject_and_unknown_key(project_dir):
    write_result(project_dir)
    write_issue(project_dir, langs=("fr",), subject=None, preheadr='"x"')
    assert errors(project_dir) == [
        ("2026-04/fr.md", 22, "unknown front matter key 'preheadr' (did you mean 'preheader'?)"),
        ("2026-04/fr.md", 2, "missing 'subject' in the front matter"),
    ]


def test_links_must_be_absolute_and_events_complete(project_dir):
    write_result(project_dir)
    write_issue(project_dir, langs=("fr",), events='\n  - title: "Sans lieu"\n    date: 2026-04-23\n    link: /agenda/',
                cta='\n  text: "Go"\n  label: "Go"\n  link: www.example.org')
    assert errors(project_dir) == [
        ("2026-04/fr.md", 9, "event 1 has no 'place'"),
        ("2026-04/fr.md", 11, "'link' must be an absolute link starting with https://, got '/agenda/'"),
        ("2026-04/fr.md", 20, "'link' must be an absolute link starting with https://, got 'www.example.org'"),
    ]


def test_dates_are_checked(project_dir):
    write_result(project_dir)
    write_issue(project_dir, langs=("fr",), date="2026-05-02",
                events='\n  - title: "X"\n    date: 23/04/2026\n    place: "Y"')
    assert errors(project_dir) == [
        ("2026-04/fr.md", 4, "'date' 2026-05-02 is not in 2026-04, the month of this issue's folder"),
        ("2026-04/fr.md", 10, "'date' must be a real date written YYYY-MM-DD (like 2026-03-12), got '23/04/2026'"),
    ]


def test_preheader_length_and_body_headings(project_dir):
    write_result(project_dir)
    directory = write_issue(project_dir, langs=("en",), preheader='"' + "x" * 151 + '"')
    path = directory / "en.md"
    path.write_text(path.read_text().replace("## Une section", "# A second title"), encoding="utf-8")
    assert errors(project_dir) == [
        ("2026-04/en.md", 3, "'preheader' has 151 characters: inboxes show about 150, shorten it"),
        ("2026-04/en.md", 27, "a level-1 heading in the body: the title is the page's only level-1 heading, "
                              "start sections at '##'"),
    ]


def test_editions_must_feature_the_same_results(project_dir):
    write_result(project_dir)
    write_result(project_dir, slug="second-study")
    write_issue(project_dir, langs=("fr", "en"))
    write_issue(project_dir, langs=("nl",), featured="\n  - second-study")
    loaded = load(project_dir)
    ((path, line, message),) = [(e.path.name, e.line, e.message) for e in loaded.errors]
    assert path == "nl.md" and line == 5
    assert message == ("the featured results differ from fr.md and en.md: second-study here, housing-first "
                       "there; make the editions agree")
    assert [e.lang for e in loaded.newsletters[0].editions] == ["fr", "en"]  # the others go on


def test_issue_folder_and_file_names(project_dir):
    write_result(project_dir)
    write_issue(project_dir, issue="april-2026", langs=("fr",))
    write_issue(project_dir, issue="2026-05", langs=("fr",), date=None)
    (project_dir / "content/newsletters/2026-05/de.md").write_text(issue_text(), encoding="utf-8")
    (project_dir / "content/newsletters/2026-05/français.md").write_text(issue_text(), encoding="utf-8")
    found = errors(project_dir)
    assert ("newsletters/april-2026", None, "an issue folder is named after its month, YYYY-MM (like 2026-04)") \
        in found
    assert ("2026-05/français.md", None, "not a language edition: name it fr.md, nl.md, en.md") in found
    assert ("2026-05/de.md", None, "not a language edition: name it fr.md, nl.md, en.md") in found
    assert len(found) == 3
    loaded = load(project_dir)
    (may,) = loaded.newsletters
    assert may.edition("fr").date == datetime.date(2026, 5, 1)  # no date: the first of the month


def test_new_issue_features_the_results_published_since_the_last_one(project_dir):
    write_result(project_dir, slug="old-study", date="2026-01-10")
    write_result(project_dir, slug="new-study", date="2026-03-02")
    write_result(project_dir, slug="draft-study", date="2026-03-05", status="draft")
    write_result(project_dir, slug="future-study", date="2026-06-01")
    write_issue(project_dir, issue="2026-02", featured="\n  - old-study", date="2026-02-10")
    project = Project.open(project_dir)
    results = load_results(project.results_dir, project.config.languages,
                           load_themes(project_dir / "content/themes.yaml")).results
    paths = create_issue(project.content_dir / "newsletters", "2026-03", project.config.languages, results)
    assert [p.name for p in paths] == ["fr.md", "nl.md", "en.md"]
    assert "featured:\n  - new-study\nevents" in paths[0].read_text()
    loaded = load(project_dir, drafts=True)
    assert loaded.errors == []
    march = next(n for n in loaded.newsletters if n.issue == "2026-03")
    assert {e.status for e in march.editions} == {"draft"}
    assert march.edition("nl").subject == "TODO: onderwerp van de nieuwsbrief"
    with pytest.raises(CrebisError, match="already exists"):
        create_issue(project.content_dir / "newsletters", "2026-03", project.config.languages, results)
    with pytest.raises(CrebisError, match="not an issue name"):
        create_issue(project.content_dir / "newsletters", "2026-3", project.config.languages, results)


def test_new_issue_command(project_dir):
    write_result(project_dir)
    runner = CliRunner()
    result = runner.invoke(main, ["-C", str(project_dir), "newsletter", "new", "2026-04"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [f"created content/newsletters/2026-04/{lang}.md" for lang in LANGS]
    assert "  - housing-first" in (project_dir / "content/newsletters/2026-04/en.md").read_text()
    again = runner.invoke(main, ["-C", str(project_dir), "newsletter", "new", "2026-04"])
    assert again.exit_code == 1 and "already exists" in again.output and "Traceback" not in again.output


def test_a_published_stub_is_refused_at_each_todo_but_not_its_comments(project_dir):
    paths = create_issue(project_dir / "content/newsletters", "2026-05", list(LANGS), [])
    for path in paths:
        path.write_text(path.read_text(encoding="utf-8").replace("status: draft", "status: published"),
                        encoding="utf-8")
    found = errors(project_dir)
    assert {(file, line) for file, line, _ in found if file == "2026-05/fr.md"} == {
        ("2026-05/fr.md", 2), ("2026-05/fr.md", 3), ("2026-05/fr.md", 21), ("2026-05/fr.md", 22),
        ("2026-05/fr.md", 26)}
    assert all(message.startswith("unfinished: 'TODO' in ") for _, _, message in found)
