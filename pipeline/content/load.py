"""Read `content/` into the model, validating everything there and only there.

Every problem is collected as a `ContentError` naming the file and line, so a
run shows all of them at once; a result with errors is left out of the model
(its previous outputs stay as they were) while the others go on.
"""

from __future__ import annotations

import datetime
import difflib
import html
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from pipeline.config import SUPPORTED_LANGUAGES
from pipeline.content.chartdata import ChartSource, chart_labels, draft_alt, read_chart
from pipeline.content.frontmatter import (
    Document,
    check_characters,
    check_size,
    compose,
    load_yaml,
    locate,
    position,
    split,
)
from pipeline.content.images import image_problem
from pipeline.content.model import STATUSES, Author, Edition, Figure, Recommendation, Result, Theme, content_digest
from pipeline.content.scanning import matches_at_starts
from pipeline.errors import ContentError

REQUIRED = ("title", "date", "authors", "themes", "status", "summary", "key_findings", "recommendations")
OPTIONAL = ("subtitle", "licence", "doi", "url", "illustrative", "figures")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# ![alt](src "title"){attrs}: the images of a Markdown body.
IMAGE = re.compile(r"!\[(?P<alt>[^\]]*)\]\((?P<src>[^)\s]+)(?:\s+\"[^\"]*\")?\)")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATE_RANGE = (1900, 2200)
"""Years a content date may have: later stages add months and days to dates, so 9999-12-31 is no date."""
# ATX headings as pandoc reads them: any number of '#' (pandoc makes `#######` a level-7 heading), and
# setext underlines (a line of '=' or '-' under a paragraph line).
_HEADING = re.compile(r"^ {0,3}(#+)(?:[ \t]+(.*?))?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_USELESS_ALT = {"image", "img", "figure", "chart", "graph", "picture", "photo", "graphique", "afbeelding",
                "figuur", "grafiek", "illustration"}


@dataclass
class Loaded:
    """What loading found: the valid results and every error, in file order."""

    results: list[Result] = field(default_factory=list)
    errors: list[ContentError] = field(default_factory=list)
    failed: set[str] = field(default_factory=set)
    """Slugs of results left out whole because of errors."""
    documents: dict[Path, tuple[bytes, Document]] = field(default_factory=dict)
    """Every edition file read (valid or not) with its bytes and parsed front matter: the checks and the
    build's fingerprints work from this one reading instead of reading the files again."""
    problems: dict[Path, list[BodyProblem]] = field(default_factory=dict)
    """The body problems of every edition read this far (`body_problems`): the checks report them from here."""
    left_out: set[Path] = field(default_factory=set)
    """Edition files of loaded results that were left out, whatever file their error names (a chart's labels
    table, a sibling they disagree with): their outputs too are kept as they were."""

    @property
    def failed_files(self) -> set[Path]:
        """Files (or folders) with an error, and editions left out for one: their outputs are not built, nor
        removed."""
        return {e.path for e in self.errors} | self.left_out


def read_text(path: Path) -> tuple[bytes, str]:
    """The bytes and text of a content file: UTF-8, within the size limit, every character publishable.

    A problem is a `ContentError` with its line (FileNotFoundError passes).
    """
    check_size(path.stat().st_size, path)
    raw = path.read_bytes()
    check_size(len(raw), path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = position(raw.decode("utf-8", "replace"), len(raw[:exc.start].decode("utf-8", "replace")))
        raise ContentError(path, f"not UTF-8 text (at column {column}, byte 0x{raw[exc.start]:02X}): save the "
                           "file as UTF-8 (in most editors: Save As, encoding UTF-8)", line=line) from None
    text = text.removeprefix("\ufeff")
    check_characters(text, path)
    return raw, text


def read_yaml(path: Path) -> Any:
    """Parse a YAML data file strictly (see `frontmatter.load_yaml`); a problem is a `ContentError` with its line."""
    return load_yaml(read_text(path)[1], path)


def load_themes(path: Path) -> dict[str, Theme]:
    """Read the theme taxonomy (`content/themes.yaml`): id → label and keywords per language."""
    try:
        data = read_yaml(path) or {}
    except FileNotFoundError:
        raise ContentError(path, "theme file not found: create it (see `crebis init`) or set "
                           "watch.themes in crebis.toml") from None
    if not isinstance(data, dict):
        raise ContentError(path, "expected a mapping of theme ids to {label: …, keywords: …}")
    themes = {}
    for theme_id, entry in data.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("label"), dict):
            raise ContentError(path, f"theme '{theme_id}': needs a 'label' table by language")
        keywords = entry.get("keywords") or {}
        if not isinstance(keywords, dict) or not all(isinstance(v, list) for v in keywords.values()):
            raise ContentError(path, f"theme '{theme_id}': 'keywords' must list words by language")
        themes[str(theme_id)] = Theme(
            id=str(theme_id),
            labels={str(k): str(v) for k, v in entry["label"].items()},
            keywords={str(k): tuple(str(w) for w in v) for k, v in keywords.items()},
        )
    return themes


