"""Fixtures of the mail tests: a project with a secret, and the store on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipeline.config import parse_config
from pipeline.mail.sql import Database
from pipeline.mail.store import SubscriberStore

POSTGRES_ENV = "CREBIS_TEST_POSTGRESQL"
SECRET = "test-secret-not-for-production-0123456789"


@pytest.fixture(autouse=True)
def secret(monkeypatch):
    monkeypatch.setenv("CREBIS_SECRET", SECRET)
    return SECRET


def postgres_url() -> str:
    url = os.environ.get(POSTGRES_ENV, "")
    if not url:
        pytest.skip(f"no PostgreSQL server: set {POSTGRES_ENV} to a postgresql:// URL (.ci/run starts one from "
                    "Debian's postgresql package with .ci/postgres.sh)")
    return url


def empty_postgres(url: str) -> Database:
    db = Database(url)
    db.execute("DROP TABLE IF EXISTS memberships, send_log, suppressions, subscribers, meta CASCADE")
    return db


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
