"""The web edition: home, results, themes, generic pages, 404 and search page per language, with assets.

outputs/site/
  index.html                         language chooser (the x-default of the home pages)
  404.html, <lang>/404.html          page not found
  assets/site.css, assets/logo.*     brand look
  media/<slug>/<figure>              figures, shared by the language editions
  <lang>/index.html                  home: latest results, latest newsletter, themes
  <lang>/results/index.html          every result, by year and by theme (no JavaScript)
  <lang>/results/<slug>/index.html   one result
  <lang>/themes/<id>/index.html      one theme: its results and newsletters
  <lang>/<page>/index.html           content/pages/<page>/<lang>.md (about, legal notice…)
  <lang>/search/index.html           Pagefind search (pipeline.render.search builds the index)

Discovery files (sitemap, robots, feeds, icons) are made by `pipeline.render.sitemap`.
"""

from __future__ import annotations

import dataclasses
import html as htmllib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pipeline.build import Target
from pipeline.content.model import Edition, Result, Theme
from pipeline.content.newsletter import NewsletterEdition, load_newsletters
from pipeline.content.pages import Page, PageEdition, is_page_name, load_pages
from pipeline.errors import ContentError, ContentErrors
from pipeline.render.citation import how_to_cite
from pipeline.render.context import RenderContext
from pipeline.render.figures import (
    chart_files,
    chart_inputs,
    chart_name,
    chart_source,
    details_table,
    media_name,
    place_figures,
    web_chart,
)
from pipeline.render.locale import locale_of, territorial_locale
from pipeline.render.pandoc import Citations, convert
from pipeline.render.templates import render_template
from pipeline.render.typography import typeset

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
    body = place_figures(edition, lambda f: f"{media_prefix}{media_name(f)}", labels["source"] + labels["colon"],
                         table=details_table(labels.get("chart_data", "Chart data")),
                         chart_html=web_chart(ctx, edition))
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


def _page_data(ctx: RenderContext, result: Result, edition: Edition, drafts: bool) -> dict[str, Any]:
    return {
        "config": ctx.config_slice("organisation", "brand", "page", "brief", "site"),
        "signup": ctx.project.config.mail.service_url,  # where the sign-up form posts
        "has_newsletters": ctx.has_newsletters,
        # the language links show each sibling's title and its language's name (from its labels)
        "siblings": [(e.lang, e.title, ctx.labels[e.lang]["language_name"]) for e in result.editions
                     if drafts or e.status == "published"],
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


def render_page(ctx: RenderContext, result: Result, edition: Edition, langs: tuple[str, ...]) -> bytes:
    """The HTML page of one edition of a result; `langs` are the editions published beside it."""
    html = convert_edition(ctx, edition, f"../../../media/{result.slug}/")
    config = ctx.project.config
    url = page_url(ctx, edition.lang, result.slug)
    pdf = f"{url}{result.slug}-{edition.lang}.pdf" if config.brief.pdf else None
    card = f"{url}card.png" if config.site.social else None
    return render_template(ctx.env, "site/result.html",
        **_common(ctx, edition.lang, f"results/{result.slug}/", langs,
                  {e.lang: e.title for e in result.editions}),
        edition=edition,
        html=html,
        toc=page_toc(ctx, edition, html),
        blocks=as_blocks,
        themes=[ctx.themes[t].label(edition.lang) for t in edition.themes],
        cite=how_to_cite(edition, config.organisation.name_in(edition.lang), url),
        downloads=downloads(ctx, result.slug, edition.lang),
        easy_read=[(f"{result.slug}-{edition.lang}-summary.{ext}", ext.upper()) for ext in ("html", "pdf")],
        pdf_url=pdf, card_url=card, json_ld=json_ld(ctx, edition, html, url, pdf, card),
    ).encode("utf-8")


_LICENCES = {
    "CC-BY-4.0": "https://creativecommons.org/licenses/by/4.0/",
    "CC-BY-SA-4.0": "https://creativecommons.org/licenses/by-sa/4.0/",
    "CC-BY-NC-4.0": "https://creativecommons.org/licenses/by-nc/4.0/",
    "CC-BY-NC-SA-4.0": "https://creativecommons.org/licenses/by-nc-sa/4.0/",
    "CC-BY-ND-4.0": "https://creativecommons.org/licenses/by-nd/4.0/",
    "CC0-1.0": "https://creativecommons.org/publicdomain/zero/1.0/",
}


def json_ld(ctx: RenderContext, edition: Edition, html: PandocHtml, url: str, pdf: str | None,
            card: str | None) -> str:
    """schema.org Report (and ScholarlyArticle) of a result edition, as JSON safe inside a <script>."""
    org = ctx.project.config.organisation
    title = typeset(edition.title, edition.lang)  # as the page and the PDF print it
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": ["Report", "ScholarlyArticle"],
        "headline": title[:110],
        "name": title,
        "url": url,
        "inLanguage": locale_of(edition.lang).replace("_", "-"),
        "datePublished": edition.date.isoformat(),
        "author": [{"@type": "Person", "name": a.name,
                    **({"affiliation": {"@type": "Organization", "name": a.affiliation}} if a.affiliation else {})}
                   for a in edition.authors],
        "publisher": {"@type": "Organization", "name": org.name_in(edition.lang), "url": org.website},
        "license": _LICENCES.get(edition.licence, edition.licence),
        "abstract": _plain(html.meta.get("summary", "")),
        "keywords": [ctx.themes[t].label(edition.lang) for t in edition.themes],
    }
    if edition.subtitle:
        data["alternativeHeadline"] = edition.subtitle
    if edition.doi:
        data["identifier"] = {"@type": "PropertyValue", "propertyID": "DOI", "value": edition.doi}
        data["sameAs"] = f"https://doi.org/{edition.doi}"
    if pdf:
        data["encoding"] = {"@type": "MediaObject", "contentUrl": pdf, "encodingFormat": "application/pdf"}
    if card:
        data["image"] = card
    # "</" would end the script element early; "\u003c" is the same character to a JSON parser.
    return json.dumps(data, ensure_ascii=False, indent=1).replace("<", "\\u003c")


