"""check_project over real projects, and the `crebis check` command: text, JSON schema, exit codes."""

import json
import os
import shutil
import subprocess
import sys
import threading
import time

from click.testing import CliRunner
from projects import REPO, edition_text, write_result

from pipeline.checks import check_project
from pipeline.cli import main
from pipeline.project import Project
from pipeline.publish import build

FINDING_KEYS = ["file", "line", "column", "severity", "rule", "message", "suggestion", "length"]
DOCUMENT_KEYS = ["path", "language", "kind", "words", "sentences", "syllables", "readability", "profile", "hardest"]
HARD_KEYS = ["line", "column", "words", "score", "text"]


def test_the_sample_content_has_no_errors_and_shows_warnings():
    report = check_project(Project.open(REPO))
    assert report.count("error") == 0, report.errors
    assert any(f.rule == "readability" and f.severity == "warning" for f in report.findings)
    kinds = ("summary", "brief", "newsletter", "digest")
    assert {(d.language, d.kind) for d in report.documents} == {(lang, kind) for lang in ("fr", "nl", "en")
                                                                for kind in kinds}
    # The sample's deliberate warnings, documented in the README, and no other.
    assert sorted((f.file, f.rule) for f in report.findings if f.severity == "warning") == [
        ("content/results/non-take-up-social-rights/fr.md", "negations"),
        ("content/results/non-take-up-social-rights/fr.md", "readability")]


def test_loader_errors_are_findings_once(project_dir):
    directory = write_result(project_dir)
    shutil.copy(directory / "chart.png", directory / "other.png")
    text = (directory / "fr.md").read_text(encoding="utf-8").replace("### Detail", "#### Detail")
    text += "\n![image](other.png)\n"
    (directory / "fr.md").write_text(text, encoding="utf-8")
    lines = text.split("\n")
    report = check_project(Project.open(project_dir))
    errors = [(f.file, f.line, f.rule) for f in report.errors]
    assert errors == [("content/results/housing-first/fr.md", lines.index("#### Detail") + 1, "heading-order"),
                      ("content/results/housing-first/fr.md", lines.index("![image](other.png)") + 1, "alt-text")]
    assert report.files_with_errors(project_dir) == {project_dir / "content/results/housing-first/fr.md"}


def test_a_missing_and_an_outdated_translation(project_dir):
    directory = write_result(project_dir, langs=("fr", "nl"))
    old = time.time() - 90 * 86400
    os.utime(directory / "nl.md", (old, old))
    report = check_project(Project.open(project_dir))
    rules = {(f.file.rsplit("/", 1)[1], f.rule) for f in report.findings if f.rule.startswith("translation")}
    assert rules == {("en.md", "translation-missing"), ("nl.md", "translation-stale")}
    (missing,) = [f for f in report.findings if f.rule == "translation-missing"]
    assert missing.message == "no English edition of this result (fr.md, nl.md exist)"
    (directory / "nl.md").unlink()
    messages = {f.message for f in check_project(Project.open(project_dir)).findings if f.rule == "translation-missing"}
    assert "no English edition of this result (fr.md exists)" in messages
    fresh = write_result(project_dir, slug="fresh-study")
    assert not [f for f in check_project(Project.open(project_dir), [fresh]).findings
                if f.rule.startswith("translation")]


def test_paths_narrow_the_check(project_dir):
    write_result(project_dir)
    write_result(project_dir, slug="other-study")
    report = check_project(Project.open(project_dir), [project_dir / "content/results/other-study/nl.md"])
    assert {d.path for d in report.documents} == {"content/results/other-study/nl.md"}
    assert {f.file for f in report.findings} <= {"content/results/other-study/nl.md"}


