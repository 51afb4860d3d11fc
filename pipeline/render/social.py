"""The social kit of each result and language: a 1200×630 card image and ready-to-post texts.

outputs/
  social/<slug>/<lang>.png                the card, drawn by typst (brand colours, title, key figure)
  site/<lang>/results/<slug>/card.png     the same card, the page's Open Graph / Twitter image
  social/<slug>/<lang>.md                 post texts: Mastodon (≤ 500), Bluesky (≤ 300), LinkedIn
  site/assets/card.png                    the site's own card, for pages that are not results
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from pipeline.build import Target
from pipeline.content.model import Edition, Result
from pipeline.errors import RenderError
from pipeline.render.context import RenderContext
from pipeline.render.site import page_url
from pipeline.render.templates import typst_string
from pipeline.render.typography import typeset
from pipeline.render.typst import FONT, compile_png
from pipeline.render.typst_worker import Bounded, CompileError

KIND = "social"
WIDTH, HEIGHT = 1200, 630
LIMITS = {"mastodon": 500, "bluesky": 300}
# Mastodon counts every link as 23 characters, whatever its length.
MASTODON_LINK = 23
_BOLD = re.compile(r"\*\*(.+?)\*\*")


def key_figure(edition: Edition) -> str:
    """The figure a card shows: the first bold phrase of the key findings, else the first finding."""
    for finding in edition.key_findings:
        match = _BOLD.search(finding)
        if match:
            return plain(match.group(1), edition.lang)
    return plain(edition.key_findings[0], edition.lang) if edition.key_findings else ""


def plain(markdown: str, lang: str) -> str:
    """Markdown emphasis and links reduced to their text, whitespace collapsed, in the typography of `lang`."""
    text = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", markdown)
    return typeset(" ".join(re.sub(r"[*_`]+", "", text).split()), lang)


def card_source(ctx: RenderContext, lang: str, kicker: str, title: str, figure: str, caption: str) -> str:
    """Typst source of a card: kicker, title, and a key figure over the brand colours."""
    brand = ctx.project.config.brand
    size = 64 if len(title) <= 60 else 52 if len(title) <= 95 else 44
    figure_block = ""
    if figure:
        figure_block = (
            f'#place(bottom + left, dx: 64pt, dy: -56pt, block(width: 1072pt, fill: white, inset: 24pt, radius: 8pt,'
            f' stack(spacing: 10pt, text(size: 40pt, weight: "bold", fill: rgb("{brand.accent}"), '
            f'{typst_string(figure)}), text(size: 24pt, fill: rgb("{brand.text}"), {typst_string(caption)}))))\n')
    return (
        f'#set page(width: {WIDTH}pt, height: {HEIGHT}pt, margin: 0pt, fill: rgb("{brand.primary}"))\n'
        f'#set text(font: "{FONT}", fill: white, lang: "{lang}")\n'
        f'#place(top + left, dx: 64pt, dy: 52pt, text(size: 26pt, weight: "bold", {typst_string(kicker)}))\n'
        f'#place(top + left, dx: 64pt, dy: 104pt, block(width: 1072pt, height: {250 if figure else 440}pt, clip: true,'
        f' par(leading: 0.6em, text(size: {size}pt, weight: "bold", {typst_string(title)}))))\n'
        f"{figure_block}"
    )


def render_card(ctx: RenderContext, source: str, where: object) -> bytes:
    """A card's PNG, 1200×630 pixels (typst at 72 pixels per inch: one point, one pixel)."""
    try:
        return compile_png(source)
    except CompileError as exc:
        raise RenderError(where, f"typst could not draw the social card: {exc}") from None
    except Bounded as exc:
        raise RenderError(where, f"{exc.reason} drawing the social card: look for a very long title or "
                          "key finding") from None


def result_card(ctx: RenderContext, edition: Edition) -> bytes:
    labels = ctx.labels[edition.lang]
    kicker = f"{ctx.project.config.organisation.short_name} · {labels['brief_kicker']}"
    figure = key_figure(edition)
    finding = plain(edition.key_findings[0], edition.lang) if edition.key_findings else ""
    caption = finding if len(finding) <= 110 else finding[:109].rsplit(" ", 1)[0] + "…"
    title = plain(edition.title, edition.lang)
    return render_card(ctx, card_source(ctx, edition.lang, kicker, title, figure, caption),
                       ctx.project.relative(edition.path))


def site_card(ctx: RenderContext) -> bytes:
    org = ctx.project.config.organisation
    source = card_source(ctx, ctx.languages[0], org.short_name, org.name_in(ctx.languages[0]), "", "")
    return render_card(ctx, source, ctx.project.relative(ctx.project.layouts_dir))