def _plain(html: str) -> str:
    """Text of a small HTML fragment (a front matter field), whitespace collapsed."""
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", html)).split())


def alternates(ctx: RenderContext, lang: str, rest: str, langs: list[str] | tuple[str, ...],
               titles: dict[str, str] | None = None) -> list[tuple[str, str | None, str, str]]:
    """(lang, title, absolute URL, language name) of the page `<lang>/<rest>` in the other languages `langs`."""
    base = ctx.project.config.base_url
    return [(other, (titles or {}).get(other), f"{base}{other}/{rest}", ctx.labels[other]["language_name"])
            for other in langs if other != lang]


def _common(ctx: RenderContext, lang: str, rest: str, langs: list[str] | tuple[str, ...],
            titles: dict[str, str] | None = None) -> dict[str, Any]:
    """What base.html needs for the page `<lang>/<rest>` (rest is '' or ends with '/')."""
    return {
        "config": ctx.project.config, "lang": lang, "labels": ctx.labels[lang],
        "root": "../" * (1 + rest.count("/")), "url": f"{ctx.project.config.base_url}{lang}/{rest}",
        "alternates": alternates(ctx, lang, rest, langs, titles),
    }


@dataclass(frozen=True)
class SiteContent:
    """What the index pages list, per language: editions, newsletters and generic pages."""

    editions: dict[str, list[Edition]]
    newsletters: dict[str, list[NewsletterEdition]]
    pages: list[Page]
    page_errors: list[ContentError]

    def theme_editions(self, lang: str, theme: str) -> list[Edition]:
        return [e for e in self.editions[lang] if theme in e.themes]

    def theme_newsletters(self, lang: str, theme: str, results: dict[str, Result]) -> list[NewsletterEdition]:
        """Issues that feature a result of the theme."""
        return [n for n in self.newsletters[lang] if any(theme in f.edition.themes for f in n.featured)]


def site_content(ctx: RenderContext, drafts: bool) -> SiteContent:
    """The published editions (newest first), newsletter editions (newest first) and pages, per language."""
    editions = {lang: sorted((e for r in ctx.results for e in r.editions
                              if e.lang == lang and (drafts or e.status == "published")),
                             key=lambda e: (e.date, e.slug), reverse=True) for lang in ctx.languages}
    loaded = load_newsletters(ctx.project.content_dir / "newsletters", ctx.languages, ctx.results,
                              ctx.project.results_dir, drafts)
    newsletters: dict[str, list[NewsletterEdition]] = {lang: [] for lang in ctx.languages}
    for newsletter in loaded.newsletters:
        for ne in newsletter.editions:
            if drafts or ne.status == "published":
                newsletters[ne.lang].append(ne)
    for issues in newsletters.values():
        issues.sort(key=lambda n: (n.date, n.issue), reverse=True)
    loaded_pages = load_pages(ctx.project.content_dir / "pages", ctx.languages)
    return SiteContent(editions, newsletters, loaded_pages.pages, loaded_pages.errors)


