"""The `crebis` command: thin Click commands over the Python API.

Each command parses its options, calls the core and prints; `CrebisError`s
become messages and exit codes, never tracebacks.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from pipeline import __version__
from pipeline.errors import CrebisError
from pipeline.project import Project


def handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn a `CrebisError` raised by the core into a clean message and exit code 1.

    Anything else is a bug in crebis: the user gets one line saying so (exit code 2);
    CREBIS_DEBUG=1 shows the traceback.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except CrebisError as exc:
            click.secho(f"Error: {exc}", fg="red", err=True)
            sys.exit(1)
        except (click.exceptions.Exit, click.ClickException, KeyboardInterrupt):
            raise
        except Exception as exc:
            if os.environ.get("CREBIS_DEBUG"):
                raise
            click.secho(f"Internal error (a bug in crebis, not in your files): {type(exc).__name__}: {exc}. "
                        "Run again with CREBIS_DEBUG=1 to see where, and report it.", fg="red", err=True)
            sys.exit(2)

    return wrapper


def open_project(ctx: click.Context) -> Project:
    """The project named by `crebis -C DIR` (default: the current folder)."""
    return Project.open(ctx.obj["root"])


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="crebis")
@click.option(
    "-C",
    "--project",
    "root",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    help="Project folder (the one holding crebis.toml).",
)
@click.pass_context
def main(ctx: click.Context, root: Path) -> None:
    """crebis: publish research as briefs, summaries, web pages and newsletters in FR/NL/EN,
    and watch RSS/Atom feeds for a weekly digest."""
    ctx.ensure_object(dict)
    ctx.obj["root"] = root


# Commands defined with @main.command register when their module is imported; the others are added here.
from pipeline.cli import project as _project_commands  # noqa: E402, F401
from pipeline.cli.check import check  # noqa: E402
from pipeline.cli.newsletter import newsletter  # noqa: E402
from pipeline.cli.watch import watch  # noqa: E402

for _command in (check, newsletter, watch):
    main.add_command(_command)
