"""The web edition: one page per result and language, language indexes, assets and figures.

outputs/site/
  index.html                        language chooser
  assets/site.css, assets/logo.*    brand look
  media/<slug>/<figure>             figures, shared by the language editions
  <lang>/index.html                 the results in that language
  <lang>/results/<slug>/index.html  one result
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.build import Target
from pipeline.content.model import Edition, Result
from pipeline.render.citation import how_to_cite
from pipeline.render.context import RenderContext
from pipeline.render.figures import place_figures
from pipeline.render.locale import locale_of
from pipeline.render.pandoc import Citations, convert
from pipeline.render.templates import render_template

KIND = "site"
_TEMPLATE = Path(__file__).with_name("pandoc-html.tpl")
_REFS = '<div id="refs"'
_DIV_TAG = re.compile(r"<(/?)div\b[^>]*>")
_BLOCK_START = ("<p>", "<p ", "<ul", "<ol", "<div", "<blockquote", "<table", "<figure", "<h")


@dataclass(frozen=True)
class PandocHtml:
    """One pandoc run over an edition: its front matter fields and body as HTML."""

    meta: dict[str, Any]
    toc: str
    body: str
    references: str


def page_path(lang: str, slug: str) -> str:
    return f"{lang}/results/{slug}/index.html"


def page_url(ctx: RenderContext, lang: str, slug: str) -> str:
    return f"{ctx.project.config.base_url}{lang}/results/{slug}/"


def citations(ctx: RenderContext, edition: Edition) -> Citations | None:
    """The project's bibliography and style, for an edition that cites anything."""
    if not edition.citations:
        return None
    brief = ctx.project.config.brief
    csl = ctx.project.path(brief.csl)
    return Citations(ctx.project.path(brief.bibliography), csl if csl.is_file() else None)


def citation_inputs(ctx: RenderContext, edition: Edition) -> tuple[Path, ...]:
    if not edition.citations:
        return ()
    brief = ctx.project.config.brief
    return (ctx.project.path(brief.bibliography), ctx.project.path(brief.csl))


def convert_edition(ctx: RenderContext, edition: Edition, media_prefix: str) -> PandocHtml:
    """Run pandoc once on an edition: body, table of contents and every front matter field in HTML."""
    labels = ctx.labels[edition.lang]
    body = place_figures(edition, lambda f: f"{media_prefix}{f}", labels["source"] + labels["colon"])
    out = convert(f"---\n{edition.front_matter}\n---\n{body}", "html5", ctx.project.relative(edition.path),
                  template=_TEMPLATE, wrap="none", section_divs=True, toc=ctx.project.config.page.toc, toc_depth=2,
                  metadata={"lang": locale_of(edition.lang).replace("_", "-"), "link-citations": True},
                  citations=citations(ctx, edition))
    text = out.decode("utf-8")
    meta_json, rest = text.split("<!--crebis:toc-->", 1)
    toc, body_html = rest.split("<!--crebis:body-->", 1)
    body_html, refs = split_references(body_html)
    return PandocHtml(json.loads(meta_json), toc.strip(), body_html.strip(), refs.strip())


def split_references(body: str) -> tuple[str, str]:
    """Take citeproc's `<div id="refs">` out of the body, leaving the section tags around it in place.

    With section divs the bibliography sits inside the last section: cutting at its
    start alone would carry that section's closing tag away with it.
    """
    start = body.find(_REFS)
    if start < 0:
        return body, ""
    depth, pos = 0, start
    for match in _DIV_TAG.finditer(body, start):
        depth += -1 if match.group(1) else 1
        pos = match.end()
        if depth == 0:
            break
    return body[:start] + body[pos:], body[start:pos]


def as_blocks(html: str) -> str:
    """A front matter field as block HTML: pandoc gives one-line values as inlines, longer ones as paragraphs."""
    html = html.strip()
    return html if html.startswith(_BLOCK_START) else f"<p>{html}</p>"


def toc_with(toc: str, entries: list[tuple[str, str]]) -> str:
    """Pandoc's table of contents of the body, followed by the page's own sections (recommendations, references)."""
    items = "".join(f'<li><a href="#{anchor}">{text}</a></li>\n' for anchor, text in entries)
    if not toc:
        return f"<ul>\n{items}</ul>" if items else ""
    head, _, tail = toc.rpartition("</ul>")
    return f"{head}{items}</ul>{tail}"


def downloads(ctx: RenderContext, slug: str, lang: str) -> list[tuple[str, str]]:
    """(file name, format) of the brief editions published beside a page."""
    brief = ctx.project.config.brief
    return [(f"{slug}-{lang}.{ext}", ext.upper()) for ext, on in (("pdf", brief.pdf), ("docx", brief.docx)) if on]


def _page_data(ctx: RenderContext, result: Result, edition: Edition) -> dict[str, Any]:
    return {
        "config": ctx.config_slice("organisation", "brand", "page", "brief"),
        "has_newsletters": ctx.has_newsletters,
        # the language links show each sibling's title and its language's name (from its labels)
        "siblings": [(e.lang, e.title, ctx.labels[e.lang]["language_name"]) for e in result.editions],
        "themes": {t: ctx.themes[t].label(edition.lang) for t in edition.themes},
    }


