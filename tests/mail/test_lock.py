"""The send lock, on SQLite (an flock beside the file) and on a real PostgreSQL (a session advisory lock):
one holder at a time, and released when the holding process dies, even by SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from pipeline.errors import MailError
from pipeline.mail.editions import newsletter_campaign
from pipeline.mail.send import send_campaign
from pipeline.mail.sql import Database
from pipeline.mail.store import SubscriberStore
from pipeline.project import Project

ISSUE = "2026-04"

HOLDER = r"""
import sys, time
from pipeline.mail.sql import Database
db = Database(sys.argv[1])
with db.lock(sys.argv[2]) as got:
    print("held" if got else "refused", flush=True)
    time.sleep(600)
"""


def hold(url: str, name: str) -> subprocess.Popen:
    """Another process holding the lock `name` until it is killed."""
    process = subprocess.Popen([sys.executable, "-c", HOLDER, url, name], stdout=subprocess.PIPE, text=True,
                               env=os.environ.copy())
    assert process.stdout.readline().strip() == "held"
    return process


def take(url: str, name: str) -> bool:
    db = Database(url)
    try:
        with db.lock(name) as got:
            return got
    finally:
        db.close()


def test_the_lock_has_one_holder_and_dies_with_it(database_url):
    holder = hold(database_url, "send:newsletter/2026-04")
    try:
        assert not take(database_url, "send:newsletter/2026-04")
        assert take(database_url, "send:newsletter/2026-05")  # another campaign's lock is another lock
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    deadline = time.monotonic() + 20  # PostgreSQL ends the session once it sees the connection closed
    while not take(database_url, "send:newsletter/2026-04"):
        assert time.monotonic() < deadline, "the lock outlived its holder"
        time.sleep(0.05)


def test_two_sends_of_one_issue_cannot_run_at_once_on_postgresql(send_project, smtp_server, postgres_database):
    url = postgres_database
    config = send_project / "crebis.toml"
    config.write_text(config.read_text(encoding="utf-8") + f'\n[subscribers]\ndatabase = "{url}"\n',
                      encoding="utf-8")
    project = Project.open(send_project)
    store = SubscriberStore.open(project)
    for address in ("reader000@example.org", "reader001@example.org"):
        store.add(address, language="fr", lists=["newsletter"])
    store.close()

    def send():
        return send_campaign(project, newsletter_campaign(project, ISSUE))

    holder = hold(url, f"send:newsletter/{ISSUE}")  # as another `crebis newsletter send` of this issue would
    try:
        with pytest.raises(MailError, match=r"another send of newsletter/2026-04 is running"):
            send()
        assert smtp_server.handler.messages == []
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    deadline = time.monotonic() + 20
    while True:
        try:
            report = send()
            break
        except MailError as exc:
            assert "another send" in str(exc) and time.monotonic() < deadline, exc
            time.sleep(0.05)
    assert report.counts["sent"] == 2
    assert smtp_server.handler.received() == {"reader000@example.org": 1, "reader001@example.org": 1}
