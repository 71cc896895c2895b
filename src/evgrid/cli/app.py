"""The typer application, its one error path and the decorator every command uses.

Each command parses its options, calls the library, and renders. Every failure a user can cause
ends the same way (``docs/errors.md``): one line ``evgrid: error: WHAT: got VALUE; allowed: …``
on stderr, exit status 2, nothing at the output path. Ctrl-C, SIGTERM and SIGHUP end quietly
with 130, 143 and 129, after the atomic writers have removed their temporary files.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import os
import signal
import sys
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from typer.core import TyperGroup
from typer.main import get_command_from_info

from evgrid.errors import EvgridError, InputError, missing_extra


def _exception(name: str) -> type[BaseException]:
    """A click exception class as typer uses it (typer may vendor its own click)."""
    for cls in typer.BadParameter.__mro__:
        found = getattr(sys.modules[cls.__module__], name, None)
        if isinstance(found, type) and issubclass(found, BaseException):
            return found
    return type(name, (Exception,), {})  # an older click without it: never raised


UsageError = _exception("UsageError")
NoArgsIsHelpError = _exception("NoArgsIsHelpError")


COMMANDS: dict[str, tuple[str, str]] = {
    "reproduce": (
        "evgrid.cli.reproduce",
        "Reproduce the report's residential and office case studies beside its published numbers.",
    ),
    "hosting": (
        "evgrid.cli.hosting",
        "Hosting capacity of one site: the largest pile ratio at the transformer's limit.",
    ),
    "sample": (
        "evgrid.cli.demand",
        "Sample charging sessions of N vehicles over D days (Monte Carlo).",
    ),
    "load": (
        "evgrid.cli.demand",
        "Uncontrolled charging load of a session file, per slot over the sessions' days.",
    ),
    "schedule": (
        "evgrid.cli.schedule",
        "Schedule charging sessions with a strategy: the load per slot.",
    ),
    "network": (
        "evgrid.cli.network",
        "Three-phase power flow of a low-voltage area over Monte Carlo days: voltages, loadings, "
        "unbalance, what binds first, and the hosting capacity per strategy (docs/network.md).",
    ),
    "incentives": (
        "evgrid.cli.incentives",
        "What incentives buy: a time-of-use tariff, demand response, carbon credits.",
    ),
    "city": (
        "evgrid.cli.city",
        "Every site of a city through a scenario's years: upgrade year, size, cost (docs/city.md).",
    ),
    "synth-city": (
        "evgrid.cli.city",
        "A synthetic city: old, sub-new and new communities and office parks (docs/city.md).",
    ),
    "scenarios": (
        "evgrid.cli.city",
        "List the bundled EV-growth scenarios, or one scenario's values with their sources.",
    ),
    "serve": (
        "evgrid.cli.serve",
        "Serve the web app and the HTTP API (pages, /api, documentation at /docs).",
    ),
    "service": (
        "evgrid.cli.service",
        "Run the live orderly-charging service for one site (OCPP 1.6/2.0.1, OpenADR 2.0b).",
    ),
    "register-piles": (
        "evgrid.cli.service",
        "Register piles in the service's store, with per-pile keys for security profiles 1 and 2.",
    ),
    "simulate-chargers": (
        "evgrid.cli.service",
        "Run simulated AC piles against a running service (moved: `evgrid-sim simulate-chargers`).",
    ),
}
"""Every command: its module (imported only when the command runs, so that ``evgrid --help``
and each command load what they need and nothing more) and its one-line help (a test keeps it
equal to the command's own)."""


class _Group(TyperGroup):
    """The app's command group: commands loaded on first use; every way a run can end goes
    through :meth:`main`."""

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            importlib.import_module(COMMANDS[cmd_name][0])
            for info in app.registered_commands:
                if info.name == cmd_name:
                    self.commands[cmd_name] = get_command_from_info(
                        info, pretty_exceptions_short=False, rich_markup_mode=None
                    )
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        rows = [(name, short) for name, (_, short) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        for stream in (sys.stdout, sys.stderr):  # an ASCII terminal: Chinese degrades, no crash
            if hasattr(stream, "reconfigure"):
                stream.reconfigure(errors="backslashreplace")
        for sig in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, _on_signal)
        try:
            code = super().main(*args, **kwargs)
        except NoArgsIsHelpError as exc:  # bare `evgrid`: the help
            ctx = getattr(exc, "ctx", None)
            typer.echo(ctx.get_help() if ctx else str(exc))
            code = 0
        except UsageError as exc:
            message = exc.format_message().replace("Value error, ", "")  # type: ignore[attr-defined]
            typer.echo(f"evgrid: error: {one_line(message)}", err=True)
            code = EXIT_BAD_INPUT
        except typer.Exit as exc:
            code = exc.exit_code
        except (typer.Abort, KeyboardInterrupt):
            code = EXIT_SIGNAL_BASE + signal.SIGINT
        except BrokenPipeError:
            # stdout's reader left (`evgrid ... | head`): no message, no flush error at exit
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            code = EXIT_SIGNAL_BASE + signal.SIGPIPE
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    name="evgrid",
    help="How many EV charging piles can a transformer host? Planning for distribution grids.",
    cls=_Group,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _show_version(given: bool) -> None:
    if given:
        from evgrid._version import __version__

        typer.echo(f"evgrid {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False,
        "--version",
        help="Show evgrid's version and exit.",
        is_eager=True,
        callback=_show_version,
    ),
) -> None:
    """How many EV charging piles can a transformer host? Planning for distribution grids."""


