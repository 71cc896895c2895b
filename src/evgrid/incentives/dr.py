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

A plan is a YAML or JSON document (:func:`load_dr`)::

    name: Community aggregator
    energy_yuan_per_kwh: 1.0         # settlement keys (capacity_yuan_per_kw, threshold,
    delivery: optimised              # cap_ratio, baseline, baseline_days): the parameter table
    owner_share: 0.5
    event_days_per_year: 20
    contracts:
      - {kind: fixed, piles: 60, kw_per_pile: 3.5, notice_h: 24}
      - {kind: flexible, share: 0.2, kw_per_pile: 2.0, notice_h: 2, opt_in: 0.6}
    events:
      - {start: "19:00", end: "21:00", reduction_kw: 100, notice_h: 24}

The keys of earlier releases are still read: ``price_yuan_per_kwh`` is ``energy_yuan_per_kwh``
and ``price_yuan_per_kw`` is ``capacity_yuan_per_kw`` (a plan may give both prices now).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from evgrid.errors import bad_value
from evgrid.incentives.fleet import Fleet
from evgrid.incentives.settlement import (
    Settlement,
    baseline_kw,
    optimised_cuts,
    settle_event,
)
from evgrid.incentives.tariffs import MINUTES_PER_DAY, _hour, _keys, _mapping
from evgrid.io import read_document
from evgrid.params import Spec, parameter
from evgrid.timegrid import HOURS_PER_DAY, FloatArray

KINDS = ("fixed", "flexible")
REDUCTION = Spec("reduction_kw", "kW", "(0, inf)")
PILES = Spec("piles", "-", "integer [0, inf)")
SHARE = Spec("share", "-", "[0, 1]")


@dataclass(frozen=True)
class Contract:
    """Piles signed by the aggregator on one kind of contract.

    Parameters
    ----------
    kind
        ``"fixed"`` or ``"flexible"``.
    piles, share
        How many of the site's piles: a number, or a share of them [-] (one of the two).
    kw_per_pile
        Contracted reduction per pile [kW].
    notice_h
        Notice the contract needs before an event [h].
    opt_in
        Flexible contracts: probability that a pile answers an event [-].
    """

    kind: str
    piles: int | None = None
    share: float | None = None
    kw_per_pile: float = field(default_factory=lambda: parameter("dr_kw_per_pile").value)
    notice_h: float = field(default_factory=lambda: parameter("dr_notice_h").value)
    opt_in: float = field(default_factory=lambda: parameter("dr_flexible_opt_in").value)

    def n_piles(self, n_cars: int) -> int:
        """Contracted piles among ``n_cars`` [-]."""
        if self.piles is not None:
            return int(self.piles)
        return int(np.floor(float(self.share or 0.0) * n_cars + 0.5))


@dataclass(frozen=True)
class Event:
    """A demand-response event, called on every evaluated day.

    Parameters
    ----------
    start_h, end_h
        Start and end [h of day]; an end at or before the start is on the next day.
    reduction_kw
        Reduction requested of the aggregator's piles in each slot of the event [kW].
    notice_h
        Notice given before the event [h].
    """

    start_h: float
    end_h: float
    reduction_kw: float
    notice_h: float = field(default_factory=lambda: parameter("dr_notice_h").value)

    @property
    def duration_h(self) -> float:
        """Length of the event [h]."""
        return (self.end_h - self.start_h) % HOURS_PER_DAY or HOURS_PER_DAY


@dataclass(frozen=True)
class DemandResponsePlan:
    """An aggregator's contracts, the events it is called for, and how it is paid.

    Parameters
    ----------
    name
        The aggregator.
    contracts, events
        Its contracts and the day's events (not overlapping).
    settlement
        How the grid pays (:class:`~evgrid.incentives.settlement.Settlement`); default the
        parameter table's rule.
    owner_share
        Share of the revenue paid to the owners [-].
    event_days_per_year
        Days a year with the plan's events [day].
    """

    name: str
    contracts: tuple[Contract, ...]
    events: tuple[Event, ...]
    settlement: Settlement = field(default_factory=Settlement)
    owner_share: float = field(default_factory=lambda: parameter("dr_owner_share").value)
    event_days_per_year: int = field(
        default_factory=lambda: parameter("dr_event_days_per_year").value
    )

    @property
    def price_yuan_per_kwh(self) -> float:
        """The energy price of the settlement [yuan/kWh] (the key of earlier releases)."""
        return self.settlement.energy_yuan_per_kwh

    @property
    def price_yuan_per_kw(self) -> float:
        """The capacity price of the settlement [yuan/kW] (the key of earlier releases)."""
        return self.settlement.capacity_yuan_per_kw


# --- the dispatch ----------------------------------------------------------------------------
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


# --- documents -------------------------------------------------------------------------------
_SETTLEMENT_KEYS = {
    "energy_yuan_per_kwh": "dr_energy_yuan_per_kwh",
    "capacity_yuan_per_kw": "dr_capacity_yuan_per_kw",
    "threshold": "dr_threshold",
    "cap_ratio": "dr_cap_ratio",
    "baseline": "dr_baseline",
    "baseline_days": "dr_baseline_days",
    "delivery": "dr_delivery",
}
"""Settlement keys of a plan and the parameter that gives each default."""
_OLD_KEYS = {
    "price_yuan_per_kwh": "energy_yuan_per_kwh",
    "price_yuan_per_kw": "capacity_yuan_per_kw",
}
"""Keys of earlier releases, still read."""
_PLAN_KEYS = {
    "name",
    *_SETTLEMENT_KEYS,
    *_OLD_KEYS,
    "owner_share",
    "event_days_per_year",
    "contracts",
    "events",
}
_CONTRACT_KEYS = {"kind", "piles", "share", "kw_per_pile", "notice_h", "opt_in"}
_EVENT_KEYS = {"start", "end", "reduction_kw", "notice_h"}


