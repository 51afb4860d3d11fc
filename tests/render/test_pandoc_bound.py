"""A conversion that runs too long is stopped with a message, and the next one works."""

import pytest

import pipeline.render.pandoc as pandoc
from pipeline.errors import RenderError


def test_a_conversion_past_the_time_bound_is_stopped(tmp_path, monkeypatch):
    slow = tmp_path / "slow.lua"
    slow.write_text("local t = os.clock()\nwhile os.clock() - t < 30 do end\n", encoding="utf-8")
    monkeypatch.setattr(pandoc, "TIMEOUT", 1.0)
    with pytest.raises(RenderError, match=r"content/x.md: pandoc took longer than 1 s on this file"):
        pandoc.convert("Some *text*.", "html5", "content/x.md", filters=(slow,))
    assert pandoc.convert("Some *text*.", "html5", "content/x.md").strip() == b"<p>Some <em>text</em>.</p>"


def test_a_conversion_past_the_memory_bound_is_stopped(monkeypatch):
    # 2 MB of one paragraph: pandoc needs ~650 MB to write it as Typst, far past a 300 MB bound
    big = "# Title\n\n" + "word " * 400_000
    pandoc.close_workers()  # idle workers keep the bound they were started with
    monkeypatch.setattr(pandoc, "MEMORY_LIMIT_MB", 300)
    with pytest.raises(RenderError, match=r"content/x.md: pandoc needed more than 300 MB for this file"):
        pandoc.convert(big, "typst", "content/x.md")
    assert pandoc.convert("Some *text*.", "html5", "content/x.md").strip() == b"<p>Some <em>text</em>.</p>"
