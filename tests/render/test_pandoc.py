"""The pandoc worker pool: bounded by concurrency, not by the threads a process ever started."""

import os
import threading
from pathlib import Path

from pipeline.render import pandoc


def _pandoc_children() -> int:
    count = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == os.getpid() and b"pandoc-worker.lua" in cmdline:
            count += 1
    return count


def test_builds_with_new_threads_reuse_the_idle_workers():
    pandoc.close_workers()

    def convert():
        assert pandoc.convert("*hi*", "html").strip() == b"<p><em>hi</em></p>"

    for _ in range(6):  # six "builds", each with two fresh threads, as ThreadPoolExecutor gives
        threads = [threading.Thread(target=convert) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert _pandoc_children() <= 2
    pandoc.close_workers()
    assert _pandoc_children() == 0


def test_a_worker_is_replaced_after_its_request_budget(monkeypatch):
    pandoc.close_workers()
    monkeypatch.setattr(pandoc, "MAX_REQUESTS_PER_WORKER", 2)
    for _ in range(5):
        pandoc.convert("x", "plain")
    assert _pandoc_children() <= 1
    pandoc.close_workers()
