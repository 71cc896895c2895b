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
from typing import TYPE_CHECKING

import numpy as np

from evgrid.timegrid import FloatArray, TimeGrid

if TYPE_CHECKING:
    import scipy.sparse as sp


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
        return float(self.grid.energy_kwh(self.charging_kw).sum())

    def total_kw(self, base_kw: FloatArray | None) -> FloatArray:
        """Base + charging power per slot [kW]."""
        return self.charging_kw if base_kw is None else base_kw + self.charging_kw

    def summary(self, base_kw: FloatArray | None = None) -> dict[str, float]:
        """Peaks and energies: ``peak_kw``, ``total_peak_kw`` (with a base load),
        ``energy_requested_kwh``, ``energy_delivered_kwh``, ``unmet_kwh`` [kW, kWh]."""
        out = {"peak_kw": self.peak_kw}
        if base_kw is not None:
            out["total_peak_kw"] = float(self.total_kw(base_kw).max())
        out["energy_requested_kwh"] = float(self.requested_kwh.sum())
        out["energy_delivered_kwh"] = float(self.delivered_kwh.sum())
        out["unmet_kwh"] = float(self.unmet_kwh.sum())
        return out

    def columns(
        self, base_kw: FloatArray | None = None, *, typical_day: bool = False
    ) -> dict[str, FloatArray]:
        """The load per slot as named columns [-, h, kW].

        ``slot``, ``start_h``, then ``base_kw``, ``charging_kw`` and ``total_kw`` with a base
        load, else ``hour_of_day`` and ``charging_kw``. With ``typical_day`` the loads are the
        mean day over the horizon (one day of slots).
        """
        grid = self.grid
        n = grid.slots_per_day if typical_day else grid.n_slots

        def per_slot(values: FloatArray) -> FloatArray:
            return grid.fold_mean(values) if typical_day else np.asarray(values, dtype=np.float64)

        out: dict[str, FloatArray] = {
            "slot": np.arange(n, dtype=np.float64),
            "start_h": grid.starts_h[:n],
        }
        if base_kw is None:
            out["hour_of_day"] = grid.hour_of_day()[:n]
            out["charging_kw"] = per_slot(self.charging_kw)
        else:
            out["base_kw"] = per_slot(base_kw)
            out["charging_kw"] = per_slot(self.charging_kw)
            out["total_kw"] = per_slot(self.total_kw(base_kw))
        return out
