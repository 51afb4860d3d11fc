import datetime
import os
from pathlib import Path

import pytest
from projects import edition_text, write_result

from pipeline.content.load import load_edition, load_results, load_themes
from pipeline.content.model import Author, Recommendation
from pipeline.errors import ContentError

LANGS = ["fr", "nl", "en"]


@pytest.fixture
def themes(project_dir: Path):
    return load_themes(project_dir / "content" / "themes.yaml")


def load(project_dir: Path, themes):
    return load_results(project_dir / "content" / "results", LANGS, themes)


def messages(loaded, project_dir: Path) -> list[str]:
    return [f"{e.path.relative_to(project_dir)}:{e.line}: {e.message}" for e in loaded.errors]


def test_valid_result_loads_into_frozen_model(project_dir, themes):
    write_result(project_dir)
    loaded = load(project_dir, themes)
    assert loaded.errors == []
    (result,) = loaded.results
    assert result.slug == "housing-first"
    assert result.languages == ("fr", "nl", "en")
    fr = result.edition("fr")
    assert fr.title == "Le logement d'abord à Bruxelles"
    assert fr.date == datetime.date(2026, 3, 12)
    assert fr.authors == (Author("Lea Janssens", "TEST"),)
    assert fr.themes == ("housing",)
    assert fr.key_findings == ("Finding **one** (34 %).", "Finding two.")
    assert fr.recommendations == (Recommendation("Do this.", "Gouvernement bruxellois"),)
    assert fr.figures[0].file == "chart.png" and fr.figures[0].alt == "Un graphique en barres."
    assert fr.illustrative is True and fr.status == "published" and fr.licence == "CC-BY-4.0"
    lines = (project_dir / "content/results/housing-first/fr.md").read_text().split("\n")
    assert lines[fr.body_line - 2] == "---" and lines[fr.body_line] == "## Logement"
    with pytest.raises(AttributeError):
        fr.title = "changed"  # frozen


def test_an_edition_reads_its_texts_back_as_the_loader_cut_them(project_dir, themes):
    # a byte-order mark, a closing '...' and Windows line ends: the texts read back are the loader's own
    directory = write_result(project_dir, langs=("fr",))
    text = edition_text("fr").replace("\n---\n\n## ", "\n...\n\n## ", 1).replace("\n", "\r\n")
    (directory / "fr.md").write_bytes(("\ufeff" + text).encode("utf-8"))
    loaded = load_results(project_dir / "content" / "results", LANGS, themes, nodes=False)
    fr = loaded.results[0].edition("fr")
    _raw, doc = loaded.documents[directory / "fr.md"]
    assert (fr.front_matter, fr.body) == (doc.front_matter, doc.body)
    assert fr.body.startswith("\r\n## Logement") and fr.citations is False
    assert fr.placed == ("chart.png",)


def test_an_edition_edited_after_loading_refuses_to_give_its_texts(project_dir, themes):
    directory = write_result(project_dir, langs=("fr",))
    fr = load(project_dir, themes).results[0].edition("fr")
    (directory / "fr.md").write_text(edition_text("fr", title='"Un autre titre"'), encoding="utf-8")
    with pytest.raises(ContentError, match="changed during the build: build again"):
        fr.body  # noqa: B018
    (directory / "fr.md").unlink()
    with pytest.raises(ContentError, match="could not be read again during the build"):
        fr.front_matter  # noqa: B018


def test_bad_yaml_names_file_and_line(project_dir, themes):
    directory = write_result(project_dir)
    text = edition_text("fr").replace('status: published', 'status: "published')
    (directory / "fr.md").write_text(text, encoding="utf-8")
    loaded = load(project_dir, themes)
    # the broken edition is left out; the others go on
    assert [r.languages for r in loaded.results] == [("nl", "en")] and loaded.failed == set()
    assert loaded.failed_files == {directory / "fr.md"}
    (message,) = messages(loaded, project_dir)
    assert message.startswith("content/results/housing-first/fr.md:")
    assert "front matter is not valid YAML" in message
    # the unclosed quote is reported where YAML notices it, inside the front matter
    assert 7 <= loaded.errors[0].line <= 16


def test_missing_front_matter(project_dir, themes):
    directory = write_result(project_dir)
    (directory / "en.md").write_text("# Just a title\n\nText.\n", encoding="utf-8")
    assert messages(load(project_dir, themes), project_dir) == [
        "content/results/housing-first/en.md:1: no front matter: the file must start with a line '---', "
        "then YAML (title, date, …), then a line '---'"
    ]


