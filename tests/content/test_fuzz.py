"""Fuzzers over every loader: whatever a content file holds, loading gives data or located errors.

No input may give an internal error (any exception but the loader's own), a hang, unbounded
memory or data that a later stage cannot publish. Inputs are the repository's own sample files,
mutated line by line with the mistakes people (and accidents) make, plus free text.
"""

from __future__ import annotations

import dataclasses
import datetime
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from projects import REPO

from pipeline.checks.glossary import load_glossary
from pipeline.config import load_config
from pipeline.content.frontmatter import MAX_FILE_BYTES, bad_character
from pipeline.content.load import DATE_RANGE, load_result, load_themes
from pipeline.content.newsletter import LoadedNewsletters, load_newsletter
from pipeline.errors import ContentError, CrebisError
from pipeline.render.templates import load_labels

LANGS = ["fr", "nl", "en"]
FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                derandomize=True)
THEMES = load_themes(REPO / "content" / "themes.yaml")

# What the fuzzer of the issue found, and its relatives: each one a whole line or a value.
NASTY = [
    "2.5: x", "null: y", "~: z", "? [a, b]\n: c", "1: [a]", "!!int abc", "!!timestamp x", "!!float nope",
    "!!binary zz", "!!set {a, b}", "!!python/object:os.system x", "!custom x", "&a [x, y]", "*a", "<<: {a: 1}",
    "2026-13-45", "2026-02-30", "2026-W11-1", "9999-12-31", "0001-01-01", "20260312", "2026-03-12T25:00:00",
    '"\\uFFFE"', '"\\x07bell"', '"\\x00"', '"\\u0085"', "\x0c", "\u2028", '"\\ud800"',
    "[" * 150 + "]" * 150, "{" * 40 + "}" * 40, "- " * 60 + "x",
    "status: published", "status: draft", "title: again", "date: 2026-01-01",
    "---", "...", "#######", "####### seven", "## ", "Text\n---", "```", "~~~~", "```{=typst}\n#panic()\n```",
    "![](https://example.org/pixel.png)", "![x](../../../etc/passwd)", "![x](" + "a" * 5000 + ".png)",
    "[x](javascript:alert(1))", "<a href='jav&#x61;script:x'>y</a>", "<script>alert(1)</script>",
    "<javascript:alert(1)>", "[ref]: data:text/html,x", "[@nokey]", "@", "TODO: finish",
    "a" * 200_000, "é" * 70_000, "'unclosed", '"unclosed', "\t- tab", ": x", "- - -", "|", ">", "!",
]
_mutation = st.tuples(st.sampled_from(["insert", "replace", "value"]), st.integers(0, 10_000),
                      st.one_of(st.sampled_from(NASTY), st.text(max_size=40)))


def mutate(text: str, mutations: list[tuple[str, int, str]]) -> str:
    """Apply line mutations: insert a line, replace a line, or replace what follows a line's 'key:'."""
    lines = text.split("\n")
    for kind, where, piece in mutations:
        i = where % (len(lines) + 1)
        if kind == "insert" or i == len(lines):
            lines.insert(i, piece)
        elif kind == "replace":
            lines[i] = piece
        else:
            key, colon, _ = lines[i].partition(":")
            lines[i] = f"{key}: {piece}" if colon else piece
    return "\n".join(lines)


def _strings(value: object) -> Iterator[str]:
    """Every text inside a model object (dataclasses, tuples, dicts)."""
    if isinstance(value, str):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            if f.name not in ("front_matter", "body"):  # raw source: checked as a whole below
                yield from _strings(getattr(value, f.name))
    elif isinstance(value, tuple | list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(k)
            yield from _strings(v)


def _dates(value: object) -> Iterator[datetime.date]:
    if isinstance(value, datetime.date):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from _dates(getattr(value, f.name))
    elif isinstance(value, tuple | list):
        for item in value:
            yield from _dates(item)


def assert_publishable(model: object) -> None:
    """What the loader accepts, later stages can publish: every character and every date."""
    for text in _strings(model):
        assert bad_character(text) is None, repr(text)
    for date in _dates(model):
        assert DATE_RANGE[0] <= date.year <= DATE_RANGE[1]


def assert_located(errors: list[ContentError], files: list[Path]) -> None:
    for error in errors:
        assert isinstance(error, ContentError)
        assert error.path in files or error.path in {f.parent for f in files}, error.path
        assert error.message and "Traceback" not in error.message


SAMPLE_RESULTS = sorted(p for p in (REPO / "content" / "results").glob("*/*.md"))
SAMPLE_ISSUES = sorted((REPO / "content" / "newsletters").glob("*/*.md"))


@pytest.fixture(scope="module")
def sample_result_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        yield Path(tmp)


@FUZZ
@given(sample=st.sampled_from(SAMPLE_RESULTS), mutations=st.lists(_mutation, min_size=1, max_size=4))
def test_result_loader_survives_mutated_samples(sample, mutations):
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp) / sample.parent.name
        shutil.copytree(sample.parent, directory)
        target = directory / sample.name
        target.write_text(mutate(sample.read_text(encoding="utf-8"), mutations), encoding="utf-8")
        errors: list[ContentError] = []
        result = load_result(directory, LANGS, THEMES, errors)
        assert_located(errors, sorted(directory.glob("*.md")))
        if result is not None:
            assert_publishable(result)
            for edition in result.editions:
                assert bad_character(edition.front_matter + edition.body) is None


