"""The report's figures 6–7: 2025 residential load, fully orderly against uncontrolled charging.

Report section 5.1: with the 2025 EV share and every owner responding ("fully
orderly"), the charging-load peak of a residential community is 26 % lower than uncontrolled and
the total network peak 5 % lower, and the charging peak still sits at 20:00–21:00.

evgrid recomputes it from the models: the EV share of the parking spaces gets a car each (one car
per pile, as in the hosting capacity), sessions come from the home behaviour model, and the same
sessions are charged uncontrolled, by valley filling (the optimum: minimum sum of squares and
minimum peak of base + charging) and by TOU (the price response: start at the valley price). The
curves are typical days (mean over the Monte Carlo days, as the report's typical-day figures);
peaks and reductions are read from them. See ``docs/hosting-timeseries.md`` for the comparison.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from evgrid.errors import bad_value
from evgrid.params import parameter
from evgrid.planning.timeseries.blocks import solve_by_blocks
from evgrid.sessions import Sessions
from evgrid.timegrid import FloatArray, TimeGrid

ORDERLY_STRATEGIES = ("valley-filling", "tou")
"""The optimum and the price response."""


def report_impact() -> dict[str, Any]:
    """The report's figure 6–7 numbers (comparison only): charging and total peak reduction [-]
    and the hours of the orderly charging peak [h] (``data/report_findings.yaml``)."""
    from evgrid.planning.reproduce import report_findings

    found: dict[str, Any] = report_findings()["orderly_impact"]
    return found


@dataclass(frozen=True, eq=False)
class ImpactCurves:
    """Typical-day curves and peaks of one strategy.

    Parameters
    ----------
    strategy
        Strategy name.
    charging_kw, total_kw
        Typical-day charging and base + charging load, ``(slots_per_day,)`` [kW].
    charging_peak_kw, total_peak_kw
        Peaks of the typical-day curves [kW].
    charging_peak_hour_h, total_peak_hour_h
        Start of the slot of each peak [h of day].
    unmet_share
        Share of the requested energy not delivered [-].
    """

    strategy: str
    charging_kw: FloatArray
    total_kw: FloatArray
    charging_peak_kw: float
    total_peak_kw: float
    charging_peak_hour_h: float
    total_peak_hour_h: float
    unmet_share: float

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python form for JSON."""
        return {
            "strategy": self.strategy,
            "charging_peak_kw": self.charging_peak_kw,
            "total_peak_kw": self.total_peak_kw,
            "charging_peak_hour_h": self.charging_peak_hour_h,
            "total_peak_hour_h": self.total_peak_hour_h,
            "unmet_share": self.unmet_share,
            "charging_kw": self.charging_kw.tolist(),
            "total_kw": self.total_kw.tolist(),
        }


@dataclass(frozen=True, eq=False)
class OrderlyImpact:
    """Orderly against uncontrolled charging for one community and EV share.

    Parameters
    ----------
    site_name
        The community.
    ev_share
        Share of parking spaces with an EV (one pile each) [-].
    n_evs
        Cars [-].
    days
        Monte Carlo days averaged [-].
    hour_h
        Slot starts, ``(slots_per_day,)`` [h].
    base_kw
        Typical-day regular load, ``(slots_per_day,)`` [kW].
    uncontrolled
        Uncontrolled curves.
    orderly
        Curves per orderly strategy name.
    participation
        Share of cars following the orderly strategies [-].
    basis
        Name of the design basis.
    """

    site_name: str
    ev_share: float
    n_evs: int
    days: int
    hour_h: FloatArray
    base_kw: FloatArray
    uncontrolled: ImpactCurves
    orderly: Mapping[str, ImpactCurves] = field(default_factory=dict)
    participation: float = 1.0
    basis: str = "design"

    def __post_init__(self) -> None:
        object.__setattr__(self, "orderly", MappingProxyType(dict(self.orderly)))

    def charging_peak_reduction(self, strategy: str) -> float:
        """``1 - orderly / uncontrolled`` charging peak [-] (negative: orderly is higher)."""
        return _reduction(
            self.orderly[strategy].charging_peak_kw, self.uncontrolled.charging_peak_kw
        )

    def total_peak_reduction(self, strategy: str) -> float:
        """``1 - orderly / uncontrolled`` total (base + charging) peak [-]."""
        return _reduction(self.orderly[strategy].total_peak_kw, self.uncontrolled.total_peak_kw)

    def to_dict(self, *, curves: bool = False) -> dict[str, Any]:
        """Numbers for ``evgrid reproduce --json``; with ``curves=True`` the curves too."""
        rows = {}
        for name, item in self.orderly.items():
            rows[name] = {
                "charging_peak_reduction": self.charging_peak_reduction(name),
                "total_peak_reduction": self.total_peak_reduction(name),
                **(item.to_dict() if curves else _numbers(item)),
            }
        out: dict[str, Any] = {
            "site": self.site_name,
            "ev_share": self.ev_share,
            "n_evs": self.n_evs,
            "days": self.days,
            "participation": self.participation,
            "basis": self.basis,
            "report": report_impact(),
            "uncontrolled": self.uncontrolled.to_dict() if curves else _numbers(self.uncontrolled),
            "orderly": rows,
        }
        if curves:
            out["hour_h"] = self.hour_h.tolist()
            out["base_kw"] = self.base_kw.tolist()
        return out


def _numbers(item: ImpactCurves) -> dict[str, Any]:
    full = item.to_dict()
    return {k: v for k, v in full.items() if not isinstance(v, list)}