def footer_menu(pages: list[Page], languages: list[str]) -> dict[str, list[tuple[str, str]]]:
    """(slug, title) of the generic pages per language, in their `order`: the first one is also in the main menu."""
    menu: dict[str, list[tuple[str, str]]] = {}
    for lang in languages:
        editions = sorted((e for p in pages for e in p.editions if e.lang == lang), key=lambda e: (e.order, e.slug))
        menu[lang] = [(e.slug, e.title) for e in editions]
    return menu


def render_home(ctx: RenderContext, lang: str, content: SiteContent) -> bytes:
    """The home page of one language: who the centre is, latest results and newsletter, the themes."""
    about = next((p.edition(lang) for p in content.pages if p.slug == "about" and p.edition(lang)), None)
    counts = [{"id": t.id, "label": t.label(lang), "count": len(content.theme_editions(lang, t.id))}
              for t in ctx.themes.values()]
    return render_template(ctx.env, "site/home.html", **_common(ctx, lang, "", ctx.languages),
        latest=content.editions[lang][:5], themes=ctx.themes, theme_counts=[t for t in counts if t["count"]],
        newsletter=(content.newsletters[lang] or [None])[0],
        intro=about.description if about else "", about="about" if about else "",
    ).encode("utf-8")


def render_results_index(ctx: RenderContext, lang: str, editions: list[Edition]) -> bytes:
    """Every result in one language, grouped by year (newest first) and by theme, as plain links."""
    by_year: dict[int, list[Edition]] = {}
    for e in editions:
        by_year.setdefault(e.date.year, []).append(e)
    by_theme = [(t, [e for e in editions if t.id in e.themes]) for t in ctx.themes.values()]
    return render_template(ctx.env, "site/results.html", **_common(ctx, lang, "results/", ctx.languages),
        editions=editions, themes=ctx.themes, by_year=sorted(by_year.items(), reverse=True),
        by_theme=[(t, eds) for t, eds in by_theme if eds],
    ).encode("utf-8")


def render_theme(ctx: RenderContext, lang: str, theme: Theme, content: SiteContent) -> bytes:
    """One theme in one language: its results and the newsletters that featured them."""
    results = {r.slug: r for r in ctx.results}
    return render_template(ctx.env, "site/theme.html",
        **_common(ctx, lang, f"themes/{theme.id}/", ctx.languages, {x: theme.label(x) for x in ctx.languages}),
        theme=theme, editions=content.theme_editions(lang, theme.id),
        newsletters=content.theme_newsletters(lang, theme.id, results),
    ).encode("utf-8")


def render_generic_page(ctx: RenderContext, page: Page, edition: PageEdition) -> bytes:
    """A page of content/pages/: its Markdown body through pandoc."""
    body = convert(edition.body, "html5", ctx.project.relative(edition.path), wrap="none",
                   metadata={"lang": locale_of(edition.lang).replace("_", "-")}).decode("utf-8")
    langs = [e.lang for e in page.editions]
    return render_template(ctx.env, "site/page.html",
        **_common(ctx, edition.lang, f"{page.slug}/", langs, {e.lang: e.title for e in page.editions}),
        page=edition, body=body,
    ).encode("utf-8")


def render_not_found(ctx: RenderContext, lang: str) -> bytes:
    """The 404 page of one language; served from any depth, so its links start at the site's root path."""
    common = _common(ctx, lang, "404.html", ctx.languages)
    common["root"] = urlsplit(ctx.project.config.base_url).path or "/"
    return render_template(ctx.env, "site/404.html", **common, all_labels=ctx.labels,
                           others=[x for x in ctx.languages if x != lang]).encode("utf-8")


