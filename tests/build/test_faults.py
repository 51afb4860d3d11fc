"""The build under faults: stale caches, kills, lost or corrupt state, concurrent builds, Ctrl-C, full
and read-only disks, broken layouts, paths outside the project, symlinks. Real builds, real processes."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pypdf
import pytest
from click.testing import CliRunner
from PIL import Image
from projects import FIXTURES, REPO, edition_text, write_result

from pipeline.build import Target, run_build
from pipeline.cli import main
from pipeline.errors import ConfigError, CrebisError
from pipeline.project import Project
from pipeline.publish import build, plan
from pipeline.state import project_lock

PAGES = {f"site/{lang}/results/housing-first/index.html" for lang in ("fr", "nl", "en")}


def built(outcome) -> set[str]:
    return {o for t in outcome.report.built for o in t.outputs}


def crebis(*args: str, cwd: Path | None = None, **kwargs) -> subprocess.CompletedProcess:
    """The real `crebis` executable of this environment, in a fresh process."""
    return subprocess.run([sys.executable, "-c", "from pipeline.cli import run; run()", *args], cwd=cwd or REPO,
                          capture_output=True, text=True, **kwargs)


def test_a_result_blocked_by_a_missing_figure_builds_once_the_figure_is_added(project_dir):
    directory = write_result(project_dir)
    (directory / "chart.png").unlink()
    first = build(Project.open(project_dir), only={"site"})
    assert not first.ok and any("chart.png" in f.message for f in first.content_errors)
    shutil.copy(FIXTURES / "chart.png", directory / "chart.png")
    second = build(Project.open(project_dir), only={"site"})
    assert second.ok, [f.message for f in second.content_errors]
    assert PAGES <= built(second)


def test_a_file_edited_during_the_build_fails_its_own_targets_and_asks_for_another_build(project_dir):
    # the renders read an edition's text back from its file: bytes other than those loaded and checked are refused
    directory = write_result(project_dir)
    project = Project.open(project_dir)
    planned = plan(project)
    (directory / "fr.md").write_text(edition_text("fr", title='"Un autre titre"'), encoding="utf-8")
    first = build(project, only={"site", "brief"}, planned=planned)
    failed = {o for f in first.report.failed for o in f.target.outputs}
    assert "site/fr/results/housing-first/index.html" in failed
    assert all("fr.md: changed during the build: build again" in f.message for f in first.report.failed)
    assert not any("/nl/" in o or "/en/" in o or o.endswith(("-nl.pdf", "-en.pdf")) for o in failed)
    assert {"site/nl/results/housing-first/index.html", "site/en/results/housing-first/index.html"} <= built(first)
    second = build(Project.open(project_dir), only={"site"})
    assert second.ok and "site/fr/results/housing-first/index.html" in built(second)
    assert "Un autre titre" in (project_dir / "outputs/site/fr/results/housing-first/index.html").read_text()


def test_a_check_finding_fixed_by_a_glossary_change_is_not_kept(project_dir):
    # the cached findings depend on the glossary: removing the entry removes the finding
    (project_dir / "content/glossary").mkdir()
    glossary = project_dir / "content/glossary/en.yaml"
    glossary.write_text('phrases: "sentences"\n', encoding="utf-8")
    write_result(project_dir, langs=("en",))
    first = build(Project.open(project_dir), only={"site"})
    assert any(f.rule == "jargon" for f in first.warnings)
    glossary.write_text('paragraph: "text"\n', encoding="utf-8")
    second = build(Project.open(project_dir), only={"site"})
    assert not any(f.rule == "jargon" for f in second.warnings)


_KILL_BETWEEN_COPIES = """
import os, signal, sys
from pathlib import Path
import pipeline.build as engine
from pipeline.build import Target, run_build

root = Path(sys.argv[1])
source = root / "source.txt"
written = []
real = engine.write_atomic

def write_then_die(path, data):
    real(path, data)
    written.append(path)
    if sys.argv[2] == "kill" and len(written) == 1:
        os.kill(os.getpid(), signal.SIGKILL)  # killed between the original and its copy

stamp = sys.argv[3].encode()
engine.write_atomic = write_then_die
run_build([Target(output="briefs/a.docx", copies=("site/a.docx",), kind="brief", source=source,
                  inputs=(source,), render=lambda: stamp)],
          root / "outputs", root, {}, force=sys.argv[2] == "kill")
