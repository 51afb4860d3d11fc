"""The weekly digest of the innovation watch: an output kind built from the curation worksheets.

outputs/
  site/<lang>/watch/<WEEK>/index.html   the week's digest on the web
  site/<lang>/watch/index.html          the archive of weeks
  site/<lang>/watch/feed.xml            its Atom feed
  digests/<WEEK>/<lang>.md              Markdown, to paste into an intranet or a partner's newsletter
  digests/<WEEK>/<lang>.html            the email (MJML, the newsletter's layout parts)
  digests/<WEEK>/<lang>.txt             its plain-text part (72 columns, numbered links)

What is published is the worksheet (content/watch/curation/<WEEK>.yaml), which is
content: its copy of each item (title, link, sources, date) is what the curator saw,
so a digest builds the same from a fresh clone that has no watch store. Where the
store exists, a kept item it no longer holds is reported (and published all the same).

Items are grouped under theme labels in the edition's language; an item in another
language keeps its title in that language, marked with `lang` and a visible [NL] tag.
A note missing in the edition's language falls back to another language, visibly.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from typing import Any

from babel.dates import format_interval
from markupsafe import Markup

from pipeline.build import Rendered, Target
from pipeline.errors import ContentErrors, CrebisError, RenderError
from pipeline.render import atom
from pipeline.render.context import RenderContext
from pipeline.render.email_quality import EmailRules, check_email
from pipeline.render.locale import format_date, locale_of
from pipeline.render.mjml import mjml_version, render_mjml
from pipeline.render.newsletter import MERGE_FIELDS, Links, email_styles, logo_url, read_logo
from pipeline.render.plaintext import LinkRefs, underline, wrap
from pipeline.render.typography import typeset
from pipeline.watch.candidates import UNTHEMED
from pipeline.watch.store import STORE_FILE, open_store
from pipeline.watch.weeks import Week
from pipeline.watch.worksheet import Entry, Worksheet, curation_dir, read_worksheet

KIND = "digest"


# ---------------------------------------------------------------- the digest of a week


@dataclass(frozen=True)
class Source:
    name: str
    link: str | None


@dataclass(frozen=True)
class Item:
    """One story of the digest, from the worksheet's copy."""

    id: str
    title: str
    link: str | None
    language: str
    date: date | None
    sources: tuple[Source, ...]
    notes: dict[str, str]
    line: int


@dataclass(frozen=True)
class Section:
    theme: str
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Digest:
    """What a week's digest says: its stories by theme, the intro, and whether a curator chose them."""

    week: Week
    path: Path
    illustrative: bool
    uncurated: bool
    intro: dict[str, str]
    sections: tuple[Section, ...]

    @property
    def items(self) -> tuple[Item, ...]:
        return tuple(i for s in self.sections for i in s.items)


def _item(entry: Entry) -> Item:
    sources = []
    for name in entry.sources:
        member = next((m for m in entry.also if m.source == name and m.link), None)
        sources.append(Source(name, member.link if member else entry.link))
    return Item(entry.id, entry.title, entry.link, entry.language, entry.date, tuple(sources), entry.notes, entry.line)


def digest_of(sheet: Worksheet, auto_top: int) -> Digest | None:
    """The week's digest: the kept entries, in the worksheet's order under its themes; None if nothing goes out.

    A week that nobody curated (no `keep:` decided) publishes its `auto_top` best-scored
    entries, marked as uncurated; a curated week with nothing kept publishes nothing.
    """
    chosen = list(sheet.kept)
    uncurated = False
    if not chosen and not sheet.curated and auto_top:
        ranked = sorted(sheet.entries, key=lambda e: -(e.score or 0.0))
        top = {e.id for e in ranked[:auto_top]}
        chosen = [e for e in sheet.entries if e.id in top]
        uncurated = True
    if not chosen:
        return None
    sections: dict[str, list[Item]] = {}
    for entry in chosen:
        sections.setdefault(entry.group, []).append(_item(entry))
    return Digest(sheet.week, sheet.path, sheet.illustrative, uncurated, sheet.intro,
                  tuple(Section(theme, tuple(items)) for theme, items in sections.items()))


