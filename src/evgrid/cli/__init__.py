"""Command-line interface: ``evgrid COMMAND ...``.

Commands live one module per job and register themselves on :data:`evgrid.cli.app.app`.
"""

from __future__ import annotations

# Importing a command module registers its commands.
from evgrid.cli import commands as _commands  # noqa: F401
from evgrid.cli.app import app


def main() -> None:
    """Entry point of the ``evgrid`` console script."""
    app()


__all__ = ["app", "main"]
