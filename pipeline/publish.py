"""`crebis build` as a Python API: load content, ask each output kind for its targets, run them.

Output kinds are declared in `KINDS` (the Pelican model: one generator per kind),
so `--only` and the summary know them by name.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pipeline import buildstamp
from pipeline.build import Report, Scope, Target, run_build, shared_paths
from pipeline.buildstamp import build_dirs, preview_dir  # noqa: F401 (preview_dir: part of this API)
from pipeline.checks.findings import CheckReport, Finding
from pipeline.checks.runner import FolderChecks, check_project
from pipeline.config import CONFIG_FILE
from pipeline.content.load import Loaded, load_results, load_themes
from pipeline.content.model import Theme
from pipeline.errors import ConfigError, ContentError, CrebisError
from pipeline.project import Project
from pipeline.render import charts
from pipeline.render.brief import brief_targets
from pipeline.render.context import RenderContext
from pipeline.render.digest import digest_targets
from pipeline.render.figures import chart_fingerprints
from pipeline.render.newsletter import newsletter_targets
from pipeline.render.pandoc import close_workers as close_pandoc_workers
from pipeline.render.pandoc import pandoc_version
from pipeline.render.raster_worker import close_workers as close_raster_workers
from pipeline.render.search import SearchIndex, index_site, needs_index
from pipeline.render.site import site_targets
from pipeline.render.sitemap import discovery_targets
from pipeline.render.social import social_targets
from pipeline.render.summary import summary_targets
from pipeline.render.typst import typst_version
from pipeline.render.typst_worker import close_workers as close_typst_workers
from pipeline.state import project_lock

KINDS: dict[str, Callable[[RenderContext, bool], list[Target]]] = {
    "site": site_targets,
    "brief": brief_targets,
    "newsletter": newsletter_targets,
    "summary": summary_targets,
    "digest": digest_targets,
    "social": social_targets,
}

# Generators that see every other target (the sitemap lists the pages of all kinds).
FINISHERS: list[Callable[[RenderContext, list[Target], bool], list[Target]]] = [discovery_targets]

TOOLS: dict[str, Callable[[], str]] = {
    "pandoc": pandoc_version,
    "typst": typst_version,
}


@dataclass
class Outcome:
    """What `build` did: the build report, and the check findings (content errors among them)."""

    report: Report
    checks: CheckReport = field(default_factory=CheckReport)
    search: SearchIndex | None = None
    """The Pagefind index, when this build (re)made it."""
    outputs_dir: Path | None = None
    """Where the outputs went: outputs/, or the preview folder when drafts were built."""

    @property
    def content_errors(self) -> list[Finding]:
        """Check errors: each kept its file's outputs from being built."""
        return self.checks.errors

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.checks.findings if f.severity == "warning"]

    @property
    def ok(self) -> bool:
        return self.report.ok and not self.checks.errors


@dataclass
class Plan:
    """The content as read once for a build, and every target made from it."""

    targets: list[Target]
    themes: dict[str, Theme]
    loaded: Loaded
    failed: tuple[str, ...]
    """Project-relative files and folders that failed to load: their outputs are kept, not removed."""
    checked: FolderChecks | None = None
    """The checks of each result folder, run as it was read (the plan read the files itself); `content_checks`
    reports them once."""

    @property
    def errors(self) -> list[ContentError]:
        return self.loaded.errors

    @property
    def digests(self) -> dict[Path, str]:
        """The digest of each content file as the loader read it: fingerprints hash those very bytes."""
        return {e.path: e.digest for r in self.loaded.results for e in r.editions}


def plan(project: Project, drafts: bool | None = None, content: tuple[Loaded, dict[str, Theme]] | None = None,
         ) -> Plan:
    """Read the content once and list every target; `content` is the results and themes already read
    (the preview server keeps them in memory and re-reads only the files that changed)."""
    checked = None
    if content is None:
        themes = load_themes(project.path(project.config.watch.themes))
        # each folder checked as it is read, and its files let go: never the whole project's parsed at once
        checked = FolderChecks(project, cached=True)
        loaded = load_results(project.results_dir, project.config.languages, themes, project.shared_folders,
                              each=checked)
    else:
        loaded, themes = content
    ctx = RenderContext.create(project, loaded.results, themes)
    with_drafts = project.config.build.drafts if drafts is None else drafts
    with shared_paths():
        targets = [t for make in KINDS.values() for t in make(ctx, with_drafts)]
        targets += [t for finish in FINISHERS for t in finish(ctx, targets, with_drafts)]
    return Plan(targets, themes, loaded, failed_paths(project, loaded), checked)


def failed_paths(project: Project, loaded: Loaded) -> tuple[str, ...]:
    """Project-relative result folders and files that failed to load."""
    return tuple(sorted({f"{project.relative(project.results_dir / slug)}/" for slug in loaded.failed}
                        | {project.relative(path) for path in loaded.failed_files}))


