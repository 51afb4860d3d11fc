"""Charts from data, as the loader reads them: a CSV, a Vega-Lite spec in YAML and their labels, checked.

A chart sits beside a result's Markdown as `<name>.csv` and `<name>.vl.yaml`. Every text the
reader sees is a label key in the spec — a string written `{key}` (title, axis titles, notes) —
and every category of a column listed under the spec's `translate:` is looked up as
`<column>.<value>`. Each edition gives the keys in its language under the figure's `labels:`,
or a labels table beside the CSV (`<name>.labels.csv`: a `key` column and one per language)
gives them for all. Every problem is a `ContentError` at its file and line: a CSV row of the
wrong width, a misspelled spec key, a missing translation. Drawing is `pipeline.render.charts`'s job.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from babel import numbers as babel_numbers

from pipeline.errors import ContentError
from pipeline.render.locale import locale_of

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

LABEL = re.compile(r"^\{([A-Za-z0-9_.-]+)\}$")

# The Vega-Lite keys crebis accepts, by where they sit: a misspelled key would otherwise be
# ignored silently by Vega-Lite and the chart drawn wrong.
_TOP = {"$schema", "title", "description", "mark", "encoding", "width", "height", "transform", "layer",
        "config", "padding", "autosize", "view", "resolve", "params", "translate"}
_MARK = {"type", "tooltip", "size", "opacity", "strokeWidth", "cornerRadius", "cornerRadiusEnd", "point",
         "interpolate", "align", "baseline", "dx", "dy", "fontSize", "fontWeight", "orient", "thickness",
         "binSpacing", "filled", "color", "fill", "stroke", "text", "limit"}
_MARKS = {"bar", "line", "area", "point", "circle", "square", "tick", "rule", "text", "rect", "arc"}
_CHANNELS = {"x", "y", "x2", "y2", "color", "fill", "stroke", "opacity", "size", "shape", "text", "tooltip",
             "row", "column", "facet", "xOffset", "yOffset", "theta", "order", "detail", "strokeDash"}
_CHANNEL = {"field", "type", "title", "axis", "legend", "scale", "sort", "stack", "aggregate", "bin",
            "timeUnit", "format", "formatType", "value", "datum", "condition", "header", "bandPosition",
            "impute"}
_TYPES = {"quantitative", "nominal", "ordinal", "temporal"}
_AXIS = {"title", "format", "formatType", "labelAngle", "labelLimit", "labelFontSize", "titleFontSize",
         "grid", "ticks", "tickCount", "domain", "orient", "values", "labels", "labelPadding", "titlePadding",
         "labelExpr", "labelOverlap", "offset", "minExtent", "maxExtent"}
_LEGEND = {"title", "orient", "direction", "format", "formatType", "labelFontSize", "titleFontSize",
           "columns", "labelLimit", "symbolType", "values", "labelExpr", "offset"}
_SCALE = {"domain", "range", "type", "zero", "nice", "padding", "paddingInner", "paddingOuter", "reverse",
          "domainMax", "domainMin", "scheme", "clamp"}
_HEADER = {"title", "labelAngle", "labelOrient", "titleOrient", "labelFontSize", "labels", "labelExpr"}
_TITLE = {"text", "subtitle", "anchor", "fontSize", "subtitleFontSize", "orient", "offset"}
_NESTED = {"axis": _AXIS, "legend": _LEGEND, "scale": _SCALE, "header": _HEADER}


LABELS_SUFFIX = ".labels.csv"
"""The labels table beside a chart's CSV: `take-up.csv` has `take-up.labels.csv`."""


@dataclass(frozen=True)
class ChartSource:
    """A chart's files: the data and the spec, beside the result's Markdown (and maybe a labels table)."""

    data: Path
    spec: Path

    @property
    def labels_table(self) -> Path:
        return self.data.with_name(self.data.name.removesuffix(".csv") + LABELS_SUFFIX)

    @property
    def files(self) -> tuple[Path, ...]:
        """Every file the chart is made from: a fingerprint input of each output that shows it."""
        table = self.labels_table
        return (self.data, self.spec, table) if table.is_file() else (self.data, self.spec)