class FrontMatterReader:
    """Reads one file's front matter, turning each problem into a located error."""

    def __init__(self, path: Path, doc: Document, errors: list[ContentError]):
        self.path, self.doc, self.errors = path, doc, errors

    def error(self, keys: tuple[str | int, ...], message: str) -> None:
        self.errors.append(ContentError(self.path, message, line=locate(self.doc, keys)))

    def text(self, value: Any, keys: tuple[str | int, ...], required: bool = True) -> str | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.error(keys, f"'{_dotted(keys)}' is empty: give it a text")
            return None
        if isinstance(value, bool | list | dict):
            self.error(keys, f"'{_dotted(keys)}' must be a text, not {type(value).__name__}")
            return None
        return str(value).strip()

    def items(self, value: Any, keys: tuple[str | int, ...]) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(keys, f"'{_dotted(keys)}' must be a list (lines starting with '- ')")
            return []
        return value

    def mapping(self, value: Any, keys: tuple[str | int, ...], allowed: tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.error(keys, f"'{_dotted(keys)}' must have the keys {', '.join(allowed)}")
            return {}
        for key in value:
            if key not in allowed:
                self.error((*keys, key), f"unknown key '{key}' in '{_dotted(keys)}'{did_you_mean(key, allowed)}")
        return value

    def date(self, value: Any, keys: tuple[str | int, ...]) -> datetime.date | None:
        """A calendar date written YYYY-MM-DD, in the years a publication can have."""
        if isinstance(value, datetime.datetime):
            value = value.date()
        if not isinstance(value, datetime.date):
            text = str(value).strip()
            try:
                # fromisoformat also takes week dates (2026-W11-1) and compact forms: only YYYY-MM-DD here
                value = datetime.date.fromisoformat(text) if _DATE.match(text) else None
            except ValueError:
                value = None
            if value is None:
                self.error(keys, f"'{keys[-1]}' must be a real date written YYYY-MM-DD (like 2026-03-12), "
                           f"got {text[:40]!r}")
                return None
        if not DATE_RANGE[0] <= value.year <= DATE_RANGE[1]:
            self.error(keys, f"'{keys[-1]}' {value.isoformat()} is not a plausible date: use a year from "
                       f"{DATE_RANGE[0]} to {DATE_RANGE[1]}")
            return None
        return value


def _dotted(keys: tuple[str | int, ...]) -> str:
    out = ""
    for key in keys:
        out += f"[{key + 1}]" if isinstance(key, int) else (f".{key}" if out else key)
    return out


def did_you_mean(key: str, known: tuple[str, ...], what: str = "known keys") -> str:
    close = difflib.get_close_matches(key, known, n=1)
    return f" (did you mean '{close[0]}'?)" if close else f"; {what}: {', '.join(known)}"


@dataclass(frozen=True)
class BodyProblem:
    """A problem in a Markdown body that the loader refuses and `crebis check` reports."""

    rule: str
    """heading-h1, heading-order, image-missing, alt-text, code-fence or link-scheme."""
    line: int
    column: int
    message: str


def useless_alt(alt: str, file: str) -> bool:
    """Whether alt text says nothing: empty, a file name, or a word like "image"."""
    alt = alt.strip()
    return not alt or alt.lower() in _USELESS_ALT or alt == file or alt == Path(file).name


def local_file(directory: Path, name: str) -> Path | None:
    """`name` as a file of `directory` (subfolders allowed), or None if it points elsewhere or cannot exist."""
    if not name or name.startswith(("/", "\\")) or ".." in re.split(r"[\\/]", name) or ":" in name:
        return None
    path = directory / name
    try:
        return path if path.is_file() else None
    except (OSError, ValueError):  # a name too long for the file system, a NUL: no such file
        return None


def shared_file(directory: Path, name: str, shared: tuple[Path, ...]) -> Path | None:
    """`name` (relative to `directory`, climbing out with `..`) as a file of one of the `shared` folders
    (`build.shared_folders`, normalised), or None."""
    if not shared or not name or os.path.isabs(name) or ":" in name or "\\" in name:
        return None
    path = Path(os.path.normpath(directory / name))
    if not any(path.is_relative_to(folder) for folder in shared):
        return None
    try:
        return path if path.is_file() else None
    except (OSError, ValueError):
        return None


# Where Markdown and HTML put an address: inline links and images, reference definitions, autolinks, attributes.
_ADDRESS = re.compile(
    r"\]\(\s*<?(?P<inline>[^)\s>]+)"
    r"|^ {0,3}\[[^\]\n]+\]:[ \t]*<?(?P<reference>[^\s>]+)"
    r"|<(?P<auto>[A-Za-z][A-Za-z0-9+.-]{1,31}:[^\s<>]*)>"
    r"|\b(?:href|src|action|formaction|poster|srcset|data|xlink:href)\s*=\s*"
    r"(?:\"(?P<dq>[^\"]*)\"|'(?P<sq>[^']*)'|(?P<bare>[^\s>]+))",
    re.MULTILINE | re.IGNORECASE,
)
# the same groups, the attribute alternative never tried
_ADDRESS_NO_ATTRIBUTE = re.compile(_ADDRESS.pattern.rsplit("|\\b(?:href", 1)[0] + "|(?!)(?P<dq>)(?P<sq>)(?P<bare>)",
                                   _ADDRESS.flags)
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):")
SAFE_SCHEMES = ("http", "https", "mailto")
# Raw HTML that would run code or pull in another page where the content is published.
_ACTIVE_HTML = re.compile(r"<\s*/?\s*(script|iframe|object|embed|style|form|base|meta|link)\b"
                          r"|<[a-z][^>]*\s(on[a-z]+)\s*=", re.IGNORECASE)
