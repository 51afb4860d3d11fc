"""Policy briefs: a tagged PDF (pandoc → Typst → PDF/UA-1) and an editable DOCX per result and language.

outputs/briefs/<slug>/<slug>-<lang>.pdf and .docx, each also published beside
the edition's web page (site/<lang>/results/<slug>/), which links them.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

import pypdf
import yaml

from pipeline.build import Rendered, Target
from pipeline.content.model import Edition, Figure, Result
from pipeline.render.citation import how_to_cite
from pipeline.render.context import RenderContext
from pipeline.render.figures import (
    TYPST_FIGURES_FILTER,
    chart_files,
    chart_name,
    image_files,
    place_figures,
    print_table,
)
from pipeline.render.locale import format_date, locale_of
from pipeline.render.pandoc import convert
from pipeline.render.reference_docx import CUSTOM, PageFurniture, reference_docx
from pipeline.render.site import citation_inputs, citations, page_url
from pipeline.render.templates import render_template
from pipeline.render.typst import compile_typst, typst_path

KIND = "brief"
_HERE = Path(__file__).parent
_TYPST_TEMPLATE = _HERE / "pandoc-typst.tpl"
_DOCX_HEADINGS_FILTER = _HERE / "filters" / "docx-headings.lua"
_BODY_MARK = "//crebis:body"
_REFS_MARK = "//crebis:refs"
# Citeproc fills a #refs div where it stands; the raw mark lets us cut the references off the body.
_REFS_PLACEHOLDER = "\n\n```{=typst}\n" + _REFS_MARK + "\n```\n\n::: {#refs}\n:::\n"


def brief_name(slug: str, lang: str, ext: str) -> str:
    return f"{slug}-{lang}.{ext}"


def brief_outputs(slug: str, lang: str, ext: str) -> tuple[str, str]:
    """Where a brief goes, and its copy beside the web page."""
    name = brief_name(slug, lang, ext)
    return f"briefs/{slug}/{name}", f"site/{lang}/results/{slug}/{name}"


@dataclass(frozen=True)
class TypstParts:
    meta: dict[str, Any]
    body: str
    references: str


def convert_to_typst(ctx: RenderContext, result: Result, edition: Edition) -> TypstParts:
    """One pandoc run: the edition's front matter fields and body as Typst markup, references apart."""
    labels = ctx.labels[edition.lang]
    project = ctx.project
    body = place_figures(edition, lambda f: typst_path(project, result.directory / f),
                         labels["source"] + labels["colon"],
                         chart_src=lambda f: typst_path(project, chart_files(ctx, edition, f)["print"]),
                         table=print_table(labels.get("chart_data", "Chart data")))
    if edition.citations:
        body += _REFS_PLACEHOLDER
    # -citations: write the references citeproc formatted, not Typst's own #cite
    out = convert(f"---\n{edition.front_matter}\n---\n{body}", "typst-citations", ctx.project.relative(edition.path),
                  template=_TYPST_TEMPLATE, filters=(TYPST_FIGURES_FILTER,),
                  metadata={"lang": locale_of(edition.lang).replace("_", "-")}, citations=citations(ctx, edition))
    meta_json, typst_body = out.decode("utf-8").split(_BODY_MARK, 1)
    references = ""
    if _REFS_MARK in typst_body:
        typst_body, references = typst_body.split(_REFS_MARK, 1)
    return TypstParts(json.loads(meta_json), typst_body.strip(), references.strip())


def typst_source(ctx: RenderContext, result: Result, edition: Edition) -> str:
    """The Typst document of a brief, from `layouts/brief/main.typ`."""
    parts = convert_to_typst(ctx, result, edition)
    config = ctx.project.config
    return render_template(ctx.env, "brief/main.typ",
        lang=edition.lang, labels=ctx.labels[edition.lang], edition=edition, meta=parts.meta, body=parts.body,
        references=parts.references, brand=config.brand, organisation=config.organisation,
        logo=typst_path(ctx.project, ctx.project.path(config.organisation.logo)),
        cite=how_to_cite(edition, config.organisation.name_in(edition.lang), page_url(ctx, edition.lang, result.slug)),
    )


def render_pdf(ctx: RenderContext, result: Result, edition: Edition) -> Rendered:
    """The PDF/UA-1 brief; a page count over `brief.max_pages` is a warning."""
    source = ctx.project.relative(edition.path)
    pdf = compile_typst(typst_source(ctx, result, edition), ctx.project.root, source, date=edition.date,
                        content=edition.document())
    pages = len(pypdf.PdfReader(io.BytesIO(pdf)).pages)
    budget = ctx.project.config.brief.max_pages
    warnings = ()
    if pages > budget:
        warnings = (f"{source}: the {edition.lang} brief of '{result.slug}' has {pages} pages, over the budget of "
                    f"{budget} (brief.max_pages): shorten the body or move detail to the full report",)
    return Rendered(pdf, warnings)


