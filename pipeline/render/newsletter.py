"""Newsletter issues: the email (HTML, text, .eml preview) and the web archive with its Atom feed.

outputs/
  newsletters/<YYYY-MM>/<lang>.html               the email, MJML rendered by mjml-python
  newsletters/<YYYY-MM>/<lang>.txt                its plain-text part, 72 columns, numbered links
  newsletters/<YYYY-MM>/<lang>.eml                a multipart/alternative preview of the message
  site/<lang>/newsletters/<YYYY-MM>/index.html    the issue on the web
  site/<lang>/newsletters/index.html              the archive
  site/<lang>/newsletters/feed.xml                the Atom feed of issues
  site/assets/newsletter/<logo>                   the email logo (emails need an absolute image URL)
  site/media/newsletters/<YYYY-MM>/<slug>/<chart>.<lang>.png   a featured result's chart, PNG at 2x its width
                                                                in the email, palette colours

Every Markdown field of an edition goes through pandoc once, to its AST; the
HTML writer below and `plaintext.TextWriter` both walk that AST, so the HTML
and the text part say the same thing and number the same links.
"""

from __future__ import annotations

import dataclasses
import datetime
import email.policy
import hashlib
import html as htmllib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import yaml
from markupsafe import Markup

from pipeline.build import Target
from pipeline.content.model import Figure
from pipeline.content.newsletter import Featured, LoadedNewsletters, Newsletter, NewsletterEdition, load_newsletters
from pipeline.errors import ContentError, ContentErrors, CrebisError, RenderError
from pipeline.render import atom
from pipeline.render.charts import svg_size
from pipeline.render.context import RenderContext
from pipeline.render.email_images import email_png, shown_size
from pipeline.render.email_quality import EmailRules, check_email
from pipeline.render.figures import chart_files, chart_name, chart_source, summary_chart, text_table
from pipeline.render.locale import format_date
from pipeline.render.mjml import mjml_version, render_mjml
from pipeline.render.pandoc import convert as pandoc_convert
from pipeline.render.plaintext import QUOTES, WIDTH, LinkRefs, TextWriter, underline, wrap
from pipeline.render.site import page_url
from pipeline.render.typography import typeset

KIND = "newsletter"
# Placeholders left for the sending step, which fills them in per recipient.
MERGE_FIELDS = {"recipient_name": "[[recipient_name]]", "unsubscribe_url": "[[unsubscribe_url]]",
                "preferences_url": "[[preferences_url]]"}
Node = dict[str, Any]


def newsletters_dir(ctx: RenderContext) -> Path:
    return ctx.project.content_dir / "newsletters"


def archive_path(lang: str, issue: str) -> str:
    return f"{lang}/newsletters/{issue}/index.html"


def archive_url(ctx: RenderContext, lang: str, issue: str) -> str:
    return f"{ctx.project.config.base_url}{lang}/newsletters/{issue}/"


def logo_url(ctx: RenderContext) -> str:
    return f"{ctx.project.config.base_url}assets/newsletter/{Path(ctx.project.config.newsletter.logo).name}"


def media_url(ctx: RenderContext, issue: str, file: str) -> str:
    return f"{ctx.project.config.base_url}media/newsletters/{issue}/{file}"


def featured_chart(featured: Featured) -> Figure | None:
    """The chart an issue shows with a featured result: the one its summary shows (`figures.summary_chart`)."""
    return summary_chart(featured.edition)


def chart_file(featured: Featured, figure: Figure) -> str:
    """Where a featured result's chart is published for the issue, under the issue's media folder."""
    return f"{featured.slug}/{chart_name(figure, featured.edition.lang, 'png')}"


def email_drawing(ctx: RenderContext, featured: Featured, figure: Figure) -> Path:
    """The drawing an email's chart is made from, the narrow one: a phone shows it with no text under 11 px."""
    return chart_files(ctx, featured.edition, figure)["narrow_print"]


def _email_chart(ctx: RenderContext, edition: NewsletterEdition, featured: Featured) -> dict[str, Any] | None:
    """A featured result's chart as the email shows it: its PNG (`email_images.email_png`) from the site's own
    address (as every image of the email), with the alt text and caption of the issue's language, its size
    given so a message read with images blocked keeps its layout."""
    figure = featured_chart(featured)
    if figure is None:
        return None
    width, height = shown_size(email_drawing(ctx, featured, figure).read_bytes())
    wide_width, wide_height = svg_size(chart_files(ctx, featured.edition, figure)["svg"].read_bytes())
    lang, published = edition.lang, f"media/{featured.slug}/{chart_name(figure, featured.edition.lang, '')}"
    return {"src": media_url(ctx, edition.issue, chart_file(featured, figure)),
            # the web archive: the result page's drawings, narrow on a phone and wide on a larger screen; the
            # email's PNG where a reader (a feed's) drops the sources
            "file": f"media/newsletters/{edition.issue}/{chart_file(featured, figure)}",
            "narrow": f"{published}narrow.svg", "wide": f"{published}svg",
            "wide_width": round(wide_width), "wide_height": round(wide_height),
            "alt": typeset(figure.alt, lang), "caption": typeset(figure.caption, lang),
            "width": width, "height": height}