def pick(texts: dict[str, str], lang: str, languages: list[str]) -> tuple[str, str] | None:
    """The text in `lang`, else in the first other language that has one: (text, its language)."""
    if texts.get(lang):
        return texts[lang], lang
    for other in languages:
        if texts.get(other):
            return texts[other], other
    return None


# ---------------------------------------------------------------- addresses and dates


def page_path(lang: str, week: Week) -> str:
    return f"{lang}/watch/{week}/index.html"


def page_url(ctx: RenderContext, lang: str, week: Week) -> str:
    return f"{ctx.project.config.base_url}{lang}/watch/{week}/"


def week_span(week: Week, lang: str) -> str:
    """`23–29 novembre 2026`, `23–29 november 2026`, `November 23 – 29, 2026`."""
    return format_interval(week.monday, week.sunday, skeleton="yMMMMd", locale=locale_of(lang))


def title_of(ctx: RenderContext, digest: Digest, lang: str) -> str:
    labels = ctx.labels[lang]
    return labels["digest_title"].replace("{week}", str(digest.week.number)).replace(
        "{span}", week_span(digest.week, lang))


# ---------------------------------------------------------------- what the templates show


def _tag(language: str) -> str:
    return f"[{language.upper()}]"


def view(ctx: RenderContext, digest: Digest, lang: str) -> dict[str, Any]:
    """The digest in one language, as the HTML templates show it (texts still to be escaped)."""
    labels, languages = ctx.labels[lang], ctx.languages
    sections = []
    for section in digest.sections:
        theme = ctx.themes.get(section.theme)
        label = theme.label(lang) if theme else labels["digest_other"] if section.theme == UNTHEMED else section.theme
        items = []
        for item in section.items:
            other = item.language and item.language.split("-")[0].lower() != lang
            note = pick(item.notes, lang, languages)
            items.append({
                "title": typeset(item.title, item.language or lang), "link": item.link,
                "lang": item.language if other else None, "tag": _tag(item.language) if other else None,
                "sources": item.sources,
                "date": format_date(item.date, lang) if item.date else None,
                "datetime": item.date.isoformat() if item.date else None,
                "note": typeset(note[0], note[1]) if note else None,
                "note_lang": note[1] if note and note[1] != lang else None,
                "note_tag": _tag(note[1]) if note and note[1] != lang else None,
            })
        sections.append({"label": label, "stories": items})
    intro = pick(digest.intro, lang, languages)
    return {
        "title": typeset(title_of(ctx, digest, lang), lang),
        "week": str(digest.week), "span": week_span(digest.week, lang), "sections": sections,
        "intro": typeset(intro[0], intro[1]) if intro else None,
        "intro_lang": intro[1] if intro and intro[1] != lang else None,
        "intro_tag": _tag(intro[1]) if intro and intro[1] != lang else None,
        "uncurated": digest.uncurated, "illustrative": digest.illustrative,
        "count": len(digest.items), "monday": digest.week.monday,
    }


def _render(ctx: RenderContext, name: str, source: str, **context: Any) -> str:
    try:
        return ctx.env.get_template(name).render(config=ctx.project.config, brand=ctx.project.config.brand,
                                                 **context)
    except Exception as exc:  # a template bug: name the layout, not a traceback
        raise RenderError(source, f"layouts/{name} failed: {type(exc).__name__}: {exc}") from None


def _alternates(ctx: RenderContext, lang: str, url: Callable[[str], str]) -> list[tuple[str, None, str, str]]:
    return [(other, None, url(other), ctx.labels[other]["language_name"]) for other in ctx.languages if other != lang]


