"""V2G: bidirectional valley filling, every owner's energy by departure guaranteed.

Each session may also *discharge* (vehicle to grid) up to ``discharge_kw`` while it is plugged
in; the aggregator fills the valley and shaves the peak of base + net charging, and every car
leaves with at least the energy it asked for (report section 6 puts V2G pilots in 2026–2030).
The objective is

    J = sum_t slot_h * (kappa / 2 * (base_t + net_t)**2 + wear * discharged_t)     [yuan]

with ``kappa`` the price of the load level (``value_spread_yuan_per_kwh`` over the base load's
peak-valley difference: moving a kWh from the regular peak to the regular valley is worth the
spread) and ``wear`` the battery-wear cost per kWh given to the grid. Three cases, each exact
(``docs/v2g.md`` has the proofs):

* **lossless, no wear, no state-of-charge bounds** (``charge_efficiency = discharge_efficiency =
  1``, ``wear_yuan_per_kwh = 0``, ``soc_bounds=False``): with ``z = n + D a`` (each car's lower
  limit moved from ``-D a`` to 0) a session becomes a plain charging session with power
  ``P + D`` and energy ``e + D * (its plugged-in hours)``, and the aggregate is ``z`` summed
  minus the fleet's discharge capacity, which is subtracted from the base load; so the exact
  valley-filling kernel (:mod:`evgrid.charging.valley`) solves it, in one call;
* **losses and wear**: each car's best response to the others is a water-filling with one
  parameter (its battery's marginal value), and the fleet is solved by exact best responses in
  turn (:mod:`evgrid.charging._v2g`);
* **state-of-charge bounds** (default): a car's battery never falls below ``min_soc`` of its
  capacity; its best response is a resource allocation with nested constraints, solved exactly
  by dynamic programming on inverse derivatives (:mod:`evgrid.charging._v2g`).

A session's arrival energy is not in the session data: a car arrives lacking exactly its
session's energy for ``departure_soc`` of ``battery_kwh`` (report 2: sessions end at 90 % or
more). Charging and discharging efficiencies act on the V2G cycle only: a session's energy is
grid-side as everywhere in evgrid, so its own charging is unchanged, and a kWh given to the grid
costs ``1 / (charge_efficiency * discharge_efficiency)`` kWh to put back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from evgrid.charging._windows import base_or_zero, to_session_kw, window_slots
from evgrid.charging.schedule import Schedule
from evgrid.charging.strategies import Strategy, register
from evgrid.errors import bad_value
from evgrid.params import Spec, parameter
from evgrid.sessions import Sessions
from evgrid.timegrid import FloatArray, TimeGrid

EXACT_KERNEL = "valley-filling kernel (lossless reduction)"
BEST_RESPONSE = "exact best responses (water-filling per car)"
NESTED = "exact best responses (nested state-of-charge constraints per car)"
LEVEL_PRICE = Spec("level_price_yuan_per_kwh_per_kw", "yuan/kWh per kW", "(0, inf)")


@dataclass(frozen=True, eq=False)
class V2GSchedule(Schedule):
    """A V2G schedule: :class:`~evgrid.charging.schedule.Schedule` (``charging_kw`` is the net
    power, negative when the fleet gives more than it takes) and what V2G adds.

    Parameters
    ----------
    discharge_kw
        Power given to the grid per slot ``(n_slots,)`` [kW], >= 0.
    discharged_kwh
        Energy each session gave to the grid ``(n_sessions,)`` [kWh].
    wear_yuan
        Battery-wear cost of the discharged energy [yuan].
    objective_yuan
        The objective ``J`` at the schedule [yuan].
    method
        Which exact path solved it (module docstring).
    sweeps
        Best-response sweeps over the cars (0 for the kernel) [-].
    converged
        Whether the sweeps met the tolerance (always for the kernel).
    """

    discharge_kw: FloatArray | None = None
    discharged_kwh: FloatArray | None = None
    wear_yuan: float = 0.0
    objective_yuan: float = 0.0
    method: str = ""
    sweeps: int = 0
    converged: bool = True

    def v2g_summary(self) -> dict[str, Any]:
        """V2G's own figures: discharge peak [kW], discharged energy [kWh], wear [yuan],
        the method, sweeps and convergence."""
        discharge = np.zeros(1) if self.discharge_kw is None else self.discharge_kw
        given = np.zeros(1) if self.discharged_kwh is None else self.discharged_kwh
        return {
            "discharge_peak_kw": float(discharge.max(initial=0.0)),
            "discharged_kwh": float(given.sum()),
            "wear_yuan": self.wear_yuan,
            "objective_yuan": self.objective_yuan,
            "method": self.method,
            "sweeps": self.sweeps,
            "converged": self.converged,
        }


def _per_session(value: npt.ArrayLike | None, name: str, n: int, default: float) -> FloatArray:
    """A number or one per session, checked against the parameter ``name``'s range."""
    if value is None:
        return np.full(n, float(default))
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        return np.full(n, float(parameter(name).check(float(arr), name)))
    if arr.shape != (n,) or not np.all(np.isfinite(arr)):
        raise bad_value(name, arr.shape, f"a number or {n} finite values, one per session")
    for x in (arr.min(initial=np.inf), arr.max(initial=-np.inf)):
        if np.isfinite(x):
            parameter(name).check(float(x), name)
    return arr


