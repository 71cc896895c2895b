"""Demand response through a load aggregator (report section 5.2).

A load aggregator signs residential private piles on fixed or flexible contracts, registers on
the grid company's demand-response platform, is dispatched when the grid needs it, and pays the
owners bill credits or cash by response. evgrid models:

* **contracts**: a number (or share) of the site's piles, ``fixed`` (every contracted pile answers
  every event it has notice of) or ``flexible`` (each event, a pile answers with probability
  ``opt_in``), a contracted reduction per pile [kW] and the notice the contract needs [h];
* **events**: start, end (hours of the day, called on every evaluated day) and the requested
  reduction [kW], with the notice given [h];
* **the delivery**: contracted cars that charge during the event cut by at most their contracted
  kW and their own power, only as much as they can make up after the event before they leave,
  and never more in total than requested; by default the largest such cut (an LP per event and
  day, :func:`~evgrid.incentives.settlement.optimised_cuts`), or the older pro-rata dispatch
  (:func:`evgrid.charging.demand_response.contracted_dispatch`);
* **settlement** as provincial rules write it (:mod:`evgrid.incentives.settlement`): the
  response is the contracted piles' baseline (by default the mean of the same slots on the five
  days before) less their measured load; below a threshold share of the request nothing is paid;
  the grid pays a capacity price per kW of average response and an energy price per kWh, up to a
  cap share of the request; the aggregator passes a share to the owners and keeps the margin; a
  year has ``event_days_per_year`` days with the plan's events.

The plan (contracts, events, settlement keys) and its document: :mod:`evgrid.incentives.dr_plan`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from evgrid.errors import bad_value
from evgrid.incentives.dr_plan import DemandResponsePlan, Event
from evgrid.incentives.fleet import Fleet
from evgrid.incentives.settlement import (
    baseline_kw,
    optimised_cuts,
    settle_event,
)
from evgrid.timegrid import HOURS_PER_DAY, FloatArray


@dataclass(frozen=True, eq=False)
class EventOutcome:
    """One event, over the evaluated days.

    Parameters
    ----------
    event
        The event.
    hour_h
        Start of each slot of the event [h of day].
    requested_kw
        Requested reduction [kW].
    delivered_kw
        Mean reduction delivered in each event slot over the days, ``(n,)`` [kW].
    delivered_min_kw
        The least delivered in each slot on any day, ``(n,)`` [kW].
    contracted_kw
        Mean contracted kW of the piles dispatched (notice and opt-in met) [kW].
    piles
        Mean number of piles dispatched [-].
    shifted_kwh
        Mean energy moved out of the event per day [kWh].
    revenue_yuan, owners_yuan, margin_yuan
        Mean money of one event: the grid's payment, the owners' share, the aggregator's
        margin [yuan].
    settled_kw
        Mean settled response: baseline - measured load of the contracted piles, averaged over
        the event and the days [kW].
    response_ratio
        Mean settled response / request [-].
    paid_share
        Share of the event days on which the response reached the threshold [-].
    capacity_yuan, energy_yuan
        Mean payments of one event by capacity and by energy [yuan].
    """

    event: Event
    hour_h: FloatArray
    requested_kw: float
    delivered_kw: FloatArray
    delivered_min_kw: FloatArray
    contracted_kw: float
    piles: float
    shifted_kwh: float
    revenue_yuan: float
    owners_yuan: float
    margin_yuan: float
    settled_kw: float = 0.0
    response_ratio: float = 0.0
    paid_share: float = 0.0
    capacity_yuan: float = 0.0
    energy_yuan: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """Plain form for JSON."""
        return {
            "settled_kw": self.settled_kw,
            "response_ratio": self.response_ratio,
            "paid_share": self.paid_share,
            "capacity_yuan": self.capacity_yuan,
            "energy_yuan": self.energy_yuan,
            "start_h": self.event.start_h,
            "end_h": self.event.end_h,
            "notice_h": self.event.notice_h,
            "requested_kw": self.requested_kw,
            "hour_h": self.hour_h.tolist(),
            "delivered_kw": self.delivered_kw.tolist(),
            "delivered_min_kw": self.delivered_min_kw.tolist(),
            "contracted_kw": self.contracted_kw,
            "piles": self.piles,
            "shifted_kwh": self.shifted_kwh,
            "revenue_yuan": self.revenue_yuan,
            "owners_yuan": self.owners_yuan,
            "margin_yuan": self.margin_yuan,
        }


@dataclass(frozen=True, eq=False)
class DrOutcome:
    """The plan's dispatch on every evaluated day.

    Parameters
    ----------
    plan
        The plan.
    events
        One outcome per event.
    delta_kw
        Change of the site's charging load, ``(n_slots,)`` [kW] (cuts and catch-up).
    contracted_piles
        Piles under contract [-].
    unmet_increase_kwh
        Energy the cars did not get because of the events [kWh] (0 by construction).
    """

    plan: DemandResponsePlan
    events: tuple[EventOutcome, ...]
    delta_kw: FloatArray
    contracted_piles: int
    unmet_increase_kwh: float

    @property
    def per_year(self) -> dict[str, float]:
        """Shifted energy [kWh] and money [yuan] over a year's event days."""
        days = self.plan.event_days_per_year
        return {
            "shifted_kwh": days * sum(e.shifted_kwh for e in self.events),
            "revenue_yuan": days * sum(e.revenue_yuan for e in self.events),
            "owners_yuan": days * sum(e.owners_yuan for e in self.events),
            "margin_yuan": days * sum(e.margin_yuan for e in self.events),
        }

    def to_dict(self) -> dict[str, Any]:
        """Plain form for JSON."""
        p = self.plan
        return {
            "aggregator": p.name,
            "contracted_piles": self.contracted_piles,
            "price_yuan_per_kwh": p.price_yuan_per_kwh,
            "price_yuan_per_kw": p.price_yuan_per_kw,
            "settlement": p.settlement.to_dict(),
            "owner_share": p.owner_share,
            "event_days_per_year": p.event_days_per_year,
            "unmet_increase_kwh": self.unmet_increase_kwh,
            "events": [e.to_dict() for e in self.events],
            "per_year": self.per_year,
        }


