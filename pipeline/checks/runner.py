"""Run every check over a project's content (or some of it) and collect one `CheckReport`."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from pipeline.checks.cache import CheckCache
from pipeline.checks.document import read_file
from pipeline.checks.findings import CheckReport, Finding
from pipeline.checks.glossary import Glossary, load_glossary
from pipeline.checks.rules import accessibility, prose, translations
from pipeline.config import CONFIG_FILE, SUPPORTED_LANGUAGES
from pipeline.content.frontmatter import split
from pipeline.content.load import load_result, load_themes, read_text
from pipeline.errors import ContentError
from pipeline.project import Project

log = logging.getLogger(__name__)


def _in_scope(path: Path, paths: list[Path] | None) -> bool:
    return paths is None or any(path == p or p in path.parents for p in paths)


def _content_finding(project: Project, error: ContentError) -> Finding:
    rule = "alt-text" if "alt text" in error.message else "content"
    return Finding(project.relative(error.path), error.line, None, "error", rule, error.message)


def check_project(project: Project, paths: Iterable[Path | str] | None = None, cached: bool = False) -> CheckReport:
    """Check the results of `project` (only those files or folders under `paths`, if given).

    With `cached`, the findings of result folders unchanged since the last cached run are reused
    (`crebis build` checks this way, so a no-op build stays fast).
    """
    root = project.root
    scope = None if paths is None else [Path(p).resolve() if Path(p).is_absolute() else (root / p).resolve()
                                         for p in paths]
    config, options = project.config, project.config.check
    report = CheckReport()
    if _in_scope(root / CONFIG_FILE, scope):
        report.findings.extend(accessibility.brand_contrast(root, config))
    try:
        themes = load_themes(project.path(config.watch.themes))
    except ContentError as exc:
        report.findings.append(_content_finding(project, exc))
        return report
    glossaries: dict[str, Glossary] = {}
    for lang in config.languages:
        try:
            glossaries[lang] = load_glossary(project.path(options.jargon.glossary) / f"{lang}.yaml")
        except ContentError as exc:
            report.findings.append(_content_finding(project, exc))
            glossaries[lang] = load_glossary(Path("/nonexistent"))
    results_dir = project.results_dir
    directories = sorted(d for d in results_dir.iterdir() if d.is_dir() and not d.name.startswith((".", "_"))) \
        if results_dir.is_dir() else []
    directories = [d for d in directories if scope is None or any(
        _in_scope(d.resolve(), scope) or d.resolve() in p.parents for p in scope)]
    files = [md for d in directories for md in sorted(d.glob("*.md")) if md.stem in config.languages]
    times = translations.change_times(root, files) if options.translations.enabled else {}
    cache = None
    if cached:
        shared = [project.path(config.watch.themes),
                  *(project.path(options.jargon.glossary) / f"{lang}.yaml" for lang in config.languages)]
        cache = CheckCache(project.state_dir / "checks.sqlite", shared, [config.languages, config.check])
    try:
        for directory in directories:
            if cache is None:
                check_result(project, directory, glossaries, themes, times, scope, report)
                continue
            fingerprint = cache.fingerprint(directory, times)
            hit = cache.get(directory, fingerprint)
            if hit is None:
                fresh = CheckReport()
                check_result(project, directory, glossaries, themes, times, scope, fresh)
                cache.put(directory, fingerprint, fresh.findings, fresh.documents)
                hit = (fresh.findings, fresh.documents)
            report.findings.extend(hit[0])
            report.documents.extend(hit[1])
    finally:
        if cache is not None:
            cache.close()
    return report.sorted()


def check_result(project: Project, directory: Path, glossaries: dict[str, Glossary], themes: dict,
                 times: dict[Path, float], scope: list[Path] | None, report: CheckReport) -> None:
    """Every check on one result folder: its loading errors, each edition's prose and accessibility, translations."""
    config, options = project.config, project.config.check
    errors: list[ContentError] = []
    load_result(directory, config.languages, themes, errors)
    relative = project.relative(directory)
    report.findings.extend(translations.translations(directory, relative, config.languages, times, options))
    checked: list[Finding] = []
    for md in sorted(directory.glob("*.md")):
        lang = md.stem
        if lang not in config.languages or lang not in SUPPORTED_LANGUAGES or not _in_scope(md.resolve(), scope):
            continue
        try:
            source = read_text(md)[1]
            doc = split(source, md)
        except ContentError:
            continue  # the loader's error says what is wrong
        file = read_file(md, project.relative(md), lang, source, doc)
        checked.extend(accessibility.body(file, options))
        for text in file.texts.values():
            stats, _ = prose.document_stats(file, text)
            report.documents.append(stats)
            checked.extend(prose.readability(file, text, stats, options))
            checked.extend(prose.length(file, text, options))
            checked.extend(prose.jargon(file, text, glossaries[lang], options))
            checked.extend(prose.acronyms(file, text, options))
            checked.extend(prose.numbers(file, text, options))
    report.findings.extend(checked)
    # Loading errors the rules above already reported (alt text, headings) are not repeated.
    known = {(f.file, f.line, f.message) for f in checked}
    for error in errors:
        if _in_scope(error.path.resolve(), scope) or error.path.resolve() == directory.resolve():
            finding = _content_finding(project, error)
            if (finding.file, finding.line, finding.message) not in known:
                report.findings.append(finding)