def level_price(base_kw: FloatArray, capacity_kw: float, value_spread_yuan_per_kwh: float) -> float:
    """Price of the load level ``kappa`` [yuan/kWh per kW]: the spread over the base load's
    peak-valley difference (over the fleet's charging capacity for a flat base load)."""
    spread_kw = float(np.ptp(base_kw)) if base_kw.size else 0.0
    scale = spread_kw if spread_kw > 0 else max(capacity_kw, 1.0)
    return value_spread_yuan_per_kwh / scale


def v2g(
    sessions: Sessions,
    grid: TimeGrid,
    base_kw: FloatArray | None = None,
    *,
    limit_kw: float | None = None,
    rng: object = None,
    per_session: bool = False,
    discharge_kw: npt.ArrayLike | None = None,
    charge_efficiency: float | None = None,
    discharge_efficiency: float | None = None,
    wear_yuan_per_kwh: float | None = None,
    soc_bounds: bool = True,
    battery_kwh: npt.ArrayLike | None = None,
    departure_soc: float | None = None,
    min_soc: float | None = None,
    value_spread_yuan_per_kwh: float | None = None,
    level_price_yuan_per_kwh_per_kw: float | None = None,
    tol: float | None = None,
    max_sweeps: int | None = None,
) -> V2GSchedule:
    """Bidirectional valley filling with every owner's energy by departure (module docstring).

    Parameters
    ----------
    sessions, grid, base_kw, per_session
        As every strategy (:mod:`evgrid.charging.schedule`).
    limit_kw
        Ignored, as for valley filling: compare ``schedule.total_kw(base).max()`` [kW].
    rng
        Unused (deterministic).
    discharge_kw
        Largest discharging power, a number or one per session [kW]; default the lower of the
        session's charging power and the parameter ``v2g_discharge_kw`` (7).
    charge_efficiency, discharge_efficiency
        Efficiencies of a V2G cycle [-]; default ``v2g_charge_efficiency`` and
        ``v2g_discharge_efficiency`` (0.933 each: 87 % round trip).
    wear_yuan_per_kwh
        Battery-wear cost per kWh given to the grid [yuan/kWh]; default ``v2g_wear_yuan_per_kwh``.
    soc_bounds
        Keep every car above ``min_soc`` of its battery (default); False: only power and energy
        bounds.
    battery_kwh
        Usable battery, a number or one per session [kWh]; default ``v2g_battery_kwh`` (65).
    departure_soc, min_soc
        State of charge at departure and the lowest allowed [-]; defaults ``v2g_departure_soc``
        (0.9) and ``v2g_min_soc`` (0.3).
    value_spread_yuan_per_kwh
        What a kWh moved from the regular peak to the regular valley is worth [yuan/kWh];
        default ``v2g_value_spread_yuan_per_kwh``.
    level_price_yuan_per_kwh_per_kw
        ``kappa`` itself [yuan/kWh per kW], instead of deriving it from the spread.
    tol, max_sweeps
        Stop the best-response sweeps when one moves no slot's total by more than ``tol`` of the
        largest, or after ``max_sweeps``; defaults ``v2g_tolerance`` and ``v2g_max_sweeps``.

    Returns
    -------
    V2GSchedule
        ``delivered_kwh`` is each session's battery gain in grid-side kWh (at least its
        request when it can be met).

    Raises
    ------
    InputError
        An option outside its range.
    """
    del limit_kw, rng
    from evgrid.charging import _v2g

    n = len(sessions)
    base = base_or_zero(base_kw, grid)
    eta_c = parameter("v2g_charge_efficiency").resolve(charge_efficiency, "charge_efficiency")
    eta_d = parameter("v2g_discharge_efficiency").resolve(
        discharge_efficiency, "discharge_efficiency"
    )
    wear = parameter("v2g_wear_yuan_per_kwh").resolve(wear_yuan_per_kwh, "wear_yuan_per_kwh")
    spread = parameter("v2g_value_spread_yuan_per_kwh").resolve(
        value_spread_yuan_per_kwh, "value_spread_yuan_per_kwh"
    )
    tolerance = parameter("v2g_tolerance").resolve(tol, "tol")
    sweeps_max = parameter("v2g_max_sweeps").resolve(max_sweeps, "max_sweeps")
    if not isinstance(soc_bounds, bool):
        raise bad_value("soc_bounds", soc_bounds, "true or false")
    power = np.maximum(sessions.max_power_kw, 0.0)
    default_d = parameter("v2g_discharge_kw").value
    give = (
        np.minimum(power, default_d)
        if discharge_kw is None
        else _per_session(discharge_kw, "v2g_discharge_kw", n, default_d)
    )
    first, last, frac_first, frac_last = window_slots(
        sessions.arrival_h, sessions.departure_h, grid
    )
    plugged_slots = frac_first + frac_last + np.maximum(last - first - 1, 0)
    energy = np.clip(np.minimum(sessions.energy_kwh, power * plugged_slots * grid.slot_h), 0, None)
    if level_price_yuan_per_kwh_per_kw is None:
        kappa = level_price(base, float(power.sum()), spread)
    else:
        kappa = float(LEVEL_PRICE.check(level_price_yuan_per_kwh_per_kw))
    model = _v2g.CarModel(grid.slot_h, kappa, float(wear), float(eta_c), float(eta_d))
    if not soc_bounds and eta_c == 1.0 and eta_d == 1.0 and wear == 0.0:
        return _lossless(sessions, grid, base, give, energy, model, per_session)
    floor = None
    if soc_bounds:
        capacity = _per_session(
            battery_kwh, "v2g_battery_kwh", n, parameter("v2g_battery_kwh").value
        )
        s_dep = parameter("v2g_departure_soc").resolve(departure_soc, "departure_soc")
        s_min = parameter("v2g_min_soc").resolve(min_soc, "min_soc")
        arrival = s_dep * capacity - eta_c * energy
        floor = np.minimum(0.0, s_min * capacity - arrival)
    return _best_responses(
        sessions,
        grid,
        base,
        give,
        energy,
        (first, last, frac_first, frac_last),
        floor,
        model,
        per_session=per_session,
        tol=float(tolerance),
        max_sweeps=int(sweeps_max),
    )


