"""Plain-language summaries: one per result and language, as a web page, a tagged PDF and plain text.

outputs/summaries/<slug>-<lang>.html   self-contained page (no external CSS)
outputs/summaries/<slug>-<lang>.pdf    PDF/UA-1 through typst, 15 pt type
outputs/summaries/<slug>-<lang>.txt    short lines, for email and screen readers

They follow the European easy-to-read guidelines (Inclusion Europe, "Information
for all", 2009): large type, left-aligned short lines, one sentence per line, key
findings as a plain list, no hyphenation, high contrast. The summary's text is the
front matter's `summary` (one sentence a line) and `key_findings`.
"""

from __future__ import annotations

import html
import re
import textwrap
from collections.abc import Callable
from typing import Any

from markupsafe import Markup

from pipeline.build import Target
from pipeline.checks.text import make_segment, sentences
from pipeline.content.model import Edition, Result
from pipeline.render.context import RenderContext
from pipeline.render.figures import (
    TYPST_FIGURES_FILTER,
    chart_files,
    chart_inputs,
    chart_markdown,
    details_table,
    print_table,
    summary_chart,
    text_table,
    web_chart,
)
from pipeline.render.locale import format_date, locale_of
from pipeline.render.pandoc import convert
from pipeline.render.site import page_url
from pipeline.render.typography import typeset
from pipeline.render.typst import compile_typst

KIND = "summary"
WIDTH = 60
"""Characters per line of the plain-text summary."""

# Inline Markdown that summaries use: strong, emphasis, links; citations are dropped.
_INLINE = re.compile(
    r"\*\*(?P<strong>.+?)\*\*|__(?P<strong2>.+?)__|(?<![\w*])\*(?P<em>[^*]+?)\*(?!\w)|(?<!\w)_(?P<em2>[^_]+?)_(?!\w)"
    r"|\[(?P<link>[^\]]+)\]\((?P<url>[^)\s]+)\)|\s?\[-?@[^\]]*\]"
)
# Characters with a meaning in Typst markup; a backslash makes each literal.
_TYPST_SPECIAL = re.compile(r"([\\#$*_`<>@\[\]~/=+\-])")


def typst_escape(text: str) -> str:
    """Plain text as Typst markup that shows exactly that text."""
    return _TYPST_SPECIAL.sub(r"\\\1", text)


