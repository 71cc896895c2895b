"""A lever over a whole city: the spread sweep run on the city batch.

For each spread the response curve gives the share of owners who move to the valley; that share
becomes the orderly participation of the scenario in every year (:func:`~evgrid.incentives.
deferral.lever_scenario`), and the city batch (:func:`evgrid.city.run.run_city`, strategies
``uncontrolled`` and ``partial``) runs every site of the table through the scenario's years —
once per distinct share, each run in its own folder under ``OUT/runs/``, resumable as any city
run. From each run evgrid reads

* the city's evening peak (20:00–21:00, the communities: report section 3.1) by year, without
  the lever (``uncontrolled``) and with it (``partial``);
* the upgrades by the last year, what the lever avoids and defers (years, and the present value
  saved when a cost per kVA or a cost table is given) — the city batch's upgrade timeline;
* the communities' piles by year, from which the owners' money and the carbon credits follow
  as in the planning-index model: each pile's car charges its daily energy (report 3.2: 9 kWh,
  ÷ the charger efficiency at the grid) at the evening peak if uncontrolled and in the night
  valley (23:00–07:00, report 3.1) if it responds, at the tariff's price of those hours.

Office parks run in the batch but take no part in the money: the report's tariff is a
residential one, and the index model adds an office's charging at its daytime peak whatever the
strategy. With the time-series method the batch's ``partial`` participants are valley-filled
(an aggregator's response), not TOU-delayed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from evgrid.errors import bad_value
from evgrid.incentives.carbon import CarbonMethod, load_carbon
from evgrid.incentives.deferral import DEFAULT_SCENARIO, lever_scenario
from evgrid.incentives.pricing import (
    band_prices,
    move_tariff,
    ndrc_ratio,
    peak_valley_ratio,
    tariff_warnings,
)
from evgrid.incentives.response import ResponseCurve, load_response
from evgrid.incentives.sweep import spread_grid
from evgrid.incentives.tariffs import Tariff, load_tariff
from evgrid.params import parameter
from evgrid.timegrid import FloatArray, TimeGrid

RUNS = "runs"
"""Folder of the city runs (one per distinct share) inside the output folder."""
EVENING_H = (20.0, 21.0)
"""The residential evening peak hour of the planning-index model (report section 3.1) [h]."""


def _hours_mean(tariff: Tariff, hours: tuple[float, float], per_band: Any) -> float:
    """Season-weighted mean over ``[start, end)`` hours of a per-band quantity (wraps midnight)."""
    grid = TimeGrid(slot_min=1.0, n_days=1)
    minute = grid.starts_h
    start, end = hours
    inside = (
        (minute >= start) & (minute < end) if end > start else (minute >= start) | (minute < end)
    )
    total = 0.0
    for season, weight in zip(tariff.seasons, tariff.month_weights(), strict=True):
        shares = season.band_shares(grid)[inside].mean(axis=0)
        total += weight * float(shares @ np.nan_to_num(per_band(season)))
    return total


@dataclass(frozen=True, eq=False)
class CitySweep:
    """What each spread of a sweep buys over a city.

    Parameters
    ----------
    sites, out
        The site table and the output folder.
    tariff, response, carbon
        What was swept.
    scenario, method
        The scenario's name and the city batch's tier.
    years, year
        The scenario's years and the year the best spread is read in [year].
    spreads, shares
        The spreads [yuan/kWh] and the owners who respond [-], ``(k,)``.
    n_sites, n_errors
        Good sites and refused rows of the table [-].
    evening_before_kw, evening_kw
        The communities' summed evening load by year without and with the lever, ``(n_years,)``
        and ``(k, n_years)`` [kW].
    energy_kwh
        Energy the communities' cars charge in a year, by scenario year ``(n_years,)`` [kWh].
    saving_yuan
        Owners' saving over a year, ``(k, n_years)`` [yuan].
    carbon_before_kg, carbon_kg
        Carbon credited over a year, ``(n_years,)`` and ``(k, n_years)`` [kg CO2].
    upgrades_before, upgrades
        Sites upgraded by the last year, without and with the lever [-].
    mean_deferral_years
        Mean deferral of the upgrades, ``(k,)`` [year].
    pv_saved_yuan
        Present value of the upgrade cost deferred, ``(k,)`` [yuan]; NaN without a cost.
    runs
        Folder of each spread's city run.
    moved
        The tariff at each spread (:func:`~evgrid.incentives.pricing.move_tariff`).
    """

    sites: str
    out: str
    tariff: Tariff
    response: ResponseCurve
    carbon: CarbonMethod
    scenario: str
    method: str
    years: tuple[int, ...]
    year: int
    spreads: FloatArray
    shares: FloatArray
    n_sites: int
    n_errors: int
    evening_before_kw: FloatArray
    evening_kw: FloatArray
    energy_kwh: FloatArray
    saving_yuan: FloatArray
    carbon_before_kg: FloatArray
    carbon_kg: FloatArray
    upgrades_before: int
    upgrades: npt.NDArray[np.int64]
    mean_deferral_years: FloatArray
    pv_saved_yuan: FloatArray
    runs: tuple[str, ...]
    moved: tuple[Tariff, ...] = ()

    @property
    def warnings(self) -> list[str]:
        """The tariff's NDRC warnings and the rows below the rule."""
        out = tariff_warnings(self.tariff)
        rule = ndrc_ratio()
        below = [float(x) for x, t in zip(self.spreads, self.moved, strict=False)
                 if peak_valley_ratio(t) + 1e-9 < rule]  # fmt: skip
        if below and self.moved:
            shown = ", ".join(f"{x:g}" for x in below)
            out.append(
                f"{len(below)} of {len(self.moved)} spreads ({shown} yuan/kWh) have a "
                f"peak:valley energy price below the NDRC rule of at least {rule:g}:1"
            )
        return out

    @property
    def _at(self) -> int:
        return self.years.index(self.year)

    @property
    def peak_reduction_kw(self) -> FloatArray:
        """Evening-peak reduction in the answer's year ``(k,)`` [kW]."""
        return self.evening_before_kw[self._at] - self.evening_kw[:, self._at]

    @property
    def saving_at_yuan(self) -> FloatArray:
        """Owners' saving in the answer's year ``(k,)`` [yuan/year]."""
        return self.saving_yuan[:, self._at]

    @property
    def marginal_cost_yuan_per_kw(self) -> FloatArray:
        """``Δsaving / Δreduction`` from the previous spread, answer's year ``(k,)``
        [yuan/year per kW]; NaN where the peak does not fall."""
        dr = np.diff(self.peak_reduction_kw, prepend=np.nan)
        ds = np.diff(self.saving_at_yuan, prepend=np.nan)
        ok = np.isfinite(dr) & (dr > 1e-9)
        return np.divide(ds, dr, out=np.full(dr.shape, np.nan), where=ok)

    @property
    def average_cost_yuan_per_kw(self) -> FloatArray:
        """Saving per kW of peak reduction in the answer's year ``(k,)`` [yuan/year per kW]."""
        r = self.peak_reduction_kw
        return np.divide(self.saving_at_yuan, r, out=np.full(r.shape, np.nan), where=r > 1e-9)

    @property
    def best_marginal_spread(self) -> float | None:
        """The spread whose step bought peak reduction cheapest [yuan/kWh], or None."""
        mc = self.marginal_cost_yuan_per_kw
        return None if np.all(np.isnan(mc)) else float(self.spreads[int(np.nanargmin(mc))])

    @property
    def best_average_spread(self) -> float | None:
        """The spread with the least saving per kW of peak reduction [yuan/kWh], or None."""
        ac = self.average_cost_yuan_per_kw
        return None if np.all(np.isnan(ac)) else float(self.spreads[int(np.nanargmin(ac))])

    def to_dict(self) -> dict[str, Any]:
        """The one JSON shape of a city sweep (CLI ``--json``, the HTML page)."""

        def plain(v: Any) -> Any:
            v = float(v)
            return v if np.isfinite(v) else None

        rows = []
        for k, spread in enumerate(self.spreads.tolist()):
            rows.append(
                {
                    "spread_yuan_per_kwh": spread,
                    "share": plain(self.shares[k]),
                    "evening_peak_kw": plain(self.evening_kw[k, self._at]),
                    "peak_reduction_kw": plain(self.peak_reduction_kw[k]),
                    "saving_yuan_per_year": plain(self.saving_at_yuan[k]),
                    "average_cost_yuan_per_kw": plain(self.average_cost_yuan_per_kw[k]),
                    "marginal_cost_yuan_per_kw": plain(self.marginal_cost_yuan_per_kw[k]),
                    "carbon_credited_t": plain(self.carbon_kg[k, self._at] / 1000),
                    "upgrades": int(self.upgrades[k]),
                    "upgrades_avoided": int(self.upgrades_before - self.upgrades[k]),
                    "mean_deferral_years": plain(self.mean_deferral_years[k]),
                    "pv_saved_yuan": plain(self.pv_saved_yuan[k]),
                    "run": self.runs[k],
                    **(
                        {
                            "valley_price_yuan_per_kwh": band_prices(self.moved[k])["valley_price"],
                            "valley_energy_yuan_per_kwh": band_prices(self.moved[k])[
                                "valley_energy"
                            ],
                            "peak_valley_ratio": plain(peak_valley_ratio(self.moved[k])),
                        }
                        if self.moved
                        else {}
                    ),
                }
            )
        return {
            "sites": self.sites,
            "n_sites": self.n_sites,
            "n_errors": self.n_errors,
            "tariff": self.tariff.name,
            "warnings": self.warnings,
            "response": self.response.to_dict(),
            "scenario": self.scenario,
            "method": self.method,
            "years": list(self.years),
            "year": self.year,
            "evening_peak_before_kw": plain(self.evening_before_kw[self._at]),
            "energy_kwh_per_year": plain(self.energy_kwh[self._at]),
            "carbon_before_t": plain(self.carbon_before_kg[self._at] / 1000),
            "upgrades_before": self.upgrades_before,
            "rows": rows,
            "best_marginal_spread_yuan_per_kwh": self.best_marginal_spread,
            "best_average_spread_yuan_per_kwh": self.best_average_spread,
            "report_spread_yuan_per_kwh": parameter("report_tariff_spread_yuan_per_kwh").value,
        }


