"""What a lever buys at one site: owners' money, peaks, hosting capacity, carbon, demand response.

:func:`evaluate_lever` sets a lever on a site — a charging tariff (its peak–valley spread moves
a share of owners to the valley through the response curve), optionally an aggregator's
demand-response plan — and compares it with the same cars charging uncontrolled at the
reference price (the tariff's price without time of use). The same sampled cars, seed and days
serve both sides:

* **owners' money**: the cost of every slot is its energy × its price, summed over the
  evaluated days (per band and in all); the saving is the cost before minus the cost after;
  a year is a typical day × ``days_per_year``, each season weighted by its months;
* **peaks**: the charging and total (regular + charging) peaks of the typical day and the P95
  of the daily total peaks, before and after (and after the events of a demand-response plan);
* **carbon credits** (:mod:`evgrid.incentives.carbon`) before and after;
* **demand response** (:mod:`evgrid.incentives.dr`): kW delivered per event slot, energy
  shifted, the grid's payment, the owners' share and the aggregator's margin;
* **hosting capacity**, both tiers: the planning index with the responders as its orderly share
  (:func:`evgrid.hosting` with ``strategy="orderly"``), and the time series with the responders
  following the strategy; the largest pile ratio before and after.

A tariff with seasons is evaluated per season (each season's spread gives its own response);
money and carbon add up over the year and the peaks and hosting capacity are those of the
season with the least response, which binds the transformer all year.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from evgrid.incentives.carbon import CarbonCredits, CarbonMethod, load_carbon
from evgrid.incentives.dr import DrOutcome, dispatch
from evgrid.incentives.dr_plan import DemandResponsePlan, load_dr
from evgrid.incentives.fleet import Fleet, lever_session_kw, responder_loads, site_fleet
from evgrid.incentives.response import (
    ResponseCurve,
    load_response,
    responder_count,
    response_strategy,
)
from evgrid.incentives.tariffs import BANDS, Season, Tariff, load_tariff
from evgrid.params import parameter
from evgrid.timegrid import FloatArray

TIERS = ("index", "timeseries")


@dataclass(frozen=True)
class OwnersMoney:
    """What owners pay for charging over a typical day, before and after the lever.

    Parameters
    ----------
    cost_before_yuan, cost_after_yuan
        Cost of a typical day: before at the reference price, after at the tariff [yuan/day].
    energy_by_band_kwh, cost_by_band_yuan
        After the lever: energy and cost of a typical day in each band [kWh/day, yuan/day].
    """

    cost_before_yuan: float
    cost_after_yuan: float
    energy_by_band_kwh: dict[str, float]
    cost_by_band_yuan: dict[str, float]

    @property
    def saving_yuan(self) -> float:
        """Owners' saving of a typical day [yuan/day]."""
        return self.cost_before_yuan - self.cost_after_yuan

    def scaled(self, factor: float) -> OwnersMoney:
        """Every amount times ``factor``."""
        return OwnersMoney(
            self.cost_before_yuan * factor,
            self.cost_after_yuan * factor,
            {k: v * factor for k, v in self.energy_by_band_kwh.items()},
            {k: v * factor for k, v in self.cost_by_band_yuan.items()},
        )

    def __add__(self, other: OwnersMoney) -> OwnersMoney:
        return OwnersMoney(
            self.cost_before_yuan + other.cost_before_yuan,
            self.cost_after_yuan + other.cost_after_yuan,
            {k: v + other.energy_by_band_kwh[k] for k, v in self.energy_by_band_kwh.items()},
            {k: v + other.cost_by_band_yuan[k] for k, v in self.cost_by_band_yuan.items()},
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain form for JSON."""
        return {
            "cost_before_yuan": self.cost_before_yuan,
            "cost_after_yuan": self.cost_after_yuan,
            "saving_yuan": self.saving_yuan,
            "energy_by_band_kwh": dict(self.energy_by_band_kwh),
            "cost_by_band_yuan": dict(self.cost_by_band_yuan),
        }


def owners_money(
    fleet: Fleet, season: Season, reference_yuan_per_kwh: float, before_kw: Any, after_kw: Any
) -> OwnersMoney:
    """Owners' cost of a typical day: energy × price in every evaluated slot, over the days.

    Parameters
    ----------
    fleet
        The cars (grid and evaluated days).
    season
        The tariff's season in force after the lever.
    reference_yuan_per_kwh
        The price before the lever, every slot [yuan/kWh].
    before_kw, after_kw
        Charging load before and after, ``(n_slots,)`` [kW].
    """
    grid, eval_slots, days = fleet.grid, fleet.eval_slots, fleet.n_days
    e_before = grid.energy_kwh(before_kw)[eval_slots]
    e_after = grid.energy_kwh(after_kw)[eval_slots]
    price = season.price_per_slot(grid)[eval_slots]
    shares = season.band_shares(grid)[eval_slots]
    totals = np.nan_to_num(season.band_totals())
    energy = e_after @ shares
    return OwnersMoney(
        cost_before_yuan=float(e_before.sum() * reference_yuan_per_kwh) / days,
        cost_after_yuan=float(e_after @ price) / days,
        energy_by_band_kwh={b: float(v) / days for b, v in zip(BANDS, energy, strict=True)},
        cost_by_band_yuan={b: float(v) / days for b, v in zip(BANDS, energy * totals, strict=True)},
    )


@dataclass(frozen=True, eq=False)
class SeasonOutcome:
    """A season of the tariff under the lever.

    Parameters
    ----------
    season
        The season.
    weight
        Its share of the year [-].
    spread_yuan_per_kwh
        Its peak–valley spread [yuan/kWh].
    share, responders
        Owners who respond [-] and how many cars [-].
    before_kw, after_kw
        Charging load before and after over the horizon, ``(n_slots,)`` [kW].
    money
        Owners' money of a typical day.
    carbon_before, carbon_after
        Credits of a typical day.
    """

    season: Season
    weight: float
    spread_yuan_per_kwh: float
    share: float
    responders: int
    before_kw: FloatArray
    after_kw: FloatArray
    money: OwnersMoney
    carbon_before: CarbonCredits
    carbon_after: CarbonCredits


def season_outcomes(
    fleet: Fleet,
    tariff: Tariff,
    response: ResponseCurve,
    strategy: str,
    carbon: CarbonMethod,
    *,
    stagger_h: float | None = None,
) -> list[SeasonOutcome]:
    """Each season's response, loads, money and credits (loads computed once per distinct
    response and valley)."""
    grid, eval_slots, days = fleet.grid, fleet.eval_slots, fleet.n_days
    cache: dict[tuple[int, tuple[float, float]], tuple[FloatArray, FloatArray]] = {}
    out = []
    for i, season in enumerate(tariff.seasons):
        spread = season.spread_yuan_per_kwh
        share = float(response.share(spread))
        count = int(responder_count(share, fleet.n_cars))
        valley = season.valley_window_h()
        key = (count, valley)
        if key not in cache:
            loads, _ = responder_loads(
                fleet, [0, count], strategy, valley_h=valley, stagger_h=stagger_h
            )
            cache[key] = (loads[0], loads[1])
        before, after = cache[key]
        shares = season.band_shares(grid)[eval_slots]
        out.append(
            SeasonOutcome(
                season=season,
                weight=len(season.months) / 12.0,
                spread_yuan_per_kwh=spread,
                share=share,
                responders=count,
                before_kw=before,
                after_kw=after,
                money=owners_money(fleet, season, tariff.reference(i), before, after),
                carbon_before=carbon.credits(grid.energy_kwh(before)[eval_slots], shares).scaled(
                    1.0 / days
                ),
                carbon_after=carbon.credits(grid.energy_kwh(after)[eval_slots], shares).scaled(
                    1.0 / days
                ),
            )
        )
    return out


def year_total(items: list[Any], weights: list[float]) -> Any:
    """Sum of typical-day amounts over seasons, each × its share × ``days_per_year``."""
    per_year = parameter("days_per_year").value
    total = items[0].scaled(weights[0] * per_year)
    for item, w in zip(items[1:], weights[1:], strict=True):
        total = total + item.scaled(w * per_year)
    return total


def peaks(fleet: Fleet, charging_kw: FloatArray) -> dict[str, float]:
    """Typical-day charging and total peaks and the P95 of the daily total peaks [kW]."""
    total = fleet.base_kw + charging_kw
    return {
        "charging_peak_kw": float(fleet.typical_day(charging_kw).max()),
        "total_peak_kw": float(fleet.typical_day(total).max()),
        "total_peak_p95_kw": float(np.percentile(fleet.daily_peaks(total), 95)),
    }


@dataclass(frozen=True, eq=False)
class LeverResult:
    """A lever at one site against uncontrolled charging at the reference price.

    Parameters
    ----------
    site_name, tariff, response, strategy, carbon
        What was evaluated.
    ev_share, n_cars, days
        Cars: share of spaces [-], number [-], Monte Carlo days evaluated [day].
    seasons
        Each season's outcome (:class:`SeasonOutcome`); ``binding`` is the index of the one
        with the least response.
    hour_h, base_kw
        Slot starts and the typical-day regular load, ``(slots_per_day,)`` [h, kW].
    charging_before_kw, charging_after_kw, charging_dr_kw
        Typical-day charging load before, after the tariff, and after the demand-response
        events too (None without a plan), binding season [kW].
    peaks_before, peaks_after, peaks_dr
        :func:`peaks` of each [kW].
    money_year
        Owners' money over a year [yuan, kWh].
    carbon_before_year, carbon_after_year
        Carbon credits over a year.
    dr
        The demand-response dispatch, or None.
    hosting
        Tier -> ``{"before": {...}, "after": {...}}`` largest pile ratios (P50, P95) [-].
    upgrade
        The transformer upgrade deferred on the scenario's years
        (:func:`~evgrid.incentives.deferral.site_deferral`), or None (see ``notes``).
    notes
        What was not computed and why.
    warnings
        What the user should know of the inputs: a tariff below the NDRC peak:valley rule
        (:func:`~evgrid.incentives.pricing.tariff_warnings`), a site without a province for the
        carbon factor.
    ndrc_ratio
        The NDRC rule's least peak:valley ratio that was checked [-].
    """

    site_name: str
    tariff: Tariff
    response: ResponseCurve
    strategy: str
    carbon: CarbonMethod
    ev_share: float
    n_cars: int
    days: int
    seasons: tuple[SeasonOutcome, ...]
    binding: int
    hour_h: FloatArray
    base_kw: FloatArray
    charging_before_kw: FloatArray
    charging_after_kw: FloatArray
    charging_dr_kw: FloatArray | None
    peaks_before: dict[str, float]
    peaks_after: dict[str, float]
    peaks_dr: dict[str, float] | None
    money_year: OwnersMoney
    carbon_before_year: CarbonCredits
    carbon_after_year: CarbonCredits
    dr: DrOutcome | None
    hosting: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    upgrade: dict[str, Any] | None = None
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    ndrc_ratio: float = 3.0

    @property
    def share(self) -> float:
        """Owners who respond in the binding season [-]."""
        return self.seasons[self.binding].share

    @property
    def spread_yuan_per_kwh(self) -> float:
        """Spread of the binding season [yuan/kWh]."""
        return self.seasons[self.binding].spread_yuan_per_kwh

    def to_dict(self, *, curves: bool = True) -> dict[str, Any]:
        """The one JSON shape of a lever's result (CLI ``--json``, the HTML page)."""
        from evgrid.incentives.pricing import peak_valley_ratio

        b = self.seasons[self.binding]

        def ratio(energy_only: bool) -> float | None:
            r = peak_valley_ratio(self.tariff, energy_only=energy_only)
            return None if not np.isfinite(r) else r

        out: dict[str, Any] = {
            "site": self.site_name,
            "tariff": self.tariff.to_dict(),
            "peak_valley_ratio": ratio(True),
            "peak_valley_ratio_total": ratio(False),
            "ndrc_ratio": self.ndrc_ratio,
            "warnings": list(self.warnings),
            "response": self.response.to_dict(),
            "strategy": self.strategy,
            "ev_share": self.ev_share,
            "n_cars": self.n_cars,
            "days": self.days,
            "spread_yuan_per_kwh": b.spread_yuan_per_kwh,
            "share": b.share,
            "responders": b.responders,
            "seasons": [
                {
                    "months": list(s.season.months),
                    "spread_yuan_per_kwh": s.spread_yuan_per_kwh,
                    "share": s.share,
                    "responders": s.responders,
                    "owners_day": s.money.to_dict(),
                }
                for s in self.seasons
            ],
            "peaks": {"before": self.peaks_before, "after": self.peaks_after, "dr": self.peaks_dr},
            "owners_year": self.money_year.to_dict(),
            "carbon": {
                "method": self.carbon.to_dict(),
                "before_year": self.carbon_before_year.to_dict(),
                "after_year": self.carbon_after_year.to_dict(),
            },
            "dr": None if self.dr is None else self.dr.to_dict(),
            "hosting": self.hosting,
            "upgrade": self.upgrade,
            "notes": list(self.notes),
        }
        if curves:
            out["curves"] = {
                "hour_h": self.hour_h.tolist(),
                "base_kw": self.base_kw.tolist(),
                "charging_before_kw": self.charging_before_kw.tolist(),
                "charging_after_kw": self.charging_after_kw.tolist(),
                "charging_dr_kw": None
                if self.charging_dr_kw is None
                else self.charging_dr_kw.tolist(),
            }
        return out