def test_missing_field(project_dir, themes):
    write_result(project_dir, langs=("fr",), summary=None)
    assert messages(load(project_dir, themes), project_dir) == [
        "content/results/housing-first/fr.md:2: missing 'summary' in the front matter"
    ]


def test_unknown_theme_suggests_the_close_one(project_dir, themes):
    write_result(project_dir, langs=("fr",), themes="[housing, helth]")
    assert messages(load(project_dir, themes), project_dir) == [
        "content/results/housing-first/fr.md:7: unknown theme 'helth' (did you mean 'health'?) "
        "(themes are declared in content/themes.yaml)"
    ]


def test_unknown_key_and_misspelt_addressee(project_dir, themes):
    write_result(project_dir, langs=("en",), autors="x",
                 recommendations='\n  - text: "Do this."\n    adressee: "Brussels"')
    assert messages(load(project_dir, themes), project_dir) == [
        "content/results/housing-first/en.md:22: unknown front matter key 'autors' (did you mean 'authors'?)",
        "content/results/housing-first/en.md:16: unknown key 'adressee' in 'recommendations[1]' "
        "(did you mean 'addressee'?)",
        "content/results/housing-first/en.md:15: 'recommendations[1].addressee' is empty: give it a text",
    ]


def test_editions_that_disagree_blame_the_one_that_changed_at_its_line(project_dir, themes):
    write_result(project_dir)
    directory = project_dir / "content" / "results" / "housing-first"
    (directory / "nl.md").write_text(edition_text("nl", date="2026-03-13"), encoding="utf-8")
    loaded = load(project_dir, themes)
    # the other two agree: nl.md changed, and only nl.md is left out
    assert [r.languages for r in loaded.results] == [("fr", "en")]
    assert messages(loaded, project_dir) == [
        "content/results/housing-first/nl.md:3: the date differs from fr.md and en.md: 2026-03-13 here, "
        "2026-03-12 there; make the editions agree"]


def test_between_two_editions_the_one_edited_last_is_blamed(project_dir, themes):
    directory = write_result(project_dir, langs=("fr", "en"))
    (directory / "fr.md").write_text(edition_text("fr", themes="[housing, health]"), encoding="utf-8")
    os.utime(directory / "en.md", (1_000_000_000, 1_000_000_000))
    assert messages(load(project_dir, themes), project_dir) == [
        "content/results/housing-first/fr.md:7: the themes differ from en.md: health, housing here, housing "
        "there; make the editions agree"]


def test_missing_figure_file(project_dir, themes):
    directory = write_result(project_dir, langs=("fr",))
    (directory / "chart.png").unlink()
    assert messages(load(project_dir, themes), project_dir) == [
        "content/results/housing-first/fr.md:18: figure file 'chart.png' not found in housing-first/"
    ]


def test_figure_without_alt_text_is_an_error(project_dir, themes):
    write_result(project_dir, langs=("fr",), figures='\n  - file: chart.png\n    caption: "C"')
    assert messages(load(project_dir, themes), project_dir) == [
        "content/results/housing-first/fr.md:18: figure 'chart.png' has no alt text: add 'alt:' describing "
        "what the chart shows for readers who cannot see it"
    ]


def test_body_image_missing_and_heading_skips(project_dir, themes):
    directory = write_result(project_dir, langs=("en",))
    text = edition_text("en") + "\n##### Too deep\n\n![](photo.jpg)\n"
    (directory / "en.md").write_text(text, encoding="utf-8")
    assert messages(load(project_dir, themes), project_dir) == [
        "content/results/housing-first/en.md:34: heading skips from level 3 to 5: use #### here so the outline "
        "stays in order",
        "content/results/housing-first/en.md:36: image 'photo.jpg' not found next to this file: add it to "
        "housing-first/ or fix the name",
        "content/results/housing-first/en.md:36: image 'photo.jpg' has no useful alt text: describe what it "
        "shows, or declare it under 'figures' with 'alt'",
    ]


def test_level_one_heading_in_body(project_dir, themes):
    directory = write_result(project_dir, langs=("en",))
    (directory / "en.md").write_text(edition_text("en") + "\n# Another title\n", encoding="utf-8")
    (error,) = load(project_dir, themes).errors
    assert error.line == 34 and "only level-1 heading" in error.message