def render_page(ctx: RenderContext, digest: Digest, lang: str) -> bytes:
    """The week's digest on the web, in one language."""
    root = "../../../"
    source = ctx.project.relative(digest.path)
    v = view(ctx, digest, lang)
    content = _render(ctx, "digest/content.html", source, lang=lang, labels=ctx.labels[lang], d=v)
    return _render(
        ctx, "digest/page.html", source, lang=lang, labels=ctx.labels[lang], root=root, d=v,
        content=Markup(content), url=page_url(ctx, lang, digest.week),
        alternates=_alternates(ctx, lang, lambda other: page_url(ctx, other, digest.week)),
        feed_url=f"{ctx.project.config.base_url}{lang}/watch/feed.xml",
    ).encode("utf-8")


def render_index(ctx: RenderContext, lang: str, digests: list[Digest]) -> bytes:
    """Every published week in one language, newest first."""
    base = ctx.project.config.base_url
    weeks = [{"week": str(d.week), "title": typeset(title_of(ctx, d, lang), lang), "span": week_span(d.week, lang),
              "monday": d.week.monday, "count": len(d.items), "uncurated": d.uncurated} for d in digests]
    return _render(
        ctx, "digest/index.html", "content/watch/curation", lang=lang, labels=ctx.labels[lang], root="../../",
        weeks=weeks, url=f"{base}{lang}/watch/", feed_url=f"{base}{lang}/watch/feed.xml",
        alternates=_alternates(ctx, lang, lambda other: f"{base}{other}/watch/"),
    ).encode("utf-8")


def render_feed(ctx: RenderContext, lang: str, digests: list[Digest]) -> bytes:
    """The Atom feed (RFC 4287) of the weeks in one language, newest first."""
    config, labels = ctx.project.config, ctx.labels[lang]
    index = f"{config.base_url}{lang}/watch/"

    def stamp(week: Week) -> str:
        return atom.timestamp(week.sunday, time(18, 0))

    entries = [atom.Entry(id=url, title=typeset(title_of(ctx, digest, lang), lang), published=stamp(digest.week),
                          updated=stamp(digest.week), link=url,
                          content=_render(ctx, "digest/content.html", ctx.project.relative(digest.path), lang=lang,
                                          labels=labels, d=view(ctx, digest, lang)))
               for digest in digests for url in [page_url(ctx, lang, digest.week)]]
    return atom.feed(index, f"{config.organisation.short_name} – {labels['digest']}", lang,
                     stamp(max(d.week for d in digests)), entries, self_url=f"{index}feed.xml", alternate=index,
                     author=config.organisation.name_in(lang), author_uri=config.organisation.website)


# ---------------------------------------------------------------- Markdown


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")