def _reduction(orderly_kw: float, uncontrolled_kw: float) -> float:
    return float(1.0 - orderly_kw / uncontrolled_kw) if uncontrolled_kw > 0 else 0.0


def orderly_impact(
    site: Any,
    *,
    ev_share: float | None = None,
    strategies: Sequence[str] = ORDERLY_STRATEGIES,
    days: int | None = None,
    rng: np.random.Generator | int | None = None,
    behaviour: Any = None,
    slot_min: float | None = None,
    participation: float = 1.0,
    basis: Any = None,
) -> OrderlyImpact:
    """Typical-day charging and total load, uncontrolled against fully orderly.

    Parameters
    ----------
    site
        A residential site (:class:`~evgrid.grid.site.ResidentialSite`).
    ev_share
        Share of parking spaces with an EV and a pile, in (0, 1] [-]; default the 2025 medium
        scenario, 22 % (parameter ``ev_share_2025_medium``).
    strategies
        Orderly strategies to compare (each with full participation).
    days
        Monte Carlo days averaged [day]; default the parameter ``impact_days`` (14).
    rng
        Seed (None for the parameter ``seed``), SeedSequence or generator; the cars are the
        first of the site's fleet (:func:`evgrid.planning.fleet.sample_fleet`), the cars the
        hosting tier puts on the first piles with the same seed and days.
    behaviour
        Charging behaviour, a preset name or a behaviour file; default the parameter
        ``behaviour_residential``.
    slot_min
        Slot length [min]; default the parameter ``slot_min``.
    participation
        Share of the cars that follow each orderly strategy, the rest charging uncontrolled
        (:mod:`evgrid.charging.participation`) [-]; 1 is the report's "fully orderly".
    basis
        The design basis (default the parameter ``basis``): the behaviour and the regular load
        over the year (:func:`evgrid.planning.fleet.sample_fleet`).

    Raises
    ------
    InputError
        ``ev_share`` outside (0, 1], ``days`` < 1, participation outside [0, 1], unknown
        strategy, or a site with no parking.
    """
    from evgrid.charging.strategies import get_strategy
    from evgrid.checks import instance
    from evgrid.grid.site import ResidentialSite
    from evgrid.planning.fleet import sample_fleet

    instance(site, ResidentialSite, "site", "a residential site (evgrid.load_site)",
             reader="evgrid.load_site")  # fmt: skip
    if isinstance(strategies, str) or not isinstance(strategies, list | tuple):
        raise bad_value("strategies", strategies, "a list of strategy names")
    ev_share = parameter("ev_share_2025_medium").resolve(ev_share, "ev_share")
    participation = parameter("participation").check(participation, "participation")
    names = [get_strategy(name).name for name in ("uncontrolled", *strategies)]
    n_evs = round(float(ev_share) * int(site.parking_spaces))
    if n_evs < 1:
        raise bad_value(
            "ev_share",
            ev_share,
            f"a share that gives at least one EV of {site.name}'s {site.parking_spaces} spaces",
        )
    whole = sample_fleet(
        site,
        days=days,
        rng=rng,
        behaviour=behaviour,
        slot_min=slot_min,
        days_parameter="impact_days",
        basis=basis,
    )
    fleet = whole.first(n_evs)
    grid, base_kw, days_slice = fleet.grid, fleet.base_kw, fleet.eval_days
    strategy_rng = np.random.default_rng(fleet.strategy_seed)
    base_day = grid.by_day(base_kw)[days_slice].mean(axis=0)
    results = {
        name: _curves(
            name, participation, fleet.sessions, grid, base_kw, base_day, days_slice, strategy_rng
        )
        for name in names
    }
    return OrderlyImpact(
        site_name=str(site.name),
        ev_share=float(ev_share),
        n_evs=n_evs,
        days=fleet.n_days,
        hour_h=grid.starts_h[: grid.slots_per_day].copy(),
        base_kw=base_day,
        uncontrolled=results.pop("uncontrolled"),
        orderly=results,
        participation=float(participation),
        basis=fleet.basis,
    )


def _curves(
    name: str,
    participation: float,
    sessions: Sessions,
    grid: TimeGrid,
    base_kw: FloatArray,
    base_day: FloatArray,
    days: slice,
    rng: np.random.Generator,
) -> ImpactCurves:
    """Run one strategy (whole horizon if separable, else in day blocks) and fold its load to
    the typical day."""
    from evgrid.charging.strategies import get_strategy, schedule

    p = participation if name != "uncontrolled" else 1.0

    def run(part: Sessions, sub_grid: TimeGrid, base: FloatArray, **kw: Any) -> Any:
        return schedule(part, name, grid=sub_grid, base_kw=base, participation=p, **kw)

    if get_strategy(name).separable:
        result = run(sessions, grid, base_kw, rng=rng)
        charging = result.charging_kw
        requested = float(result.requested_kwh.sum())
        delivered = float(result.delivered_kwh.sum())
    else:
        charging, requested, delivered = solve_by_blocks(run, sessions, grid, base_kw, rng=rng)
    charging_day = grid.by_day(charging)[days].mean(axis=0)
    total_day = base_day + charging_day
    hours = grid.starts_h[: grid.slots_per_day]
    return ImpactCurves(
        strategy=name,
        charging_kw=charging_day,
        total_kw=total_day,
        charging_peak_kw=float(charging_day.max()),
        total_peak_kw=float(total_day.max()),
        charging_peak_hour_h=float(hours[int(np.argmax(charging_day))]),
        total_peak_hour_h=float(hours[int(np.argmax(total_day))]),
        unmet_share=float(1.0 - delivered / requested) if requested > 0 else 0.0,
    )
