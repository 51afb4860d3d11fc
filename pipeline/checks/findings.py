"""What `crebis check` reports: findings with their place, and readability figures per checked document."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any

from pipeline.checks.explanations import EXPLANATIONS

SEVERITIES = ("error", "warning", "info")
SCHEMA_VERSION = 1


@dataclass(frozen=True, order=True)
class Finding:
    """One problem or hint at a place in a file."""

    file: str
    """Path relative to the project root, with forward slashes."""
    line: int | None
    column: int | None
    severity: str
    rule: str
    message: str
    suggestion: str | None = None
    length: int | None = None
    """How many characters of the line the finding covers, from its column (a word, a sentence), if known."""

    def sort_key(self) -> tuple[Any, ...]:
        return (self.file, self.line or 0, self.column or 0, self.rule, self.message)


def content_rule(message: str) -> str:
    """The rule a loader error is reported under."""
    if "alt text" in message:
        return "alt-text"
    return "unfinished" if message.startswith("unfinished:") else "content"


@dataclass(frozen=True)
class HardSentence:
    """One of a text's hardest sentences: where it is, how long, and its Flesch-scale score alone."""

    line: int
    column: int
    words: int
    score: float
    text: str


@dataclass(frozen=True)
class DocumentStats:
    """Readability of one text of a file as one output kind (its summary, or the whole study as a brief)."""

    path: str
    language: str
    kind: str
    words: int
    sentences: int
    syllables: int
    readability: dict[str, float]
    profile: str = "plain"
    """The profile the text is checked against: plain (B1) or easy-to-read."""
    hardest: tuple[HardSentence, ...] = ()
    """The text's hardest sentences, hardest first (always listed, whether or not the text meets its targets)."""

    def __post_init__(self) -> None:
        # Read back from JSON (the check cache), the sentences are plain mappings again.
        if any(isinstance(h, dict) for h in self.hardest):
            object.__setattr__(self, "hardest", tuple(h if isinstance(h, HardSentence) else HardSentence(**h)
                                                      for h in self.hardest))


@dataclass
class CheckReport:
    """Every finding of a check run and the readability of every document checked."""

    findings: list[Finding] = field(default_factory=list)
    documents: list[DocumentStats] = field(default_factory=list)

    def sorted(self) -> CheckReport:
        return CheckReport(sorted(self.findings, key=Finding.sort_key),
                           sorted(self.documents, key=lambda d: (d.path, d.kind)))

    @property
    def files(self) -> int:
        """How many files were checked."""
        return len({d.path for d in self.documents})

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    def failed(self, strict: bool = False) -> bool:
        """Whether the run should fail: any error, or with `strict` any warning."""
        return bool(self.count("error") or (strict and self.count("warning")))

    def files_with_errors(self, root: Path) -> set[Path]:
        """Absolute paths of the files that have an error (their outputs are not built)."""
        return {root / f.file for f in self.findings if f.severity == "error"}

    def as_json(self) -> dict[str, Any]:
        """The documented JSON form (see the README): stable key order, sorted findings and documents."""
        report = self.sorted()
        return {
            "version": SCHEMA_VERSION,
            "summary": {s: report.count(s) for s in SEVERITIES},
            # the fields read one by one: `dataclasses.asdict` copies every value deeply, at ~3 % of a check
            "findings": [{name: getattr(f, name) for name in _FINDING_FIELDS} for f in report.findings],
            "documents": [{**{name: getattr(d, name) for name in _DOCUMENT_FIELDS},
                           "readability": dict(d.readability),
                           "hardest": [{name: getattr(h, name) for name in _SENTENCE_FIELDS} for h in d.hardest]}
                          for d in report.documents],
            "rules": {rule: EXPLANATIONS[rule] for rule in sorted({f.rule for f in report.findings})
                      if rule in EXPLANATIONS},
        }

    def as_json_text(self) -> str:
        """`as_json` as `crebis check --format json` writes it: the text of `json.dumps(..., ensure_ascii=False,
        indent=2)`, the same bytes, written without the standard library's indenting encoder (pure Python, a
        generator per value: a tenth of a check of 600 documents)."""
        return json_text(self.as_json())


_FINDING_FIELDS = tuple(f.name for f in fields(Finding))
_DOCUMENT_FIELDS = tuple(f.name for f in fields(DocumentStats))
_SENTENCE_FIELDS = tuple(f.name for f in fields(HardSentence))


def json_text(value: Any, indent: str = "") -> str:
    """`json.dumps(value, ensure_ascii=False, indent=2)` for JSON data with text keys (what a report holds)."""
    if isinstance(value, str):
        return encode_basestring(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return json.dumps(value)  # as json writes it, NaN and Infinity included
    inner = indent + "  "
    if isinstance(value, dict):
        if not value:
            return "{}"
        if not all(isinstance(key, str) for key in value):
            raise TypeError("json_text takes text keys only")
        items = ",\n".join(f"{inner}{encode_basestring(key)}: {json_text(item, inner)}" for key, item in value.items())
        return f"{{\n{items}\n{indent}}}"
    if isinstance(value, list | tuple):
        if not value:
            return "[]"
        items = ",\n".join(inner + json_text(item, inner) for item in value)
        return f"[\n{items}\n{indent}]"
    raise TypeError(f"not JSON data: {type(value).__name__}")
