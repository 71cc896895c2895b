"""Charging demand: behaviour statistics, vectorised session sampling, session files."""

from __future__ import annotations

from typing import TYPE_CHECKING

from evgrid._lazy import lazy_exports

_EXPORTS = {
    "Behaviour": "evgrid.demand.behaviour",
    "Binned": "evgrid.demand.distributions",
    "Discrete": "evgrid.demand.distributions",
    "read_distribution": "evgrid.demand.distributions",
    "sample_sessions": "evgrid.demand.sampling",
    "read_sessions": "evgrid.demand.io",
    "write_sessions": "evgrid.demand.io",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from evgrid.demand.behaviour import Behaviour
    from evgrid.demand.distributions import Binned, Discrete, read_distribution
    from evgrid.demand.io import read_sessions, write_sessions
    from evgrid.demand.sampling import sample_sessions

__all__ = list(_EXPORTS)
