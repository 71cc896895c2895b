"""The evaluation engine of the time-series hosting capacity: prefix sums or bisection.

:func:`run_hosting` takes a fully validated :class:`Run` (built by
:func:`evgrid.planning.timeseries.run.hosting_curve`) and evaluates it:

The path follows what the strategy declares (:class:`evgrid.charging.strategies.Strategy`):

* separable strategies (uncontrolled, TOU): every car's per-slot load is computed once, with one
  strategy call per group of cars (those that follow the strategy, those that charge
  uncontrolled), then prefix sums over the random car order give all 101 pile ratios at once;
* minimum-peak strategies (valley filling, the LP) under the loading criterion: each day's
  optimal peak for all 101 ratios in closed form (:mod:`evgrid.planning.timeseries.minpeak`), and
  the strategy itself only for the daily curves at the two limits, on a sample of days;
* other coordinated strategies: one strategy call per evaluated ratio on the participating cars
  present at that ratio, with the uncontrolled load of the non-participating cars added to the
  base load (the coordinated cars fill around the uncontrolled ones). The
  ratios of a coarse grid are evaluated, then the largest passing ratio of each band is found by
  bisection.

The same cars participate at every ratio (:func:`evgrid.charging.participation.participating_cars`
over the same random car order), so the set of cars only grows with the ratio.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from evgrid.charging.strategies import Strategy, get_strategy
from evgrid.grid.transformer import Transformer
from evgrid.planning.result import HostingResult, RegularLoad
from evgrid.planning.timeseries import montecarlo as mc
from evgrid.planning.timeseries.blocks import DayBlocks, cut_phase, solve_by_blocks
from evgrid.planning.timeseries.curves import DailyCurves
from evgrid.planning.timeseries.minpeak import min_peak_kw
from evgrid.sessions import Sessions
from evgrid.timegrid import FloatArray, IntArray, TimeGrid

CURVE_DAYS = 2
"""Evenly spaced evaluated days (besides the P50 and the P95 day) whose schedule the minimum-peak
path computes for the mean daily curve at the limits [day]: the schedules are the slow part."""

CLOSED_FORM_RTOL = 1e-9
"""Relative gap between the closed-form daily peak and the peak of the schedule on the blocks
scheduled for the daily curves above which the run falls back to schedules [-] (round-off)."""


@dataclass(frozen=True, eq=False)
class Run:
    """A validated hosting-capacity run (see :func:`evgrid.planning.timeseries.run.hosting_curve`).

    Parameters
    ----------
    base_kw
        Regular load over the horizon, ``(n_slots,)`` [kW].
    grid
        The linear horizon.
    sessions
        All sessions of all cars.
    session_rank
        Place of each session's car in the random order, ``(n_sessions,)`` [-].
    session_joins
        Whether each session's car follows the strategy (else uncontrolled), ``(n_sessions,)``.
    counts
        Cars at each of the 101 pile ratios, ``(101,)`` [-].
    transformer
        The transformer that judges the load (rating, power factor, thermal characteristics,
        paper).
    criterion, limit
        Criterion name and its limit [pu, °C or day/day].
    eval_days
        Evaluated days of the horizon [day index].
    ambient_c
        Ambient temperature, scalar or ``(n_slots,)`` [°C].
    strategy
        The charging strategy of the participating cars.
    participation
        Share of cars that follow the strategy [-].
    strategy_seed
        Seed of the strategy's own randomness; ratio ``i`` uses ``(strategy_seed, i)``.
    curve_step
        Coarse pile-ratio step for coordinated strategies [-].
    site_name, regular
        Name and regular load carried into the result.
    use_schedules
        Evaluate minimum-peak strategies by their schedules, not in closed form.
    options
        Extra strategy options.
    session_left_kwh
        Energy each session's car asked for that no stay could take, ``(n_sessions,)`` [kWh]
        (:func:`evgrid.demand.sampling.carry_untaken`); counted as unmet. None: none.
    band
        The band the recommendation is read on, 50 or 95 [percentile].
    regular_scale
        ``base_kw`` is the regular load times this factor (the regular load at the charging
        power factor, :attr:`evgrid.grid.transformer.Transformer.regular_scale`); the daily
        curves show the regular load itself [-].
    """

    base_kw: FloatArray
    grid: TimeGrid
    sessions: Sessions
    session_rank: IntArray
    session_joins: np.ndarray
    counts: IntArray
    transformer: Transformer
    criterion: str
    limit: float
    eval_days: slice
    ambient_c: float | FloatArray
    strategy: Strategy
    participation: float
    strategy_seed: int
    curve_step: float
    site_name: str
    regular: RegularLoad
    use_schedules: bool = False
    options: dict[str, Any] = field(default_factory=dict)
    session_left_kwh: FloatArray | None = None
    regular_scale: float = 1.0
    band: float = 95.0

    def left_kwh_by_count(self) -> FloatArray:
        """Energy left (asked, never takeable) by the cars present at each ratio, ``(101,)``
        [kWh]."""
        if self.session_left_kwh is None:
            return np.zeros(self.counts.size)
        bucket = mc.session_buckets(self.session_rank, self.counts)
        return mc.prefix_sums(self.session_left_kwh, bucket, self.counts.size)

    def metrics(self, charging_kw: FloatArray, phase: int = 0) -> tuple[FloatArray, FloatArray]:
        """Daily criterion metric and daily peak loading, each ``(n_cases, n_eval_days)``.

        Parameters
        ----------
        charging_kw
            Charging load, ``(n_slots,)`` or ``(n_cases, n_slots)`` [kW].
        phase
            Slot of the day at which a day starts for the peak loading (the day blocks of the
            coordinated strategies, :class:`~evgrid.planning.timeseries.blocks.DayBlocks`); the
            thermal criteria always use calendar days [-].
        """
        loading = self.transformer.loading_pu(self.base_kw + np.atleast_2d(charging_kw))
        shifted = np.zeros_like(loading)
        shifted[:, : loading.shape[1] - phase] = loading[:, phase:]
        peak = self._daily(shifted, "loading")
        if self.criterion == "loading":
            return peak, peak
        return self._daily(loading, self.criterion), peak

    def _daily(self, loading: FloatArray, criterion: str) -> FloatArray:
        return mc.daily_metric(
            loading,
            criterion=criterion,
            slots_per_day=self.grid.slots_per_day,
            eval_days=self.eval_days,
            slot_min=self.grid.slot_min,
            ambient_c=self.ambient_c,
            thermal=self.transformer.params,
            paper=self.transformer.paper,
        )

    def curves(
        self, index: int, charging_kw: FloatArray, metric: FloatArray, days: IntArray | None = None
    ) -> DailyCurves:
        """Daily curves at ratio ``index`` from its charging load and daily metric.

        ``days`` (evaluated-day indices) restricts the curves to those days; it must hold the
        P50 and the P95 day of ``metric`` (:meth:`DailyCurves.marked_days`).
        """
        spd = self.grid.slots_per_day
        base = self.base_kw.reshape(-1, spd)[self.eval_days] / self.regular_scale
        charging = np.asarray(charging_kw).reshape(-1, spd)[self.eval_days]
        return DailyCurves.from_days(
            float(mc.PILE_RATIOS[index]),
            int(self.counts[index]),
            base if days is None else base[days],
            charging if days is None else charging[days],
            metric,
            self.grid.slot_h,
            days=days,
        )

    def strategy_rng(self, index: int) -> np.random.Generator:
        """The strategy's generator at ratio ``index`` (independent of evaluation order)."""
        return np.random.default_rng([self.strategy_seed, index])


