"""Citations: every `[@key]` of a file is in the bibliography, and the bibliography itself can be read.

The build's pandoc worker refuses an unknown key without a line; this rule finds the same keys
first, at their line and column, and reads the bibliography once for a whole run.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from pipeline.checks.document import CheckedFile
from pipeline.checks.findings import Finding
from pipeline.checks.syllables import kept
from pipeline.errors import RenderError

# Pandoc's citation syntax: '@' not after a letter, digit or '@' (so not an email address), then a key
# of letters, digits and internal punctuation, or any key in braces. The look-behind is placed after the '@',
# so that the search jumps from '@' to '@' instead of trying the look-behind at every character.
_CITE = re.compile(r"@(?<![\w@.]@)(?:\{(?P<braced>[^{}\s]+)\}|(?P<key>\w(?:[\w:.#$%&+?<>~/-]*\w)?))")
_LINK_TARGET = re.compile(r"\]\([^)\n]*\)|<[a-z][a-z0-9+.-]*:[^>\s]*>|`+[^`\n]*`+", re.IGNORECASE)
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_YAML_COMMENT = re.compile(r"(?:^|(?<=\s))#.*$", re.MULTILINE)
_FORMATS = {".bib": "biblatex", ".bibtex": "bibtex", ".json": "csljson", ".yaml": "yaml", ".yml": "yaml"}
_PANDOC_PLACE = re.compile(r"\(line (\d+), column (\d+)\)")


class Bibliography:
    """The project's bibliography, read on first use (a run that cites nothing never reads it)."""

    def __init__(self, path: Path, relative: Callable[[Path], str]):
        self.path, self.relative = path, relative
        self._keys: frozenset[str] | None = None
        self.problem: Finding | None = None
        self.read = False

    @property
    def keys(self) -> frozenset[str] | None:
        """The citation keys, or None if the file is missing or broken (then `problem` says why)."""
        if not self.read:
            self.read = True
            self._keys = self._load()
        return self._keys

    @property
    def state(self) -> tuple[bool, frozenset[str] | None, Finding | None]:
        """Whether it was read, its keys and its problem: what another process's reading must know (`adopt`)."""
        return self.read, self._keys, self.problem

    def adopt(self, read: bool, keys: frozenset[str] | None, problem: Finding | None) -> None:
        """Take the `state` of another reading of the same file, if this one has not read it."""
        if read and not self.read:
            self.read, self._keys, self.problem = True, keys, problem

    def _error(self, message: str, line: int | None = None, column: int | None = None) -> None:
        self.problem = Finding(self.relative(self.path), line, column, "error", "bibliography", message,
                               "Fix the entry there: every citing page, brief and newsletter needs it")

    def _load(self) -> frozenset[str] | None:
        if not self.path.is_file():
            self._error("the bibliography is missing, and content cites it: create it or set brief.bibliography "
                        "in crebis.toml")
            return None
        try:
            pandoc = _bundled_pandoc()
            if pandoc is None:
                return frozenset(_read_keys(self.path))
            # kept while the file and the pandoc that read it are unchanged: starting pandoc was ~0.1 s of a
            # check (and pypandoc's import with it); only a bibliography read whole is kept, one per project
            # (named by its path: another project's is not a stale copy of it)
            place = hashlib.blake2b(str(self.path.resolve()).encode(), digest_size=6).hexdigest()
            return frozenset(kept(self.path, _read_keys, f"bibliography-{place}", (pandoc, Path(__file__)), list))
        except RenderError as exc:
            place = _PANDOC_PLACE.search(exc.message)
            reason = exc.message.split("\n")[-1].strip().removeprefix("pandoc failed: ")
            if place:
                # pandoc counts an unexpected end after the last line: point at the last line there is
                last = max(1, len(self.path.read_bytes().rstrip(b"\n").split(b"\n")))
                line = int(place.group(1))
                self._error(f"the bibliography cannot be read: {reason}", min(line, last),
                            int(place.group(2)) if line <= last else None)
            else:
                self._error(f"the bibliography cannot be read: {reason}")
        except (ValueError, AttributeError):
            self._error("the bibliography cannot be read: not a list of references")
        return None


