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