def md(text: str) -> str:
    """Text as Markdown that shows it literally."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def render_markdown(ctx: RenderContext, digest: Digest, lang: str) -> str:
    """The digest as Markdown: headings per theme, one list item per story."""
    labels, v = ctx.labels[lang], view(ctx, digest, lang)
    colon = labels["colon"]
    out = [f"# {md(v['title'])}", "", f"*{md(v['span'])}*", ""]
    if digest.illustrative:
        out += [f"*{md(labels['digest_illustrative_notice'])}*", ""]
    if digest.uncurated:
        out += [f"*{md(labels['digest_uncurated'])}*", ""]
    if v["intro"]:
        if v["intro_tag"]:
            out += [f"*{md(labels['digest_not_translated'])}* {v['intro_tag']}", ""]
        out += [md(v["intro"]), ""]
    for section in v["sections"]:
        out += [f"## {md(section['label'])}", ""]
        for item in section["stories"]:
            title = f"[{md(item['title'])}]({item['link']})" if item["link"] else md(item["title"])
            tag = f" {item['tag']}" if item["tag"] else ""
            meta = ", ".join(md(s.name) for s in item["sources"])
            if item["date"]:
                meta = f"{meta} · {item['date']}" if meta else item["date"]
            out.append(f"- **{title}**{tag}  ")
            out.append(f"  {meta}" + ("  " if item["note"] else ""))
            if item["note"]:
                prefix = f"*{md(labels['digest_not_translated'])}* {item['note_tag']} " if item["note_tag"] else ""
                out.append(f"  {prefix}{md(item['note'])}")
        out.append("")
    out += ["---", "", f"{md(labels['digest_online'])}{colon} {page_url(ctx, lang, digest.week)}", ""]
    return "\n".join(out)


# ---------------------------------------------------------------- email


@dataclass(frozen=True)
class Email:
    mjml: str
    html: str
    text: str


def render_mjml_source(ctx: RenderContext, digest: Digest, lang: str) -> str:
    """The MJML of the week's email: `layouts/digest/digest.mjml`, built from the newsletter's parts."""
    href = Links.for_web(ctx)
    config = ctx.project.config
    v = view(ctx, digest, lang)
    return _render(
        ctx, "digest/digest.mjml", ctx.project.relative(digest.path), lang=lang, labels=ctx.labels[lang], d=v,
        merge=MERGE_FIELDS, archive_url=page_url(ctx, lang, digest.week), logo_url=logo_url(ctx),
        website=href(config.organisation.website), styles=email_styles(ctx), preheader=preheader(ctx, digest, lang),
    )


def preheader(ctx: RenderContext, digest: Digest, lang: str) -> str:
    """The line mail clients show after the subject: the first stories' titles."""
    titles = " · ".join(typeset(i.title, i.language or lang) for i in digest.items[:3])
    return titles if len(titles) <= 140 else titles[:139].rstrip() + "…"


def render_text(ctx: RenderContext, digest: Digest, lang: str) -> str:
    """The plain-text part: the same content as the HTML, at 72 columns, links as numbered references."""
    labels, config, v = ctx.labels[lang], ctx.project.config, view(ctx, digest, lang)
    colon, refs = labels["colon"], LinkRefs()
    out = [f"{config.organisation.short_name} · {labels['digest']} · {v['span']}", "", *underline(v["title"], "=")]
    out += ["", f"{labels['digest_view_online']}{colon} [{refs.number(page_url(ctx, lang, digest.week))}]"]
    if digest.illustrative:
        out += ["", *wrap(labels["digest_illustrative_notice"])]
    if digest.uncurated:
        out += ["", *wrap(labels["digest_uncurated"])]
    if v["intro"]:
        lead = f"{labels['digest_not_translated']} {v['intro_tag']} " if v["intro_tag"] else ""
        out += ["", *wrap(lead + v["intro"])]
    for section in v["sections"]:
        out += ["", "", *underline(section["label"].upper(), "-")]
        for item in section["stories"]:
            title = item["title"] + (f" {item['tag']}" if item["tag"] else "")
            if item["link"]:
                title += f" [{refs.number(item['link'])}]"
            meta = ", ".join(s.name for s in item["sources"])
            if item["date"]:
                meta = f"{meta} · {item['date']}" if meta else item["date"]
            out += ["", *wrap(title, first="* ", rest="  "), *wrap(meta, first="  ")]
            if item["note"]:
                lead = f"{labels['digest_not_translated']} {item['note_tag']} " if item["note_tag"] else ""
                out += wrap(lead + item["note"], first="  ")
    if refs.numbers:
        out += ["", "", *underline(labels["newsletter_links"], "-"), "", *refs.lines()]
    out += ["", "-- ", *wrap(config.organisation.name_in(lang)), config.organisation.contact,
            *wrap(labels["digest_reason"]),
            f"{labels['newsletter_unsubscribe']}{colon} {MERGE_FIELDS['unsubscribe_url']}"]
    # "-- " (with its space) is the signature separator that mail clients recognise.
    return "\n".join(line if line == "-- " else line.rstrip() for line in out) + "\n"