def build(
    project: Project,
    only: set[str] | None = None,
    langs: set[str] | None = None,
    force: bool = False,
    drafts: bool | None = None,
    jobs: int | None = None,
    progress: Callable[[int], None] | None = None,
    on_plan: Callable[[int], None] | None = None,
    on_wait: Callable[[str], None] | None = None,
    dry_run: bool = False,
    search: bool = True,
    planned: Plan | None = None,
    checks: CheckReport | None = None,
    partial: bool = False,
    stop: threading.Event | None = None,
    on_written: Callable[[Target], None] | None = None,
) -> Outcome:
    """Build the project's outputs; up-to-date targets are skipped unless `force`.

    Drafts go to the preview folder, never outputs/. Without `search`, the Pagefind index is left as it is.
    The preview server passes the content it keeps in memory (`planned`, with its `checks`), builds the
    targets an open page needs first (`partial`: a plan of those only), and `stop`s a build when a file
    changes again (see `run_build`).

    One build at a time per project: a second waits for the first (`on_wait` is told who holds it;
    without it, a held lock is an error). With `dry_run`, nothing is written: the report says what
    would be built and why.
    """
    for kind in only or ():
        if kind not in KINDS:
            raise CrebisError(f"unknown output kind '{kind}': choose among {', '.join(KINDS)}")
    for lang in langs or ():
        if lang not in project.config.languages:
            raise CrebisError(f"language '{lang}' is not in crebis.toml's languages {project.config.languages}")
    with project_lock(project.state_dir, on_wait):
        # The preview's builds (content from memory, some targets only, stoppable) are never stamped.
        stamped = not dry_run and planned is None and not partial and stop is None
        before = buildstamp.snapshot(project) if stamped else None
        outcome = _build(project, only, langs, force, drafts, jobs, progress, on_plan, dry_run, search,
                         planned, checks, partial, stop, on_written)
        if before is not None and outcome.ok:
            _stamp(project, buildstamp.options_key(only, langs, drafts, search), before, outcome, drafts)
        return outcome


def prune_charts(project: Project, loaded: Loaded) -> None:
    """Drop the drawings in `.crebis/charts/` that no chart of the project draws any more (after a build that
    succeeded, every result loaded: a result that failed to load still has its charts kept)."""
    if loaded.failed or loaded.failed_files:
        return
    charts.store(project.state_dir / "charts").prune(chart_fingerprints(loaded.results, project.config.brand))


def _stamp(project: Project, key: str, before: buildstamp.Snapshot, outcome: Outcome, drafts: bool | None) -> None:
    """Record that this build left everything up to date, so that the next one with the same options can
    say so from the files' metadata alone (`pipeline.buildstamp`)."""
    targets = [*outcome.report.built, *outcome.report.fresh]
    counts: dict[str, int] = {}
    for target in targets:
        counts[target.kind] = counts.get(target.kind, 0) + 1
    walked = tuple(f"{name}/" for name in buildstamp.WALKED)
    extra = {p for t in targets for p in t.inputs if not project.relative(p).startswith(walked)}
    findings = [{"file": f.file, "line": f.line, "rule": f.rule, "message": f.message} for f in outcome.warnings]
    outputs_dir, state_dir = build_dirs(project, drafts)
    replay = buildstamp.Replay(counts, findings, [w for _, w in outcome.report.warnings],
                               project.relative(outputs_dir))
    buildstamp.record(project, key, before, extra, outputs_dir, state_dir, replay)


