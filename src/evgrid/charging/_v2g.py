"""Kernels of bidirectional (V2G) valley filling: one car's exact best response, and the fleet.

The fleet problem (:mod:`evgrid.charging.v2g`): each session ``i`` has a net power ``n[i, t]``
[kW] in ``[-D_i a[i, t], P_i a[i, t]]`` (``a`` the plugged-in share of the slot), its battery
gains ``slot_h * eta_c * n`` when it charges and ``slot_h * n / eta_d`` (a loss) when it
discharges, and by departure it has gained at least ``R_i`` [kWh]; with state-of-charge bounds
its cumulative gain never falls below ``L_i`` (<= 0: the energy it may give before it is back at
its arrival energy). The aggregator minimises

    J = sum_t slot_h * (kappa / 2 * y_t**2 + w * G_t),   y = base + sum_i n[i, :],

with ``G_t`` the discharged power and ``w`` the battery-wear cost [yuan/kWh].

**One car, given the others' load ``o``** (this module's :func:`best_response`): the slots are
coupled only through the battery. Let ``lam`` >= 0 be the marginal value of a kWh in the battery
(the Lagrange multiplier of the energy constraint). A slot's cheapest response to ``lam`` is, in
closed form,

    charge     n = clip(lam * eta_c / kappa - o, 0, P a)         (while the level is below it)
    discharge  n = -clip(o - (w + lam / eta_d) / kappa, 0, D a)  (while the level is above it)

so its battery change ``b_t(lam)`` is a nondecreasing piecewise-linear function with four
breakpoints. Without state-of-charge bounds, ``sum_t b_t(lam) = R`` is solved for the one
parameter ``lam`` (a water-filling: the car fills the others' valley up to the level
``lam eta_c / kappa`` and shaves their peak down to ``(w + lam / eta_d) / kappa``). With a lower
bound on the cumulative gain the problem is a separable convex resource allocation with nested
(prefix) constraints; it is solved exactly by dynamic programming over the slots on the
functions' inverse derivatives: the inverse derivative of an infimal convolution is the sum of
the inverse derivatives, and a lower bound clips it (``B_t(lam) = max(B_{t-1}(lam) + b_t(lam),
L)``), so every stage is a piecewise-linear function of ``lam`` whose breakpoints are the slots'
own and one per clip; the optimum is read back from the last stage. (Resource allocation with
nested constraints: Vidal, Gribel & Jaillet, *Separable convex optimization with nested lower and
upper constraints*, INFORMS J. Optimization 1(1), 2019; Schoot Uiterkamp, Gerards & Hurink, *On a
reduction for a class of resource allocation problems*, INFORMS J. Computing 34(3), 2022.)
``lam >= 0`` throughout (every multiplier of a lower bound is >= 0), so charging and discharging
in the same slot never pays (it would burn ``1/eta_d - eta_c`` of battery energy per kWh and
``w`` of wear for nothing).

**The fleet**: block-coordinate descent over the cars, each car's exact best response to the
others in turn (Gauss-Seidel, the "profile steering" of Gerards, Hoogsteen and Hurink), started
from valley filling without discharge (feasible) and stopped when a whole sweep moves no slot's
total load by more than ``tol`` times the largest total (the objective alone is a poor test: near
the optimum it changes with the square of the distance). The objective is convex and
differentiable and the cars' constraint sets are independent, so every limit point is the
optimum (Grippo & Sciandrone, *Operations Research Letters* 26(3), 2000, for pseudoconvex
objectives); the tests compare it with the HiGHS QP on random instances.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from evgrid.timegrid import FloatArray

LAMBDA_PAD = 1.0
"""Margin above the largest breakpoint where every slot of a car is saturated [yuan/kWh]."""


@dataclass(frozen=True)
class CarModel:
    """The parameters shared by every car of a V2G run.

    Parameters
    ----------
    slot_h
        Slot length [h].
    kappa
        Price of the level: the marginal cost of a kWh rises this much per kW of total load
        [yuan/kWh per kW] (> 0).
    wear
        Battery-wear cost per kWh discharged at the grid side [yuan/kWh] (>= 0).
    eta_c, eta_d
        Charging (grid to battery) and discharging (battery to grid) efficiency [-] in (0, 1].
    """

    slot_h: float
    kappa: float
    wear: float
    eta_c: float
    eta_d: float


def slot_gain(
    lam: npt.ArrayLike, o: FloatArray, cmax: FloatArray, gmax: FloatArray, m: CarModel
) -> FloatArray:
    """Battery gain of each slot at battery prices ``lam`` [kWh], ``(..., n_slots)``.

    Parameters
    ----------
    lam
        Battery energy prices, any shape broadcasting against ``(n_slots,)`` (use ``lam[:, None]``
        for many) [yuan/kWh], >= 0.
    o
        The others' level (base + other cars) in each slot ``(n_slots,)`` [kW].
    cmax, gmax
        The car's charge and discharge limits in each slot ``(n_slots,)`` [kW].
    m
        The shared parameters.
    """
    lam = np.asarray(lam, dtype=np.float64)
    charge = np.clip(lam * (m.eta_c / m.kappa) - o, 0.0, cmax)
    give = np.clip(o - (m.wear + lam / m.eta_d) / m.kappa, 0.0, gmax)
    return m.slot_h * (m.eta_c * charge - give / m.eta_d)


def net_power(gain_kwh: FloatArray, m: CarModel) -> FloatArray:
    """Net grid power [kW] that gives a battery gain ``gain_kwh`` [kWh] in a slot."""
    return np.where(gain_kwh >= 0, gain_kwh / (m.slot_h * m.eta_c), gain_kwh * m.eta_d / m.slot_h)


def breakpoints(o: FloatArray, cmax: FloatArray, gmax: FloatArray, m: CarModel) -> FloatArray:
    """Prices where a slot's gain changes slope, with 0 and a saturated top, sorted [yuan/kWh]."""
    k = m.kappa
    points = np.concatenate(
        [
            k * o / m.eta_c,
            k * (o + cmax) / m.eta_c,
            m.eta_d * (k * (o - gmax) - m.wear),
            m.eta_d * (k * o - m.wear),
        ]
    )
    points = points[points > 0.0]
    top = float(points.max()) if points.size else 0.0
    return np.unique(np.concatenate([[0.0], points, [top + LAMBDA_PAD]]))


