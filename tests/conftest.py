"""Shared fixtures: a real crebis project in a temp folder, with the repository's layouts."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from projects import CONFIG, REPO

GOLDEN = Path(__file__).resolve().parent / "golden"


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    """An empty project: config, the real layouts and theme list, no results yet."""
    root = tmp_path / "project"
    root.mkdir()
    (root / "crebis.toml").write_text(CONFIG, encoding="utf-8")
    shutil.copytree(REPO / "layouts", root / "layouts")
    (root / "content").mkdir()
    shutil.copy(REPO / "content" / "themes.yaml", root / "content" / "themes.yaml")
    return root


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="Rewrite golden files from current output.")


@pytest.fixture
def golden(request: pytest.FixtureRequest):
    """Compare text with `tests/golden/<name>`; `pytest --update-golden` rewrites it for review in the diff."""

    def check(name: str, actual: str) -> None:
        path = GOLDEN / name
        if request.config.getoption("--update-golden"):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(actual, encoding="utf-8")
            return
        assert path.exists(), f"no golden file {path}: run pytest --update-golden and review it"
        assert actual == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"

    return check
