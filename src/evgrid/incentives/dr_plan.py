"""A demand-response plan: the aggregator's contracts, the day's events and the settlement
keys (:mod:`evgrid.incentives.dr`, report section 5.2).

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

from evgrid.errors import bad_value
from evgrid.incentives.settlement import Settlement
from evgrid.incentives.tariffs import MINUTES_PER_DAY, _hour, _keys, _mapping
from evgrid.io import read_document
from evgrid.params import Spec, parameter
from evgrid.timegrid import HOURS_PER_DAY

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
