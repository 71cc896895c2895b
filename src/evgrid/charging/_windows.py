"""Session windows on a slot grid: per-slot availability fractions and energy caps.

Shared by the coordinated strategies. A session plugged in over ``[arrival_h, departure_h)``
is available in slot ``t = [t0, t1)`` for the fraction ``|[arrival, departure) ∩ [t0, t1)| / slot``
of it; time outside the linear horizon ``[0, grid.horizon_h)`` is not available.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from evgrid.errors import bad_value
from evgrid.sessions import Sessions
from evgrid.timegrid import FloatArray, IntArray, TimeGrid

if TYPE_CHECKING:
    import scipy.sparse as sp

_ENERGY_ATOL_KWH = 1e-9
"""Energy below which a remainder counts as zero [kWh] (floating-point noise, not a model value)."""


def availability(sessions: Sessions, grid: TimeGrid) -> FloatArray:
    """Fraction of each slot that each session is plugged in, shape ``(n_sessions, n_slots)`` [-].

    Parameters
    ----------
    sessions
        The sessions.
    grid
        The slot grid (linear horizon).
    """
    edges = grid.edges_h
    lo = np.maximum(sessions.arrival_h[:, None], edges[None, :-1])
    hi = np.minimum(sessions.departure_h[:, None], edges[None, 1:])
    return np.clip(hi - lo, 0.0, None) / grid.slot_h


def slot_caps_kwh(sessions: Sessions, grid: TimeGrid) -> FloatArray:
    """Most energy each session can take in each slot, ``(n_sessions, n_slots)`` [kWh]."""
    return availability(sessions, grid) * grid.energy_kwh(sessions.max_power_kw)[:, None]


def deliverable_kwh(caps_kwh: FloatArray, requested_kwh: FloatArray) -> FloatArray:
    """Energy each session can actually receive: ``min(request, sum of its slot caps)`` [kWh]."""
    return np.minimum(requested_kwh, caps_kwh.sum(axis=1))


def base_or_zero(base_kw: FloatArray | None, grid: TimeGrid) -> FloatArray:
    """Validate a base-load curve ``(n_slots,)`` [kW]; ``None`` means no base load."""
    if base_kw is None:
        return np.zeros(grid.n_slots)
    from evgrid.checks import floats

    base = floats(base_kw, "base_kw", "finite numbers [kW]", ndim=None, finite=False)
    if base.shape != (grid.n_slots,):
        raise bad_value("base_kw length", base.shape, f"({grid.n_slots},) one value per slot [kW]")
    if not np.all(np.isfinite(base)):
        raise bad_value("base_kw", "NaN or inf", "finite values [kW]")
    return base


def to_session_kw(energy_kwh: FloatArray, grid: TimeGrid) -> sp.csr_array:
    """Per-session energy per slot ``(n_sessions, n_slots)`` [kWh] -> sparse mean power [kW]."""
    import scipy.sparse as sp

    return sp.csr_array(energy_kwh / grid.slot_h)


def check_limit(limit_kw: float | FloatArray | None, base_kw: FloatArray) -> None:
    """Reject a site limit, one number or one per slot, that is not a finite positive power or
    not above the base load in any slot (InputError)."""
    if limit_kw is None:
        return
    from evgrid.checks import floats

    limit = floats(limit_kw, "limit_kw", "finite numbers > 0 [kW]", ndim=None, finite=False)
    if limit.ndim and limit.shape != base_kw.shape:
        raise bad_value("limit_kw", limit.shape, f"a number or {base_kw.size} values [kW]")
    if not np.all(np.isfinite(limit)) or np.any(limit <= 0):
        shown = limit_kw if limit.ndim == 0 else f"{limit.min():.6g}..{limit.max():.6g}"
        raise bad_value("limit_kw", shown, "finite numbers > 0 [kW]")
    if base_kw.size and np.all(base_kw >= limit):
        raise bad_value(
            "limit_kw",
            limit_kw if limit.ndim == 0 else f"{limit.min():.6g}..{limit.max():.6g}",
            f"a limit above the base load in at least one slot (base min {base_kw.min():.6g} kW)",
        )


def window_slots(
    arrival_h: FloatArray, departure_h: FloatArray, grid: TimeGrid
) -> tuple[IntArray, IntArray, FloatArray, FloatArray]:
    """First and last slot of each window and the plugged-in fraction of those two slots.

    Parameters
    ----------
    arrival_h, departure_h
        Plug-in and plug-out times on the linear horizon, ``(n_sessions,)`` [h]; clipped to it.
    grid
        The slot grid.

    Returns
    -------
    tuple
        ``first``, ``last`` slot indices ``(n_sessions,)`` [-] (``last >= first``) and the
        availability fractions of the first and the last slot [-] (the last is 0 for a one-slot
        window, whose only fraction is the first).
    """
    slot_h = grid.slot_h
    arr = np.clip(arrival_h, 0.0, grid.horizon_h)
    dep = np.maximum(np.clip(departure_h, 0.0, grid.horizon_h), arr)
    first = np.minimum(np.floor(arr / slot_h).astype(np.int64), grid.n_slots - 1)
    last = np.maximum(np.ceil(dep / slot_h).astype(np.int64) - 1, first)
    frac_first = (np.minimum(dep, (first + 1) * slot_h) - arr) / slot_h
    frac_last = np.where(last > first, (dep - last * slot_h) / slot_h, 0.0)
    return first, last, np.clip(frac_first, 0.0, 1.0), np.clip(frac_last, 0.0, 1.0)
