"""Demand-response settlement as provincial rules write it, and the delivery that earns most.

Chinese provincial demand-response rules settle an aggregator's response against a **baseline**
(Jiangsu's 2015 rules: the load of the same period on the five normal days before the call;
Beijing's: the five highest of the ten days before), pay nothing when the response falls below a
**performance threshold** share of the request, and pay a **capacity price** per kW of average
response in the event and/or an **energy price** per kWh of response (Hainan's 2025 draft: a
fixed 1.0 yuan/kWh for agreed peak shaving; Shandong's 2018 pilot: up to 30 yuan per kW of
response), with response above a cap share of the request not paid. :class:`Settlement` holds one
such rule; :func:`settle_event` applies it to one event on one day. Defaults are rows of the
parameter table, each with its source or marked assumed.

The **delivery** (:func:`optimised_cuts`) is an LP (HiGHS, through :func:`scipy.optimize.linprog`)
per event and day: each answering car cuts at most its contracted kW and its own charging power in
each event slot, makes the energy up after the event within its window and its pile's power, and
the fleet's cut in a slot never exceeds the request; the LP maximises the energy cut (what the
settlement pays for) and, second, puts the catch-up where the load is lowest. The older pro-rata
dispatch (every car the same fraction of its possible cut) remains as ``delivery: pro-rata``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from evgrid.errors import EvgridError
from evgrid.params import parameter
from evgrid.timegrid import FloatArray

BASELINES = ("previous-days", "counterfactual")
"""``previous-days``: the mean of the same slots on the days before (the rules' baseline);
``counterfactual``: the same day without the event (what a model knows exactly)."""
DELIVERIES = ("optimised", "pro-rata")
CATCH_WEIGHT = 1e-6
"""Weight of the catch-up's placement against the energy cut in the delivery LP [-]: small, so
the cut is maximised first."""


def _p(name: str) -> Any:
    return field(default_factory=lambda: parameter(name).value)


@dataclass(frozen=True)
class Settlement:
    """How the grid pays an aggregator's response (module docstring).

    Parameters
    ----------
    baseline
        ``previous-days`` or ``counterfactual`` (:data:`BASELINES`).
    baseline_days
        Days before the event day whose mean is the baseline [day].
    threshold
        Least response, as a share of the request, that is paid at all [-].
    cap_ratio
        Response above this share of the request is not paid [-].
    capacity_yuan_per_kw
        Payment per kW of average response in an event [yuan/kW per event].
    energy_yuan_per_kwh
        Payment per kWh of response [yuan/kWh].
    delivery
        ``optimised`` (the LP) or ``pro-rata`` (:data:`DELIVERIES`).
    """

    baseline: str = _p("dr_baseline")
    baseline_days: int = _p("dr_baseline_days")
    threshold: float = _p("dr_threshold")
    cap_ratio: float = _p("dr_cap_ratio")
    capacity_yuan_per_kw: float = _p("dr_capacity_yuan_per_kw")
    energy_yuan_per_kwh: float = _p("dr_energy_yuan_per_kwh")
    delivery: str = _p("dr_delivery")

    def to_dict(self) -> dict[str, Any]:
        """Plain form for JSON."""
        return {
            "baseline": self.baseline,
            "baseline_days": self.baseline_days,
            "threshold": self.threshold,
            "cap_ratio": self.cap_ratio,
            "capacity_yuan_per_kw": self.capacity_yuan_per_kw,
            "energy_yuan_per_kwh": self.energy_yuan_per_kwh,
            "delivery": self.delivery,
        }


@dataclass(frozen=True)
class EventPay:
    """One event on one day, settled.

    Parameters
    ----------
    response_kw
        Average response over the event: baseline - actual, >= 0 [kW].
    response_kwh
        Response energy over the event [kWh].
    ratio
        Response / request [-].
    paid
        Whether the response reached the threshold.
    capacity_yuan, energy_yuan
        The two payments [yuan].
    """

    response_kw: float
    response_kwh: float
    ratio: float
    paid: bool
    capacity_yuan: float
    energy_yuan: float

    @property
    def total_yuan(self) -> float:
        """The grid's payment [yuan]."""
        return self.capacity_yuan + self.energy_yuan


def settle_event(
    rule: Settlement,
    baseline_kw: npt.ArrayLike,
    actual_kw: npt.ArrayLike,
    requested_kw: float,
    slot_h: float,
) -> EventPay:
    """Settle one event on one day.

    Parameters
    ----------
    rule
        The settlement rule.
    baseline_kw, actual_kw
        The aggregator's load in the event's slots: baseline and measured ``(n,)`` [kW].
    requested_kw
        The reduction asked [kW].
    slot_h
        Slot length [h].
    """
    base = np.asarray(baseline_kw, dtype=np.float64)
    act = np.asarray(actual_kw, dtype=np.float64)
    duration_h = base.size * slot_h
    response_kw = max(float(np.mean(base - act)) if base.size else 0.0, 0.0)
    response_kwh = response_kw * duration_h
    ratio = response_kw / requested_kw if requested_kw > 0 else 0.0
    paid = ratio + 1e-12 >= rule.threshold
    counted_kw = min(response_kw, rule.cap_ratio * requested_kw)
    return EventPay(
        response_kw=response_kw,
        response_kwh=response_kwh,
        ratio=ratio,
        paid=paid,
        capacity_yuan=rule.capacity_yuan_per_kw * counted_kw if paid else 0.0,
        energy_yuan=rule.energy_yuan_per_kwh * counted_kw * duration_h if paid else 0.0,
    )


def baseline_kw(
    portfolio_kw: FloatArray,
    mask: npt.NDArray[np.bool_],
    slots_per_day: int,
    rule: Settlement,
) -> FloatArray:
    """The settlement baseline of an event's slots [kW]: the same slots without the event
    (``counterfactual``) or their mean over the days before (``previous-days``, as many of
    ``baseline_days`` as the horizon holds)."""
    slots = np.flatnonzero(mask)
    if rule.baseline == "counterfactual":
        return portfolio_kw[slots]
    days = np.arange(1, rule.baseline_days + 1)
    earlier = slots[None, :] - days[:, None] * slots_per_day
    earlier = earlier[np.all(earlier >= 0, axis=1)]
    if earlier.size == 0:
        return portfolio_kw[slots]
    return portfolio_kw[earlier].mean(axis=0)


def optimised_cuts(
    session_kw: FloatArray,
    cap_kw: FloatArray,
    contract_kw: FloatArray,
    in_event: npt.NDArray[np.bool_],
    requested_kw: float,
    slot_h: float,
    load_kw: FloatArray | None = None,
) -> tuple[FloatArray, FloatArray]:
    """The largest feasible cut in one event, and its catch-up (module docstring).

    Parameters
    ----------
    session_kw, cap_kw, contract_kw, in_event, requested_kw, slot_h
        As :func:`evgrid.charging.demand_response.contracted_dispatch`.
    load_kw
        The site's load in each slot ``(n_slots,)`` [kW]: catch-up goes where it is lowest;
        default the dispatched sessions' own load.

    Returns
    -------
    tuple
        Cut ``(n, n_slots)`` [kW] and catch-up ``(n, n_slots)`` [kW].
    """
    import scipy.sparse as sp
    from scipy.optimize import linprog

    base = np.asarray(session_kw, dtype=np.float64)
    event = np.asarray(in_event, dtype=bool)
    n, n_slots = base.shape
    cut = np.zeros_like(base)
    catch = np.zeros_like(base)
    if n == 0 or not event.any():
        return cut, catch
    after = np.arange(n_slots) > np.flatnonzero(event)[-1]
    possible = np.where(event, np.minimum(base, np.asarray(contract_kw)[:, None]), 0.0)
    room = np.where(after, np.clip(np.asarray(cap_kw) - base, 0.0, None), 0.0)
    ci, ct = np.nonzero(possible > 0)
    ri, rt = np.nonzero(room > 0)
    nc, nr = ci.size, ri.size
    if nc == 0 or nr == 0:
        return cut, catch
    load = base.sum(axis=0) if load_kw is None else np.asarray(load_kw, dtype=np.float64)
    scale = max(float(np.abs(load).max()), 1.0)
    cost = np.concatenate([-np.ones(nc), CATCH_WEIGHT * (1.0 + load[rt] / scale)])
    # per car: sum of catch-up = sum of cut (energy made up); per event slot: cut <= request
    a_eq = sp.hstack(
        [
            sp.csr_array((np.ones(nc), (ci, np.arange(nc))), shape=(n, nc)),
            sp.csr_array((-np.ones(nr), (ri, np.arange(nr))), shape=(n, nr)),
        ]
    ).tocsr()
    slots = np.flatnonzero(event)
    slot_row = np.searchsorted(slots, ct)
    a_ub = sp.hstack(
        [
            sp.csr_array((np.ones(nc), (slot_row, np.arange(nc))), shape=(slots.size, nc)),
            sp.csr_array((slots.size, nr)),
        ]
    ).tocsr()
    bounds = np.column_stack([np.zeros(nc + nr), np.concatenate([possible[ci, ct], room[ri, rt]])])
    res = linprog(
        cost,
        A_ub=a_ub,
        b_ub=np.full(slots.size, float(requested_kw)),
        A_eq=a_eq,
        b_eq=np.zeros(n),
        bounds=bounds,
        method="highs",
    )
    if res.status != 0:
        raise EvgridError(f"HiGHS LP of the demand-response delivery failed: {res.message}")
    x = np.clip(np.asarray(res.x, dtype=np.float64), 0.0, bounds[:, 1])
    cut[ci, ct] = x[:nc]
    catch[ri, rt] = x[nc:]
    return cut, catch
