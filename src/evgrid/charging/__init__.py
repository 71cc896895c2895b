"""Charging strategies, one module each, registered with their properties
(:mod:`evgrid.charging.strategies`); :func:`schedule` runs one by name."""

from __future__ import annotations

from typing import TYPE_CHECKING

from evgrid._lazy import lazy_exports

_EXPORTS = {
    "Schedule": "evgrid.charging.schedule",
    "Strategy": "evgrid.charging.strategies",
    "all_strategies": "evgrid.charging.strategies",
    "get_strategy": "evgrid.charging.strategies",
    "schedule": "evgrid.charging.strategies",
    "strategy_names": "evgrid.charging.strategies",
    "with_participation": "evgrid.charging.participation",
    "demand_response": "evgrid.charging.demand_response",
    "DemandResponseResult": "evgrid.charging.demand_response",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from evgrid.charging.demand_response import DemandResponseResult, demand_response
    from evgrid.charging.participation import with_participation
    from evgrid.charging.schedule import Schedule
    from evgrid.charging.strategies import (
        Strategy,
        all_strategies,
        get_strategy,
        schedule,
        strategy_names,
    )

__all__ = list(_EXPORTS)
