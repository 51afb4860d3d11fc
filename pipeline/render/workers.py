"""Long-lived helper processes (the pandoc and typst workers) and the pool that shares them.

A worker answers each request written to its stdin with a line `STATUS n` and n bytes on its
stdout. The pool keeps idle workers for every thread and every build of this process: a worker
is taken for one request and given back, so the number of processes is the peak number of
concurrent requests (the build's jobs), not one per thread ever started (tests and the preview
server run many builds, each with a new thread pool).
"""

from __future__ import annotations

import atexit
import subprocess
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar


class Worker:
    """One child process answering requests; `limit` is the bound it was started with."""

    def __init__(self, command: list[str], limit: object, **popen: Any) -> None:
        self.limit = limit
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, **popen)
        self.requests = 0

    def exchange(self, request: bytes) -> tuple[str, bytes]:
        """Send one request; its answer's status and bytes. `BrokenPipeError` if the worker stopped."""
        assert self.proc.stdin and self.proc.stdout
        self.requests += 1
        self.proc.stdin.write(request)
        self.proc.stdin.flush()
        header = self.proc.stdout.readline().decode("ascii").split()
        if len(header) != 2:
            raise BrokenPipeError("the worker stopped")
        return header[0], self.proc.stdout.read(int(header[1]))

    def retire(self) -> None:
        """Stop a worker that is done with: killed, not asked to exit, as it holds nothing to save (a pandoc
        process winding down its runtime was seen at ~80 MB more for a moment, beside its successor starting)."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                pipe.close()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()  # type: ignore[union-attr]
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


W = TypeVar("W", bound=Worker)


class Pool(Generic[W]):
    """Idle workers made by `start`; one started under another bound than `limit()` now is not reused,
    and one that has answered `max_requests()` requests retires (a worker's heap grows with its work)."""

    def __init__(self, start: Callable[[], W], limit: Callable[[], object], max_requests: Callable[[], int]) -> None:
        self.start, self.limit, self.max_requests = start, limit, max_requests
        self._idle: list[W] = []
        self._lock = threading.Lock()
        atexit.register(self.close)

    def take(self) -> W:
        with self._lock:
            while self._idle:
                worker = self._idle.pop()
                if worker.proc.poll() is None and worker.limit == self.limit():
                    return worker
                worker.close()
        return self.start()

    def give_back(self, worker: W) -> None:
        if worker.requests >= self.max_requests() or worker.proc.poll() is not None:
            worker.retire()
            return
        with self._lock:
            self._idle.append(worker)

    def close(self) -> None:
        """Stop every idle worker (they also stop by themselves when crebis exits)."""
        with self._lock:
            workers = list(self._idle)
            self._idle.clear()
        for worker in workers:
            worker.retire()