def docx_markdown(ctx: RenderContext, result: Result, edition: Edition) -> str:
    """The Markdown that pandoc turns into the DOCX brief, from `layouts/brief/docx.md`."""
    labels = ctx.labels[edition.lang]
    config = ctx.project.config
    meta = {"title": edition.title, "author": [a.name for a in edition.authors],
            "date": format_date(edition.date, edition.lang), "lang": locale_of(edition.lang).replace("_", "-")}
    if edition.subtitle:
        meta["subtitle"] = edition.subtitle
    # paths relative to the result's folder, where pandoc reads them (an absolute path would be kept in the DOCX)
    body = place_figures(edition, lambda f: f, labels["source"] + labels["colon"],
                         chart_src=lambda figure: _docx_chart_src(ctx, result, edition, figure),
                         table=print_table(labels.get("chart_data", "Chart data")))
    return render_template(ctx.env, "brief/docx.md",
        front_matter=yaml.safe_dump(meta, allow_unicode=True, sort_keys=False), edition=edition, labels=labels,
        body=body, organisation=config.organisation,
        cite=how_to_cite(edition, config.organisation.name_in(edition.lang), page_url(ctx, edition.lang, result.slug)),
    )


def page_furniture(ctx: RenderContext, lang: str) -> PageFurniture:
    """The header and footer of a DOCX brief in `lang`, as the PDF brief has them."""
    organisation, labels = ctx.project.config.organisation, ctx.labels[lang]
    return PageFurniture(organisation=organisation.name_in(lang), kicker=labels["brief_kicker"],
                         page_label=labels["page"],
                         logo=ctx.project.path(organisation.logo), logo_alt=organisation.short_name)


def render_docx(ctx: RenderContext, result: Result, edition: Edition) -> bytes:
    """The editable DOCX brief, styled by the branded reference document.

    The same source gives the same bytes: the creation date is the edition's date, and no
    path of the build machine is kept.
    """
    project = ctx.project
    reference = reference_docx(project.root, project.state_dir, project.config.brand, project.config.brief,
                               page_furniture(ctx, edition.lang))
    docx = convert(docx_markdown(ctx, result, edition), "docx", project.relative(edition.path),
                   reference_doc=reference, citations=citations(ctx, edition), filters=(_DOCX_HEADINGS_FILTER,),
                   cwd=result.directory, created=edition.date)
    return picture_names(docx, {_docx_chart_src(ctx, result, edition, figure): chart_name(figure, edition.lang, "png")
                                for figure in edition.figures if figure.is_chart})


def _docx_chart_src(ctx: RenderContext, result: Result, edition: Edition, figure: Figure) -> str:
    # relative to the result's folder, where pandoc reads it (an absolute path would be kept in the DOCX)
    return os.path.relpath(chart_files(ctx, edition, figure)["png"], result.directory)


def picture_names(docx: bytes, names: dict[str, str]) -> bytes:
    """The DOCX with each picture's second description (`pic:cNvPr descr`, which pandoc fills with the
    image's path) given as `names[path]`: a chart's readable name, not its place in the chart store."""
    if not names:
        return docx
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx)) as source, zipfile.ZipFile(out, "w") as patched:
        for info in source.infolist():  # each entry as it was (its date, compression): the same bytes each time
            data = source.read(info)
            if info.filename == "word/document.xml":
                text = data.decode("utf-8")
                for path, name in names.items():
                    text = text.replace(f'<pic:cNvPr descr="{xml_escape(path)}"',
                                        f'<pic:cNvPr descr="{xml_escape(name)}"')
                data = text.encode("utf-8")
            patched.writestr(info, data)
    return out.getvalue()


def _data(ctx: RenderContext, edition: Edition) -> dict[str, Any]:
    return {"config": ctx.config_slice("organisation", "brand", "brief"), "edition": edition.lang}


def brief_targets(ctx: RenderContext, drafts: bool) -> list[Target]:
    """A PDF and a DOCX for every published edition of every result."""
    options = ctx.project.config.brief
    layouts = ctx.layout_files("brief")
    logo = ctx.project.path(ctx.project.config.organisation.logo)
    custom_reference = ctx.project.path(CUSTOM)
    targets = []
    for result in ctx.results:
        for edition in result.editions:
            figures = tuple(result.directory / image for image in edition.images)
            if edition.status != "published" and not drafts:
                continue
            figures = tuple(result.directory / f for f in image_files(edition))
            inputs = (edition.path, *layouts, ctx.label_file(edition.lang), *figures, *citation_inputs(ctx, edition))
            if options.pdf:
                output, copy = brief_outputs(result.slug, edition.lang, "pdf")
                targets.append(Target(
                    output=output, copies=(copy,), kind=KIND, lang=edition.lang, source=edition.path,
                    render=lambda r=result, e=edition: render_pdf(ctx, r, e), inputs=(*inputs, logo),
                    data=_data(ctx, edition), tools=("pandoc", "typst"),
                ))
            if options.docx:
                output, copy = brief_outputs(result.slug, edition.lang, "docx")
                targets.append(Target(
                    output=output, copies=(copy,), kind=KIND, lang=edition.lang, source=edition.path,
                    render=lambda r=result, e=edition: render_docx(ctx, r, e),
                    inputs=(*inputs, custom_reference, logo), data=_data(ctx, edition), tools=("pandoc",),
                ))
    return targets
