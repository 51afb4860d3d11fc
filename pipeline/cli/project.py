"""Commands that make and build a project: init, new, build, config."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import click

from pipeline import buildstamp
from pipeline.buildstamp import Replay
from pipeline.cli import handle_errors, main, open_project
from pipeline.config import describe, dump_config

if TYPE_CHECKING:
    from pipeline.publish import Outcome

_SHOWN_WARNINGS = 10


class _Progress:
    """A progress bar on stderr, sized once the build knows how many targets are out of date."""

    def __init__(self) -> None:
        self.bar = None

    def start(self, total: int) -> None:
        if total:
            self.bar = click.progressbar(length=total, label="Building", file=sys.stderr, show_pos=True)
            self.bar.__enter__()

    def advance(self, n: int) -> None:
        if self.bar:
            self.bar.update(n)

    def finish(self) -> None:
        if self.bar:
            self.bar.__exit__(None, None, None)


class _OutputKinds(click.Choice):
    """The output kinds of `pipeline.publish.KINDS`, imported only when `crebis build` runs or shows its help."""

    def __init__(self) -> None:
        super().__init__([])

    @property  # type: ignore[override]
    def choices(self) -> list[str]:
        from pipeline.publish import KINDS

        return sorted(KINDS)

    @choices.setter
    def choices(self, value: object) -> None:
        pass

    def convert(self, value: str, param: click.Parameter | None, ctx: click.Context | None) -> str:
        # Checked by `pipeline.publish.build` (an unknown kind is an error naming the kinds), so that a
        # build with nothing to do need not import every renderer to read its options.
        return value


def _counts(outcome: Outcome) -> dict[str, Counter[str]]:
    """Targets per output kind and column of the summary."""
    report = outcome.report
    counts: dict[str, Counter[str]] = {}
    for column, targets in (("built", report.built), ("up to date", report.fresh),
                            ("failed", [f.target for f in report.failed])):
        for target in targets:
            counts.setdefault(target.kind, Counter())[column] += 1
    return counts


def _summary(counts: dict[str, Counter[str]], removed: int = 0, kept: int = 0) -> str:
    columns = ("built", "up to date", "failed")
    lines = [f"{'kind':<12}" + "".join(f"{c:>12}" for c in columns)]
    for kind, counter in sorted(counts.items()):
        lines.append(f"{kind:<12}" + "".join(f"{counter[c]:>12}" for c in columns))
    if removed:
        lines.append(f"removed {removed} output(s) whose content is gone")
    if kept:
        lines.append(f"kept {kept} output(s) as they were: they show content that failed (below)")
    return "\n".join(lines)


def _finding_line(file: str, line: int | None, message: str, rule: str) -> str:
    return f"{file}:{line}: {message} [{rule}]" if line else f"{file}: {message} [{rule}]"


def _print_warnings(warnings: list[str]) -> None:
    if warnings:
        click.secho(f"\n{len(warnings)} warning(s):", fg="yellow", bold=True, err=True)
        for warning in warnings[:_SHOWN_WARNINGS]:
            click.secho(f"  ! {warning}", fg="yellow", err=True)
        if len(warnings) > _SHOWN_WARNINGS:
            click.secho(f"  … and {len(warnings) - _SHOWN_WARNINGS} more: `crebis check` lists every finding",
                        fg="yellow", err=True)


def _replayed(replay: Replay, dry_run: bool) -> None:
    """A build with nothing to do, as the last build reported it (`pipeline.buildstamp`)."""
    if dry_run:
        click.echo(f"0 to build, {sum(replay.counts.values())} up to date, 0 to remove")
    else:
        click.echo(_summary({kind: Counter({"up to date": n}) for kind, n in replay.counts.items()}))
    _print_warnings([_finding_line(str(f["file"]), f["line"], str(f["message"]), str(f["rule"]))  # type: ignore[arg-type]
                     for f in replay.findings] + replay.warnings)
    if not dry_run:
        click.secho(f"Outputs in {replay.outputs_dir}/", fg="green")


def _dry_run(outcome: Outcome) -> None:
    """What a build would do, and why: each output with the inputs that changed."""
    report = outcome.report
    for output, changed in sorted(report.changes.items()):
        click.echo(f"would build {output}  ({', '.join(changed)})")
    for output in report.removed:
        click.echo(f"would remove {output}  (its content is gone)")
    for output in report.kept:
        click.echo(f"would keep {output}  (it shows content that failed)")
    click.echo(f"{len(report.changes)} to build, {len(report.fresh)} up to date, {len(report.removed)} to remove")


def _verbose(outcome: Outcome) -> None:
    """Each output written, removed or kept, one per line."""
    report = outcome.report
    for output in sorted(o for t in report.built for o in t.outputs):
        click.echo(f"wrote {output}")
    for output in report.removed:
        click.echo(f"removed {output}")
    for output in report.kept:
        click.echo(f"kept {output}")


@main.command("build")
@click.option("--force", is_flag=True, help="Rebuild every target, even those up to date.")
@click.option("--only", "only", multiple=True, type=_OutputKinds(),
              help="Build only this kind of output (repeatable).")
@click.option("--lang", "langs", multiple=True, help="Build only this language (repeatable): fr, nl, en.")
@click.option("--drafts/--no-drafts", default=None, help="Include drafts, built into the preview folder "
              ".crebis/preview/outputs/, never outputs/ (default: build.drafts in crebis.toml).")
@click.option("-j", "--jobs", type=click.IntRange(min=0), default=None,
              help="Parallel workers (default: build.jobs, 0 = one per core).")
@click.option("-v", "--verbose", is_flag=True, help="Name each output written, removed or kept.")
@click.option("-n", "--dry-run", is_flag=True, help="Write nothing: name what would be built and which input "
              "changed, and what would be removed.")
@click.pass_context
@handle_errors
def build_command(ctx: click.Context, force: bool, only: tuple[str, ...], langs: tuple[str, ...],
                  drafts: bool | None, jobs: int | None, verbose: bool, dry_run: bool) -> None:
    """Build every output that is out of date into outputs/."""
    project = open_project(ctx)
    progress = _Progress()

    def waiting(holder: str) -> None:
        click.secho(f"Another build is running in this project ({holder}): waiting for it to finish…",
                    fg="yellow", err=True)

    # Nothing changed since the last build with these options: say what it said, without loading anything.
    replay = None if force else buildstamp.replay(project, only, langs, drafts, on_wait=waiting)
    if replay is not None:
        _replayed(replay, dry_run)
        return
    from pipeline.publish import build

    try:
        outcome = build(project, only=set(only) or None, langs=set(langs) or None, force=force, drafts=drafts,
                        jobs=jobs, progress=progress.advance, on_plan=None if dry_run else progress.start,
                        on_wait=waiting, dry_run=dry_run)
    finally:
        progress.finish()
    for notice in outcome.report.notices:
        click.secho(f"Note: {notice}", fg="yellow", err=True)
    if dry_run:
        _dry_run(outcome)
    else:
        if verbose:
            _verbose(outcome)
        click.echo(_summary(_counts(outcome), len(outcome.report.removed), len(outcome.report.kept)))
    _print_warnings([_finding_line(f.file, f.line, f.message, f.rule) for f in outcome.warnings]
                    + [w for _, w in outcome.report.warnings])
    problems = [f"{f.file}:{f.line}: {f.message}" if f.line else f"{f.file}: {f.message}"
                for f in outcome.content_errors]
    problems += sorted(f.message for f in outcome.report.failed)
    # One failure can stop several outputs of a file (an email's .html, .txt, .eml): say it once.
    problems = list(dict.fromkeys(problems))
    if problems:
        click.secho(f"\n{len(problems)} problem(s):", fg="red", bold=True, err=True)
        for problem in problems:
            click.secho("  ✗ " + problem.replace("\n", "\n    "), fg="red", err=True)
        sys.exit(1)
    click.secho(f"Outputs in {project.relative(outcome.outputs_dir or project.outputs_dir)}/", fg="green")



@main.command("config")
@click.option("--keys", is_flag=True, help="List every key with its meaning and default instead.")
@click.pass_context
@handle_errors
def config_command(ctx: click.Context, keys: bool) -> None:
    """Print the effective configuration (crebis.toml with defaults filled in)."""
    if keys:
        for key, doc, default in describe():
            click.echo(f"{key} = {default!r}\n    {doc}")
        return
    click.echo(dump_config(open_project(ctx).config), nl=False)


@main.command("init")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@handle_errors
def init_command(directory: Path) -> None:
    """Create a new project in DIRECTORY with sample content that builds at once."""
    from pipeline.scaffold import init_project

    init_project(directory)
    click.echo(f"Created a crebis project in {directory}. Next: cd {directory} && crebis build")


@main.group("new")
def new_group() -> None:
    """Create new content from stubs."""


@new_group.command("result")
@click.argument("slug")
@click.pass_context
@handle_errors
def new_result_command(ctx: click.Context, slug: str) -> None:
    """Create content/results/SLUG/ with a draft stub per language."""
    from pipeline.scaffold import new_result

    project = open_project(ctx)
    for path in new_result(project, slug):
        click.echo(f"created {project.relative(path)}")


@main.command("import")
@click.argument("report", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--slug", required=True, help="Result folder to write into: content/results/SLUG/.")
@click.option("--lang", required=True, help="Language of the report: fr, nl or en.")
@click.option("--force", is_flag=True, help="Replace an existing language file.")
@click.pass_context
@handle_errors
def import_command(ctx: click.Context, report: Path, slug: str, lang: str, force: bool) -> None:
    """Turn a Word report (.docx) into content/results/SLUG/LANG.md with its images."""
    from pipeline.content.docx_import import import_docx

    project = open_project(ctx)
    result = import_docx(project, report, slug, lang, force=force)
    click.echo(f"wrote {project.relative(result.written)}")
    for image in result.images:
        click.echo(f"  image {project.relative(image)}")
    for lost in result.dropped:
        click.secho(f"  ! {lost}", fg="yellow")
    click.echo(f"Still to write (marked TODO): {', '.join(result.todo)}. The edition is a draft until you "
               "set status: published.")
