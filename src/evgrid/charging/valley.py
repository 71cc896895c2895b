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

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from evgrid.charging._windows import base_or_zero, slot_caps_kwh, to_session_kw
from evgrid.charging.schedule import Schedule
from evgrid.demand.sessions import Sessions
from evgrid.timegrid import FloatArray, IntArray, TimeGrid

GAP_RTOL = 1e-13
"""Wolfe stopping rule: ``|x|^2 - <x, q>`` below this share of ``|x|^2`` [-] (round-off level)."""

MAX_MAJOR_ITER = 2000
"""Safety cap on Wolfe major cycles [-]; the algorithm terminates finitely well below it."""

_WEIGHT_EPS = 1e-15
"""Barycentric weight treated as zero when dropping corral points [-] (round-off level)."""


@dataclass(frozen=True)
class _Classes:
    """Sessions grouped by window ``(first slot, last slot)`` for a fast greedy oracle.

    A session's window is one first slot (availability ``a``), ``m`` interior slots
    (availability 1) and one last slot (availability ``b``). Its energy on a slot set that holds
    ``n`` interior slots is ``min(e, p * slot * (n + a * [first in set] + b * [last in set]))``,
    so each class needs only the table ``phi[class, combo, n]`` of these sums, built once.
    """

    phi: FloatArray
    """Filled energy, flat over (class, 2*first + last, interior count) [kWh]."""
    code_t: npt.NDArray[np.int32]
    """Per slot and class ``(n_slots, n_classes)``: ``[interior] + width * (2*[first] + [last])``
    plus, in the first row, the class offset ``class * 4 * width``; a cumulative sum over slots
    in any order is then directly the flat index into ``phi``."""

    @staticmethod
    def build(
        first: IntArray,
        last: IntArray,
        frac_first: FloatArray,
        frac_last: FloatArray,
        unit_kwh: FloatArray,
        energy: FloatArray,
        n_slots: int,
    ) -> _Classes:
        key = first * n_slots + last
        keys, cls = np.unique(key, return_inverse=True)
        n_cls, width = keys.size, n_slots + 2
        s_c, d_c = keys // n_slots, keys % n_slots
        slots = np.arange(n_slots)
        interior = (slots > s_c[:, None]) & (slots < d_c[:, None])
        is_first = slots == s_c[:, None]
        is_last = (slots == d_c[:, None]) & (d_c > s_c)[:, None]
        slope = np.zeros(n_cls * 4 * width)
        icpt = np.zeros(n_cls * 4 * width)
        for combo in range(4):
            offset = frac_first * (combo >> 1) + frac_last * (combo & 1)
            # linear while unit * (n + offset) < energy, i.e. for n < n_star
            n_star = np.divide(energy, unit_kwh, out=np.zeros_like(energy), where=unit_kwh > 0)
            k = np.clip(np.ceil(n_star - offset), 0, n_slots + 1).astype(np.int64)
            row = (cls * 4 + combo) * width
            np.add.at(slope, row, unit_kwh)
            np.add.at(slope, row + k, -unit_kwh)
            np.add.at(icpt, row, unit_kwh * offset)
            np.add.at(icpt, row + k, energy - unit_kwh * offset)
        slope_n = np.cumsum(slope.reshape(-1, width), axis=1)
        icpt_n = np.cumsum(icpt.reshape(-1, width), axis=1)
        phi = (slope_n * np.arange(width) + icpt_n).reshape(-1)
        code = interior + width * (2 * is_first.astype(np.int64) + is_last)
        return _Classes(phi, np.ascontiguousarray(code.T, dtype=np.int32))

    def greedy(self, order: IntArray) -> FloatArray:
        """Greedy vertex for a slot order: aggregate energy per slot [kWh]."""
        n_cls = self.code_t.shape[1]
        width4 = self.phi.shape[0] // max(n_cls, 1)
        idx = np.cumsum(self.code_t[order], axis=0)
        idx += (np.arange(n_cls, dtype=np.int32) * width4)[None, :]
        filled = self.phi[idx].sum(axis=1)
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


class _Corral:
    """Wolfe's corral: vertices, their convex weights and the Gram matrix of their offsets.

    Offsets are taken from a fixed reference point ``ref`` (the first vertex) so that the Gram
    matrix is well scaled; it is updated one row at a time (matrix-vector products only).
    """

    def __init__(self, first: FloatArray, order: IntArray) -> None:
        self.ref = first
        self.offsets = np.zeros((1, first.shape[0]))  # p_j - ref, one row per vertex
        self.orders: list[IntArray] = [order]
        self.keys = {order.tobytes()}
        self.weights = np.ones(1)
        self.gram = np.zeros((1, 1))
        self.cross = np.zeros(1)  # <p_j - ref, ref>

    def __len__(self) -> int:
        return len(self.orders)

    def has(self, order: IntArray) -> bool:
        return order.tobytes() in self.keys

    def add(self, point: FloatArray, order: IntArray) -> None:
        d = point - self.ref
        row = self.offsets @ d
        k = len(self)
        gram = np.empty((k + 1, k + 1))
        gram[:k, :k] = self.gram
        gram[k, :k] = gram[:k, k] = row
        gram[k, k] = d @ d
        self.gram = gram
        self.cross = np.append(self.cross, d @ self.ref)
        self.offsets = np.vstack([self.offsets, d])
        self.orders.append(order)
        self.keys.add(order.tobytes())
        self.weights = np.append(self.weights, 0.0)

    def keep(self, mask: npt.NDArray[np.bool_]) -> None:
        for o, k in zip(self.orders, mask, strict=True):
            if not k:
                self.keys.discard(o.tobytes())
        self.orders = [o for o, k in zip(self.orders, mask, strict=True) if k]
        self.offsets = self.offsets[mask]
        self.gram = self.gram[np.ix_(mask, mask)]
        self.cross = self.cross[mask]
        self.weights = self.weights[mask] / self.weights[mask].sum()

    def affine_minimiser(self) -> FloatArray:
        """Weights (sum 1) of the min-norm point of the corral's affine hull."""
        k = len(self)
        if k == 1:
            return np.ones(1)
        kkt = np.zeros((k + 1, k + 1))
        kkt[:k, :k] = self.gram
        kkt[:k, k] = kkt[k, :k] = 1.0
        rhs = np.append(-self.cross, 1.0)
        try:
            sol = np.linalg.solve(kkt, rhs)
        except np.linalg.LinAlgError:
            sol = np.linalg.lstsq(kkt, rhs, rcond=None)[0]
        return np.asarray(sol[:k])

    def point(self) -> FloatArray:
        return np.asarray(self.ref + self.weights @ self.offsets)


