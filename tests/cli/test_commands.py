"""CLI wiring: thin commands, clean errors, help for every command and a README entry for each."""

from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from projects import REPO, write_result

from pipeline.cli import LazyGroup, main
from pipeline.publish import KINDS


def all_commands(group: click.Group = main, prefix: str = "crebis") -> list[tuple[str, click.Command]]:
    found = []
    commands = group.load_all() if isinstance(group, LazyGroup) else group.commands
    for name, command in sorted(commands.items()):
        path = f"{prefix} {name}"
        found.append((path, command))
        if isinstance(command, click.Group):
            found.extend(all_commands(command, path))
    return found


@pytest.mark.parametrize(("path", "command"), all_commands(), ids=[p for p, _ in all_commands()])
def test_every_command_has_help_and_is_in_the_readme(path, command):
    assert command.help, f"{path} has no help text"
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert f"`{path}" in readme, f"{path} is not documented in README.md"


def test_build_then_up_to_date(project_dir: Path):
    write_result(project_dir)
    runner = CliRunner()
    first = runner.invoke(main, ["-C", str(project_dir), "build"])
    assert first.exit_code == 0, first.output
    assert "site" in first.output and "Outputs in outputs/" in first.output
    second = runner.invoke(main, ["-C", str(project_dir), "build"])
    lines = second.output.splitlines()
    assert lines[0].split() == ["kind", "built", "up", "to", "date", "failed"]
    rows = {line.split()[0]: line.split()[1:] for line in lines[1:] if line.strip() and line.split()[0] in KINDS}
    assert {"site", "brief", "summary"} <= set(rows) and all(row[0] == "0" for row in rows.values())


def test_build_with_content_errors_lists_them_and_exits_1(project_dir: Path):
    write_result(project_dir, themes="[nope]")
    result = CliRunner().invoke(main, ["-C", str(project_dir), "build"])
    assert result.exit_code == 1
    assert "content/results/housing-first/fr.md:7: unknown theme 'nope'" in result.output
    assert "Traceback" not in result.output


def test_config_errors_are_messages_not_tracebacks(project_dir: Path):
    (project_dir / "crebis.toml").write_text('languages = ["fr", "de"]\n')
    result = CliRunner().invoke(main, ["-C", str(project_dir), "config"])
    assert result.exit_code == 1
    assert "crebis.toml: 1 problem(s)" in result.output and "unsupported language(s) ['de']" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_config_prints_the_effective_configuration(project_dir: Path):
    result = CliRunner().invoke(main, ["-C", str(project_dir), "config"])
    assert result.exit_code == 0
    assert 'short_name = "TEST"' in result.output and "max_pages = 4" in result.output


def test_unknown_language_is_refused(project_dir: Path):
    result = CliRunner().invoke(main, ["-C", str(project_dir), "build", "--lang", "de"])
    assert result.exit_code == 1 and "language 'de' is not in crebis.toml's languages" in result.output


def test_init_and_new_result(tmp_path: Path):
    runner = CliRunner()
    result = runner.invoke(main, ["init", str(tmp_path / "centre")])
    assert result.exit_code == 0 and "crebis build" in result.output
    result = runner.invoke(main, ["-C", str(tmp_path / "centre"), "new", "result", "new-study"])
    assert result.exit_code == 0
    assert result.output.splitlines() == [f"created content/results/new-study/{x}.md" for x in ("fr", "nl", "en")]


def test_readme_command_reference_is_up_to_date():
    from pipeline.cli.reference import BEGIN, END, command_reference

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = readme.split(BEGIN, 1)[1].split(END, 1)[0]
    assert block.strip() == command_reference().strip(), "run `python -m pipeline.cli.reference` and commit"


def test_a_bug_is_one_line_not_a_traceback(monkeypatch, project_dir: Path):
    import pipeline.cli.project as commands

    def broken(*args, **kwargs):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(commands, "dump_config", broken)
    result = CliRunner().invoke(main, ["-C", str(project_dir), "config"])
    assert result.exit_code == 2
    assert "Internal error (a bug in crebis, not in your files): ZeroDivisionError" in result.output
    assert "Traceback" not in result.output