@dataclass(frozen=True)
class ChartData:
    """A chart's rows and spec as read and checked, texts still `{key}`s (`translate` taken out)."""

    rows: list[dict[str, Any]]
    spec: dict[str, Any]
    translate: tuple[str, ...]

    def label_keys(self) -> list[str]:
        return label_keys({**self.spec, "translate": list(self.translate)}, self.rows)

    def encodings(self) -> list[dict[str, Any]]:
        """Every channel of the spec (and its layers) that reads a field."""
        parts = [self.spec, *(self.spec.get("layer") or [])]
        return [{"channel": name, **channel} for part in parts for name, channel in (part.get("encoding") or {}).items()
                if isinstance(channel, dict) and "field" in channel]

    @property
    def series(self) -> int:
        """How many colours the chart uses: the distinct values of its colour field (one without)."""
        fields = [e["field"] for e in self.encodings() if e["channel"] in ("color", "fill", "stroke")]
        return len({row.get(fields[0]) for row in self.rows}) if fields else 1


# ---- the data ----

def _number(text: str) -> float | int | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return int(value) if value.is_integer() and "." not in text and "e" not in text.lower() else value


def read_rows(path: Path) -> list[dict[str, Any]]:
    """The CSV's rows, numbers as numbers; a row of the wrong width or a non-number in a column of
    numbers is an error naming the file and the row's line."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ContentError(path, "data file not found: put the CSV beside the result's Markdown") from None
    except UnicodeDecodeError:
        raise ContentError(path, "data file is not UTF-8 text: save the CSV as UTF-8") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if not header or not any(h.strip() for h in header):
        raise ContentError(path, "data file has no header row: the first line names the columns", 1)
    header = [h.strip() for h in header]
    if len(set(header)) != len(header) or "" in header:
        raise ContentError(path, "every column needs a distinct, non-empty name in the header row", 1)
    numeric: dict[str, bool] = {}
    rows = []
    for cells in reader:
        line = reader.line_num
        if not cells or not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            raise ContentError(path, f"row has {len(cells)} values but the header names {len(header)} columns "
                               f"({', '.join(header)}): fix the row", line)
        row: dict[str, Any] = {}
        for column, cell in zip(header, cells, strict=True):
            cell = cell.strip()
            value = _number(cell)
            is_number = numeric.setdefault(column, value is not None)
            if is_number and value is None:
                raise ContentError(path, f"column '{column}' holds numbers, but this row has {cell!r}: "
                                   "write a number (with a dot for decimals) or leave the chart out", line)
            row[column] = value if is_number else cell
        rows.append(row)
    if not rows:
        raise ContentError(path, "data file has a header but no rows", 1)
    return rows


# ---- the spec ----

def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _suggest(key: str, allowed: set[str]) -> str:
    close = difflib.get_close_matches(key, sorted(allowed), n=1)
    return f"did you mean '{close[0]}'?" if close else f"known keys: {', '.join(sorted(allowed))}"


def _check_keys(path: Path, node: yaml.Node, allowed: set[str], where: str) -> dict[str, yaml.Node]:
    if not isinstance(node, yaml.MappingNode):
        raise ContentError(path, f"'{where}' must be a mapping of keys", _line(node))
    found = {}
    for key_node, value in node.value:
        key = str(key_node.value)
        if key not in allowed:
            raise ContentError(path, f"unknown key '{key}' in '{where}': {_suggest(key, allowed)}", _line(key_node))
        found[key] = value
    return found


def _check_spec(path: Path, root: yaml.Node) -> None:
    if isinstance(root, yaml.MappingNode):
        for key, _ in root.value:
            if key.value == "data":
                raise ContentError(path, "the spec must not name its data: crebis reads the CSV beside it "
                                   "(the figure's 'data:')", _line(key))
    top = _check_keys(path, root, _TOP, "the spec")
    for name in ("mark", "encoding"):
        if name not in top and "layer" not in top:
            raise ContentError(path, f"the spec has no '{name}': say what to draw", _line(root))
    for part in ([root] + [n for n in top["layer"].value] if "layer" in top else [root]):
        keys = _check_keys(path, part, _TOP, "layer") if part is not root else top
        if "mark" in keys:
            mark = keys["mark"]
            kind = mark
            if isinstance(mark, yaml.MappingNode):
                kind = _check_keys(path, mark, _MARK, "mark").get("type", mark)
            if not isinstance(kind, yaml.ScalarNode) or kind.value not in _MARKS:
                raise ContentError(path, f"unknown mark {getattr(kind, 'value', '?')!r}: "
                                   f"{_suggest(str(getattr(kind, 'value', '')), _MARKS)}", _line(kind))
        if "encoding" in keys:
            for channel, spec in _check_keys(path, keys["encoding"], _CHANNELS, "encoding").items():
                fields = _check_keys(path, spec, _CHANNEL, f"encoding.{channel}")
                if "type" in fields and fields["type"].value not in _TYPES:
                    raise ContentError(path, f"unknown type {fields['type'].value!r} in 'encoding.{channel}': "
                                       f"{_suggest(str(fields['type'].value), _TYPES)}", _line(fields["type"]))
                for name, allowed in _NESTED.items():
                    if name in fields and not (isinstance(fields[name], yaml.ScalarNode)
                                               and fields[name].value in ("null", "~", "")):
                        _check_keys(path, fields[name], allowed, f"encoding.{channel}.{name}")
    if "title" in top and isinstance(top["title"], yaml.MappingNode):
        _check_keys(path, top["title"], _TITLE, "title")


def read_spec(path: Path) -> dict[str, Any]:
    """The Vega-Lite spec, its keys checked: a misspelled or unknown key is an error at its file:line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ContentError(path, "chart spec not found: put the .vl.yaml beside the result's Markdown") from None
    # libyaml's parser, and the values built from the very nodes that were checked: the pure-Python
    # parser and a serialise-and-reparse round trip made each spec cost ~8 ms, paid by every edition.
    loader = _Loader(text)
    try:
        try:
            root = loader.get_single_node()
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            raise ContentError(path, f"the spec is not valid YAML: {getattr(e, 'problem', e)}",
                               mark.line + 1 if mark else None) from None
        if root is None:
            raise ContentError(path, "the spec is empty: write a Vega-Lite spec in YAML")
        _check_spec(path, root)
        return loader.construct_document(root)
    finally:
        loader.dispose()


