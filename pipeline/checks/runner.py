"""Run every check over a project's content (or some of it) and collect one `CheckReport`."""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing
import os
import threading
from collections.abc import Iterable
from pathlib import Path

from pipeline.checks.cache import CheckCache
from pipeline.checks.document import read_file
from pipeline.checks.findings import CheckReport, DocumentStats, Finding, content_rule
from pipeline.checks.glossary import Glossary, load_glossary
from pipeline.checks.newsletters import check_digests, check_newsletters
from pipeline.checks.rules import accessibility, citations, prose, translations
from pipeline.checks.rules.texts import text_findings
from pipeline.checks.syllables import preload
from pipeline.config import CONFIG_FILE, SUPPORTED_LANGUAGES
from pipeline.content.frontmatter import Document
from pipeline.content.load import BodyProblem, Loaded, content_folders, load_result, load_results, load_themes
from pipeline.content.model import Result, Theme
from pipeline.errors import ContentError
from pipeline.project import Project

log = logging.getLogger(__name__)

PARALLEL_FROM = 60
"""Result folders from which a check is shared between processes: below, starting one costs more than it saves."""


def _in_scope(path: Path, paths: list[Path] | None) -> bool:
    return paths is None or any(path == p or p in path.parents for p in paths)


def _content_finding(project: Project, error: ContentError) -> Finding:
    return Finding(project.relative(error.path), error.line, None, "error", content_rule(error.message),
                   error.message)


class FolderChecks:
    """The rules of `check_project` on each result folder, run as the folder is read (`load_results(each=...)`):
    a build checks a folder and lets its files go before the next is read, so the parsed documents of every
    folder are never alive at once. With `cached`, a folder unchanged since the last cached run gets its findings
    from the cache. What each folder gave is kept in `found` until `check_project` reports it, which closes the
    cache."""

    def __init__(self, project: Project, scope: list[Path] | None = None, cached: bool = False):
        self.project, self.scope = project, scope
        config, options = project.config, project.config.check
        self.findings: list[Finding] = []
        """Problems of the inputs every folder shares (glossaries) and notices of the cache, said once."""
        self.glossaries: dict[str, Glossary] = {}
        glossary_files = [project.path(options.jargon.glossary) / f"{lang}.yaml" for lang in config.languages]
        for lang, path in zip(config.languages, glossary_files, strict=True):
            try:
                self.glossaries[lang] = load_glossary(path)
            except ContentError as exc:
                self.findings.append(_content_finding(project, exc))
                self.glossaries[lang] = load_glossary(Path("/nonexistent"))
        results_dir = project.results_dir
        self.folders = content_folders(results_dir) if results_dir.is_dir() else []
        self.directories = [d for d in self.folders if scope is None or any(
            _in_scope(d.resolve(), scope) or d.resolve() in p.parents for p in scope)]
        files = [md for d in self.directories for md in sorted(d.glob("*.md")) if md.stem in config.languages]
        self.times = translations.change_times(project.root, files) if options.translations.enabled else {}
        self.bibliography = citations.Bibliography(project.path(config.brief.bibliography), project.relative)
        self.cache = None
        if cached:
            shared = [project.path(config.watch.themes), self.bibliography.path, *glossary_files]
            notices: list[str] = []
            self.cache = CheckCache(project.state_dir / "checks.sqlite", shared, dataclasses.asdict(config), notices)
            self.findings.extend(Finding(".crebis/checks.sqlite", None, None, "info", "state", notice)
                                 for notice in notices)
        self.found: dict[Path, tuple[list[Finding], list[DocumentStats]]] = {}
        self._in_scope = set(self.directories)

    def __call__(self, directory: Path, documents: dict[Path, tuple[bytes, Document]],
                 problems: dict[Path, list[BodyProblem]], checked: CheckReport | None = None) -> None:
        """Check one folder from its files as read (`checked`: its rules' findings, found elsewhere)."""
        if directory not in self._in_scope:
            return
        cache = self.cache
        fingerprint = cache.fingerprint(directory, documents, self.times) if cache else ""
        hit = cache.get(directory, fingerprint) if cache else None
        if hit is None:
            fresh = checked
            if fresh is None:
                fresh = CheckReport()
                check_rules(self.project, directory, documents, self.glossaries, self.times, self.scope, fresh,
                            self.bibliography, problems)
            if cache:
                cache.put(directory, fingerprint, fresh.findings, fresh.documents)
            hit = (fresh.findings, fresh.documents)
        self.found[directory] = hit


