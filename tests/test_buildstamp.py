"""The build stamp: a build with nothing to do is recognised from the files' metadata, and any change
— to content, layouts, config, a file a target reads, an output — makes the build run in full."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from projects import FIXTURES, write_result

import pipeline.publish
from pipeline import buildstamp
from pipeline.cli import main

PAGE = "site/en/results/housing-first/index.html"


@pytest.fixture
def settled(project_dir, monkeypatch):
    """A project with one result whose files are old enough to be trusted (the racy window, shortened)."""
    monkeypatch.setattr(buildstamp, "_RACY_SECONDS", 0.05)
    write_result(project_dir)
    settle()
    return project_dir


def settle() -> None:
    time.sleep(0.1)


@pytest.fixture
def full_builds(monkeypatch):
    """Counts the builds that ran in full (through `pipeline.publish.build`) rather than from the stamp."""
    calls = []
    real = pipeline.publish.build

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline.publish, "build", counting)
    return calls


def crebis_build(project: Path, *args: str):
    result = CliRunner().invoke(main, ["-C", str(project), "build", "--only", "site", *args])
    assert result.exit_code == 0, result.output
    return result


def test_a_build_with_nothing_to_do_says_what_a_full_one_says_without_running_one(settled, full_builds):
    crebis_build(settled)
    assert len(full_builds) == 1
    replayed = crebis_build(settled)
    assert len(full_builds) == 1, "the second build should have been recognised as having nothing to do"
    (settled / ".crebis" / buildstamp.STAMP_FILE).unlink()
    full = crebis_build(settled)
    assert len(full_builds) == 2
    assert replayed.output == full.output
    assert "0 to build" in crebis_build(settled, "--dry-run").output and len(full_builds) == 2


def _edit_content(root: Path) -> None:
    path = root / "content/results/housing-first/en.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nOne more sentence.\n", encoding="utf-8")


def _touch_content(root: Path) -> None:
    path = root / "content/results/housing-first/en.md"
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same bytes and time: only ctime moves


def _edit_layout(root: Path) -> None:
    path = root / "layouts/site/result.html"
    path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")


def _edit_config(root: Path) -> None:
    path = root / "crebis.toml"
    path.write_text(path.read_text(encoding="utf-8").replace("Centre de test", "Centre d'essai"), encoding="utf-8")


def _new_result(root: Path) -> None:
    write_result(root, slug="second-result")


def _delete_output(root: Path) -> None:
    (root / "outputs" / PAGE).unlink()


def _edit_output(root: Path) -> None:
    (root / "outputs" / PAGE).write_text("edited by hand", encoding="utf-8")


def _replace_figure(root: Path) -> None:
    figure = root / "content/results/housing-first/chart.png"
    figure.write_bytes(figure.read_bytes())


@pytest.mark.parametrize("change", [_edit_content, _touch_content, _edit_layout, _edit_config, _new_result,
                                    _delete_output, _edit_output, _replace_figure])
def test_any_change_makes_the_build_run_in_full(settled, full_builds, change):
    crebis_build(settled)
    page = (settled / "outputs" / PAGE).read_bytes()
    change(settled)
    settle()
    crebis_build(settled)
    assert len(full_builds) == 2, f"{change.__name__} went unseen"
    if change in (_delete_output, _edit_output):
        assert (settled / "outputs" / PAGE).read_bytes() == page
    crebis_build(settled)
    assert len(full_builds) == 2, "the full build should have left a stamp behind"


def test_a_file_outside_content_and_layouts_that_a_target_reads_is_watched(settled, full_builds):
    # the logo lives at the project's root: the config names it and the site's pages read it
    shutil.copy(settled / "layouts/assets/logo.svg", settled / "logo.svg")
    config = settled / "crebis.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("layouts/assets/logo.svg", "logo.svg"),
                      encoding="utf-8")
    settle()
    crebis_build(settled)
    logo = settled / "logo.svg"
    logo.write_text(logo.read_text(encoding="utf-8").replace("</svg>", "<!-- new --></svg>"), encoding="utf-8")
    settle()
    crebis_build(settled)
    assert len(full_builds) == 2


def test_an_input_changed_while_the_build_runs_leaves_no_stamp(settled, full_builds, monkeypatch):
    real = pipeline.publish._build

    def editing_meanwhile(*args, **kwargs):
        outcome = real(*args, **kwargs)
        _edit_content(settled)  # after the content was read, before the build ends
        return outcome

    monkeypatch.setattr(pipeline.publish, "_build", editing_meanwhile)
    crebis_build(settled)
    monkeypatch.setattr(pipeline.publish, "_build", real)
    settle()
    crebis_build(settled)
    assert len(full_builds) == 2
    assert "One more sentence." in (settled / "outputs" / PAGE).read_text(encoding="utf-8")


def test_files_changed_just_before_the_build_leave_no_stamp(project_dir, full_builds):
    write_result(project_dir)  # just now: within the clock's granularity a later change could go unseen
    crebis_build(project_dir)
    crebis_build(project_dir)
    assert len(full_builds) == 2


@pytest.mark.parametrize("damage", ["not json", "[]", '{"schema": 1, "builds": {"x": 1}}'])
def test_a_damaged_stamp_is_a_full_build(settled, full_builds, damage):
    crebis_build(settled)
    (settled / ".crebis" / buildstamp.STAMP_FILE).write_text(damage, encoding="utf-8")
    crebis_build(settled)
    assert len(full_builds) == 2


def test_a_failed_build_leaves_no_stamp_and_options_have_their_own(settled, full_builds):
    crebis_build(settled)
    stamp = json.loads((settled / ".crebis" / buildstamp.STAMP_FILE).read_text(encoding="utf-8"))
    assert list(stamp["builds"]) == [buildstamp.options_key({"site"}, None, None)]
    CliRunner().invoke(main, ["-C", str(settled), "build", "--only", "site", "--lang", "en"])
    assert len(full_builds) == 2  # other options, no stamp of their own yet
    (settled / "content/results/housing-first/chart.png").unlink()
    settle()
    failed = CliRunner().invoke(main, ["-C", str(settled), "build", "--only", "site"])
    assert failed.exit_code == 1
    again = CliRunner().invoke(main, ["-C", str(settled), "build", "--only", "site"])
    assert again.exit_code == 1 and "chart.png" in again.output and len(full_builds) == 4
    shutil.copy(FIXTURES / "chart.png", settled / "content/results/housing-first/chart.png")
