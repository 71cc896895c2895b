"""The time-series tier through the years of a scenario: one Monte Carlo sample per site.

For one site, its :class:`~evgrid.planning.fleet.Fleet` is sampled once (the site's own random
stream; the same cars as the hosting tier's) and every year and strategy reads that one sample:
year ``y`` takes the first ``k_y`` cars (the same cars are present in every later year with
more piles) and the regular load curve scaled by the year's growth. So the years differ only by
what the scenario changes, not by sampling noise, and one sample serves every year and strategy:

* ``uncontrolled``: every car at full power from arrival; the load of the first ``k`` cars
  for all years at once from per-bucket aggregates and a cumulative sum;
* ``orderly``: every present car under valley filling. Under the loading criterion each day's
  optimal peak comes in closed form for all years in one pass
  (:func:`evgrid.planning.timeseries.minpeak.min_peak_kw`, the hosting engine's path); under the
  thermal criteria the schedules are computed day block by day block (slower);
* ``partial``: of the ``k_y`` present cars, ``round(p_y × k_y)`` follow valley filling (the
  participation rule of :func:`evgrid.charging.participation.participating_cars`), the others
  charge uncontrolled and the followers fill around them;
* ``v2g``: every present car under valley filling, and ``v2g_share`` of them bidirectional at
  V2G's **lossless bound** (no losses, no wear, no state-of-charge reserve: the most V2G can
  add, docs/v2g.md). The bound is valley filling with shifted bounds — each bidirectional
  session charges up to ``P + D`` and asks ``e + D h`` (``D`` its discharging power, ``h`` its
  plugged-in hours), and the fleet's discharge capacity is subtracted from the base load — so
  the exact closed-form daily peak of ``orderly`` serves it, all years in one pass. (V2G with
  losses, wear and the reserve needs best responses car by car, about a second per day block of
  a few hundred cars: too slow for 365 days, every year and every site of a city.)

Each (strategy, year) gives the daily metric over the evaluated days and its P50/P95 band, the
daily peak in kW and, for the upgrade, the rating the band needs: peak ÷ (limit × power factor)
under the loading criterion, the smallest standard rating (or parallel units) that meets the
IEC 60076-7 limit under the thermal criteria.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from evgrid.charging._windows import window_slots
from evgrid.charging.participation import participating_cars
from evgrid.charging.strategies import get_strategy
from evgrid.charging.uncontrolled import uncontrolled
from evgrid.errors import bad_value
from evgrid.grid.transformer import Transformer, check_criterion, check_limit
from evgrid.params import parameter
from evgrid.planning.timeseries import montecarlo as mc
from evgrid.planning.timeseries.blocks import DayBlocks, cut_phase, solve_by_blocks
from evgrid.planning.timeseries.minpeak import min_peak_kw
from evgrid.planning.upgrade import standard_ratings_kva
from evgrid.sessions import Sessions
from evgrid.timegrid import FloatArray, IntArray, TimeGrid

ORDERLY_STRATEGY = "valley-filling"
"""The coordinated strategy of ``orderly`` and ``partial`` in the time-series tier: the optimal
(minimum-peak) schedule, the report's ideal orderly charging."""

EVENING_H = (20.0, 21.0)
"""The residential evening peak hour, 20:00–21:00 (report 3.1) [h]."""

STRATEGIES = ("uncontrolled", "orderly", "partial", "v2g")
"""The strategies of the time-series years (module docstring)."""

MAX_PARALLEL_UNITS = 64
"""Most parallel units the thermal size search tries [-]."""