def hosting_change(
    site: Any,
    share: float,
    strategy: str,
    tiers: tuple[str, ...],
    *,
    days: int,
    seed: int,
    valley_h: tuple[float, float],
    basis: Any = None,
) -> dict[str, dict[str, dict[str, float]]]:
    """Largest pile ratios before (uncontrolled) and after (the responders' share following the
    strategy), in each tier [-]."""
    from evgrid.planning.hosting import hosting

    def ratios(r: Any) -> dict[str, float]:
        return {
            "max_pile_ratio_p50": r.max_pile_ratio_p50,
            "max_pile_ratio_p95": r.max_pile_ratio_p95,
        }

    out = {}
    for tier in tiers:
        if tier == "index":
            before = ratios(hosting(site, basis=basis, network=False))
            after = (
                before
                if share == 0
                else ratios(
                    hosting(
                        site, strategy="orderly", participation=share, basis=basis, network=False
                    )
                )
            )
        else:
            opts: dict[str, Any] = {
                "method": "timeseries",
                "days": days,
                "rng": seed,
                "basis": basis,
            }
            before = ratios(hosting(site, network=False, **opts))
            if strategy == "tou":
                opts["valley_start_h"], opts["valley_end_h"] = valley_h
            after = (
                before
                if share == 0
                else ratios(
                    hosting(site, strategy=strategy, participation=share, network=False, **opts)
                )
            )
        out[tier] = {"before": before, "after": after}
    return out