def _read_keys(path: Path) -> list[str]:
    """The citation keys of the bibliography at `path`, as pandoc reads it (a `RenderError` if it cannot)."""
    from pipeline.render.pandoc import run_pandoc  # pypandoc's import is paid only when something cites

    fmt = _FORMATS.get(path.suffix.lower(), "biblatex")
    out = run_pandoc(None, [str(path), "--to=csljson"], source=path, from_format=fmt)
    return [str(entry.get("id")) for entry in json.loads(out)]


def _bundled_pandoc() -> Path | None:
    """The pandoc binary of the `pypandoc-binary` wheel, found without importing pypandoc; None if there is
    none (pypandoc then finds another, whose version this cannot tell)."""
    spec = importlib.util.find_spec("pypandoc")
    for folder in (spec.submodule_search_locations or []) if spec is not None else []:
        for name in ("pandoc", "pandoc.exe"):
            if (Path(folder) / "files" / name).is_file():
                return Path(folder) / "files" / name
    return None


def _blank(match: re.Match[str]) -> str:
    return " " * len(match.group(0))


def cited(text: str) -> Iterator[tuple[int, str]]:
    """(offset, key) of every citation in Markdown `text`, outside code and link targets."""
    if "```" not in text and "~~~" not in text:
        # No code block: only the lines where a citation may be are read again without their link targets and
        # code spans (neither crosses a line, and blanking one makes no citation where the text had none).
        done = -1
        for candidate in _CITE.finditer(text):
            start = text.rfind("\n", 0, candidate.start()) + 1
            if start <= done:
                continue
            end = text.find("\n", start)
            done = end = len(text) if end < 0 else end
            for match in _CITE.finditer(_LINK_TARGET.sub(_blank, text[start:end])):
                yield start + match.start(), match.group("braced") or match.group("key")
        return
    blanked = []
    fence = ""
    for line in text.split("\n"):
        marker = _FENCE.match(line)
        if fence or marker:
            if fence and marker and marker.group(1)[0] == fence[0] and len(marker.group(1)) >= len(fence):
                fence = ""
            elif not fence:
                fence = marker.group(1)  # type: ignore[union-attr]
            blanked.append(" " * len(line))
            continue
        # a line without '@' cites nothing: only lines that may are searched for link targets to blank
        blanked.append(_LINK_TARGET.sub(_blank, line) if "@" in line else line)
    for match in _CITE.finditer("\n".join(blanked)):
        yield match.start(), match.group("braced") or match.group("key")


def unknown_keys(file: CheckedFile, bibliography: Bibliography) -> Iterator[Finding]:
    """Each citation of a key the bibliography lacks, at its place (nothing if the bibliography is broken)."""
    if "@" not in file.source:
        return
    # the front matter without its comments (never published), then the body
    base = file.source.index("\n") + 1
    front = _YAML_COMMENT.sub(_blank, file.doc.front_matter) if "#" in file.doc.front_matter \
        else file.doc.front_matter
    body_start = file.lines.starts[file.doc.body_line - 1] if file.doc.body_line - 1 < len(file.lines.starts) \
        else len(file.source)
    found = [(base + offset, key) for offset, key in cited(front)]
    found += [(body_start + offset, key) for offset, key in cited(file.source[body_start:])]
    if not found or bibliography.keys is None:
        return
    for offset, key in found:
        if key not in bibliography.keys:
            line, column = file.position(offset)
            yield Finding(file.relative, line, column, "error", "citation",
                          f"unknown citation key '{key}': it is not in {bibliography.relative(bibliography.path)}",
                          "Add the reference to the bibliography, or fix the key after '@' "
                          "(write \\@ for an @ that is not a citation)")
