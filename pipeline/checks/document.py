"""One content file as the checks see it: its texts by output kind, cut into located sentences and words."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from pipeline.checks.readability import Counts, count
from pipeline.checks.text import Lines, Segment, Sentence, body_segments, make_segment, sentences
from pipeline.content.frontmatter import Document

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
KINDS = ("summary", "brief")
"""The output kinds a result's text is checked as: its plain-language summary, and the whole study."""


@dataclass
class Text:
    """The prose of a file that goes into one output kind, as paragraphs of sentences."""

    kind: str
    paragraphs: list[tuple[Segment, list[Sentence]]] = field(default_factory=list)

    @property
    def sentences(self) -> list[Sentence]:
        return [s for _, sentences in self.paragraphs for s in sentences]


@dataclass
class CheckedFile:
    """A result edition read for checking: where its texts are, and what they count."""

    path: Path
    relative: str
    lang: str
    source: str
    lines: Lines
    doc: Document
    texts: dict[str, Text]

    def position(self, offset: int) -> tuple[int, int]:
        return self.lines.position(offset)

    def counts(self, sentences: list[Sentence]) -> Counts:
        return count(self.lang, sentences)


def _front_nodes(front_matter: str, root: yaml.Node | None = None) -> dict[str, yaml.Node]:
    """The front matter's top-level keys and their nodes (`root`: the tree the loader read, if it kept it)."""
    if root is None:
        try:
            root = yaml.compose(front_matter, Loader=_Loader)
        except yaml.YAMLError:
            return {}
    if not isinstance(root, yaml.MappingNode):
        return {}
    return {k.value: v for k, v in root.value if isinstance(k, yaml.ScalarNode)}


def _scalar_segment(node: yaml.Node | None, source: str, base: int, part: str) -> Segment | None:
    if not isinstance(node, yaml.ScalarNode) or not isinstance(node.value, str):
        return None
    start, end = node.start_mark.index, node.end_mark.index
    raw = source[base + start:base + end]
    if node.style in (">", "|"):  # skip the block indicator line
        cut = raw.find("\n") + 1
        return make_segment(raw[cut:], base + start + cut, part)
    if node.style in ('"', "'") and len(raw) >= 2:  # the quotes are YAML's, not the text's
        return make_segment(raw[1:-1], base + start + 1, part)
    return make_segment(raw, base + start, part)


def read_file(path: Path, relative: str, lang: str, source: str, doc: Document) -> CheckedFile:
    """Cut a parsed result edition into its summary text and its whole-study text."""
    lines = Lines(source)
    base = source.index("\n") + 1  # the front matter starts after the opening '---' line
    nodes = _front_nodes(doc.front_matter, doc.node)
    summary = Text("summary")
    brief = Text("brief")

    def add(text: Text, segment: Segment | None) -> None:
        if segment is not None and segment.text.strip():
            text.paragraphs.append((segment, sentences(segment, lang)))

    add(summary, _scalar_segment(nodes.get("summary"), source, base, "summary"))
    findings = nodes.get("key_findings")
    if isinstance(findings, yaml.SequenceNode):
        for item in findings.value:
            add(summary, _scalar_segment(item, source, base, "key_findings"))
    body_start = lines.starts[doc.body_line - 1] if doc.body_line - 1 < len(lines.starts) else len(source)
    for segment in body_segments(source[body_start:], body_start):
        if segment.part == "body":
            add(brief, segment)
    recommendations = nodes.get("recommendations")
    if isinstance(recommendations, yaml.SequenceNode):
        for item in recommendations.value:
            if isinstance(item, yaml.MappingNode):
                text = next((v for k, v in item.value if getattr(k, "value", None) == "text"), None)
                add(brief, _scalar_segment(text, source, base, "recommendations"))
    return CheckedFile(path, relative, lang, source, lines, doc, {"summary": summary, "brief": brief})
