"""The worker pool across a fork (`crebis check` forks a second process): a forked process starts its own
workers, its parent's stay its parent's. The child never talks over its parent's pipes because a worker it
did not start looks stopped to it (waiting for another process's child fails), so the pool leaves it."""

from __future__ import annotations

import multiprocessing
import sys

from pipeline.render.workers import Pool, Worker

# A worker that waits for its input to end, as pandoc's and typst's do between requests.
WAITING = [sys.executable, "-c", "import sys; sys.stdin.buffer.read()"]


def _pid_of_a_worker(pool: Pool, sending) -> None:
    sending.send(pool.take().proc.pid)


def test_a_forked_process_does_not_take_its_parents_idle_worker():
    pool = Pool(lambda: Worker(WAITING, None), lambda: None, lambda: 100)
    try:
        mine = pool.take()
        pool.give_back(mine)
        context = multiprocessing.get_context("fork")
        receiving, sending = context.Pipe(duplex=False)
        child = context.Process(target=_pid_of_a_worker, args=(pool, sending))
        child.start()
        theirs = receiving.recv()
        child.join()
        assert theirs != mine.proc.pid
        assert pool.take() is mine and mine.proc.poll() is None  # still the parent's, still running
        pool.give_back(mine)
    finally:
        pool.close()
