"""The subscription service served by uvicorn on 127.0.0.1, with a real SMTP server for its confirmation mails."""

from __future__ import annotations

import shutil
from html.parser import HTMLParser

import pytest
from postgres import postgres_database  # noqa: F401 (a fixture)
from projects import CONFIG, REPO, write_result
from served import Served
from smtp_server import PASSWORD, SmtpServer, free_port

from pipeline.project import Project
from pipeline.publish import build
from pipeline.web.subscriptions import create_app

SECRET = "test-secret-not-for-production-0123456789"


def _project(root, smtp, extra: str = "") -> Project:
    root.mkdir()
    shutil.copytree(REPO / "layouts", root / "layouts")
    service = '\n[mail]\nservice_url = "https://crebis.example.org/subscriptions/"\n'
    (root / "crebis.toml").write_text(CONFIG + service + "\n" + smtp.toml() + extra, encoding="utf-8")
    return Project.open(root)


@pytest.fixture
def service(tmp_path, monkeypatch):
    """(base URL, project, SMTP server): the service of a fresh project, its mails going to aiosmtpd."""
    monkeypatch.setenv("CREBIS_SECRET", SECRET)
    monkeypatch.setenv("CREBIS_SMTP_PASSWORD", PASSWORD)
    smtp = SmtpServer(tmp_path).start()
    project = _project(tmp_path / "project", smtp)
    with Served(create_app(project), free_port()) as served:
        yield served.url, project, smtp
    smtp.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def two_services(request, tmp_path, monkeypatch):
    """((URL, URL), project, SMTP server): two instances of the service over one subscribers database, as two
    uvicorn workers are; the database a SQLite file or a real PostgreSQL (CREBIS_TEST_POSTGRESQL)."""
    monkeypatch.setenv("CREBIS_SECRET", SECRET)
    monkeypatch.setenv("CREBIS_SMTP_PASSWORD", PASSWORD)
    extra = ""
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_database")
        extra = f'\n[subscribers]\ndatabase = "{url}"\n'
    smtp = SmtpServer(tmp_path).start()
    project = _project(tmp_path / "project", smtp, extra)
    with Served(create_app(project), free_port()) as one, Served(create_app(project), free_port()) as two:
        yield (one.url, two.url), project, smtp
    smtp.stop()


def _site_form(project, lang: str) -> dict[str, str]:
    """The fields of the sign-up form on the built home page in `lang` (layouts/site/base.html), as a browser
    would post them."""
    (project.root / "content").mkdir(exist_ok=True)
    shutil.copy(REPO / "content/themes.yaml", project.root / "content/themes.yaml")
    write_result(project.root)
    assert build(Project.open(project.root), only={"site"}).ok

    class Form(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.fields: dict[str, str] = {}

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "input" and a.get("name"):
                self.fields[a["name"]] = a.get("value") or ""

    parser = Form()
    parser.feed((project.root / f"outputs/site/{lang}/index.html").read_text(encoding="utf-8"))
    return parser.fields



@pytest.fixture
def site_form():
    """`site_form(project, lang)`: builds the project's site and returns its sign-up form's fields."""
    return _site_form
