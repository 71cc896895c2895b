"""The typer application and the decorator every command uses.

Each command is a thin call into one public function. A bad input raises
:class:`~evgrid.errors.InputError`; :func:`command` turns it into one line on stderr and exit
status 2, with no traceback.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

import typer

from evgrid.errors import InfeasibleError, InputError

app = typer.Typer(
    name="evgrid",
    help="How many EV charging piles can a transformer host? Planning for distribution grids.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

F = TypeVar("F", bound=Callable[..., Any])


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    """Warnings as one plain line on stderr (no source line), e.g. a flagged session row."""
    typer.echo(f"evgrid: warning: {message}", err=True)


@app.callback()
def _setup() -> None:
    """How many EV charging piles can a transformer host? Planning for distribution grids."""
    warnings.showwarning = _show_warning


EXIT_BAD_INPUT = 2


def command(name: str | None = None) -> Callable[[F], F]:
    """Register ``fn`` as a CLI command that reports bad input as one line and exit 2."""

    def register(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except (InputError, InfeasibleError) as exc:
                typer.echo(f"evgrid: error: {exc}", err=True)
                raise typer.Exit(EXIT_BAD_INPUT) from None

        app.command(name)(wrapper)
        return fn

    return register