def _solve_linear(grid: FloatArray, values: FloatArray, target: float) -> float:
    """The smallest ``lam`` on a nondecreasing piecewise-linear function with ``f(lam) = target``
    (the ends when the target is outside its range)."""
    if target <= values[0]:
        return float(grid[0])
    if target >= values[-1]:
        return float(grid[-1])
    k = int(np.searchsorted(values, target, side="left"))
    lo, hi = values[k - 1], values[k]
    frac = 0.0 if hi <= lo else (target - lo) / (hi - lo)
    return float(grid[k - 1] + frac * (grid[k] - grid[k - 1]))


def best_response(
    o: FloatArray,
    cmax: FloatArray,
    gmax: FloatArray,
    need_kwh: float,
    floor_kwh: float | None,
    m: CarModel,
) -> FloatArray:
    """One car's exact best response to the others' level: its net power per slot [kW].

    Parameters
    ----------
    o
        The others' level (base + the other cars) over the car's window ``(n,)`` [kW].
    cmax, gmax
        Its charge and discharge limits per slot ``(n,)`` [kW].
    need_kwh
        Battery energy it must have gained by departure [kWh] (at most what full charging in
        every slot gives).
    floor_kwh
        Lowest cumulative gain allowed at any time [kWh] (<= 0), or None for no bound.
    m
        The shared parameters.
    """
    grid = breakpoints(o, cmax, gmax, m)
    gains = slot_gain(grid[:, None], o, cmax, gmax, m)  # (K, n)
    total = gains.sum(axis=1)
    lam = 0.0 if total[0] >= need_kwh else _solve_linear(grid, total, need_kwh)
    gain = slot_gain(lam, o, cmax, gmax, m)
    if floor_kwh is None or np.cumsum(gain).min(initial=0.0) >= floor_kwh - 1e-12:
        return net_power(gain, m)
    return net_power(_nested(grid, o, cmax, gmax, need_kwh, floor_kwh, m), m)