def min_norm_point(
    oracle: Callable[[IntArray], FloatArray], shift: FloatArray
) -> tuple[FloatArray, list[IntArray], FloatArray]:
    """Minimum-norm point of ``B(f) + shift`` (Fujishige-Wolfe).

    Parameters
    ----------
    oracle
        Greedy vertex of ``B(f)`` for a slot order, ``(n_slots,)`` [kWh].
    shift
        Base energy per slot, ``(n_slots,)`` [kWh].

    Returns
    -------
    tuple
        Aggregate ``y`` per slot ``(n_slots,)`` [kWh], the slot orders of the corral vertices, and
        their convex weights (``y = sum_k w_k greedy(order_k)``).
    """
    order = np.argsort(shift, kind="stable")
    corral = _Corral(oracle(order) + shift, order)
    x = corral.ref
    for _ in range(MAX_MAJOR_ITER):
        order = np.argsort(x, kind="stable")
        q = oracle(order) + shift
        xx = float(x @ x)
        if xx - float(x @ q) <= GAP_RTOL * max(xx, 1.0):
            break
        if corral.has(order):  # no new vertex: stalled at round-off level
            break
        corral.add(q, order)
        while True:
            alpha = corral.affine_minimiser()
            if np.all(alpha > _WEIGHT_EPS):
                corral.weights = alpha
                break
            w = corral.weights
            neg = alpha <= _WEIGHT_EPS
            theta = float(np.min(w[neg] / (w[neg] - alpha[neg])))
            corral.weights = theta * alpha + (1.0 - theta) * w
            corral.keep(corral.weights > _WEIGHT_EPS)
        x = corral.point()
    else:
        warnings.warn(
            f"valley filling: minimum-norm point stopped after {MAX_MAJOR_ITER} iterations",
            RuntimeWarning,
            stacklevel=3,
        )
    return x - shift, corral.orders, corral.weights


def _windows(
    sessions: Sessions, grid: TimeGrid
) -> tuple[IntArray, IntArray, FloatArray, FloatArray]:
    """First and last slot of each window on the horizon and their availability fractions."""
    slot_h = grid.slot_h
    arr = np.clip(sessions.arrival_h, 0.0, grid.horizon_h)
    dep = np.clip(sessions.departure_h, 0.0, grid.horizon_h)
    dep = np.maximum(dep, arr)
    first = np.minimum(np.floor(arr / slot_h).astype(np.int64), grid.n_slots - 1)
    last = np.maximum(np.ceil(dep / slot_h).astype(np.int64) - 1, first)
    frac_first = (np.minimum(dep, (first + 1) * slot_h) - arr) / slot_h
    frac_last = np.where(last > first, (dep - last * slot_h) / slot_h, 0.0)
    return first, last, np.clip(frac_first, 0.0, 1.0), np.clip(frac_last, 0.0, 1.0)


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
    first, last, frac_first, frac_last = _windows(sessions, grid)
    unit_kwh = np.maximum(sessions.max_power_kw, 0.0) * grid.slot_h
    interior = np.maximum(last - first - 1, 0)
    room_kwh = unit_kwh * (frac_first + frac_last + interior)
    energy = np.clip(np.minimum(sessions.energy_kwh, room_kwh), 0.0, None)
    charging_kwh = np.zeros(grid.n_slots)
    session_kw = None
    rows = np.flatnonzero(energy > 0.0)
    if rows.size:
        classes = _Classes.build(
            first[rows],
            last[rows],
            frac_first[rows],
            frac_last[rows],
            unit_kwh[rows],
            energy[rows],
            grid.n_slots,
        )
        y, orders, weights = min_norm_point(classes.greedy, base * grid.slot_h)
        charging_kwh = np.maximum(y, 0.0)
        if per_session:
            caps = slot_caps_kwh(sessions.take(rows), grid)
            part = np.zeros_like(caps)
            for o, w in zip(orders, weights, strict=True):
                part += w * _greedy_sessions(o, caps, energy[rows])
            session_kwh = np.zeros((len(sessions), grid.n_slots))
            session_kwh[rows] = part
            session_kw = to_session_kw(session_kwh, grid)
    elif per_session:
        session_kw = to_session_kw(np.zeros((len(sessions), grid.n_slots)), grid)
    return Schedule(
        grid=grid,
        charging_kw=charging_kwh / grid.slot_h,
        requested_kwh=sessions.energy_kwh.copy(),
        delivered_kwh=energy,
        session_kw=session_kw,
    )