def dispatch(
    fleet: Fleet,
    session_kw: Any,
    plan: DemandResponsePlan,
    *,
    dispatchable: npt.NDArray[np.bool_] | None = None,
    rng: np.random.Generator | None = None,
) -> DrOutcome:
    """Call the plan's events on every evaluated day of a fleet's schedule.

    Parameters
    ----------
    fleet
        The cars.
    session_kw
        Each session's power in the schedule the events act on, sparse or dense
        ``(n_sessions, n_slots)`` [kW].
    plan
        The aggregator's plan.
    dispatchable
        Sessions the aggregator may dispatch ``(n_sessions,)``; default all (piles already
        valley-filled by the aggregator are left out by the caller).
    rng
        Draws of the contracted piles and the flexible opt-ins.

    Raises
    ------
    InputError
        Contracts for more piles than the site's cars.
    """
    import scipy.sparse as sp

    from evgrid.charging._windows import availability
    from evgrid.charging.demand_response import contracted_dispatch, event_slots

    gen = rng if rng is not None else np.random.default_rng(fleet.seed)
    grid, sessions = fleet.grid, fleet.sessions
    counts = [c.n_piles(fleet.n_cars) for c in plan.contracts]
    if sum(counts) > fleet.n_cars:
        raise bad_value(
            "contracts: piles", sum(counts), f"at most the site's {fleet.n_cars} piles with a car"
        )
    order = gen.permutation(fleet.n_cars)
    contract_of_car = np.full(fleet.n_cars, -1, dtype=np.int64)
    ends = np.cumsum(counts)
    for i, (lo, hi) in enumerate(zip(ends - np.asarray(counts), ends, strict=True)):
        contract_of_car[order[lo:hi]] = i
    kw = np.array([c.kw_per_pile for c in plan.contracts] + [0.0])
    base = sp.csr_array(session_kw)
    ok = np.ones(len(sessions), bool) if dispatchable is None else np.asarray(dispatchable, bool)
    site_kw = fleet.base_kw + np.asarray(base.sum(axis=0)).ravel()
    rule = plan.settlement
    delta_rows: list[npt.NDArray[np.int64]] = []
    delta_cols: list[npt.NDArray[np.int64]] = []
    delta_vals: list[FloatArray] = []
    outcomes = []
    for event in plan.events:
        notified = np.array([c.notice_h <= event.notice_h for c in plan.contracts] + [False])
        flexible = np.array([c.kind == "flexible" for c in plan.contracts] + [False])
        opt_in = np.array([c.opt_in for c in plan.contracts] + [0.0])
        per_day = []
        for day in range(fleet.eval_days.start, fleet.eval_days.stop):
            t0 = day * HOURS_PER_DAY + event.start_h
            in_event = event_slots(grid, (t0, t0 + event.duration_h))
            c = contract_of_car
            answers = notified[c] & (~flexible[c] | (gen.random(fleet.n_cars) < opt_in[c]))
            car_ok = answers & (c >= 0)
            rows = np.flatnonzero(
                ok
                & car_ok[sessions.vehicle]
                & (sessions.arrival_h < t0 + event.duration_h)
                & (sessions.departure_h > t0)
            )
            first = int(np.flatnonzero(in_event)[0])
            last = (
                int(min(np.ceil(sessions.departure_h[rows].max() / grid.slot_h), grid.n_slots))
                if rows.size
                else first + 1
            )
            cols = np.arange(first, max(last, int(np.flatnonzero(in_event)[-1]) + 1))
            current = base[rows][:, cols].toarray()
            if delta_vals:
                delta = sp.csr_array(
                    (
                        np.concatenate(delta_vals),
                        (np.concatenate(delta_rows), np.concatenate(delta_cols)),
                    ),
                    shape=base.shape,
                )
                current = current + delta[rows][:, cols].toarray()
            part = sessions.take(rows)
            cap = availability(part, grid)[:, cols] * part.max_power_kw[:, None]
            contract_kw = kw[c[part.vehicle]]
            if rule.delivery == "optimised":
                cut, catch = optimised_cuts(
                    current,
                    cap,
                    contract_kw,
                    in_event[cols],
                    event.reduction_kw,
                    grid.slot_h,
                    load_kw=site_kw[cols],
                )
            else:
                cut, catch = contracted_dispatch(
                    current, cap, contract_kw, in_event[cols], event.reduction_kw, grid.slot_h
                )
            change = catch - cut
            nz = np.nonzero(change)
            delta_rows.append(rows[nz[0]])
            delta_cols.append(cols[nz[1]])
            delta_vals.append(change[nz])
            event_cols = in_event[cols]
            per_day.append(
                (
                    cut.sum(axis=0)[event_cols],
                    float(kw[c[np.unique(part.vehicle)]].sum()),
                    float(np.unique(part.vehicle).size),
                    float(cut.sum() * grid.slot_h),
                )
            )
        outcomes.append(per_day)
    delta_kw = np.zeros(grid.n_slots)
    if delta_vals:
        np.add.at(delta_kw, np.concatenate(delta_cols), np.concatenate(delta_vals))
    # settlement: the contracted piles' load, without the events and measured with them
    contracted = ok & (contract_of_car[sessions.vehicle] >= 0)
    portfolio_kw = np.asarray(base[np.flatnonzero(contracted)].sum(axis=0)).ravel()
    if portfolio_kw.size != grid.n_slots:
        portfolio_kw = np.zeros(grid.n_slots)
    pays = [
        [
            settle_event(
                rule,
                baseline_kw(portfolio_kw, mask, grid.slots_per_day, rule),
                (portfolio_kw + delta_kw)[mask],
                event.reduction_kw,
                grid.slot_h,
            )
            for mask in (
                event_slots(
                    grid,
                    (day * HOURS_PER_DAY + event.start_h,
                     day * HOURS_PER_DAY + event.start_h + event.duration_h),
                )
                for day in range(fleet.eval_days.start, fleet.eval_days.stop)
            )
        ]
        for event in plan.events
    ]  # fmt: skip
    return DrOutcome(
        plan=plan,
        events=tuple(
            _event_outcome(plan, event, grid.slot_min, per_day, pay)
            for event, per_day, pay in zip(plan.events, outcomes, pays, strict=True)
        ),
        delta_kw=delta_kw,
        contracted_piles=int(sum(counts)),
        unmet_increase_kwh=max(0.0, -float(grid.energy_kwh(delta_kw).sum())),
    )