_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")


def link_scheme(address: str) -> str | None:
    """The scheme of `address` as a browser reads it (entities decoded, blanks dropped), if it has one."""
    cleaned = re.sub(r"[\x00-\x20]", "", html.unescape(address)).lower()
    match = _SCHEME.match(cleaned)
    return match.group(1) if match else None


# Where an alternative of `_ADDRESS_NO_ATTRIBUTE` can start: a link's "](", a reference's line, an autolink's "<".
_ADDRESS_START = re.compile(r"\]\(|^ {0,3}\[|<", re.MULTILINE)


def _addresses(text: str) -> Iterator[re.Match[str]]:
    """`_ADDRESS.finditer(text)`. A text without '=' has no HTML attribute, and the pattern without that
    alternative is tried only where one of its others can start: searching every character with it was the
    loader's slowest step (bench/check.py)."""
    if "=" in text:
        yield from _ADDRESS.finditer(text)
    else:
        yield from matches_at_starts(_ADDRESS_START, _ADDRESS_NO_ATTRIBUTE, text)


def unsafe_addresses(text: str) -> Iterator[tuple[int, str]]:
    """(offset, what) of each link with a scheme other than http, https and mailto, and of active raw HTML."""
    for match in _addresses(text):
        name = next(n for n in ("inline", "reference", "auto", "dq", "sq", "bare") if match.group(n) is not None)
        scheme = link_scheme(match.group(name))
        if scheme is not None and scheme not in SAFE_SCHEMES:
            yield match.start(name), f"a '{scheme}:' link"
    for match in _ACTIVE_HTML.finditer(text):
        yield match.start(), f"raw HTML <{match.group(1).lower()}>" if match.group(1) else \
            f"a raw HTML '{match.group(2).lower()}' attribute"


def _unsafe(text: str, first_line: int) -> Iterator[BodyProblem]:
    for offset, what in unsafe_addresses(text):
        line, column = position(text, offset)
        yield BodyProblem("link-scheme", line + first_line - 1, column, f"{what} cannot be published (only http, "
                          "https and mailto links, and no scripts): link to a web page instead")


