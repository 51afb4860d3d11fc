"""Read content text safely: YAML front matter and data files, bounded and strict, and the line of a key.

Content comes from people, and now and then from a fuzzer: whatever a file holds,
reading it gives data or a `ContentError` with the file and line, never an internal
error, a hang or unbounded memory. So the YAML reader here is stricter than
`yaml.safe_load`: keys are always texts, a key given twice is an error (YAML keeps
the last one silently), anchors and aliases are refused (an alias bomb needs them),
nesting and size are bounded, impossible dates stay texts for the date reader to
refuse with their line, and characters that no HTML or XML output may carry
(control characters, U+FFFE, …) are refused where they stand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError

from pipeline.errors import ContentError

# The C parser is ~10x faster; the constructor (Python) is where the rules below live.
_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_FILE_BYTES = 1_000_000
"""A content file larger than this is refused: a brief is a few pages, a data file a few hundred lines."""
MAX_DEPTH = 20
"""Nesting levels a YAML value may have (front matter needs three)."""
MAX_NODES = 50_000
"""Values a YAML document may hold."""

# Not allowed in HTML or XML 1.0: C0/C1 controls but tab, line feed and carriage return; DEL;
# noncharacters (U+FDD0–U+FDEF, U+xFFFE and U+xFFFF); lone surrogates. Nor, in what crebis publishes, the
# bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069: an override printed the rest
# of a paragraph backwards, on the page and in the PDF; the marks U+200E and U+200F stay allowed) and the
# private-use characters (U+E000–U+F8FF, planes 15 and 16: each font draws what it likes there, or nothing).
_BAD_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ue000-\uf8ff"
                            "\ufdd0-\ufdef\ufffe\uffff\ud800-\udfff]")
# The noncharacters beyond the BMP are searched for apart, only in a text that has such characters: one class
# holding both made every search about 15 times slower (the loader runs it on every file and YAML value).
_BAD_ASTRAL = re.compile(
    "[" + "".join(f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(1, 15))
    + "\U000f0000-\U0010ffff]")
_ALLOWED_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "seq", "map",
                                                     "timestamp", "value")}


def bad_character(text: str) -> tuple[int, str] | None:
    """The offset and name of the first character no published output may hold, if any."""
    match = _BAD_CHARACTER.search(text)
    if not text.isascii() and len(text.encode("utf-16-le", "surrogatepass")) > 2 * len(text):  # beyond the BMP
        match = _BAD_ASTRAL.search(text, 0, match.start() if match else len(text)) or match
    if match is None:
        return None
    return match.start(), f"U+{ord(match.group()):04X}"


def position(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of `offset` in `text`."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def check_characters(text: str, path: Path | str, first_line: int = 1) -> None:
    """Raise a `ContentError` at the first character that cannot be published (`text` starts at `first_line`)."""
    found = bad_character(text)
    if found is not None:
        line, column = position(text, found[0])
        raise ContentError(path, f"character {found[1]} at column {column} cannot be published (a control, "
                           "bidirectional-override, private-use or non-character, often pasted by accident): "
                           "delete it",
                           line=line + first_line - 1)


def check_size(size: int, path: Path | str) -> None:
    """Refuse a file over `MAX_FILE_BYTES`, naming it."""
    if size > MAX_FILE_BYTES:
        raise ContentError(path, f"file is {size / 1e6:.1f} MB, over the limit of {MAX_FILE_BYTES / 1e6:.0f} MB "
                           "for a content file: split it, or move large data out of it")


class _StrictLoader(_Base):  # type: ignore[misc, valid-type]
    """A safe YAML loader that refuses what content never needs and could be abused."""

    first_line = 1
    """The file line of the text's first line, for lines named in messages."""

    root: yaml.Node | None = None
    """The node tree read, for readers that need lines and offsets (`Document.node`)."""

    checked = False
    """Whether the whole text was checked for bad characters (`check_characters`) before it was read."""

    def get_single_data(self) -> Any:
        node = self.root = self.get_single_node()
        if node is None:
            return None
        _check_tree(node, self.checked)
        return self.construct_document(node)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[str, Any]:
        # Keys are texts whatever they look like (`2.5:`, `null:`, `2026-01-01:`): the readers compare names.
        seen: dict[str, yaml.Node] = {}
        mapping = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                raise ConstructorError(None, None, f"the key '{key}' is given twice (first at line "
                                       f"{seen[key].start_mark.line + self.first_line}): keep one", key_node.start_mark)
            seen[key] = key_node
            mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, TypeError, OverflowError):
            # e.g. `!!int abc`: the tag's constructor fails on the text
            raise ConstructorError(None, None, f"{node.value!r} is not a valid {node.tag.rsplit(':', 1)[-1]}",
                                   node.start_mark) from None

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        # `2026-13-45` looks like a date to YAML; keep the text so the date reader refuses it with its line.
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError, AttributeError):  # AttributeError: `!!timestamp x` matches no form
            return node.value