def _contract(data: Any, where: str) -> Contract:
    fields = _mapping(data, where, "{kind, piles or share, kw_per_pile, notice_h, opt_in}")
    _keys(fields, _CONTRACT_KEYS, where)
    kind = fields.get("kind")
    if kind not in KINDS:
        raise bad_value(f"{where}: kind", kind, "fixed or flexible")
    if ("piles" in fields) == ("share" in fields):
        raise bad_value(f"{where}: piles", fields.get("piles"), "piles or share, one of the two")
    if "opt_in" in fields and kind != "flexible":
        raise bad_value(f"{where}: opt_in", fields["opt_in"], "only with kind flexible")
    return Contract(
        kind=kind,
        piles=PILES.check(fields["piles"], f"{where}: piles") if "piles" in fields else None,
        share=SHARE.check(fields["share"], f"{where}: share") if "share" in fields else None,
        kw_per_pile=parameter("dr_kw_per_pile").resolve(
            fields.get("kw_per_pile"), f"{where}: kw_per_pile"
        ),
        notice_h=parameter("dr_notice_h").resolve(fields.get("notice_h"), f"{where}: notice_h"),
        opt_in=parameter("dr_flexible_opt_in").resolve(fields.get("opt_in"), f"{where}: opt_in"),
    )


def _event(data: Any, where: str) -> Event:
    fields = _mapping(data, where, "{start, end, reduction_kw, notice_h}")
    _keys(fields, _EVENT_KEYS, where)
    for key in ("start", "end", "reduction_kw"):
        if key not in fields:
            raise bad_value(f"{where}: {key}", "missing", "start, end and reduction_kw")
    start = _hour(fields["start"], f"{where}: start") % HOURS_PER_DAY
    end = _hour(fields["end"], f"{where}: end") % HOURS_PER_DAY
    return Event(
        start_h=start,
        end_h=end,
        reduction_kw=REDUCTION.check(fields["reduction_kw"], f"{where}: reduction_kw"),
        notice_h=parameter("dr_notice_h").resolve(fields.get("notice_h"), f"{where}: notice_h"),
    )


def parse_dr(data: Any, where: str = "dr") -> DemandResponsePlan:
    """Validate a demand-response plan already read (see the module docstring for its form).

    Raises
    ------
    InputError
        One line naming the field, the value and what is allowed.
    """
    doc = _mapping(data, where, "a demand-response plan (contracts, events, prices)")
    _keys(doc, _PLAN_KEYS, where)
    for key in ("contracts", "events"):
        if not isinstance(doc.get(key), list) or not doc[key]:
            raise bad_value(f"{where}: {key}", doc.get(key, "missing"), f"a list of {key}")
    contracts = tuple(
        _contract(c, f"{where}: contracts entry {i}") for i, c in enumerate(doc["contracts"], 1)
    )
    events = tuple(_event(e, f"{where}: events entry {i}") for i, e in enumerate(doc["events"], 1))
    minutes = np.zeros(MINUTES_PER_DAY, dtype=np.int64)
    for i, e in enumerate(sorted(events, key=lambda e: e.start_h), 1):
        span = (round(e.start_h * 60) + np.arange(round(e.duration_h * 60))) % MINUTES_PER_DAY
        if np.any(minutes[span]):
            raise bad_value(f"{where}: events entry {i}", "an overlap", "events apart in time")
        minutes[span] = 1
    fields: dict[str, Any] = {}
    for old, new in _OLD_KEYS.items():
        if old in doc:
            if new in doc:
                raise bad_value(f"{where}: {old}", doc[old], f"{old} or {new}, not both")
            fields[new] = doc[old]
    fields.update({k: doc[k] for k in _SETTLEMENT_KEYS if k in doc})
    if "price_yuan_per_kw" in doc and not {"price_yuan_per_kwh", "energy_yuan_per_kwh"} & set(doc):
        fields["energy_yuan_per_kwh"] = 0.0  # an earlier plan paid per kW instead of per kWh
    settlement = Settlement(
        **{k: parameter(_SETTLEMENT_KEYS[k]).resolve(v, f"{where}: {k}") for k, v in fields.items()}
    )
    name = doc.get("name", "aggregator")
    if not isinstance(name, str) or not name.strip():
        raise bad_value(f"{where}: name", name, "a text")
    return DemandResponsePlan(
        name=name.strip(),
        contracts=contracts,
        events=tuple(sorted(events, key=lambda e: e.start_h)),
        settlement=settlement,
        owner_share=parameter("dr_owner_share").resolve(
            doc.get("owner_share"), f"{where}: owner_share"
        ),
        event_days_per_year=parameter("dr_event_days_per_year").resolve(
            doc.get("event_days_per_year"), f"{where}: event_days_per_year"
        ),
    )


def load_dr(source: str | Path | DemandResponsePlan) -> DemandResponsePlan:
    """A demand-response plan from a YAML/JSON file, or as given."""
    if isinstance(source, DemandResponsePlan):
        return source
    return parse_dr(read_document(source, "demand-response plan (YAML or JSON)"), str(source))
