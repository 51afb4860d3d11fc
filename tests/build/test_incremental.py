"""For each kind of input file: an incremental build after changing it gives the same outputs as a clean build.

A fingerprint that misses an input leaves stale outputs behind; this compares every output's bytes
(a DOCX by its parts, leaving aside `docProps/`, where pandoc stamps the build time, and the project's
folder, which the DOCX writer records as each picture's description: both are the DOCX work's to remove)
with a build from scratch in another folder, which also shows that fingerprints do not depend on where
the project is.
"""

from __future__ import annotations

import io
import re
import shutil
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from projects import CONFIG, FIXTURES, REPO, chart_figures, edition_text, write_chart

from pipeline.project import Project
from pipeline.publish import build

LANGS = ("fr", "nl")
_MACHINE_PATH = re.compile(rb'/[^"<>]*?/(content|layouts)/')
BIB = "@book{doe2020, author={Doe, Jane}, title={A study}, year={2020}, publisher={Example Press}}\n"


def _write_project(root: Path) -> None:
    root.mkdir(parents=True)
    (root / "crebis.toml").write_text(CONFIG.replace('["fr", "nl", "en"]', '["fr", "nl"]'), encoding="utf-8")
    shutil.copytree(REPO / "layouts", root / "layouts")
    (root / "content").mkdir()
    shutil.copy(REPO / "content/themes.yaml", root / "content/themes.yaml")
    (root / "content/references.bib").write_text(BIB, encoding="utf-8")
    directory = root / "content/results/housing-first"
    directory.mkdir(parents=True)
    shutil.copy(FIXTURES / "chart.png", directory / "chart.png")
    shutil.copy(FIXTURES / "chart.png", directory / "street.png")
    write_chart(directory)
    for lang in LANGS:
        # a cited source, an image in the body that is not declared under figures, a chart from data
        body = "\nAs shown by [@doe2020].\n\n![A street in Brussels at night, lit by shop windows](street.png)\n"
        (directory / f"{lang}.md").write_text(edition_text(lang, figures=chart_figures(lang)) + body,
                                              encoding="utf-8")


def _png(rgb: tuple[int, int, int], width: int = 40, height: int = 30) -> bytes:
    """A valid one-colour PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\0" + bytes(rgb) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def _replace(path: str, old: str, new: str) -> Callable[[Path], None]:
    def change(root: Path) -> None:
        text = (root / path).read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {path}"
        (root / path).write_text(text.replace(old, new), encoding="utf-8")
    return change


def _write_bytes(path: str, data: bytes) -> Callable[[Path], None]:
    def change(root: Path) -> None:
        (root / path).write_bytes(data)
    return change


CHANGES: dict[str, Callable[[Path], None]] = {
    "content file": _replace("content/results/housing-first/nl.md", "Housing First in Brussel", "Eerst wonen"),
    "label (a sibling's language name)": _replace("layouts/i18n/nl.yaml", "language_name: Nederlands",
                                                  "language_name: Vlaams"),
    "site layout": _replace("layouts/site/base.html", "</body>", "<!-- v2 --></body>"),
    "brief layout": _replace("layouts/brief/brief.typ", "#let", "// v2\n#let"),
    "summary layout": _replace("layouts/summary/summary.txt", "\n", "\n\n", ),
    "configuration": _replace("crebis.toml", 'name = "Centre de test"', 'name = "Centre d\'essai"'),
    "theme list": lambda root: _relabel_housing(root),
    "bibliography": _replace("content/references.bib", "A study", "Another study"),
    "declared figure": _write_bytes("content/results/housing-first/chart.png", _png((200, 30, 30))),
    "image in a body only": _write_bytes("content/results/housing-first/street.png", _png((30, 30, 200))),
    "citation style": _replace("layouts/csl/apa.csl", "<title>", "<title>Edited "),
    "chart data (CSV)": _replace("content/results/housing-first/take-up.csv", "ris,2024,0.41", "ris,2024,0.45"),
    "chart spec": _replace("content/results/housing-first/take-up.vl.yaml", "width: 420", "width: 380"),
    "chart labels table": _replace("content/results/housing-first/take-up.labels.csv", ",Leefloon,", ",Het leefloon,"),
    "brand colour (charts)": lambda root: (root / "crebis.toml").write_text(
        (root / "crebis.toml").read_text(encoding="utf-8") + '\n[brand]\naccent = "#7a1f5c"\n', encoding="utf-8"),
}


def _outputs(root: Path) -> dict[str, bytes]:
    found = {}
    for path in sorted((root / "outputs").rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        if path.suffix == ".docx":
            with zipfile.ZipFile(io.BytesIO(data)) as docx:
                data = b"".join(name.encode() + _MACHINE_PATH.sub(rb"<project>/\1/", docx.read(name))
                                for name in sorted(docx.namelist()) if not name.startswith("docProps/"))
        found[path.relative_to(root / "outputs").as_posix()] = data
    return found


@pytest.fixture(scope="module")
def built_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("incremental") / "project"
    _write_project(root)
    outcome = build(Project.open(root))
    assert outcome.ok, [str(f) for f in outcome.content_errors] + [f.message for f in outcome.report.failed]
    return root


@pytest.mark.parametrize("kind", list(CHANGES))
def test_an_incremental_build_equals_a_clean_one(kind: str, built_project: Path, tmp_path: Path):
    incremental = tmp_path / "incremental"
    shutil.copytree(built_project, incremental, symlinks=True)
    CHANGES[kind](incremental)
    outcome = build(Project.open(incremental))
    assert outcome.ok
    clean = tmp_path / "clean"
    shutil.copytree(incremental, clean, ignore=shutil.ignore_patterns("outputs", ".crebis"))
    assert build(Project.open(clean)).ok
    expected, actual = _outputs(clean), _outputs(incremental)
    assert sorted(actual) == sorted(expected)
    stale = sorted(name for name in expected if actual[name] != expected[name])
    assert not stale, f"changing the {kind} left stale outputs: {stale}"
    assert built_outputs(outcome), f"changing the {kind} rebuilt nothing"


def built_outputs(outcome) -> set[str]:
    return {o for t in outcome.report.built for o in t.outputs}


def _relabel_housing(root: Path) -> None:
    """Rename the French label of the theme the fixture result has."""
    path = root / "content/themes.yaml"
    themes = yaml.safe_load(path.read_text(encoding="utf-8"))
    themes["housing"]["label"]["fr"] += " (révisé)"
    path.write_text(yaml.safe_dump(themes, allow_unicode=True), encoding="utf-8")


def test_a_moved_project_is_up_to_date(built_project: Path, tmp_path: Path):
    moved = tmp_path / "elsewhere" / "project"
    shutil.copytree(built_project, moved, symlinks=True)
    outcome = build(Project.open(moved))
    assert outcome.ok and built_outputs(outcome) == set()
    assert outcome.report.removed == []
