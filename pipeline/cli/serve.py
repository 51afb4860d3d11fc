"""`crebis serve`: the site preview (the default), and the web services."""

from __future__ import annotations

import errno
import socket

import click

from pipeline.cli import handle_errors, open_project
from pipeline.errors import CrebisError


def listen(host: str, port: int) -> socket.socket:
    """A socket listening on HOST:PORT, for a server to run on (uvicorn's `sockets=`).

    Taken before any other work, so that a port in use is one clear message at once, not uvicorn's
    "[Errno 98]" (exit 3) after a whole preview build; and held from then on, so that nothing takes the
    port meanwhile (a browser that connects while the preview builds waits in the backlog).
    """
    try:
        family, kind, proto, _name, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    except socket.gaierror as exc:
        raise CrebisError(f"cannot listen on {host}:{port} ({exc.strerror}): check --host") from None
    sock = socket.socket(family, kind, proto)
    # As uvicorn does: a port left in TIME_WAIT by the last run is free; one a server listens on is not.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise CrebisError(f"port {port} on {host} is in use: stop what uses it or choose another with --port"
                              ) from None
        raise CrebisError(f"cannot listen on {host}:{port} ({exc.strerror}): choose another --host or --port"
                          ) from None
    return sock


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
    run(project.root, host, port, echo=click.echo, sock=listen(host, port))


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

    app = create_app(open_project(ctx))
    # pipeline.web.base.serve binds its own socket: check the port here, then let it go for serve to take.
    listen(host, port).close()
    run(app, host, port)
