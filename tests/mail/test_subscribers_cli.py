"""`crebis subscribers …` end to end on a real project folder and SQLite file."""

from __future__ import annotations

import json

from click.testing import CliRunner

from pipeline.cli import main


def run(project_dir, *args, input=None):
    return CliRunner().invoke(main, ["-C", str(project_dir), "subscribers", *args], input=input)


def test_add_list_stats_export_forget(project_dir):
    added = run(project_dir, "add", "Ana@Example.org", "--name", "Ana", "--lang", "nl", "--list", "digest")
    assert added.exit_code == 0, added.output
    assert (project_dir / ".crebis/subscribers.sqlite").exists()
    listed = run(project_dir, "list")
    assert "ana@example.org" in listed.output and "1 subscriber(s)" in listed.output
    stats = json.loads(run(project_dir, "stats", "--format", "json").output)
    assert stats["lists"]["digest"]["nl"] == 1 and stats["status"]["active"] == 1
    exported = json.loads(run(project_dir, "export", "ana@example.org").output)
    assert exported["subscriber"]["lists"] == ["digest"]
    forgotten = run(project_dir, "forget", "ana@example.org", "--yes")
    assert forgotten.exit_code == 0 and "forgot ana@example.org" in forgotten.output
    again = run(project_dir, "add", "ana@example.org")
    assert again.exit_code == 1 and "suppression list" in again.output and "Traceback" not in again.output


def test_bad_csv_is_refused_with_its_lines_and_the_store_is_unchanged(project_dir, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("email,language\nok@example.org,fr\nnope,fr\n", encoding="utf-8")
    result = run(project_dir, "import", str(path))
    assert result.exit_code == 1
    assert "people.csv:3: 'nope' is not a valid email address" in result.output
    assert "0 subscriber(s)" in run(project_dir, "list").output
    result = run(project_dir, "import", str(path), "--skip-invalid")
    assert result.exit_code == 0 and "imported 1 subscriber(s)" in result.output


def test_remove_then_unknown_address(project_dir):
    run(project_dir, "add", "ana@example.org")
    assert "unsubscribed ana@example.org" in run(project_dir, "remove", "ana@example.org").output
    missing = run(project_dir, "remove", "zed@example.org")
    assert missing.exit_code == 1 and "no subscriber 'zed@example.org'" in missing.output


def test_forget_answered_no_or_not_answered_erases_nothing(project_dir, monkeypatch):
    monkeypatch.setenv("CREBIS_SECRET", "test-secret-not-for-production-0123456789")
    run(project_dir, "add", "eve@example.org")
    no = run(project_dir, "forget", "eve@example.org", input="n\n")
    assert no.exit_code == 0 and "nothing erased" in no.output
    unanswered = run(project_dir, "forget", "eve@example.org", input="")  # no terminal: end of input
    assert unanswered.exit_code == 1 and "Aborted" in unanswered.output and "Internal error" not in unanswered.output
    assert "eve@example.org" in run(project_dir, "list").output