# ---- the texts ----

def label_keys(spec: dict[str, Any], rows: list[dict[str, Any]]) -> list[str]:
    """Every label key the chart needs, in the order it appears: `{key}` strings, then categories."""
    keys: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)
        elif isinstance(value, str) and (m := LABEL.match(value)) and m.group(1) not in keys:
            keys.append(m.group(1))

    walk({k: v for k, v in spec.items() if k != "translate"})
    for column in spec.get("translate") or ():
        for row in rows:
            key = f"{column}.{row.get(column)}"
            if key not in keys:
                keys.append(key)
    return keys



_READ: dict[tuple[bytes, bytes], ChartData] = {}
"""Charts read, by their files' contents: each edition, and each target showing the chart, reads it again."""


def read_chart(source: ChartSource) -> ChartData:
    """The chart's rows and spec, checked (a problem is a `ContentError` at its file:line)."""
    key = (_content_key(source.data), _content_key(source.spec))
    hit = _READ.get(key) if key[0] and key[1] else None
    if hit is None:
        hit = _read_chart(source)
        if key[0] and key[1]:
            if len(_READ) >= 256:  # a long-lived preview server: keep the cache small
                _READ.clear()
            _READ[key] = hit
    # a copy: the callers fill in the texts of their own language
    return ChartData(_copy(hit.rows), _copy(hit.spec), hit.translate)


