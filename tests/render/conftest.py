"""The sample project built once per test session, for the tests that look at the whole site."""

from __future__ import annotations

from pathlib import Path

import pytest
from webtools import chromium, serve_folder

from pipeline.project import Project
from pipeline.publish import build
from pipeline.scaffold import init_project


@pytest.fixture(scope="session")
def sample_project(tmp_path_factory) -> Path:
    """`crebis init` + `crebis build` of the sample content: the site a new user first sees."""
    root = tmp_path_factory.mktemp("sample") / "centre"
    init_project(root)
    outcome = build(Project.open(root))
    assert outcome.ok, [f.message for f in outcome.report.failed]
    return root


@pytest.fixture(scope="session")
def sample_site(sample_project: Path) -> Path:
    return sample_project / "outputs" / "site"


@pytest.fixture(scope="session")
def site_pages(sample_site: Path) -> list[Path]:
    """Every HTML page of the sample site."""
    return sorted(sample_site.rglob("*.html"))


@pytest.fixture(scope="module")
def site(sample_site) -> str:
    """The sample project's web edition, served over HTTP on 127.0.0.1 (the browser tests')."""
    with serve_folder(sample_site) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with chromium() as instance:
        yield instance