def run_hosting(run: Run) -> HostingResult:
    """Evaluate a run: prefix sums for separable strategies, else coarse grid + bisection."""
    if run.strategy.separable or not run.session_joins.any():
        result = _run_separable(run)
        if result is not None:
            return result
    closed_form = run.criterion == "loading" and not (run.options or run.use_schedules)
    if run.strategy.minimises_peak and closed_form:
        result = _run_min_peak(run)
        if result is not None:
            return result
    return _run_coordinated(run)


def _per_session_kw(
    run: Run, strategy: Strategy, sessions: Sessions, options: dict[str, Any]
) -> sp.csr_array | None:
    """Per-session load over the horizon, sparse ``(n_sessions, n_slots)`` [kW], or None."""
    if len(sessions) == 0:
        return sp.csr_array((0, run.grid.n_slots))
    schedule = strategy(
        sessions,
        run.grid,
        run.base_kw,
        rng=run.strategy_rng(mc.N_PILE_RATIOS),
        per_session=True,
        **options,
    )
    return None if schedule.session_kw is None else sp.csr_array(schedule.session_kw)


def _uncontrolled() -> Strategy:
    return get_strategy("uncontrolled")


def _run_separable(run: Run) -> HostingResult | None:
    """All 101 ratios from per-session loads and prefix sums; None if not separable."""
    joins = run.session_joins
    n_counts = run.counts.size
    others = _per_session_kw(run, _uncontrolled(), run.sessions.take(~joins), {})
    followers = sp.csr_array((0, run.grid.n_slots))
    if joins.any():
        maybe = _per_session_kw(run, run.strategy, run.sessions.take(joins), run.options)
        if maybe is None:
            return None
        followers = maybe
    assert others is not None
    matrix = sp.csr_array(sp.vstack([others, followers], format="csr"))
    rank = np.concatenate([run.session_rank[~joins], run.session_rank[joins]])
    requested = np.concatenate([run.sessions.energy_kwh[~joins], run.sessions.energy_kwh[joins]])
    bucket = mc.session_buckets(rank, run.counts)
    charging = mc.prefix_loads(matrix, bucket, n_counts)
    delivered = run.grid.energy_kwh(np.asarray(matrix.sum(axis=1)).ravel())
    left = run.left_kwh_by_count()
    unmet = _unmet_share(
        mc.prefix_sums(requested, bucket, n_counts) + left,
        mc.prefix_sums(delivered, bucket, n_counts),
    )
    metric, peak = run.metrics(charging)
    indices = np.arange(n_counts)
    return _result(run, indices, charging, metric, peak, unmet, "prefix-sum", calls=2)