def body_problems(path: Path, doc: Document, declared: set[str]) -> list[BodyProblem]:
    """Headings in order below the title's h1, every body image present with alt text, code blocks closed,
    and no link or raw HTML that could run code where the text is published.

    Images named in `declared` (the front matter's figures) get their alt text there.
    """
    problems: list[BodyProblem] = list(_unsafe(doc.front_matter, 2))
    level, fence, fence_line, previous = 1, "", 0, ""
    prose: list[str] = []
    for offset, line in enumerate(doc.body.split("\n")):
        number = doc.body_line + offset
        marker = _FENCE.match(line)
        if fence or marker:
            previous = ""
        if fence:
            if marker and marker.group(1)[0] == fence[0] and len(marker.group(1)) >= len(fence) \
                    and not line[marker.end():].strip():
                fence = ""
            prose.append("")
            continue
        if marker:
            fence, fence_line = marker.group(1), number
            prose.append("")
            continue
        # the searches below only where their patterns can match: a line of prose has no '`' nor '![' mostly
        prose.append(_CODE_SPAN.sub(lambda m: " " * len(m.group(0)), line) if "`" in line else line)
        heading = _HEADING.match(line)
        setext = _SETEXT.match(line) if previous.strip() and not _HEADING.match(previous) else None
        previous = line
        if heading or setext:
            depth = len(heading.group(1)) if heading else (1 if setext.group(1)[0] == "=" else 2)
            title = (heading.group(2) or "").strip().strip("#").strip() if heading else "text"
            if not title:
                problems.append(BodyProblem("heading-order", number, 1, "a heading without text: give it a "
                                            "title, or remove the line"))
            if depth == 1:
                problems.append(BodyProblem("heading-h1", number, 1, "a level-1 heading in the body: the title is "
                                            "the page's only level-1 heading, start sections at '##'"))
            elif depth > 6:
                problems.append(BodyProblem("heading-order", number, 1, f"a level-{depth} heading: headings go down "
                                            "to level 6 (######); use fewer '#', or write the line as text"))
            elif depth > level + 1:
                problems.append(BodyProblem("heading-order", number, 1, f"heading skips from level {level} to "
                                            f"{depth}: use {'#' * (level + 1)} here so the outline stays in order"))
            level = min(depth, 6)
        for image in IMAGE.finditer(line) if "![" in line else ():
            src, alt = image.group("src"), image.group("alt").strip()
            column = image.start() + 1
            if link_scheme(src) is not None:
                problems.append(BodyProblem("image-missing", number, column, f"image '{src[:80]}' is not a file "
                                            "of this result: download it next to this file and use its name (a "
                                            "remote image is not in the PDF, and tells its host who reads)"))
                continue
            if src in declared:
                continue
            found = local_file(path.parent, src)
            if found is None:
                problems.append(BodyProblem("image-missing", number, column, f"image '{src[:80]}' not found next "
                                            f"to this file: add it to {path.parent.name}/ or fix the name"))
            elif broken := image_problem(found):
                problems.append(BodyProblem("image-broken", number, column, f"image '{src[:80]}' {broken}"))
            if useless_alt(alt, src):
                problems.append(BodyProblem("alt-text", number, column, f"image '{src[:80]}' has no useful alt "
                                            "text: describe what it shows, or declare it under 'figures' with 'alt'"))
    if fence:
        problems.append(BodyProblem("code-fence", fence_line, 1, f"code block opened with {fence} is never closed: "
                                    f"add a line {fence} where it ends"))
    problems.extend(_unsafe("\n".join(prose), doc.body_line))
    return problems


TODO_MARKER = "TODO"
"""What `crebis new`, `crebis newsletter new` and `crebis import` write where a person has to write."""
_TODO = re.compile(rf"\b{TODO_MARKER}\b")