def render_email(ctx: RenderContext, digest: Digest, lang: str) -> Email:
    """MJML, HTML and text part of the week's email in one language; a broken email rule is a `RenderError`."""
    source = ctx.project.relative(digest.path)
    mjml = render_mjml_source(ctx, digest, lang)
    html = render_mjml(mjml, source)
    text = render_text(ctx, digest, lang)
    links = Links.for_web(ctx)
    rules = EmailRules(lang=lang, preheader=preheader(ctx, digest, lang),
                       merge_fields=(MERGE_FIELDS["unsubscribe_url"],), own_hosts=links.own_hosts)
    problems = check_email(html, text, rules)
    if problems:
        listed = "\n".join(f"  - {p}" for p in problems)
        raise RenderError(source, f"the {lang} email breaks {len(problems)} rule(s):\n{listed}")
    return Email(mjml, html, text)


class _Emails:
    """Renders a week's email once per language, shared by its .html and .txt targets."""

    def __init__(self, ctx: RenderContext, digest: Digest):
        self.ctx, self.digest = ctx, digest
        self._lock = threading.Lock()
        self._done: dict[str, Email | CrebisError] = {}

    def part(self, lang: str, name: str) -> bytes:
        with self._lock:
            if lang not in self._done:
                try:
                    self._done[lang] = render_email(self.ctx, self.digest, lang)
                except CrebisError as exc:
                    self._done[lang] = exc
            done = self._done[lang]
        if isinstance(done, CrebisError):
            if name == "html":
                raise done
            raise RenderError(self.ctx.project.relative(self.digest.path), "not built: the email has problems "
                              "(reported for its .html)")
        return getattr(done, name).encode("utf-8")


# ---------------------------------------------------------------- targets


@dataclass
class Loaded:
    """The worksheets of the project: digests to publish, weeks with nothing kept, files with errors."""

    digests: list[Digest] = field(default_factory=list)
    empty: list[Worksheet] = field(default_factory=list)
    failed: dict[Path, ContentErrors] = field(default_factory=dict)


def load_digests(ctx: RenderContext) -> Loaded:
    """Read every worksheet of content/watch/curation/."""
    loaded = Loaded()
    directory = curation_dir(ctx.project)
    auto_top = ctx.project.config.watch.digest.auto_top
    for path in sorted(directory.glob("*.yaml")) if directory.is_dir() else ():
        try:
            sheet = read_worksheet(path, ctx.languages, shown=ctx.project.relative(path))
        except ContentErrors as exc:
            loaded.failed[path] = exc
            continue
        digest = digest_of(sheet, auto_top)
        if digest is None:
            loaded.empty.append(sheet)
        else:
            loaded.digests.append(digest)
    loaded.digests.sort(key=lambda d: d.week, reverse=True)
    return loaded


def gone_from_store(ctx: RenderContext, digests: list[Digest]) -> dict[str, list[Item]]:
    """Published items the watch store no longer holds, by worksheet; nothing when there is no store."""
    if not (ctx.project.state_dir / STORE_FILE).exists():
        return {}
    ids = [i.id for d in digests for i in d.items]
    with open_store(ctx.project.state_dir) as store:
        known = store.existing_ids(ids)
    gone: dict[str, list[Item]] = {}
    for digest in digests:
        missing = [i for i in digest.items if i.id not in known]
        if missing:
            gone[ctx.project.relative(digest.path)] = missing
    return gone


def _fail(error: CrebisError) -> Callable[[], bytes]:
    def render() -> bytes:
        raise error
    return render


def _with_warnings(render: Callable[[], bytes], warnings: list[str]) -> Callable[[], Rendered]:
    return lambda: Rendered(render(), tuple(warnings))