def _copy(value: Any) -> Any:
    """A copy of plain data (what YAML and CSV give), faster than `copy.deepcopy`."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _content_key(path: Path) -> bytes:
    """The file's contents, hashed (empty if unreadable: the reading below says why). Not its name: the
    same bytes make the same chart, and an error, which names the file, is never kept."""
    try:
        return hashlib.blake2b(path.read_bytes(), digest_size=16).digest()
    except OSError:
        return b""


def _read_chart(source: ChartSource) -> ChartData:
    rows = read_rows(source.data)
    spec = read_spec(source.spec)
    translate = spec.pop("translate", None) or []
    if not isinstance(translate, list) or any(c not in rows[0] for c in translate):
        raise ContentError(source.spec, f"'translate' must list columns of {source.data.name} "
                           f"({', '.join(rows[0])})", _top_line(source.spec, "translate"))
    return ChartData(rows, spec, tuple(translate))


def _top_line(path: Path, key: str) -> int | None:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith(f"{key}:"):
            return number
    return None


def read_labels_table(path: Path) -> dict[str, tuple[int, dict[str, str]]]:
    """A labels table (`key` column, one column per language): key → (its line, language → text)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return {}
    except UnicodeDecodeError:
        raise ContentError(path, "labels table is not UTF-8 text: save the CSV as UTF-8") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip() for h in next(reader, None) or []]
    if not header or header[0] != "key" or len(header) < 2:
        raise ContentError(path, "the labels table's first line must be 'key' then one column per language "
                           "(key,fr,nl,en)", 1)
    table: dict[str, tuple[int, dict[str, str]]] = {}
    for cells in reader:
        if not cells or not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            raise ContentError(path, f"row has {len(cells)} values but the header names {len(header)} columns "
                               f"({', '.join(header)}): fix the row", reader.line_num)
        key = cells[0].strip()
        if key in table:
            raise ContentError(path, f"key '{key}' is given twice: keep one row per key", reader.line_num)
        table[key] = (reader.line_num, {lang: cell.strip() for lang, cell in zip(header[1:], cells[1:], strict=True)})
    return table


def chart_labels(source: ChartSource, data: ChartData, lang: str, own: dict[str, str], edition: Path,
                 line: int | None = None) -> dict[str, str]:
    """The chart's texts in `lang`: the edition's own `labels:` over the labels table's.

    A key the chart needs that neither gives is an error naming the file to fix and the key: the
    table at the key's row when the row is there but its `lang` cell is empty, else the edition
    (at `line`, its figure).
    """
    table = read_labels_table(source.labels_table)
    labels = {key: texts[lang] for key, (_line, texts) in table.items() if texts.get(lang)}
    labels.update({k: v for k, v in own.items() if v})
    missing = [k for k in data.label_keys() if not labels.get(k)]
    in_table = [k for k in missing if k in table]
    if in_table:
        key = in_table[0]
        raise ContentError(source.labels_table, f"chart {source.spec.name} needs a {lang} text for '{key}': "
                           f"fill in its '{lang}' column", table[key][0])
    if missing:
        raise ContentError(edition, f"chart {source.spec.name} needs a {lang} text for "
                           f"{', '.join(repr(k) for k in missing)}: add it under the figure's 'labels:' "
                           f"or in {source.labels_table.name}", line)
    return labels


# ---- the numbers, as the chart and its table write them ----

def field_formats(spec: dict) -> dict[str, str]:
    """The d3 format each field is shown with on its axis or legend ("%", ",.0f"…); "" for a field the
    chart reads as a category (a year, a code), written as it is."""
    formats: dict[str, str] = {}
    parts = [spec, *(spec.get("layer") or [])]
    for part in parts:
        for channel in (part.get("encoding") or {}).values():
            if not isinstance(channel, dict) or "field" not in channel:
                continue
            if channel.get("type") in ("nominal", "ordinal", "temporal"):
                formats.setdefault(channel["field"], "")
                continue
            fmt = channel.get("format") or (channel.get("axis") or {}).get("format") \
                or (channel.get("legend") or {}).get("format")
            if isinstance(fmt, str):
                formats.setdefault(channel["field"], fmt)
    return formats