def page_toc(ctx: RenderContext, edition: Edition, html: PandocHtml) -> str:
    """The page's table of contents: the body's headings, then recommendations and references."""
    if not ctx.project.config.page.toc:
        return ""
    labels = ctx.labels[edition.lang]
    entries = [("recommendations-title", labels["recommendations"])] if html.meta.get("recommendations") else []
    if html.references:
        entries.append(("references-title", labels["references"]))
    return toc_with(html.toc, entries)


def render_page(ctx: RenderContext, result: Result, edition: Edition) -> bytes:
    """The HTML page of one edition of a result."""
    html = convert_edition(ctx, edition, f"../../../media/{result.slug}/")
    config = ctx.project.config
    return render_template(ctx.env, "site/result.html",
        config=config,
        lang=edition.lang,
        labels=ctx.labels[edition.lang],
        root="../../../",
        edition=edition,
        html=html,
        toc=page_toc(ctx, edition, html),
        blocks=as_blocks,
        themes=[ctx.themes[t].label(edition.lang) for t in edition.themes],
        url=page_url(ctx, edition.lang, result.slug),
        cite=how_to_cite(edition, config.organisation.name, page_url(ctx, edition.lang, result.slug)),
        downloads=downloads(ctx, result.slug, edition.lang),
        easy_read=[(f"{result.slug}-{edition.lang}-summary.{ext}", ext.upper()) for ext in ("html", "pdf")],
        alternates=[(e.lang, e.title, page_url(ctx, e.lang, result.slug), ctx.labels[e.lang]["language_name"])
                    for e in result.editions if e.lang != edition.lang],
    ).encode("utf-8")


def render_index(ctx: RenderContext, lang: str, editions: list[Edition]) -> bytes:
    """The list of results in one language, newest first."""
    return render_template(ctx.env, "site/index.html",
        config=ctx.project.config, lang=lang, labels=ctx.labels[lang], root="../",
        editions=editions, themes=ctx.themes, url=f"{ctx.project.config.base_url}{lang}/",
        alternates=[(other, None, f"{ctx.project.config.base_url}{other}/", ctx.labels[other]["language_name"])
                    for other in ctx.languages if other != lang],
    ).encode("utf-8")


def render_root(ctx: RenderContext) -> bytes:
    """The language chooser at the site root."""
    return render_template(ctx.env, "site/root.html",
        config=ctx.project.config, lang=ctx.languages[0], labels=ctx.labels, root="",
        languages=ctx.languages,
    ).encode("utf-8")


def render_css(ctx: RenderContext) -> bytes:
    return render_template(ctx.env, "site/site.css", brand=ctx.project.config.brand).encode("utf-8")


def _copy(path: Path) -> bytes:
    return path.read_bytes()


def site_targets(ctx: RenderContext, drafts: bool) -> list[Target]:
    """Every output of the web edition."""
    layouts = ctx.layout_files("site")
    targets: list[Target] = []
    for result in ctx.results:
        editions = [e for e in result.editions if drafts or e.status == "published"]
        for edition in editions:
            targets.append(Target(
                output=f"site/{page_path(edition.lang, result.slug)}", kind=KIND, lang=edition.lang,
                source=edition.path, render=lambda r=result, e=edition: render_page(ctx, r, e),
                inputs=(edition.path, *layouts, ctx.label_file(edition.lang), *citation_inputs(ctx, edition)),
                data=_page_data(ctx, result, edition), tools=("pandoc",),
                depends=tuple(sorted(result.directory.glob("*.md"))),  # the language links name the siblings
            ))
        if editions:
            for figure_file in sorted({f.file for e in editions for f in e.figures}):
                path = result.directory / figure_file
                targets.append(Target(
                    output=f"site/media/{result.slug}/{figure_file}", kind=KIND, source=path,
                    render=lambda p=path: _copy(p), inputs=(path,),
                ))
    for lang in ctx.languages:
        editions = sorted(
            (e for r in ctx.results for e in r.editions if e.lang == lang and (drafts or e.status == "published")),
            key=lambda e: (e.date, e.slug), reverse=True,
        )
        targets.append(Target(
            output=f"site/{lang}/index.html", kind=KIND, lang=lang, source=ctx.project.results_dir,
            render=lambda lang=lang, eds=editions: render_index(ctx, lang, eds),
            inputs=(*layouts, ctx.label_file(lang)),
            depends=tuple(sorted(ctx.project.results_dir.glob(f"*/{lang}.md"))),
            # The index shows these fields only: editing a body does not rebuild it.
            data={"config": ctx.config_slice("organisation", "brand"), "has_newsletters": ctx.has_newsletters,
                  "editions": [(e.slug, e.title, e.date, e.summary, e.themes, e.status) for e in editions],
                  "language_names": {x: ctx.labels[x]["language_name"] for x in ctx.languages},
                  "themes": {t.id: t.label(lang) for t in ctx.themes.values()}},
        ))
    logo = ctx.project.path(ctx.project.config.organisation.logo)
    targets += [
        Target(output="site/index.html", kind=KIND, source=ctx.project.layouts_dir / "site",
               render=lambda: render_root(ctx), inputs=(*layouts, *(ctx.label_file(x) for x in ctx.languages)),
               data=ctx.config_slice("organisation", "brand")),
        Target(output="site/assets/site.css", kind=KIND, source=ctx.project.layouts_dir / "site" / "site.css",
               render=lambda: render_css(ctx), inputs=layouts, data=ctx.config_slice("brand")),
        Target(output=f"site/assets/logo{logo.suffix}", kind=KIND, source=logo, render=lambda: _copy(logo),
               inputs=(logo,)),
    ]
    return targets

