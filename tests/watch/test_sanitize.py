"""Summaries keep structure and links; nothing active survives."""

from __future__ import annotations

import pytest

from pipeline.watch.sanitize import html_to_text, sanitize_html, text_to_html


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        "<p onclick=\"alert(1)\">x</p>",
        "<a href=\"javascript:alert(1)\">x</a>",
        "<a href=\" jAvAsCrIpT:alert(1)\">x</a>",
        "<a href=\"data:text/html;base64,PHNjcmlwdD4=\">x</a>",
        "<iframe src=\"https://evil.example/\"></iframe>",
        "<style>body{display:none}</style>",
        "<img src=x onerror=alert(1)>",
        "<svg><script>alert(1)</script></svg>",
        "<object data=\"x.swf\"></object><embed src=\"x.swf\">",
        "<form action=\"https://evil.example/\"><input name=a></form>",
        "<p style=\"background:url(javascript:alert(1))\">x</p>",
        "<!-- <script>alert(1)</script> -->",
    ],
)
def test_nothing_active_survives(hostile):
    cleaned = sanitize_html(f"<p>before</p>{hostile}<p>after</p>").lower()
    for bad in ("<script", "alert", "javascript", "onclick", "onerror", "<iframe", "<style", "<img",
                "<object", "<embed", "<form", "style=", "data:"):  # fmt: skip
        assert bad not in cleaned, (hostile, cleaned)
    assert "before" in cleaned and "after" in cleaned


def test_structure_and_safe_links_are_kept_and_relative_links_resolved():
    html = '<p>A <strong>b</strong> <em>c</em></p><ul><li><a href="../r.pdf" title="t">r</a></li></ul>'
    assert sanitize_html(html, "https://site.example/feed/x") == (
        '<p>A <strong>b</strong> <em>c</em></p><ul><li><a href="https://site.example/r.pdf" title="t"'
        ' rel="noopener noreferrer nofollow">r</a></li></ul>'
    )


def test_text_of_html_and_html_of_text():
    assert html_to_text("Caf&eacute; <b>x</b> <script>bad()</script>&amp; co\n  end") == "Café x & co end"
    assert text_to_html("a < b & c") == "<p>a &lt; b &amp; c</p>"
    assert text_to_html("   ") == ""