def _nested(
    grid0: FloatArray,
    o: FloatArray,
    cmax: FloatArray,
    gmax: FloatArray,
    need_kwh: float,
    floor_kwh: float,
    m: CarModel,
) -> FloatArray:
    """Exact best response with the lower bound ``floor_kwh`` on every prefix of the battery
    gain: dynamic programming on the inverse derivatives (module docstring). Returns the gain
    per slot [kWh]."""
    n = o.size
    grid = grid0
    prev = np.zeros(grid.size)  # B_0(lam) = 0
    stages: list[tuple[FloatArray, FloatArray]] = []  # (grid_t, W_t on grid_t)
    for t in range(n):
        w = prev + slot_gain(grid, o[t], cmax[t], gmax[t], m)
        stages.append((grid, w))
        below = w < floor_kwh
        if below.any() and not below.all():
            k = int(np.flatnonzero(~below)[0])  # first value >= floor (w nondecreasing)
            lo, hi = w[k - 1], w[k]
            frac = (floor_kwh - lo) / (hi - lo) if hi > lo else 1.0
            cross = grid[k - 1] + frac * (grid[k] - grid[k - 1])
            if grid[k - 1] < cross < grid[k]:
                grid = np.insert(grid, k, cross)
                w = np.insert(w, k, floor_kwh)
        prev = np.maximum(w, floor_kwh)
    level = float(prev[0]) if prev[0] >= need_kwh else need_kwh
    gain = np.empty(n)
    for t in range(n - 1, -1, -1):
        g_t, w_t = stages[t]
        lam = _solve_linear(g_t, w_t, level)
        gain[t] = float(slot_gain(lam, o[t], cmax[t], gmax[t], m))
        level -= gain[t]
        level = max(level, floor_kwh)
    return gain


def objective_yuan(y_kw: FloatArray, discharge_kw: FloatArray, m: CarModel) -> float:
    """``J = sum_t slot_h * (kappa / 2 * y_t**2 + w * G_t)`` [yuan]."""
    return float(m.slot_h * (0.5 * m.kappa * np.dot(y_kw, y_kw) + m.wear * discharge_kw.sum()))


@dataclass(frozen=True, eq=False)
class FleetSolution:
    """What :func:`solve_fleet` returns.

    Parameters
    ----------
    net_kw
        Net power of each session over its window, a list of ``(n_i,)`` arrays [kW].
    total_kw
        Base + net charging per slot ``(n_slots,)`` [kW].
    objective_yuan
        ``J`` at the solution [yuan].
    sweeps
        Gauss-Seidel sweeps over the cars [-].
    converged
        Whether the last sweep moved the total load by less than the tolerance.
    """

    net_kw: list[FloatArray]
    total_kw: FloatArray
    objective_yuan: float
    sweeps: int
    converged: bool


def solve_fleet(
    base_kw: FloatArray,
    first: npt.NDArray[np.int64],
    cmax: list[FloatArray],
    gmax: list[FloatArray],
    need_kwh: FloatArray,
    floor_kwh: FloatArray | None,
    start_kw: list[FloatArray],
    m: CarModel,
    *,
    tol: float,
    max_sweeps: int,
) -> FleetSolution:
    """Gauss-Seidel over the cars, each its exact best response (module docstring).

    Parameters
    ----------
    base_kw
        Base load per slot ``(n_slots,)`` [kW].
    first
        First slot of each session's window ``(n_sessions,)``.
    cmax, gmax
        Each session's charge and discharge limits over its window [kW].
    need_kwh, floor_kwh
        Each session's battery energy needed by departure, and its lowest cumulative gain (or
        None for no state-of-charge bound) ``(n_sessions,)`` [kWh].
    start_kw
        A feasible start: each session's net power over its window [kW].
    m
        Shared parameters.
    tol
        Stop when a sweep moves no slot's total by more than ``tol`` times the largest total [-].
    max_sweeps
        Most sweeps [-].
    """
    net = [np.array(s, dtype=np.float64) for s in start_kw]
    y = np.array(base_kw, dtype=np.float64)
    for i, part in enumerate(net):
        y[first[i] : first[i] + part.size] += part
    discharge = np.zeros_like(y)
    for i, part in enumerate(net):
        discharge[first[i] : first[i] + part.size] += np.maximum(-part, 0.0)
    current = objective_yuan(y, discharge, m)
    sweeps = 0
    converged = len(net) == 0
    while not converged and sweeps < max_sweeps:
        sweeps += 1
        before = y.copy()
        for i, part in enumerate(net):
            lo, hi = int(first[i]), int(first[i]) + part.size
            others = y[lo:hi] - part
            floor = None if floor_kwh is None else float(floor_kwh[i])
            new = best_response(others, cmax[i], gmax[i], float(need_kwh[i]), floor, m)
            y[lo:hi] = others + new
            discharge[lo:hi] += np.maximum(-new, 0.0) - np.maximum(-part, 0.0)
            net[i] = new
        value = objective_yuan(y, np.maximum(discharge, 0.0), m)
        moved = float(np.max(np.abs(y - before), initial=0.0))
        converged = moved <= tol * max(float(np.max(np.abs(y), initial=0.0)), 1e-300)
        current = value
    return FleetSolution(net, y, current, sweeps, converged)