# ---------------------------------------------------------------- post texts


@dataclass(frozen=True)
class Posts:
    mastodon: str
    bluesky: str
    linkedin: str


def hashtag(label: str) -> str:
    """A theme label as a hashtag: words joined in CamelCase, accents kept, punctuation dropped."""
    words = re.findall(r"\w+", unicodedata.normalize("NFC", label))
    return "#" + "".join(w[:1].upper() + w[1:] for w in words)


def _fit(head: str, body: str, tail: str, limit: int, counted_tail: int | None = None) -> str:
    """`head` + `body` + `tail`, `body` shortened at a word (with '…') so the whole fits in `limit`."""
    tail_length = len(tail) if counted_tail is None else counted_tail
    room = limit - len(head) - tail_length
    if len(body) > room:
        body = body[:max(room - 1, 0)].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return head + body + tail


def posts(ctx: RenderContext, edition: Edition) -> Posts:
    """Post texts for one edition, each within its network's limit."""
    url = page_url(ctx, edition.lang, edition.slug)
    title = plain(edition.title, edition.lang)
    finding = plain(edition.key_findings[0] if edition.key_findings else edition.summary, edition.lang)
    tags = " ".join(hashtag(ctx.themes[t].label(edition.lang)) for t in edition.themes)
    head = f"{title}\n\n"
    mastodon_tail = f"\n\n{url}\n\n{tags}"
    mastodon = _fit(head, finding, mastodon_tail, LIMITS["mastodon"],
                    counted_tail=len(mastodon_tail) - len(url) + MASTODON_LINK)
    bluesky = _fit(head, finding, f"\n\n{url}", LIMITS["bluesky"])
    findings = "\n".join(f"• {plain(f, edition.lang)}" for f in edition.key_findings[:3])
    summary = plain(edition.summary, edition.lang)
    linkedin = f"{title}\n\n{summary}\n\n{findings}\n\n{url}\n\n{tags}".replace("\n\n\n\n", "\n\n")
    return Posts(mastodon, bluesky, linkedin)


def mastodon_length(text: str) -> int:
    """Characters as Mastodon counts them: each link 23."""
    return len(re.sub(r"https?://\S+", "x" * MASTODON_LINK, text))


def render_posts(ctx: RenderContext, edition: Edition) -> bytes:
    """outputs/social/<slug>/<lang>.md: one section per network, with its length and limit."""
    p = posts(ctx, edition)
    lines = [
        f"# {plain(edition.title, edition.lang)}",
        "",
        f"Card: `{edition.lang}.png` (1200×630) · page: {page_url(ctx, edition.lang, edition.slug)}",
        "",
        f"## Mastodon ({mastodon_length(p.mastodon)}/{LIMITS['mastodon']})",
        "",
        p.mastodon,
        "",
        f"## Bluesky ({len(p.bluesky)}/{LIMITS['bluesky']})",
        "",
        p.bluesky,
        "",
        "## LinkedIn",
        "",
        p.linkedin,
        "",
    ]
    return "\n".join(lines).encode("utf-8")


def social_targets(ctx: RenderContext, drafts: bool) -> list[Target]:
    """Every card and post text of the published editions, and the site's own card."""
    if not ctx.project.config.site.social:
        return []
    config = ctx.config_slice("organisation", "brand")
    targets: list[Target] = []
    results: tuple[Result, ...] = ctx.results
    for result in results:
        for edition in result.editions:
            if not (drafts or edition.status == "published"):
                continue
            shown = {"title": edition.title, "findings": edition.key_findings, "themes": edition.themes,
                     "summary": edition.summary, "labels": [ctx.labels[edition.lang]["brief_kicker"]],
                     "theme_labels": [ctx.themes[t].label(edition.lang) for t in edition.themes]}
            targets += [
                Target(output=f"social/{result.slug}/{edition.lang}.png", kind=KIND, lang=edition.lang,
                       source=edition.path, render=lambda e=edition: result_card(ctx, e),
                       data={**config, **shown}, tools=("typst",),
                       copies=(f"site/{edition.lang}/results/{result.slug}/card.png",)),
                Target(output=f"social/{result.slug}/{edition.lang}.md", kind=KIND, lang=edition.lang,
                       source=edition.path, render=lambda e=edition: render_posts(ctx, e), data={**config, **shown}),
            ]
    targets.append(Target(output="site/assets/card.png", kind=KIND, source=ctx.project.layouts_dir,
                          render=lambda: site_card(ctx), data=config, tools=("typst",)))
    return targets