F = TypeVar("F", bound=Callable[..., Any])

MESSAGE_CHARS = 300
"""Longest error line printed [characters]."""
EXIT_BAD_INPUT = 2
"""Exit status of every refused input, option or file [-]."""
EXIT_SIGNAL_BASE = 128
"""A run ended by signal N exits with 128 + N (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP) [-]."""


def fail(message: str, options: dict[str, str] | None = None) -> None:
    """Print ``evgrid: error: MESSAGE`` (one line) and exit with status 2.

    Parameters
    ----------
    message
        The library's one-line message.
    options
        Parameter name -> option as typed (``limit_kw`` -> ``--limit-kw``): a message that
        starts with a parameter's name (the library names the value) names the option instead.
    """
    head, sep, rest = message.partition(":")
    if sep and options and head.strip() in options:
        message = f"{options[head.strip()]}:{rest}"
    typer.echo(f"evgrid: error: {one_line(message)}", err=True)
    raise typer.Exit(EXIT_BAD_INPUT)


def worded(exc: EvgridError, options: dict[str, str]) -> str:
    """The error's line with its field named by the command's flag (``--limit-kw``); a field
    of a file (a site document's ``network``, named after its file) keeps its name."""
    field = getattr(exc, "field", None)
    name = None if field is None else field.split(" ", 1)[0]
    if isinstance(exc, InputError) and name in options and not exc.where:
        return str(exc.reworded(options[name]))
    return str(exc)


def _option_names(fn: Callable[..., Any]) -> dict[str, str]:
    """Parameter name -> its long option (``--days``) for every option of a command."""
    names = {}
    for name, param in inspect.signature(fn).parameters.items():
        decls = getattr(param.default, "param_decls", None) or ()
        long = [d for d in decls if d.startswith("--")]
        if long:
            names[name] = long[0].split("/")[0]
    return names


def command(name: str | None = None) -> Callable[[F], F]:
    """Register ``fn`` as a CLI command that reports every user error as one line and exit 2."""

    def register(fn: F) -> F:
        options = _option_names(fn)
        shown_name = name or fn.__name__.replace("_", "-")

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            # warnings (a flagged session row) are shown after a run that succeeds; a run that
            # fails shows its one error line only
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("default")
                try:
                    result = fn(*args, **kwargs)
                except EvgridError as exc:
                    fail(worded(exc, options), options)
                except BrokenPipeError:
                    raise  # the reader of stdout left (`| head`): end quietly in _Group.main
                except OSError as exc:
                    where = exc.filename if exc.filename is not None else "file"
                    fail(f"{where}: {exc.strerror or exc}")
                except MemoryError:
                    fail("out of memory; try fewer days, sessions or vehicles")
                except ModuleNotFoundError as exc:
                    line = missing_extra(exc, shown_name)
                    if line is None:
                        raise
                    fail(line)
            for w in caught:
                typer.echo(f"evgrid: warning: {one_line(str(w.message))}", err=True)
            return result

        app.command(name)(wrapper)
        return fn

    return register


def _on_signal(signum: int, frame: Any) -> None:
    raise SystemExit(EXIT_SIGNAL_BASE + signum)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``evgrid`` console script."""
    app(args=argv, prog_name="evgrid")


def one_line(text: str) -> str:
    """One line of at most a few hundred characters (click messages may hold newlines)."""
    line = " ".join(text.split())
    return line if len(line) <= MESSAGE_CHARS else line[: MESSAGE_CHARS - 1] + "…"