def _event_outcome(
    plan: DemandResponsePlan,
    event: Event,
    slot_min: float,
    per_day: list[Any],
    pays: list[Any],
) -> EventOutcome:
    delivered = np.array([d[0] for d in per_day])
    shifted = float(np.mean([d[3] for d in per_day]))
    revenue = float(np.mean([p.total_yuan for p in pays]))
    owners = plan.owner_share * revenue
    n = delivered.shape[1]
    start = event.start_h - (event.start_h * 60 % slot_min) / 60
    return EventOutcome(
        event=event,
        hour_h=(start + np.arange(n) * slot_min / 60) % HOURS_PER_DAY,
        requested_kw=event.reduction_kw,
        delivered_kw=delivered.mean(axis=0),
        delivered_min_kw=delivered.min(axis=0),
        contracted_kw=float(np.mean([d[1] for d in per_day])),
        piles=float(np.mean([d[2] for d in per_day])),
        shifted_kwh=shifted,
        revenue_yuan=revenue,
        owners_yuan=owners,
        margin_yuan=revenue - owners,
        settled_kw=float(np.mean([p.response_kw for p in pays])),
        response_ratio=float(np.mean([p.ratio for p in pays])),
        paid_share=float(np.mean([p.paid for p in pays])),
        capacity_yuan=float(np.mean([p.capacity_yuan for p in pays])),
        energy_yuan=float(np.mean([p.energy_yuan for p in pays])),
    )
