"""`crebis newsletter`: commands for the monthly newsletter."""

from __future__ import annotations

import click

from pipeline.cli import handle_errors, open_project


@click.group("newsletter")
def newsletter() -> None:
    """Prepare the monthly newsletter (built by `crebis build --only newsletter`)."""


@newsletter.command("new")
@click.argument("issue", metavar="YYYY-MM")
@click.pass_context
@handle_errors
def new_command(ctx: click.Context, issue: str) -> None:
    """Create content/newsletters/YYYY-MM/ with a draft per language, featuring the results
    published since the last issue."""
    from pipeline.content.load import load_results, load_themes
    from pipeline.content.newsletter import create_issue

    project = open_project(ctx)
    themes = load_themes(project.path(project.config.watch.themes))
    results = load_results(project.results_dir, project.config.languages, themes).results
    for path in create_issue(project.content_dir / "newsletters", issue, project.config.languages, results):
        click.echo(f"created {project.relative(path)}")
