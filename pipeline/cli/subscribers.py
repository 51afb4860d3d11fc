"""`crebis subscribers`: the subscriber list, its imports and exports, GDPR requests and bounces."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import click

from pipeline.cli import handle_errors, open_project
from pipeline.mail.bounces import process_bounces
from pipeline.mail.csvimport import import_csv
from pipeline.mail.store import STATUSES, SubscriberStore


def _store(ctx: click.Context) -> SubscriberStore:
    return SubscriberStore.open(open_project(ctx))


@click.group("subscribers")
def subscribers() -> None:
    """The people who receive the newsletter and the digest (subscribers.database)."""


@subscribers.command("add")
@click.argument("address")
@click.option("--name", default="", help="The person's name, used in the greeting.")
@click.option("--lang", "language", default=None, help="Their language (default: the first of crebis.toml).")
@click.option("--list", "lists", multiple=True, help="A list to subscribe them to (repeatable; default: newsletter).")
@click.pass_context
@handle_errors
def add_command(ctx: click.Context, address: str, name: str, language: str | None, lists: tuple[str, ...]) -> None:
    """Subscribe ADDRESS by hand (they asked you in person or by mail: their consent is recorded as such)."""
    store = _store(ctx)
    subscriber = store.add(address, name=name, language=language, lists=lists or ("newsletter",))
    click.echo(f"added {subscriber.address} ({subscriber.language}; {', '.join(subscriber.lists)})")


@subscribers.command("remove")
@click.argument("address")
@click.option("--reason", default="removed by hand", show_default=True, help="Why, kept in their record.")
@click.pass_context
@handle_errors
def remove_command(ctx: click.Context, address: str, reason: str) -> None:
    """Unsubscribe ADDRESS (their record stays, so no import brings them back; `forget` erases it)."""
    subscriber = _store(ctx).unsubscribe(address, reason)
    click.echo(f"unsubscribed {subscriber.address}")


@subscribers.command("list")
@click.option("--list", "list_name", default=None, help="Only the subscribers of this list.")
@click.option("--status", type=click.Choice(STATUSES), default=None, help="Only this status.")
@click.option("--format", "fmt", type=click.Choice(["text", "csv", "json"]), default="text", show_default=True,
              help="text to read, csv or json for other tools.")
@click.pass_context
@handle_errors
def list_command(ctx: click.Context, list_name: str | None, status: str | None, fmt: str) -> None:
    """Show subscribers, by address."""
    store = _store(ctx)
    if list_name:
        store.check_lists([list_name])
    found = store.subscribers(list_name, status)
    if fmt == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(["email", "name", "language", "lists", "status", "consent_at", "consent_method"])
        for s in found:
            writer.writerow([s.address, s.name, s.language, ";".join(s.lists), s.status, s.consent_at or "",
                             s.consent_method or ""])
        return
    if fmt == "json":
        click.echo(json.dumps([s.as_dict() for s in found], ensure_ascii=False, indent=2))
        return
    count = 0
    for s in found:
        count += 1
        click.echo(f"{s.address:40} {s.language}  {s.status:12} {','.join(s.lists):20} {s.name}")
    click.echo(f"{count} subscriber(s)")


@subscribers.command("import")
@click.argument("csv_file", metavar="FILE.csv", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--list", "lists", multiple=True, help="List(s) for lines without a lists column (default: newsletter).")
@click.option("--lang", "language", default=None, help="Language for lines without one (default: the first "
              "of crebis.toml).")
@click.option("--skip-invalid", is_flag=True, help="Import the good lines even if some are bad (they are listed).")
@click.pass_context
@handle_errors
def import_command(ctx: click.Context, csv_file: Path, lists: tuple[str, ...], language: str | None,
                   skip_invalid: bool) -> None:
    """Import subscribers from a CSV file: crebis columns (email, name, language, lists), a Mailchimp
    audience export or a listmonk export. All or nothing unless --skip-invalid; addresses that
    unsubscribed, bounced, complained or were forgotten are never subscribed again."""
    report = import_csv(_store(ctx), csv_file, lists=lists, language=language, skip_invalid=skip_invalid)
    for line, reason in report.invalid:
        click.echo(f"{csv_file}:{line}: skipped: {reason}", err=True)
    for line, address, why in report.skipped:
        click.echo(f"{csv_file}:{line}: {address} not imported: {why}")
    click.echo(f"imported {len(report.added)} subscriber(s)"
               + (f", {len(report.added_stopped)} recorded as stopped" if report.added_stopped else "")
               + f"; {len(report.skipped)} already known, {len(report.invalid)} bad line(s) skipped")


@subscribers.command("export")
@click.argument("address")
@click.pass_context
@handle_errors
def export_command(ctx: click.Context, address: str) -> None:
    """Print everything stored about ADDRESS as JSON (a GDPR access request)."""
    click.echo(json.dumps(_store(ctx).export(address), ensure_ascii=False, indent=2))


@subscribers.command("forget")
@click.argument("address")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
@handle_errors
def forget_command(ctx: click.Context, address: str, yes: bool) -> None:
    """Erase ADDRESS and its send history (a GDPR erasure request); only a keyed hash stays, so that
    no later import subscribes them again."""
    if not yes and not click.confirm(f"Erase every record of {address}?"):
        click.echo("nothing erased")
        return
    existed = _store(ctx).forget(address)
    click.echo(f"forgot {address}" if existed else f"{address} was not stored; it is now on the suppression list")


@subscribers.command("stats")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text to read, json for scripts.")
@click.pass_context
@handle_errors
def stats_command(ctx: click.Context, fmt: str) -> None:
    """Subscribers per status, and active ones per list and language."""
    store = _store(ctx)
    stats = store.stats()
    if fmt == "json":
        click.echo(json.dumps(stats, indent=2))
        return
    click.echo("  ".join(f"{status}: {n}" for status, n in stats["status"].items()))
    for name, per_lang in stats["lists"].items():
        total = sum(per_lang.values())
        click.echo(f"{name:12} {total:6} active  (" + ", ".join(f"{k} {v}" for k, v in per_lang.items()) + ")")
    click.echo(f"forgotten (suppression list): {stats['suppressed']}")


@subscribers.command("bounces")
@click.argument("source", type=click.Path(path_type=Path))
@click.pass_context
@handle_errors
def bounces_command(ctx: click.Context, source: Path) -> None:
    """Read returned mail and spam complaints from SOURCE (an mbox file or a Maildir folder): hard bounces
    and complaints stop the address at once, soft bounces after subscribers.soft_bounce_limit in a row."""
    report = process_bounces(_store(ctx), source)
    click.echo(f"{report.messages} message(s): {len(report.hard)} hard bounce(s), {len(report.soft)} soft, "
               f"{len(report.complaints)} complaint(s), {report.unrecognised} not recognised"
               + (f", {report.already} read before (not counted again)" if report.already else ""))
    for address in report.stopped:
        click.echo(f"  stopped {address}")
    for address in report.unknown:
        click.echo(f"  not a subscriber: {address}")
    for raw in report.unreadable:
        click.echo(f"  not a valid address, nothing recorded: {raw!r}")