def _build(project: Project, only: set[str] | None, langs: set[str] | None, force: bool, drafts: bool | None,
           jobs: int | None, progress: Callable[[int], None] | None, on_plan: Callable[[int], None] | None,
           dry_run: bool, search: bool = True, planned: Plan | None = None, checks: CheckReport | None = None,
           partial: bool = False, stop: threading.Event | None = None,
           on_written: Callable[[Target], None] | None = None) -> Outcome:
    own_plan = planned is None  # the project read from its files: the chart store may be pruned after
    planned = planned or plan(project, drafts)
    _check_citation_style(project, planned)
    checks = content_checks(project, planned) if checks is None else checks
    if own_plan and not dry_run:
        # The plan let each folder's files go once checked (never kept: they would grow every render's process
        # with the project), but what they and the checks' parsing freed stays with the C allocator unless
        # handed back, and the renders' workers start beside it
        _give_back_memory()
    # A file with a check error builds nothing, and its previous outputs stay as they were.
    blocked = tuple(sorted({f.file for f in checks.errors}))
    targets = [t for t in planned.targets if project.relative(t.source) not in blocked]
    # So does a broken bibliography, for every target that cites it: they would each fail the same way.
    bibliography = project.path(project.config.brief.bibliography)
    if project.relative(bibliography) in blocked:
        blocked += tuple(sorted({project.relative(t.source) for t in targets if bibliography in t.inputs}))
        targets = [t for t in targets if bibliography not in t.inputs]
    # ... and so do the outputs that show it (indexes, feeds, its siblings' language links).
    failing = {project.root / f.rstrip("/") for f in (*planned.failed, *blocked)} | {
        t.source for t in targets if t.broken}
    kept = {o for t in targets if not t.broken and _shows_failed(t, failing) for o in t.outputs}
    tools = {name: version() for name, version in TOOLS.items() if any(name in t.tools for t in targets)}
    scope = Scope(kinds=frozenset(only) if only else None, langs=frozenset(langs) if langs else None,
                  keep_sources=planned.failed + blocked + _result_folders(project, (*planned.failed, *blocked)),
                  keep_outputs=frozenset(kept))
    outputs_dir, state_dir = build_dirs(project, drafts)
    state_dir.mkdir(parents=True, exist_ok=True)
    report = run_build(
        targets, outputs_dir, state_dir, tools, scope=scope, force=force,
        jobs=project.config.build.jobs if jobs is None else jobs, relative=project.relative,
        progress=progress, on_plan=on_plan, known_digests=planned.digests, allowed_input=project.contains,
        dry_run=dry_run, partial=partial, stop=stop, on_written=on_written,
    )
    if own_plan and not dry_run and not partial and not report.stopped and report.ok and not checks.errors:
        prune_charts(project, planned.loaded)
    report.kept = sorted(o for o in kept if scope.covers(*_kind_lang(targets, o)))
    report.notices.extend(f.message for f in checks.findings if f.rule == "state")
    index = None
    site_dir = outputs_dir / "site"
    if (search and not dry_run and not partial and not report.stopped and project.config.site.search
            and scope.covers("site", None) and site_dir.is_dir() and needs_index(site_dir, report)):
        # Pagefind holds the whole site's index: the renderers' idle workers (~180 MB a pandoc process) are
        # stopped first, not kept beside it (they were the tree's peak); a next build starts new ones.
        close_pandoc_workers()
        close_typst_workers()
        close_raster_workers()
        _give_back_memory()
        index = index_site(site_dir)
    return Outcome(report, checks, index, outputs_dir)


def _give_back_memory() -> None:
    """Hand the memory crebis no longer uses back to the system, after the checks and before Pagefind runs beside
    it (Python frees into the C allocator, which keeps it: at 1,800 documents, 51 of 205 MB came back after a dry
    run's work; a few tens of ms). A no-op where the C library has no `malloc_trim` (glibc's)."""
    import ctypes  # here: a build with nothing to do never comes this far

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)


def _kind_lang(targets: list[Target], output: str) -> tuple[str, str | None]:
    target = next(t for t in targets if output in t.outputs)
    return target.kind, target.lang


def _result_folders(project: Project, failing: tuple[str, ...]) -> tuple[str, ...]:
    """The result folders that hold a failing file: nothing built from them is removed while it fails (a page
    kept as it was still shows its pictures, whose targets went with its edition)."""
    folders = set()
    for relative in failing:
        path = project.root / relative.rstrip("/")
        if path.is_relative_to(project.results_dir) and path != project.results_dir:
            folders.add(f"{project.relative(project.results_dir / path.relative_to(project.results_dir).parts[0])}/")
    return tuple(sorted(folders))


def _shows_failed(target: Target, failing: set[Path]) -> bool:
    """Whether the target shows content that failed: one of its dependencies is (or is in) a failing path."""
    return any(path == failed or failed in path.parents for path in target.depends for failed in failing)


def _check_citation_style(project: Project, planned: Plan) -> None:
    """A missing CSL style would make pandoc fall back to its own silently: refuse it, naming the key."""
    csl = project.config.brief.csl
    if not project.path(csl).is_file() and any(e.citations for r in planned.loaded.results for e in r.editions):
        raise ConfigError(project.root / CONFIG_FILE, [
            f"brief.csl = '{csl}': file not found; the content cites sources and needs a citation style: "
            "restore the file or set the key to one that exists"])


def content_checks(project: Project, planned: Plan, paths: list[Path] | None = None) -> CheckReport:
    """`crebis check` over the content as loaded (rules cached per result folder), with every loading error once;
    with `paths`, only those files and folders (and their loading errors)."""
    folders = planned.checked if paths is None else None
    if folders is not None:
        planned.checked = None  # reported once: this check closes its cache
    checks = check_project(project, paths, cached=True, themes=planned.themes, loaded=planned.loaded, folders=folders)
    seen = {(f.file, f.line, f.message) for f in checks.findings}
    for error in planned.errors:
        if paths is not None and not any(error.path == p or p in error.path.parents for p in paths):
            continue
        finding = Finding(project.relative(error.path), error.line, None, "error", "content", error.message)
        if (finding.file, finding.line, finding.message) not in seen:
            checks.findings.append(finding)
            seen.add((finding.file, finding.line, finding.message))
    return checks.sorted()