@dataclass(frozen=True, eq=False)
class TsYears:
    """One strategy of one site through the years, arrays of shape ``(n_years,)``.

    Parameters
    ----------
    loading_p50, loading_p95
        Median and 95th-percentile daily peak loading [pu].
    metric_p50, metric_p95
        The same for the criterion's daily metric [pu, °C or day/day].
    peak_kw
        The band's daily peak load [kW].
    evening_kw
        Mean load at 20:00–21:00 over the days; orderly cars are taken to charge in the valley
        (their evening share is not scheduled), so for coordinated cars a lower bound [kW].
    needed_kva
        Rating whose band metric meets the limit [kVA].
    piles
        Cars (= piles) present [-].
    orderly_share
        Share of present cars following the coordinated strategy [-].
    metric_days
        The criterion's daily metric of every evaluated day, ``(n_years, n_days)`` [pu, °C or
        day/day] (for the interval of the upgrade year).
    """

    loading_p50: FloatArray
    loading_p95: FloatArray
    metric_p50: FloatArray
    metric_p95: FloatArray
    peak_kw: FloatArray
    evening_kw: FloatArray
    needed_kva: FloatArray
    piles: IntArray
    orderly_share: FloatArray
    metric_days: FloatArray


def mc_arrays(n_years: int) -> float:
    """Horizon-long float64 arrays the years of one site hold at once: the uncontrolled load of
    every year, its prefix sums and a few totals, an upper estimate [-]."""
    return 2.0 * n_years + 6.0


def _prefix_uncontrolled(sessions: Sessions, grid: TimeGrid, counts: IntArray) -> FloatArray:
    """Uncontrolled load of the cars ``vehicle < counts[j]`` for every j, ``(n, n_slots)`` [kW]."""
    order = np.argsort(counts, kind="stable")
    sorted_counts = counts[order]
    bucket = np.searchsorted(sorted_counts, sessions.vehicle, side="right")
    parts = np.zeros((counts.size, grid.n_slots))
    for j in range(counts.size):  # a handful of years
        sel = bucket == j
        if sel.any():
            parts[j] = uncontrolled(sessions.take(sel), grid).charging_kw
    out = np.empty_like(parts)
    out[order] = np.cumsum(parts, axis=0)
    return out


