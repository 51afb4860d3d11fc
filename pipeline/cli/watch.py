"""`crebis watch`: the innovation watch's feeds, fetch and ranked items."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from pipeline.cli import handle_errors, open_project
from pipeline.cli.newsletter import run_send, send_options
from pipeline.watch.candidates import feed_names
from pipeline.watch.listing import items_as_json, iter_items
from pipeline.watch.models import Feed
from pipeline.watch.report import (
    fetch_verdict,
    format_health,
    format_import,
    format_items,
    format_summary,
    health_as_json,
)
from pipeline.watch.sources import (
    add_feed,
    export_feeds,
    feed_health,
    feeds_path,
    import_feeds,
    load_taxonomy_of,
    remove_feed,
    set_feed,
)
from pipeline.watch.update import terminate_as_interrupt, update_feeds

FORMAT = click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
    help="Text for reading, JSON for scripts.",
)  # fmt: skip


@click.group()
def watch() -> None:
    """Innovation watch: follow RSS/Atom feeds, fetch them, rank what they publish by theme."""


@watch.group()
def feeds() -> None:
    """The watched feeds (content/watch/feeds.opml) and their health."""


@feeds.command("list")
@FORMAT
@click.pass_context
@handle_errors
def feeds_list(ctx: click.Context, fmt: str) -> None:
    """Show each feed with its health: last success, last error, failures, item count."""
    rows = feed_health(open_project(ctx))
    click.echo(health_as_json(rows) if fmt == "json" else format_health(rows))


@feeds.command("add")
@click.argument("url")
@click.option("--title", default="", help="Name shown in lists (default: the URL).")
@click.option("--lang", default="", help="Language of the feed when it does not say (fr, nl, en…).")
@click.option("--theme", "themes", multiple=True, help="Theme id of content/themes.yaml; repeatable.")
@click.option("--weight", type=float, default=1.0, show_default=True, help="Multiplies its items' scores.")
@click.pass_context
@handle_errors
def feeds_add(ctx: click.Context, url: str, title: str, lang: str, themes: tuple, weight: float) -> None:
    """Add the feed URL to the watched feeds."""
    project = open_project(ctx)
    feed = add_feed(project, Feed(url=url.strip(), title=title, language=lang, themes=themes, weight=weight))
    click.echo(f"Added {feed.url} to {project.relative(feeds_path(project))}.")


@feeds.command("set")
@click.argument("url")
@click.option("--title", help="Name shown in lists.")
@click.option("--lang", help="Language of the feed when it does not say (fr, nl, en…).")
@click.option("--theme", "themes", multiple=True, help="Theme id of content/themes.yaml; repeatable; replaces the "
              "feed's themes.")  # fmt: skip
@click.option("--no-themes", is_flag=True, help="Remove the feed's themes.")
@click.option("--weight", type=float, help="Multiplies its items' scores.")
@click.pass_context
@handle_errors
def feeds_set(ctx: click.Context, url: str, title: str | None, lang: str | None, themes: tuple, no_themes: bool,
              weight: float | None) -> None:  # fmt: skip
    """Change the watched feed URL in place: its title, language, themes or weight."""
    project = open_project(ctx)
    feed = set_feed(project, url, title=title, language=lang, themes=() if no_themes else (themes or None),
                    weight=weight)  # fmt: skip
    meta = [feed.language or "-", f"weight {feed.weight:g}", "themes " + (",".join(feed.themes) or "-")]
    click.echo(f"Set {feed.url}: {feed.title or '(no title)'} [{' · '.join(meta)}].")


@feeds.command("remove")
@click.argument("url")
@click.pass_context
@handle_errors
def feeds_remove(ctx: click.Context, url: str) -> None:
    """Stop watching the feed URL (its items already fetched stay)."""
    project = open_project(ctx)
    remove_feed(project, url)
    click.echo(f"Removed {url} from {project.relative(feeds_path(project))}.")


@feeds.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
@handle_errors
def feeds_import(ctx: click.Context, file: Path) -> None:
    """Merge the feeds of an OPML FILE (e.g. exported from a feed reader) into the watched feeds."""
    click.echo(format_import(import_feeds(open_project(ctx), file)))


@feeds.command("export")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of the terminal.",
)  # fmt: skip
@click.pass_context
@handle_errors
def feeds_export(ctx: click.Context, output: Path | None) -> None:
    """Print the watched feeds as OPML 2.0, for a feed reader or another project."""
    text = export_feeds(open_project(ctx))
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


@watch.command("fetch")
@click.option("--feed", "only", multiple=True, metavar="URL", help="Fetch only this watched feed; repeatable.")
@click.option("--force", is_flag=True, help="Fetch feeds even if their minimum interval has not passed.")
@click.option("--strict", is_flag=True, help="Exit with 1 if any feed failed (default: only if every feed did).")
@click.pass_context
@handle_errors
def fetch(ctx: click.Context, only: tuple[str, ...], force: bool, strict: bool) -> None:
    """Fetch the watched feeds that are due, store new and changed items, and summarise.

    Exits with 1 when every feed fetched failed (or, with --strict, when any did), so
    that a cron job or systemd timer notices.
    """
    project = open_project(ctx)
    with terminate_as_interrupt(), click.progressbar(length=0, label="Fetching feeds", file=sys.stderr) as bar:

        def progress(report: object, done: int, total: int) -> None:
            bar.length = total
            bar.update(1)

        summary = update_feeds(project, progress, only=tuple(u.strip() for u in only), force=force)
    click.echo(format_summary(summary))
    verdict = fetch_verdict(summary, strict)
    if verdict:
        click.secho(f"Error: {verdict}", fg="red", err=True)
        sys.exit(1)


@watch.command("list")
@click.option(
    "--since", type=click.DateTime(["%Y-%m-%d"]),
    help="Only items published on or after this date (YYYY-MM-DD).",
)  # fmt: skip
@click.option("--theme", help="Only items of this theme id (see content/themes.yaml).")
@click.option("--lang", help="Only items in this language (fr, nl, en…).")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many items.")
@FORMAT
@click.pass_context
@handle_errors
def list_(ctx: click.Context, since: datetime | None, theme: str | None, lang: str | None,
          limit: int | None, fmt: str) -> None:  # fmt: skip
    """Print the stored items, best score first."""
    project = open_project(ctx)
    items = iter_items(project, since=since, theme=theme, language=lang, limit=limit)
    if fmt == "json":
        for piece in items_as_json(items):
            click.echo(piece, nl=False)
        click.echo()
    else:
        themes = {t.id: t for t in load_taxonomy_of(project).themes}
        names, _ = feed_names(project)
        for block in format_items(items, names, themes):
            click.echo(block)


# The curator's week: review, curate, send. (Imports are local: these commands load ruamel.yaml and Starlette.)


@watch.command("review")
@click.argument("week", required=False)
@click.pass_context
@handle_errors
def review_command(ctx: click.Context, week: str | None) -> None:
    """Write or update the curation worksheet of WEEK (e.g. 2026-W48; default: this week)."""
    from pipeline.watch.weeks import resolve_week
    from pipeline.watch.worksheet import describe_review, review

    project = open_project(ctx)
    report = review(project, resolve_week(project, week))
    click.echo(describe_review(report, project.relative))


@watch.command("curate")
@click.argument("week", required=False)
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="Port on 127.0.0.1 (0: any free port).")
@click.pass_context
@handle_errors
def curate_command(ctx: click.Context, week: str | None, port: int) -> None:
    """Curate WEEK's worksheet in a browser page on 127.0.0.1 (default: this week); Ctrl+C stops."""
    from pipeline.watch.weeks import resolve_week
    from pipeline.web.curation import bind, server

    project = open_project(ctx)
    chosen = resolve_week(project, week)
    sock = bind(port)
    click.echo(f"Curation of {chosen}: http://127.0.0.1:{sock.getsockname()[1]}/  (Ctrl+C to stop)")
    server(project, chosen, sock).run(sockets=[sock])


@watch.command("send")
@click.argument("week", metavar="WEEK")
@send_options("digest")
@click.pass_context
@handle_errors
def send_command(ctx: click.Context, week: str, **options: Any) -> None:
    """Send the built digest of WEEK (e.g. 2026-W48) to the active subscribers of a list, each in their
    language, exactly once (the newsletter's send log, headers and unsubscribe)."""
    from pipeline.mail.editions import digest_campaign

    project = open_project(ctx)
    run_send(project, digest_campaign(project, week, options.pop("list_name")), **options)
