"""Optimal valley filling: the aggregate that minimises the sum of squares of base + charging.

The problem: sessions ``i`` with slot energy caps ``u[i, t] = max_power_kw * availability * slot``
[kWh] and energies ``e[i]`` [kWh]; find ``x[i, t]`` in ``[0, u[i, t]]`` with ``sum_t x[i, t] = e[i]``
minimising ``sum_t (base[t] * slot + sum_i x[i, t])**2``.

The aggregates ``y = sum_i x[i, :]`` that some feasible ``x`` produces form the *base polytope*
of the transportation polymatroid ``f(A) = sum_i min(e[i], sum_{t in A} u[i, t])`` (Fujishige,
*Submodular Functions and Optimization*, 2nd ed., 2005, section 3; the flow-polymatroid rank is the
max flow into the slot set ``A``). The optimum is therefore the minimum-norm point of
``B(f) + base``, which is also its lexicographically optimal base and so minimises the peak of
base + charging (Fujishige 2005, Theorem 9.1; Gan, Topcu & Low, IEEE Trans. Power Syst. 28(2),
2013, Theorem 1).

We compute it exactly with the Fujishige-Wolfe minimum-norm-point algorithm (Wolfe, Math.
Programming 11, 1976; Chakrabarty, Jain & Kothari, NeurIPS 2014). The ground set is the slots
(96 a day), so every linear-minimisation step is Edmonds' greedy algorithm over slots in
ascending level, vectorised over sessions: a cumulative sum of the caps in that slot order, cut
at each session's energy. The solution is a convex combination of greedy vertices, and each
greedy vertex comes with a per-session schedule (each session fills its slots in that order up
to its energy), so the same weights give exact per-session schedules that respect every window,
cap and energy.
"""

from __future__ import annotations

import numpy as np

from evgrid.charging._windows import (
    base_or_zero,
    deliverable_kwh,
    slot_caps_kwh,
    to_session_kw,
)
from evgrid.charging.schedule import Schedule
from evgrid.demand.sessions import Sessions
from evgrid.timegrid import FloatArray, IntArray, TimeGrid

GAP_RTOL = 1e-13
"""Wolfe stopping rule: ``|x|^2 - <x, q>`` below this share of ``|x|^2`` [-] (round-off level)."""

MAX_MAJOR_ITER = 2000
"""Safety cap on Wolfe major cycles [-]; the algorithm terminates finitely well below it."""

_WEIGHT_EPS = 1e-15
"""Barycentric weight treated as zero when dropping corral points [-] (round-off level)."""


def _greedy(order: IntArray, caps: FloatArray, energy: FloatArray) -> FloatArray:
    """Greedy vertex of the base polytope for a slot order: aggregate per slot [kWh]."""
    cum = np.cumsum(caps[:, order], axis=1)
    filled = np.minimum(cum, energy[:, None]).sum(axis=0)
    vertex = np.empty(order.shape[0])
    vertex[order] = np.diff(filled, prepend=0.0)
    return vertex


def _greedy_sessions(order: IntArray, caps: FloatArray, energy: FloatArray) -> FloatArray:
    """Per-session energy per slot of the greedy vertex for a slot order ``(n, m)`` [kWh]."""
    ordered = caps[:, order]
    before = np.cumsum(ordered, axis=1) - ordered
    alloc = np.clip(energy[:, None] - before, 0.0, ordered)
    out = np.empty_like(alloc)
    out[:, order] = alloc
    return out


def _affine_minimiser(points: FloatArray) -> FloatArray:
    """Weights (summing to 1) of the min-norm point of the affine hull of ``points`` rows."""
    if points.shape[0] == 1:
        return np.ones(1)
    base = points[0]
    diffs = (points[1:] - base).T
    beta = np.linalg.lstsq(diffs, -base, rcond=None)[0]
    return np.concatenate(([1.0 - beta.sum()], beta))


def min_norm_point(
    caps: FloatArray, energy: FloatArray, shift: FloatArray
) -> tuple[FloatArray, list[IntArray], FloatArray]:
    """Minimum-norm point of ``B(f) + shift`` for the transportation polymatroid.

    Parameters
    ----------
    caps
        Energy caps per session and slot, ``(n_sessions, n_slots)`` [kWh].
    energy
        Energy of each session, ``(n_sessions,)``, each at most its row sum of ``caps`` [kWh].
    shift
        Base energy per slot, ``(n_slots,)`` [kWh].

    Returns
    -------
    tuple
        Aggregate ``y`` per slot ``(n_slots,)`` [kWh], the slot orders of the corral vertices, and
        their convex weights (``y = sum_k w_k greedy(order_k)``).
    """
    order = np.argsort(shift, kind="stable")
    points = [_greedy(order, caps, energy) + shift]
    orders = [order]
    weights = np.ones(1)
    x = points[0]
    for _ in range(MAX_MAJOR_ITER):
        order = np.argsort(x, kind="stable")
        q = _greedy(order, caps, energy) + shift
        xx = float(x @ x)
        if xx - float(x @ q) <= GAP_RTOL * max(xx, 1.0):
            break
        if any(np.array_equal(order, o) for o in orders):
            break
        points.append(q)
        orders.append(order)
        weights = np.append(weights, 0.0)
        while True:
            alpha = _affine_minimiser(np.asarray(points))
            if np.all(alpha > _WEIGHT_EPS):
                weights = alpha
                break
            neg = alpha <= _WEIGHT_EPS
            theta = float(np.min(weights[neg] / (weights[neg] - alpha[neg])))
            weights = theta * alpha + (1.0 - theta) * weights
            keep = weights > _WEIGHT_EPS
            points = [p for p, k in zip(points, keep, strict=True) if k]
            orders = [o for o, k in zip(orders, keep, strict=True) if k]
            weights = weights[keep] / weights[keep].sum()
        x = weights @ np.asarray(points)
    return x - shift, orders, weights


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
    """
    del limit_kw, rng
    base = base_or_zero(base_kw, grid)
    caps_all = slot_caps_kwh(sessions, grid)
    energy_all = deliverable_kwh(caps_all, sessions.energy_kwh)
    charging_kwh = np.zeros(grid.n_slots)
    rows = np.flatnonzero(energy_all > 0.0)
    cols = np.flatnonzero(caps_all[rows].any(axis=0)) if rows.size else rows
    session_kwh = np.zeros_like(caps_all) if per_session else None
    if rows.size:
        caps = caps_all[np.ix_(rows, cols)]
        energy = energy_all[rows]
        y, orders, weights = min_norm_point(caps, energy, base[cols] * grid.slot_h)
        charging_kwh[cols] = np.maximum(y, 0.0)
        if session_kwh is not None:
            part = sum(
                (w * _greedy_sessions(o, caps, energy) for o, w in zip(orders, weights, strict=True)),
                start=np.zeros_like(caps),
            )
            session_kwh[np.ix_(rows, cols)] = part
    return Schedule(
        grid=grid,
        charging_kw=charging_kwh / grid.slot_h,
        requested_kwh=sessions.energy_kwh.copy(),
        delivered_kwh=energy_all,
        session_kw=None if session_kwh is None else to_session_kw(session_kwh, grid),
    )