class _Site:
    """What every strategy of one site shares: the grid, base load, sample and transformer."""

    def __init__(
        self,
        site: Any,
        pile_ratio: FloatArray,
        growth: FloatArray,
        *,
        days: int,
        rng: Any,
        criterion: str,
        limit: float,
        band: float,
        behaviour: Any,
        slot_min: float,
        basis: Any = None,
    ) -> None:
        from evgrid.planning.basis import load_basis, site_transformer
        from evgrid.planning.fleet import sample_fleet

        chosen = load_basis(basis)
        self.counts = mc.pile_counts(pile_ratio, int(site.parking_spaces))
        self.fleet = sample_fleet(
            site, days=days, rng=rng, behaviour=behaviour, slot_min=slot_min, basis=chosen
        ).first(int(self.counts.max(initial=0)))
        self.fleet.require(mc_arrays(self.counts.size), "the years of a scenario")
        self.grid = self.fleet.grid
        own = site_transformer(site, chosen)
        self.transformer = own.judge()  # regular load converted to the piles' power factor
        self.scale = own.regular_scale
        self.days_metric: dict[tuple[int, int], FloatArray] = {}
        self.base_kw = self.fleet.base_kw * self.scale
        self.ambient_c = self.fleet.ambient_c
        self.growth = np.asarray(growth, dtype=np.float64)
        self.criterion, self.limit, self.band = criterion, limit, band
        self.eval_days = self.fleet.eval_days
        self.sessions = self.fleet.sessions
        self.strategy_seed = self.fleet.strategy_seed
        self.unc_kw = _prefix_uncontrolled(self.sessions, self.grid, self.counts)
        spd = self.grid.slots_per_day
        hours = (np.arange(spd) + 0.5) * self.grid.slot_h
        self.evening_slots = (hours >= EVENING_H[0]) & (hours < EVENING_H[1])

    def base(self, j: int) -> FloatArray:
        """Regular load of year ``j`` over the horizon [kW]."""
        return self.base_kw * self.growth[j]

    def evening_kw(self, total_kw: FloatArray, j: int) -> float:
        """Mean of ``total_kw`` (year ``j``'s regular load at the piles' power factor plus
        charging) at 20:00–21:00 over the evaluated days, with the regular load in its own kW
        [kW]."""
        real = total_kw - self.base(j) * (1.0 - 1.0 / self.scale)
        days = real.reshape(-1, self.grid.slots_per_day)[self.eval_days]
        return float(days[:, self.evening_slots].mean())

    def daily(self, total_kw: FloatArray, t: Transformer | None = None) -> tuple[FloatArray, ...]:
        """Daily metric and daily peak loading of total-load curves ``(n, n_slots)``."""
        t = t or self.transformer
        loading = t.loading_pu(np.atleast_2d(total_kw))
        common: dict[str, Any] = {
            "slots_per_day": self.grid.slots_per_day,
            "eval_days": self.eval_days,
            "slot_min": self.grid.slot_min,
            "ambient_c": self.ambient_c,
            "thermal": t.params,
            "paper": t.paper,
        }
        peak = mc.daily_metric(loading, criterion="loading", **common)
        if self.criterion == "loading":
            return peak, peak
        return mc.daily_metric(loading, criterion=self.criterion, **common), peak

    def thermal_kva(self, total_kw: FloatArray) -> float:
        """Smallest standard rating (or parallel units) whose band metric meets the limit."""
        ratings = standard_ratings_kva()
        units = np.arange(2, MAX_PARALLEL_UNITS + 1)
        candidates = np.unique(np.concatenate([ratings, units * ratings[-1]]))
        ok = lambda i: bool(  # noqa: E731
            mc.passes(self._band_of(total_kw, float(candidates[i])), self.limit)
        )
        i = mc.bisect_max_passing(lambda i: not ok(i), 0, candidates.size - 1)
        return float(candidates[min(i + 1, candidates.size - 1)])

    def _band_of(self, total_kw: FloatArray, rating_kva: float) -> float:
        t = dataclasses.replace(self.transformer, rating_kva=rating_kva, thermal=None)
        metric, _ = self.daily(total_kw, t)
        return float(mc.quantile_over_days(metric, self.band)[0])

    def result(
        self,
        j: int,
        metric: FloatArray,
        peak: FloatArray,
        total_kw: FloatArray | None,
        evening_kw: float,
        share: float,
        out: dict[str, FloatArray],
    ) -> None:
        """Store year ``j``'s band values from its daily metric and peak loading ``(n_days,)``."""
        self.days_metric[(id(out), j)] = np.asarray(metric, dtype=np.float64)
        m = metric[None, :]
        pk = peak[None, :]
        out["metric_p50"][j] = mc.quantile_over_days(m, mc.P50)[0]
        out["metric_p95"][j] = mc.quantile_over_days(m, mc.P95)[0]
        out["loading_p50"][j] = mc.quantile_over_days(pk, mc.P50)[0]
        out["loading_p95"][j] = mc.quantile_over_days(pk, mc.P95)[0]
        band_peak_kw = float(mc.quantile_over_days(pk, self.band)[0]) * self.transformer.rating_kw
        out["peak_kw"][j] = band_peak_kw
        out["evening_kw"][j] = evening_kw
        out["orderly_share"][j] = share
        if self.criterion == "loading":
            out["needed_kva"][j] = band_peak_kw / (self.limit * self.transformer.power_factor)
        elif total_kw is not None and not mc.passes(
            mc.quantile_over_days(m, self.band)[0], self.limit
        ):
            out["needed_kva"][j] = self.thermal_kva(total_kw)
        else:
            out["needed_kva"][j] = np.nan


def _empty(n: int) -> dict[str, FloatArray]:
    keys = (
        "loading_p50",
        "loading_p95",
        "metric_p50",
        "metric_p95",
        "peak_kw",
        "evening_kw",
        "needed_kva",
        "orderly_share",
    )
    return {k: np.full(n, np.nan) for k in keys}


def _uncontrolled_years(s: _Site) -> dict[str, FloatArray]:
    out = _empty(s.counts.size)
    for j in range(s.counts.size):
        total = s.base(j) + s.unc_kw[j]
        metric, peak = s.daily(total)
        s.result(j, metric[0], peak[0], total, s.evening_kw(total, j), 0.0, out)
    return out


