"""The sender SIGKILLed at random points of a 500-recipient send, then resumed: each reader gets the issue
exactly once, except the few listed as uncertain (at most once)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pytest

from pipeline.mail.sendlog import SendLog
from pipeline.mail.store import SubscriberStore
from pipeline.project import Project

ISSUE = "2026-04"
RECIPIENTS = 500


def start_send(root, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pipeline", "-C", str(root), "newsletter", "send", ISSUE, *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=os.environ.copy())


@pytest.mark.slow
def test_sigkill_at_random_points_then_resume_delivers_exactly_once(send_project, smtp_server):
    project = Project.open(send_project)
    store = SubscriberStore.open(project)
    store.db.executemany(
        "INSERT INTO subscribers (address, name, language, status, created_at, updated_at, consent_method) "
        "VALUES (?, '', ?, 'active', '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00', 'by hand')",
        [(f"r{i:03}@example.org", ("fr", "nl", "en")[i % 3]) for i in range(RECIPIENTS)])
    store.db.executemany("INSERT INTO memberships (address, list) VALUES (?, 'newsletter')",
                         [(f"r{i:03}@example.org",) for i in range(RECIPIENTS)])
    seed = random.randrange(1_000_000)
    rng = random.Random(seed)
    handler = smtp_server.handler
    kills = 0
    for attempt in range(4):
        process = start_send(send_project, *(["--resume"] if attempt else []))
        target = min(len(handler.messages) + rng.randint(10, 120), RECIPIENTS - 20)
        deadline = time.monotonic() + 120
        while len(handler.messages) < target and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(rng.random() * 0.05)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait()
    final = start_send(send_project, "--resume")
    output = final.communicate(timeout=300)[0].decode()
    assert final.returncode == 0, f"seed {seed}: {output}"
    assert kills >= 3, f"seed {seed}: the sends finished before they could be killed"

    log = SendLog(store.db, f"newsletter/{ISSUE}")
    counts = log.counts()
    uncertain = {r["address"] for r in log.rows("uncertain")}
    sent = {r["address"] for r in log.rows("sent")}
    received = handler.received()
    assert counts["sent"] + counts["uncertain"] == RECIPIENTS, f"seed {seed}: {counts}"
    twice = [a for a, n in received.items() if n > 1]
    assert twice == [], f"seed {seed}: sent twice: {twice}"
    assert all(received[a] == 1 for a in sent), f"seed {seed}"
    assert len(uncertain) <= kills * project.config.smtp.connections, f"seed {seed}: {uncertain}"
    for address in uncertain:
        assert address in output  # listed for the user
    store.close()
