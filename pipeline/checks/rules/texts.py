"""Every rule that reads one text (a result's summary or whole study, a newsletter), in one place for the runner
and the newsletter check."""

from __future__ import annotations

from collections.abc import Iterator

from pipeline.checks.document import CheckedFile, Text
from pipeline.checks.findings import DocumentStats, Finding
from pipeline.checks.glossary import Glossary
from pipeline.checks.rules import prose, style, vocabulary
from pipeline.config import CheckOptions


def text_findings(file: CheckedFile, text: Text, stats: DocumentStats, glossary: Glossary,
                  options: CheckOptions) -> Iterator[Finding]:
    """The findings of the prose, style and vocabulary rules on one text."""
    yield from prose.readability(file, text, stats, options)
    yield from prose.length(file, text, options)
    yield from prose.jargon(file, text, glossary, options)
    yield from prose.acronyms(file, text, options)
    yield from prose.numbers(file, text, options)
    yield from style.passive(file, text, options)
    yield from style.nominalisations(file, text, options)
    yield from style.subordinates(file, text, options)
    yield from style.negations(file, text, options)
    yield from vocabulary.rare_words(file, text, glossary, options)