def test_json_output_is_the_documented_schema(project_dir):
    write_result(project_dir)
    result = CliRunner().invoke(main, ["-C", str(project_dir), "check", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert list(data) == ["version", "summary", "findings", "documents", "rules"]
    # What each rule found asks for, in the three languages (the HTML report shows the text's own).
    assert set(data["rules"]) == {f["rule"] for f in data["findings"]} & set(data["rules"])
    assert all(set(texts) == {"fr", "nl", "en"} for texts in data["rules"].values())
    assert "percentage" in data["rules"]
    assert data["version"] == 1 and list(data["summary"]) == ["error", "warning", "info"]
    assert all(list(f) == FINDING_KEYS for f in data["findings"])
    assert all(list(d) == DOCUMENT_KEYS for d in data["documents"])
    fr = next(d for d in data["documents"] if d["language"] == "fr" and d["kind"] == "summary")
    assert set(fr["readability"]) == {"kandel-moles", "lix"}
    # The hardest sentences are listed for every text, whether or not it meets its targets.
    assert all(1 <= len(d["hardest"]) <= 3 and all(list(h) == HARD_KEYS for h in d["hardest"])
               for d in data["documents"])
    weights = [h["words"] * (100 - h["score"]) for h in fr["hardest"]]
    assert weights == sorted(weights, reverse=True)
    percent = next(f for f in data["findings"] if f["rule"] == "percentage")
    assert percent["severity"] == "info" and percent["line"] == 12  # the first key finding: "Finding **one** (34 %)."
    again = CliRunner().invoke(main, ["-C", str(project_dir), "check", "--format", "json"])
    assert again.output == result.output


def test_exit_codes_and_strict(project_dir):
    write_result(project_dir, summary='"' + " ".join(["Une phrase beaucoup trop longue"] * 6) + '."')
    runner = CliRunner()
    relaxed = runner.invoke(main, ["-C", str(project_dir), "check"])
    assert relaxed.exit_code == 0, relaxed.output
    assert "sentence-length" in relaxed.output and relaxed.output.rstrip().splitlines()[-1].startswith("0 error(s)")
    assert runner.invoke(main, ["-C", str(project_dir), "check", "--strict"]).exit_code == 1
    (project_dir / "crebis.toml").write_text(
        (project_dir / "crebis.toml").read_text(encoding="utf-8") + '\n[brand]\nprimary = "#99bbdd"\n',
        encoding="utf-8")
    failing = runner.invoke(main, ["-C", str(project_dir), "check"])
    assert failing.exit_code == 1 and "contrast of" in failing.output


def test_rules_can_be_switched_off(project_dir):
    write_result(project_dir)
    (project_dir / "crebis.toml").write_text(
        (project_dir / "crebis.toml").read_text(encoding="utf-8")
        + "\n[check.numbers]\nenabled = false\n\n[check.readability]\nseverity = \"error\"\nmin_words = 0\n"
        "\n[check.readability.fr]\nsummary_min_score = 150\n",
        encoding="utf-8")
    report = check_project(Project.open(project_dir))
    assert not [f for f in report.findings if f.rule == "percentage"]
    assert {f.rule for f in report.errors} == {"readability"}


def test_sample_project_copy_checks_the_same(tmp_path):
    shutil.copytree(REPO / "content", tmp_path / "content")
    shutil.copytree(REPO / "layouts", tmp_path / "layouts")
    shutil.copy(REPO / "crebis.toml", tmp_path / "crebis.toml")
    report = check_project(Project.open(tmp_path))
    assert report.count("error") == 0


NEWSLETTER = """---
subject: "Le loyer monte"
preheader: "Les aides sont accordées par la commune."
date: 2026-04-16
---

Ce printemps, beaucoup de ménages paient trop. Il n'est pas rare qu'on ne reçoive aucune aide.
"""


def test_newsletters_are_checked_as_one_text(project_dir):
    issue = project_dir / "content" / "newsletters" / "2026-04"
    issue.mkdir(parents=True)
    (issue / "fr.md").write_text(NEWSLETTER, encoding="utf-8")
    report = check_project(Project.open(project_dir))
    assert [(d.path, d.kind) for d in report.documents] == [("content/newsletters/2026-04/fr.md", "newsletter")]
    found = {(f.line, f.rule) for f in report.findings}
    assert (3, "passive") in found  # the preheader
    assert (7, "negations") in found  # the editorial body
    # A path narrows the check to what it names.
    assert not check_project(Project.open(project_dir), [project_dir / "content" / "results"]).documents


WORKSHEET = """week: 2026-W47
intro:
  fr: "Les aides sont accordées par la commune."
candidates:
  housing:
  - id: a1
    title: "A title is the source's own: it is not checked, even in the passive voice."
    keep: true
    note:
      fr: "Il n'est pas rare qu'on ne reçoive aucune aide."
      en: "A practical answer."
  - id: b2
    title: "Left out"
    keep: false
    note: "Ce texte n'est pas publié, il n'est donc pas lu."
"""


def test_digests_check_what_the_centre_writes_in_each_language(project_dir):
    curation = project_dir / "content" / "watch" / "curation"
    curation.mkdir(parents=True)
    (curation / "2026-W47.yaml").write_text(WORKSHEET, encoding="utf-8")
    report = check_project(Project.open(project_dir))
    assert {(d.path, d.language, d.kind) for d in report.documents} == {
        ("content/watch/curation/2026-W47.yaml", "en", "digest"),
        ("content/watch/curation/2026-W47.yaml", "fr", "digest")}
    found = sorted((f.line, f.rule) for f in report.findings)
    assert found == [(3, "passive"), (10, "negations")]  # the intro and the kept story's note, not the others


def test_a_cached_digest_check_keeps_its_findings_until_the_worksheet_changes(project_dir):
    curation = project_dir / "content" / "watch" / "curation"
    curation.mkdir(parents=True)
    worksheet = curation / "2026-W47.yaml"
    worksheet.write_text(WORKSHEET, encoding="utf-8")
    project = Project.open(project_dir)

    def digest_findings() -> list[tuple[int, str]]:
        report = check_project(project, cached=True)
        return sorted((f.line, f.rule) for f in report.findings if f.file.endswith("2026-W47.yaml"))

    first = digest_findings()
    assert first == [(3, "passive"), (10, "negations")]
    assert digest_findings() == first  # from the cache, the same findings
    # rewritten at once: the cache is keyed on the bytes, not on the file's time
    worksheet.write_text(WORKSHEET.replace("Il n'est pas rare qu'on ne reçoive aucune aide.",
                                           "Il est fréquent qu'une personne reçoive une aide."), encoding="utf-8")
    assert digest_findings() == [(3, "passive")]


BIB = "@book{doe2020, author={Doe, Jane}, title={Housing}, year={2020}, publisher={P}}\n"


def test_unknown_citation_keys_are_found_at_their_line(project_dir):
    directory = write_result(project_dir)
    (project_dir / "content/references.bib").write_text(BIB, encoding="utf-8")
    for lang in ("fr", "nl", "en"):
        (directory / f"{lang}.md").write_text(
            edition_text(lang) + "\nSee [@doe2020; @nokey] and jane@example.org.\n\n`@code` [x](https://x.org/@y)\n",
            encoding="utf-8")
    report = check_project(Project.open(project_dir))
    found = [(f.file, f.line, f.column, f.message) for f in report.findings if f.rule == "citation"]
    assert found == [(f"content/results/housing-first/{lang}.md", 34, 16, "unknown citation key 'nokey': it is "
                      "not in content/references.bib") for lang in ("en", "fr", "nl")]


def test_a_broken_bibliography_is_reported_once_and_builds_nothing_that_cites_it(project_dir):
    directory = write_result(project_dir)
    (project_dir / "content/references.bib").write_text(BIB + "@misc{x, title={unclosed}\n", encoding="utf-8")
    for lang in ("fr", "nl", "en"):
        (directory / f"{lang}.md").write_text(edition_text(lang) + "\nSee [@doe2020].\n", encoding="utf-8")
    project = Project.open(project_dir)
    (finding,) = [f for f in check_project(project).findings if f.rule in ("bibliography", "citation")]
    assert (finding.file, finding.line, finding.severity) == ("content/references.bib", 2, "error")
    assert finding.message.startswith("the bibliography cannot be read: ")
    outcome = build(project)
    assert outcome.report.failed == []
    assert [f.file for f in outcome.content_errors] == ["content/references.bib"]
    assert not (project_dir / "outputs/briefs/housing-first").exists()
    # a second (cached) build says it again
    assert [f.file for f in build(project).content_errors] == ["content/references.bib"]


ISSUE = """---
subject: "La lettre d'avril"
preheader: "Une étude, deux rendez-vous."
date: 2026-04-16
---

L'édito. Pour lire l'étude, [cliquez ici](https://crebis.example.org/fr/).

Et [ceci](javascript:alert(1)).
"""


def test_newsletters_are_checked_too(project_dir):
    directory = project_dir / "content/newsletters/2026-04"
    directory.mkdir(parents=True)
    (directory / "fr.md").write_text(ISSUE, encoding="utf-8")
    result = CliRunner().invoke(main, ["-C", str(project_dir), "check", str(directory / "fr.md")])
    assert result.exit_code == 1
    assert "7:29  error    link text “cliquez ici” does not say where the link goes  [link-text]" in result.output
    assert "9:11  error    a 'javascript:' link cannot be published" in result.output
    assert result.output.strip().endswith("2 error(s), 0 warning(s), 0 info in 1 file(s)")


def test_the_loaders_body_problems_are_reported_as_it_found_them(project_dir):
    from pipeline.content.load import body_problems, declared_figures, load_results, load_themes

    directory = write_result(project_dir)
    md = directory / "fr.md"
    text = md.read_text(encoding="utf-8").replace("### Detail", "#### Detail")
    md.write_text(text, encoding="utf-8")
    project = Project.open(project_dir)
    themes = load_themes(project.path(project.config.watch.themes))
    loaded = load_results(project.results_dir, project.config.languages, themes)
    doc = loaded.documents[md][1]
    assert loaded.problems[md] == body_problems(md, doc, declared_figures(doc.data))
    assert [p.rule for p in loaded.problems[md]] == ["heading-order"]
    report = check_project(project, themes=themes, loaded=loaded)
    found = [(f.line, f.column, f.rule) for f in report.errors]
    assert found == [(text.split("\n").index("#### Detail") + 1, 1, "heading-order")]


def _copies(tmp_path, times: int):
    """The sample project with each result copied `times` times; one copy with a body problem, an unknown
    citation and a loading error."""
    shutil.copytree(REPO / "content", tmp_path / "content")
    shutil.copytree(REPO / "layouts", tmp_path / "layouts")
    shutil.copy(REPO / "crebis.toml", tmp_path / "crebis.toml")
    results = tmp_path / "content" / "results"
    samples = sorted(p for p in results.iterdir() if p.is_dir())
    for i in range(1, times):
        for sample in samples:
            shutil.copytree(sample, results / f"{sample.name}-{i}")
    broken = results / f"{samples[0].name}-1" / "fr.md"
    text = broken.read_text(encoding="utf-8").replace("\n## ", "\n#### ", 1).replace("[@", "[@unknown-key; @", 1)
    broken.write_text(text.replace("date: 2026", "date: 2026-02-30\nx: 2026", 1), encoding="utf-8")
    return Project.open(tmp_path)


def _check_json(root, *args: str):
    """`crebis check --format json` in a fresh process (one thread: free to fork), as a user runs it."""
    proc = subprocess.run([sys.executable, "-m", "pipeline", "-C", str(root), "check", "--format", "json", *args],
                          capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 1, proc.stderr  # the broken copy's errors
    return proc.stdout


def test_a_check_shared_between_processes_reports_what_one_process_reports(tmp_path):
    project = _copies(tmp_path, 4)
    one = _check_json(tmp_path, "--jobs", "1")
    report = json.loads(one)
    assert {"heading-order", "citation", "content"} <= {f["rule"] for f in report["findings"]
                                                        if f["severity"] == "error"}
    # the results in three languages, the three editions of the newsletter and the digest's worksheet
    assert len({d["path"] for d in report["documents"]}) == 12 * 3 + 3 + 1
    assert _check_json(tmp_path, "--jobs", "2") == one
    assert _check_json(tmp_path, "--jobs", "3") == one
    folder = project.results_dir / "energy-poverty-brussels-2"
    assert check_project(project, [folder], jobs=2).as_json_text() == check_project(project, [folder], jobs=1)\
        .as_json_text()
    assert CliRunner().invoke(main, ["-C", str(tmp_path), "check", "--jobs", "0"]).exit_code == 2


def test_a_part_of_the_check_runs_in_another_process():
    from pipeline.checks.runner import PARALLEL_FROM, _finish, _processes, _start

    assert _finish(_start(os.getpid)) != os.getpid()
    assert _processes(None, PARALLEL_FROM - 1) == 1  # a small project stays in one process
    assert _processes(1, 10 * PARALLEL_FROM) == 1
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        assert _processes(2, 10 * PARALLEL_FROM) == 1  # never a fork beside another thread
    finally:
        release.set()
        other.join()


def test_a_machine_busier_than_its_cores_checks_in_one_process(monkeypatch):
    from pipeline.checks.runner import PARALLEL_FROM, _processes

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    monkeypatch.setattr(os, "getloadavg", lambda: (1.5, 1.0, 1.0))
    assert _processes(None, PARALLEL_FROM) == 2
    monkeypatch.setattr(os, "getloadavg", lambda: (2.0, 1.0, 1.0))
    assert _processes(None, PARALLEL_FROM) == 1  # a second process would get no core of its own
    assert _processes(2, PARALLEL_FROM) == 2  # asked for: as asked
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    monkeypatch.setattr(os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    assert _processes(None, 10 * PARALLEL_FROM) == 1


def test_citations_are_found_outside_code_and_link_targets_with_or_without_code_blocks():
    from pipeline.checks.rules.citations import cited

    text = "A [@one] and x@y.org\n`@two` [l](https://a.org/@three) <https://b.org/@four>\n@{five}, -@six"
    assert list(cited(text)) == [(text.index("@one"), "one"), (text.index("@{five}"), "five"),
                                 (text.index("@six"), "six")]
    fenced = "```\n@seven\n```\n" + text
    assert list(cited(fenced)) == [(offset + len("```\n@seven\n```\n"), key) for offset, key in cited(text)]


def test_an_edition_is_resolved_as_path_resolve_resolves_it(tmp_path):
    from pipeline.checks.rules.translations import resolved

    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "fr.md").write_text("x", encoding="utf-8")
    (tmp_path / "real" / "nl.md").symlink_to(tmp_path / "real" / "fr.md")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    folders: dict = {}
    for path in (tmp_path / "link" / "fr.md", tmp_path / "link" / "nl.md", tmp_path / "real" / "nl.md",
                 tmp_path / "link" / "en.md", tmp_path / "real" / ".." / "link" / "fr.md"):
        assert resolved(path, folders) == path.resolve(), path
    assert len(folders) == 3  # each folder resolved once


def test_a_build_checking_each_folder_as_it_reads_it_reports_what_the_check_reports(tmp_path):
    from pipeline.publish import content_checks, plan

    project = _copies(tmp_path, 2)
    alone = check_project(project).as_json_text()
    planned = plan(project)
    assert planned.checked is not None and not planned.loaded.documents  # each folder's files let go once checked
    assert content_checks(project, planned).as_json_text() == alone
    assert planned.checked is None
    assert content_checks(project, plan(project)).as_json_text() == alone  # the second time from the cache