def unfinished(doc: Document) -> list[tuple[int, int, str]]:
    """(line, column, where) of every TODO marker in the front matter's values and in the body.

    YAML comments are not published, so a marker there is not counted.
    """
    found = []
    # A value holds the marker only if the front matter's text does, or makes it with a double-quoted escape
    # ("\\x54ODO"): most front matters need no walk through their values.
    walk = TODO_MARKER in doc.front_matter or "\\" in doc.front_matter
    stack = [((), doc.node if doc.node is not None else compose(doc.front_matter))] if walk else []
    while stack:
        keys, node = stack.pop()
        if isinstance(node, yaml.ScalarNode) and isinstance(node.value, str):
            for match in _TODO.finditer(node.value):
                # a plain or quoted value on one line: the marker's column is known; else the value's start
                one_line = node.start_mark.line == node.end_mark.line and node.style in (None, "", '"', "'")
                column = node.start_mark.column + match.start() + (1 if node.style in ('"', "'") else 0) + 1 \
                    if one_line else node.start_mark.column + 1
                found.append((node.start_mark.line + 2, column, _dotted(keys) or "front matter"))
                break
        elif isinstance(node, yaml.MappingNode):
            stack.extend(((*keys, str(k.value)), v) for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(((*keys, i), v) for i, v in enumerate(node.value))
    for offset, line in enumerate(doc.body.split("\n") if TODO_MARKER in doc.body else ()):
        match = _TODO.search(line)
        if match:
            found.append((doc.body_line + offset, match.start() + 1, "body"))
    return sorted(found)


def check_finished(path: Path, doc: Document, published: bool, errors: list[ContentError]) -> None:
    """A published file may hold no TODO marker: each one is an error at its line."""
    if not published:
        return
    for line, column, where in unfinished(doc):
        errors.append(ContentError(path, f"unfinished: '{TODO_MARKER}' in {where} (column {column}) of a published "
                                   f"file: write the text, or set status: draft until it is done", line=line))


def body_images(path: Path, placed: tuple[str, ...], declared: set[str], charts: set[str] = frozenset()
                ) -> tuple[str, ...]:
    """The image files an edition shows: its declared figures and the images its body places (`placed`).

    An image of the body that is not declared (as `crebis import` writes them) is published
    all the same, with the alt text of the body (the loader has checked it is useful). A chart
    from data placed by its spec's name (in `charts`) is drawn, not an image file.
    """
    return tuple(sorted(declared | {src for src in set(placed) - charts if link_scheme(src) is None
                                    and local_file(path.parent, src) is not None}))


def check_body(path: Path, doc: Document, declared: set[str], errors: list[ContentError]) -> list[BodyProblem]:
    """The body problems the loader refuses, as errors; returned as found."""
    problems = body_problems(path, doc, declared)
    errors.extend(ContentError(path, p.message, line=p.line) for p in problems)
    return problems


def read_document(path: Path, errors: list[ContentError]) -> tuple[bytes, Document] | None:
    """Read a UTF-8 Markdown file and split its front matter; a problem is appended to `errors`."""
    try:
        raw, text = read_text(path)
        return raw, split(text, path)
    except ContentError as exc:
        errors.append(exc)
    return None


def check_keys(reader: FrontMatterReader, required: tuple[str, ...], optional: tuple[str, ...]) -> None:
    """Unknown keys (with the likely intended one) and missing required keys of a front matter."""
    known = required + optional
    for key in reader.doc.data:
        if key not in known:
            reader.error((key,), f"unknown front matter key '{key}'{did_you_mean(str(key), known)}")
    for key in required:
        if key not in reader.doc.data:
            reader.errors.append(ContentError(reader.path, f"missing '{key}' in the front matter", line=2))


FIGURE_KEYS = ("file", "data", "chart", "labels", "alt", "caption", "source")


def _draft_alt(r: FrontMatterReader, lang: str, m: dict[str, Any], spec: str | None) -> str | None:
    """The alt text crebis proposes for a chart from its data (never published unless the author writes it)."""
    folder, data = r.path.parent, m.get("data")
    if not (isinstance(data, str) and spec and local_file(folder, data) and local_file(folder, spec)):
        return None
    source = ChartSource(folder / data, folder / spec)
    own = m.get("labels") if isinstance(m.get("labels"), dict) else {}
    try:
        chart = read_chart(source)
        return draft_alt(chart, chart_labels(source, chart, lang, {str(k): str(v) for k, v in own.items()}, r.path),
                         lang)
    except ContentError:
        return None  # the chart's own error is reported below


def declared_figures(front: dict[str, Any]) -> set[str]:
    """The names a body may place declared figures by: picture files and chart specs."""
    items = front.get("figures")
    return {str(f.get("chart") or f.get("file")) for f in items if isinstance(f, dict)} \
        if isinstance(items, list) else set()


def read_figure(r: FrontMatterReader, lang: str, i: int, item: Any, shared: tuple[Path, ...] = ()) -> Figure | None:
    """One entry of `figures:`: a picture (`file:`) or a chart from data (`data:` CSV, `chart:` spec and
    `labels:`), with its alt text and caption. A chart's CSV, spec and texts are checked here, so a
    broken row, a misspelled spec key or a missing translation is an error at its file and line."""
    keys = ("figures", i)
    m = r.mapping(item, keys, FIGURE_KEYS)
    if not m:
        return None
    folder = r.path.parent
    chart = "data" in m or "chart" in m
    if chart:
        if "file" in m:
            r.error((*keys, "file"), "a figure is a picture ('file:') or a chart from data ('data:' and "
                    "'chart:'), not both: remove one")
        data = r.text(m.get("data"), (*keys, "data"))
        file = r.text(m.get("chart"), (*keys, "chart"))
        for key, name, ending in (("data", data, ".csv"), ("chart", file, ".vl.yaml")):
            if name and not name.endswith(ending):
                r.error((*keys, key), f"'{key}' must name a {ending} file beside this one, got '{name}'")
            elif name and local_file(folder, name) is None:
                r.error((*keys, key), f"{key} file '{name}' not found in {folder.name}/")
    else:
        data = None
        file = r.text(m.get("file"), (*keys, "file"))
        # a picture from a shared folder (`build.shared_folders`) is named by its path from here: ../../../x
        found = (local_file(folder, file) or shared_file(folder, file, shared)) if file else None
        if file and found is None and ".." in re.split(r"[\\/]", file):
            r.error((*keys, "file"), f"figure file '{file}' is not in {folder.name}/ nor in a folder listed under "
                    "build.shared_folders in crebis.toml: put it beside this file, or list its folder there")
        elif file and found is None:
            r.error((*keys, "file"), f"figure file '{file}' not found in {folder.name}/")
        elif found is not None and (broken := image_problem(found)):
            r.error((*keys, "file"), f"figure file '{file}' {broken}")
    alt = m.get("alt")
    if not isinstance(alt, str) or not alt.strip():
        draft = _draft_alt(r, lang, m, file) if chart else None
        r.error(keys, f"figure '{file}' has no alt text: add 'alt:' describing what the chart "
                "shows for readers who cannot see it" + (
                    f"; a draft from its data, to check and complete (say what it shows and why): “{draft}”"
                    if draft else ""))
    elif useless_alt(alt, file or ""):
        r.error((*keys, "alt"), f"figure '{file}' alt text '{alt}' says nothing: describe what it shows")
    caption = r.text(m.get("caption"), (*keys, "caption"))
    labels: dict[str, str] = {}
    if not chart and "labels" in m:
        r.error((*keys, "labels"), "'labels' gives the texts of a chart from data: a picture has none")
    elif chart:
        given = m.get("labels") or {}
        if not isinstance(given, dict):
            r.error((*keys, "labels"), "'labels' must map each key of the chart to its text (title: …)")
            given = {}
        for key, value in given.items():
            if not isinstance(value, str | int | float) or isinstance(value, bool) or not str(value).strip():
                r.error((*keys, "labels", key), f"label '{key}' must be a text")
            else:
                labels[str(key)] = str(value).strip()
        if data and file and local_file(folder, data) and local_file(folder, file):
            source = ChartSource(folder / data, folder / file)
            try:
                labels = chart_labels(source, read_chart(source), lang, labels, r.path,
                                      locate(r.doc, keys))
            except ContentError as exc:
                r.errors.append(exc)
                return None
    if not (file and isinstance(alt, str) and caption):
        return None
    return Figure(file, alt.strip(), caption, r.text(m.get("source"), keys, False), data, labels)


def load_edition(path: Path, slug: str, lang: str, themes: dict[str, Theme],
                 errors: list[ContentError], documents: dict[Path, tuple[bytes, Document]] | None = None,
                 shared: tuple[Path, ...] = (), problems: dict[Path, list[BodyProblem]] | None = None
                 ) -> Edition | None:
    """Read and validate one language file; append problems to `errors` and return None if any.

    The file as read goes into `documents` (when given), even if it has errors, and its body problems into
    `problems`. A declared figure may come from one of the `shared` folders (`Project.shared_folders`).
    """
    before = len(errors)
    document = read_document(path, errors)
    if document is None:
        return None
    raw, doc = document
    if documents is not None:
        documents[path] = document
    r, d = FrontMatterReader(path, doc, errors), doc.data
    check_keys(r, REQUIRED, OPTIONAL)

    authors = []
    for i, item in enumerate(r.items(d.get("authors"), ("authors",))):
        if isinstance(item, str):
            item = {"name": item}
        m = r.mapping(item, ("authors", i), ("name", "affiliation"))
        name = r.text(m.get("name"), ("authors", i, "name")) if m else None
        if name:
            authors.append(Author(name, r.text(m.get("affiliation"), ("authors", i, "affiliation"), False)))
    if "authors" in d and not authors:
        r.error(("authors",), "'authors' lists nobody: give at least one name")

    theme_ids = []
    for i, item in enumerate(r.items(d.get("themes"), ("themes",))):
        if str(item) not in themes:
            r.error(("themes", i), f"unknown theme '{item}'{did_you_mean(str(item), tuple(themes), 'known themes')} "
                    "(themes are declared in content/themes.yaml)")
        else:
            theme_ids.append(str(item))

    status = d.get("status")
    if "status" in d and status not in STATUSES:
        r.error(("status",), f"'status' must be one of {', '.join(STATUSES)}, got {status!r}")

    findings = [r.text(v, ("key_findings", i)) for i, v in enumerate(r.items(d.get("key_findings"), ("key_findings",)))]
    if "key_findings" in d and not findings:
        r.error(("key_findings",), "'key_findings' is empty: list the study's main findings")

    recommendations = []
    for i, item in enumerate(r.items(d.get("recommendations"), ("recommendations",))):
        m = r.mapping(item, ("recommendations", i), ("text", "addressee"))
        text = r.text(m.get("text"), ("recommendations", i, "text")) if m else None
        addressee = r.text(m.get("addressee"), ("recommendations", i, "addressee")) if m else None
        if text and addressee:
            recommendations.append(Recommendation(text, addressee))

    figures = [f for i, item in enumerate(r.items(d.get("figures"), ("figures",)))
               if (f := read_figure(r, lang, i, item, shared)) is not None]

    illustrative = d.get("illustrative", False)
    if not isinstance(illustrative, bool):
        r.error(("illustrative",), "'illustrative' must be true or false")
    date = r.date(d["date"], ("date",)) if "date" in d else None
    title = r.text(d.get("title"), ("title",)) if "title" in d else None
    summary = r.text(d.get("summary"), ("summary",)) if "summary" in d else None
    subtitle = r.text(d.get("subtitle"), ("subtitle",), required=False)
    licence = r.text(d.get("licence"), ("licence",), required=False) or "CC-BY-4.0"
    doi = r.text(d.get("doi"), ("doi",), required=False)
    url = r.text(d.get("url"), ("url",), required=False)
    if url and link_scheme(url) not in ("http", "https"):
        r.error(("url",), f"'url' must be a web address starting with https://, got {url[:80]!r}")
    found = check_body(path, doc, declared_figures(d), errors)
    if problems is not None:
        problems[path] = found
    check_finished(path, doc, status == "published", errors)
    if len(errors) > before:
        return None
    assert title and date and summary and status  # guaranteed by the checks above
    placed = tuple(m.group("src") for m in IMAGE.finditer(doc.body))
    return Edition(
        slug=slug, lang=lang, path=path, digest=content_digest(raw),
        title=title, subtitle=subtitle, date=date, authors=tuple(authors), themes=tuple(theme_ids),
        status=status, licence=licence, doi=doi, url=url, illustrative=illustrative, summary=summary,
        key_findings=tuple(f for f in findings if f), recommendations=tuple(recommendations),
        figures=tuple(figures), body_line=doc.body_line, citations="@" in doc.body,
        placed=placed, images=body_images(path, placed, {f.file for f in figures if not f.is_chart},
                           {f.file for f in figures if f.is_chart}),
    )


def _shared_facts(edition: Edition) -> dict[str, Any]:
    # Affiliations and captions may be translated; names, dates, themes and files may not.
    return {
        "date": edition.date.isoformat(),
        "authors": [a.name for a in edition.authors],
        "themes": sorted(edition.themes),
        # a chart from data is its CSV and spec (the same files for every edition; their texts are translated)
        "figures": sorted(f"{f.data} + {f.file}" if f.is_chart else f.file for f in edition.figures),
    }


_FACT_NAMES = {"date": "the date differs", "authors": "the author names differ", "themes": "the themes differ",
               "figures": "the figure files differ", "featured": "the featured results differ",
               "events": "the event dates differ"}


def disagreements(editions: list[Any], facts: dict[Path, dict[str, Any]],
                  front_matter: dict[Path, str]) -> list[ContentError]:
    """Where language editions disagree on a fact they must share, blame the edition that changed.

    The value most editions have is the reference; between equally many, the value of the edition
    changed longest ago (file times): the odd one out is the edition someone just edited.
    """
    changed = {e.path: _mtime(e.path) for e in editions}
    problems = []
    for fact in facts[editions[0].path]:
        values = {e.path: facts[e.path][fact] for e in editions}
        groups: dict[str, list[Path]] = {}
        for path, value in values.items():
            groups.setdefault(repr(value), []).append(path)
        if len(groups) == 1:
            continue
        reference = max(groups.values(), key=lambda paths: (len(paths), -min(changed[p] for p in paths)))
        others = " and ".join(p.name for p in reference)
        for path, value in values.items():
            if path in reference:
                continue
            problems.append(ContentError(path, f"{_FACT_NAMES.get(fact, fact + ' differs')} from {others}: "
                                         f"{_shown(value)} here, {_shown(values[reference[0]])} there; "
                                         "make the editions agree", line=locate(front_matter[path], (fact,))))
    return problems


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) if value else "none"
    return str(value)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def load_result(directory: Path, languages: list[str], themes: dict[str, Theme],
                errors: list[ContentError], documents: dict[Path, tuple[bytes, Document]] | None = None,
                shared: tuple[Path, ...] = (), problems: dict[Path, list[BodyProblem]] | None = None
                ) -> Result | None:
    """Load one result folder with its valid editions; None (with errors appended) if none is usable.

    An edition with errors is left out and the others go on: an error blocks only the
    outputs of its own file.
    """
    slug = directory.name
    before = len(errors)
    if not SLUG.match(slug):
        errors.append(ContentError(directory, "folder name must be a slug: lower-case letters, digits and "
                                   "hyphens (it becomes the web address)"))
        return None
    editions = []
    documents = {} if documents is None else documents  # their front matters place the disagreements
    for md in sorted(directory.glob("*.md")):
        if md.stem in SUPPORTED_LANGUAGES and md.stem not in languages:
            continue  # a language this project does not publish (see `languages` in crebis.toml)
        if md.stem not in languages:
            names = ", ".join(f"{x}.md" for x in languages)
            errors.append(ContentError(md, f"not a language edition: name it {names}"))
            continue
        edition = load_edition(md, slug, md.stem, themes, errors, documents, shared, problems)
        if edition:
            editions.append(edition)
    if not editions and len(errors) > before:
        return None
    if not editions:
        errors.append(ContentError(directory, "no language file: add one of "
                                   f"{', '.join(f'{x}.md' for x in languages)} (or `crebis new result {slug}`)"))
        return None
    editions.sort(key=lambda e: languages.index(e.lang))
    fronts = {e.path: documents[e.path][1].front_matter for e in editions}
    disagreeing = disagreements(editions, {e.path: _shared_facts(e) for e in editions}, fronts) + \
        shared_name_clashes(editions)
    errors.extend(disagreeing)
    editions = [e for e in editions if e.path not in {p.path for p in disagreeing}]
    if not editions:
        return None
    return Result(slug=slug, directory=directory, editions=tuple(editions))


