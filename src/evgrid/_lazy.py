"""Lazy exports for package ``__init__`` modules: a name is imported on first use.

``import evgrid`` (or a subpackage) then costs only what it touches: the command line starts in a
fraction of a second, and ``evgrid.hosting`` imports the planning modules only when called.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(
    package: str, exports: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for a package whose names live in submodules.

    Parameters
    ----------
    package
        The package's ``__name__``.
    exports
        Exported name -> module that defines it.
    """

    def module_getattr(name: str) -> Any:
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(exports[name]), name)
        setattr(sys.modules[package], name, value)  # cache: later lookups skip this hook
        return value

    def module_dir() -> list[str]:
        return sorted({*vars(sys.modules[package]), *exports})

    return module_getattr, module_dir