def _coordinated(
    s: _Site, followers: Sessions, fixed_kw: FloatArray, j: int, bucket: IntArray | None = None
) -> tuple[FloatArray, FloatArray, FloatArray | None]:
    """Daily metric, daily peak and (thermal criteria) total curve with valley filling."""
    base = s.base(j) + fixed_kw
    if s.criterion == "loading":
        blocks = DayBlocks(s.grid, cut_phase(followers, s.grid))
        b = np.zeros(len(followers), dtype=np.int64) if bucket is None else bucket
        peak_kw, _ = min_peak_kw(blocks, followers, b, base[None, :], s.eval_days)
        peak = s.transformer.loading_pu(peak_kw)[0]
        return peak, peak, None
    charging, _, _ = solve_by_blocks(
        get_strategy(ORDERLY_STRATEGY),
        followers,
        s.grid,
        base,
        rng=np.random.default_rng([s.strategy_seed, j]),
    )
    total = base + charging
    metric, peak = s.daily(total)
    return metric[0], peak[0], total


def _orderly_years(s: _Site) -> dict[str, FloatArray]:
    out = _empty(s.counts.size)
    n = s.counts.size
    if s.criterion == "loading" and len(s.sessions):
        # every year in one pass: buckets by car count, each with its year's base load
        order = np.argsort(s.counts, kind="stable")
        bucket = np.searchsorted(s.counts[order], s.sessions.vehicle, side="right")
        keep = bucket < n
        blocks = DayBlocks(s.grid, cut_phase(s.sessions, s.grid))
        base = np.stack([s.base(int(j)) for j in order])
        peak_kw, _ = min_peak_kw(blocks, s.sessions.take(keep), bucket[keep], base, s.eval_days)
        peaks = np.empty_like(peak_kw)
        peaks[order] = peak_kw
        for j in range(n):
            peak = s.transformer.loading_pu(peaks[j])
            s.result(j, peak, peak, None, s.evening_kw(s.base(j), j), 1.0, out)
        return out
    for j in range(n):
        present = s.sessions.take(s.sessions.vehicle < s.counts[j])
        if len(present) == 0:
            metric, peak = s.daily(s.base(j))
            s.result(j, metric[0], peak[0], s.base(j), s.evening_kw(s.base(j), j), 1.0, out)
            continue
        metric_j, peak_j, total = _coordinated(s, present, np.zeros(s.grid.n_slots), j)
        s.result(j, metric_j, peak_j, total, s.evening_kw(s.base(j), j), 1.0, out)
    return out


def _partial_years(
    s: _Site, participation: FloatArray, done: dict[str, dict[str, FloatArray]]
) -> dict[str, FloatArray]:
    out = _empty(s.counts.size)
    for j, p in enumerate(np.asarray(participation, dtype=np.float64)):
        k = int(s.counts[j])
        same = "uncontrolled" if p == 0 or k == 0 else ("orderly" if p == 1 else None)
        if same is not None and same in done:
            for key in out:
                out[key][j] = done[same][key][j]
            out["orderly_share"][j] = p
            copied = s.days_metric.get((id(done[same]), j))
            if copied is not None:
                s.days_metric[(id(out), j)] = copied
            continue
        # of the first k cars, round(p k) follow (by the order of the piles, as in hosting)
        joins = participating_cars(np.arange(k), float(p)) if k else np.zeros(0, dtype=bool)
        car_joins = np.zeros(max(s.fleet.n_cars, 1), dtype=bool)
        car_joins[:k] = joins
        present = s.sessions.vehicle < k
        follows = present & car_joins[s.sessions.vehicle]
        others = s.sessions.take(present & ~follows)
        fixed = (
            uncontrolled(others, s.grid).charging_kw if len(others) else np.zeros(s.grid.n_slots)
        )
        followers = s.sessions.take(follows)
        if len(followers):
            metric, peak, total = _coordinated(s, followers, fixed, j)
        else:
            total = s.base(j) + fixed
            m2, p2 = s.daily(total)
            metric, peak = m2[0], p2[0]
        share = float(joins.mean()) if k else float(p)
        s.result(j, metric, peak, total, s.evening_kw(s.base(j) + fixed, j), share, out)
    return out