# ---------------------------------------------------------------- links


@dataclass(frozen=True)
class Links:
    """Makes every address of an edition absolute, and adds UTM parameters to the centre's own links."""

    base_url: str
    own_hosts: tuple[str, ...]
    utm: dict[str, str]

    @classmethod
    def for_email(cls, ctx: RenderContext, edition: NewsletterEdition) -> Links:
        config = ctx.project.config
        options = config.newsletter
        utm = {}
        if options.utm_source:
            for key in ("utm_source", "utm_medium", "utm_campaign"):
                value = getattr(options, key).replace("{issue}", edition.issue).replace("{lang}", edition.lang)
                if value:
                    utm[key] = value
        return cls(config.base_url, _own_hosts(ctx), utm)

    @classmethod
    def for_web(cls, ctx: RenderContext) -> Links:
        return cls(ctx.project.config.base_url, _own_hosts(ctx), {})

    def __call__(self, url: str) -> str:
        if url in MERGE_FIELDS.values() or url.startswith(("mailto:", "tel:")):
            return url
        absolute = urljoin(self.base_url, url)
        parts = urlsplit(absolute)
        if not self.utm or parts.hostname not in self.own_hosts:
            return absolute
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in self.utm]
        return urlunsplit(parts._replace(query=urlencode([*query, *self.utm.items()])))


def _own_hosts(ctx: RenderContext) -> tuple[str, ...]:
    config = ctx.project.config
    hosts = {urlsplit(config.base_url).hostname, urlsplit(config.organisation.website).hostname}
    return tuple(sorted(h for h in hosts if h))


# ---------------------------------------------------------------- Markdown fields through pandoc


@dataclass(frozen=True)
class Converted:
    """The pandoc AST of every Markdown field of an edition: the editorial and the texts of the front matter."""

    body: list[Node]
    fields: dict[str, Node]


def _markdown_fields(edition: NewsletterEdition) -> dict[str, str]:
    fields = {}
    for i, f in enumerate(edition.featured):
        fields |= {f"featured{i}title": f.edition.title, f"featured{i}summary": f.edition.summary,
                   f"featured{i}finding": f.finding}
    for i, e in enumerate(edition.events):
        fields |= {f"event{i}title": e.title, f"event{i}place": e.place}
    for i, h in enumerate(edition.highlights):
        fields |= {f"watch{i}title": h.title, f"watch{i}note": h.note, f"watch{i}source": h.source}
    if edition.cta:
        fields |= {"ctatext": edition.cta.text, "ctalabel": edition.cta.label}
    return fields


def convert(ctx: RenderContext, edition: NewsletterEdition) -> Converted:
    """One pandoc run over an edition: the editorial and every text field of the front matter, as AST."""
    fields = _markdown_fields(edition)
    front = yaml.safe_dump(fields, allow_unicode=True, width=10_000) if fields else ""
    text = f"---\n{front}---\n\n{edition.body}" if fields else edition.body
    out = pandoc_convert(text, "json", ctx.project.relative(edition.path), from_format="markdown-implicit_figures",
                         metadata={"lang": edition.lang})
    ast = json.loads(out)
    return Converted(ast["blocks"], ast.get("meta", {}))


# ---------------------------------------------------------------- HTML from the AST


