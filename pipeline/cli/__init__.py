"""The `crebis` command: thin Click commands over the Python API.

Each command parses its options, calls the core and prints; `CrebisError`s
become messages and exit codes, never tracebacks. Command modules are imported
only when their command runs (`crebis --help` reads their help from the source),
so start-up pays for what the command needs and nothing else.
"""

from __future__ import annotations

import ast
import errno
import functools
import importlib
import importlib.util
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from pipeline import __version__
from pipeline.errors import CrebisError, in_project

if TYPE_CHECKING:
    from pipeline.project import Project

EXIT_INTERRUPTED = 130
"""The shell's code for a command stopped by Ctrl-C (128 + SIGINT)."""

_LAZY = {
    "build": "pipeline.cli.project:build_command",
    "check": "pipeline.cli.check:check",
    "config": "pipeline.cli.project:config_command",
    "import": "pipeline.cli.project:import_command",
    "init": "pipeline.cli.project:init_command",
    "new": "pipeline.cli.project:new_group",
    "newsletter": "pipeline.cli.newsletter:newsletter",
    "serve": "pipeline.cli.serve:serve",
    "subscribers": "pipeline.cli.subscribers:subscribers",
    "watch": "pipeline.cli.watch:watch",
}
"""Every top-level command and where it is defined: imported when it runs."""


def handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn a `CrebisError` raised by the core into a clean message and exit code 1.

    Ctrl-C is exit code 130 with one line. Anything else is a bug in crebis: the user gets one
    line saying so (exit code 2); CREBIS_DEBUG=1 shows the traceback.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except CrebisError as exc:
            code = getattr(exc, "exit_code", 1)
            text = in_project(str(exc), _project_root())
            click.secho(f"Error: {text}" if code == 1 else text[:1].upper() + text[1:], fg="red", err=True)
            sys.exit(code)
        except KeyboardInterrupt:
            click.secho("Interrupted.", fg="red", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except Exception as exc:
            if _broken_pipe(exc):
                raise
            if os.environ.get("CREBIS_DEBUG"):
                raise
            click.secho(f"Internal error (a bug in crebis, not in your files): {type(exc).__name__}: {exc}. "
                        "Run again with CREBIS_DEBUG=1 to see where, and report it.", fg="red", err=True)
            sys.exit(2)

    return wrapper


def _project_root() -> Path:
    """The project the running command works on (`-C`, or found from the current folder), for messages."""
    from pipeline.project import find_root

    ctx = click.get_current_context(silent=True)
    obj = ctx.find_root().obj if ctx else None
    return find_root(obj.get("root", ".") if isinstance(obj, dict) else ".")


def _broken_pipe(exc: BaseException) -> bool:
    return isinstance(exc, BrokenPipeError) or (isinstance(exc, OSError) and exc.errno == errno.EPIPE)


def open_project(ctx: click.Context) -> Project:
    """The project named by `crebis -C DIR` (default: the current folder, or the nearest one above it
    holding a crebis.toml)."""
    from pipeline.project import Project

    return Project.open(ctx.obj["root"])


class LazyGroup(click.Group):
    """A group whose commands are imported when they run; `--help` reads their summaries from the source."""

    def __init__(self, *args: Any, lazy: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.commands) | set(self.lazy))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.commands and name in self.lazy:
            module, attr = self.lazy[name].split(":")
            command = getattr(importlib.import_module(module), attr)
            self.commands.setdefault(name, command)
        return self.commands.get(name)

    def load_all(self) -> dict[str, click.Command]:
        """Every command, imported (for the README reference and the tests)."""
        for name in self.lazy:
            self.get_command(click.Context(self), name)
        return self.commands

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max((len(name) for name in names), default=0)
        rows = []
        for name in names:
            if name in self.commands:
                command = self.commands[name]
                if command.hidden:
                    continue
                rows.append((name, command.get_short_help_str(limit)))
            else:
                rows.append((name, click.utils.make_default_short_help(_docstring(*self.lazy[name].split(":")),
                                                                       limit)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@functools.cache
def _docstring(module: str, attr: str) -> str:
    """A command function's docstring, read without importing its module."""
    spec = importlib.util.find_spec(module)
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8")) if spec and spec.origin else None
    for node in ast.walk(tree) if tree else ():
        if isinstance(node, ast.FunctionDef) and node.name == attr:
            return ast.get_docstring(node) or ""
    return ""


@click.group(cls=LazyGroup, lazy=_LAZY, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="crebis")
@click.option(
    "-C",
    "--project",
    "root",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    help="Project folder (the one holding crebis.toml; by default the current folder or the nearest above it).",
)
@click.pass_context
def main(ctx: click.Context, root: Path) -> None:
    """crebis: publish research as briefs, summaries, web pages and newsletters in FR/NL/EN,
    and watch RSS/Atom feeds for a weekly digest."""
    ctx.ensure_object(dict)
    ctx.obj["root"] = root


def run() -> None:
    """The `crebis` executable: `main`, with a reader that stops reading (`| head`) and Ctrl-C handled
    for every command: no traceback, exit codes 0 and 130."""
    try:
        main(standalone_mode=False)
    except click.exceptions.Abort:
        click.secho("Interrupted.", fg="red", err=True)
        _exit(EXIT_INTERRUPTED)
    except click.ClickException as exc:
        exc.show()
        _exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        _exit(exc.exit_code)
    except KeyboardInterrupt:
        click.secho("Interrupted.", fg="red", err=True)
        _exit(EXIT_INTERRUPTED)
    except OSError as exc:
        if not _broken_pipe(exc):
            raise
        _quiet_stdout()
        _exit(0)
    except SystemExit as exc:
        _exit(exc.code)
    _exit(0)


def _exit(code: object) -> None:
    """Flush stdout; a reader that went away meanwhile is not an error."""
    try:
        sys.stdout.flush()
    except OSError as exc:
        if not _broken_pipe(exc):
            raise
        _quiet_stdout()
    sys.exit(code)


def _quiet_stdout() -> None:
    # Python flushes stdout again at exit: point it at /dev/null so that flush has nowhere to fail.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