def _v2g_capacity(
    blocks: DayBlocks, sessions: Sessions, give_kw: FloatArray, bucket: IntArray, n: int
) -> tuple[Sessions, FloatArray]:
    """V2G's lossless reduction of the sessions clipped to their day blocks: the shifted
    sessions (power ``P + D``, energy ``min(e, P h) + D h``) and the fleet's discharge capacity
    ``sum(D a)`` of the cars of each bucket and all before it, ``(n, n_slots)`` [kW]."""
    grid = blocks.grid
    _, clipped = blocks.assign(sessions)
    first, last, frac_first, frac_last = window_slots(clipped.arrival_h, clipped.departure_h, grid)
    plugged_h = grid.slot_h * (frac_first + frac_last + np.maximum(last - first - 1, 0))
    power = np.maximum(sessions.max_power_kw, 0.0)
    energy = np.clip(np.minimum(sessions.energy_kwh, power * plugged_h), 0.0, None)
    shifted = Sessions(
        clipped.arrival_h, clipped.departure_h, energy + give_kw * plugged_h, power + give_kw,
        sessions.vehicle,
    )  # fmt: skip
    width = grid.n_slots + 1
    flat = np.zeros(n * width)
    keep = bucket < n
    row = bucket[keep] * width
    f, la, d = first[keep], last[keep], give_kw[keep]
    inner = la > f + 1  # whole slots between the first and the last, by differences
    np.add.at(flat, row[inner] + f[inner] + 1, d[inner])
    np.add.at(flat, row[inner] + la[inner], -d[inner])
    per_bucket = np.cumsum(flat.reshape(n, width), axis=1)
    edges = np.zeros(n * width)
    np.add.at(edges, row + f, d * frac_first[keep])
    np.add.at(edges, row + la, d * frac_last[keep])
    per_bucket += edges.reshape(n, width)
    return shifted, np.cumsum(per_bucket[:, : grid.n_slots], axis=0)


def _v2g_years(s: _Site, v2g_share: float) -> dict[str, FloatArray]:
    """Every present car valley-filled, ``v2g_share`` of them bidirectional at the lossless
    bound (module docstring)."""
    out = _empty(s.counts.size)
    n = s.counts.size
    if not len(s.sessions):
        return _orderly_years(s)
    order = np.argsort(s.counts, kind="stable")
    bucket = np.searchsorted(s.counts[order], s.sessions.vehicle, side="right")
    bidirectional = participating_cars(np.arange(max(s.fleet.n_cars, 1)), v2g_share)
    power = np.maximum(s.sessions.max_power_kw, 0.0)
    give = np.minimum(power, parameter("v2g_discharge_kw").value)
    give = np.where(bidirectional[s.sessions.vehicle], give, 0.0)
    blocks = DayBlocks(s.grid, cut_phase(s.sessions, s.grid))
    shifted, capacity = _v2g_capacity(blocks, s.sessions, give, bucket, n)
    base = np.stack([s.base(int(j)) for j in order]) - capacity  # sorted by car count
    keep = bucket < n
    if s.criterion == "loading":
        peak_kw, _ = min_peak_kw(blocks, shifted.take(keep), bucket[keep], base, s.eval_days)
        peaks = np.empty_like(peak_kw)
        peaks[order] = peak_kw
        for j in range(n):
            peak = s.transformer.loading_pu(peaks[j])
            s.result(j, peak, peak, None, s.evening_kw(s.base(j), j), 1.0, out)
        return out
    for k, j in enumerate(order.tolist()):  # thermal criteria: the schedules, block by block
        present = shifted.take(keep & (bucket <= k))
        charging, _, _ = solve_by_blocks(
            get_strategy(ORDERLY_STRATEGY),
            present,
            s.grid,
            base[k],
            rng=np.random.default_rng([s.strategy_seed, j]),
            phase=blocks.phase,
        )
        total = base[k] + charging
        metric, peak = s.daily(total)
        s.result(j, metric[0], peak[0], total, s.evening_kw(s.base(j), j), 1.0, out)
    return out