class HtmlWriter:
    """Writes pandoc AST nodes as HTML; in an email every element carries its own inline style."""

    def __init__(self, lang: str, href: Callable[[str], str], image_url: Callable[[str], str],
                 styles: dict[str, str] | None = None, source: str | None = None):
        self.lang, self.href, self.image_url, self.source = lang, href, image_url, source
        self.styles = styles or {}
        self.quotes = QUOTES.get(lang, QUOTES["en"])

    def _open(self, tag: str, attrs: str = "") -> str:
        style = self.styles.get(tag)
        return f'<{tag}{attrs} style="{style}">' if style else f"<{tag}{attrs}>"

    def inlines(self, nodes: list[Node]) -> str:
        return "".join(self._inline(n) for n in nodes)

    def _inline(self, n: Node) -> str:
        t, c = n["t"], n.get("c")
        tags = {"Emph": "em", "Strong": "strong", "Underline": "u", "Strikeout": "s", "Superscript": "sup",
                "Subscript": "sub", "SmallCaps": "span"}
        if t == "Str":
            return htmllib.escape(c, quote=False)
        if t in ("Space", "SoftBreak"):
            return " "
        if t == "LineBreak":
            return "<br>"
        if t in tags:
            return f"{self._open(tags[t])}{self.inlines(c)}</{tags[t]}>"
        if t == "Span":
            return self.inlines(c[1])
        if t == "Quoted":
            opening, closing = self.quotes[0 if c[0]["t"] == "DoubleQuote" else 1]
            return f"{opening}{self.inlines(c[1])}{closing}"
        if t in ("Code", "Math"):
            return f"{self._open('code')}{htmllib.escape(c[1], quote=False)}</code>"
        if t == "Cite":
            return self.inlines(c[1])
        if t == "Link":
            attrs = f' href="{htmllib.escape(self.href(c[2][0]))}"'
            return f"{self._open('a', attrs)}{self.inlines(c[1])}</a>"
        if t == "Image":
            alt = htmllib.escape(TextWriter(self.lang, LinkRefs(), self.href).inlines(c[1]))
            src = htmllib.escape(self.image_url(c[2][0]))
            return self._open("img", f' src="{src}" alt="{alt}"')
        if t == "RawInline":
            return ""
        raise RenderError(self.source, f"{t} is not supported in a newsletter: remove it from the text")

    def blocks(self, nodes: list[Node]) -> str:
        return "\n".join(self._block(n) for n in nodes)

    def _block(self, n: Node) -> str:
        t, c = n["t"], n.get("c")
        if t == "Para":
            return f"{self._open('p')}{self.inlines(c)}</p>"
        if t == "Plain":
            return self.inlines(c)
        if t == "Header":
            tag = f"h{min(c[0], 6)}"
            return f"{self._open(tag)}{self.inlines(c[2])}</{tag}>"
        if t == "BulletList":
            return self._list("ul", c)
        if t == "OrderedList":
            start = c[0][0]
            return self._list("ol", c[1], f' start="{start}"' if start != 1 else "")
        if t == "BlockQuote":
            return f"{self._open('blockquote')}{self.blocks(c)}</blockquote>"
        if t == "Div":
            return self.blocks(c[1])
        if t == "LineBlock":
            return f"{self._open('p')}{'<br>'.join(self.inlines(line) for line in c)}</p>"
        if t == "CodeBlock":
            return f"{self._open('pre')}{htmllib.escape(c[1], quote=False)}</pre>"
        if t == "HorizontalRule":
            return self._open("hr")
        if t == "RawBlock":
            return ""
        what = {"Table": "tables", "Figure": "figures", "DefinitionList": "definition lists"}.get(t, t)
        raise RenderError(self.source, f"{what} are not supported in a newsletter: write the text as "
                          "paragraphs or lists")

    def _list(self, tag: str, items: list[list[Node]], attrs: str = "") -> str:
        lis = "".join(f"{self._open('li')}{self.blocks(blocks)}</li>" for blocks in items)
        return f"{self._open(tag, attrs)}{lis}</{tag}>"

    def meta(self, value: Node | None) -> Markup:
        """A converted front matter field: inline HTML, or block HTML if it has several paragraphs."""
        if value is None:
            return Markup("")
        if value["t"] == "MetaBlocks":
            return Markup(self.blocks(value["c"]))
        if value["t"] == "MetaInlines":
            return Markup(self.inlines(value["c"]))
        return Markup(htmllib.escape(str(value.get("c", "")), quote=False))


def email_font(stack: str) -> Markup:
    """A font stack as an email's inline styles take it, written out in every styled element: its names in
    single quotes (MRML writes a double quote inside an attribute as `&#34;`), no space after the commas."""
    return Markup(htmllib.escape(",".join(name.strip().replace('"', "'") for name in stack.split(",")), quote=False))


