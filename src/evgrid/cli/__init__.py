"""Command-line interface: ``evgrid COMMAND ...``.

Commands live one module per job (:data:`evgrid.cli.app.COMMANDS`) and register themselves on
:data:`evgrid.cli.app.app` when first run; each builds its job's request from its options
(generated from the request, :mod:`evgrid.cli.generate`), runs it and renders the answer (tables,
the JSON envelope, the HTML report).
"""

from __future__ import annotations

from evgrid.cli.app import app, main

__all__ = ["app", "main"]