def _others(run: Run) -> tuple[FloatArray | None, FloatArray, FloatArray]:
    """Load of the cars that charge uncontrolled at every ratio ``(101, n_slots)`` [kW] (None if
    there are none), and their requested and delivered energy per ratio [kWh]."""
    joins = run.session_joins
    n_counts = run.counts.size
    if joins.all():
        return None, np.zeros(n_counts), np.zeros(n_counts)
    others = _per_session_kw(run, _uncontrolled(), run.sessions.take(~joins), {})
    assert others is not None
    bucket = mc.session_buckets(run.session_rank[~joins], run.counts)
    delivered = run.grid.energy_kwh(np.asarray(others.sum(axis=1)).ravel())
    return (
        mc.prefix_loads(others, bucket, n_counts),
        mc.prefix_sums(run.sessions.energy_kwh[~joins], bucket, n_counts),
        mc.prefix_sums(delivered, bucket, n_counts),
    )


def _run_min_peak(run: Run) -> HostingResult | None:
    """All 101 ratios from each day's optimal peak; schedules only for the curves at the limits.

    The schedules computed for the curves double as a check of the closed form (exact when the
    tight set of slots is an interval): if their block peaks differ from it, returns None and the
    caller evaluates by schedules.
    """
    joins = run.session_joins
    n_counts = run.counts.size
    others_kw, others_req, others_del = _others(run)
    fixed_kw = np.zeros((n_counts, run.grid.n_slots)) if others_kw is None else others_kw
    followers = run.sessions.take(joins)
    bucket = mc.session_buckets(run.session_rank[joins], run.counts)
    blocks = DayBlocks(run.grid, cut_phase(followers, run.grid))
    base_kw = run.base_kw + fixed_kw
    peak_kw, energy_kwh = min_peak_kw(blocks, followers, bucket, base_kw, run.eval_days)
    peak = run.transformer.loading_pu(peak_kw)
    requested = (
        others_req
        + mc.prefix_sums(followers.energy_kwh, bucket, n_counts)
        + run.left_kwh_by_count()
    )
    delivered = others_del + mc.prefix_sums(energy_kwh, bucket, n_counts)
    unmet = _unmet_share(requested, delivered)
    n_days = peak.shape[1]
    sample = np.unique(np.linspace(0, n_days - 1, min(CURVE_DAYS, n_days)).round().astype(int))
    check: dict[str, Any] = {"closed_form_gap": 0.0}

    @functools.cache
    def curves(i: int) -> DailyCurves:
        days = np.union1d(sample, DailyCurves.marked_days(peak[i]))
        present = joins & (run.session_rank < run.counts[i])
        charging, _, _ = solve_by_blocks(
            run.strategy,
            run.sessions.take(present),
            run.grid,
            base_kw[i],
            rng=run.strategy_rng(i),
            phase=blocks.phase,
            days=run.eval_days.start + days,
        )
        # run-time check of the closed form on the scheduled blocks (see hosting_minpeak)
        first = blocks.block_of_day(run.eval_days.start)
        scheduled_kw = blocks.by_block(base_kw[i] + charging)[first + days].max(axis=1)
        gap = float(np.max(np.abs(scheduled_kw - peak_kw[i, days]) / scheduled_kw))
        check["closed_form_gap"] = max(check["closed_form_gap"], gap)
        return run.curves(i, charging + fixed_kw[i], peak[i], days)

    for percentile in (mc.P50, mc.P95):
        j = mc.max_passing_index(mc.quantile_over_days(peak, percentile), run.limit)
        curves(max(j, 0))
    if check["closed_form_gap"] > CLOSED_FORM_RTOL:
        warnings.warn(
            f"{run.strategy.name}: on a sampled day the closed-form daily peak is "
            f"{check['closed_form_gap']:.1e} (relative) below the schedule's, so a set of slots "
            "that is not an interval binds (e.g. a lunch dip between two office peaks); "
            "evaluating by schedules instead (slower, exact)",
            RuntimeWarning,
            stacklevel=3,
        )
        return None
    indices = np.arange(n_counts)
    return _result(
        run, indices, None, peak, peak, unmet, "min-peak", calls=2, curves=curves, extra=check
    )