def check_project(project: Project, paths: Iterable[Path | str] | None = None, cached: bool = False,
                  themes: dict[str, Theme] | None = None, loaded: Loaded | None = None,
                  jobs: int | None = None, folders: FolderChecks | None = None) -> CheckReport:
    """Check the results of `project` (only those files or folders under `paths`, if given).

    `crebis build` passes the content it has `loaded` (with its `themes`), so that the files are read and
    parsed once per build and the loading errors are the loader's own, and the `folders` it checked as it read
    them (the loaded documents are then not kept); without them the content is loaded
    here, each result folder checked as soon as it is read, shared between `jobs` processes (by default two
    on a machine with two cores or more whose load is below its cores, for a project of `PARALLEL_FROM` result
    folders or more; always one from a process with other threads: forking it could copy a lock another thread
    holds). The report is the same whatever the number of processes. With `cached`, the rules' findings of
    result folders unchanged since the last cached run are reused (a no-op build stays fast); loading errors
    are never cached: they come from this reading.
    """
    root = project.root
    scope = None if paths is None else [Path(p).resolve() if Path(p).is_absolute() else (root / p).resolve()
                                         for p in paths]
    config = project.config
    report = CheckReport()
    if _in_scope(root / CONFIG_FILE, scope):
        report.findings.extend(accessibility.brand_contrast(root, config))
    load = themes is None or loaded is None
    if load:
        try:
            themes = load_themes(project.path(config.watch.themes))
        except ContentError as exc:
            report.findings.append(_content_finding(project, exc))
            return report
    pre_checked = folders is not None
    folders = folders or FolderChecks(project, scope, cached)
    try:
        report.findings.extend(folders.findings)
        results_dir = project.results_dir
        if load and cached:
            loaded = load_results(results_dir, config.languages, themes, project.shared_folders, each=folders)
        elif load:
            assert themes is not None
            loaded, checked = _load_and_check(project, folders.folders, set(folders.directories), themes,
                                              folders.glossaries, folders.times, scope, folders.bibliography,
                                              _processes(jobs, len(folders.folders)))
            for directory, fresh in checked.items():
                folders(directory, {}, {}, fresh)
        elif not pre_checked:
            # Each folder's editions, grouped once: picking them out of every loaded document per folder made the
            # check grow with the square of the number of results.
            by_folder: dict[Path, dict[Path, tuple[bytes, Document]]] = {}
            for md, document in loaded.documents.items():
                by_folder.setdefault(md.parent, {})[md] = document
            for directory in folders.directories:
                folders(directory, by_folder.get(directory, {}), loaded.problems)
        assert loaded is not None
        errors_by_folder: dict[Path, list[ContentError]] = {}
        for error in loaded.errors:
            folder = error.path if error.path.parent == results_dir else error.path.parent
            errors_by_folder.setdefault(folder, []).append(error)
        for directory in folders.directories:
            found, documents = folders.found.pop(directory, ([], []))
            report.findings.extend(found)
            report.documents.extend(documents)
            _add_loading_errors(project, directory, errors_by_folder.get(directory, []), scope, found, report)
        # A broken bibliography is reported once, however many files cite it (and kept while it is unchanged).
        bibliography, cache = folders.bibliography, folders.cache
        found = [bibliography.problem] if bibliography.problem else []
        if cache is not None and bibliography.read:
            cache.put(bibliography.path, cache.shared, found, [])
        elif cache is not None:
            found = (cache.get(bibliography.path, cache.shared) or ([], []))[0]
        report.findings.extend(found)
        check_digests(project, folders.glossaries, report, lambda path: _in_scope(path, scope), cache)
    finally:
        if folders.cache is not None:
            folders.cache.close()
    check_newsletters(project, folders.glossaries, report, lambda path: _in_scope(path, scope), loaded.results)
    return report.sorted()


def check_rules(project: Project, directory: Path, documents: dict[Path, tuple[bytes, Document]],
                glossaries: dict[str, Glossary], times: dict[Path, float], scope: list[Path] | None,
                report: CheckReport, bibliography: citations.Bibliography | None = None,
                problems: dict[Path, list[BodyProblem]] | None = None) -> None:
    """The rules on one result folder, over the editions as the loader read them: prose, accessibility,
    translations; the body problems the loader found (`problems`, by file) are reported, not sought again."""
    config, options = project.config, project.config.check
    relative = project.relative(directory)
    report.findings.extend(translations.translations(directory, relative, config.languages, times, options))
    for md, (raw, doc) in sorted(documents.items()):
        lang = md.stem
        # resolved only for a narrowed check: resolving every file was ~4 % of a whole check's time
        if lang not in config.languages or lang not in SUPPORTED_LANGUAGES or (
                scope is not None and not _in_scope(md.resolve(), scope)):
            continue
        source = raw.decode("utf-8").removeprefix("\ufeff")
        file = read_file(md, project.relative(md), lang, source, doc)
        report.findings.extend(accessibility.body(file, options, (problems or {}).get(md)))
        if bibliography is not None:
            report.findings.extend(citations.unknown_keys(file, bibliography))
        for text in file.texts.values():
            stats, _ = prose.document_stats(file, text, options)
            report.documents.append(stats)
            report.findings.extend(text_findings(file, text, stats, glossaries[lang], options))


def _processes(jobs: int | None, folders: int) -> int:
    """How many processes check `folders` result folders: `jobs`, or by default as the docstring of
    `check_project` says."""
    if threading.active_count() > 1 or os.name != "posix":
        return 1  # a fork copies the locks other threads hold, never released in the copy
    if jobs is not None:
        return max(1, jobs)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    # On a machine already busier than its cores, a second process gets no core of its own: it only adds its
    # start-up and the copying of its part back (measured: slower than one process at a load of 3 on 2 cores).
    if cores < 2 or folders < PARALLEL_FROM or os.getloadavg()[0] >= cores:
        return 1
    return 2


