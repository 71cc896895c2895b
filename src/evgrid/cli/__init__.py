"""Command-line interface: ``evgrid COMMAND ...``.

Commands live one module per job and register themselves on :data:`evgrid.cli.app.app`; each
parses its options, calls the library and renders (tables, JSON, the HTML report).
"""

from __future__ import annotations

# Importing a command module registers its commands.
from evgrid.cli import commands as _commands
from evgrid.cli.app import app, main

__all__ = ["app", "main"]
