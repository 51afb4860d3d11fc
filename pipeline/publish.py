"""`crebis build` as a Python API: load content, ask each output kind for its targets, run them.

Output kinds are declared in `KINDS` (the Pelican model: one generator per kind),
so `--only` and the summary know them by name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from pipeline.build import Report, Scope, Target, run_build
from pipeline.checks.findings import CheckReport, Finding
from pipeline.checks.runner import check_project
from pipeline.content.load import load_results, load_themes
from pipeline.errors import ContentError, CrebisError
from pipeline.project import Project
from pipeline.render.brief import brief_targets
from pipeline.render.context import RenderContext
from pipeline.render.newsletter import newsletter_targets
from pipeline.render.pandoc import pandoc_version
from pipeline.render.site import site_targets
from pipeline.render.summary import summary_targets
from pipeline.render.typst import typst_version

KINDS: dict[str, Callable[[RenderContext, bool], list[Target]]] = {
    "site": site_targets,
    "brief": brief_targets,
    "newsletter": newsletter_targets,
    "summary": summary_targets,
}

TOOLS: dict[str, Callable[[], str]] = {
    "pandoc": pandoc_version,
    "typst": typst_version,
}


@dataclass
class Outcome:
    """What `build` did: the build report, and the check findings (content errors among them)."""

    report: Report
    checks: CheckReport = field(default_factory=CheckReport)

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


def plan(project: Project, drafts: bool | None = None) -> tuple[list[Target], list[ContentError], tuple[str, ...]]:
    """Load the content and list every target; returns targets, content errors and the folders that failed."""
    themes = load_themes(project.path(project.config.watch.themes))
    loaded = load_results(project.results_dir, project.config.languages, themes)
    ctx = RenderContext.create(project, loaded.results, themes)
    with_drafts = project.config.build.drafts if drafts is None else drafts
    targets = [t for make in KINDS.values() for t in make(ctx, with_drafts)]
    failed = tuple(sorted({f"{project.relative(project.results_dir / slug)}/" for slug in loaded.failed}
                          | {project.relative(path) for path in loaded.failed_files}))
    return targets, loaded.errors, failed


def build(
    project: Project,
    only: set[str] | None = None,
    langs: set[str] | None = None,
    force: bool = False,
    drafts: bool | None = None,
    jobs: int | None = None,
    progress: Callable[[int], None] | None = None,
    on_plan: Callable[[int], None] | None = None,
) -> Outcome:
    """Build the project's outputs; up-to-date targets are skipped unless `force`."""
    for kind in only or ():
        if kind not in KINDS:
            raise CrebisError(f"unknown output kind '{kind}': choose among {', '.join(KINDS)}")
    for lang in langs or ():
        if lang not in project.config.languages:
            raise CrebisError(f"language '{lang}' is not in crebis.toml's languages {project.config.languages}")
    targets, errors, failed = plan(project, drafts)
    checks = _checks(project, errors)
    # A file with a check error builds nothing, and its previous outputs stay as they were.
    blocked = tuple(sorted({f.file for f in checks.errors}))
    targets = [t for t in targets if project.relative(t.source) not in blocked]
    tools = {name: version() for name, version in TOOLS.items() if any(name in t.tools for t in targets)}
    scope = Scope(kinds=frozenset(only) if only else None, langs=frozenset(langs) if langs else None,
                  keep_sources=failed + blocked)
    report = run_build(
        targets, project.outputs_dir, project.state_dir, tools, scope=scope, force=force,
        jobs=project.config.build.jobs if jobs is None else jobs, relative=lambda p: project.relative(p),
        progress=progress, on_plan=on_plan,
    )
    return Outcome(report, checks)


def _checks(project: Project, load_errors: list[ContentError]) -> CheckReport:
    """`crebis check` over the project (cached per result folder), with every loading error in it once."""
    checks = check_project(project, cached=True)
    seen = {(f.file, f.line, f.message) for f in checks.findings}
    for error in load_errors:
        finding = Finding(project.relative(error.path), error.line, None, "error", "content", error.message)
        if (finding.file, finding.line, finding.message) not in seen:
            checks.findings.append(finding)
    return checks.sorted()