def test_all_errors_of_a_run_are_collected(project_dir, themes):
    write_result(project_dir, slug="one", langs=("fr",), status="final")
    write_result(project_dir, slug="two", langs=("fr",), date="12/03/2026")
    write_result(project_dir, slug="three")
    loaded = load(project_dir, themes)
    assert [r.slug for r in loaded.results] == ["three"]
    assert loaded.failed == {"one", "two"}
    assert [e.message for e in loaded.errors] == [
        "'status' must be one of draft, published, got 'final'",
        "'date' must be a real date written YYYY-MM-DD (like 2026-03-12), got '12/03/2026'",
    ]


def test_stray_markdown_file_and_bad_slug(project_dir, themes):
    directory = write_result(project_dir)
    (directory / "notes.md").write_text("x", encoding="utf-8")
    write_result(project_dir, slug="Bad_Slug")
    errors = load(project_dir, themes).errors
    assert [e.message for e in errors] == [
        "folder name must be a slug: lower-case letters, digits and hyphens (it becomes the web address)",
        "not a language edition: name it fr.md, nl.md, en.md",
    ]


def test_themes_file_errors_name_the_file(tmp_path):
    path = tmp_path / "themes.yaml"
    path.write_text("housing: [oops\n", encoding="utf-8")
    with pytest.raises(ContentError, match=r"themes.yaml:2: not valid YAML"):
        load_themes(path)


@pytest.mark.parametrize("date", ["2026-13-45", "2026-02-30", "2026-W11-1", "9999-12-31", "20260312"])
def test_an_impossible_date_is_an_error_of_that_edition_alone(project_dir, themes, date):
    write_result(project_dir)
    directory = project_dir / "content/results/housing-first"
    (directory / "nl.md").write_text(edition_text("nl", date=date), encoding="utf-8")
    errors: list[ContentError] = []
    load_edition(directory / "nl.md", "housing-first", "nl", themes, errors)
    (error,) = errors
    assert error.path == directory / "nl.md" and error.line == 3
    assert f"'date' {date}" in error.message or repr(date) in error.message


@pytest.mark.parametrize(("line", "expected"), [
    ("status: draft", "the key 'status' is given twice (first at line 8): keep one"),
    ("themes: &t [housing]\nextra: *t", "anchors and aliases (&name, *name) are not allowed in content"),
    ("subtitle: !!int abc", "'abc' is not a valid int"),
    ("subtitle: !!set {a}", "the tag !!set is not allowed in content"),
    ('subtitle: "bad \\uFFFE char"', "character U+FFFE cannot be published"),
    ('subtitle: "a bell \\a"', "character U+0007 cannot be published"),  # an escape: not in the text
    ("subtitle: a bell \x07 here", "character U+0007 at column 18 cannot be published"),
    ("subtitle: " + "[" * 60 + "]" * 60, "nested more than 20 levels deep"),
])
def test_yaml_that_content_never_needs_is_refused_at_its_line(project_dir, themes, line, expected):
    directory = write_result(project_dir, langs=("fr",))
    text = edition_text("fr").replace("illustrative: true\n", f"illustrative: true\n{line}\n")
    (directory / "fr.md").write_text(text, encoding="utf-8")
    (error,) = load(project_dir, themes).errors
    assert error.line == 10 and expected in error.message, error


def test_non_text_keys_are_names_like_any_other(project_dir, themes):
    write_result(project_dir, langs=("fr",), authors='\n  - name: "Lea Janssens"\n    2.5: x\n    null: y')
    assert [e.message for e in load(project_dir, themes).errors] == [
        "unknown key '2.5' in 'authors[1]'; known keys: name, affiliation",
        "unknown key 'null' in 'authors[1]'; known keys: name, affiliation",
    ]


def test_control_characters_are_refused_with_line_and_column(project_dir, themes):
    directory = write_result(project_dir, langs=("fr",))
    (directory / "fr.md").write_text(edition_text("fr") + "\nA bell \x07 here.\n", encoding="utf-8")
    (error,) = load(project_dir, themes).errors
    assert error.line == 34 and "character U+0007 at column 8 cannot be published" in error.message


@pytest.mark.parametrize(("character", "name"), [
    ("\u202e", "U+202E"),  # printed the rest of the paragraph backwards
    ("\u2066", "U+2066"),
    ("\ue123", "U+E123"),  # private use: each font draws what it likes there
    ("\U000f0001", "U+F0001"),
])
def test_bidirectional_overrides_and_private_use_characters_are_refused(project_dir, themes, character, name):
    directory = write_result(project_dir, langs=("fr",))
    (directory / "fr.md").write_text(edition_text("fr") + f"\nUn mot {character}ici.\n", encoding="utf-8")
    (error,) = load(project_dir, themes).errors
    assert error.line == 34 and f"character {name} at column 8 cannot be published" in error.message