def evaluate_lever(
    site: Any,
    *,
    tariff: Any = None,
    response: Any = None,
    strategy: str | None = None,
    dr: Any = None,
    carbon: Any = None,
    ev_share: float | None = None,
    days: int | None = None,
    rng: np.random.Generator | int | None = None,
    behaviour: Any = None,
    slot_min: float | None = None,
    tiers: tuple[str, ...] = TIERS,
    fleet: Fleet | None = None,
    scenario: Any = None,
    cost: Any = None,
    discount_rate: float | None = None,
    system_gap_share: float | None = None,
    basis: Any = None,
) -> LeverResult:
    """Set a lever on a site and see what it buys (module docstring).

    Parameters
    ----------
    site
        A residential community or an office park.
    tariff
        A :class:`~evgrid.incentives.tariffs.Tariff`, a bundled name or a file; default the
        report's proposal with its 0.3 yuan/kWh spread.
    response
        A :class:`~evgrid.incentives.response.ResponseCurve` or a file; default the parameter
        table's.
    strategy
        What responders do: ``tou`` (default) or ``valley-filling`` (under an aggregator).
    dr
        A demand-response plan (:class:`~evgrid.incentives.dr_plan.DemandResponsePlan` or a
        file), or None.
    carbon
        A :class:`~evgrid.incentives.carbon.CarbonMethod` or a file; default the table's.
    ev_share, days, rng, behaviour, slot_min
        The cars (:func:`~evgrid.incentives.fleet.site_fleet`): share of spaces with an EV
        [-], Monte Carlo days [day], seed, behaviour, slot length [min].
    tiers
        Hosting-capacity tiers to compare: ``"index"`` and/or ``"timeseries"`` (the latter
        with the same days and seed).
    fleet
        Cars already sampled (then ``ev_share`` ... ``slot_min`` are not used).
    scenario, cost, discount_rate
        The upgrade deferred (:func:`~evgrid.incentives.deferral.site_deferral`): EV-growth
        scenario (default ``medium``), cost model of upgrades
        (:class:`~evgrid.planning.upgrade.CostModel`; evgrid ships no price) and discount rate
        [-].
    system_gap_share
        The provincial system's peak-valley difference rate [-], if known: above 40 % the NDRC
        rule asks 4:1 instead of 3:1 (:func:`~evgrid.incentives.pricing.ndrc_ratio`).
    basis
        The design basis of the cars, the hosting tiers and the upgrade
        (:mod:`evgrid.planning.basis`); default the fleet's, else the parameter ``basis``.

    Returns
    -------
    LeverResult

    Raises
    ------
    InputError
        A bad tariff, response, plan or option.
    """
    from evgrid.errors import bad_value
    from evgrid.incentives.pricing import ndrc_ratio, tariff_warnings

    tariff = load_tariff(tariff)
    response = load_response(response)
    strategy = response_strategy(strategy)
    province = getattr(site, "province", None)
    carbon = load_carbon(carbon, province=province)
    warnings = tariff_warnings(tariff, system_gap_share=system_gap_share)
    if province is None and getattr(carbon, "grid_factor_level", "national") == "national":
        warnings.append(
            "carbon: the site gives no province; the national grid emission factor "
            f"{carbon.grid_kg_co2_per_kwh:g} kg CO2/kWh is used (give province: for the "
            "provincial factor)"
        )
    plan: DemandResponsePlan | None = None if dr is None else load_dr(dr)
    for tier in tiers:
        if tier not in TIERS:
            raise bad_value("tiers", tier, "index or timeseries")
    if fleet is None:
        fleet = site_fleet(
            site,
            ev_share=ev_share,
            days=days,
            rng=rng,
            behaviour=behaviour,
            slot_min=slot_min,
            basis=basis,
        )
    basis = fleet.basis if basis is None else basis
    seasons = season_outcomes(fleet, tariff, response, strategy, carbon)
    binding = int(np.argmin([s.share for s in seasons]))
    chosen = seasons[binding]
    weights = [s.weight for s in seasons]
    valley = chosen.season.valley_window_h()
    outcome = None
    dr_kw = None
    if plan is not None:
        session_kw, ok = lever_session_kw(fleet, chosen.responders, strategy, valley_h=valley)
        outcome = dispatch(fleet, session_kw, plan, dispatchable=ok)
        dr_kw = chosen.after_kw + outcome.delta_kw
    notes = []
    upgrade = None
    if getattr(site, "kind", "") == "residential" and site.type is None and site.built is None:
        notes.append("upgrade deferred: not computed; the site needs a type or a build year")
    else:
        from evgrid.incentives.deferral import site_deferral

        upgrade = site_deferral(
            site,
            chosen.share,
            chosen.spread_yuan_per_kwh,
            scenario=scenario,
            cost=cost,
            discount_rate=discount_rate,
            basis=basis,
        )
        if upgrade["pv_saving_yuan"] is None:
            notes.append("upgrade cost deferred: give a cost per kVA or a cost table")
    return LeverResult(
        site_name=fleet.site_name,
        tariff=tariff,
        response=response,
        strategy=strategy,
        carbon=carbon,
        ev_share=fleet.ev_share,
        n_cars=fleet.n_cars,
        days=fleet.n_days,
        seasons=tuple(seasons),
        binding=binding,
        hour_h=fleet.grid.starts_h[: fleet.grid.slots_per_day].copy(),
        base_kw=fleet.typical_day(fleet.base_kw),
        charging_before_kw=fleet.typical_day(chosen.before_kw),
        charging_after_kw=fleet.typical_day(chosen.after_kw),
        charging_dr_kw=None if dr_kw is None else fleet.typical_day(dr_kw),
        peaks_before=peaks(fleet, chosen.before_kw),
        peaks_after=peaks(fleet, chosen.after_kw),
        peaks_dr=None if dr_kw is None else peaks(fleet, dr_kw),
        money_year=year_total([s.money for s in seasons], weights),
        carbon_before_year=year_total([s.carbon_before for s in seasons], weights),
        carbon_after_year=year_total([s.carbon_after for s in seasons], weights),
        dr=outcome,
        hosting=hosting_change(
            site,
            chosen.share,
            strategy,
            tiers,
            days=fleet.n_days,
            seed=fleet.seed % 2**32,
            valley_h=valley,
            basis=basis,
        ),
        upgrade=upgrade,
        notes=tuple(notes),
        warnings=tuple(warnings),
        ndrc_ratio=ndrc_ratio(system_gap_share),
    )
