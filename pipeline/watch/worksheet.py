"""The curation worksheet of a week: content/watch/curation/<WEEK>.yaml.

`review` writes the week's candidates (ranked stories, grouped by main theme) and,
run again after a fetch, adds the new ones; the curator (or the curation page)
sets `keep:` and writes notes and an intro. What the curator wrote is never lost,
reordered or reformatted:

- the file is read with libyaml's composer (fast, with the line of every node), and
  new entries are spliced in as text between existing ones: bytes outside an entry
  that changes are left as they were, comments included;
- an existing entry is changed (a keep or a note from the curation page, a new
  outlet telling the same story) by a ruamel.yaml round-trip of that entry alone,
  which keeps its comments, quoting and key order.

A whole-file round-trip would do the same more slowly: ruamel.yaml takes seconds
over the thousand entries of a busy week.
"""

from __future__ import annotations

import bisect
import hashlib
import io
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from pipeline.build import write_atomic
from pipeline.content.load import load_themes
from pipeline.errors import ContentError, ContentErrors, CrebisError
from pipeline.project import Project
from pipeline.render.locale import format_date
from pipeline.watch.candidates import UNTHEMED, Candidate, Member, week_candidates
from pipeline.watch.store import STORE_FILE
from pipeline.watch.weeks import Week, WeekError

# Nodes only, no implicit typing: the reader decides what each key's text means (and libyaml is fast).
_Loader = getattr(yaml, "CBaseLoader", yaml.BaseLoader)
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
TOP_KEYS = ("week", "illustrative", "intro", "candidates")
ENTRY_KEYS = ("id", "title", "link", "sources", "language", "themes", "date", "score", "keep", "note", "also")
MEMBER_KEYS = ("id", "title", "link", "source", "language")
_TRUE = ("true", "True", "TRUE")
_FALSE = ("false", "False", "FALSE")
_EMPTY = ("", "~", "null", "Null", "NULL")


class StaleWorksheet(CrebisError):
    """The worksheet changed on disk since it was read (an editor, or `crebis watch review`)."""


@dataclass(frozen=True)
class Entry:
    """One story of the worksheet, as written there (crebis' copy and the curator's decisions)."""

    id: str
    group: str
    title: str
    link: str | None
    sources: tuple[str, ...]
    language: str
    themes: tuple[str, ...]
    date: date | None
    score: float | None
    keep: bool | None
    notes: dict[str, str]
    """The note for readers by language; a note written without a language is in the first one."""
    also: tuple[Member, ...]
    line: int
    span: tuple[int, int] = field(repr=False, compare=False, default=(0, 0))
    """Where the entry's text is in the file: start and end offsets, whole lines."""
    indent: int = field(repr=False, compare=False, default=0)
    """Column of the entry's dash."""

    @property
    def ids(self) -> tuple[str, ...]:
        return (self.id, *(m.id for m in self.also))


@dataclass(frozen=True)
class _Group:
    key: str
    line_start: int
    """Offset of the start of the group key's line."""
    body_start: int
    """Offset just after the key's line: where a first entry goes."""
    key_column: int
    empty_value: tuple[int, int] | None
    """The span of an empty flow value (`[]`) to remove before adding entries."""
    entries: tuple[Entry, ...]

    @property
    def end(self) -> int:
        return self.entries[-1].span[1] if self.entries else self.body_start


@dataclass(frozen=True)
class Worksheet:
    """A week's worksheet as read: what the curator decided, and where each part is in the text."""

    path: Path
    week: Week
    intro: dict[str, str]
    illustrative: bool
    entries: tuple[Entry, ...]
    text: str = field(repr=False)
    groups: tuple[_Group, ...] = field(repr=False, default=())
    candidates_line: int | None = field(repr=False, default=None)
    """Offset just after the `candidates:` line (None when the key is missing)."""
    candidates_empty: tuple[int, int] | None = field(repr=False, default=None)

    @property
    def version(self) -> str:
        """A fingerprint of the text: the curation page saves only over the version it showed."""
        return text_version(self.text)

    @property
    def kept(self) -> tuple[Entry, ...]:
        return tuple(e for e in self.entries if e.keep)

    @property
    def curated(self) -> bool:
        """Whether a curator decided anything: a week where nobody did may go out as uncurated (auto_top)."""
        return any(e.keep is not None for e in self.entries)

    def entry(self, entry_id: str) -> Entry | None:
        return next((e for e in self.entries if entry_id in e.ids), None)


