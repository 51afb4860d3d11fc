"""Summaries keep structure and links; nothing active survives."""

from __future__ import annotations

import pytest

from pipeline.watch.sanitize import flat_text, html_to_text, nesting_depth, sanitize_html, text_to_html


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


@pytest.mark.parametrize(
    "html",
    ['<q cite="javascript:alert(1)">q</q>', '<q cite=" JAVASCRIPT:alert(1)">q</q>', '<q cite="java\tscript:x">q</q>',
     '<a href="java\nscript:alert(1)">a</a>', '<q cite="vbscript:x">q</q>', '<q cite="data:text/html,x">q</q>'],
)  # fmt: skip
def test_every_url_attribute_is_scheme_checked(html):
    cleaned = sanitize_html(html, "https://site.example/feed").lower()
    assert "script" not in cleaned and "data:" not in cleaned and "cite=" not in cleaned and "href=" not in cleaned


def test_deep_nesting_is_measured_in_one_pass():
    assert nesting_depth("<p>a<p>b<br><li>c<ul><li><b>d</b></ul>") == 2
    assert nesting_depth("<div>" * 500 + "x") == 500
    assert nesting_depth("<" * 100_000) == 0
    assert flat_text("<div><script>alert(1)</script>Hello &amp; <b>bye</div>") == "Hello & bye"
    assert flat_text("<script>" * 10 + "never closed") == ""