def email_styles(ctx: RenderContext) -> dict[str, str]:
    """Inline styles of the editorial's elements in the email: brand colours and fonts from crebis.toml.

    `font` and `heading_font` are the font stacks (the layout's defaults); `heading` starts the style of
    every heading. They are markup, for a template's `style` attributes to take as they are.
    """
    brand = ctx.project.config.brand
    heading_font = email_font(brand.font_heading)
    heading = Markup(f"font-family:{heading_font};color:{brand.primary};line-height:1.3;")
    return {
        "font": email_font(brand.font_body),
        "heading_font": heading_font,
        "heading": heading,
        "p": "margin:0 0 16px;",
        "a": f"color:{brand.primary};text-decoration:underline;",
        "h2": heading + "font-size:22px;margin:28px 0 10px;",
        "h3": heading + "font-size:19px;margin:24px 0 8px;",
        "h4": heading + "font-size:17px;margin:20px 0 8px;",
        "ul": "margin:0 0 16px;padding:0 0 0 24px;",
        "ol": "margin:0 0 16px;padding:0 0 0 24px;",
        "li": "margin:0 0 6px;",
        "blockquote": f"margin:0 0 16px;padding:2px 0 2px 16px;border-left:4px solid {brand.accent};",
        "img": "display:block;max-width:100%;height:auto;border:0;",
        "code": "font-family:Consolas,Menlo,monospace;font-size:90%;",
        "pre": "font-family:Consolas,Menlo,monospace;font-size:14px;white-space:pre-wrap;margin:0 0 16px;",
        "hr": f"border:0;border-top:1px solid {brand.primary};margin:24px 0;",
    }


# ---------------------------------------------------------------- one edition, rendered once


@dataclass(frozen=True)
class Parts:
    """What the templates show of an edition: each text field as HTML, plus addresses."""

    body: Markup
    featured: list[dict[str, Any]]
    events: list[dict[str, Any]]
    highlights: list[dict[str, Any]]
    cta: dict[str, Any] | None


def _parts(ctx: RenderContext, edition: NewsletterEdition, converted: Converted, writer: HtmlWriter,
           href: Callable[[str], str]) -> Parts:
    f = converted.fields
    featured = [{"slug": x.slug, "title": writer.meta(f.get(f"featured{i}title")),
                 "summary": writer.meta(f.get(f"featured{i}summary")),
                 "finding": writer.meta(f.get(f"featured{i}finding")),
                 "url": href(page_url(ctx, edition.lang, x.slug)), "illustrative": x.edition.illustrative,
                 "chart": _email_chart(ctx, edition, x)}
                for i, x in enumerate(edition.featured)]
    events = [{"title": writer.meta(f.get(f"event{i}title")), "place": writer.meta(f.get(f"event{i}place")),
               "date": e.date, "time": e.time, "url": href(e.link) if e.link else None}
              for i, e in enumerate(edition.events)]
    highlights = [{"title": writer.meta(f.get(f"watch{i}title")), "source": writer.meta(f.get(f"watch{i}source")),
                   "note": writer.meta(f.get(f"watch{i}note")), "url": href(h.link)}
                  for i, h in enumerate(edition.highlights)]
    cta = ({"text": writer.meta(f.get("ctatext")), "label": writer.meta(f.get("ctalabel")),
            "url": href(edition.cta.link)} if edition.cta else None)
    return Parts(Markup(writer.blocks(converted.body)), featured, events, highlights, cta)


@dataclass(frozen=True)
class Email:
    mjml: str
    html: str
    text: str
    eml: bytes


class _Edition:
    """Renders one edition at most once per build, shared by its targets across worker threads."""

    def __init__(self, ctx: RenderContext, edition: NewsletterEdition):
        self.ctx, self.edition = ctx, edition
        self._lock = threading.Lock()
        self._converted: Converted | None = None
        self._email: Email | CrebisError | None = None

    def converted(self) -> Converted:
        with self._lock:
            if self._converted is None:
                self._converted = convert(self.ctx, self.edition)
            return self._converted

    def email(self) -> Email:
        converted = self.converted()
        with self._lock:
            if self._email is None:
                try:
                    self._email = render_email(self.ctx, self.edition, converted)
                except CrebisError as exc:
                    self._email = exc
            if isinstance(self._email, CrebisError):
                raise self._email
            return self._email

    def part(self, name: str) -> bytes:
        """One part of the email: `html`, `text` or `eml`; a problem is reported in full for the HTML only."""
        try:
            email = self.email()
        except CrebisError:
            if name == "html":
                raise
            raise RenderError(self.ctx.project.relative(self.edition.path), "not built: the email has "
                              "problems (reported for its .html)") from None
        return _encode(getattr(email, name))


def _image_url(ctx: RenderContext, edition: NewsletterEdition) -> Callable[[str], str]:
    def url(src: str) -> str:
        return src if src.startswith(("https://", "http://")) else media_url(ctx, edition.issue, src)
    return url