def typst_string(text: str) -> str:
    """Plain text as a Typst string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def inline(text: str, plain: Callable[[str], str], strong: Callable[[str], str], em: Callable[[str], str],
           link: Callable[[str, str], str], lang: str | None = None) -> str:
    """Render the inline Markdown of `text` with one function per kind of piece (in the typography of `lang`)."""
    if lang is not None:
        plain = (lambda escape: lambda piece: escape(typeset(piece, lang)))(plain)
    out, position = [], 0
    for match in _INLINE.finditer(text):
        out.append(plain(text[position:match.start()]))
        if match.group("strong") or match.group("strong2"):
            out.append(strong(plain(match.group("strong") or match.group("strong2"))))
        elif match.group("em") or match.group("em2"):
            out.append(em(plain(match.group("em") or match.group("em2"))))
        elif match.group("link"):
            out.append(link(plain(match.group("link")), match.group("url")))
        position = match.end()
    out.append(plain(text[position:]))
    return "".join(out)


def to_html(text: str, lang: str | None = None) -> Markup:
    return Markup(inline(text, html.escape, lambda s: f"<strong>{s}</strong>", lambda s: f"<em>{s}</em>",
                         lambda s, url: f'<a href="{html.escape(url)}">{s}</a>', lang))


def to_typst(text: str, lang: str | None = None) -> str:
    return inline(text, typst_escape, lambda s: f"#strong[{s}]", lambda s: f"#emph[{s}]",
                  lambda s, url: f"#link({typst_string(url)})[{s}]", lang)


def to_plain(text: str, lang: str | None = None) -> str:
    return inline(text, str, str, str, lambda s, url: f"{s} ({url})", lang)


def summary_sentences(edition: Edition) -> list[str]:
    """The summary cut into sentences, one idea per line."""
    segment = make_segment(edition.summary, 0, "summary")
    return [s.text for s in sentences(segment, edition.lang)] or [edition.summary]


def _values(ctx: RenderContext, result: Result, edition: Edition) -> dict[str, Any]:
    return {
        "config": ctx.project.config, "lang": edition.lang, "labels": ctx.labels[edition.lang],
        "illustrative": edition.illustrative, "url": page_url(ctx, edition.lang, result.slug),
        "date": format_date(edition.date, edition.lang),
    }


def _chart(ctx: RenderContext, edition: Edition, to: str, src: Callable[[dict], str] | None = None,
           **options: Any) -> str:
    """The summary's chart (`summary_chart`) and its data table, placed as the brief and the web page place
    theirs, written by pandoc as `to`; empty if the edition has no chart from data. The image is the drawing
    `src` picks from the chart's files, unless `chart_html` (among `options`) writes the figure itself."""
    figure = summary_chart(edition)
    if figure is None:
        return ""
    labels = ctx.labels[edition.lang]
    path = src(chart_files(ctx, edition, figure)) if src is not None else None
    markdown = chart_markdown(edition, figure, path, labels["source"] + labels["colon"], **options)
    return convert(markdown, to, ctx.project.relative(edition.path), wrap="none", filters=(TYPST_FIGURES_FILTER,)
                   if to == "typst" else (), metadata={"lang": locale_of(edition.lang).replace("_", "-"),
                                                      "figure-width": "100%"}).decode("utf-8").strip()


def render_html(ctx: RenderContext, result: Result, edition: Edition) -> bytes:
    label = ctx.labels[edition.lang].get("chart_data", "Chart data")
    # the drawings in the page itself, as on the site: the summary is one file, published in two places
    chart = _chart(ctx, edition, "html5", table=details_table(label),
                   chart_html=web_chart(ctx, edition))
    return ctx.env.get_template("summary/summary.html").render(
        **_values(ctx, result, edition), title=to_html(edition.title, edition.lang),
        sentences=[to_html(s, edition.lang) for s in summary_sentences(edition)],
        findings=[to_html(f, edition.lang) for f in edition.key_findings], chart=Markup(chart),
    ).encode("utf-8")


def _wrap(text: str, first: str = "", rest: str = "") -> str:
    return textwrap.fill(text, WIDTH, initial_indent=first, subsequent_indent=rest, break_on_hyphens=False,
                         break_long_words=False)


def chart_text(ctx: RenderContext, edition: Edition, width: int) -> list[str]:
    """The summary's chart for a plain-text reader, in lines of at most `width` characters: its caption, its
    alt text, its data as a text table and its source (empty without a chart from data)."""
    figure = summary_chart(edition)
    if figure is None:
        return []
    labels = ctx.labels[edition.lang]
    lang = edition.lang

    def para(text: str) -> list[str]:
        return textwrap.wrap(typeset(text, lang), width, break_on_hyphens=False, break_long_words=False)

    lines = [*para(figure.caption), "", *para(figure.alt), "", *para(labels.get("chart_data", "Chart data")), "",
             *text_table(edition, figure, width)]
    if figure.source:
        lines += ["", *para(f"{labels['source']}{labels['colon']} {figure.source}")]
    return lines


def render_text(ctx: RenderContext, result: Result, edition: Edition) -> bytes:
    text = ctx.env.get_template("summary/summary.txt").render(
        chart="\n".join(chart_text(ctx, edition, WIDTH)),
        **_values(ctx, result, edition), title=to_plain(edition.title, edition.lang),
        sentences=[_wrap(to_plain(s, edition.lang)) for s in summary_sentences(edition)],
        findings=[_wrap(to_plain(f, edition.lang), rest="  ") for f in edition.key_findings],
        notice=_wrap(ctx.labels[edition.lang]["illustrative_notice"]),
        signature=_wrap(f"{ctx.project.config.organisation.name_in(edition.lang)}, "
                        f"{format_date(edition.date, edition.lang)}"),
    )
    return (text.strip() + "\n").encode("utf-8")


