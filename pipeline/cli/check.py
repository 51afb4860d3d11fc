"""`crebis check`: readability, plain-language and accessibility findings on content."""

from __future__ import annotations

import gc
import sys
from itertools import groupby
from pathlib import Path
from typing import TYPE_CHECKING

import click

from pipeline.cli import handle_errors, open_project

if TYPE_CHECKING:
    from pipeline.checks import CheckReport

_COLOURS = {"error": "red", "warning": "yellow", "info": "cyan"}


def format_text(report: CheckReport, colour: bool) -> str:
    """Findings grouped by file, one per line with its place, then a one-line total."""
    lines: list[str] = []
    for file, findings in groupby(report.findings, key=lambda f: f.file):
        lines.append(click.style(file, bold=True) if colour else file)
        for f in findings:
            where = f"{f.line or '-'}:{f.column or '-'}"
            severity = click.style(f"{f.severity:<7}", fg=_COLOURS[f.severity]) if colour else f"{f.severity:<7}"
            lines.append(f"  {where:>8}  {severity}  {f.message}  [{f.rule}]")
            if f.suggestion:
                lines.append(f"  {'':>8}  {'':<7}  → {f.suggestion}")
        lines.append("")
    counts = {s: report.count(s) for s in ("error", "warning", "info")}
    total = (f"{counts['error']} error(s), {counts['warning']} warning(s), {counts['info']} info "
             f"in {report.files} file(s)")
    lines.append(click.style(total, fg="red" if counts["error"] else "green", bold=True) if colour else total)
    return "\n".join(lines)


@click.command("check")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "html"]), default="text", show_default=True,
              help="text for people, json for CI and other tools (schema in the README), html for a report "
                   "that shows each text with its hard sentences and words marked.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report to this file instead of standard output.")
@click.option("--strict", is_flag=True, help="Fail on warnings too, not only on errors.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Processes to check with (default: two for a project of 60 results or more on a machine with "
                   "two cores or more and a load below them, else one). The report is the same.")
@click.pass_context
@handle_errors
def check(ctx: click.Context, paths: tuple[Path, ...], fmt: str, output: Path | None, strict: bool,
          jobs: int | None) -> None:
    """Check content (all of it, or PATHs) for readability, plain language and accessibility."""
    # A check makes hundreds of thousands of small objects (node trees, sentences, dictionary entries) and frees
    # next to none of them before it ends, so the cyclic collector's passes over them find nothing: they were
    # ~13 % of the CPU time of a check of 600 documents. Reference counting still frees what is dropped.
    collecting = gc.isenabled()
    gc.disable()
    try:
        from pipeline.checks import check_project
        from pipeline.checks.report_html import render_html

        project = open_project(ctx)
        report = check_project(project, [p.resolve() for p in paths] or None, jobs=jobs)
        if fmt == "json":
            text = report.as_json_text() + "\n"
        elif fmt == "html":
            text = render_html(report, project.root, project.config.check, project.config.languages)
        else:
            text = format_text(report, colour=output is None and sys.stdout.isatty()) + "\n"
    finally:
        if collecting:
            gc.enable()
    if output is None:
        click.echo(text, nl=False)
    else:
        from pipeline.build import write_atomic

        write_atomic(output, text.encode("utf-8"))
        click.echo(f"Report written to {output}", err=True)
    sys.exit(1 if report.failed(strict) else 0)