def _availability_rows(first: int, last: int, frac_first: float, frac_last: float) -> FloatArray:
    """Plugged-in share of each slot of a window ``first..last`` [-]."""
    a = np.ones(last - first + 1)
    a[0] = frac_first
    if last > first:
        a[-1] = frac_last
    return a


def _lossless(
    sessions: Sessions,
    grid: TimeGrid,
    base: FloatArray,
    give: FloatArray,
    energy: FloatArray,
    model: Any,
    per_session: bool,
) -> V2GSchedule:
    """The lossless reduction: the valley-filling kernel on shifted sessions and base load."""
    from evgrid.charging._windows import availability
    from evgrid.charging.valley import valley_filling

    avail = availability(sessions, grid)  # (n_sessions, n_slots)
    capacity_kw = give @ avail  # the fleet's discharge capacity per slot
    plugged_h = avail.sum(axis=1) * grid.slot_h
    shifted = Sessions(
        sessions.arrival_h,
        sessions.departure_h,
        energy + give * plugged_h,
        np.maximum(sessions.max_power_kw, 0.0) + give,
        sessions.vehicle,
    )
    filled = valley_filling(shifted, grid, base - capacity_kw, per_session=per_session)
    net = filled.charging_kw - capacity_kw
    session_kw = None
    discharged = np.zeros(len(sessions))
    discharge = np.zeros(grid.n_slots)
    if filled.session_kw is not None:
        dense = filled.session_kw.toarray() - give[:, None] * avail
        session_kw = to_session_kw(dense * grid.slot_h, grid)
        negative = np.maximum(-dense, 0.0)
        discharge = negative.sum(axis=0)
        discharged = negative.sum(axis=1) * grid.slot_h
    delivered = filled.delivered_kwh - give * plugged_h
    total = base + net
    return V2GSchedule(
        grid=grid,
        charging_kw=net,
        requested_kwh=sessions.energy_kwh.copy(),
        delivered_kwh=delivered,
        session_kw=session_kw,
        discharge_kw=discharge if per_session else None,
        discharged_kwh=discharged if per_session else None,
        objective_yuan=float(grid.slot_h * 0.5 * model.kappa * np.dot(total, total)),
        method=EXACT_KERNEL,
    )