@dataclasses.dataclass
class _Part:
    """What one process found on its share of the result folders: the loader's results and errors (as
    (path, message, line): an exception does not survive pickling), each folder's rule findings, and what its
    reading of the bibliography found."""

    results: list[Result]
    errors: list[tuple[Path, str, int | None]]
    checked: dict[Path, CheckReport]
    bibliography: tuple[bool, frozenset[str] | None, Finding | None]


def _load_and_check(project: Project, folders: list[Path], in_scope: set[Path], themes: dict[str, Theme],
                    glossaries: dict[str, Glossary], times: dict[Path, float], scope: list[Path] | None,
                    bibliography: citations.Bibliography, processes: int) -> tuple[Loaded, dict[Path, CheckReport]]:
    """Load every result folder and check those `in_scope` as each is read (its files' bytes and node trees are
    let go before the next), the folders cut into `processes` runs in order: this process takes the first,
    forked processes the others. The parts are joined in folder order, as one process would have found them."""
    size = -(-len(folders) // processes) if folders else 0
    runs = [folders[i:i + size] for i in range(0, len(folders), size)] if size else [[]]
    if len(runs) > 1:
        preload(project.config.languages)
    children = [_start(_part, project, run, in_scope, themes, glossaries, times, scope) for run in runs[1:]]
    own = _part(project, runs[0], in_scope, themes, glossaries, times, scope, bibliography)
    parts = [own]
    for run, child in zip(runs[1:], children, strict=True):
        found = _finish(child)
        # a process that failed to start or died: its folders are checked here, with the same outcome
        parts.append(found if found is not None else _part(project, run, in_scope, themes, glossaries, times,
                                                           scope, bibliography))
    loaded = Loaded()
    checked: dict[Path, CheckReport] = {}
    for part in parts:
        loaded.results.extend(part.results)
        loaded.errors.extend(ContentError(path, message, line=line) for path, message, line in part.errors)
        checked.update(part.checked)
        bibliography.adopt(*part.bibliography)
    return loaded, checked


def _part(project: Project, folders: list[Path], in_scope: set[Path], themes: dict[str, Theme],
          glossaries: dict[str, Glossary], times: dict[Path, float], scope: list[Path] | None,
          bibliography: citations.Bibliography | None = None) -> _Part:
    """Load `folders` and check those `in_scope`, one after another."""
    config = project.config
    if bibliography is None:
        bibliography = citations.Bibliography(project.path(config.brief.bibliography), project.relative)
    results: list[Result] = []
    errors: list[ContentError] = []
    checked: dict[Path, CheckReport] = {}
    for directory in folders:
        documents: dict[Path, tuple[bytes, Document]] = {}
        problems: dict[Path, list[BodyProblem]] = {}
        result = load_result(directory, config.languages, themes, errors, documents, project.shared_folders,
                             problems)
        if result is not None:
            results.append(result)
        if directory in in_scope:
            fresh = checked[directory] = CheckReport()
            check_rules(project, directory, documents, glossaries, times, scope, fresh, bibliography, problems)
    return _Part(results, [(e.path, e.message, e.line) for e in errors], checked, bibliography.state)


def _start(target, *args) -> tuple[multiprocessing.Process, object] | None:
    """`target(*args)` in a forked process (nothing to pickle on the way in, the same modules and caches
    loaded), its return value sent back through a pipe; None if no process could be started."""
    context = multiprocessing.get_context("fork")
    receiving, sending = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(sending, target, args), daemon=True)
    try:
        process.start()
    except OSError:
        log.debug("no process for part of the check", exc_info=True)
        return None
    finally:
        sending.close()
    return process, receiving


def _child(sending, target, args) -> None:
    try:
        sending.send(target(*args))
    except Exception:
        # Sending nothing says it: the parent checks these folders itself and meets the same problem there,
        # reported as any problem of a check in one process.
        pass
    finally:
        sending.close()


def _finish(started: tuple[multiprocessing.Process, object] | None) -> _Part | None:
    """What a process started by `_start` sent back, once it has ended; None if it sent nothing."""
    if started is None:
        return None
    process, receiving = started
    try:
        return receiving.recv()  # type: ignore[attr-defined]
    except (EOFError, OSError):
        log.debug("a part of the check sent nothing back: checked here", exc_info=True)
        return None
    finally:
        receiving.close()  # type: ignore[attr-defined]
        process.join()


def _add_loading_errors(project: Project, directory: Path, errors: list[ContentError], scope: list[Path] | None,
                        rule_findings: list[Finding], report: CheckReport) -> None:
    """The loader's errors on one folder, except those the rules already reported (alt text, headings)."""
    known = {(f.file, f.line, f.message) for f in rule_findings}
    for error in errors:
        if _in_scope(error.path.resolve(), scope) or error.path.resolve() == directory.resolve():
            finding = _content_finding(project, error)
            if (finding.file, finding.line, finding.message) not in known:
                report.findings.append(finding)
                known.add((finding.file, finding.line, finding.message))
