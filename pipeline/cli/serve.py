"""`crebis serve`: the site preview (the default), and the web services."""

from __future__ import annotations

import click

from pipeline.cli import handle_errors, open_project


def _preview_options(func):
    func = click.option("--host", default="127.0.0.1", show_default=True,
                        help="Address to listen on (keep 127.0.0.1: the preview shows drafts).")(func)
    return click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535),
                        help="Port to listen on.")(func)


@click.group("serve", invoke_without_command=True)
@_preview_options
@click.pass_context
@handle_errors
def serve(ctx: click.Context, host: str, port: int) -> None:
    """Preview the site (drafts included) on HOST:PORT, rebuilding and reloading on every change; or run a web
    service (see the commands)."""
    if ctx.invoked_subcommand is None:
        _preview(ctx, host, port)


@serve.command("site")
@_preview_options
@click.pass_context
@handle_errors
def site_command(ctx: click.Context, host: str, port: int) -> None:
    """Build into .crebis/preview/ with drafts, serve its site, watch content/, layouts/ and crebis.toml,
    rebuild what changed and reload the open pages; build errors show in the page."""
    _preview(ctx, host, port)


def _preview(ctx: click.Context, host: str, port: int) -> None:
    from pipeline.web.preview import serve as run

    project = open_project(ctx)
    run(project.root, host, port, echo=click.echo)


@serve.command("subscriptions")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.pass_context
@handle_errors
def subscriptions_command(ctx: click.Context, host: str, port: int) -> None:
    """Subscribe (double opt-in), confirm, preferences and unsubscribe pages in every language, and the
    RFC 8058 one-click unsubscribe; CREBIS_SECRET must be set in the environment."""
    from pipeline.web.base import serve as run
    from pipeline.web.subscriptions import create_app
    run(create_app(open_project(ctx)), host, port)