def _run_coordinated(run: Run) -> HostingResult:
    """Coarse grid of ratios, then bisection to 1 % for the P50 and the P95 band."""
    joins = run.session_joins
    n_counts = run.counts.size
    others_kw, others_req, others_del = _others(run)
    phase = cut_phase(run.sessions.take(joins), run.grid)
    cache: dict[int, tuple[FloatArray, FloatArray, FloatArray, float]] = {}
    left = run.left_kwh_by_count()

    def evaluate(i: int) -> tuple[FloatArray, FloatArray, FloatArray, float]:
        if i not in cache:
            fixed = np.zeros(run.grid.n_slots) if others_kw is None else others_kw[i]
            present = joins & (run.session_rank < run.counts[i])
            requested = float(others_req[i] + left[i])
            delivered = float(others_del[i])
            charging = fixed
            if present.any():
                added, req, dlv = solve_by_blocks(
                    run.strategy,
                    run.sessions.take(present),
                    run.grid,
                    run.base_kw + fixed,
                    rng=run.strategy_rng(i),
                    phase=phase,
                    **run.options,
                )
                charging = fixed + added
                requested += req
                delivered += dlv
            metric, peak = run.metrics(charging, phase)
            unmet = float(_unmet_share(np.array([requested]), np.array([delivered]))[0])
            cache[i] = (charging, metric[0], peak[0], unmet)
        return cache[i]

    last = n_counts - 1
    step = max(1, round(run.curve_step * last))
    coarse = sorted({*range(0, last + 1, step), last})
    for i in coarse:
        evaluate(i)
    for percentile in (mc.P50, mc.P95):

        def ok(i: int, q: float = percentile) -> bool:
            return bool(mc.passes(np.percentile(evaluate(i)[1], q), run.limit))

        values = np.array([np.percentile(cache[i][1], percentile) for i in coarse])
        j = mc.max_passing_index(values, run.limit)
        if 0 <= j < len(coarse) - 1:
            mc.bisect_max_passing(ok, coarse[j], coarse[j + 1])
    indices = np.array(sorted(cache), dtype=np.int64)
    charging = np.stack([cache[i][0] for i in indices])
    metric = np.stack([cache[i][1] for i in indices])
    peak = np.stack([cache[i][2] for i in indices])
    unmet = np.array([cache[i][3] for i in indices])
    return _result(run, indices, charging, metric, peak, unmet, "bisection", calls=len(cache))


