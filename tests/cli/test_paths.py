"""Every message names files relative to the project, whichever folder of it crebis runs from.

The real `crebis` executable runs from a result's folder over a project with one broken file of
each kind; no absolute path of the project may reach the user.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from projects import FIXTURES, write_result

BIB = "@book{doe2020, author={Doe, Jane}, title={Housing}, year={2020}, publisher={Presses}}\n"
PAGE = "---\ntitle: \"À propos\"\ndescription: \"Le centre.\"\n---\n\nTexte.\n"
OPML = ('<?xml version="1.0"?>\n<opml version="2.0"><head><title>x</title></head><body>\n'
        '<outline type="rss" text="A" xmlUrl="https://feeds.example.org/a.xml"/>\n</body></opml>\n')


def _append(text: str):
    def mutate(path: Path) -> None:
        with path.open("a", encoding="utf-8") as f:
            f.write(text)
    return mutate


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:60])


def _remove(path: Path) -> None:
    path.unlink()


# (what breaks, the file, how, the commands run, the project-relative name the message must give)
CASES = [
    ("themes", "content/themes.yaml", _append("broken: [\n"), [["build"], ["check"]], "content/themes.yaml"),
    ("labels", "layouts/i18n/fr.yaml", _append("broken: [\n"), [["build"]], "layouts/i18n/fr.yaml"),
    ("site layout", "layouts/site/result.html", _append("{% if %}\n"), [["build", "--only", "site"]],
     "layouts/site/result.html"),
    ("brief layout", "layouts/brief/brief.typ", _append("#let x = (\n"), [["build", "--only", "brief"]],
     "layouts/brief/brief.typ"),
    ("config key", "crebis.toml", _append("bogus = 1\n"), [["build"], ["config"]], "crebis.toml"),
    ("config syntax", "crebis.toml", _append("bogus = [\n"), [["build"]], "crebis.toml"),
    ("config file", "layouts/assets/logo.svg", _remove, [["build"]], "layouts/assets/logo.svg"),
    ("bibliography", "content/references.bib", _append("@book{broken, title={\n"),
     [["build", "--only", "brief"], ["check"]], "content/references.bib"),
    ("figure", "content/results/housing-first/chart.png", _truncate, [["build", "--only", "site"], ["check"]],
     "content/results/housing-first/fr.md"),
    ("page", "content/pages/about/fr.md", lambda p: p.write_text("---\ntitle: [\n---\n", encoding="utf-8"),
     [["build", "--only", "site"]], "content/pages/about/fr.md"),
    ("watched feeds", "content/watch/feeds.opml", _append("<broken"), [["watch", "list"]],
     "content/watch/feeds.opml"),
]


@pytest.mark.parametrize(("what", "file", "mutate", "commands", "named"), CASES, ids=[c[0] for c in CASES])
def test_messages_name_files_relative_to_the_project(project_dir, what, file, mutate, commands, named):
    result = write_result(project_dir)
    (project_dir / "content/references.bib").write_text(BIB, encoding="utf-8")
    for lang in ("fr", "nl", "en"):
        text = (result / f"{lang}.md").read_text(encoding="utf-8")
        (result / f"{lang}.md").write_text(text + "\nSee [@doe2020].\n", encoding="utf-8")
    (project_dir / "content/pages/about").mkdir(parents=True)
    for lang in ("fr", "nl", "en"):
        (project_dir / f"content/pages/about/{lang}.md").write_text(PAGE, encoding="utf-8")
    (project_dir / "content/watch").mkdir()
    (project_dir / "content/watch/feeds.opml").write_text(OPML, encoding="utf-8")
    assert (FIXTURES / "chart.png").exists()
    mutate(project_dir / file)
    absolute = {str(project_dir), str(project_dir.resolve()), str(project_dir.parent)}
    for command in commands:
        run = subprocess.run([sys.executable, "-m", "pipeline", *command], cwd=result, capture_output=True,
                             text=True, timeout=300, env={"PATH": shutil.os.environ["PATH"], "HOME": str(project_dir),
                                                          "NO_COLOR": "1"})
        shown = run.stdout + run.stderr
        assert run.returncode != 0, (command, shown)
        assert "Traceback" not in shown and "Internal error" not in shown, (command, shown)
        assert named in shown, (command, shown)
        leaked = [line for line in shown.splitlines() if any(a in line for a in absolute)]
        assert not leaked, (what, command, leaked)