def field_titles(spec: dict, labels: dict[str, str]) -> dict[str, str]:
    """Each field's title as the chart shows it (its `{key}` filled in)."""
    titles: dict[str, str] = {}
    for part in [spec, *(spec.get("layer") or [])]:
        for channel in (part.get("encoding") or {}).values():
            if isinstance(channel, dict) and isinstance(channel.get("title"), str) and "field" in channel:
                title = channel["title"]
                key = title[1:-1] if title.startswith("{") and title.endswith("}") else None
                titles.setdefault(channel["field"], labels.get(key, title) if key else title)
    return titles


def format_value(value: object, fmt: str | None, lang: str) -> str:
    """A table cell as the chart's axis writes it, in the language's number format."""
    if not isinstance(value, int | float) or fmt == "":
        return str(value)
    locale = locale_of(lang)
    if fmt and fmt.endswith("%"):
        return babel_numbers.format_percent(value, locale=locale, decimal_quantization=False)
    if fmt and "$" in fmt:
        return babel_numbers.format_currency(value, "EUR", locale=locale)
    return babel_numbers.format_decimal(value, locale=locale)


_DRAFT = {
    "fr": ("Valeur la plus élevée : {top} ({top_value}) ; la plus basse : {bottom} ({bottom_value}).",
           "De {first} à {last}, elle {moves} pour {count} sur {total}.", {"up": "augmente", "down": "baisse"}),
    "nl": ("Hoogste waarde: {top} ({top_value}); laagste: {bottom} ({bottom_value}).",
           "Van {first} tot {last} {moves} ze voor {count} van de {total}.", {"up": "stijgt", "down": "daalt"}),
    "en": ("Highest value: {top} ({top_value}); lowest: {bottom} ({bottom_value}).",
           "From {first} to {last}, it {moves} for {count} of {total}.", {"up": "rises", "down": "falls"}),
}


def draft_alt(data: ChartData, labels: dict[str, str], lang: str) -> str | None:
    """A first alt text from the data, for the author to check and complete: the largest and smallest
    values with what they are, and the trend between the first and last period when the chart has one
    (a temporal or ordinal field, or a nominal field named like a year). None without a number."""
    encodings = data.encodings()
    measures = [e["field"] for e in encodings if e.get("type") == "quantitative"]
    if not measures:
        return None
    measure = measures[0]
    formats = field_formats(data.spec)
    others = [c for c in data.rows[0] if c != measure and not isinstance(data.rows[0][c], float)
              and c in {e["field"] for e in encodings}]

    def name(row: dict[str, Any]) -> str:
        return ", ".join(labels.get(f"{c}.{row[c]}", str(row[c])) for c in others)

    rows = [r for r in data.rows if isinstance(r[measure], int | float)]
    top, bottom = max(rows, key=lambda r: r[measure]), min(rows, key=lambda r: r[measure])
    first, then, moves = _DRAFT.get(lang, _DRAFT["en"])
    text = first.format(top=name(top), top_value=format_value(top[measure], formats.get(measure), lang),
                        bottom=name(bottom), bottom_value=format_value(bottom[measure], formats.get(measure), lang))
    time = next((e["field"] for e in encodings if e["field"] in others and (
        e.get("type") in ("temporal", "ordinal") or re.search(r"year|jaar|année|annee|date|period", e["field"]))), None)
    if time is None:
        return text
    periods = sorted({r[time] for r in rows}, key=str)
    groups = [c for c in others if c != time]
    if len(periods) < 2:
        return text
    values: dict[tuple, dict[Any, float]] = {}
    for r in rows:
        values.setdefault(tuple(r[c] for c in groups), {})[r[time]] = r[measure]
    compared = [v for v in values.values() if periods[0] in v and periods[-1] in v]
    up = sum(v[periods[-1]] > v[periods[0]] for v in compared)
    down = sum(v[periods[-1]] < v[periods[0]] for v in compared)
    if not compared or up == down:
        return text
    return text + " " + then.format(first=periods[0], last=periods[-1], moves=moves["up" if up > down else "down"],
                                    count=max(up, down), total=len(compared))
