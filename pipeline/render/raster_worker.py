"""Chart PNGs rasterised in a child process, while the build's process draws with Vega.

vl-convert runs every call of a process one at a time (its converter sits behind one lock), and
a chart's PNG (resvg's raster of its print SVG, ~13 ms) then waited for, and held up, the Vega
drawings around it. A worker process with vl-convert's resvg alone (no JavaScript engine, ~25 MB)
rasterises instead: `render_all` sends the wide drawing's SVG and draws the narrow one meanwhile,
and the build's other threads keep drawing. The worker has the same fonts registered as the
parent, so a text left as text (one `outlines` could not draw) is drawn the same: the PNG's bytes
are those vl-convert gives in the parent, which the tests check.

Run as `python -m pipeline.render.raster_worker FONTS`, it is the child: a request is a line
`SCALE LENGTH` and the SVG's LENGTH bytes; an answer is `OK n` or `ERROR n` and n bytes (the PNG,
or resvg's message).
"""

from __future__ import annotations

import sys
from pathlib import Path

from pipeline.render.workers import Pool, Worker

MAX_REQUESTS_PER_WORKER = 2000  # resvg's heap goes with each drawing; a worker is restarted now and then anyway


class _Worker(Worker):
    def __init__(self, fonts: Path) -> None:
        # -P: not the current folder first on its import path (a project's `vl_convert.py` must not run)
        super().__init__([sys.executable, "-P", "-m", "pipeline.render.raster_worker", str(fonts)], fonts)


class Pending:
    """A PNG being rasterised: `result()` waits for it."""

    def __init__(self, svg: str, scale: float, fonts: Path) -> None:
        self._svg, self._scale, self._fonts = svg, scale, fonts
        self._worker: _Worker | None = None
        data = svg.encode("utf-8")
        try:
            worker = _pool(fonts).take()
            assert worker.proc.stdin
            worker.requests += 1
            worker.proc.stdin.write(b"%r %d\n" % (float(scale), len(data)) + data)
            worker.proc.stdin.flush()
            self._worker = worker
        except OSError:  # the worker could not start or stopped: rasterised here instead, at `result()`
            pass

    def result(self) -> bytes:
        """The PNG's bytes; `ValueError` with resvg's message if it could not draw the SVG."""
        worker, self._worker = self._worker, None
        if worker is not None:
            answer = _answer(worker)
            if answer is not None:
                _pool(self._fonts).give_back(worker)
                status, out = answer
                if status == "OK":
                    return out
                raise ValueError(out.decode("utf-8", "replace"))
            worker.retire()  # it stopped (killed, out of memory), before or while answering: drawn here
        return _rasterise(self._svg, self._scale)


def _answer(worker: _Worker) -> tuple[str, bytes] | None:
    """A worker's whole answer, status and bytes; None if it stopped before giving all of it (a PNG cut short
    would be kept in the chart store for good)."""
    assert worker.proc.stdout
    try:
        header = worker.proc.stdout.readline().decode("ascii").split()
        if len(header) == 2 and header[0] in ("OK", "ERROR") and header[1].isdigit():
            out = worker.proc.stdout.read(int(header[1]))
            if len(out) == int(header[1]):
                return header[0], out
    except (OSError, UnicodeDecodeError):
        pass
    return None


def rasterise(svg: str, scale: float, fonts: Path) -> Pending:
    """Start rasterising `svg` at `scale` times its size in a worker whose vl-convert has the fonts of
    `fonts` registered; the PNG is `.result()`."""
    return Pending(svg, scale, fonts)


_pools: dict[Path, Pool[_Worker]] = {}


def _pool(fonts: Path) -> Pool[_Worker]:
    pool = _pools.get(fonts)
    if pool is None:
        pool = _pools.setdefault(fonts, Pool(lambda: _Worker(fonts), lambda: fonts,
                                             lambda: MAX_REQUESTS_PER_WORKER))
    return pool


def close_workers() -> None:
    """Stop every idle raster worker."""
    for pool in list(_pools.values()):
        pool.close()


def _rasterise(svg: str, scale: float) -> bytes:
    import vl_convert

    try:
        return vl_convert.svg_to_png(svg, scale=scale)
    except (RuntimeError, ValueError) as exc:  # resvg's parse error is a RuntimeError with a Rust backtrace
        raise ValueError(str(exc).splitlines()[0]) from None


def _serve(fonts: str) -> None:
    """The child's loop: one PNG per request, until stdin closes."""
    import vl_convert

    vl_convert.register_font_directory(fonts)
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while line := stdin.readline():
        scale, length = line.split()
        svg = stdin.read(int(length)).decode("utf-8")
        try:
            out, status = _rasterise(svg, float(scale)), b"OK"
        except ValueError as exc:
            out, status = str(exc).encode("utf-8"), b"ERROR"
        stdout.write(status + b" %d\n" % len(out) + out)
        stdout.flush()


if __name__ == "__main__":
    _serve(sys.argv[1])
