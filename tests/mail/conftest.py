"""Fixtures of the mail tests: a project with a secret, and the store on SQLite and on a real PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from postgres import empty_postgres, postgres_database, postgres_url  # noqa: F401 (postgres_database: a fixture)

from pipeline.config import parse_config
from pipeline.mail.sql import Database
from pipeline.mail.store import SubscriberStore

SECRET = "test-secret-not-for-production-0123456789"


@pytest.fixture(autouse=True)
def secret(monkeypatch):
    monkeypatch.setenv("CREBIS_SECRET", SECRET)
    return SECRET


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path: Path) -> str:
    """A fresh subscribers database: a SQLite file, or a real PostgreSQL emptied for the test."""
    if request.param == "sqlite":
        return str(tmp_path / "subscribers.sqlite")
    url = postgres_url()
    empty_postgres(url).close()
    return url


@pytest.fixture
def store(database_url: str) -> SubscriberStore:
    s = SubscriberStore(Database(database_url), parse_config({}))
    yield s
    s.close()


ISSUE = "2026-04"  # the sample project's newsletter issue


@pytest.fixture(scope="session")
def built_sample(tmp_path_factory) -> Path:
    """The sample project with its newsletter built once (outputs/newsletters/2026-04/<lang>.*)."""
    from pipeline.project import Project
    from pipeline.publish import build
    from pipeline.scaffold import init_project
    root = tmp_path_factory.mktemp("sample") / "centre"
    init_project(root)
    outcome = build(Project.open(root), only={"newsletter"})
    assert outcome.ok, [f.message for f in outcome.report.failed]
    return root


@pytest.fixture
def smtp_server(tmp_path):
    from smtp_server import SmtpServer
    server = SmtpServer(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def send_project(built_sample, tmp_path, smtp_server, monkeypatch):
    """A copy of the built sample, its [smtp] pointed at the test server, the SMTP password in the environment."""
    import shutil

    from smtp_server import PASSWORD
    root = tmp_path / "centre"
    shutil.copytree(built_sample, root, ignore=shutil.ignore_patterns(".crebis"))
    config = root / "crebis.toml"
    config.write_text(config.read_text(encoding="utf-8") + "\n" + smtp_server.toml(), encoding="utf-8")
    monkeypatch.setenv("CREBIS_SMTP_PASSWORD", PASSWORD)
    return root
