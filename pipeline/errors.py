"""The one exception hierarchy that the core raises and the CLI turns into messages."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path


def in_project(text: str, root: Path) -> str:
    """`text` with every path under the project `root` written relative to it, as messages name files.

    Errors are raised with the paths their code holds, often absolute; the CLI passes what it prints
    through this, so no message shows the machine's folders (`/home/…/centre/content/themes.yaml:47`
    reads `content/themes.yaml:47`), from whichever folder of the project crebis runs.
    """
    for prefix in sorted({os.path.normpath(root), os.path.normpath(Path(root).resolve())}, key=len, reverse=True):
        if prefix == os.sep:
            continue
        # the root followed by a path separator, or standing alone (not the start of a longer folder name)
        text = re.sub(re.escape(prefix) + r"(?:/|(?![\w.-]))", lambda m: "" if m.group().endswith("/") else ".", text)
    return text


class CrebisError(Exception):
    """Base of every error a user can act on; the CLI prints it without a traceback."""


class ConfigError(CrebisError):
    """One or more problems in `crebis.toml`, all reported at once."""

    def __init__(self, path: Path | str, problems: Iterable[str]):
        self.path = Path(path)
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{self.path}: {len(self.problems)} problem(s) in the configuration:\n{lines}")


class ContentError(CrebisError):
    """A problem in a content file, with the line where it is known."""

    def __init__(self, path: Path | str, message: str, line: int | None = None):
        self.path = Path(path)
        self.line = line
        self.message = message
        where = f"{self.path}:{line}" if line else f"{self.path}"
        super().__init__(f"{where}: {message}")


class ContentErrors(CrebisError):
    """Every content error of a run, collected so the user sees them together."""

    def __init__(self, errors: Iterable[ContentError]):
        self.errors = list(errors)
        super().__init__("\n".join(str(e) for e in self.errors))


class RenderError(CrebisError):
    """A renderer (pandoc, typst, mjml, jinja2) failed on one target."""

    def __init__(self, source: Path | str | None, message: str):
        self.source = Path(source) if source else None
        self.message = message
        super().__init__(f"{source}: {message}" if source else message)


class FeedError(CrebisError):
    """A watched feed could not be fetched or parsed."""


class MailError(CrebisError):
    """A newsletter could not be prepared or sent."""