def _unmet_share(requested: FloatArray, delivered: FloatArray) -> FloatArray:
    """Share of requested energy not delivered, 0 where nothing was requested [-]."""
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(requested > 0, 1.0 - delivered / requested, 0.0)
    return np.asarray(np.clip(share, 0.0, 1.0), dtype=np.float64)


def _result(
    run: Run,
    indices: IntArray,
    charging: FloatArray | None,
    metric: FloatArray,
    peak: FloatArray,
    unmet: FloatArray,
    method: str,
    calls: int,
    curves: Callable[[int], DailyCurves] | None = None,
    extra: dict[str, Any] | None = None,
) -> HostingResult:
    """Assemble the result from evaluated ratios (rows of the arrays, increasing ratio).

    The daily curves at the limits come from ``charging`` (rows as ``indices``) or, without it,
    from ``curves(ratio index)``; ``extra`` is added to the metadata after they are computed.
    """
    metric_p50 = mc.quantile_over_days(metric, mc.P50)
    metric_p95 = mc.quantile_over_days(metric, mc.P95)
    at = {}
    for name, values in (("p50", metric_p50), ("p95", metric_p95)):
        j = mc.max_passing_index(values, run.limit)
        row = max(j, 0)
        if charging is not None:
            at[name] = (j, run.curves(int(indices[row]), charging[row], metric[row]))
        else:
            assert curves is not None
            at[name] = (j, curves(int(indices[row])))
    ratios = mc.PILE_RATIOS[indices]
    metadata = {
        "n_spaces": int(run.counts[-1]),
        "n_sessions": len(run.sessions),
        "slot_min": run.grid.slot_min,
        "horizon_days": int(run.grid.n_days),
        "evaluated_days": [run.eval_days.start, run.eval_days.stop],
        "scale_kw": run.transformer.rating_kw,
        "cooling": run.transformer.cooling,
        "paper": run.transformer.paper,
        "ambient_c": float(np.mean(run.ambient_c)),
        "method": method,
        "strategy_calls": calls,
        "base_fails_p50": at["p50"][0] < 0,
        "base_fails_p95": at["p95"][0] < 0,
        "unmet_share": unmet.tolist(),
        **(extra or {}),
    }
    raw = mc.bootstrap_interval(
        metric, ratios, run.limit, run.band, np.random.default_rng([run.strategy_seed, 7])
    )
    metadata["interval_raw"] = list(raw)
    return HostingResult(
        site_name=run.site_name,
        method="timeseries",
        strategy=run.strategy.name,
        participation=run.participation,
        criterion=run.criterion,
        limit=run.limit,
        n_spaces=int(run.counts[-1]),
        days=int(run.eval_days.stop - run.eval_days.start),
        regular=run.regular,
        pile_ratios=ratios,
        n_piles=run.counts[indices],
        metric_p50=metric_p50,
        metric_p95=metric_p95,
        loading_p50=mc.quantile_over_days(peak, mc.P50),
        loading_p95=mc.quantile_over_days(peak, mc.P95),
        max_pile_ratio_p50=float(ratios[max(at["p50"][0], 0)]),
        max_pile_ratio_p95=float(ratios[max(at["p95"][0], 0)]),
        at_limit_p50=at["p50"][1],
        at_limit_p95=at["p95"][1],
        metadata=metadata,
        band="p95" if run.band == mc.P95 else "p50",
        interval=raw,
    )
