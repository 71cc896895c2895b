"""A sweep over peak–valley spreads (or ratios): what each buys and which buys it cheapest.

For each spread ``s`` of a sweep (default 0, 0.05, ..., 1 yuan/kWh), the tariff is moved to that
spread within the energy-price floor (:func:`~evgrid.incentives.pricing.move_tariff`: the
valley falls no lower than the floor, the peak rises for the rest), or, with ``mode="ratio"``,
to a peak:valley ratio of the energy price (the NDRC rule's quantity); the response curve gives
the share of owners who move to the valley at the moved tariff's spread, and the same cars as at
every other value charge (the owners' order of willingness is fixed, so a wider spread only adds
responders). Each row says its valley and peak prices, its peak:valley ratio and whether it meets
the NDRC rule. For each spread evgrid reports

* the owners' saving over a year against the reference price [yuan/year] — what the lever costs
  whoever offers it;
* the reduction of the site's total (regular + charging) typical-day peak against spread 0
  [kW];
* the **average cost** ``saving / reduction`` [yuan/year per kW] (its inverse is the peak
  reduction per yuan of owners' saving);
* the **marginal cost** of the step from the previous spread, ``Δsaving / Δreduction``
  [yuan/year per kW] — what the last widening of the spread paid for each extra kW;
* the index tier's largest pile ratio with the responders as its orderly share [-].

The answer leads with the **average-cost optimum** (the most peak reduction per yuan of owners'
saving over the whole lever). The spread with the best marginal cost is the one whose step bought
peak reduction cheapest; the report's pilot found 0.3 yuan/kWh (report section 6). With the
dead-zone / linear / saturation response a step's marginal cost is lowest just past the dead zone
(each later step pays the wider spread on every kWh already in the valley), so when the marginal
optimum is the first step out of the dead zone it is so *by construction of the response curve*,
and the result says so (``docs/incentives.md``).
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
from evgrid.incentives.pricing import (
    MODES,
    band_prices,
    floor_price,
    move_tariff,
    ndrc_ratio,
    peak_valley_ratio,
)
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
RATIO_STEP = 0.5
"""Default step of a ratio sweep [-]."""


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


def ratio_grid(start: float, stop: float, step: float | None, where: str = "sweep") -> FloatArray:
    """Peak:valley ratios ``start, start + step, ..., stop`` [-] (default step 0.5)."""
    allowed = "ratios >= 1 with STOP >= START and a step > 0, e.g. ratio=1:5:0.5"
    step = RATIO_STEP if step is None else step
    if not (1.0 <= start <= stop and step > 0 and np.isfinite(stop)):
        raise bad_value(where, f"ratio={start:g}:{stop:g}:{step:g}", allowed)
    n = int(np.floor((stop - start) / step + 1e-9)) + 1
    if n > MAX_SPREADS:
        raise bad_value(f"{where} step", step, f"a step giving at most {MAX_SPREADS} ratios")
    return np.round(start + step * np.arange(n), 10)


def parse_sweep_spec(text: str, where: str = "sweep") -> tuple[str, FloatArray]:
    """The mode and values of ``"spread=START:STOP[:STEP]"`` [yuan/kWh] or
    ``"ratio=START:STOP[:STEP]"`` [-].

    Raises
    ------
    InputError
        Another form or quantity, or numbers outside their ranges.
    """
    name = str(text).partition("=")[0].strip()
    if name == "ratio":
        allowed = "ratio=START:STOP:STEP, peak:valley energy-price ratios, e.g. ratio=1:5:0.5"
        parts = str(text).partition("=")[2].split(":")
        try:
            numbers = [float(p) for p in parts]
        except ValueError:
            raise bad_value(where, text, allowed) from None
        if len(numbers) not in (2, 3) or not all(np.isfinite(numbers)):
            raise bad_value(where, text, allowed)
        step = numbers[2] if len(numbers) == 3 else None
        return "ratio", ratio_grid(numbers[0], numbers[1], step, where)
    return "spread", parse_sweep(text, where)


def parse_sweep(text: str, where: str = "sweep") -> FloatArray:
    """Spreads from ``"spread=START:STOP:STEP"`` (or ``"spread=START:STOP"``) [yuan/kWh].

    Raises
    ------
    InputError
        Another form, another quantity than ``spread``, or numbers outside their ranges.
    """
    allowed = "spread=START:STOP:STEP in yuan/kWh (e.g. spread=0:1:0.05) or ratio=START:STOP:STEP"
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
        What was swept: row ``k`` is ``move_tariff(tariff, values[k], mode=mode)``.
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
    mode, values
        ``spread`` (values are spreads [yuan/kWh]) or ``ratio`` (peak:valley energy-price ratios
        [-]); ``spreads`` holds each moved tariff's spread either way.
    floor_yuan_per_kwh
        The least energy price any row sets [yuan/kWh].
    valley_price_yuan_per_kwh, valley_energy_yuan_per_kwh, peak_price_yuan_per_kwh
        Each row's cheapest band (whole price and energy) and dearest band [yuan/kWh], season
        weighted ``(k,)``.
    peak_valley_ratio
        Each row's smallest energy peak:valley ratio over its seasons ``(k,)`` [-].
    ndrc_ratio
        The NDRC rule's least ratio [-].
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
    mode: str = "spread"
    values: FloatArray | None = None
    floor_yuan_per_kwh: float = 0.0
    valley_price_yuan_per_kwh: FloatArray | None = None
    valley_energy_yuan_per_kwh: FloatArray | None = None
    peak_price_yuan_per_kwh: FloatArray | None = None
    peak_valley_ratio: FloatArray | None = None
    ndrc_ratio: float = 3.0

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

    @property
    def best_spread(self) -> float | None:
        """The headline answer: the average-cost optimum [yuan/kWh] (module docstring)."""
        return self.best_average_spread

    @property
    def marginal_by_construction(self) -> bool:
        """Whether the best marginal spread is the first step out of the response curve's dead
        zone (the first spread that moves anyone): then it is the dead zone's edge by
        construction of the response curve, not a finding."""
        best = self.best_marginal_spread
        moving = np.flatnonzero(self.shares > 0)
        return best is not None and moving.size > 0 and best == float(self.spreads[moving[0]])

    @property
    def warnings(self) -> list[str]:
        """One line when rows of the sweep fall below the NDRC peak:valley rule."""
        if self.peak_valley_ratio is None:
            return []
        below = self.peak_valley_ratio + 1e-9 < self.ndrc_ratio
        if not below.any():
            return []
        unit = "yuan/kWh" if self.mode == "spread" else ""
        values = self.spreads if self.mode == "spread" else self.values
        assert values is not None
        shown = ", ".join(f"{v:g}" for v in np.asarray(values)[below])
        return [
            f"{int(below.sum())} of {below.size} rows of the sweep ({self.mode} {shown} {unit})"
            f" have a peak:valley energy price below the NDRC rule of at least "
            f"{self.ndrc_ratio:g}:1 (NDRC notice on improving time-of-use pricing, July 2021)"
        ]

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
        n = self.spreads.size
        values = self.spreads if self.values is None else self.values
        nan = np.full(n, np.nan)

        def col(a: FloatArray | None) -> list[Any]:
            return plain(nan if a is None else a)

        ratios = nan if self.peak_valley_ratio is None else self.peak_valley_ratio
        return {
            "site": self.site_name,
            "tariff": self.tariff.name,
            "mode": self.mode,
            "moves": MOVES[self.mode],
            "floor_yuan_per_kwh": self.floor_yuan_per_kwh,
            "ndrc_ratio": self.ndrc_ratio,
            "warnings": self.warnings,
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
                    plain(values),
                    col(self.valley_price_yuan_per_kwh),
                    col(self.valley_energy_yuan_per_kwh),
                    col(self.peak_price_yuan_per_kwh),
                    [None if not np.isfinite(r) else float(r) for r in ratios],
                    [bool(r + 1e-9 >= self.ndrc_ratio) for r in ratios],
                    strict=True,
                )
            ],
            "best_spread_yuan_per_kwh": self.best_spread,
            "best_value": _value_at(values, self.spreads, self.best_spread),
            "best_spread_basis": "average cost",
            "best_average_spread_yuan_per_kwh": self.best_average_spread,
            "best_marginal_spread_yuan_per_kwh": self.best_marginal_spread,
            "best_marginal_by_construction": self.marginal_by_construction,
            "best_marginal_note": (
                "the first step out of the response curve's dead zone: its marginal cost is "
                "lowest by construction of the response curve, not a finding"
                if self.marginal_by_construction
                else ""
            ),
            "report_spread_yuan_per_kwh": report,
        }


def _value_at(values: FloatArray, spreads: FloatArray, spread: float | None) -> float | None:
    """The swept value (spread or ratio) of the row whose spread is ``spread``."""
    if spread is None:
        return None
    return float(np.asarray(values)[int(np.argmin(np.abs(spreads - spread)))])


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
    "value",
    "valley_price_yuan_per_kwh",
    "valley_energy_yuan_per_kwh",
    "peak_price_yuan_per_kwh",
    "peak_valley_ratio",
    "meets_ndrc_rule",
)
"""Keys of each row of :meth:`SweepResult.to_dict` (also the columns of ``sweep.csv``); ``value``
is the swept spread or ratio (``mode``)."""

MOVES = {
    "spread": "the spread of the charging price: bands below the dearest move down, energy "
    "never below the floor, then the dearest band's energy price rises for the rest",
    "ratio": "the peak:valley ratio of the energy price: the valley falls to peak / ratio, at "
    "the floor the peak rises to ratio × floor",
}
"""What each sweep mode moves, said in every sweep's JSON."""


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
    mode: str = "spread",
    floor_yuan_per_kwh: float | None = None,
    system_gap_share: float | None = None,
    basis: Any = None,
) -> SweepResult:
    """What each peak–valley spread (or ratio) buys at a site (module docstring).

    Parameters
    ----------
    site
        A residential community or an office park.
    spreads
        Spreads to try, increasing [yuan/kWh]; default :func:`spread_grid` (0 to 1 in 0.05).
        With ``mode="ratio"``: peak:valley energy-price ratios, increasing, >= 1 [-] (default
        1 to 5 in 0.5).
    tariff
        The tariff whose spread is swept (bands, dearest price, reference price); default the
        report's proposal.
    response, strategy, ev_share, days, rng, behaviour, slot_min, fleet
        As :func:`~evgrid.incentives.economics.evaluate_lever`.
    index_tier
        Also compute the index tier's hosting capacity at each spread.
    mode
        ``spread`` or ``ratio`` (:func:`~evgrid.incentives.pricing.move_tariff`).
    floor_yuan_per_kwh
        Least energy price of any band [yuan/kWh]; default the parameter
        ``valley_energy_floor_yuan_per_kwh``.
    system_gap_share
        The provincial system's peak-valley difference rate [-], if known (NDRC 4:1 rule).
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
    if mode not in MODES:
        raise bad_value("mode", mode, "one of " + ", ".join(MODES))
    if spreads is None:
        v = spread_grid() if mode == "spread" else ratio_grid(1.0, 5.0, None)
    else:
        v = np.asarray(spreads, dtype=np.float64).reshape(-1)
    if v.size == 0 or np.any(np.diff(v) <= 0) or not np.all(np.isfinite(v)):
        raise bad_value("spreads", v.tolist(), f"increasing values of the {mode}")
    floor = floor_price(floor_yuan_per_kwh)
    tariffs = [move_tariff(tariff, float(x), mode=mode, floor_yuan_per_kwh=floor) for x in v]
    s = np.array([min(t.spreads_yuan_per_kwh) for t in tariffs])
    if np.any(np.diff(s) < -1e-12):
        raise bad_value("spreads", v.tolist(), f"{mode}s whose tariffs' spreads do not fall")
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
        index_max_pile_ratio=(
            _index_ratios(site, shares, basis) if index_tier else np.full(s.size, np.nan)
        ),
        mode=mode,
        values=v,
        floor_yuan_per_kwh=floor,
        valley_price_yuan_per_kwh=np.array([band_prices(t)["valley_price"] for t in tariffs]),
        valley_energy_yuan_per_kwh=np.array([band_prices(t)["valley_energy"] for t in tariffs]),
        peak_price_yuan_per_kwh=np.array([band_prices(t)["peak_price"] for t in tariffs]),
        peak_valley_ratio=np.array([peak_valley_ratio(t) for t in tariffs]),
        ndrc_ratio=ndrc_ratio(system_gap_share),
    )


def _index_ratios(site: Any, shares: FloatArray, basis: Any = None) -> FloatArray:
    """The index tier's largest pile ratio at each responding share [-] (one run per share)."""
    from evgrid.planning.hosting import hosting

    cache: dict[float, float] = {}
    for share in shares.tolist():
        if share not in cache:
            r = (
                hosting(site, basis=basis, network=False)
                if share == 0
                else hosting(
                    site, strategy="orderly", participation=share, basis=basis, network=False
                )
            )
            cache[share] = r.max_pile_ratio_p50
    return np.array([cache[x] for x in shares.tolist()])