def render_mjml_source(ctx: RenderContext, edition: NewsletterEdition, converted: Converted) -> str:
    """The MJML of an edition's email: `layouts/newsletter/issue.mjml` filled by jinja2."""
    href = Links.for_email(ctx, edition)
    source = ctx.project.relative(edition.path)
    writer = HtmlWriter(edition.lang, href, _image_url(ctx, edition), email_styles(ctx), source)
    config = ctx.project.config
    try:
        return ctx.env.get_template("newsletter/issue.mjml").render(
            config=config, brand=config.brand, lang=edition.lang, labels=ctx.labels[edition.lang],
            edition=edition, parts=_parts(ctx, edition, converted, writer, href), merge=MERGE_FIELDS,
            archive_url=href(archive_url(ctx, edition.lang, edition.issue)), logo_url=logo_url(ctx),
            website=href(config.organisation.website), styles=email_styles(ctx),
            subject=typeset(edition.subject, edition.lang),
        )
    except RenderError:
        raise
    except Exception as exc:  # a template bug: name the layout, not a traceback
        raise RenderError(source, f"layouts/newsletter/issue.mjml failed: {type(exc).__name__}: {exc}") from None


def render_text(ctx: RenderContext, edition: NewsletterEdition, converted: Converted) -> str:
    """The plain-text part: the same content as the HTML, at 72 columns, links as numbered references."""
    labels, config = ctx.labels[edition.lang], ctx.project.config
    href, refs = Links.for_email(ctx, edition), LinkRefs()
    w = TextWriter(edition.lang, refs, href, ctx.project.relative(edition.path))
    f = converted.fields
    colon = labels["colon"]
    month = format_date(edition.date, edition.lang, "LLLL yyyy")
    subject = typeset(edition.subject, edition.lang)
    out = [f"{config.organisation.short_name} · {labels['newsletter']} · {month}", "", *underline(subject, "=")]
    out += ["", f"{labels['newsletter_view_online']}{colon} "
            f"[{refs.number(href(archive_url(ctx, edition.lang, edition.issue)))}]"]
    if edition.illustrative:
        out += ["", *wrap(labels["newsletter_illustrative_notice"])]
    out += ["", labels["newsletter_greeting"].replace("{name}", MERGE_FIELDS["recipient_name"])]
    body = w.blocks(converted.body)
    if body:
        out += ["", *body]
    if edition.featured:
        out += ["", "", *underline(labels["newsletter_featured"].upper(), "-")]
        for i, item in enumerate(edition.featured):
            title = w.meta(f[f"featured{i}title"])
            number = refs.number(href(page_url(ctx, edition.lang, item.slug)))
            out += ["", *wrap(f"{' '.join(title)} [{number}]", first="* ", rest="  ")]
            out += ["", *w.meta(f[f"featured{i}summary"], "  ")]
            finding = " ".join(line.strip() for line in w.meta(f[f"featured{i}finding"]))
            out += ["", *wrap(f"{labels['newsletter_key_finding']}{colon} {finding}", first="  ")]
            if (figure := featured_chart(item)) is not None:
                out += ["", *wrap(typeset(figure.caption, edition.lang), first="  "),
                        "", *wrap(typeset(figure.alt, edition.lang), first="  "),
                        "", f"  {labels.get('chart_data', 'Chart data')}{colon}", "",
                        *(f"  {line}" for line in text_table(item.edition, figure, WIDTH - 2))]
    if edition.events:
        out += ["", "", *underline(labels["newsletter_events"].upper(), "-")]
        for i, event in enumerate(edition.events):
            when = format_date(event.date, edition.lang, "full") + (f", {event.time}" if event.time else "")
            title = " ".join(w.meta(f[f"event{i}title"]))
            if event.link:
                title += f" [{refs.number(href(event.link))}]"
            out += ["", *wrap(when, first="* ", rest="  "), *wrap(title, first="  "),
                    *wrap(" ".join(w.meta(f[f"event{i}place"])), first="  ")]
    if edition.highlights:
        out += ["", "", *underline(labels["newsletter_watch"].upper(), "-")]
        for i, highlight in enumerate(edition.highlights):
            title = " ".join(w.meta(f[f"watch{i}title"]))
            source = " ".join(w.meta(f[f"watch{i}source"]))
            out += ["", *wrap(f"{title} ({source}) [{refs.number(href(highlight.link))}]", first="* ", rest="  "),
                    *wrap(" ".join(w.meta(f[f"watch{i}note"])), first="  ")]
    if edition.cta:
        text, label = " ".join(w.meta(f["ctatext"])), " ".join(w.meta(f["ctalabel"]))
        out += ["", "", *wrap(text), *wrap(f"{label}{colon} [{refs.number(href(edition.cta.link))}]")]
    if refs.numbers:
        out += ["", "", *underline(labels["newsletter_links"], "-"), "", *refs.lines()]
    out += ["", "-- ", *wrap(config.organisation.name_in(edition.lang)), *wrap(config.mail.postal_address),
            config.organisation.contact, "", *wrap(labels["newsletter_reason"]),
            f"{labels['newsletter_preferences']}{colon} {MERGE_FIELDS['preferences_url']}",
            f"{labels['newsletter_unsubscribe']}{colon} {MERGE_FIELDS['unsubscribe_url']}"]
    # "-- " (with its space) is the signature separator that mail clients recognise.
    return "\n".join(line if line == "-- " else line.rstrip() for line in out) + "\n"