def shared_name_clashes(editions: list[Edition]) -> list[ContentError]:
    """Pictures from shared folders are published by their file name (`media/<slug>/shared/<name>`): two
    different files of one result with the same name would be one page image, so the second is an error."""
    seen: dict[str, tuple[str, Path]] = {}
    problems = []
    for edition in editions:
        for figure in edition.figures:
            parts = re.split(r"[\\/]", figure.file)
            if figure.is_chart or ".." not in parts:
                continue
            first, where = seen.setdefault(parts[-1], (os.path.normpath(figure.file), edition.path))
            if first != os.path.normpath(figure.file):
                problems.append(ContentError(edition.path, f"figure files '{first}' ({where.name}) and '{figure.file}' "
                                             f"have the same name, and the site publishes a shared picture by its name "
                                             f"(media/{edition.slug}/shared/{parts[-1]}): rename one of them"))
    return problems


def content_folders(parent: Path) -> list[Path]:
    """The folders of `parent` that hold content, in name order: a name starting with "." or "_" is left out."""
    return sorted(p for p in parent.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))


FolderRead = Callable[[Path, dict[Path, tuple[bytes, Document]], dict[Path, list[BodyProblem]]], None]
"""Told of each result folder as soon as it is read: the folder, its files as read, their body problems."""


