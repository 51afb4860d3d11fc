"""Split a Markdown file into YAML front matter and body, and find the line of a key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from pipeline.errors import ContentError

# The C loader is ~10x faster; line lookups (only on errors) use the composer below.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Document:
    """A parsed Markdown file: front matter data and text, body and where the body starts."""

    data: dict[str, Any]
    front_matter: str
    body: str
    body_line: int


def split(text: str, path: str) -> Document:
    """Parse the front matter of `text` (read from `path`); raise `ContentError` with its line."""
    text = text.removeprefix("\ufeff")
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        raise ContentError(path, "no front matter: the file must start with a line '---', "
                           "then YAML (title, date, …), then a line '---'", line=1)
    for index in range(1, len(lines)):
        if lines[index].rstrip() in ("---", "..."):
            break
    else:
        raise ContentError(path, "front matter is not closed: add a line '---' after the YAML block", line=1)
    front = "\n".join(lines[1:index])
    try:
        data = yaml.load(front, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        # YAML may notice a problem at the end of the block: point at its last line, not the closing '---'.
        line = max(2, min(mark.line + 2, index)) if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise ContentError(path, f"front matter is not valid YAML ({problem}); check quotes, colons "
                           "and indentation", line=line) from None
    if not isinstance(data, dict):
        raise ContentError(path, "front matter must be a set of 'key: value' lines", line=2)
    return Document(data=data, front_matter=front, body="\n".join(lines[index + 1:]), body_line=index + 2)


def locate(front_matter: str, keys: tuple[str | int, ...]) -> int | None:
    """The file line (1-based) of the value at `keys` in the front matter, or the nearest parent."""
    try:
        node = yaml.compose(front_matter, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    line = 2
    for key in keys:
        if isinstance(node, yaml.MappingNode) and isinstance(key, str):
            match = next(((k, v) for k, v in node.value if k.value == key), None)
            if match is None:
                break
            line = match[0].start_mark.line + 2
            node = match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line + 2
        else:
            break
    return line