@FUZZ
@given(sample=st.sampled_from(SAMPLE_ISSUES), mutations=st.lists(_mutation, min_size=1, max_size=4))
def test_newsletter_loader_survives_mutated_samples(sample, mutations):
    results = {}
    for directory in sorted((REPO / "content" / "results").iterdir()):
        result = load_result(directory, LANGS, THEMES, [])
        if result:
            results[result.slug] = result
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp) / sample.parent.name
        shutil.copytree(sample.parent, directory)
        target = directory / sample.name
        target.write_text(mutate(sample.read_text(encoding="utf-8"), mutations), encoding="utf-8")
        loaded = LoadedNewsletters()
        newsletter = load_newsletter(directory, LANGS, results, REPO / "content" / "results", loaded)
        assert_located(loaded.errors, sorted(directory.glob("*.md")))
        if newsletter is not None:
            assert_publishable(newsletter)


def _yaml_loader_survives(path: Path, text: str, load) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    try:
        loaded = load()
    except ContentError as exc:
        assert exc.path == path and exc.message
    else:
        assert_publishable(loaded)


_free_yaml = st.one_of(st.text(max_size=200), st.sampled_from(NASTY))


@FUZZ
@given(mutations=st.lists(_mutation, min_size=1, max_size=4), free=_free_yaml, use_free=st.booleans())
def test_theme_loader_survives(mutations, free, use_free):
    sample = (REPO / "content" / "themes.yaml").read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "themes.yaml"
        _yaml_loader_survives(path, free if use_free else mutate(sample, mutations), lambda: load_themes(path))


@FUZZ
@given(lang=st.sampled_from(LANGS), mutations=st.lists(_mutation, min_size=1, max_size=4), free=_free_yaml,
       use_free=st.booleans())
def test_glossary_loader_survives(lang, mutations, free, use_free):
    sample = (REPO / "content" / "glossary" / f"{lang}.yaml").read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{lang}.yaml"
        _yaml_loader_survives(path, free if use_free else mutate(sample, mutations), lambda: load_glossary(path))


@FUZZ
@given(lang=st.sampled_from(LANGS), mutations=st.lists(_mutation, min_size=1, max_size=4), free=_free_yaml,
       use_free=st.booleans())
def test_label_loader_survives(lang, mutations, free, use_free):
    with tempfile.TemporaryDirectory() as tmp:
        layouts = Path(tmp) / "layouts"
        shutil.copytree(REPO / "layouts" / "i18n", layouts / "i18n")
        path = layouts / "i18n" / f"{lang}.yaml"
        sample = path.read_text(encoding="utf-8")
        text = free if use_free else mutate(sample, mutations)
        path.write_text(text, encoding="utf-8")
        try:
            labels = load_labels(layouts, LANGS)
        except ContentError as exc:
            assert exc.path.parent == path.parent and exc.message
        else:
            assert_publishable(labels)


@FUZZ
@given(mutations=st.lists(_mutation, min_size=1, max_size=4), raw=st.binary(max_size=64), use_raw=st.booleans())
def test_config_loader_survives(mutations, raw, use_raw):
    sample = (REPO / "crebis.toml").read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        shutil.copytree(REPO / "layouts", root / "layouts")
        data = raw if use_raw else mutate(sample, mutations).encode("utf-8", "surrogatepass")
        (root / "crebis.toml").write_bytes(data)
        try:
            load_config(root)
        except CrebisError as exc:
            assert "crebis.toml" in str(exc)


def test_a_file_over_the_size_limit_is_refused_naming_it(tmp_path):
    directory = tmp_path / "big-result"
    shutil.copytree(SAMPLE_RESULTS[0].parent, directory)
    target = directory / SAMPLE_RESULTS[0].name
    target.write_text(target.read_text(encoding="utf-8") + "\n" + "Un paragraphe. " * (5_000_000 // 15),
                      encoding="utf-8")
    assert target.stat().st_size > MAX_FILE_BYTES
    errors: list[ContentError] = []
    load_result(directory, LANGS, THEMES, errors)
    (error,) = [e for e in errors if e.path == target]
    assert "over the limit of 1 MB" in error.message and "5.0 MB" in error.message
