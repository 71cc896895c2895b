"""``python -m evgrid.service``: the service's commands until the main CLI registers them."""

from __future__ import annotations

import sys

import typer

from evgrid.errors import InputError
from evgrid.service.cli import register_cmd, service_cmd, simulate_cmd

app = typer.Typer(add_completion=False, help="evgrid live orderly-charging service.")
app.command("service")(service_cmd)
app.command("simulate-chargers")(simulate_cmd)
app.command("register-piles")(register_cmd)


def main() -> None:
    """Run the app; bad input prints one line and exits with status 2."""
    try:
        app(standalone_mode=False)
    except InputError as exc:
        typer.echo(f"evgrid: error: {exc}", err=True)
        sys.exit(2)
    except typer.Abort:
        sys.exit(1)
    except Exception as exc:  # usage errors of the command-line parser
        show = getattr(exc, "show", None)
        if show is None:
            raise
        show()
        sys.exit(int(getattr(exc, "exit_code", 2)))


if __name__ == "__main__":
    main()
