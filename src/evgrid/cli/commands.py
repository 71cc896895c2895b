"""Import every command module so that its commands register on the app."""

from __future__ import annotations

import importlib

COMMAND_MODULES = (
    "evgrid.cli.reproduce",
    "evgrid.cli.hosting",
    "evgrid.cli.demand",
    "evgrid.cli.schedule",
)

for _name in COMMAND_MODULES:
    try:
        importlib.import_module(_name)
    except ModuleNotFoundError as exc:  # a command module not written yet
        if exc.name != _name:
            raise