def timeseries_years(
    site: Any,
    *,
    pile_ratio: FloatArray,
    growth: FloatArray,
    participation: FloatArray,
    strategies: Sequence[str],
    days: int | None = None,
    rng: np.random.Generator | np.random.SeedSequence | int | None = None,
    criterion: str = "loading",
    limit: float | None = None,
    band: str | None = None,
    behaviour: Any = None,
    slot_min: float | None = None,
    basis: Any = None,
    v2g_share: float | None = None,
) -> dict[str, TsYears]:
    """Monte Carlo loading of one site in every year of a scenario, per strategy.

    Parameters
    ----------
    site
        A residential community or an office park.
    pile_ratio, growth, participation
        By year, ``(n_years,)``: pile ratio [-], regular load ÷ its base-year value [-] and the
        share of cars under orderly control in ``partial`` [-].
    strategies
        Any of ``uncontrolled``, ``orderly``, ``partial``, ``v2g`` (:data:`STRATEGIES`).
    days
        Monte Carlo days [day]; default the parameter ``monte_carlo_days``.
    rng
        Seed, SeedSequence or generator of this site (:func:`evgrid.planning.fleet.sample_fleet`;
        a seed is combined with the site's name, the stream a city run derives from its seed
        and the site's id): the same cars as the hosting tier's with the same seed and days.
    criterion, limit
        ``loading``, ``hotspot`` or ``ageing`` and its limit (default from the parameter table).
    band
        ``"p50"`` or ``"p95"``: the band whose value decides an upgrade (parameter
        ``upgrade_band``).
    behaviour, slot_min
        Behaviour model, preset name or file (default the basis's, as the hosting tier) and
        slot length [min].
    basis
        The design basis (default the parameter ``basis``): behaviour, regular load over the
        year, ambient and power factors, as the hosting tier.
    v2g_share
        ``v2g``: share of the cars with a bidirectional pile [-] (the participation rule over
        the order of the cars); default the parameter ``v2g_share``.
    """
    days = int(parameter("monte_carlo_days").resolve(days, "days"))
    unknown = [st for st in strategies if st not in STRATEGIES]
    if unknown:
        raise bad_value("strategies", unknown[0], ", ".join(STRATEGIES))
    share_v2g = float(parameter("v2g_share").resolve(v2g_share, "v2g_share"))
    check_criterion(criterion)
    limit_value = check_limit(criterion, limit)
    band_name = parameter("upgrade_band").resolve(band, "band")
    s = _Site(
        site,
        np.asarray(pile_ratio, dtype=np.float64),
        growth,
        days=days,
        rng=rng,
        criterion=criterion,
        limit=limit_value,
        band=mc.P95 if band_name == "p95" else mc.P50,
        behaviour=behaviour,
        slot_min=float(parameter("slot_min").resolve(slot_min)),
        basis=basis,
    )
    done: dict[str, dict[str, FloatArray]] = {}
    for name in STRATEGIES:
        if name not in strategies:
            continue
        if name == "uncontrolled":
            done[name] = _uncontrolled_years(s)
        elif name == "orderly":
            done[name] = _orderly_years(s)
        elif name == "partial":
            done[name] = _partial_years(s, participation, done)
        else:
            done[name] = _v2g_years(s, share_v2g)
    n_days = s.eval_days.stop - s.eval_days.start
    return {
        name: TsYears(
            piles=s.counts.copy(),
            metric_days=np.stack(
                [
                    s.days_metric.get((id(values), j), np.full(n_days, np.nan))
                    for j in range(s.counts.size)
                ]
            ),
            **values,
        )
        for name, values in done.items()
        if name in strategies
    }