def _best_responses(
    sessions: Sessions,
    grid: TimeGrid,
    base: FloatArray,
    give: FloatArray,
    energy: FloatArray,
    windows: tuple[Any, Any, Any, Any],
    floor: FloatArray | None,
    model: Any,
    *,
    per_session: bool,
    tol: float,
    max_sweeps: int,
) -> V2GSchedule:
    """Gauss-Seidel over the cars from valley filling without discharge."""
    from evgrid.charging import _v2g
    from evgrid.charging.valley import valley_filling

    first, last, frac_first, frac_last = windows
    n = len(sessions)
    power = np.maximum(sessions.max_power_kw, 0.0)
    rows = np.flatnonzero((energy > 0) | (give > 0))
    plain = Sessions(
        sessions.arrival_h[rows],
        sessions.departure_h[rows],
        energy[rows],
        power[rows],
        sessions.vehicle[rows],
    )
    start = valley_filling(plain, grid, base, per_session=True)
    assert start.session_kw is not None
    start_dense = start.session_kw.tocsr()
    cmax, gmax, initial = [], [], []
    for k, i in enumerate(rows.tolist()):
        a = _availability_rows(int(first[i]), int(last[i]), frac_first[i], frac_last[i])
        cmax.append(power[i] * a)
        gmax.append(give[i] * a)
        row = start_dense[[k], :].toarray().ravel()
        initial.append(row[first[i] : last[i] + 1])
    need = model.eta_c * energy[rows]
    top = np.array([model.slot_h * model.eta_c * c.sum() for c in cmax])
    need = np.minimum(need, top)
    solution = _v2g.solve_fleet(
        base,
        first[rows],
        cmax,
        gmax,
        need,
        None if floor is None else floor[rows],
        initial,
        model,
        tol=tol,
        max_sweeps=max_sweeps,
    )
    net = solution.total_kw - base
    gain = np.zeros(n)
    discharged = np.zeros(n)
    discharge = np.zeros(grid.n_slots)
    dense = np.zeros((n, grid.n_slots)) if per_session else None
    for k, i in enumerate(rows.tolist()):
        part = solution.net_kw[k]
        lo = int(first[i])
        pos, neg = np.maximum(part, 0.0), np.maximum(-part, 0.0)
        gain[i] = model.slot_h * (model.eta_c * pos.sum() - neg.sum() / model.eta_d)
        discharged[i] = model.slot_h * neg.sum()
        discharge[lo : lo + part.size] += neg
        if dense is not None:
            dense[i, lo : lo + part.size] = part
    method = _v2g_method(floor)
    return V2GSchedule(
        grid=grid,
        charging_kw=net,
        requested_kwh=sessions.energy_kwh.copy(),
        delivered_kwh=gain / model.eta_c,
        session_kw=None if dense is None else to_session_kw(dense * grid.slot_h, grid),
        discharge_kw=discharge,
        discharged_kwh=discharged,
        wear_yuan=float(model.wear * discharged.sum()),
        objective_yuan=solution.objective_yuan,
        method=method,
        sweeps=solution.sweeps,
        converged=solution.converged,
    )


def _v2g_method(floor: FloatArray | None) -> str:
    return BEST_RESPONSE if floor is None else NESTED


register(
    Strategy(
        name="v2g",
        run=v2g,
        summary="bidirectional valley filling (vehicle to grid): discharges at the peak, "
        "every car's energy by departure",
        dense=True,
        order=6,
    )
)