def load_results(results_dir: Path, languages: list[str], themes: dict[str, Theme],
                 shared: tuple[Path, ...] = (), nodes: bool = True, each: FolderRead | None = None) -> Loaded:
    """Load every result under `results_dir`, collecting all errors instead of stopping at the first;
    figures may come from the `shared` folders (`Project.shared_folders`).

    Without `nodes`, the documents kept are without their YAML node trees (~30 KB a document, the largest
    part of a loaded project): a build's checks compose them again for the folders their cache misses.
    With `each`, every folder's files as read go to it (node trees included) and are not kept at all.
    """
    loaded = Loaded()
    if not results_dir.is_dir():
        return loaded
    for directory in content_folders(results_dir):
        documents: dict[Path, tuple[bytes, Document]] = {}
        result = load_result(directory, languages, themes, loaded.errors, documents, shared, loaded.problems)
        if each is not None:
            each(directory, documents, loaded.problems)
        else:
            loaded.documents.update(documents if nodes else {
                path: (raw, replace(doc, node=None)) for path, (raw, doc) in documents.items()})
        if result is None:
            loaded.failed.add(directory.name)
        else:
            loaded.results.append(result)
            kept = {e.path for e in result.editions}
            loaded.left_out.update(path for lang in languages
                                   if (path := directory / f"{lang}.md") not in kept and path.is_file())
    return loaded
