"""Newsletter issues and watch digests as `crebis check` reads them, checked by the prose, style and vocabulary
rules with the newsletter's targets, limits and profile (a digest goes out by the same channel to the same
subscribers).

- `content/newsletters/<YYYY-MM>/<lang>.md`: one text of kind "newsletter" per edition (subject, preheader,
  watch notes, call to action and the editorial body). A featured result's finding is the result's own text,
  checked with the result; events are titles and places.
- `content/watch/curation/<week>.yaml`: one text of kind "digest" per language, what the centre writes in the
  digest: the intro and the notes of the stories kept (a note without a language is in the first one). The
  stories' titles are the sources' own.

A newsletter's loading errors (bad keys, a missing result, a TODO left in a published issue) and the
accessibility rules of its body (link text, alt text, headings, link schemes) are reported too, as for a
result; a worksheet's are the watch commands' own.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import yaml

from pipeline.checks.cache import CheckCache
from pipeline.checks.document import CheckedFile, Text, _front_nodes, _scalar_segment
from pipeline.checks.findings import CheckReport, Finding, content_rule
from pipeline.checks.glossary import Glossary
from pipeline.checks.rules import accessibility, prose
from pipeline.checks.rules.texts import text_findings
from pipeline.checks.text import Lines, Segment, body_segments, sentences
from pipeline.config import SUPPORTED_LANGUAGES
from pipeline.content.frontmatter import split
from pipeline.content.load import content_folders
from pipeline.content.model import Result
from pipeline.content.newsletter import LoadedNewsletters, load_newsletter
from pipeline.errors import ContentError
from pipeline.project import Project

KIND = "newsletter"
DIGEST = "digest"


def _mapping_value(node: yaml.Node, key: str) -> yaml.Node | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    return next((v for k, v in node.value if getattr(k, "value", None) == key), None)


def read_newsletter(path: Path, relative: str, lang: str, source: str) -> CheckedFile:
    """Cut a newsletter edition into its one checked text."""
    doc = split(source, str(path))
    lines = Lines(source)
    base = source.index("\n") + 1
    nodes = _front_nodes(doc.front_matter, doc.node)
    text = Text(KIND)

    def add(segment: Segment | None) -> None:
        if segment is not None and segment.text.strip():
            text.paragraphs.append((segment, sentences(segment, lang)))

    add(_scalar_segment(nodes.get("subject"), source, base, "subject"))
    add(_scalar_segment(nodes.get("preheader"), source, base, "preheader"))
    watch = nodes.get("watch")
    if isinstance(watch, yaml.SequenceNode):
        for item in watch.value:
            add(_scalar_segment(_mapping_value(item, "note"), source, base, "watch"))
    add(_scalar_segment(_mapping_value(nodes.get("cta"), "text"), source, base, "cta"))
    body_start = lines.starts[doc.body_line - 1] if doc.body_line - 1 < len(lines.starts) else len(source)
    for segment in body_segments(source[body_start:], body_start):
        if segment.part == "body":
            add(segment)
    return CheckedFile(path, relative, lang, source, lines, doc, {KIND: text})


def check_newsletters(project: Project, glossaries: dict[str, Glossary], report: CheckReport,
                      in_scope, results: list[Result] | None = None) -> None:
    """The prose and accessibility rules over every newsletter edition in scope, and its loading errors
    (checked against `results`, the project's loaded results)."""
    options = project.config.check
    root = project.content_dir / "newsletters"
    if not root.is_dir():
        return
    loading = _loading_errors(project, root, in_scope, results) if results is not None else []
    before = len(report.findings)
    for md in sorted(root.glob("*/*.md")):
        lang = md.stem
        if lang not in project.config.languages or lang not in SUPPORTED_LANGUAGES or not in_scope(md.resolve()):
            continue
        try:
            source = md.read_bytes().decode("utf-8").removeprefix("\ufeff")
            file = read_newsletter(md, project.relative(md), lang, source)
        except (UnicodeDecodeError, ContentError, ValueError):
            continue  # the newsletter loader's error says what is wrong
        report.findings.extend(accessibility.body(file, options))
        text = file.texts[KIND]
        stats, _ = prose.document_stats(file, text, options)
        report.documents.append(stats)
        report.findings.extend(text_findings(file, text, stats, glossaries[lang], options))
    # the loader refuses what the accessibility rules found (alt text, headings, links): say it once
    known = {(f.file, f.line, f.message) for f in report.findings[before:]}
    report.findings.extend(f for f in loading if (f.file, f.line, f.message) not in known)


def _loading_errors(project: Project, root: Path, in_scope, results: list[Result]) -> list[Finding]:
    """What the newsletter loader refuses in the issues in scope, as the build would report it (drafts allowed:
    featuring a draft result is the build's to judge, with or without --drafts)."""
    languages = project.config.languages
    by_slug = {r.slug: r for r in results}
    found = []
    for directory in content_folders(root):
        if not any(in_scope(md.resolve()) for md in directory.glob("*.md")):
            continue
        loaded = LoadedNewsletters()
        load_newsletter(directory, languages, by_slug, project.results_dir, loaded, drafts=True)
        found += [Finding(project.relative(e.path), e.line, None, "error", content_rule(e.message), e.message)
                  for e in loaded.errors if in_scope(e.path.resolve()) or e.path == directory]
    return found


def _is_true(node: yaml.Node | None) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.value.lower() in ("true", "yes", "on")


def _notes(node: yaml.Node | None, languages: list[str]) -> dict[str, yaml.Node]:
    """A worksheet text by language: a plain text is in the first language, a mapping gives one per language."""
    if isinstance(node, yaml.ScalarNode) and node.value.strip() and node.tag.endswith(":str"):
        return {languages[0]: node}
    if isinstance(node, yaml.MappingNode):
        return {k.value: v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value in languages}
    return {}


def read_digest(path: Path, relative: str, source: str, languages: list[str]) -> list[CheckedFile]:
    """One checked file per language of a curation worksheet, holding what the centre writes in that digest."""
    from pipeline.content.frontmatter import Document

    try:
        root = yaml.compose(source, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return []  # the worksheet reader's error says what is wrong
    if not isinstance(root, yaml.MappingNode):
        return []
    top = {k.value: v for k, v in root.value if isinstance(k, yaml.ScalarNode)}
    texts = {lang: Text(DIGEST) for lang in languages}
    parts = [("intro", _notes(top.get("intro"), languages))]
    groups = top.get("candidates")
    if isinstance(groups, yaml.MappingNode):
        for _, stories in groups.value:
            for story in stories.value if isinstance(stories, yaml.SequenceNode) else []:
                if _is_true(_mapping_value(story, "keep")):
                    parts.append(("note", _notes(_mapping_value(story, "note"), languages)))
    for part, by_lang in parts:
        for lang, node in by_lang.items():
            segment = _scalar_segment(node, source, 0, part)
            if segment is not None and segment.text.strip():
                texts[lang].paragraphs.append((segment, sentences(segment, lang)))
    lines = Lines(source)
    document = Document({}, "", source, 1)
    return [CheckedFile(path, relative, lang, source, lines, document, {DIGEST: text})
            for lang, text in texts.items() if text.paragraphs]


def check_digests(project: Project, glossaries: dict[str, Glossary], report: CheckReport, in_scope,
                  cache: CheckCache | None = None) -> None:
    """The prose rules over what the centre writes in each week's digest, per language; with `cache`, a
    worksheet unchanged since the last cached run keeps its findings (a no-op build need not load the
    syllable dictionaries for them)."""
    options = project.config.check
    languages = [lang for lang in project.config.languages if lang in SUPPORTED_LANGUAGES]
    root = project.content_dir / "watch" / "curation"
    if not root.is_dir() or not languages:
        return
    for worksheet in sorted(root.glob("*.yaml")):
        if not in_scope(worksheet.resolve()):
            continue
        try:
            source = worksheet.read_bytes().decode("utf-8").removeprefix("\ufeff")
        except UnicodeDecodeError:
            continue
        fingerprint = hashlib.blake2b(f"{cache.shared}\0digest\0".encode() + source.encode(),
                                      digest_size=16).hexdigest() if cache else ""
        hit = cache.get(worksheet, fingerprint) if cache else None
        if hit is None:
            fresh = CheckReport()
            for file in read_digest(worksheet, project.relative(worksheet), source, languages):
                text = file.texts[DIGEST]
                stats, _ = prose.document_stats(file, text, options)
                fresh.documents.append(stats)
                fresh.findings.extend(text_findings(file, text, stats, glossaries[file.lang], options))
            if cache:
                cache.put(worksheet, fingerprint, fresh.findings, fresh.documents)
            hit = (fresh.findings, fresh.documents)
        report.findings.extend(hit[0])
        report.documents.extend(hit[1])
