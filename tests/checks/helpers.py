"""Build a checked file from text, the way the runner reads one from disk."""

from __future__ import annotations

from pathlib import Path

from pipeline.checks.document import CheckedFile, read_file
from pipeline.content.frontmatter import split


def checked(lang: str, summary: str = "Une phrase.", findings: tuple[str, ...] = ("Un constat.",),
            body: str = "## Section\n\nUn paragraphe.\n", path: Path = Path("content/results/x/fr.md")) -> CheckedFile:
    items = "\n".join(f'  - "{f}"' for f in findings)
    source = f'---\ntitle: "T"\nsummary: "{summary}"\nkey_findings:\n{items}\n---\n\n{body}'
    return read_file(path, f"content/results/x/{lang}.md", lang, source, split(source, str(path)))
