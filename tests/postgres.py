"""The real PostgreSQL of the subscriber-store tests (CREBIS_TEST_POSTGRESQL; .ci/run starts one): its URL, and a
fixture that empties it for one test. Without one, the tests that need it skip and say why.

Each test run works in its own schema (the URL's search_path), dropped at its end: runs that share one
server, as on a developer's machine, would otherwise drop and create each other's tables mid-test.
"""

from __future__ import annotations

import atexit
import os
import re
from urllib.parse import quote

import pytest

from pipeline.mail.sql import SCHEMA, Database

POSTGRES_ENV = "CREBIS_TEST_POSTGRESQL"


def postgres_url() -> str:
    url = os.environ.get(POSTGRES_ENV, "")
    if not url:
        pytest.skip(f"no PostgreSQL server: set {POSTGRES_ENV} to a postgresql:// URL (.ci/run starts one from "
                    "Debian's postgresql package with .ci/postgres.sh)")
    if not url.startswith(("postgresql://", "postgres://")):
        pytest.fail(f"{POSTGRES_ENV} must be a postgresql:// URL, not {url!r}")
    return _own_schema(url)


_schemas: dict[str, str] = {}


def _own_schema(url: str) -> str:
    if url not in _schemas:
        schema = f"crebis_test_{os.getpid()}"
        db = Database(url)
        db.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        db.execute(f"CREATE SCHEMA {schema}")
        db.close()
        atexit.register(_drop, url, schema)
        joiner = "&" if "?" in url else "?"
        _schemas[url] = f"{url}{joiner}options={quote(f'-c search_path={schema}')}"
    return _schemas[url]


def _drop(url: str, schema: str) -> None:
    db = Database(url)
    db.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    db.close()


def empty_postgres(url: str) -> Database:
    db = Database(url)
    tables = [m.group(1) for m in (re.match(r"CREATE TABLE IF NOT EXISTS (\w+)", sql) for sql in SCHEMA) if m]
    db.execute(f"DROP TABLE IF EXISTS {', '.join(tables)} CASCADE")
    return db


@pytest.fixture
def postgres_database() -> str:
    """The URL of the real PostgreSQL, emptied for the test."""
    url = postgres_url()
    empty_postgres(url).close()
    return url
