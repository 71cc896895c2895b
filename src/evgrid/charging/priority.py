"""Online priority charging under a site limit: earliest deadline first (EDF) and least laxity
first (LLF), as in ACN-Sim (Lee, Li & Low, ACM e-Energy 2019, "ACN-Data"; Lee et al.,
"Adaptive Charging Networks", 2021).

At each slot, in time order, the headroom ``limit - base`` is handed to the plugged-in sessions
in priority order, each up to its slot cap and remaining energy. The loop runs over slots (the
decision at slot ``t`` depends on what was delivered before it, so it is inherently sequential);
inside a slot everything is vectorised over sessions. Energy a session still lacks when it
leaves (or when the horizon ends) is unmet.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from evgrid.charging._windows import base_or_zero, check_limit, slot_caps_kwh, to_session_kw
from evgrid.charging.schedule import Schedule
from evgrid.charging.strategies import Strategy, register
from evgrid.sessions import Sessions
from evgrid.timegrid import FloatArray, TimeGrid

Rule = Literal["edf", "llf"]


def priority_kernel(
    caps_kwh: FloatArray,
    energy_kwh: FloatArray,
    headroom_kwh: FloatArray,
    key_fn: object,
) -> FloatArray:
    """Allocate slot headroom to sessions in priority order, slot by slot.

    Parameters
    ----------
    caps_kwh
        Most energy per session and slot ``(n_sessions, n_slots)`` [kWh].
    energy_kwh
        Energy asked by each session ``(n_sessions,)`` [kWh].
    headroom_kwh
        Energy available to charging in each slot ``(n_slots,)`` [kWh], may be ``inf``.
    key_fn
        ``key_fn(t, remaining_kwh) -> (n_sessions,)`` priority key (lowest served first).

    Returns
    -------
    numpy.ndarray
        Energy per session and slot ``(n_sessions, n_slots)`` [kWh].
    """
    remaining = energy_kwh.astype(np.float64).copy()
    alloc = np.zeros_like(caps_kwh)
    for t in range(caps_kwh.shape[1]):
        want = np.minimum(caps_kwh[:, t], remaining)
        active = np.flatnonzero(want > 0.0)
        if active.size == 0:
            continue
        room = headroom_kwh[t]
        if np.isinf(room) or want[active].sum() <= room:
            give = want[active]
        else:
            order = active[np.argsort(key_fn(t, remaining)[active], kind="stable")]  # type: ignore[operator]
            before = np.cumsum(want[order]) - want[order]
            give_sorted = np.clip(room - before, 0.0, want[order])
            give = np.empty(active.size)
            pos = np.searchsorted(active, order)
            give[pos] = give_sorted
        alloc[active, t] = give
        remaining[active] -= give
    return alloc


def _priority(
    rule: Rule,
    sessions: Sessions,
    grid: TimeGrid,
    base_kw: FloatArray | None,
    limit_kw: float | FloatArray | None,
    per_session: bool,
) -> Schedule:
    base = base_or_zero(base_kw, grid)
    if limit_kw is None:
        headroom = np.full(grid.n_slots, np.inf)
    else:
        if np.ndim(limit_kw) == 0:
            check_limit(float(limit_kw), base)
        headroom = grid.energy_kwh(np.maximum(np.asarray(limit_kw, dtype=np.float64) - base, 0.0))
        headroom = np.broadcast_to(headroom, (grid.n_slots,))
    caps = slot_caps_kwh(sessions, grid)
    departure = sessions.departure_h
    rate_kwh_per_h = np.maximum(sessions.max_power_kw, np.finfo(float).tiny)
    ends = grid.edges_h[1:]

    def key(t: int, remaining: FloatArray) -> FloatArray:
        if rule == "edf":
            return departure
        return (departure - ends[t]) - remaining / rate_kwh_per_h

    alloc = priority_kernel(caps, sessions.energy_kwh, headroom, key)
    return Schedule(
        grid=grid,
        charging_kw=alloc.sum(axis=0) / grid.slot_h,
        requested_kwh=sessions.energy_kwh.copy(),
        delivered_kwh=alloc.sum(axis=1),
        session_kw=to_session_kw(alloc, grid) if per_session else None,
    )


def edf(
    sessions: Sessions,
    grid: TimeGrid,
    base_kw: FloatArray | None = None,
    *,
    limit_kw: float | FloatArray | None = None,
    rng: object = None,
    per_session: bool = False,
) -> Schedule:
    """Earliest-deadline-first charging under a site limit on base + charging [kW].

    ``limit_kw`` may be one number or one value per slot ``(n_slots,)``; ``None`` means no limit
    (every session charges at full power from arrival). ``rng`` is unused.
    """
    del rng
    return _priority("edf", sessions, grid, base_kw, limit_kw, per_session)


def llf(
    sessions: Sessions,
    grid: TimeGrid,
    base_kw: FloatArray | None = None,
    *,
    limit_kw: float | FloatArray | None = None,
    rng: object = None,
    per_session: bool = False,
) -> Schedule:
    """Least-laxity-first charging under a site limit on base + charging [kW].

    Laxity at the end of slot ``t``: time left to departure minus the time needed at full
    power for the remaining energy [h]. Otherwise as :func:`edf`.
    """
    del rng
    return _priority("llf", sessions, grid, base_kw, limit_kw, per_session)


register(
    Strategy(
        name="edf",
        dense=True,
        run=edf,
        summary="earliest deadline first under a site limit (ACN-Sim)",
        uses_limit=True,
        needs_limit=True,
        order=4,
    )
)
register(
    Strategy(
        name="llf",
        dense=True,
        run=llf,
        summary="least laxity first under a site limit (ACN-Sim)",
        uses_limit=True,
        needs_limit=True,
        order=5,
    )
)
