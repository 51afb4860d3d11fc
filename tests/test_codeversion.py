"""crebis's code version: outputs, charts and cached findings are keyed on the code, not the version alone."""

from __future__ import annotations

import shutil
from pathlib import Path

import pipeline
from pipeline import __version__, build
from pipeline.codeversion import code_version, package_digest


def _package(tmp_path: Path) -> Path:
    root = tmp_path / "pipeline"
    (root / "render" / "filters").mkdir(parents=True)
    (root / "__init__.py").write_text('__version__ = "0.1.0"\n', encoding="utf-8")
    (root / "render" / "filters" / "typography.lua").write_text("return {}\n", encoding="utf-8")
    return root


def test_any_change_to_a_file_of_the_package_changes_the_digest(tmp_path):
    root = _package(tmp_path)
    first = package_digest(root)
    assert package_digest(root) == first  # the same files, the same digest
    (root / "render" / "filters" / "typography.lua").write_text("return { {} }\n", encoding="utf-8")
    edited = package_digest(root)
    (root / "render" / "filters" / "typography.lua").rename(root / "render" / "filters" / "other.lua")
    renamed = package_digest(root)
    (root / "render" / "new.py").write_text("", encoding="utf-8")
    added = package_digest(root)
    assert len({first, edited, renamed, added}) == 4


def test_compiled_caches_are_not_code(tmp_path):
    root = _package(tmp_path)
    first = package_digest(root)
    (root / "__pycache__").mkdir()
    (root / "__pycache__" / "__init__.cpython-311.pyc").write_bytes(b"\x00compiled")
    assert package_digest(root) == first


def test_the_code_version_is_the_version_and_this_package_s_digest(tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(Path(pipeline.__file__).parent, copy, ignore=shutil.ignore_patterns("__pycache__"))
    assert code_version() == f"{__version__}+{package_digest(copy)}"


def test_a_target_s_fingerprint_names_the_code(monkeypatch):
    target = build.Target(output="site/index.html", kind="site", source=Path("content/a.md"), render=lambda: b"")
    before = build.fingerprint(target, {"content/a.md": "0" * 32})
    monkeypatch.setattr(build, "code_version", lambda: f"{__version__}+another")
    assert build.fingerprint(target, {"content/a.md": "0" * 32}) != before