def test_marks_of_direction_stay_allowed(project_dir, themes):
    directory = write_result(project_dir, langs=("fr",))
    (directory / "fr.md").write_text(edition_text("fr") + "\nUn nom \u200fعلي\u200e ici.\n", encoding="utf-8")
    assert load(project_dir, themes).errors == []


def test_not_utf8_gives_line_and_column(project_dir, themes):
    directory = write_result(project_dir, langs=("fr",))
    (directory / "fr.md").write_bytes(edition_text("fr").encode() + "\nCaf\xe9 cr\xe8me\n".encode("latin-1"))
    (error,) = load(project_dir, themes).errors
    assert error.line == 34 and error.message.startswith("not UTF-8 text (at column 4, byte 0xE9)")


@pytest.mark.parametrize(("body", "expected"), [
    ("#######", "a heading without text"),
    ("####### Seven", "a level-7 heading: headings go down to level 6"),
    ("```\ncode [@doe2020]", "code block opened with ``` is never closed"),
    ("![A chart](https://example.org/chart.png)", "image 'https://example.org/chart.png' is not a file of this "
                                                    "result"),
    ("[a link](javascript:alert(1))", "a 'javascript:' link cannot be published"),
    ('<a href="jav&#x61;script:x">y</a>', "a 'javascript:' link cannot be published"),
    ("<data:text/html,hi>", "a 'data:' link cannot be published"),
    ("[safe](https://example.org), then <javascript:x>", "a 'javascript:' link cannot be published"),
    ("   [a reference]: javascript:alert(1)", "a 'javascript:' link cannot be published"),
    ("<script>alert(1)</script>", "raw HTML <script> cannot be published"),
])
def test_markdown_a_later_stage_would_break_on_is_refused(project_dir, themes, body, expected):
    directory = write_result(project_dir, langs=("en",))
    (directory / "en.md").write_text(edition_text("en") + f"\n{body}\n", encoding="utf-8")
    errors = load(project_dir, themes).errors
    assert any(e.line == 34 and expected in e.message for e in errors), [str(e) for e in errors]


def test_code_keeps_its_text(project_dir, themes):
    directory = write_result(project_dir, langs=("en",))
    body = "\nRun `<script>` here.\n\n```html\n<a href=\"javascript:x\">y</a>\n## not a heading\n```\n"
    (directory / "en.md").write_text(edition_text("en") + body, encoding="utf-8")
    assert load(project_dir, themes).errors == []


def test_a_published_edition_with_todo_markers_is_refused_at_each_marker(project_dir, themes):
    directory = write_result(project_dir, langs=("fr",), title='"TODO: titre"',
                             figures='\n  - file: chart.png\n    alt: "TODO: describe"\n    caption: "C"')
    text = edition_text("fr").replace("figures:", "# TODO: a comment is never published\nfigures:")
    text = text.replace('alt: "Un graphique en barres."', 'alt: "TODO: describe"').replace(
        '"Le logement d\'abord à Bruxelles"', '"TODO: titre"')
    (directory / "fr.md").write_text(text + "\nTODO: la suite.\n", encoding="utf-8")
    assert messages(load(project_dir, themes), project_dir) == [
        "content/results/housing-first/fr.md:2: unfinished: 'TODO' in title (column 9) of a published file: "
        "write the text, or set status: draft until it is done",
        "content/results/housing-first/fr.md:20: unfinished: 'TODO' in figures[1].alt (column 11) of a published "
        "file: write the text, or set status: draft until it is done",
        "content/results/housing-first/fr.md:35: unfinished: 'TODO' in body (column 1) of a published file: "
        "write the text, or set status: draft until it is done",
    ]
    (directory / "fr.md").write_text(text.replace("status: published", "status: draft"), encoding="utf-8")
    assert load(project_dir, themes).errors == []


def test_a_todo_marker_written_with_an_escape_is_a_marker(project_dir, themes):
    directory = write_result(project_dir, langs=("fr",))
    text = edition_text("fr").replace('"Le logement d\'abord à Bruxelles"', '"\\x54ODO: titre"')
    assert "TODO" not in text
    (directory / "fr.md").write_text(text, encoding="utf-8")
    assert messages(load(project_dir, themes), project_dir) == [
        "content/results/housing-first/fr.md:2: unfinished: 'TODO' in title (column 9) of a published file: "
        "write the text, or set status: draft until it is done"]
