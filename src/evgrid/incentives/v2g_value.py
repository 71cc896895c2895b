"""What V2G adds at a site: transformer headroom, hosting capacity, the upgrade deferred, and a
check against the national V2G pilot notice.

The report puts V2G pilots in its 2026–2030 path (report 6). :func:`v2g_value` charges the same
sampled cars (the report's figure 6–7 set-up, :func:`~evgrid.incentives.fleet.site_fleet`) two
ways: every pile valley-filled (the report's orderly charging), and a share of them
(``v2g_share``) bidirectional (:mod:`evgrid.charging.v2g`, with losses, wear and the
state-of-charge reserve) around the others, and compares

* the 95th-percentile daily peak of the site and the **headroom** it leaves under the loading
  limit [kW]: what other load (a hub, household growth) the transformer can still take;
* the **hosting capacity** of the time-series tier (largest pile ratio, P50 and P95) with
  valley filling and with V2G; the V2G run uses the lossless reduction (efficiencies 1, no wear,
  no state-of-charge bound: one call of the exact valley-filling kernel per day block), an upper
  bound on what V2G can add;
* the **upgrade deferral** through the years of an EV-growth scenario (:func:`v2g_deferral`):
  the first year the P95 peak exceeds the limit, with and without V2G;
* the **2024 national V2G pilot notice** (:func:`pilot_check`): NDRC, National Energy
  Administration, MIIT and SAMR, *notice on promoting large-scale pilots of vehicle-grid
  interaction* (关于推动车网互动规模化应用试点工作的通知, published 2024-09-10): a pilot area
  aims at 60 % or more of a year's charging energy in valley hours, 80 % or more for private
  piles; a V2G project discharges at least 500 kW in total and 100 000 kWh a year (lower in the
  western regions). (The figures and the issuers were checked in reports of the notice; its
  document number was not seen.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from evgrid.incentives.fleet import Fleet, site_fleet
from evgrid.incentives.flows import V2GMoney, v2g_money
from evgrid.params import parameter
from evgrid.sessions import Sessions
from evgrid.timegrid import FloatArray, TimeGrid

LOSSLESS = {
    "charge_efficiency": 1.0,
    "discharge_efficiency": 1.0,
    "wear_yuan_per_kwh": 0.0,
    "soc_bounds": False,
}
"""V2G options of the lossless bound (the exact kernel path)."""


def _by_blocks(
    sessions: Sessions, grid: TimeGrid, base_kw: FloatArray, strategy: str, **options: Any
) -> tuple[FloatArray, FloatArray]:
    """A strategy's net charging load and the power it gives to the grid, day block by day block
    (the blocks of :func:`evgrid.planning.timeseries.blocks.solve_by_blocks`) [kW]."""
    from evgrid.charging.strategies import schedule
    from evgrid.planning.timeseries.blocks import DayBlocks, cut_phase

    spd = grid.slots_per_day
    if len(sessions) == 0:
        return np.zeros(grid.n_slots), np.zeros(grid.n_slots)
    blocks = DayBlocks(grid, cut_phase(sessions, grid))
    block, clipped = blocks.assign(sessions)
    base = blocks.by_block(base_kw)
    net = np.zeros_like(base)
    given = np.zeros_like(base)
    order = np.argsort(block, kind="stable")
    bounds = np.searchsorted(block[order], np.arange(blocks.n_blocks + 1))
    for k in range(blocks.n_blocks):  # one strategy call per day block, as solve_by_blocks
        rows = order[bounds[k] : bounds[k + 1]]
        if rows.size == 0:
            continue
        start = blocks.origin + k * spd
        day0 = start - start % spd
        at = start - day0
        sub = TimeGrid(slot_min=grid.slot_min, n_days=-(-(at + spd) // spd))
        sub_base = np.zeros(sub.n_slots)
        sub_base[at : at + spd] = base[k]
        part = clipped.take(rows).shifted(-day0 * grid.slot_h)
        out = schedule(part, strategy, grid=sub, base_kw=sub_base, per_session=True, **options)
        net[k] = out.charging_kw[at : at + spd]
        discharge = getattr(out, "discharge_kw", None)
        if discharge is not None:
            given[k] = discharge[at : at + spd]
    lead = -blocks.origin
    return (
        net.reshape(-1)[lead : lead + grid.n_slots],
        given.reshape(-1)[lead : lead + grid.n_slots],
    )


@dataclass(frozen=True, eq=False)
class V2GValue:
    """What V2G adds at one site (module docstring).

    Parameters
    ----------
    site_name, n_cars, v2g_cars, days
        The site, its electric cars, those with a V2G pile, the Monte Carlo days [-, day].
    peak_orderly_kw, peak_v2g_kw
        95th percentile of the daily total peaks, valley filling and V2G [kW].
    headroom_orderly_kw, headroom_v2g_kw
        The limit (loading limit × power factor × rating) less those peaks [kW].
    discharged_kwh_per_day
        Energy the V2G cars give to the grid per evaluated day [kWh].
    discharge_capacity_kw
        Installed discharging power of the V2G piles [kW].
    valley_share
        Share of the charging energy taken in the tariff's valley hours, with V2G [-].
    wear_yuan_per_year
        Battery-wear cost of a year's discharge [yuan].
    hosting
        Time-series hosting capacity ``{"orderly": {p50, p95}, "v2g_bound": {p50, p95}}`` (largest
        pile ratio [-]), or None when not computed.
    hour_h, base_kw, orderly_kw, v2g_kw
        Typical day: slot starts, regular load, charging under valley filling and with V2G [h,
        kW].
    v2g_charging_kw, discharge_kw
        Typical day of the V2G cars: their charging (>= 0) and the power they give to the grid
        (>= 0) [kW].
    money
        What V2G earns over a year at the tariff and who gets it
        (:func:`~evgrid.incentives.flows.v2g_money`).
    """

    site_name: str
    n_cars: int
    v2g_cars: int
    days: int
    peak_orderly_kw: float
    peak_v2g_kw: float
    headroom_orderly_kw: float
    headroom_v2g_kw: float
    discharged_kwh_per_day: float
    discharge_capacity_kw: float
    valley_share: float
    wear_yuan_per_year: float
    hosting: dict[str, dict[str, float]] | None
    hour_h: FloatArray
    base_kw: FloatArray
    orderly_kw: FloatArray
    v2g_kw: FloatArray
    v2g_charging_kw: FloatArray | None = None
    discharge_kw: FloatArray | None = None
    money: V2GMoney | None = None

    @property
    def pilot(self) -> dict[str, Any]:
        """The check against the 2024 national V2G pilot notice (:func:`pilot_check`)."""
        return pilot_check(
            self.valley_share,
            self.discharge_capacity_kw,
            self.discharged_kwh_per_day * parameter("days_per_year").value,
        )

    def to_dict(self, *, curves: bool = False) -> dict[str, Any]:
        """Plain form for JSON and reports."""
        out: dict[str, Any] = {
            "site": self.site_name,
            "n_cars": self.n_cars,
            "v2g_cars": self.v2g_cars,
            "days": self.days,
            "peak_orderly_kw": self.peak_orderly_kw,
            "peak_v2g_kw": self.peak_v2g_kw,
            "headroom_orderly_kw": self.headroom_orderly_kw,
            "headroom_v2g_kw": self.headroom_v2g_kw,
            "headroom_added_kw": self.headroom_v2g_kw - self.headroom_orderly_kw,
            "discharged_kwh_per_day": self.discharged_kwh_per_day,
            "discharge_capacity_kw": self.discharge_capacity_kw,
            "valley_share": self.valley_share,
            "wear_yuan_per_year": self.wear_yuan_per_year,
            "hosting": self.hosting,
            "pilot": self.pilot,
            "money": None if self.money is None else self.money.to_dict(),
        }
        if curves:
            out["curves"] = {
                "hour_h": self.hour_h.tolist(),
                "base_kw": self.base_kw.tolist(),
                "orderly_kw": self.orderly_kw.tolist(),
                "v2g_kw": self.v2g_kw.tolist(),
                "v2g_charging_kw": _listed(self.v2g_charging_kw),
                "discharge_kw": _listed(self.discharge_kw),
            }
        return out


def _listed(values: FloatArray | None) -> list[float] | None:
    return None if values is None else values.tolist()


def pilot_check(
    valley_share: float, discharge_capacity_kw: float, discharged_kwh_per_year: float
) -> dict[str, Any]:
    """A site against the 2024 national V2G pilot notice's numbers (module docstring).

    Parameters
    ----------
    valley_share
        Share of a year's charging energy in valley hours [-].
    discharge_capacity_kw
        Installed discharging power of the V2G project [kW].
    discharged_kwh_per_year
        Energy it gives to the grid in a year [kWh].

    Returns
    -------
    dict
        ``notice`` (its title and issuers) and one entry per criterion with ``value``,
        ``threshold`` and ``met``.
    """
    area = parameter("v2g_pilot_valley_share_area").value
    private = parameter("v2g_pilot_valley_share_private").value
    power = parameter("v2g_pilot_discharge_kw").value
    energy = parameter("v2g_pilot_discharge_kwh_per_year").value

    def item(value: float, threshold: float) -> dict[str, Any]:
        return {"value": value, "threshold": threshold, "met": bool(value >= threshold - 1e-12)}

    return {
        "notice": PILOT_NOTICE,
        "valley_share_area": item(valley_share, area),
        "valley_share_private_piles": item(valley_share, private),
        "discharge_capacity_kw": item(discharge_capacity_kw, power),
        "discharged_kwh_per_year": item(discharged_kwh_per_year, energy),
    }


PILOT_NOTICE = (
    "NDRC, National Energy Administration, MIIT and SAMR: notice on promoting large-scale pilots "
    "of vehicle-grid interaction (关于推动车网互动规模化应用试点工作的通知), 2024-09-10"
)
"""The notice :func:`pilot_check` checks against."""


def _valley_share(grid: TimeGrid, load_kw: FloatArray, eval_slots: slice, tariff: Any) -> float:
    """Share of the charging energy (charging only, not the discharge) in the valley band."""
    from evgrid.incentives.tariffs import BANDS, load_tariff

    t = load_tariff(tariff)
    shares = np.zeros(grid.n_slots)
    weights = t.month_weights()
    for season, w in zip(t.seasons, weights, strict=True):
        cheapest = int(np.nanargmin(season.band_totals()))
        shares += w * season.band_shares(grid)[:, cheapest]
    del BANDS
    energy = np.maximum(load_kw, 0.0)[eval_slots]
    total = float(energy.sum())
    return float((energy * shares[eval_slots]).sum() / total) if total > 0 else 0.0


def v2g_value(
    site: Any,
    *,
    ev_share: float | None = None,
    v2g_share: float | None = None,
    days: int | None = None,
    rng: np.random.Generator | int | None = None,
    behaviour: Any = None,
    tariff: Any = "chengdu-2023",
    hosting: bool = True,
    extra_kw: FloatArray | None = None,
    fleet: Fleet | None = None,
    owner_share: float | None = None,
    **v2g_options: Any,
) -> V2GValue:
    """What V2G adds at a site (module docstring).

    Parameters
    ----------
    site
        A residential community (or an office park).
    ev_share
        Share of parking spaces with an electric car and a pile [-]; default the 2025 medium
        share.
    v2g_share
        Share of those piles that are bidirectional [-]; default the parameter ``v2g_share``.
    days, rng, behaviour
        As :func:`~evgrid.incentives.fleet.site_fleet`.
    tariff
        The tariff whose valley band the pilot's valley share is read in; default
        ``chengdu-2023`` (valley 23:00–07:00).
    hosting
        Also run the time-series hosting capacity (valley filling and the lossless V2G bound).
    extra_kw
        Other load on the transformer over the fleet's horizon ``(n_slots,)`` [kW] (a hub on the
        community's transformer); charging fills around it.
    fleet
        Cars already sampled (then ``ev_share``, ``days``, ``rng``, ``behaviour`` are unused).
    owner_share
        Share of V2G's margin the aggregator pays the owners [-]; default ``v2g_owner_share``
        (:func:`~evgrid.incentives.flows.v2g_money`, priced at ``tariff``).
    **v2g_options
        Options of the V2G strategy (:func:`evgrid.charging.v2g.v2g`).
    """
    share = parameter("v2g_share").resolve(v2g_share, "v2g_share")
    f = fleet or site_fleet(site, ev_share=ev_share, days=days, rng=rng, behaviour=behaviour)
    grid = f.grid
    base = f.base_kw + (0.0 if extra_kw is None else np.asarray(extra_kw, dtype=np.float64))
    n_v2g = int(np.floor(share * f.n_cars + 0.5))
    joins = f.rank[f.sessions.vehicle] < n_v2g
    orderly, _ = _by_blocks(f.sessions, grid, base, "valley-filling")
    others, _ = _by_blocks(f.sessions.take(~joins), grid, base, "valley-filling")
    bidirectional, given = _by_blocks(f.sessions.take(joins), grid, base + others, "v2g",
                                      **v2g_options)  # fmt: skip
    without, _ = _by_blocks(f.sessions.take(joins), grid, base + others, "valley-filling")
    with_v2g = others + bidirectional
    limit_kw = (
        parameter("loading_limit_pu").value * float(site.power_factor) * float(site.transformer_kva)
    )

    def p95(load: FloatArray) -> float:
        return float(np.percentile(f.daily_peaks(base + load), 95))

    spd = grid.slots_per_day
    discharged_day = float(grid.energy_kwh(given[f.eval_slots]).sum()) / f.n_days
    wear = parameter("v2g_wear_yuan_per_kwh").resolve(v2g_options.get("wear_yuan_per_kwh"))
    capacity = n_v2g * float(v2g_options.get("discharge_kw", parameter("v2g_discharge_kw").value))
    host = _hosting(site, f, v2g_options) if hosting else None
    return V2GValue(
        site_name=f.site_name,
        n_cars=f.n_cars,
        v2g_cars=n_v2g,
        days=f.n_days,
        peak_orderly_kw=p95(orderly),
        peak_v2g_kw=p95(with_v2g),
        headroom_orderly_kw=limit_kw - p95(orderly),
        headroom_v2g_kw=limit_kw - p95(with_v2g),
        discharged_kwh_per_day=discharged_day,
        discharge_capacity_kw=capacity,
        valley_share=_valley_share(grid, with_v2g, f.eval_slots, tariff),
        wear_yuan_per_year=float(wear) * discharged_day * parameter("days_per_year").value,
        hosting=host,
        hour_h=grid.starts_h[:spd].copy(),
        base_kw=f.typical_day(base),
        orderly_kw=f.typical_day(orderly),
        v2g_kw=f.typical_day(with_v2g),
        v2g_charging_kw=f.typical_day(bidirectional + given),
        discharge_kw=f.typical_day(given),
        money=v2g_money(
            grid,
            f.eval_slots,
            tariff,
            charging_kw=bidirectional + given,
            discharge_kw=given,
            without_kw=without,
            wear_yuan_per_kwh=v2g_options.get("wear_yuan_per_kwh"),
            owner_share=owner_share,
        ),
    )


def _hosting(site: Any, f: Fleet, v2g_options: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Largest pile ratio (time series, the fleet's days and seed): valley filling and the
    lossless V2G bound [-]."""
    from evgrid.planning.hosting import hosting

    opts: dict[str, Any] = {"method": "timeseries", "days": f.n_days, "rng": f.seed % 2**32}
    out = {}
    for key, strategy, extra in (
        ("orderly", "valley-filling", {}),
        ("v2g_bound", "v2g", {**LOSSLESS, **{k: v for k, v in v2g_options.items()
                                             if k == "discharge_kw"}}),
    ):  # fmt: skip
        r = hosting(site, strategy=strategy, network=False, **opts, **extra)
        out[key] = {"p50": r.max_pile_ratio_p50, "p95": r.max_pile_ratio_p95}
    return out


