"""Chart PNGs rasterised in a worker process: the bytes vl-convert gives here, and no PNG lost to a worker."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
import vl_convert

from pipeline.config import Brand
from pipeline.render import charts, raster_worker
from pipeline.render.workers import Worker

FIXTURES = Path(__file__).parent.parent / "fixtures" / "charts"
LABELS = {"title": "Non-take-up by benefit", "x": "Share of eligible households", "year": "Year",
          "benefit.ris": "Integration income", "benefit.bim": "Increased reimbursement", "benefit.ts": "Social tariff"}


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("chart")
    for name in ("take-up.csv", "take-up.vl.yaml"):
        shutil.copy(FIXTURES / name, folder / name)
    source = charts.ChartSource(folder / "take-up.csv", folder / "take-up.vl.yaml")
    return charts.render_all(charts.chart(source, "en", LABELS, "en.md"), Brand())["print"].decode("utf-8")


def _live_workers() -> list[raster_worker._Worker]:
    return [w for pool in raster_worker._pools.values() for w in pool._idle if w.proc.poll() is None]


def test_a_worker_gives_the_bytes_vl_convert_gives_here(printed):
    fonts = charts._fonts()
    # as the texts are sent (outlined) and as written (left to resvg, which then needs the worker's fonts)
    for svg in (charts.outlines.outline_texts(printed, fonts, "Source Sans Pro"), printed):
        assert raster_worker.rasterise(svg, 2, fonts).result() == vl_convert.svg_to_png(svg, scale=2)
    assert _live_workers(), "the worker is kept for the next PNG"


def test_concurrent_pngs_each_get_their_own_answer(printed):
    fonts = charts._fonts()
    sizes = (1, 2, 0.5)
    pending = [raster_worker.rasterise(printed, scale, fonts) for scale in sizes]  # three workers at once
    assert [p.result() for p in reversed(pending)] == [vl_convert.svg_to_png(printed, scale=s) for s in reversed(sizes)]


def test_a_worker_that_stops_mid_request_loses_no_png(printed):
    fonts = charts._fonts()
    pending = raster_worker.rasterise(printed, 2, fonts)
    pending._worker.proc.kill()  # as the system's out-of-memory killer would
    pending._worker.proc.wait()
    assert pending.result() == vl_convert.svg_to_png(printed, scale=2)  # drawn in this process instead
    assert raster_worker.rasterise(printed, 1, fonts).result() == vl_convert.svg_to_png(printed, scale=1)


def test_an_svg_resvg_refuses_is_an_error_and_the_worker_goes_on(printed):
    fonts = charts._fonts()
    with pytest.raises(ValueError) as here:
        raster_worker._rasterise("<svg", 1)  # what this process says of it, the first line of resvg's message
    with pytest.raises(ValueError) as there:
        raster_worker.rasterise("<svg", 1, fonts).result()
    assert str(there.value) == str(here.value) and "\n" not in str(here.value) and str(here.value)
    assert raster_worker.rasterise(printed, 1, fonts).result() == vl_convert.svg_to_png(printed, scale=1)


def test_close_workers_stops_the_idle_ones(printed):
    raster_worker.rasterise(printed, 1, charts._fonts()).result()
    workers = _live_workers()
    assert workers
    raster_worker.close_workers()
    assert all(w.proc.poll() is not None for w in workers) and not _live_workers()


def test_an_answer_cut_short_is_not_taken_for_a_png(printed, tmp_path, monkeypatch):
    # a worker stopped while writing its answer (the out-of-memory killer): the PNG is drawn here, not kept cut
    script = "import sys; sys.stdin.buffer.readline(); sys.stdout.buffer.write(b'OK 100000\\n' + b'x' * 10)"
    monkeypatch.setattr(raster_worker, "_Worker", lambda fonts: Worker([sys.executable, "-c", script], fonts))
    assert raster_worker.rasterise(printed, 2, tmp_path).result() == vl_convert.svg_to_png(printed, scale=2)


def test_a_worker_does_not_import_from_the_folder_crebis_runs_in(printed, tmp_path, monkeypatch):
    marker = tmp_path / "imported"
    (tmp_path / "vl_convert.py").write_text(f"open({str(marker)!r}, 'w').close()\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    fonts = tmp_path / "fonts"  # a pool of its own, so a worker is started here
    shutil.copytree(charts._fonts(), fonts)
    assert raster_worker.rasterise(printed, 1, fonts).result() == vl_convert.svg_to_png(printed, scale=1)
    raster_worker._pools[fonts].close()
    assert not marker.exists()
