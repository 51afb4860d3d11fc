"""Newsletter issues (`content/newsletters/<YYYY-MM>/<lang>.md`) as `crebis check` reads them: one text of kind
"newsletter" (subject, preheader, watch notes, call to action and the editorial body), checked by the prose,
style and vocabulary rules with the newsletter's targets and profile.

A featured result's finding is the result's own text, checked with the result; events are titles and places.
Loading errors (bad keys, a missing result) are the newsletter loader's, reported by the build.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from pipeline.checks.document import CheckedFile, Text, _front_nodes, _scalar_segment
from pipeline.checks.findings import CheckReport
from pipeline.checks.glossary import Glossary
from pipeline.checks.rules import prose
from pipeline.checks.rules.texts import text_findings
from pipeline.checks.text import Lines, Segment, body_segments, sentences
from pipeline.config import SUPPORTED_LANGUAGES
from pipeline.content.frontmatter import split
from pipeline.errors import ContentError
from pipeline.project import Project

KIND = "newsletter"


def _mapping_value(node: yaml.Node, key: str) -> yaml.Node | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    return next((v for k, v in node.value if getattr(k, "value", None) == key), None)


def read_newsletter(path: Path, relative: str, lang: str, source: str) -> CheckedFile:
    """Cut a newsletter edition into its one checked text."""
    doc = split(source, str(path))
    lines = Lines(source)
    base = source.index("\n") + 1
    nodes = _front_nodes(doc.front_matter)
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
                      in_scope) -> None:
    """The prose rules over every newsletter edition in scope."""
    options = project.config.check
    root = project.content_dir / "newsletters"
    if not root.is_dir():
        return
    for md in sorted(root.glob("*/*.md")):
        lang = md.stem
        if lang not in project.config.languages or lang not in SUPPORTED_LANGUAGES or not in_scope(md.resolve()):
            continue
        try:
            source = md.read_bytes().decode("utf-8").removeprefix("\ufeff")
            file = read_newsletter(md, project.relative(md), lang, source)
        except (UnicodeDecodeError, ContentError, ValueError):
            continue  # the newsletter loader's error says what is wrong
        text = file.texts[KIND]
        stats, _ = prose.document_stats(file, text, options)
        report.documents.append(stats)
        report.findings.extend(text_findings(file, text, stats, glossaries[lang], options))