def build_eml(ctx: RenderContext, edition: NewsletterEdition, html: str, text: str) -> bytes:
    """A complete multipart/alternative message, text part first, for previewing in any mail client."""
    options = ctx.project.config.newsletter
    host = urlsplit(ctx.project.config.base_url).hostname or "crebis.example.org"
    message = EmailMessage(policy=email.policy.SMTP)
    message["Subject"] = typeset(edition.subject, edition.lang)  # the subject the sending step sends
    message["From"] = formataddr((options.sender_name, options.sender_address))
    if options.reply_to:
        message["Reply-To"] = options.reply_to
    message["Date"] = format_datetime(datetime.datetime.combine(edition.date, datetime.time(8, 0),
                                                                tzinfo=datetime.UTC))
    message["Message-ID"] = f"<newsletter-{edition.issue}-{edition.lang}@{host}>"
    message.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    message["Content-Language"] = edition.lang  # after the parts: setting content clears Content-* headers
    # A boundary derived from the content keeps rebuilds byte-identical.
    message.set_boundary(f"=_crebis_{hashlib.blake2b((text + html).encode(), digest_size=12).hexdigest()}")
    return message.as_bytes()


def email_rules(ctx: RenderContext, edition: NewsletterEdition) -> EmailRules:
    links = Links.for_email(ctx, edition)
    base_host = urlsplit(ctx.project.config.base_url).hostname or ""
    return EmailRules(lang=edition.lang, preheader=typeset(edition.preheader, edition.lang),
                      merge_fields=tuple(MERGE_FIELDS.values()),
                      utm=links.utm, own_hosts=links.own_hosts, resource_hosts=(base_host,))


def render_email(ctx: RenderContext, edition: NewsletterEdition, converted: Converted) -> Email:
    """MJML, HTML, text part and .eml of one edition; a broken email rule is a `RenderError`."""
    source = ctx.project.relative(edition.path)
    mjml = render_mjml_source(ctx, edition, converted)
    html = render_mjml(mjml, source)
    text = render_text(ctx, edition, converted)
    problems = check_email(html, text, email_rules(ctx, edition))
    if problems:
        listed = "\n".join(f"  - {p}" for p in problems)
        raise RenderError(source, f"the email breaks {len(problems)} rule(s):\n{listed}")
    return Email(mjml, html, text, build_eml(ctx, edition, html, text))


# ---------------------------------------------------------------- web archive


def _alternates(ctx: RenderContext, newsletter: Newsletter, lang: str) -> list[tuple[str, str, str, str]]:
    return [(e.lang, e.subject, archive_url(ctx, e.lang, newsletter.issue), ctx.labels[e.lang]["language_name"])
            for e in newsletter.editions if e.lang != lang]


def _issue_content(ctx: RenderContext, edition: NewsletterEdition, converted: Converted, root: str) -> str:
    """The issue as an HTML fragment, for its web page (root relative) and the feed (root absolute)."""
    href = Links.for_web(ctx)
    writer = HtmlWriter(edition.lang, href, _image_url(ctx, edition), source=ctx.project.relative(edition.path))
    return ctx.env.get_template("site/newsletter-issue.html").render(
        config=ctx.project.config, lang=edition.lang, labels=ctx.labels[edition.lang], root=root,
        edition=edition, parts=_parts(ctx, edition, converted, writer, href),
    )


def render_archive_page(ctx: RenderContext, newsletter: Newsletter, edition: NewsletterEdition,
                        converted: Converted) -> bytes:
    """The web page of one issue in one language."""
    root = "../../../"
    return ctx.env.get_template("site/newsletter.html").render(
        config=ctx.project.config, lang=edition.lang, labels=ctx.labels[edition.lang], root=root,
        edition=edition, content=Markup(_issue_content(ctx, edition, converted, root)),
        subject=typeset(edition.subject, edition.lang),
        url=archive_url(ctx, edition.lang, newsletter.issue), alternates=_alternates(ctx, newsletter, edition.lang),
        feed_url=f"{ctx.project.config.base_url}{edition.lang}/newsletters/feed.xml",
    ).encode("utf-8")