def v2g_deferral(
    site: Any,
    *,
    scenario: Any = None,
    years: Any = None,
    days: int | None = None,
    rng: np.random.Generator | int | None = None,
    extra_kw_by_year: dict[int, FloatArray] | None = None,
    **options: Any,
) -> dict[str, Any]:
    """The first year the transformer's P95 peak passes its limit, with and without V2G.

    Parameters
    ----------
    site
        The site.
    scenario, years
        EV-growth scenario (default the parameter ``scenario``) and its years.
    days, rng
        Monte Carlo days and seed (the same each year).
    extra_kw_by_year
        Other load on the transformer by year (a hub's), over the fleet's horizon [kW].
    **options
        As :func:`v2g_value` (``v2g_share`` and the V2G options).

    Returns
    -------
    dict
        ``years``, per year ``ev_share``, ``peak_orderly_kw``, ``peak_v2g_kw``,
        ``loading_orderly_pu``, ``loading_v2g_pu``; ``upgrade_year_orderly``,
        ``upgrade_year_v2g`` (None if none within the years) and ``deferral_years`` (None when
        neither needs one; a lower bound when only valley filling does).
    """
    from evgrid.planning.scenarios import Scenario, load_scenario

    sc = (
        scenario
        if isinstance(scenario, Scenario)
        else load_scenario(scenario or parameter("scenario").value)
    )
    chosen = list(sc.years) if years is None else [int(y) for y in years]
    rating = float(site.power_factor) * float(site.transformer_kva)
    limit = parameter("loading_limit_pu").value
    rows = []
    for year, share in zip(chosen, sc.ev_share_at(np.array(chosen)), strict=True):
        extra = None if extra_kw_by_year is None else extra_kw_by_year.get(int(year))
        if round(float(share) * int(site.parking_spaces)) < 1:
            continue
        v = v2g_value(site, ev_share=float(share), days=days, rng=rng, hosting=False,
                      extra_kw=extra, **options)  # fmt: skip
        rows.append(
            {
                "year": int(year),
                "ev_share": float(share),
                "peak_orderly_kw": v.peak_orderly_kw,
                "peak_v2g_kw": v.peak_v2g_kw,
                "loading_orderly_pu": v.peak_orderly_kw / rating,
                "loading_v2g_pu": v.peak_v2g_kw / rating,
            }
        )

    def first(key: str) -> int | None:
        return next((int(r["year"]) for r in rows if r[key] > limit * (1 + 1e-9)), None)

    a, b = first("loading_orderly_pu"), first("loading_v2g_pu")
    deferral = None if a is None else (b if b is not None else chosen[-1] + 1) - a
    return {
        "scenario": sc.name,
        "years": rows,
        "limit_pu": limit,
        "upgrade_year_orderly": a,
        "upgrade_year_v2g": b,
        "deferral_years": deferral,
        "deferral_is_lower_bound": a is not None and b is None,
    }
