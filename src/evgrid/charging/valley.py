"""Optimal valley filling: the aggregate that minimises the sum of squares of base + charging.

The problem: sessions ``i`` with slot energy caps
``u[i, t] = max_power_kw * availability * slot`` [kWh] and energies ``e[i]`` [kWh]; find
``x[i, t]`` in ``[0, u[i, t]]`` with ``sum_t x[i, t] = e[i]`` minimising
``sum_t (base[t] * slot + sum_i x[i, t])**2``.

The aggregates ``y = sum_i x[i, :]`` that some feasible ``x`` produces form the *base polytope*
of the transportation polymatroid ``f(A) = sum_i min(e[i], sum_{t in A} u[i, t])`` (Fujishige,
*Submodular Functions and Optimization*, 2nd ed., 2005, section 3; the flow-polymatroid rank is the
max flow into the slot set ``A``). The optimum is therefore the minimum-norm point of
``B(f) + base``, which is also its lexicographically optimal base and so minimises the peak of
base + charging (Fujishige 2005, Theorem 9.1; Gan, Topcu & Low, IEEE Trans. Power Syst. 28(2),
2013, Theorem 1).

We compute it exactly with the Fujishige-Wolfe minimum-norm-point algorithm
(:mod:`evgrid.charging._minnorm`; Wolfe, Math. Programming 11, 1976; Chakrabarty, Jain & Kothari,
NeurIPS 2014). The ground set is the slots (96 a day), so every linear-minimisation step is
Edmonds' greedy algorithm over slots in ascending level. Sessions sharing a window
``(first slot, last slot)`` form a class whose filled energy depends only on how many of its
interior slots (and whether its two boundary slots) a prefix of the order holds, so the greedy
vertex is one table difference per class and window slot (:mod:`evgrid.charging._oracle`). The
oracle and the whole Wolfe iteration run compiled: a C extension built at install
(:mod:`evgrid.charging._valleyc`), or, where it was not built, the numba kernels (the ``numba``
extra), which give the same bits. The
solution is a convex combination of greedy vertices, and each greedy vertex comes with a
per-session schedule (each session fills its slots in that order up to its energy), so the same
weights give exact per-session schedules that respect every window, cap and energy.
"""

from __future__ import annotations

import numpy as np

from evgrid.charging._windows import base_or_zero, to_session_kw, window_slots
from evgrid.charging.schedule import Schedule
from evgrid.charging.strategies import Strategy, register
from evgrid.sessions import Sessions
from evgrid.timegrid import FloatArray, IntArray, TimeGrid


def _components(
    rows: IntArray, first: IntArray, last: IntArray, n_slots: int
) -> list[tuple[IntArray, int, int]]:
    """Independent sub-problems: sessions whose windows chain together, and their slot range.

    A slot boundary that no window spans splits the problem exactly: the sum of squares is
    separable over slots and no session can move energy across it. Slots outside every window
    carry no charging. Returns ``(rows of the component, first slot, end slot)`` triples.
    """
    if rows.size == 0:
        return []
    f, d = first[rows], last[rows]
    spans = np.zeros(n_slots + 1, dtype=np.int64)
    np.add.at(spans, f + 1, 1)
    np.add.at(spans, d + 1, -1)
    cuts = np.flatnonzero(np.cumsum(spans)[1:n_slots] == 0) + 1  # boundaries no window spans
    component = np.searchsorted(cuts, f, side="right")
    order = np.argsort(component, kind="stable")
    starts = np.flatnonzero(np.diff(component[order], prepend=-1))
    out = []
    for part in np.split(order, starts[1:]):
        members = rows[part]
        out.append((members, int(first[members].min()), int(last[members].max()) + 1))
    return out


def valley_filling(
    sessions: Sessions,
    grid: TimeGrid,
    base_kw: FloatArray | None = None,
    *,
    limit_kw: float | None = None,
    rng: object = None,
    per_session: bool = False,
) -> Schedule:
    """Optimal (minimum sum-of-squares, hence minimum-peak) coordinated charging.

    Parameters
    ----------
    sessions
        Charging sessions.
    grid
        Slot grid (linear horizon).
    base_kw
        Base load per slot ``(n_slots,)`` [kW]; ``None`` for zero.
    limit_kw
        Ignored: valley filling already gives the lowest possible peak of base + charging;
        compare ``schedule.total_kw(base).max()`` with the limit [kW].
    rng
        Unused (deterministic).
    per_session
        Also return the per-session power per slot (sparse) [kW].

    Returns
    -------
    Schedule
        Sessions that cannot take their energy within their window at full power get what
        they can; the rest is ``unmet_kwh``.

    Raises
    ------
    evgrid.charging._oracle.MissingKernelsError
        The C kernels were not built at install and numba is not installed (one line saying
        what to install).
    """
    del limit_kw, rng
    # the kernel modules load when valley filling runs, not at every start of the command line
    # (numba itself only when the C kernels are not built)
    from evgrid.charging._minnorm import min_norm_point
    from evgrid.charging._oracle import WindowClasses, session_schedules

    base = base_or_zero(base_kw, grid)
    first, last, frac_first, frac_last = window_slots(
        sessions.arrival_h, sessions.departure_h, grid
    )
    unit_kwh = np.maximum(sessions.max_power_kw, 0.0) * grid.slot_h
    interior = np.maximum(last - first - 1, 0)
    room_kwh = unit_kwh * (frac_first + frac_last + interior)
    energy = np.clip(np.minimum(sessions.energy_kwh, room_kwh), 0.0, None)
    charging_kwh = np.zeros(grid.n_slots)
    session_kwh = np.zeros((len(sessions), grid.n_slots)) if per_session else None
    rows = np.flatnonzero(energy > 0.0)
    for part, lo, hi in _components(rows, first, last, grid.n_slots):
        local = (first[part] - lo, last[part] - lo, frac_first[part], frac_last[part])
        classes = WindowClasses.build(*local, unit_kwh[part], energy[part], hi - lo)
        y, orders, weights = min_norm_point(classes, base[lo:hi] * grid.slot_h)
        charging_kwh[lo:hi] = np.maximum(y, 0.0)
        if session_kwh is not None:
            session_kwh[part, lo:hi] = session_schedules(
                orders, weights, *local, unit_kwh[part], energy[part]
            )
    session_kw = None if session_kwh is None else to_session_kw(session_kwh, grid)
    return Schedule(
        grid=grid,
        charging_kw=charging_kwh / grid.slot_h,
        requested_kwh=sessions.energy_kwh.copy(),
        delivered_kwh=energy,
        session_kw=session_kw,
    )


register(
    Strategy(
        name="valley-filling",
        run=valley_filling,
        summary="optimal coordinated charging: lowest peak, flattest load (the report's orderly)",
        minimises_peak=True,
        index_mode="orderly",
        aliases=("orderly",),
        order=2,
    )
)
