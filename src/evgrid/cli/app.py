"""The typer application, its one error path and the decorator every command uses.

Each command parses its options, calls the library, and renders. Every failure a user can cause
ends the same way (``docs/errors.md``): one line ``evgrid: error: WHAT: got VALUE; allowed: …``
on stderr, exit status 2, nothing at the output path. Ctrl-C, SIGTERM and SIGHUP end quietly
with 130, 143 and 129, after the atomic writers have removed their temporary files.
"""

from __future__ import annotations

import functools
import inspect
import os
import signal
import sys
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from typer.core import TyperGroup

from evgrid.errors import EvgridError


def _exception(name: str) -> type[BaseException]:
    """A click exception class as typer uses it (typer may vendor its own click)."""
    for cls in typer.BadParameter.__mro__:
        found = getattr(sys.modules[cls.__module__], name, None)
        if isinstance(found, type) and issubclass(found, BaseException):
            return found
    return type(name, (Exception,), {})  # an older click without it: never raised


UsageError = _exception("UsageError")
NoArgsIsHelpError = _exception("NoArgsIsHelpError")


class _Group(TyperGroup):
    """The app's command group: every way a run can end goes through :meth:`main`."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        for stream in (sys.stdout, sys.stderr):  # PYTHONIOENCODING=ascii: '?' for 中文, no crash
            reconfigure = getattr(stream, "reconfigure", None)
            if reconfigure is not None:
                reconfigure(errors="replace")
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
)

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

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            # warnings (a flagged session row) are shown after a run that succeeds; a run that
            # fails shows its one error line only
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("default")
                try:
                    result = fn(*args, **kwargs)
                except EvgridError as exc:
                    fail(str(exc), options)
                except BrokenPipeError:
                    raise  # the reader of stdout left (`| head`): end quietly in _Group.main
                except OSError as exc:
                    where = exc.filename if exc.filename is not None else "file"
                    fail(f"{where}: {exc.strerror or exc}")
                except MemoryError:
                    fail("out of memory; try fewer days, sessions or vehicles")
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