def text_version(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def curation_dir(project: Project) -> Path:
    return project.content_dir / "watch" / "curation"


def worksheet_path(project: Project, week: Week) -> Path:
    """Where a week's worksheet lives: content/watch/curation/<WEEK>.yaml."""
    return curation_dir(project) / f"{week}.yaml"


# ---------------------------------------------------------------- reading


def read_worksheet(path: Path, languages: list[str], text: str | None = None,
                   shown: str | None = None) -> Worksheet:
    """Read and check a worksheet; every problem is reported at once with its line (`ContentErrors`).

    `shown` is the path to name in messages (relative to the project).
    """
    if text is None:
        text = path.read_text(encoding="utf-8")
    reader = _Reader(path, text, languages, shown)
    sheet = reader.read()
    if reader.errors:
        raise ContentErrors(reader.errors)
    return sheet


class _Reader:
    """Walks the composed YAML nodes, checking each value and remembering where each entry is."""

    def __init__(self, path: Path, text: str, languages: list[str], shown: str | None = None):
        self.path, self.text, self.languages = path, text, languages
        self.shown = Path(shown) if shown else path
        self.errors: list[ContentError] = []
        self.line_starts = [0, *(m.end() for m in re.finditer("\n", text))]

    def error(self, node: yaml.Node | None, message: str) -> None:
        self.errors.append(ContentError(self.shown, message, node.start_mark.line + 1 if node else None))

    @staticmethod
    def value(node: yaml.Node) -> str:
        """A scalar's text as written (quotes and escapes resolved)."""
        return node.value if isinstance(node, yaml.ScalarNode) else ""

    def read(self) -> Worksheet:
        try:
            root = yaml.compose(self.text, Loader=_Loader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            problem = getattr(exc, "problem", None) or str(exc)
            line = mark.line + 1 if mark else None
            self.errors.append(ContentError(self.shown, f"not valid YAML ({problem}): fix this line, or move the "
                                            "file away and run `crebis watch review` again", line))
            return self._empty()
        if root is None:
            self.errors.append(ContentError(self.shown, "the worksheet is empty: delete it and run "
                                            "`crebis watch review`"))
            return self._empty()
        if not isinstance(root, yaml.MappingNode):
            self.error(root, "expected the worksheet's keys (week, intro, candidates)")
            return self._empty()
        top = self.mapping(root, TOP_KEYS, "the worksheet")
        week = self.week(top.get("week"))
        intro = self.notes(top["intro"][1], "intro") if "intro" in top else {}
        illustrative = False
        if "illustrative" in top:
            raw = self.value(top["illustrative"][1])
            illustrative = raw in _TRUE
            if raw not in _TRUE + _FALSE:
                self.error(top["illustrative"][1], "illustrative: must be true or false")
        groups: list[_Group] = []
        candidates_line = candidates_empty = None
        if "candidates" in top:
            key, node = top["candidates"]
            candidates_line = self.after_line(key)
            if self.is_empty(node):
                candidates_empty = self.flow_span(node)
            elif not isinstance(node, yaml.MappingNode) or node.flow_style:
                self.error(node, "candidates: must list the themes, each with its entries, in block style "
                           "(as `crebis watch review` writes them)")
            else:
                groups = self.groups(node)
        entries = tuple(e for g in groups for e in g.entries)
        self.check_unique(entries)
        return Worksheet(self.path, week or _week_of_name(self.path), intro, illustrative, entries, self.text,
                         tuple(groups), candidates_line, candidates_empty)

    def _empty(self) -> Worksheet:
        return Worksheet(self.path, _week_of_name(self.path), {}, False, (), self.text)

    # helpers over nodes

    def mapping(self, node: yaml.MappingNode, known: Iterable[str], what: str
                ) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        out: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else None
            if name not in known:
                self.error(key, f"unknown key {name!r} in {what}: the keys are {', '.join(known)}")
            elif name in out:
                self.error(key, f"{name!r} is written twice in {what}: keep one")
            else:
                out[name] = (key, value)
        return out

    def after_line(self, node: yaml.Node) -> int:
        line = node.start_mark.line + 1
        return self.line_starts[line] if line < len(self.line_starts) else len(self.text)

    def line_start(self, node: yaml.Node) -> int:
        return self.line_starts[node.start_mark.line]

    @staticmethod
    def is_empty(node: yaml.Node) -> bool:
        if isinstance(node, yaml.ScalarNode):
            return not node.style and node.value in _EMPTY
        return isinstance(node, yaml.SequenceNode | yaml.MappingNode) and not node.value

    @staticmethod
    def flow_span(node: yaml.Node) -> tuple[int, int] | None:
        """The span of an empty `[]` or `{}` (None for a bare null, which needs no removing)."""
        if isinstance(node, yaml.ScalarNode):
            return None
        return node.start_mark.index, node.end_mark.index

    def week(self, pair: tuple[yaml.Node, yaml.Node] | None) -> Week | None:
        expected = _week_of_name(self.path)
        if pair is None:
            self.errors.append(ContentError(self.shown, f"week: is missing: add `week: {expected}` at the top", 1))
            return None
        node = pair[1]
        try:
            week = Week.parse(str(self.value(node)))
        except WeekError as exc:
            self.error(node, f"week: {exc}")
            return None
        if expected and week != expected:
            self.error(node, f"week: says {week} but the file is named for {expected}: rename one of them")
        return week

    def notes(self, node: yaml.Node, what: str) -> dict[str, str]:
        """A text, or one per language: {fr: …, nl: …}; a text without a language is in the first one."""
        if self.is_empty(node):
            return {}
        if isinstance(node, yaml.ScalarNode):
            text = self.value(node)
            return {self.languages[0]: text.strip()} if text.strip() else {}
        if not isinstance(node, yaml.MappingNode):
            self.error(node, f"{what}: write a text, or one per language ({', '.join(self.languages)})")
            return {}
        out = {}
        for key, value in node.value:
            lang = key.value if isinstance(key, yaml.ScalarNode) else None
            if lang not in self.languages:
                self.error(key, f"{what}: {lang!r} is not a language of the project ({', '.join(self.languages)})")
                continue
            if self.is_empty(value):
                continue
            if not isinstance(value, yaml.ScalarNode):
                self.error(value, f"{what}: the {lang} text must be text")
                continue
            text = str(self.value(value)).strip()
            if text:
                out[lang] = text
        return out

    def groups(self, node: yaml.MappingNode) -> list[_Group]:
        groups = []
        seen = set()
        for key, value in node.value:
            name = str(key.value) if isinstance(key, yaml.ScalarNode) else ""
            if not name or name in seen:
                self.error(key, f"theme {name!r} is listed twice under candidates: merge the two lists"
                           if name else "candidates: each theme must be a name")
                continue
            seen.add(name)
            empty_value = None
            entries: list[Entry] = []
            if self.is_empty(value):
                empty_value = self.flow_span(value)
            elif not isinstance(value, yaml.SequenceNode) or value.flow_style:
                self.error(value, f"theme {name}: expected its entries as a block list (- id: …)")
            else:
                nodes = value.value
                for i, item in enumerate(nodes):
                    end = value.end_mark if i + 1 == len(nodes) else nodes[i + 1].start_mark
                    entry = self.entry(item, name, end.index)
                    if entry:
                        entries.append(entry)
            groups.append(_Group(name, self.line_start(key), self.after_line(key), key.start_mark.column,
                                 empty_value, tuple(entries)))
        return groups

    def entry_span(self, node: yaml.MappingNode, next_index: int) -> tuple[tuple[int, int], int]:
        """The whole lines of an entry, from its dash to its last line (its own trailing comments included)."""
        start_line = node.start_mark.line
        line_text = self.text[self.line_starts[start_line]:node.start_mark.index]
        dash = line_text.rfind("-")
        indent = dash if dash >= 0 else node.start_mark.column
        key_column = node.start_mark.column
        # The next token is the next entry's dash or the next key: the entry ends before its line, less the
        # lines just above that are blank or comments less indented than the entry's keys (they introduce what
        # follows).
        if next_index >= len(self.text):
            end_line = len(self.line_starts)
        else:
            end_line = bisect.bisect_right(self.line_starts, next_index) - 1
        last = end_line - 1
        while last > start_line:
            line = self.text[self.line_starts[last]:self.line_starts[last + 1] if last + 1 < len(self.line_starts)
                             else len(self.text)]
            stripped = line.strip()
            if stripped and not (stripped.startswith("#") and len(line) - len(line.lstrip()) < key_column):
                break
            last -= 1
        end = self.line_starts[last + 1] if last + 1 < len(self.line_starts) else len(self.text)
        return (self.line_starts[start_line], end), indent

    def entry(self, node: yaml.Node, group: str, next_index: int) -> Entry | None:
        if not isinstance(node, yaml.MappingNode) or node.flow_style:
            self.error(node, f"theme {group}: each entry must be a block mapping starting with `- id:`")
            return None
        keys = self.mapping(node, ENTRY_KEYS, "an entry")
        if "id" not in keys:
            self.error(node, "this entry has no id: give it the id crebis wrote, or remove the entry")
            return None
        entry_id = self.identifier(keys["id"][1])
        if not entry_id:
            self.error(keys["id"][1], "id: must not be empty")
            return None
        span, indent = self.entry_span(node, next_index)
        get = {name: value for name, (_key, value) in keys.items()}
        title = self.text_of(get.get("title"), "title")
        keep = self.keep(get.get("keep"))
        if keep and not title:  # published, it would be a link with no name (and an empty heading)
            self.error(node, "keep: true, but the entry has no title: give it one (readers click on it)")
        return Entry(
            id=entry_id, group=group,
            title=title,
            link=self.text_of(get.get("link"), "link") or None,
            sources=self.texts(get.get("sources"), "sources"),
            language=self.text_of(get.get("language"), "language"),
            themes=self.texts(get.get("themes"), "themes"),
            date=self.date(get.get("date")), score=self.score(get.get("score")),
            keep=keep,
            notes=self.notes(get["note"], "note") if "note" in get else {},
            also=self.members(get.get("also")), line=node.start_mark.line + 1, span=span, indent=indent,
        )

    def text_of(self, node: yaml.Node | None, what: str) -> str:
        if node is None or self.is_empty(node):
            return ""
        if not isinstance(node, yaml.ScalarNode):
            self.error(node, f"{what}: must be a single text")
            return ""
        return self.value(node).strip()

    def identifier(self, node: yaml.Node | None) -> str:
        """An id as written: `0123` is text here, not the number 83 that YAML 1.1 would make of it."""
        if node is None or self.is_empty(node):
            return ""
        if not isinstance(node, yaml.ScalarNode):
            self.error(node, "id: must be the id crebis wrote")
            return ""
        return node.value.strip()

    def texts(self, node: yaml.Node | None, what: str) -> tuple[str, ...]:
        if node is None or self.is_empty(node):
            return ()
        if isinstance(node, yaml.ScalarNode):
            return (self.text_of(node, what),)
        if not isinstance(node, yaml.SequenceNode):
            self.error(node, f"{what}: must be a list of names")
            return ()
        return tuple(t for t in (self.text_of(n, what) for n in node.value) if t)

    def date(self, node: yaml.Node | None) -> date | None:
        if node is None or self.is_empty(node):
            return None
        try:
            return date.fromisoformat(self.value(node).strip()[:10])
        except ValueError:
            self.error(node, "date: must be a day written YYYY-MM-DD")
            return None

    def score(self, node: yaml.Node | None) -> float | None:
        if node is None or self.is_empty(node):
            return None
        try:
            return float(self.value(node))
        except ValueError:
            self.error(node, "score: must be a number (crebis writes it; you may leave it as it is)")
            return None

    def keep(self, node: yaml.Node | None) -> bool | None:
        # Judged on the raw text: YAML 1.1 would read `yes` or `on` as true, YAML 1.2 as text.
        if node is None:
            return None
        raw = node.value if isinstance(node, yaml.ScalarNode) and not node.style else None
        if raw in _TRUE:
            return True
        if raw in _FALSE:
            return False
        if raw in _EMPTY:
            return None
        shown = node.value if isinstance(node, yaml.ScalarNode) else "a list or mapping"
        self.error(node, f"keep: must be true (in the digest), false (left out) or empty (not decided yet), "
                   f"not {shown!r}")
        return None

    def members(self, node: yaml.Node | None) -> tuple[Member, ...]:
        if node is None or self.is_empty(node):
            return ()
        if not isinstance(node, yaml.SequenceNode):
            self.error(node, "also: must list the story's other items ({id: …, title: …, link: …, source: …})")
            return ()
        members = []
        for item in node.value:
            if not isinstance(item, yaml.MappingNode):
                self.error(item, "also: each item must be a mapping {id: …, title: …, link: …, source: …}")
                continue
            keys = {name: value for name, (_key, value) in self.mapping(item, MEMBER_KEYS, "also").items()}
            member_id = self.identifier(keys.get("id"))
            if not member_id:
                self.error(item, "also: this item has no id")
                continue
            members.append(Member(member_id, self.text_of(keys.get("title"), "title"),
                                  self.text_of(keys.get("link"), "link") or None,
                                  self.text_of(keys.get("source"), "source"),
                                  self.text_of(keys.get("language"), "language")))
        return tuple(members)

    def check_unique(self, entries: tuple[Entry, ...]) -> None:
        first: dict[str, int] = {}
        for entry in entries:
            for item_id in entry.ids:
                if item_id in first:
                    self.errors.append(ContentError(self.shown, f"id {item_id} is listed twice (first at line "
                                                    f"{first[item_id]}): keep one of the two", entry.line))
                else:
                    first[item_id] = entry.line


def _week_of_name(path: Path) -> Week | None:
    try:
        return Week.parse(path.stem)
    except WeekError:
        return None


# ---------------------------------------------------------------- writing new text


_PLAIN_START = re.compile(r"^[^\s\-?:,\[\]{}#&*!|>'\"%@`]")
_RESOLVER = yaml.resolver.Resolver()
_STR = "tag:yaml.org,2002:str"
# What YAML does not allow raw in a stream, or folds as a line break; JSON leaves these as they are.
_UNPRINTABLE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")


def scalar(value: Any, flow: bool = False) -> str:
    """One value as YAML: plain where that reads back as the same text, else double-quoted.

    Written by hand rather than by a YAML dumper: a thousand entries take a dumper most
    of a second. JSON's quoted strings are YAML's double-quoted ones, once the line
    separators YAML would fold are escaped too.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    if (text and _PLAIN_START.match(text) and text == text.strip() and ": " not in text and " #" not in text
            and not text.endswith(":") and "\n" not in text and text.isprintable()
            and not (flow and any(c in text for c in ",[]{}:?#&*!|>'\"%@`"))
            and _RESOLVER.resolve(yaml.ScalarNode, text, (True, False)) == _STR):
        return text
    return _UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(text, ensure_ascii=False))


def _flow_list(values: Iterable[Any]) -> str:
    return "[" + ", ".join(scalar(v, flow=True) for v in values) + "]"


def _entry_text(candidate: Candidate, labels: Callable[[str], str]) -> str:
    lines = [
        f"- id: {scalar(candidate.id)}",
        f"  title: {scalar(candidate.title)}",
        f"  link: {scalar(candidate.link)}",
        f"  sources: {_flow_list(candidate.sources)}",
        f"  language: {scalar(candidate.language or None)}",
        f"  themes: {_flow_list(labels(t) for t in candidate.themes)}",
        f"  date: {scalar(candidate.date)}",
        f"  score: {scalar(round(candidate.score, 2))}",
        "  keep:",
        "  note:",
    ]
    if candidate.also:
        lines.append("  also:")
        for m in candidate.also:
            fields = {"id": m.id, "title": m.title, "link": m.link, "source": m.source, "language": m.language or None}
            lines.append("  - {" + ", ".join(f"{k}: {scalar(v, flow=True)}" for k, v in fields.items()) + "}")
    return "\n".join(line.rstrip() for line in lines) + "\n"


def _indent(text: str, columns: int) -> str:
    pad = " " * columns
    return "".join(pad + line if line.strip() else line for line in text.splitlines(keepends=True))


def _entries_text(candidates: list[Candidate], labels: Callable[[str], str], indent: int) -> str:
    return "".join(_indent(_entry_text(c, labels), indent) for c in candidates)


def _group_text(group: str, candidates: list[Candidate], labels: Callable[[str], str], key_column: int,
                entry_indent: int) -> str:
    comment = f"  # {labels(group)}" if group != UNTHEMED else "  # no theme of content/themes.yaml"
    return " " * key_column + f"{group}:{comment}\n" + _entries_text(candidates, labels, entry_indent)


def _header(week: Week, languages: list[str]) -> str:
    first = languages[0]
    span = f"{format_date(week.monday, 'en', 'd MMMM')} – {format_date(week.sunday, 'en', 'd MMMM yyyy')}"
    return (
        f"# Innovation watch: curation worksheet of {week} ({span}).\n"
        "# `crebis watch review` wrote it and adds what is fetched later without changing what you wrote;\n"
        "# `crebis watch curate` edits it in a browser. For each story: keep: true puts it in the digest,\n"
        "# keep: false leaves it out. note: a line for readers, in " + first + ", or one per language\n"
        "# (note: {" + ", ".join(f"{lang}: …" for lang in languages) + "}). The intro opens the digest.\n"
    )


def new_worksheet_text(week: Week, candidates: list[Candidate], languages: list[str],
                       labels: Callable[[str], str], order: Callable[[str], Any]) -> str:
    """A fresh worksheet: header, week, empty intro per language, the candidates by theme."""
    text = _header(week, languages) + f"week: {week}\n"
    text += "intro:\n" + "".join(f"  {lang}:\n" for lang in languages) + "candidates:\n"
    for group, members in _by_group(candidates, order):
        text += _group_text(group, members, labels, 2, 2)
    return text


def _by_group(candidates: list[Candidate], order: Callable[[str], Any]) -> list[tuple[str, list[Candidate]]]:
    groups: dict[str, list[Candidate]] = {}
    for c in candidates:
        groups.setdefault(c.theme, []).append(c)
    return sorted(groups.items(), key=lambda kv: order(kv[0]))


# ---------------------------------------------------------------- editing one entry (ruamel.yaml round-trip)


def _round_trip() -> YAML:
    rt = YAML(typ="rt")
    rt.preserve_quotes = True
    rt.width = 1_000_000
    rt.indent(mapping=2, sequence=2, offset=0)
    return rt


def edit_entry(text: str, entry: Entry, change: Callable[[CommentedMap], None]) -> str:
    """The worksheet text with one entry changed by `change`, through a ruamel.yaml round-trip of that entry."""
    start, end = entry.span
    return text[:start] + _edited(text, entry, change) + text[end:]


def _edited(text: str, entry: Entry, change: Callable[[CommentedMap], None]) -> str:
    """The new text of one entry: its lines, dedented to a document of its own, loaded, changed and dumped."""
    start, end = entry.span
    lines = text[start:end].splitlines(keepends=True)
    snippet = "".join(line[min(entry.indent, len(line) - len(line.lstrip(" "))):] for line in lines)
    rt = _round_trip()
    data = rt.load(snippet)
    change(data[0])
    out = io.StringIO()
    rt.dump(data, out)
    edited = _indent(out.getvalue(), entry.indent)
    return edited if edited.endswith("\n") else edited + "\n"


def set_keep(mapping: CommentedMap, keep: bool | None) -> None:
    mapping["keep"] = keep


def set_note(mapping: CommentedMap, lang: str, note: str, languages: list[str]) -> None:
    """Set the note of one language, keeping the others (a plain note is the first language's)."""
    current = mapping.get("note")
    notes = CommentedMap()
    if isinstance(current, dict):
        notes = current
    elif isinstance(current, str) and current.strip():
        notes[languages[0]] = current
    if note.strip():
        notes[lang] = note.strip()
    elif lang in notes:
        del notes[lang]
    if not notes:
        mapping["note"] = None
        return
    if not isinstance(current, dict):
        ordered = CommentedMap((k, notes[k]) for k in languages if k in notes)
        mapping["note"] = ordered
    else:
        mapping["note"] = notes


def _add_members(mapping: CommentedMap, candidate: Candidate, known: set[str]) -> None:
    sources = mapping.get("sources")
    if not isinstance(sources, list):
        sources = CommentedSeq([sources] if sources else [])
        sources.fa.set_flow_style()
        mapping["sources"] = sources
    for name in candidate.sources:
        if name not in sources:
            sources.append(name)
    also = mapping.get("also")
    if not isinstance(also, list):
        also = CommentedSeq()
        mapping["also"] = also
    for member in candidate.also:
        if member.id in known:
            continue
        item = CommentedMap([("id", member.id), ("title", member.title), ("link", member.link),
                             ("source", member.source), ("language", member.language or None)])
        item.fa.set_flow_style()
        also.append(item)


# ---------------------------------------------------------------- review


@dataclass(frozen=True)
class ReviewReport:
    """What `review` did to a week's worksheet."""

    path: Path
    week: Week
    created: bool
    added: int
    merged: int
    """Stories already listed that other outlets have told since: their new sources were added."""
    candidates: int
    worksheet: Worksheet
    gone: tuple[Entry, ...]
    """Entries no longer among the week's items in the store: kept as written."""


def review(project: Project, week: Week, now: datetime | None = None) -> ReviewReport:
    """Write the week's worksheet, or merge the stories fetched since into it; returns what changed."""
    languages = project.config.languages
    path = worksheet_path(project, week)
    shown = project.relative(path)
    candidates = week_candidates(project, week, now)
    themes = load_themes(project.path(project.config.watch.themes))
    rank = {theme_id: i for i, theme_id in enumerate(themes)}

    def labels(theme_id: str) -> str:
        theme = themes.get(theme_id)
        return theme.label(languages[0]) if theme else theme_id

    def order(group: str) -> tuple[int, str]:
        return (rank.get(group, len(rank) + (group == UNTHEMED)), group)

    if not path.exists():
        text = new_worksheet_text(week, candidates, languages, labels, order)
        sheet = read_worksheet(path, languages, text, shown)
        write_atomic(path, text.encode("utf-8"))
        return ReviewReport(path, week, True, len(candidates), 0, len(candidates), sheet, ())
    text = path.read_text(encoding="utf-8")
    sheet = read_worksheet(path, languages, text, shown)
    store_known = (project.state_dir / STORE_FILE).exists()
    gone = check_against_store(sheet, candidates, shown) if store_known else ()
    new_text, added, merged = merge(sheet, candidates, labels, order)
    if new_text != text:
        # Read back before writing: a merge must leave a worksheet that reads, or write nothing.
        merged_sheet = read_worksheet(path, languages, new_text, shown)
        _write_if_unchanged(path, text, new_text)
        sheet = merged_sheet
    return ReviewReport(path, week, False, added, merged, len(candidates), sheet, gone)


def check_against_store(sheet: Worksheet, candidates: list[Candidate], shown: str) -> tuple[Entry, ...]:
    """The entries none of whose items are among the week's candidates; an error for those crebis cannot publish.

    Such an entry was deleted from the store or is dated in another week now: the digest
    uses the worksheet's copy, which needs at least a title and a link.
    """
    ids = {i for c in candidates for i in c.ids}
    gone = tuple(e for e in sheet.entries if not any(i in ids for i in e.ids))
    unknown = [ContentError(shown, f"unknown id {e.id}: it is not an item of {sheet.week} in the watch store; "
                            "correct the id, or give the entry a title: and a link: of its own", e.line)
               for e in gone if not (e.title and e.link)]
    if unknown:
        raise ContentErrors(unknown)
    return gone


def merge(sheet: Worksheet, candidates: list[Candidate], labels: Callable[[str], str],
          order: Callable[[str], Any]) -> tuple[str, int, int]:
    """The worksheet text with the candidates it lacks added: (text, stories added, stories given new sources).

    A new story goes into its theme's list before the first entry scored lower, so
    entries already there keep their order; a new theme goes where the taxonomy puts
    it among the themes already there.
    """
    listed: dict[str, Entry] = {i: e for e in sheet.entries for i in e.ids}
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement); start == end inserts
    fresh: dict[str, list[Candidate]] = {}
    merged_entries: dict[str, tuple[Entry, Candidate]] = {}
    for candidate in candidates:
        entry = next((listed[i] for i in candidate.ids if i in listed), None)
        if entry is None:
            fresh.setdefault(candidate.theme, []).append(candidate)
        elif any(i not in listed for i in candidate.ids) and entry.id not in merged_entries:
            merged_entries[entry.id] = (entry, candidate)
    known = set(listed)
    for entry, candidate in merged_entries.values():
        edits.append((*entry.span, _edited(sheet.text, entry, lambda m, c=candidate: _add_members(m, c, known))))
    groups = {g.key: g for g in sheet.groups}
    key_column = sheet.groups[0].key_column if sheet.groups else 2
    entry_offset = next((g.entries[0].indent - g.key_column for g in sheet.groups if g.entries), 0)
    new_groups = []
    for group, members in fresh.items():
        existing = groups.get(group)
        if existing is None:
            new_groups.append((group, members))
            continue
        indent = existing.entries[0].indent if existing.entries else existing.key_column + entry_offset
        if existing.empty_value:
            edits.append((*existing.empty_value, ""))
        pending = list(members)
        at = existing.body_start
        for entry in existing.entries:
            # Before an entry means after the previous one: comments above an entry stay with it.
            before = []
            while pending and entry.score is not None and pending[0].score > entry.score:
                before.append(pending.pop(0))
            if before:
                edits.append((at, at, _entries_text(before, labels, indent)))
            at = entry.span[1]
        if pending:
            edits.append((existing.end, existing.end, _entries_text(pending, labels, indent)))
    if new_groups:
        edits.extend(_new_group_edits(sheet, new_groups, labels, order, key_column, entry_offset))
    text = sheet.text
    # From the end backwards, so that offsets stay true; edits at one offset land in the order they were listed.
    numbered = [(start, end > start, i, end, replacement) for i, (start, end, replacement) in enumerate(edits)]
    for start, _replaces, _i, end, replacement in sorted(numbered, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text, sum(len(m) for m in fresh.values()), len(merged_entries)


def _new_group_edits(sheet: Worksheet, new_groups: list[tuple[str, list[Candidate]]], labels: Callable[[str], str],
                     order: Callable[[str], Any], key_column: int, entry_offset: int) -> list[tuple[int, int, str]]:
    edits = []
    prefix = ""
    if sheet.candidates_line is None:
        end = len(sheet.text)
        prefix = ("" if sheet.text.endswith("\n") or not sheet.text else "\n") + "candidates:\n"
        edits.append((end, end, prefix))
        anchor_end = end
    else:
        if sheet.candidates_empty:
            edits.append((*sheet.candidates_empty, ""))
        anchor_end = sheet.candidates_line
    for group, members in sorted(new_groups, key=lambda kv: order(kv[0])):
        # After the last existing group that the taxonomy puts before this one, else first.
        before = [g for g in sheet.groups if order(g.key) < order(group)]
        at = before[-1].end if before else anchor_end
        edits.append((at, at, _group_text(group, members, labels, key_column, key_column + entry_offset)))
    return edits


def _write_if_unchanged(path: Path, expected: str, new_text: str) -> None:
    """Write `new_text` unless the file changed since it was read as `expected` (then nothing is written)."""
    if path.read_text(encoding="utf-8") != expected:
        raise StaleWorksheet(f"{path}: changed while crebis was working on it; nothing was written: run the "
                             "command again")
    write_atomic(path, new_text.encode("utf-8"))


# ---------------------------------------------------------------- decisions (the curation page)


def decide(path: Path, languages: list[str], entry_id: str, expected_version: str, *,
           keep: bool | str | None = "unchanged", note: tuple[str, str] | None = None) -> Worksheet:
    """Set an entry's keep and/or one language's note, if the file is still the version the caller saw.

    Raises `StaleWorksheet` when the file changed meanwhile (nothing is written then).
    """
    text = path.read_text(encoding="utf-8")
    if text_version(text) != expected_version:
        raise StaleWorksheet(f"{path.name} was changed outside this page (an editor, or `crebis watch review`) "
                             "since it was loaded: reload the page to see the changes; nothing was saved")
    sheet = read_worksheet(path, languages, text)
    entry = sheet.entry(entry_id)
    if entry is None:
        raise CrebisError(f"{path.name}: no entry {entry_id}: reload the page")
    if note is not None and note[0] not in languages:
        raise CrebisError(f"a note in {note[0]!r}: the project's languages are {', '.join(languages)}")

    def change(mapping: CommentedMap) -> None:
        if keep != "unchanged":
            set_keep(mapping, keep)  # type: ignore[arg-type]
        if note is not None:
            set_note(mapping, note[0], note[1], languages)

    new_text = edit_entry(text, entry, change)
    new_sheet = read_worksheet(path, languages, new_text)
    _write_if_unchanged(path, text, new_text)
    return new_sheet


def describe_review(report: ReviewReport, relative: Callable[[Path], str]) -> str:
    """What `crebis watch review` prints: what changed, where the week stands, entries gone from the store."""
    sheet = report.worksheet
    where = relative(report.path)
    if report.created:
        done = f"{where}: written with {report.added} stories of {report.week}"
    elif report.added or report.merged:
        done = (f"{where}: {report.added} new stories added, {report.merged} already listed with new sources "
                "(nothing you wrote was changed)")
    else:
        done = f"{where}: nothing new since the last review"
    kept = len(sheet.kept)
    dropped = sum(1 for e in sheet.entries if e.keep is False)
    lines = [done, f"{len(sheet.entries)} stories: {kept} kept, {dropped} left out, "
                   f"{len(sheet.entries) - kept - dropped} to decide."]
    if not report.candidates:
        lines.append(f"The watch store has no item of {report.week}: run `crebis watch fetch` first.")
    if report.gone:
        lines.append(f"{len(report.gone)} entries are no longer among the week's items in the watch store "
                     "(deleted, or dated in another week now); they stay as written:")
        lines.extend(f"  {where}:{e.line}: {e.id} “{e.title}”" for e in report.gone)
    return "\n".join(lines)
