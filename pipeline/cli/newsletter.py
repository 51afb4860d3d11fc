"""`crebis newsletter`: commands for the monthly newsletter."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from pipeline.cli import handle_errors, open_project

if TYPE_CHECKING:
    from pipeline.mail.message import Campaign
    from pipeline.mail.send import SendReport
    from pipeline.project import Project


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
    results = load_results(project.results_dir, project.config.languages, themes, project.shared_folders).results
    for path in create_issue(project.content_dir / "newsletters", issue, project.config.languages, results):
        click.echo(f"created {project.relative(path)}")


def send_options(default_list: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """The options of every send command (`newsletter send`, `watch send`), one definition for both."""
    def decorate(command: Callable[..., None]) -> Callable[..., None]:
        for option in reversed((
            click.option("--list", "list_name", default=default_list, show_default=True,
                         help="The list to send it to."),
            click.option("--dry-run", is_flag=True, help="Render every message and report problems, without "
                         "connecting."),
            click.option("--test-to", metavar="ADDRESS", default=None, help="Send each language edition to this one "
                         "address (nothing is logged)."),
            click.option("--resume", is_flag=True, help="Go on with a send that stopped (nobody gets it twice)."),
            click.option("--resend-uncertain", is_flag=True, help="Also send again the messages cut between their "
                         "end and the server's reply (their readers may get them twice); implies --resume."),
        )):
            command = option(command)
        return command
    return decorate


@newsletter.command("send")
@click.argument("issue", metavar="YYYY-MM")
@send_options("newsletter")
@click.pass_context
@handle_errors
def send_command(ctx: click.Context, issue: str, **options: Any) -> None:
    """Send the built issue YYYY-MM to the active subscribers of a list, each in their language, exactly once."""
    from pipeline.mail.editions import newsletter_campaign

    project = open_project(ctx)
    run_send(project, newsletter_campaign(project, issue, options.pop("list_name")), **options)


def run_send(project: Project, campaign: Campaign, *, dry_run: bool, test_to: str | None, resume: bool,
             resend_uncertain: bool) -> None:
    """Send with a progress bar on stderr and the closing table (shared by the newsletter and the digest)."""
    from pipeline.mail.send import SendOptions, SendStopped, send_campaign

    options = SendOptions(dry_run=dry_run, test_to=test_to, resume=resume or resend_uncertain,
                          resend_uncertain=resend_uncertain)

    bar: list[Any] = []

    def on_start(total: int) -> None:
        if total:
            label = "rendering" if options.dry_run else "sending"
            bar.append(click.progressbar(length=total, label=f"{label} {campaign.id}", file=sys.stderr).__enter__())

    try:
        report = send_campaign(project, campaign, options, progress=lambda n: bar and bar[0].update(n),
                               on_start=on_start)
    except SendStopped as exc:
        _close(bar)
        print_send_report(exc.report)
        raise
    _close(bar)
    print_send_report(report)
    # Non-zero whenever something is left to look at, so that a scheduled send is noticed.
    if (report.problems or report.this_run["failed"] or report.this_run["uncertain"]
            or report.counts.get("queued")):
        sys.exit(1)


def _close(bar: list[Any]) -> None:
    if bar:
        bar[0].__exit__(None, None, None)


def print_send_report(report: SendReport) -> None:
    """The closing table of a send, then what needs attention (failures, uncertain, problems)."""
    if report.mode == "dry-run":
        click.echo(f"{report.campaign}: {report.rendered} message(s) rendered, {len(report.problems)} problem(s)")
        for problem in report.problems:
            click.echo(f"  - {problem}")
        return
    if report.mode == "test":
        click.echo(f"{report.campaign}: {report.this_run['sent']} test message(s) sent")
        for who, reply in report.failures:
            click.echo(f"  failed {who}: {reply}")
        return
    counts = report.counts
    click.echo(f"{'':10} {'this run':>9} {'in all':>9}")
    for state in ("sent", "failed", "skipped", "uncertain"):
        click.echo(f"{state:10} {report.this_run.get(state, 0):>9} {counts.get(state, 0):>9}")
    if counts.get("queued"):
        click.echo(f"{'queued':10} {'':>9} {counts['queued']:>9}")
    click.echo(f"{report.elapsed:.1f} s")
    for address, reply in report.failures:
        click.echo(f"  failed    {address}: {reply}")
    for address in report.uncertain:
        click.echo(f"  uncertain {address}: cut between the end of the message and the reply; not sent again "
                   "unless --resend-uncertain")
    if report.recovered:
        click.echo(f"{report.recovered} message(s) of the stopped send became uncertain")
