"""What search engines and feed readers find: sitemap.xml with hreflang alternates, robots.txt, the
Atom feed of results per language, favicon and touch icons made from the logo, the web manifest.

outputs/site/
  sitemap.xml               every page, each listing itself, its other languages and x-default
  robots.txt                allows everything, names the sitemap
  <lang>/feed.xml           Atom feed of the results in that language
  favicon.ico, assets/icon.svg, assets/apple-touch-icon.png, assets/icon-192.png, assets/icon-512.png
                            (pipeline.render.icons; icon.svg only from an SVG logo)
  site.webmanifest

The sitemap is made from the other targets' outputs (every `site/<lang>/…/index.html`), so
pages of any output kind (newsletter archive, digest archive) are listed without knowing them.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

from pipeline.build import Target
from pipeline.content.model import Edition
from pipeline.render import atom
from pipeline.render.context import RenderContext
from pipeline.render.icons import ICON_SIZES, favicon_ico, icon_png, icon_svg
from pipeline.render.site import KIND, page_url
from pipeline.render.typography import typeset

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML_NS = "http://www.w3.org/1999/xhtml"
# Pages that are not content: never in the sitemap.
_UNLISTED = ("search/",)


def page_groups(ctx: RenderContext, outputs: list[str]) -> list[tuple[str, dict[str, str]]]:
    """(path after the language, {lang: absolute URL}) of every page among `outputs`, sorted by path."""
    base = ctx.project.config.base_url
    groups: dict[str, dict[str, str]] = {}
    for output in outputs:
        parts = output.split("/", 2)
        if len(parts) < 3 or parts[0] != "site" or parts[1] not in ctx.languages or not output.endswith("index.html"):
            continue
        rest = parts[2].removesuffix("index.html")
        if rest.startswith(_UNLISTED):
            continue
        groups.setdefault(rest, {})[parts[1]] = f"{base}{parts[1]}/{rest}"
    return sorted(groups.items())


def x_default(ctx: RenderContext, rest: str, urls: dict[str, str]) -> str:
    """The page for a visitor whose language is none of ours: the chooser for homes, else the first language."""
    if rest == "":
        return ctx.project.config.base_url
    return urls[next(lang for lang in ctx.languages if lang in urls)]


def render_sitemap(ctx: RenderContext, groups: list[tuple[str, dict[str, str]]]) -> bytes:
    """sitemap.xml: each URL lists every language version (itself included) and x-default."""
    ET.register_namespace("", SITEMAP_NS)
    ET.register_namespace("xhtml", XHTML_NS)
    urlset = ET.Element(f"{{{SITEMAP_NS}}}urlset")
    base = ctx.project.config.base_url
    entries = [(base, {lang: f"{base}{lang}/" for lang in ctx.languages}, base)]
    entries += [(url, urls, x_default(ctx, rest, urls)) for rest, urls in groups for url in urls.values()]
    for loc, urls, default in entries:
        node = ET.SubElement(urlset, f"{{{SITEMAP_NS}}}url")
        ET.SubElement(node, f"{{{SITEMAP_NS}}}loc").text = loc
        for lang, url in urls.items():
            ET.SubElement(node, f"{{{XHTML_NS}}}link", rel="alternate", hreflang=lang, href=url)
        ET.SubElement(node, f"{{{XHTML_NS}}}link", rel="alternate", hreflang="x-default", href=default)
    ET.indent(urlset)
    return ET.tostring(urlset, encoding="utf-8", xml_declaration=True) + b"\n"


def render_robots(ctx: RenderContext) -> bytes:
    return (f"User-agent: *\nAllow: /\nDisallow: /pagefind/\n\n"
            f"Sitemap: {ctx.project.config.base_url}sitemap.xml\n").encode()


def render_results_feed(ctx: RenderContext, lang: str, editions: list[Edition]) -> bytes:
    """The Atom feed of the results in one language, newest first (the 20 latest)."""
    config = ctx.project.config
    base = config.base_url
    entries = [atom.Entry(id=url, title=typeset(edition.title, lang), published=atom.timestamp(edition.date),
                          updated=atom.timestamp(edition.date), link=url,
                          authors=tuple(author.name for author in edition.authors),
                          categories=tuple((theme, ctx.themes[theme].label(lang)) for theme in edition.themes),
                          summary=typeset(_plain_markdown(edition.summary), lang))
               for edition in editions[:20] for url in [page_url(ctx, lang, edition.slug)]]
    return atom.feed(f"{base}{lang}/feed.xml", f"{ctx.labels[lang]['results']} – {config.organisation.short_name}",
                     lang, atom.timestamp(editions[0].date) if editions else "2000-01-01T00:00:00Z", entries,
                     self_url=f"{base}{lang}/feed.xml", alternate=f"{base}{lang}/results/",
                     author=config.organisation.name_in(lang))


def _plain_markdown(text: str) -> str:
    """A summary as feed text: emphasis marks dropped, whitespace collapsed."""
    return " ".join(re.sub(r"[*_`]+", "", text).split())


# ---------------------------------------------------------------- icons


def render_manifest(ctx: RenderContext) -> bytes:
    config = ctx.project.config
    data = {
        "name": config.organisation.name_in(ctx.languages[0]), "short_name": config.organisation.short_name,
        "start_url": "./", "display": "browser", "background_color": config.brand.background,
        "theme_color": config.brand.primary,
        "icons": [{"src": f"assets/{name}", "sizes": f"{size}x{size}", "type": "image/png"}
                  for name, size in ICON_SIZES.items() if size >= 192],
    }
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


# ---------------------------------------------------------------- targets


def discovery_targets(ctx: RenderContext, targets: list[Target], drafts: bool) -> list[Target]:
    """The sitemap (from every other target's outputs), robots.txt, results feeds, icons and manifest."""
    outputs = [o for t in targets for o in t.outputs]
    groups = page_groups(ctx, outputs)
    logo = ctx.project.path(ctx.project.config.organisation.logo)
    config = ctx.config_slice("organisation", "brand")
    layouts = ctx.project.layouts_dir / "site"
    made: list[Target] = [
        # It lists every page: content that fails to load keeps it as it was (its pages are kept too).
        Target(output="site/sitemap.xml", kind=KIND, source=layouts, render=lambda: render_sitemap(ctx, groups),
               data={"base_url": ctx.project.config.base_url, "languages": ctx.languages, "pages": groups},
               depends=tuple(sorted(ctx.project.content_dir.glob("*/*/*.md")))),
        Target(output="site/robots.txt", kind=KIND, source=layouts, render=lambda: render_robots(ctx),
               data=ctx.project.config.base_url),
        Target(output="site/site.webmanifest", kind=KIND, source=logo, render=lambda: render_manifest(ctx),
               data=config),
        Target(output="site/favicon.ico", kind=KIND, source=logo, render=lambda: favicon_ico(ctx), inputs=(logo,),
               data=config, tools=("typst",)),
    ]
    if logo.suffix == ".svg":
        made.append(Target(output="site/assets/icon.svg", kind=KIND, source=logo, render=lambda: icon_svg(logo),
                           inputs=(logo,)))
    for name, size in ICON_SIZES.items():
        made.append(Target(output=f"site/assets/{name}", kind=KIND, source=logo,
                           render=lambda size=size: icon_png(ctx, size), inputs=(logo,), data=config,
                           tools=("typst",)))
    for lang in ctx.languages:
        editions = sorted((e for r in ctx.results for e in r.editions
                           if e.lang == lang and (drafts or e.status == "published")),
                          key=lambda e: (e.date, e.slug), reverse=True)
        made.append(Target(
            output=f"site/{lang}/feed.xml", kind=KIND, lang=lang, source=ctx.project.results_dir,
            render=lambda lang=lang, eds=editions: render_results_feed(ctx, lang, eds), inputs=(ctx.label_file(lang),),
            depends=tuple(sorted(ctx.project.results_dir.glob(f"*/{lang}.md"))),  # as the indexes: see site.py
            data={**config, "entries": [(e.slug, e.title, e.date, e.summary, e.themes, [a.name for a in e.authors])
                                        for e in editions[:20]],
                  # the entries' categories show the themes' labels
                  "themes": {t: ctx.themes[t].label(lang) for e in editions[:20] for t in e.themes}},
        ))
    return made