def typst_source(ctx: RenderContext, result: Result, edition: Edition) -> str:
    """The Typst document of one summary."""
    config, labels = ctx.project.config, ctx.labels[edition.lang]
    values = _values(ctx, result, edition)
    return ctx.env.get_template("summary/summary.typ").render(
        title_str=typst_string(to_plain(edition.title)), title=to_typst(edition.title, edition.lang),
        authors=", ".join(typst_string(a.name) for a in edition.authors) + ",",
        year=edition.date.year, month=edition.date.month, day=edition.date.day,
        lang_str=typst_string(edition.lang), region_str=typst_string("GB" if edition.lang == "en" else "BE"),
        text_colour=typst_string(config.brand.text), primary_colour=typst_string(config.brand.primary),
        org_short=typst_escape(config.organisation.short_name),
        org_name=typst_escape(config.organisation.name_in(edition.lang)),
        kicker=typst_escape(labels["summary_kicker"]), summary_heading=typst_escape(labels["summary"]),
        findings_heading=typst_escape(labels["summary_findings"]), more_heading=typst_escape(labels["summary_more"]),
        more_text=typst_escape(labels["summary_more_text"]), questions=typst_escape(labels["summary_questions"]),
        sentences=[to_typst(s, edition.lang) for s in summary_sentences(edition)],
        findings=[to_typst(f, edition.lang) for f in edition.key_findings],
        # the narrow drawing across the column: its text as large as the summary's (12 px drawn, ~14 pt printed)
        chart=_chart(ctx, edition, "typst", lambda files: "/" + ctx.project.relative(files["narrow_print"]),
                     table=print_table(labels.get("chart_data", "Chart data"))),
        notice=typst_escape(labels["illustrative_notice"]) if edition.illustrative else "",
        url=typst_escape(values["url"]), url_str=typst_string(values["url"]),
        contact=typst_escape(config.organisation.contact),
        mailto_str=typst_string(f"mailto:{config.organisation.contact}"),
        date=typst_escape(values["date"].replace(" ", "\u00a0")),  # "20 novembre 2026" on one line
    )


def render_pdf(ctx: RenderContext, result: Result, edition: Edition) -> bytes:
    return compile_typst(typst_source(ctx, result, edition), ctx.project.root, ctx.project.relative(edition.path),
                         date=edition.date, content=edition.document())


_RENDERERS = {"html": render_html, "pdf": render_pdf, "txt": render_text}


def site_copy(slug: str, lang: str, extension: str) -> str:
    """Where the summary is also published, beside the result's web page (which links it)."""
    return f"{lang}/results/{slug}/{slug}-{lang}-summary.{extension}"


def summary_targets(ctx: RenderContext, drafts: bool) -> list[Target]:
    """The summary of every result edition, in HTML, PDF and plain text."""
    layouts = ctx.layout_files("summary")
    targets = []
    for result in ctx.results:
        for edition in result.editions:
            if not drafts and edition.status != "published":
                continue
            for extension, render in _RENDERERS.items():
                targets.append(Target(
                    output=f"summaries/{result.slug}-{edition.lang}.{extension}", kind=KIND, lang=edition.lang,
                    copies=(f"site/{site_copy(result.slug, edition.lang, extension)}",) if extension != "txt" else (),
                    source=edition.path, render=lambda r=result, e=edition, f=render: f(ctx, r, e),
                    inputs=(edition.path, *layouts, ctx.label_file(edition.lang), *chart_inputs(edition)),
                    data=ctx.config_slice("organisation", "brand"),
                    tools=("typst",) if extension == "pdf" else (),
                ))
    return targets