def digest_targets(ctx: RenderContext, drafts: bool) -> list[Target]:
    """Every output of the digests: per week and language a page, Markdown, email and text; archive and feed."""
    loaded = load_digests(ctx)
    if not (loaded.digests or loaded.empty or loaded.failed):
        return []  # no worksheet yet: no archive, no feed
    layouts = ctx.layout_files("digest")
    newsletter_parts = tuple(p for p in ctx.layout_files("newsletter") if p.suffix == ".mjml")
    site_layouts = tuple(p for p in ctx.layout_files("site") if p.name == "base.html")
    themes_file = ctx.project.path(ctx.project.config.watch.themes)
    config = ctx.config_slice("organisation", "brand", "newsletter", "watch")
    targets: list[Target] = []
    for path, errors in loaded.failed.items():
        week = path.stem
        outputs = [f"site/{lang}/watch/{week}/index.html" for lang in ctx.languages]
        outputs += [f"digests/{week}/{lang}.{ext}" for lang in ctx.languages for ext in ("md", "html", "txt")]
        skipped = RenderError(ctx.project.relative(path), "not built: fix the errors of this worksheet")
        for i, output in enumerate(outputs):
            targets.append(Target(output=output, kind=KIND, source=path, render=_fail(errors if i == 0 else skipped),
                                  data={"failed": str(errors)}))
    gone = gone_from_store(ctx, loaded.digests)
    for digest in loaded.digests:
        shown = ctx.project.relative(digest.path)
        warnings = [f"{shown}:{i.line}: kept item {i.id} “{i.title}” is no longer in the watch store: published "
                    "from the worksheet's copy" for i in gone.get(shown, [])]
        emails = _Emails(ctx, digest)
        data = {"config": config, "mjml": mjml_version(), "gone": [i.id for i in gone.get(shown, [])]}
        for n, lang in enumerate(ctx.languages):
            inputs = (digest.path, ctx.label_file(lang), themes_file, *layouts)
            page = lambda d=digest, lang=lang: render_page(ctx, d, lang)  # noqa: E731
            targets.append(Target(
                output=f"site/{page_path(lang, digest.week)}", kind=KIND, lang=lang, source=digest.path,
                render=_with_warnings(page, warnings if n == 0 else []), inputs=(*inputs, *site_layouts), data=data,
            ))
            base = f"digests/{digest.week}/{lang}"
            targets.append(Target(
                output=f"{base}.md", kind=KIND, lang=lang, source=digest.path, inputs=inputs, data=data,
                render=lambda d=digest, lang=lang: render_markdown(ctx, d, lang).encode("utf-8"),
            ))
            for ext, part in (("html", "html"), ("txt", "text")):
                targets.append(Target(
                    output=f"{base}.{ext}", kind=KIND, lang=lang, source=digest.path,
                    inputs=(*inputs, *newsletter_parts), data=data,
                    render=lambda m=emails, lang=lang, p=part: m.part(lang, p),
                ))
    empty = [f"{ctx.project.relative(s.path)}: nothing kept in {s.week}: no digest published (set keep: true "
             "on the stories to send)" for s in loaded.empty]
    summary = [(str(d.week), d.uncurated, len(d.items)) for d in loaded.digests]
    for n, lang in enumerate(ctx.languages):
        inputs = (ctx.label_file(lang), *layouts, *site_layouts, *(d.path for d in loaded.digests))
        targets.append(Target(
            output=f"site/{lang}/watch/index.html", kind=KIND, lang=lang, source=curation_dir(ctx.project),
            render=_with_warnings(lambda lang=lang: render_index(ctx, lang, loaded.digests), empty if n == 0 else []),
            inputs=inputs, data={"config": config, "weeks": summary, "empty": empty},
        ))
        if loaded.digests:
            targets.append(Target(
                output=f"site/{lang}/watch/feed.xml", kind=KIND, lang=lang, source=curation_dir(ctx.project),
                render=lambda lang=lang: render_feed(ctx, lang, loaded.digests), inputs=inputs,
                data={"config": config, "weeks": summary},
            ))
    if loaded.digests and not ctx.has_newsletters:  # the newsletter publishes the email logo otherwise
        logo = ctx.project.path(ctx.project.config.newsletter.logo)
        targets.append(Target(output=f"site/assets/newsletter/{logo.name}", kind=KIND, source=logo,
                              render=lambda: read_logo(ctx, logo), inputs=(logo,)))
    return targets