"""


def test_a_kill_between_an_output_and_its_copy_is_repaired_by_the_next_build(tmp_path):
    (tmp_path / "source.txt").write_text("x")

    def run(mode: str, stamp: str) -> int:
        return subprocess.run([sys.executable, "-c", _KILL_BETWEEN_COPIES, str(tmp_path), mode, stamp],
                              cwd=REPO).returncode

    assert run("normal", "first build") == 0
    # a forced build (same inputs, bytes that differ: a DOCX stamped with the time) killed in between
    assert run("kill", "second build") == -signal.SIGKILL
    outputs = tmp_path / "outputs"
    assert (outputs / "briefs/a.docx").read_bytes() != (outputs / "site/a.docx").read_bytes()
    assert run("normal", "third build") == 0
    assert (outputs / "briefs/a.docx").read_bytes() == (outputs / "site/a.docx").read_bytes() == b"third build"


def test_outputs_of_deleted_content_are_removed_after_the_state_was_lost(project_dir):
    write_result(project_dir)
    gone = write_result(project_dir, slug="second-study")
    assert build(Project.open(project_dir), only={"site"}).ok
    shutil.rmtree(project_dir / ".crebis")
    shutil.rmtree(gone)
    outcome = build(Project.open(project_dir))
    assert outcome.ok
    assert "site/fr/results/second-study/index.html" in outcome.report.removed
    assert not (project_dir / "outputs/site/fr/results/second-study").exists()
    assert not (project_dir / "outputs/site/media/second-study").exists()
    assert (project_dir / "outputs/site/fr/results/housing-first/index.html").exists()


def test_a_missing_citation_style_is_an_error_naming_the_key(project_dir):
    directory = write_result(project_dir, langs=("fr",))
    (directory / "fr.md").write_text(edition_text("fr") + "\nVoir [@doe2020].\n", encoding="utf-8")
    (project_dir / "content/references.bib").write_text(
        "@book{doe2020, author={Doe, Jane}, title={T}, year={2020}, publisher={P}}\n", encoding="utf-8")
    (project_dir / "layouts/csl/apa.csl").unlink()
    with pytest.raises(ConfigError, match=r"brief\.csl = 'layouts/csl/apa\.csl': file not found"):
        build(Project.open(project_dir))
    assert not (project_dir / "outputs/site/fr/results/housing-first/index.html").exists()


def test_a_second_build_waits_for_the_first_and_names_it(project_dir, tmp_path):
    write_result(project_dir, langs=("fr",))
    project = Project.open(project_dir)
    stderr = tmp_path / "stderr.txt"
    with project_lock(project.state_dir):
        with pytest.raises(CrebisError, match=f"another crebis build is running .*process {os.getpid()}"):
            build(project, only={"site"})
        with open(stderr, "w") as err:
            proc = subprocess.Popen([sys.executable, "-c", "from pipeline.cli import run; run()", "-C",
                                     str(project_dir), "build", "--only", "site"], cwd=REPO,
                                    stdout=subprocess.DEVNULL, stderr=err)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and proc.poll() is None and "waiting" not in stderr.read_text():
            time.sleep(0.1)
        assert proc.poll() is None, "the second build did not wait"
        assert not (project_dir / "outputs").exists()
    assert proc.wait(timeout=60) == 0, stderr.read_text()
    said = stderr.read_text()
    assert f"Another build is running in this project (process {os.getpid()}" in said
    assert "Traceback" not in said and "OperationalError" not in said
    assert (project_dir / "outputs/site/fr/results/housing-first/index.html").exists()


def test_ctrl_c_stops_the_build_at_once_keeps_what_was_written_and_exits_130(project_dir):
    for i in range(8):
        write_result(project_dir, slug=f"study-{i}")
    proc = subprocess.Popen([sys.executable, "-c", "from pipeline.cli import run; run()", "-C", str(project_dir),
                             "build", "-j", "1"], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    outputs = project_dir / "outputs"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None and len(list(outputs.rglob("*.html"))) < 2:
        time.sleep(0.05)
    assert proc.poll() is None, "the build ended before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=15)  # a whole build of 8 results takes far longer than this
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert "Interrupted" in err
    for page in outputs.rglob("index.html"):
        assert page.read_text(encoding="utf-8").rstrip().endswith("</html>")
    # what was written is recorded: the next build does not redo it
    written = {p.relative_to(outputs).as_posix() for p in outputs.rglob("*") if p.is_file()}
    again = build(Project.open(project_dir))
    assert again.ok
    assert written & {t.output for t in again.report.fresh}


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty", "directory"])
@pytest.mark.parametrize("name", ["build.sqlite", "checks.sqlite"])
def test_a_corrupt_cache_is_made_anew_and_said_once(project_dir, name, damage):
    write_result(project_dir, langs=("fr",))
    assert build(Project.open(project_dir), only={"site"}).ok
    path = project_dir / ".crebis" / name
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    if damage == "garbage":
        path.write_bytes(os.urandom(5000))
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[:1500])
    elif damage == "empty":
        path.write_bytes(b"")
    if damage == "directory":
        path.unlink()
        path.mkdir()
        result = CliRunner().invoke(main, ["-C", str(project_dir), "build", "--only", "site"])
        assert result.exit_code == 1 and "Internal error" not in result.output, result.output
        assert f".crebis/{name}: cannot write crebis's state" in result.output
        return
    result = CliRunner().invoke(main, ["-C", str(project_dir), "build", "--only", "site"])
    assert result.exit_code == 0, result.output
    if damage != "empty":
        assert result.output.count(f".crebis/{name} was not a readable cache") == 1, result.output
    again = CliRunner().invoke(main, ["-C", str(project_dir), "build", "--only", "site"])
    assert again.exit_code == 0 and "not a readable cache" not in again.output


def test_a_state_folder_that_is_a_file_is_one_clear_message(project_dir):
    write_result(project_dir, langs=("fr",))
    (project_dir / ".crebis").write_text("oops")
    result = CliRunner().invoke(main, ["-C", str(project_dir), "build"])
    assert result.exit_code == 1
    assert "Error: .crebis: is a file, not a folder" in result.output
    assert "Internal error" not in result.output


@contextlib.contextmanager
def small_disk(folder: Path, size: str):
    """A real tmpfs of `size` mounted on `folder` (needs root; skipped elsewhere)."""
    folder.mkdir(parents=True, exist_ok=True)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_a_full_disk_stops_the_build_with_one_message_and_keeps_the_outputs(project_dir):
    for i in range(3):
        write_result(project_dir, slug=f"study-{i}")
    with small_disk(project_dir / "outputs", "300k"):
        result = CliRunner().invoke(main, ["-C", str(project_dir), "build"])
        assert result.exit_code == 1, result.output
        assert result.output.count("no space left on the disk") == 1, result.output
        assert "outputs/" in result.output and "KB free" in result.output
        assert "Traceback" not in result.output and "unexpected" not in result.output
        for page in (project_dir / "outputs").rglob("index.html"):
            assert page.read_text(encoding="utf-8").rstrip().endswith("</html>")
        assert not list((project_dir / "outputs").rglob("*.crebis-tmp"))


def test_read_only_outputs_are_one_message(project_dir):
    write_result(project_dir, langs=("fr",))
    with small_disk(project_dir / "outputs", "5m") as outputs:
        subprocess.run(["mount", "-o", "remount,ro", str(outputs)], check=True)
        result = CliRunner().invoke(main, ["-C", str(project_dir), "build"])
        assert result.exit_code == 1, result.output
        assert result.output.count("cannot write there (Read-only file system)") == 1, result.output
        assert "Traceback" not in result.output


def test_a_missing_layout_is_reported_once_by_its_name(project_dir):
    write_result(project_dir)
    (project_dir / "layouts/site/result.html").unlink()
    result = CliRunner().invoke(main, ["-C", str(project_dir), "build", "--only", "site"])
    assert result.exit_code == 1
    assert result.output.count("layouts/site/result.html: layout not found") == 1, result.output
    assert "Traceback" not in result.output and "content/results" not in result.output.split("problem(s)")[1]


def test_a_layout_mistake_names_the_layout_and_line_once(project_dir):
    write_result(project_dir)
    template = project_dir / "layouts/site/result.html"
    lines = template.read_text(encoding="utf-8").split("\n")
    # inside a block: what a child template writes outside its blocks is never rendered
    line = next(n for n, text in enumerate(lines) if text.startswith("{% block main")) + 1
    lines.insert(line, "{{ edition.no_such_field }}")
    template.write_text("\n".join(lines), encoding="utf-8")
    result = CliRunner().invoke(main, ["-C", str(project_dir), "build", "--only", "site"])
    assert result.exit_code == 1
    assert result.output.count(f"layouts/site/result.html:{line + 1}: template error:") == 1, result.output
    assert "Traceback" not in result.output


def test_no_output_is_written_or_removed_outside_outputs(tmp_path):
    source = tmp_path / "source.txt"
    source.write_text("x")
    outside = tmp_path / "precious.txt"
    outside.write_text("keep me")
    target = Target(output="../precious.txt", kind="site", source=source, inputs=(source,), render=lambda: b"x")
    report = run_build([target], tmp_path / "outputs", tmp_path, {})
    assert [f.message for f in report.failed] == [f"{source}: refused to write '../precious.txt': outside outputs/"]
    assert outside.read_text() == "keep me"
    # a manifest that names a path outside outputs/ (however it got there) never makes the build delete it
    from pipeline.build import Manifest
    manifest = Manifest(tmp_path / "build.sqlite")
    manifest.db.execute("INSERT INTO outputs VALUES ('../precious.txt', 'x', 'site', NULL, 's', '[]', 1, 1)")
    manifest.close()
    report = run_build([], tmp_path / "outputs", tmp_path, {})
    assert outside.read_text() == "keep me" and report.removed == []


def test_inputs_from_outside_the_project_are_refused(project_dir, tmp_path):
    shared = tmp_path / "shared.png"
    shutil.copy(FIXTURES / "chart.png", shared)
    project = Project.open(project_dir)
    source = project_dir / "content/x.md"
    target = Target(output="site/x.png", kind="site", source=source, inputs=(project_dir / "content/../../shared.png",),
                    render=lambda: shared.read_bytes())
    report = run_build([target], project.outputs_dir, project.state_dir, {}, relative=project.relative,
                       allowed_input=project.contains)
    assert len(report.failed) == 1 and "is outside the project" in report.failed[0].message
    assert not (project.outputs_dir / "site/x.png").exists()


def test_a_file_from_outside_the_project_is_read_only_from_a_shared_folder(project_dir, tmp_path):
    # the logo shared by several projects, named by the config: refused until its folder is listed
    (tmp_path / "shared").mkdir()
    shutil.copy(project_dir / "layouts/assets/logo.svg", tmp_path / "shared/logo.svg")
    (project_dir / "layouts/assets/logo.svg").unlink()
    config = project_dir / "crebis.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("layouts/assets/logo.svg", "../shared/logo.svg"),
                      encoding="utf-8")
    write_result(project_dir, langs=("en",))
    refused = build(Project.open(project_dir), only={"site"})
    assert not refused.ok and all("is outside the project" in f.message and "build.shared_folders" in f.message
                                  for f in refused.report.failed)
    assert not (project_dir / "outputs/site/assets/logo.svg").exists()
    config.write_text(config.read_text(encoding="utf-8") + '\n[build]\nshared_folders = ["../shared"]\n',
                      encoding="utf-8")
    allowed = build(Project.open(project_dir), only={"site"})
    assert allowed.ok, [f.message for f in allowed.report.failed]
    logo = next(project_dir.glob("outputs/site/assets/logo*.svg"))
    assert logo.read_bytes() == (tmp_path / "shared/logo.svg").read_bytes()


def test_a_brief_reads_its_logo_from_a_shared_folder_and_nothing_else_outside(project_dir, tmp_path):
    write_result(project_dir, langs=("en",))
    inside = build(Project.open(project_dir), only={"brief"})
    assert inside.ok, [f.message for f in inside.report.failed]
    pdf = project_dir / "outputs/briefs/housing-first/housing-first-en.pdf"
    with_own_logo = pdf.read_bytes()
    # the same logo, now from a folder beside the project that the config lists
    (tmp_path / "shared").mkdir()
    (project_dir / "layouts/assets/logo.svg").rename(tmp_path / "shared/logo.svg")
    config = project_dir / "crebis.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("layouts/assets/logo.svg", "../shared/logo.svg")
                      + '\n[build]\nshared_folders = ["../shared"]\n', encoding="utf-8")
    shared = build(Project.open(project_dir), only={"brief"})
    assert shared.ok, [f.message for f in shared.report.failed]
    assert "briefs/housing-first/housing-first-en.pdf" in {t.output for t in shared.report.built}
    assert pdf.read_bytes() == with_own_logo  # typst read the shared file: the PDF shows the same logo
    # typst's root stays the project: the shared folder is reached through a link in .crebis/
    assert os.readlink(project_dir / ".crebis/shared/0") == str(tmp_path / "shared")


def test_a_figure_from_a_shared_folder_is_in_the_brief_the_docx_and_the_page(project_dir, tmp_path):
    directory = write_result(project_dir, langs=("en",))
    edition = directory / "en.md"
    edition.write_text(edition.read_text(encoding="utf-8").replace("chart.png", "../../../../shared/map.png"),
                       encoding="utf-8")
    (directory / "chart.png").unlink()
    (tmp_path / "shared").mkdir()
    shutil.copy(FIXTURES / "chart.png", tmp_path / "shared/map.png")
    # refused until the folder is listed, naming the key
    refused = build(Project.open(project_dir), only={"brief", "site"})
    assert not refused.ok
    message = next(f.message for f in refused.content_errors if f.file == "content/results/housing-first/en.md")
    assert "figure file '../../../../shared/map.png'" in message and "build.shared_folders" in message
    config = project_dir / "crebis.toml"
    config.write_text(config.read_text(encoding="utf-8") + '\n[build]\nshared_folders = ["../shared"]\n',
                      encoding="utf-8")
    outcome = build(Project.open(project_dir), only={"brief", "site"})
    assert outcome.ok, [f.message for f in outcome.report.failed] + [f.message for f in outcome.content_errors]
    # the PDF embeds the picture (typst read it through .crebis/shared/0), the DOCX too
    pdf = pypdf.PdfReader(project_dir / "outputs/briefs/housing-first/housing-first-en.pdf")
    assert sum(len(page.images) for page in pdf.pages) >= 1
    with zipfile.ZipFile(project_dir / "outputs/briefs/housing-first/housing-first-en.docx") as docx:
        assert any(name.startswith("word/media/") and docx.read(name) == (tmp_path / "shared/map.png").read_bytes()
                   for name in docx.namelist())
    # the site publishes it beside the result's pages, under shared/, never outside outputs/
    published = project_dir / "outputs/site/media/housing-first/shared/map.png"
    assert published.read_bytes() == (tmp_path / "shared/map.png").read_bytes()
    page = next((project_dir / "outputs/site/en").rglob("housing-first/index.html")).read_text(encoding="utf-8")
    assert 'src="../../../media/housing-first/shared/map.png"' in page
    # replacing the shared picture rebuilds what shows it
    with Image.open(FIXTURES / "chart.png") as image:
        image.convert("RGB").rotate(90, expand=True).save(tmp_path / "shared/map.png")
    again = build(Project.open(project_dir), only={"brief", "site"})
    assert {"briefs/housing-first/housing-first-en.pdf", "site/media/housing-first/shared/map.png"} <= {
        t.output for t in again.report.built}


def test_two_shared_figures_with_one_name_are_an_error_naming_both(project_dir, tmp_path):
    directory = write_result(project_dir, langs=("en",))
    edition = directory / "en.md"
    text = edition.read_text(encoding="utf-8")
    figure = text[text.index("  - file: chart.png"):text.index("\n---\n")]
    edition.write_text(text.replace(figure, figure.replace("chart.png", "../../../../a/map.png") + "\n"
                                    + figure.replace("chart.png", "../../../../b/map.png"))
                       .replace("![](chart.png)", "![](../../../../a/map.png)"), encoding="utf-8")
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        shutil.copy(FIXTURES / "chart.png", tmp_path / folder / "map.png")
    (directory / "chart.png").unlink()
    config = project_dir / "crebis.toml"
    config.write_text(config.read_text(encoding="utf-8") + '\n[build]\nshared_folders = ["../a", "../b"]\n',
                      encoding="utf-8")
    # both would be published as media/housing-first/shared/map.png, one over the other
    outcome = build(Project.open(project_dir), only={"site"})
    messages = [f"{f.file}: {f.message}" for f in outcome.content_errors]
    assert any(m.startswith("content/results/housing-first/en.md") and "'../../../../a/map.png' (en.md)" in m
               and "'../../../../b/map.png'" in m for m in messages), messages
    assert not (project_dir / "outputs/site/media/housing-first").exists()


def test_a_symlinked_result_folder_builds_like_any_folder(project_dir, tmp_path):
    elsewhere = write_result(tmp_path / "elsewhere", langs=("fr",))
    (project_dir / "content/results").mkdir(parents=True)
    (project_dir / "content/results/housing-first").symlink_to(elsewhere)
    outcome = build(Project.open(project_dir), only={"brief", "site"})
    assert outcome.ok, [f.message for f in outcome.report.failed]
    assert (project_dir / "outputs/briefs/housing-first/housing-first-fr.pdf").stat().st_size > 1000
    assert build(Project.open(project_dir), only={"brief", "site"}).report.built == []


def test_crebis_finds_its_project_from_a_subfolder_and_accepts_a_bom(project_dir):
    config = project_dir / "crebis.toml"
    config.write_bytes("\ufeff".encode() + config.read_bytes())
    directory = write_result(project_dir, langs=("fr",))
    proc = crebis("build", "--only", "site", "--dry-run", cwd=directory)
    assert proc.returncode == 0, proc.stderr
    assert "would build site/fr/results/housing-first/index.html  (new)" in proc.stdout


def test_output_piped_into_head_just_stops():
    for _ in range(3):
        proc = subprocess.run(f"'{sys.executable}' -c 'from pipeline.cli import run; run()' config --keys | head -1",
                              shell=True, cwd=REPO, capture_output=True, text=True)
        assert proc.returncode == 0
        assert proc.stderr == "", proc.stderr
        assert proc.stdout.count("\n") == 1


def test_verbose_names_each_output_and_dry_run_names_the_changed_input(project_dir):
    directory = write_result(project_dir, langs=("fr",))
    first = CliRunner().invoke(main, ["-C", str(project_dir), "build", "--only", "site", "-v"])
    assert first.exit_code == 0, first.output
    assert "wrote site/fr/results/housing-first/index.html" in first.output
    (directory / "fr.md").write_text(edition_text("fr") + "\nPlus.\n", encoding="utf-8")
    dry = CliRunner().invoke(main, ["-C", str(project_dir), "build", "--only", "site", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert ("would build site/fr/results/housing-first/index.html  (content/results/housing-first/fr.md)"
            in dry.output)
    assert "1 to build" in dry.output
    assert "Plus." not in (project_dir / "outputs/site/fr/results/housing-first/index.html").read_text()
    (directory / "fr.md").unlink()
    (directory / "chart.png").unlink()
    directory.rmdir()
    removed = CliRunner().invoke(main, ["-C", str(project_dir), "build", "--only", "site", "-v"])
    assert "removed site/fr/results/housing-first/index.html" in removed.output


@pytest.mark.parametrize("damage", ["random bytes", "truncated"])
def test_a_corrupt_image_is_refused_when_loading_naming_the_file(project_dir, damage):
    directory = write_result(project_dir, langs=("fr",))
    chart = directory / "chart.png"
    whole = chart.read_bytes()
    chart.write_bytes(os.urandom(3000) if damage == "random bytes" else whole[: len(whole) // 2])
    outcome = build(Project.open(project_dir))
    messages = [f"{f.file}: {f.message}" for f in outcome.content_errors]
    assert any("content/results/housing-first/fr.md" in m and "'chart.png' is not a valid PNG image" in m
               for m in messages), messages
    outputs = project_dir / "outputs"
    assert not (outputs / "site/media/housing-first/chart.png").exists()
    assert not (outputs / "briefs/housing-first/housing-first-fr.docx").exists()
    # once the image is whole again, the result builds
    shutil.copy(FIXTURES / "chart.png", chart)
    assert build(Project.open(project_dir), only={"site"}).ok


def test_a_typst_layout_mistake_names_the_layout_and_line_once(project_dir):
    write_result(project_dir)
    brief = project_dir / "layouts/brief/brief.typ"
    brief.write_text("#let broken(x) = {\n  x +\n}\n" + brief.read_text(encoding="utf-8"), encoding="utf-8")
    result = CliRunner().invoke(main, ["-C", str(project_dir), "build", "--only", "brief"])
    assert result.exit_code == 1
    assert result.output.count("layouts/brief/brief.typ:2: typst error: expected expression") == 1, result.output
    # named from the project, not from the folder crebis runs in (typst said ../../../tmp/…/layouts/brief/brief.typ)
    assert " layouts/brief/brief.typ:2: typst error" in result.output, result.output
    assert "content/results" not in result.output.split("problem(s)")[1]