def render_archive_index(ctx: RenderContext, lang: str, editions: list[NewsletterEdition]) -> bytes:
    """Every issue in one language, newest first."""
    base = ctx.project.config.base_url
    return ctx.env.get_template("site/newsletter-index.html").render(
        config=ctx.project.config, lang=lang, labels=ctx.labels[lang], root="../../", editions=editions,
        url=f"{base}{lang}/newsletters/", feed_url=f"{base}{lang}/newsletters/feed.xml",
        alternates=[(other, None, f"{base}{other}/newsletters/", ctx.labels[other]["language_name"])
                    for other in ctx.languages if other != lang],
    ).encode("utf-8")


def render_feed(ctx: RenderContext, lang: str, editions: list[tuple[NewsletterEdition, _Edition]]) -> bytes:
    """The Atom feed (RFC 4287) of the issues in one language, newest first."""
    config, labels = ctx.project.config, ctx.labels[lang]
    index = f"{config.base_url}{lang}/newsletters/"
    entries = [atom.Entry(id=url, title=typeset(edition.subject, lang), published=atom.timestamp(edition.date),
                          updated=atom.timestamp(edition.date), link=url, summary=typeset(edition.preheader, lang),
                          content=_issue_content(ctx, edition, memo.converted(), config.base_url))
               for edition, memo in editions for url in [archive_url(ctx, lang, edition.issue)]]
    return atom.feed(index, f"{config.organisation.short_name} – {labels['newsletter']}", lang,
                     atom.timestamp(max((e.date for e, _ in editions), default=datetime.date(2000, 1, 1))), entries,
                     self_url=f"{index}feed.xml", alternate=index, author=config.organisation.name_in(lang),
                     author_uri=config.organisation.website)


# ---------------------------------------------------------------- targets


def _fail(message_or_errors: Exception) -> Callable[[], bytes]:
    def render() -> bytes:
        raise message_or_errors
    return render


def _edition_data(ctx: RenderContext, edition: NewsletterEdition) -> dict[str, Any]:
    """What an edition's outputs show besides its own file: featured results and the config."""
    return {
        "config": ctx.config_slice("organisation", "brand", "newsletter", "mail"),
        "mjml": mjml_version(),
        "featured": [(f.slug, f.edition.title, f.edition.summary, f.finding, f.edition.illustrative,
                      _chart_data(featured_chart(f))) for f in edition.featured],
    }


def _chart_data(figure: Figure | None) -> list[Any] | None:
    # what an issue shows of a featured chart besides its files (the alt text, caption and labels)
    return None if figure is None else [figure.file, figure.alt, figure.caption, sorted(figure.labels.items())]


def _featured_chart_inputs(edition: NewsletterEdition) -> tuple[Path, ...]:
    return tuple(p for f in edition.featured if (figure := featured_chart(f)) is not None
                 for p in chart_source(f.edition, figure).files)


def _error_targets(ctx: RenderContext, loaded: LoadedNewsletters) -> list[Target]:
    """Targets that fail with the content errors of each newsletter file, so the build reports them.

    They carry the names of the file's outputs, so earlier outputs are kept (not removed as stale).
    """
    targets = []
    for path, errors in loaded.failed.items():
        relative = [ContentError(ctx.project.relative(e.path), e.message, e.line) for e in errors]
        if path.is_dir():
            targets.append(Target(output=f"newsletters/{path.name}", kind=KIND, source=path,
                                  render=_fail(ContentErrors(relative)), broken=True))
            continue
        issue, lang = path.parent.name, path.stem
        outputs = [f"newsletters/{issue}/{lang}.{ext}" for ext in ("html", "txt", "eml")]
        if lang in ctx.languages:
            outputs.append(f"site/{archive_path(lang, issue)}")
        skipped = RenderError(ctx.project.relative(path),
                              "not built: fix the errors of this file (reported for its .html)")
        for i, output in enumerate(outputs):
            targets.append(Target(output=output, kind=KIND, source=path, lang=lang if lang in ctx.languages else None,
                                  render=_fail(ContentErrors(relative) if i == 0 else skipped),
                                  data={"failed": [str(e) for e in relative]}, broken=True))
    return targets