_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _StrictLoader.construct_yaml_timestamp)
_StrictLoader.add_constructor("tag:yaml.org,2002:value", _StrictLoader.construct_yaml_str)


def _check_tree(root: yaml.Node, checked: bool = False) -> None:
    """Refuse aliases, unknown tags, non-text keys, bad characters and trees too deep or too big.

    With `checked` (the text was checked whole), only double-quoted values are searched for bad characters: the
    others hold only characters of the text, while an escape ("\\x01") makes one that is not in it. Searching
    every value again was ~40 % of the tree's check.
    """
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if id(node) in seen:
            raise ConstructorError(None, None, "anchors and aliases (&name, *name) are not allowed in content: "
                                   "write the value out", node.start_mark)
        seen.add(id(node))
        if len(seen) > MAX_NODES:
            raise ConstructorError(None, None, f"more than {MAX_NODES} values: this is not a content file",
                                   node.start_mark)
        if depth > MAX_DEPTH:
            raise ConstructorError(None, None, f"nested more than {MAX_DEPTH} levels deep", node.start_mark)
        if node.tag not in _ALLOWED_TAGS:
            tag = node.tag.replace("tag:yaml.org,2002:", "!!")
            raise ConstructorError(None, None, f"the tag {tag} is not allowed in content: remove it", node.start_mark)
        if isinstance(node, yaml.ScalarNode):
            found = bad_character(node.value) if not checked or node.style == '"' else None
            if found is not None:
                raise ConstructorError(None, None, f"character {found[1]} cannot be published (a control "
                                       "character or a non-character): delete it", node.start_mark)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if not isinstance(key, yaml.ScalarNode):
                    raise ConstructorError(None, None, "a key must be a plain name, not a list or a mapping",
                                           key.start_mark)
                stack.append((key, depth + 1))
                stack.append((value, depth + 1))
        else:
            stack.extend((child, depth + 1) for child in node.value)


def load_yaml(text: str, path: Path | str, first_line: int = 1) -> Any:
    """Parse YAML content strictly (see the module); a problem is a `ContentError` at its line.

    `first_line` is the file line where `text` starts (2 for front matter after its '---').
    """
    return _load(text, path, first_line)[0]


def _load(text: str, path: Path | str, first_line: int, checked: bool = False) -> tuple[Any, yaml.Node | None]:
    """`load_yaml`, with the node tree read (`checked`: `text` has passed `check_characters`)."""
    loader = _StrictLoader(text)
    loader.first_line = first_line
    loader.checked = checked
    try:
        return loader.get_single_data(), loader.root
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + first_line if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        if isinstance(exc, ConstructorError):  # well-formed YAML that content may not hold: say what to do
            raise ContentError(path, problem, line=line) from None
        raise ContentError(path, f"not valid YAML ({problem}); check quotes, colons and indentation",
                           line=line) from None
    except RecursionError:
        raise ContentError(path, f"nested more than {MAX_DEPTH} levels deep") from None
    finally:
        loader.dispose()


@dataclass(frozen=True)
class Document:
    """A parsed Markdown file: front matter data and text, body and where the body starts."""

    data: dict[str, Any]
    front_matter: str
    body: str
    body_line: int
    node: yaml.Node | None = field(default=None, compare=False, repr=False)
    """The front matter's YAML node tree, as the loader read it (lines and offsets for the checks)."""


def split(text: str, path: str | Path) -> Document:
    """Parse the front matter of `text` (read from `path`); raise `ContentError` with its line."""
    text = text.removeprefix("\ufeff")
    check_characters(text, path)
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
        data, node = _load(front, path, first_line=2, checked=True)
    except ContentError as exc:
        # YAML may notice a problem at the end of the block: point at its last line, not the closing '---'.
        line = max(2, min(exc.line, index)) if exc.line is not None else 1
        message = exc.message.replace("not valid YAML", "front matter is not valid YAML", 1)
        raise ContentError(path, message, line=line) from None
    if not isinstance(data, dict):
        raise ContentError(path, "front matter must be a set of 'key: value' lines", line=2)
    return Document(data=data, front_matter=front, body="\n".join(lines[index + 1:]), body_line=index + 2,
                    node=node)


def compose(front_matter: str) -> yaml.Node | None:
    """The node tree of a front matter already read by `split` (for lines and offsets), None if it is invalid."""
    try:
        return yaml.compose(front_matter, Loader=_Base)
    except (yaml.YAMLError, RecursionError):
        return None


def locate(front_matter: str | Document, keys: tuple[str | int, ...]) -> int | None:
    """The file line (1-based) of the value at `keys` in the front matter (or a `Document`'s: its node tree
    as read, not composed again), or the nearest parent."""
    if isinstance(front_matter, Document):
        node = front_matter.node if front_matter.node is not None else compose(front_matter.front_matter)
    else:
        node = compose(front_matter)
    if node is None:
        return None
    line = 2
    for key in keys:
        if isinstance(node, yaml.MappingNode) and isinstance(key, str):
            match = next(((k, v) for k, v in node.value if str(k.value) == key), None)
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
