"""`Schedule`: what every charging strategy returns.

Every strategy has the signature::

    strategy(sessions, grid, base_kw=None, *, limit_kw=None, rng=None, **options) -> Schedule

with ``sessions`` a :class:`~evgrid.demand.Sessions`, ``grid`` a
:class:`~evgrid.timegrid.TimeGrid` (a linear horizon: time outside ``[0, grid.horizon_h)`` is not
available for charging), ``base_kw`` the base load per slot ``(n_slots,)`` [kW] and ``limit_kw``
an optional site limit on base + charging [kW].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from evgrid.timegrid import FloatArray, TimeGrid


@dataclass(frozen=True, eq=False)
class Schedule:
    """A charging schedule on a time grid.

    Parameters
    ----------
    grid
        The slot grid.
    charging_kw
        Aggregate charging power per slot, shape ``(n_slots,)`` [kW].
    requested_kwh
        Energy each session asked for, shape ``(n_sessions,)`` [kWh].
    delivered_kwh
        Energy each session received, shape ``(n_sessions,)`` [kWh].
    session_kw
        Optional per-session mean power per slot, sparse ``(n_sessions, n_slots)`` [kW].
    """

    grid: TimeGrid
    charging_kw: FloatArray
    requested_kwh: FloatArray
    delivered_kwh: FloatArray
    session_kw: sp.csr_array | None = None

    @property
    def unmet_kwh(self) -> FloatArray:
        """Energy each session did not get, shape ``(n_sessions,)`` [kWh], >= 0."""
        return np.maximum(self.requested_kwh - self.delivered_kwh, 0.0)

    @property
    def peak_kw(self) -> float:
        """Peak aggregate charging power [kW]."""
        return float(self.charging_kw.max()) if self.charging_kw.size else 0.0

    @property
    def energy_kwh(self) -> float:
        """Energy delivered over the horizon, from the aggregate [kWh]."""
        return float(self.charging_kw.sum() * self.grid.slot_h)

    def total_kw(self, base_kw: FloatArray | None) -> FloatArray:
        """Base + charging power per slot [kW]."""
        return self.charging_kw if base_kw is None else base_kw + self.charging_kw