def render_search(ctx: RenderContext, lang: str) -> bytes:
    return render_template(ctx.env, "site/search.html", **_common(ctx, lang, "search/", ctx.languages)
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


def install_globals(ctx: RenderContext, content: SiteContent) -> None:
    """Site-wide facts every page template shows (menus, search, sign-up), newsletter archive pages included."""
    site = ctx.project.config.site
    service = ctx.project.config.mail.service_url
    ctx.env.globals.update(
        site_menu=footer_menu(content.pages, ctx.languages),
        site_search=site.search,
        # The sign-up form posts to the subscription service's form in the page's language (<service>/<lang>/).
        site_subscribe_url=service.rstrip("/") + "/" if service else "",
        site_digest=has_digest(ctx),
        og_locales={lang: territorial_locale(lang) for lang in ctx.languages},
    )


def has_digest(ctx: RenderContext) -> bool:
    """Whether the watch digest archive (outputs/site/<lang>/watch/) is published, so pages link it."""
    return any((ctx.project.content_dir / "watch" / "curation").glob("*.yaml"))


def chart_targets(ctx: RenderContext, result: Result, editions: list[Edition]) -> list[Target]:
    """The SVGs of each chart from data in each edition's language, beside the figures in media/: the wide
    drawing and the narrow one (`.narrow.svg`, which the newsletter's web archive shows on a phone)."""
    targets = []
    for edition in editions:
        for figure in (f for f in edition.figures if f.is_chart):
            for kind, extension in (("svg", "svg"), ("narrow", "narrow.svg")):
                targets.append(Target(
                    output=f"site/media/{result.slug}/{chart_name(figure, edition.lang, extension)}", kind=KIND,
                    lang=edition.lang, source=edition.path, inputs=chart_source(edition, figure).files,
                    render=lambda e=edition, f=figure, k=kind: chart_files(ctx, e, f)[k].read_bytes(),
                    data={"labels": figure.labels, "brand": ctx.config_slice("brand")["brand"]},
                ))
    return targets


def page_error_targets(ctx: RenderContext, errors: list[ContentError]) -> list[Target]:
    """A generic page that failed to load stays as it was, and the build reports why, naming the file."""
    by_file: dict[Path, list[ContentError]] = {}
    for error in errors:  # named relative to the project, as every message names files
        relative = ContentError(ctx.project.relative(error.path), error.message, error.line)
        by_file.setdefault(Path(error.path), []).append(relative)
    targets = []
    for path, problems in sorted(by_file.items()):
        lang = path.stem if path.suffix == ".md" else ctx.languages[0]
        slug = path.parent.name if path.suffix == ".md" else path.name

        def fail(problems: list[ContentError] = problems) -> bytes:
            raise problems[0] if len(problems) == 1 else ContentErrors(problems)

        # A folder that may not be a page (a reserved or malformed name) never had a page: its report takes an
        # output no page has (no slug holds a dot), not the site's own page of that name.
        output = f"site/{lang}/{slug}/index.html" if is_page_name(slug) else f"site/{lang}/{slug}.not-a-page"
        targets.append(Target(output=output, kind=KIND, lang=lang, source=path,
                              render=fail, inputs=(path,) if path.is_file() else (),
                              data=[str(e) for e in problems]))
    return targets


def _site_data(ctx: RenderContext, content: SiteContent) -> dict[str, Any]:
    """What every page of the site shows besides its own content (menus, links), for its fingerprint."""
    return {"config": ctx.config_slice("organisation", "brand", "site"), "has_newsletters": ctx.has_newsletters,
            "signup": ctx.project.config.mail.service_url,
            "menu": footer_menu(content.pages, ctx.languages), "digest": has_digest(ctx),
            "language_names": {x: ctx.labels[x]["language_name"] for x in ctx.languages}}


def result_site_targets(ctx: RenderContext, results: list[Result], drafts: bool) -> list[Target]:
    """The pages and figures of some results alone, the same targets `site_targets` lists for them
    (the preview server builds those of an edited result first)."""
    content = site_content(ctx, drafts)
    install_globals(ctx, content)
    return _result_targets(ctx, results, drafts, ctx.layout_files("site"), _site_data(ctx, content))


def _result_targets(ctx: RenderContext, results: list[Result] | tuple[Result, ...], drafts: bool,
                    layouts: tuple[Path, ...], site_data: dict[str, Any]) -> list[Target]:
    targets: list[Target] = []
    for result in results:
        editions = [e for e in result.editions if drafts or e.status == "published"]
        # a page links (and hreflangs) only the editions published beside it, never a draft
        result = dataclasses.replace(result, editions=tuple(editions))
        for edition in editions:
            targets.append(Target(
                output=f"site/{page_path(edition.lang, result.slug)}", kind=KIND, lang=edition.lang,
                source=edition.path,
                render=lambda r=result, e=edition, langs=tuple(x.lang for x in editions): render_page(ctx, r, e, langs),
                inputs=(edition.path, *layouts, ctx.label_file(edition.lang), *citation_inputs(ctx, edition),
                        *chart_inputs(edition)),  # the data table under each chart
                data={**_page_data(ctx, result, edition, drafts), **site_data}, tools=("pandoc",),
                depends=tuple(sorted(result.directory.glob("*.md"))),  # the language links name the siblings
            ))
        if editions:
            for figure_file in sorted({image for e in editions for image in e.images}):
                path = result.directory / figure_file
                targets.append(Target(
                    output=f"site/media/{result.slug}/{media_name(figure_file)}", kind=KIND, source=path,
                    render=lambda p=path: _copy(p), inputs=(path,),
                ))
            targets += chart_targets(ctx, result, editions)
    return targets


def site_targets(ctx: RenderContext, drafts: bool) -> list[Target]:
    """Every output of the web edition."""
    layouts = ctx.layout_files("site")
    content = site_content(ctx, drafts)
    install_globals(ctx, content)
    site_data = _site_data(ctx, content)
    targets = _result_targets(ctx, ctx.results, drafts, layouts, site_data)
    for lang in ctx.languages:
        editions = content.editions[lang]
        listed = [(e.slug, e.title, e.date, e.summary, e.themes, e.status) for e in editions]
        lang_inputs = (*layouts, ctx.label_file(lang))
        # The indexes list the editions of this language: one that fails to load keeps them as they were.
        lang_depends = tuple(sorted(ctx.project.results_dir.glob(f"*/{lang}.md")))
        themes = {t.id: t.label(lang) for t in ctx.themes.values()}
        issues = [(n.issue, n.subject, n.preheader, n.date, [f.edition.slug for f in n.featured])
                  for n in content.newsletters[lang]]
        # The indexes show these fields only: editing a body does not rebuild them.
        targets += [
            Target(output=f"site/{lang}/index.html", kind=KIND, lang=lang, source=ctx.project.results_dir,
                   render=lambda lang=lang: render_home(ctx, lang, content), inputs=lang_inputs,
                   depends=lang_depends,
                   data={**site_data, "editions": listed[:5], "themes": themes, "issues": issues[:1],
                         "counts": [len(content.theme_editions(lang, t)) for t in themes],
                         "about": [(p.slug, e.description) for p in content.pages for e in p.editions
                                   if e.lang == lang]}),
            Target(output=f"site/{lang}/results/index.html", kind=KIND, lang=lang, source=ctx.project.results_dir,
                   render=lambda lang=lang, eds=editions: render_results_index(ctx, lang, eds), inputs=lang_inputs,
                   depends=lang_depends,
                   data={**site_data, "editions": listed, "themes": themes}),
            Target(output=f"site/{lang}/404.html", kind=KIND, lang=lang, source=ctx.project.layouts_dir / "site",
                   render=lambda lang=lang: render_not_found(ctx, lang), inputs=lang_inputs, data=site_data),
        ]
        if ctx.project.config.site.search:
            targets.append(Target(output=f"site/{lang}/search/index.html", kind=KIND, lang=lang,
                                  source=ctx.project.layouts_dir / "site",
                                  render=lambda lang=lang: render_search(ctx, lang), inputs=lang_inputs,
                                  data=site_data))
        for theme in ctx.themes.values():
            targets.append(Target(
                output=f"site/{lang}/themes/{theme.id}/index.html", kind=KIND, lang=lang,
                source=ctx.project.path(ctx.project.config.watch.themes),
                render=lambda lang=lang, t=theme: render_theme(ctx, lang, t, content), inputs=lang_inputs,
                depends=lang_depends,
                data={**site_data, "theme": [theme.id, theme.labels],
                      "editions": [x for x in listed if theme.id in x[4]],
                      "issues": [i for i in issues
                                 if set(i[4]) & {e.slug for e in content.theme_editions(lang, theme.id)}]},
            ))
    for page in content.pages:
        for edition in page.editions:
            targets.append(Target(
                output=f"site/{edition.lang}/{page.slug}/index.html", kind=KIND, lang=edition.lang,
                source=edition.path, render=lambda p=page, e=edition: render_generic_page(ctx, p, e),
                inputs=(edition.path, *layouts, ctx.label_file(edition.lang)),
                data={**site_data, "siblings": [(e.lang, e.title) for e in page.editions]}, tools=("pandoc",),
            ))
    targets += page_error_targets(ctx, content.page_errors)
    logo = ctx.project.path(ctx.project.config.organisation.logo)
    all_labels = tuple(ctx.label_file(x) for x in ctx.languages)
    targets += [
        Target(output="site/index.html", kind=KIND, source=ctx.project.layouts_dir / "site",
               render=lambda: render_root(ctx), inputs=(*layouts, *all_labels),
               data=ctx.config_slice("organisation", "brand")),
        Target(output="site/404.html", kind=KIND, source=ctx.project.layouts_dir / "site",
               render=lambda: render_not_found(ctx, ctx.languages[0]), inputs=(*layouts, *all_labels),
               data=site_data),
        Target(output="site/assets/site.css", kind=KIND, source=ctx.project.layouts_dir / "site" / "site.css",
               render=lambda: render_css(ctx), inputs=layouts, data=ctx.config_slice("brand")),
        Target(output=f"site/assets/logo{logo.suffix}", kind=KIND, source=logo, render=lambda: _copy(logo),
               inputs=(logo,)),
    ]
    return targets
