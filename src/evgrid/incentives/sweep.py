"""A sweep over peak–valley spreads: what each spread buys and which spread buys it cheapest.

For each spread ``s`` of a sweep (default 0, 0.05, ..., 1 yuan/kWh), the tariff is moved to that
spread (its dearest price kept, :meth:`~evgrid.incentives.tariffs.Tariff.with_spread`), the
response curve gives the share of owners who move to the valley, and the same cars as at every
other spread charge (the owners' order of willingness is fixed, so a wider spread only adds
responders). For each spread evgrid reports

* the owners' saving over a year against the reference price [yuan/year] — what the lever costs
  whoever offers it;
* the reduction of the site's total (regular + charging) typical-day peak against spread 0
  [kW];
* the **average cost** ``saving / reduction`` [yuan/year per kW] (its inverse is the peak
  reduction per yuan of owners' saving);
* the **marginal cost** of the step from the previous spread, ``Δsaving / Δreduction``
  [yuan/year per kW] — what the last widening of the spread paid for each extra kW;
* the index tier's largest pile ratio with the responders as its orderly share [-].

The spread with the best marginal cost is the one whose step bought peak reduction cheapest;
the report's pilot found 0.3 yuan/kWh (report section 6). With the dead-zone / linear /
saturation response, a step's marginal cost is lowest just past the dead zone (each later step
pays the wider spread on every kWh already in the valley), so which spread evgrid finds depends
mostly on the dead zone (``docs/incentives.md``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from evgrid.errors import bad_value
from evgrid.incentives.economics import owners_money, year_total
from evgrid.incentives.fleet import Fleet, responder_loads, site_fleet
from evgrid.incentives.response import (
    ResponseCurve,
    load_response,
    responder_count,
    response_strategy,
)
from evgrid.incentives.tariffs import Tariff, load_tariff
from evgrid.params import parameter
from evgrid.timegrid import FloatArray

MAX_SPREADS = 1001
"""Most spreads in one sweep [-] (a guard against a mistyped step)."""


def spread_grid(
    start: float = 0.0, stop: float | None = None, step: float | None = None, where: str = "sweep"
) -> FloatArray:
    """Spreads ``start, start + step, ..., stop`` (``stop`` included) [yuan/kWh].

    Defaults: 0 to the parameter ``sweep_spread_max_yuan_per_kwh`` (1) in steps of
    ``sweep_spread_step_yuan_per_kwh`` (0.05): 21 spreads.
    """
    stop = parameter("sweep_spread_max_yuan_per_kwh").resolve(stop, f"{where} stop")
    step = parameter("sweep_spread_step_yuan_per_kwh").resolve(step, f"{where} step")
    start = parameter("sweep_spread_max_yuan_per_kwh").check(start, f"{where} start")
    if stop < start:
        raise bad_value(f"{where} stop", stop, f"a spread >= the start {start:g} [yuan/kWh]")
    n = int(np.floor((stop - start) / step + 1e-9)) + 1
    if n > MAX_SPREADS:
        raise bad_value(f"{where} step", step, f"a step giving at most {MAX_SPREADS} spreads")
    return np.round(start + step * np.arange(n), 10)


def parse_sweep(text: str, where: str = "sweep") -> FloatArray:
    """Spreads from ``"spread=START:STOP:STEP"`` (or ``"spread=START:STOP"``) [yuan/kWh].

    Raises
    ------
    InputError
        Another form, another quantity than ``spread``, or numbers outside their ranges.
    """
    allowed = "spread=START:STOP:STEP in yuan/kWh, e.g. spread=0:1:0.05"
    name, sep, rest = str(text).partition("=")
    parts = rest.split(":")
    if not sep or name.strip() != "spread" or len(parts) not in (2, 3):
        raise bad_value(where, text, allowed)
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        raise bad_value(where, text, allowed) from None
    start, stop = numbers[0], numbers[1]
    step = numbers[2] if len(numbers) == 3 else None
    for label, number in (("start", start), ("stop", stop), ("step", step)):
        if number is not None and not np.isfinite(number):
            raise bad_value(f"{where} {label}", number, allowed)
    return spread_grid(start, stop, step, where=where)


@dataclass(frozen=True, eq=False)
class SweepResult:
    """What each spread of a sweep buys at one site.

    Parameters
    ----------
    site_name, tariff, response, strategy
        What was swept: the tariff at spread ``s`` is ``tariff.with_spread(s)``.
    n_cars, days
        Cars [-] and Monte Carlo days [day].
    spreads
        The spreads, increasing, ``(k,)`` [yuan/kWh].
    shares, responders
        Owners who respond ``(k,)`` [-].
    charging_peak_kw, total_peak_kw, total_peak_p95_kw
        Typical-day charging and total peaks and the P95 of the daily total peaks ``(k,)``
        [kW].
    peak_before_kw
        Typical-day total peak without the lever (spread 0: no response) [kW].
    saving_yuan
        Owners' saving over a year ``(k,)`` [yuan/year].
    index_max_pile_ratio
        Index tier: largest pile ratio with the responders as the orderly share ``(k,)`` [-].
    """

    site_name: str
    tariff: Tariff
    response: ResponseCurve
    strategy: str
    n_cars: int
    days: int
    spreads: FloatArray
    shares: FloatArray
    responders: npt.NDArray[np.int64]
    charging_peak_kw: FloatArray
    total_peak_kw: FloatArray
    total_peak_p95_kw: FloatArray
    peak_before_kw: float
    saving_yuan: FloatArray
    index_max_pile_ratio: FloatArray

    @property
    def peak_reduction_kw(self) -> FloatArray:
        """Total typical-day peak reduction against no lever ``(k,)`` [kW]."""
        return self.peak_before_kw - self.total_peak_kw

    @property
    def average_cost_yuan_per_kw(self) -> FloatArray:
        """Owners' saving per kW of peak reduction ``(k,)`` [yuan/year per kW]; NaN where the
        peak does not fall."""
        r = self.peak_reduction_kw
        return np.divide(self.saving_yuan, r, out=np.full(r.shape, np.nan), where=r > 1e-9)

    @property
    def reduction_kw_per_yuan(self) -> FloatArray:
        """Peak reduction per yuan of owners' saving over a year ``(k,)`` [kW per yuan/year];
        NaN where nothing is saved."""
        s = self.saving_yuan
        return np.divide(self.peak_reduction_kw, s, out=np.full(s.shape, np.nan), where=s > 1e-9)

    @property
    def marginal_cost_yuan_per_kw(self) -> FloatArray:
        """``Δsaving / Δreduction`` of each step from the previous spread ``(k,)`` [yuan/year per
        kW]; NaN for the first spread and for steps that do not lower the peak."""
        dr = np.diff(self.peak_reduction_kw, prepend=np.nan)
        ds = np.diff(self.saving_yuan, prepend=np.nan)
        ok = np.isfinite(dr) & (dr > 1e-9)
        return np.divide(ds, dr, out=np.full(dr.shape, np.nan), where=ok)

    @property
    def best_marginal_spread(self) -> float | None:
        """The spread whose step bought peak reduction cheapest [yuan/kWh], or None."""
        mc = self.marginal_cost_yuan_per_kw
        return None if np.all(np.isnan(mc)) else float(self.spreads[int(np.nanargmin(mc))])

    @property
    def best_average_spread(self) -> float | None:
        """The spread with the most peak reduction per yuan of saving [yuan/kWh], or None."""
        ratio = self.reduction_kw_per_yuan
        if np.all(np.isnan(ratio)):
            return None
        return float(self.spreads[int(np.nanargmax(ratio))])

    def finds(self, spread_yuan_per_kwh: float) -> bool:
        """Whether the best marginal spread is ``spread`` (within half a step)."""
        best = self.best_marginal_spread
        step = float(np.min(np.diff(self.spreads))) if self.spreads.size > 1 else 0.0
        return best is not None and abs(best - spread_yuan_per_kwh) <= step / 2 + 1e-9

    def to_dict(self) -> dict[str, Any]:
        """The one JSON shape of a sweep (CLI ``--json``, the HTML page)."""

        def plain(a: npt.ArrayLike) -> list[Any]:
            return [None if not np.isfinite(v) else float(v) for v in np.asarray(a, float)]

        report = parameter("report_tariff_spread_yuan_per_kwh").value
        return {
            "site": self.site_name,
            "tariff": self.tariff.name,
            "response": self.response.to_dict(),
            "strategy": self.strategy,
            "n_cars": self.n_cars,
            "days": self.days,
            "peak_before_kw": self.peak_before_kw,
            "rows": [
                dict(zip(ROW_KEYS, values, strict=True))
                for values in zip(
                    plain(self.spreads),
                    plain(self.shares),
                    self.responders.tolist(),
                    plain(self.charging_peak_kw),
                    plain(self.total_peak_kw),
                    plain(self.total_peak_p95_kw),
                    plain(self.peak_reduction_kw),
                    plain(self.saving_yuan),
                    plain(self.reduction_kw_per_yuan),
                    plain(self.average_cost_yuan_per_kw),
                    plain(self.marginal_cost_yuan_per_kw),
                    plain(self.index_max_pile_ratio),
                    strict=True,
                )
            ],
            "best_marginal_spread_yuan_per_kwh": self.best_marginal_spread,
            "best_average_spread_yuan_per_kwh": self.best_average_spread,
            "report_spread_yuan_per_kwh": report,
            "finds_report_spread": self.finds(report),
        }


ROW_KEYS = (
    "spread_yuan_per_kwh",
    "share",
    "responders",
    "charging_peak_kw",
    "total_peak_kw",
    "total_peak_p95_kw",
    "peak_reduction_kw",
    "saving_yuan_per_year",
    "reduction_kw_per_yuan",
    "average_cost_yuan_per_kw",
    "marginal_cost_yuan_per_kw",
    "index_max_pile_ratio",
)
"""Keys of each row of :meth:`SweepResult.to_dict` (also the columns of ``sweep.csv``)."""


def sweep_spreads(
    site: Any,
    spreads: Sequence[float] | npt.ArrayLike | None = None,
    *,
    tariff: Any = None,
    response: Any = None,
    strategy: str | None = None,
    ev_share: float | None = None,
    days: int | None = None,
    rng: np.random.Generator | int | None = None,
    behaviour: Any = None,
    slot_min: float | None = None,
    index_tier: bool = True,
    fleet: Fleet | None = None,
    basis: Any = None,
) -> SweepResult:
    """What each peak–valley spread buys at a site (module docstring).

    Parameters
    ----------
    site
        A residential community or an office park.
    spreads
        Spreads to try, increasing [yuan/kWh]; default :func:`spread_grid` (0 to 1 in 0.05).
    tariff
        The tariff whose spread is swept (bands, dearest price, reference price); default the
        report's proposal.
    response, strategy, ev_share, days, rng, behaviour, slot_min, fleet
        As :func:`~evgrid.incentives.economics.evaluate_lever`.
    index_tier
        Also compute the index tier's hosting capacity at each spread.
    basis
        The design basis of the cars and the index tier; default the fleet's, else the
        parameter ``basis``.

    Raises
    ------
    InputError
        Spreads that are not increasing or outside [0, the tariff's dearest price], a tariff
        with one price band, or a bad option.
    """
    tariff = load_tariff(tariff)
    response = load_response(response)
    strategy = response_strategy(strategy)
    s = spread_grid() if spreads is None else np.asarray(spreads, dtype=np.float64).reshape(-1)
    if s.size == 0 or np.any(np.diff(s) <= 0) or not np.all(np.isfinite(s)):
        raise bad_value("spreads", s.tolist(), "increasing spreads [yuan/kWh]")
    tariffs = [tariff.with_spread(float(x)) for x in s]  # checks every spread
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
    shares = np.asarray(response.share(s), dtype=np.float64).reshape(-1)
    counts = responder_count(shares, fleet.n_cars)
    weights = [len(season.months) / 12.0 for season in tariff.seasons]
    valleys = [season.valley_window_h() for season in tariff.seasons]
    loads: dict[tuple[float, float], FloatArray] = {}
    for valley in dict.fromkeys(valleys):
        loads[valley], _ = responder_loads(
            fleet, np.concatenate([[0], counts]), strategy, valley_h=valley
        )
    savings = np.empty(s.size)
    for k, moved in enumerate(tariffs):
        money = [
            owners_money(
                fleet, season, tariff.reference(i), loads[valleys[i]][0], loads[valleys[i]][k + 1]
            )
            for i, season in enumerate(moved.seasons)
        ]
        savings[k] = year_total(money, weights).saving_yuan
    stacked = np.stack([loads[v][1:] for v in dict.fromkeys(valleys)])  # (valleys, k, slots)
    before = loads[valleys[0]][0]
    totals = stacked + fleet.base_kw
    return SweepResult(
        site_name=fleet.site_name,
        tariff=tariff,
        response=response,
        strategy=strategy,
        n_cars=fleet.n_cars,
        days=fleet.n_days,
        spreads=s,
        shares=shares,
        responders=counts,
        charging_peak_kw=fleet.typical_day(stacked).max(axis=-1).max(axis=0),
        total_peak_kw=fleet.typical_day(totals).max(axis=-1).max(axis=0),
        total_peak_p95_kw=np.percentile(fleet.daily_peaks(totals), 95, axis=-1).max(axis=0),
        peak_before_kw=float(fleet.typical_day(fleet.base_kw + before).max()),
        saving_yuan=savings,
        index_max_pile_ratio=_index_ratios(site, shares, basis)
        if index_tier
        else np.full(s.size, np.nan),
    )


def _index_ratios(site: Any, shares: FloatArray, basis: Any = None) -> FloatArray:
    """The index tier's largest pile ratio at each responding share [-] (one run per share)."""
    from evgrid.planning.hosting import hosting

    cache: dict[float, float] = {}
    for share in shares.tolist():
        if share not in cache:
            r = (
                hosting(site, basis=basis)
                if share == 0
                else hosting(site, strategy="orderly", participation=share, basis=basis)
            )
            cache[share] = r.max_pile_ratio_p50
    return np.array([cache[x] for x in shares.tolist()])
