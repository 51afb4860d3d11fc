"""Figures declared as data (`data:` CSV + `chart:` spec): read, checked and translated by the loader."""

from __future__ import annotations

from pathlib import Path

from projects import chart_figures, write_chart, write_result

from pipeline.content.chartdata import ChartSource, read_chart
from pipeline.content.load import load_results, load_themes


def _load(project: Path):
    themes = load_themes(project / "content" / "themes.yaml")
    return load_results(project / "content" / "results", ["fr", "nl", "en"], themes)


def _result_with_chart(project: Path) -> Path:
    directory = write_result(project)
    write_chart(directory)
    for lang in ("fr", "nl", "en"):
        path = directory / f"{lang}.md"
        text = path.read_text(encoding="utf-8")
        start = text.index("figures:")
        end = text.index("\n---", start)
        path.write_text(text[:start] + "figures:" + chart_figures(lang) + text[end:], encoding="utf-8")
    return directory


def _messages(loaded) -> list[str]:
    return [str(e) for e in loaded.errors]


def test_a_chart_from_data_is_a_figure_with_its_texts(project_dir: Path):
    _result_with_chart(project_dir)
    loaded = _load(project_dir)
    assert not loaded.errors, _messages(loaded)
    nl = loaded.results[0].edition("nl")
    chart = nl.figure("take-up.vl.yaml")
    assert chart is not None and chart.is_chart and chart.data == "take-up.csv"
    assert chart.labels["benefit.ris"] == "Leefloon" and chart.labels["title"] == "Niet-gebruik per uitkering"
    assert "take-up.vl.yaml" not in nl.images  # drawn, not copied as an image
    assert not nl.figure("chart.png").is_chart


def test_front_matter_labels_override_the_table(project_dir: Path):
    directory = _result_with_chart(project_dir)
    path = directory / "en.md"
    path.write_text(path.read_text().replace('    source: "Illustrative"\n---',
                                             '    source: "Illustrative"\n    labels:\n      title: "Own title"\n---'))
    loaded = _load(project_dir)
    assert not loaded.errors, _messages(loaded)
    assert loaded.results[0].edition("en").figure("take-up.vl.yaml").labels["title"] == "Own title"


def test_a_missing_translation_names_the_edition_and_key(project_dir: Path):
    directory = _result_with_chart(project_dir)
    table = directory / "take-up.labels.csv"
    table.write_text("\n".join(line for line in table.read_text().splitlines() if not line.startswith("benefit.ts")))
    loaded = _load(project_dir)
    messages = _messages(loaded)
    assert any(m.startswith(f"{directory / 'nl.md'}:") and "'benefit.ts'" in m and "take-up.labels.csv" in m
               for m in messages), messages
    error = next(e for e in loaded.errors if e.path == directory / "fr.md")
    assert error.line == (directory / "fr.md").read_text().splitlines().index("  - data: take-up.csv") + 1


def test_an_empty_cell_of_the_labels_table_names_its_line(project_dir: Path):
    directory = _result_with_chart(project_dir)
    table = directory / "take-up.labels.csv"
    table.write_text(table.read_text().replace(",Leefloon,", ",,"))
    loaded = _load(project_dir)
    error = next(e for e in loaded.errors if e.path == table)
    assert error.line == 6 and "nl" in error.message and "'benefit.ris'" in error.message


def test_a_broken_csv_row_gives_its_line_and_the_result_is_left_out(project_dir: Path):
    directory = _result_with_chart(project_dir)
    data = directory / "take-up.csv"
    lines = data.read_text().splitlines()
    lines[3] = "bim,2024"
    data.write_text("\n".join(lines) + "\n")
    loaded = _load(project_dir)
    assert {(e.path, e.line) for e in loaded.errors} == {(data, 4)}
    assert loaded.failed == {"housing-first"}


def test_a_misspelled_spec_key_gives_its_line(project_dir: Path):
    directory = _result_with_chart(project_dir)
    spec = directory / "take-up.vl.yaml"
    spec.write_text(spec.read_text().replace("    type: quantitative", "    tpye: quantitative"))
    loaded = _load(project_dir)
    line = spec.read_text().splitlines().index("    tpye: quantitative") + 1
    assert {(e.path, e.line) for e in loaded.errors} == {(spec, line)}
    assert "did you mean 'type'" in loaded.errors[0].message


def test_editions_must_agree_on_the_data_and_spec(project_dir: Path):
    directory = _result_with_chart(project_dir)
    for name in ("take-up.csv", "take-up.labels.csv"):
        (directory / name.replace("take-up", "other")).write_text((directory / name).read_text())
    path = directory / "nl.md"
    path.write_text(path.read_text().replace("data: take-up.csv", "data: other.csv"))
    loaded = _load(project_dir)
    assert [e.path for e in loaded.errors] == [path]
    assert "figure files differ" in loaded.errors[0].message and "other.csv" in loaded.errors[0].message


def test_a_figure_is_a_file_or_data_not_both(project_dir: Path):
    directory = _result_with_chart(project_dir)
    path = directory / "en.md"
    path.write_text(path.read_text().replace("  - data: take-up.csv", "  - file: chart.png\n    data: take-up.csv"))
    messages = _messages(_load(project_dir))
    assert any("not both" in m for m in messages), messages


def test_missing_chart_files_and_wrong_endings_are_errors(project_dir: Path):
    directory = _result_with_chart(project_dir)
    path = directory / "en.md"
    path.write_text(path.read_text().replace("chart: take-up.vl.yaml", "chart: take-up.json")
                    .replace("data: take-up.csv", "data: gone.csv"))
    messages = _messages(_load(project_dir))
    assert any("data file 'gone.csv' not found" in m for m in messages), messages
    assert any("'chart' must name a .vl.yaml file" in m for m in messages), messages


def test_a_chart_read_again_is_the_file_as_it_is_now(project_dir: Path):
    """Charts are read once per content (each edition and target asks again): a file rewritten at once, to the
    same size, is read anew, and what one reader changes in its copy does not reach the next."""
    directory = _result_with_chart(project_dir)
    source = ChartSource(directory / "take-up.csv", directory / "take-up.vl.yaml")
    first = read_chart(source)
    assert first.rows[0]["non_take_up"] == 0.41 and first.spec["width"] == 420
    first.rows[0]["non_take_up"] = 0.99
    first.spec["encoding"]["x"]["title"] = "changed"
    again = read_chart(source)
    assert again.rows[0]["non_take_up"] == 0.41 and again.spec["encoding"]["x"]["title"] == "{x}"
    source.data.write_text(source.data.read_text().replace("0.41", "0.42"))
    source.spec.write_text(source.spec.read_text().replace("width: 420", "width: 421"))
    edited = read_chart(source)
    assert edited.rows[0]["non_take_up"] == 0.42 and edited.spec["width"] == 421
