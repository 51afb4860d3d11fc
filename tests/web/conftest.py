"""The subscription service served by uvicorn on 127.0.0.1, with a real SMTP server for its confirmation mails."""

from __future__ import annotations

import shutil
import threading
import time

import pytest
import uvicorn
from projects import CONFIG, REPO
from smtp_server import PASSWORD, SmtpServer, free_port

from pipeline.project import Project
from pipeline.web.subscriptions import create_app

SECRET = "test-secret-not-for-production-0123456789"


class Served:
    def __init__(self, app, port: int):
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = f"http://127.0.0.1:{port}/"

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def service(tmp_path, monkeypatch):
    """(base URL, project, SMTP server): the service of a fresh project, its mails going to aiosmtpd."""
    monkeypatch.setenv("CREBIS_SECRET", SECRET)
    monkeypatch.setenv("CREBIS_SMTP_PASSWORD", PASSWORD)
    smtp = SmtpServer(tmp_path).start()
    root = tmp_path / "project"
    root.mkdir()
    shutil.copytree(REPO / "layouts", root / "layouts")
    (root / "crebis.toml").write_text(CONFIG + "\n" + smtp.toml(), encoding="utf-8")
    project = Project.open(root)
    with Served(create_app(project), free_port()) as served:
        yield served.url, project, smtp
    smtp.stop()