CITY_ROW_KEYS = (
    "spread_yuan_per_kwh",
    "share",
    "evening_peak_kw",
    "peak_reduction_kw",
    "saving_yuan_per_year",
    "average_cost_yuan_per_kw",
    "marginal_cost_yuan_per_kw",
    "carbon_credited_t",
    "upgrades",
    "upgrades_avoided",
    "mean_deferral_years",
    "pv_saved_yuan",
)
"""Columns of a city sweep's ``sweep.csv``."""


def city_sweep(
    sites: str | Path,
    out: str | Path,
    spreads: npt.ArrayLike | None = None,
    *,
    tariff: Any = None,
    response: Any = None,
    carbon: Any = None,
    scenario: Any = None,
    method: str = "index",
    cost: Any = None,
    discount_rate: float | None = None,
    days: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    year: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> CitySweep:
    """Sweep a tariff's spread over every site of a city on the city batch (module docstring).

    Parameters
    ----------
    sites
        The site table (CSV, Excel or Parquet; :func:`evgrid.city.sites.read_sites`).
    out
        Output folder: the city runs go to ``OUT/runs/share-S/`` (resumable).
    spreads
        Spreads, increasing [yuan/kWh]; default 0 to 1 in 0.05 (:func:`spread_grid`).
    tariff, response, carbon
        As :func:`~evgrid.incentives.economics.evaluate_lever`.
    scenario
        EV-growth scenario (name, file or object); default ``medium``.
    method
        The city batch's tier: ``index`` or ``timeseries``.
    cost, discount_rate, days, seed, workers
        The city batch's cost model (:class:`~evgrid.planning.upgrade.CostModel`), discount
        rate [-], time-series days [day] and seed, and local processes [-].
    year
        The scenario year in which the best spread is read [year]; default its first year.
    progress
        Called with (city runs done, city runs) as the runs finish.

    Raises
    ------
    InputError
        Bad spreads, tariff, response, scenario, options or table (one line).
    """
    from evgrid.city.run import run_city
    from evgrid.city.settings import CitySettings
    from evgrid.planning.scenarios import Scenario, load_scenario
    from evgrid.planning.upgrade import CostModel

    tariff = load_tariff(tariff)
    response = load_response(response)
    carbon = load_carbon(carbon)
    s = spread_grid() if spreads is None else np.asarray(spreads, dtype=np.float64).reshape(-1)
    if s.size == 0 or np.any(np.diff(s) <= 0) or not np.all(np.isfinite(s)):
        raise bad_value("spreads", s.tolist(), "increasing spreads [yuan/kWh]")
    moved = [move_tariff(tariff, float(x)) for x in s]  # within the energy-price floor
    base = (
        scenario if isinstance(scenario, Scenario) else load_scenario(scenario or DEFAULT_SCENARIO)
    )
    chosen_year = base.years[0] if year is None else year
    if chosen_year not in base.years:
        raise bad_value("year", chosen_year, "one of the scenario's years " + str(list(base.years)))
    shares = np.asarray(response.share(s), dtype=np.float64).reshape(-1)
    distinct = list(dict.fromkeys(shares.tolist()))
    folder = Path(out)
    runs: dict[float, Any] = {}
    for i, share in enumerate(distinct):
        first_spread = float(s[shares.tolist().index(share)])
        options: dict[str, Any] = {"days": days, "seed": seed, "discount_rate": discount_rate}
        settings = CitySettings(
            lever_scenario(base, share, first_spread),
            method=method,
            strategies=("uncontrolled", "partial"),
            cost=cost or CostModel(),
            **options,
        )
        runs[share] = run_city(
            sites, settings, folder / RUNS / f"share-{share:.6f}", workers=workers
        )
        if progress is not None:
            progress(i + 1, len(distinct))
    years = tuple(base.years)
    first = runs[distinct[0]]
    piles = _community_piles(first.out, years)
    e_pile = _pile_kwh_per_day()
    energy = piles * e_pile * parameter("days_per_year").value
    evening_before = _evening(first.summary, "uncontrolled", years)
    carbon_before = energy * carbon.reduction_kg_per_kwh * _band_weight(moved[0], carbon, "evening")
    evening = np.array([_evening(runs[r].summary, "partial", years) for r in shares.tolist()])
    saving = np.empty((s.size, len(years)))
    credited = np.empty((s.size, len(years)))
    for k, (t, r) in enumerate(zip(moved, shares.tolist(), strict=True)):
        ref = float(
            np.dot(tariff.month_weights(), [tariff.reference(i) for i in range(len(t.seasons))])
        )
        evening_price = _hours_mean(t, EVENING_H, lambda z: z.band_totals())
        valley_price = _hours_mean(t, _valley_h(), lambda z: z.band_totals())
        saving[k] = energy * (ref - ((1 - r) * evening_price + r * valley_price))
        w = (1 - r) * _band_weight(t, carbon, "evening") + r * _band_weight(t, carbon, "valley")
        credited[k] = energy * carbon.reduction_kg_per_kwh * w
    saves = [runs[r].summary["orderly_saves"].get("partial", {}) for r in shares.tolist()]
    totals = [runs[r].summary["totals"] for r in shares.tolist()]
    return CitySweep(
        sites=str(sites),
        out=str(folder),
        tariff=tariff,
        response=response,
        carbon=carbon,
        scenario=base.name,
        method=method,
        years=years,
        year=int(chosen_year),
        spreads=s,
        shares=shares,
        n_sites=int(first.n_sites),
        n_errors=int(first.n_errors),
        evening_before_kw=evening_before,
        evening_kw=evening,
        energy_kwh=energy,
        saving_yuan=saving,
        carbon_before_kg=carbon_before,
        carbon_kg=credited,
        upgrades_before=int(totals[0]["uncontrolled"]["upgrades"]),
        upgrades=np.array([t["partial"]["upgrades"] for t in totals], dtype=np.int64),
        mean_deferral_years=np.array([_num(x.get("mean_deferral_years")) for x in saves]),
        pv_saved_yuan=np.array([_num(x.get("pv_saved_yuan")) for x in saves]),
        runs=tuple(str(runs[r].out) for r in shares.tolist()),
        moved=tuple(moved),
    )


def _num(x: Any) -> float:
    return float("nan") if x is None else float(x)


def _valley_h() -> tuple[float, float]:
    return parameter("valley_start_h").value, parameter("valley_end_h").value


def _band_weight(tariff: Tariff, carbon: CarbonMethod, when: str) -> float:
    hours = EVENING_H if when == "evening" else _valley_h()
    weights = carbon.band_weights()
    return _hours_mean(tariff, hours, lambda _season: weights)


def _pile_kwh_per_day() -> float:
    """Grid-side energy a pile's car charges a day in the index model [kWh] (report 3.2)."""
    from evgrid.planning.assumptions import ResidentialAssumptions

    a = ResidentialAssumptions()
    return a.daily_energy_kwh / a.charger_efficiency * a.charging_share


def _evening(summary: dict[str, Any], strategy: str, years: tuple[int, ...]) -> FloatArray:
    by_year = summary["evening_peak_kw"].get(strategy, {})
    return np.array([_num(by_year.get(str(y))) for y in years])


def _community_piles(run_folder: Path, years: tuple[int, ...]) -> FloatArray:
    """The communities' piles by scenario year, from a city run's results [-]."""
    import pyarrow.compute as pc

    from evgrid.io import read_parquet_table

    table = read_parquet_table(
        run_folder / "results.parquet", columns=["strategy", "kind", "year", "piles"]
    )
    keep = pc.and_(
        pc.equal(table["strategy"], "uncontrolled"), pc.equal(table["kind"], "residential")
    )
    part = table.filter(keep)
    year = np.asarray(part["year"].to_numpy(zero_copy_only=False), dtype=np.int64)
    piles = np.asarray(part["piles"].to_numpy(zero_copy_only=False), dtype=np.float64)
    return np.array([piles[year == y].sum() for y in years])
