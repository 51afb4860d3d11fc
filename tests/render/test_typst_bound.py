"""A PDF that takes too long or too much memory is stopped with a message naming its file; the next works,
and in a build the other targets go on."""

from pathlib import Path

import pytest
from projects import write_result

import pipeline.render.typst_worker as worker
from pipeline.errors import RenderError
from pipeline.project import Project
from pipeline.publish import build
from pipeline.render.typst import compile_typst, rasterize_svg

TITLE = '#set document(title: "T")\n'
SMALL = TITLE + "= Hello\n\nWorld.\n"
# 600 KB of text: typst needs well over 250 MB for it, and seconds
BIG = TITLE + "= Long\n\n" + ("word " * 200 + "\n\n") * 600
# 3 MB of text: many seconds of typst on any machine (BIG took under 0.5 s once on a quiet one), stopped at 0.5 s
SLOW = TITLE + "= Long\n\n" + ("word " * 200 + "\n\n") * 3000


@pytest.fixture
def bound(monkeypatch):
    def set_bound(**limits):
        worker.close_workers()  # idle workers keep the bound they were started with
        for name, value in limits.items():
            monkeypatch.setattr(worker, name, value)
    yield set_bound
    worker.close_workers()


def test_a_pdf_past_the_memory_bound_is_stopped_and_the_next_one_works(bound, tmp_path):
    bound(MEMORY_LIMIT=250 * 1024**2)
    with pytest.raises(RenderError, match=r"^content/big.md: typst needed more than 250 MB and was stopped"):
        compile_typst(BIG, tmp_path, "content/big.md")
    assert compile_typst(SMALL, tmp_path).startswith(b"%PDF-")


def test_a_pdf_past_the_time_bound_is_stopped_and_the_next_one_works(bound, tmp_path):
    bound(TIME_LIMIT=0.5)
    with pytest.raises(RenderError, match=r"^content/big.md: typst took longer than 0.5 s and was stopped"):
        compile_typst(SLOW, tmp_path, "content/big.md")
    bound(TIME_LIMIT=120.0)
    assert compile_typst(SMALL, tmp_path).startswith(b"%PDF-")


def test_typst_errors_still_name_their_place(tmp_path):
    with pytest.raises(RenderError, match="expected expression"):
        compile_typst(TITLE + "#let x = ", tmp_path, "content/x.md")


def _failures(project_dir: Path, kind: str) -> dict[str, str]:
    """Build one kind of output; the message of each target that failed, by output."""
    outcome = build(Project.open(project_dir), only={kind})
    return {f.target.output: f.message for f in outcome.report.failed}


def test_in_a_build_the_oversized_brief_fails_and_the_others_are_written(bound, project_dir: Path):
    write_result(project_dir, langs=("en",))
    big = write_result(project_dir, slug="very-long", langs=("en",)) / "en.md"
    big.write_text(big.read_text(encoding="utf-8") + "\n" + ("Some words here. " * 12 + "\n\n") * 2500,
                   encoding="utf-8")
    bound(MEMORY_LIMIT=300 * 1024**2)
    failed = _failures(project_dir, "brief")
    assert set(failed) == {"briefs/very-long/very-long-en.pdf"}, failed
    assert failed["briefs/very-long/very-long-en.pdf"].startswith("content/results/very-long/en.md: typst needed")
    assert (project_dir / "outputs/briefs/housing-first/housing-first-en.pdf").read_bytes().startswith(b"%PDF-")


def test_an_svg_too_large_to_draw_is_stopped_and_the_next_is_drawn(bound):
    # a 40 m high drawing at 200 ppi: a bitmap of gigabytes, which typst in crebis's own process would allocate
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'
    bound(MEMORY_LIMIT=250 * 1024**2)
    with pytest.raises(RenderError, match=r"typst needed more than 250 MB and was stopped .* drawing an SVG"):
        rasterize_svg(svg, height_mm=40_000, width_mm=40_000)
    assert rasterize_svg(svg, height_mm=10).startswith(b"\x89PNG")


def test_in_a_build_the_oversized_social_card_fails_and_the_others_are_drawn(bound, project_dir: Path):
    write_result(project_dir, langs=("en",))
    big = write_result(project_dir, slug="very-long", langs=("en",)) / "en.md"
    text = big.read_text(encoding="utf-8")
    title = next(line for line in text.splitlines() if line.startswith("title:"))
    big.write_text(text.replace(title, f'title: "{"A very long title " * 40_000}"'), encoding="utf-8")
    bound(MEMORY_LIMIT=250 * 1024**2)
    failed = _failures(project_dir, "social")
    assert set(failed) == {"social/very-long/en.png"}, failed
    assert failed["social/very-long/en.png"].startswith("content/results/very-long/en.md: typst needed more than")
    assert (project_dir / "outputs/social/housing-first/en.png").read_bytes().startswith(b"\x89PNG")
    assert (project_dir / "outputs/site/assets/card.png").read_bytes().startswith(b"\x89PNG")