def newsletter_targets(ctx: RenderContext, drafts: bool) -> list[Target]:
    """Every output of the newsletters: emails, archive pages, archive indexes and feeds."""
    loaded = load_newsletters(newsletters_dir(ctx), ctx.languages, ctx.results, ctx.project.results_dir, drafts)
    layouts = ctx.layout_files("newsletter")
    site_layouts = tuple(p for p in ctx.layout_files("site") if p.name.startswith(("newsletter", "base")))
    targets = _error_targets(ctx, loaded)
    published: dict[str, list[tuple[NewsletterEdition, _Edition]]] = {lang: [] for lang in ctx.languages}
    for newsletter in loaded.newsletters:
        editions = [e for e in newsletter.editions if drafts or e.status == "published"]
        newsletter = dataclasses.replace(newsletter, editions=tuple(editions))  # no link to a draft sibling
        for edition in editions:
            memo = _Edition(ctx, edition)
            published[edition.lang].append((edition, memo))
            inputs = (edition.path, *(newsletter.directory / img for img in edition.images),
                      ctx.label_file(edition.lang), *_featured_chart_inputs(edition))
            data = _edition_data(ctx, edition)
            base = f"newsletters/{newsletter.issue}/{edition.lang}"
            for ext, part in (("html", "html"), ("txt", "text"), ("eml", "eml")):
                targets.append(Target(
                    output=f"{base}.{ext}", kind=KIND, lang=edition.lang, source=edition.path,
                    render=lambda m=memo, p=part: m.part(p),
                    inputs=(*inputs, *layouts), data=data, tools=("pandoc",),
                ))
            targets.append(Target(
                output=f"site/{archive_path(edition.lang, newsletter.issue)}", kind=KIND, lang=edition.lang,
                source=edition.path,
                render=lambda n=newsletter, e=edition, m=memo: render_archive_page(ctx, n, e, m.converted()),
                inputs=(*inputs, *site_layouts),
                data={**data, "siblings": [(e.lang, e.subject, ctx.labels[e.lang]["language_name"])
                                           for e in newsletter.editions]}, tools=("pandoc",),
            ))
            for featured in edition.featured:
                if (figure := featured_chart(featured)) is None:
                    continue
                media = f"site/media/newsletters/{newsletter.issue}"
                targets.append(Target(
                    output=f"{media}/{chart_file(featured, figure)}", kind=KIND, lang=edition.lang,
                    source=edition.path,
                    inputs=chart_source(featured.edition, figure).files,
                    render=lambda f=featured, g=figure: email_png(email_drawing(ctx, f, g).read_bytes()),
                    data={"labels": figure.labels, "brand": ctx.config_slice("brand")["brand"]}))
        for image in sorted({img for e in editions for img in e.images}):
            path = newsletter.directory / image
            targets.append(Target(output=f"site/media/newsletters/{newsletter.issue}/{image}", kind=KIND,
                                  source=path, render=lambda p=path: p.read_bytes(), inputs=(path,)))
    if not ctx.has_newsletters:
        return targets  # no issue yet: no archive, no feed, no logo
    for lang, editions in published.items():
        editions.sort(key=lambda pair: (pair[0].date, pair[0].issue), reverse=True)
        listed = [e for e, _ in editions]
        summary = [(e.issue, e.subject, e.preheader, e.date) for e in listed]
        config = ctx.config_slice("organisation", "brand")
        targets.append(Target(
            output=f"site/{lang}/newsletters/index.html", kind=KIND, lang=lang, source=newsletters_dir(ctx),
            render=lambda lang=lang, eds=listed: render_archive_index(ctx, lang, eds),
            inputs=(*site_layouts, ctx.label_file(lang)),
            data={"config": config, "issues": summary,
                  "language_names": {x: ctx.labels[x]["language_name"] for x in ctx.languages}},
            depends=tuple(sorted(newsletters_dir(ctx).glob(f"*/{lang}.md"))),
        ))
        if not listed:
            continue  # an archive that says "no issue yet", but no empty feed
        targets.append(Target(
            output=f"site/{lang}/newsletters/feed.xml", kind=KIND, lang=lang, source=newsletters_dir(ctx),
            render=lambda lang=lang, eds=editions: render_feed(ctx, lang, eds),
            inputs=(*(e.path for e in listed), *site_layouts, ctx.label_file(lang)),
            data={"config": config, "featured": [_edition_data(ctx, e)["featured"] for e in listed]},
            tools=("pandoc",), depends=tuple(sorted(newsletters_dir(ctx).glob(f"*/{lang}.md"))),
        ))
    logo = ctx.project.path(ctx.project.config.newsletter.logo)
    targets.append(Target(output=f"site/assets/newsletter/{logo.name}", kind=KIND, source=logo,
                          render=lambda: read_logo(ctx, logo), inputs=(logo,)))
    return targets


def _encode(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8")


def read_logo(ctx: RenderContext, logo: Path) -> bytes:
    if logo.suffix.lower() not in (".png", ".jpg", ".jpeg", ".gif"):
        raise RenderError(ctx.project.relative(logo), "the email logo must be PNG, JPEG or GIF: mail clients do "
                          "not show SVG (set newsletter.logo in crebis.toml)")
    try:
        return logo.read_bytes()
    except FileNotFoundError:
        raise RenderError(ctx.project.relative(logo), "email logo not found: set newsletter.logo in crebis.toml "
                          "to a PNG file of the project") from None

