"""The numba kernels without numba: one line naming the extra; every extra whose calculations run
on numba kernels only (the low-voltage network) brings numba."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import pytest

from evgrid.charging._jit import njit
from evgrid.errors import EvgridError

ROOT = Path(__file__).resolve().parents[2]


def test_a_kernel_without_numba_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    @njit(cache=False)
    def twice(x: float) -> float:
        return 2.0 * x

    monkeypatch.setitem(sys.modules, "numba", None)  # ``import numba`` raises ImportError
    with pytest.raises(EvgridError, match=r"not installed: pip install 'evgrid\[numba\]'"):
        twice(1.0)
    monkeypatch.undo()
    assert twice(1.5) == 3.0  # with numba back, the same kernel compiles and runs


def test_the_network_extra_brings_numba() -> None:
    """The network's sweep and nested-limit kernels have no C version: ``evgrid[network]`` alone
    must run them (it printed a ``ModuleNotFoundError`` traceback before)."""
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    assert any(dep.startswith("numba") for dep in extras["network"])
