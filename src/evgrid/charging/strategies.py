"""Registry of charging strategies by name (the names the CLI and scenarios use)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from evgrid.charging.lp import lp_schedule
from evgrid.charging.priority import edf, llf
from evgrid.charging.schedule import Schedule
from evgrid.charging.tou import tou
from evgrid.charging.uncontrolled import uncontrolled
from evgrid.charging.valley import valley_filling
from evgrid.errors import bad_value

Strategy = Callable[..., Schedule]

STRATEGIES: dict[str, Strategy] = {
    "uncontrolled": uncontrolled,
    "tou": tou,
    "valley-filling": valley_filling,
    "lp": lp_schedule,
    "edf": edf,
    "llf": llf,
}
"""Every strategy has the signature of :mod:`evgrid.charging.schedule`."""


def get_strategy(name: str) -> Strategy:
    """The strategy called ``name``; :class:`~evgrid.errors.InputError` if there is none."""
    try:
        return STRATEGIES[name]
    except KeyError:
        raise bad_value("strategy", name, "one of " + ", ".join(STRATEGIES)) from None


def run_strategy(name: str, *args: Any, **kwargs: Any) -> Schedule:
    """Look up ``name`` and call it with the common strategy arguments."""
    return get_strategy(name)(*args, **kwargs)
