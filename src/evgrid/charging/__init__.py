"""Charging strategies: one module each, one signature (see :mod:`evgrid.charging.schedule`).

The strategy registry and helpers are loaded on first use (``evgrid.charging.STRATEGIES``,
``get_strategy``, ``with_participation``, ``demand_response``) so that importing one strategy
module does not import them all.
"""

from __future__ import annotations

import importlib
from typing import Any

from evgrid.charging.schedule import Schedule

_LAZY = {
    "STRATEGIES": "evgrid.charging.strategies",
    "get_strategy": "evgrid.charging.strategies",
    "with_participation": "evgrid.charging.participation",
    "demand_response": "evgrid.charging.demand_response",
    "DemandResponseResult": "evgrid.charging.demand_response",
    "valley_filling": "evgrid.charging.valley",
    "lp_schedule": "evgrid.charging.lp",
    "edf": "evgrid.charging.priority",
    "llf": "evgrid.charging.priority",
    "tou": "evgrid.charging.tou",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'evgrid.charging' has no attribute {name!r}")


__all__ = ["Schedule", *_LAZY]
