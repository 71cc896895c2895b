"""Monte Carlo kernels of the time-series hosting capacity: prefix loads, daily metrics, search.

Pure numpy/scipy functions, no I/O. They serve :mod:`evgrid.planning.timeseries.run`:

* :func:`pile_counts` turns pile ratios into numbers of piles (one car per pile).
* :func:`prefix_loads` gives the aggregate load of the first ``k`` cars of a random order for many
  ``k`` at once from one per-session load matrix: each session goes into the bucket of the first
  ratio that includes its car, the buckets are summed with one ``bincount`` and a cumulative sum
  over buckets gives every ratio. The load is non-decreasing in ``k`` by construction.
* :func:`daily_metric` evaluates a criterion ("loading", "hotspot", "ageing") for every
  (case, day) at once.
* :func:`quantile_over_days`, :func:`max_passing_index` and :func:`bisect_max_passing` turn daily
  metrics into P50/P95 curves and the largest pile ratio that meets a limit.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from evgrid.grid.thermal import ONAN_DISTRIBUTION, ThermalParams, hot_spot_c, relative_ageing
from evgrid.grid.transformer import CRITERIA
from evgrid.planning.index import RATIO_STEP_FINE, pile_ratio_axis
from evgrid.timegrid import FloatArray, IntArray

LIMIT_RTOL = 1e-9
"""Relative tolerance of the limit check [-]: a metric equal to the limit up to floating-point
rounding passes (community A's orderly loading sits exactly on the 80 % line at 100 %)."""

P50 = 50.0
"""Median over Monte Carlo days [percentile]."""

P95 = 95.0
"""The bad-day band: 95th percentile of the daily metric over Monte Carlo days [percentile]."""

PILE_RATIOS = pile_ratio_axis(RATIO_STEP_FINE)
"""The pile ratios of every hosting curve, 0, 0.01, …, 1, ``(101,)`` [-] (as the index tier)."""

N_PILE_RATIOS = PILE_RATIOS.size
"""Number of pile ratios of a curve [-]."""


__all__ = ["CRITERIA"]


def pile_counts(pile_ratios: npt.ArrayLike, n_spaces: int) -> IntArray:
    """Number of piles (= cars) at each pile ratio, rounded half up.

    Parameters
    ----------
    pile_ratios
        Share of parking spaces with a pile, non-decreasing, in [0, 1] [-].
    n_spaces
        Parking spaces of the site [-].

    Returns
    -------
    numpy.ndarray
        ``(n_ratios,)`` int64 counts in ``[0, n_spaces]``, non-decreasing [-].
    """
    ratios = np.asarray(pile_ratios, dtype=np.float64)
    # the small offset keeps 0.29 * 100 = 28.999999999999996 at 29 piles
    counts = np.floor(ratios * n_spaces + 0.5 + 1e-9).astype(np.int64)
    return np.clip(counts, 0, n_spaces)


def session_buckets(session_rank: IntArray, counts: IntArray) -> IntArray:
    """Index of the first count that includes each session's car.

    A car of rank ``rho`` (its place in the random order) is present at count ``k`` when
    ``rho < k``. Its bucket is the first index ``i`` with ``counts[i] > rho``; it is present at
    every index ``>= bucket``. A bucket equal to ``len(counts)`` means never present.

    Parameters
    ----------
    session_rank
        Rank of the car of each session, ``(n_sessions,)`` [-].
    counts
        Non-decreasing car counts, ``(n_counts,)`` [-].
    """
    return np.searchsorted(counts, session_rank, side="right").astype(np.int64)


def prefix_loads(session_kw: sp.csr_array, bucket: IntArray, n_counts: int) -> FloatArray:
    """Aggregate load at each count from a per-session load matrix, in one pass.

    Parameters
    ----------
    session_kw
        Per-session mean power per slot, sparse ``(n_sessions, n_slots)`` [kW].
    bucket
        Bucket of each session from :func:`session_buckets`, ``(n_sessions,)`` [-].
    n_counts
        Number of counts [-].

    Returns
    -------
    numpy.ndarray
        ``(n_counts, n_slots)``: row ``i`` is the summed load of every session present at count
        ``i`` [kW]; non-decreasing along axis 0 because loads are non-negative.
    """
    n_slots = session_kw.shape[1]
    coo = sp.coo_array(session_kw)
    keep = bucket[coo.row] < n_counts
    flat = bucket[coo.row[keep]] * n_slots + coo.col[keep]
    summed = np.bincount(flat, weights=coo.data[keep], minlength=n_counts * n_slots)
    return np.cumsum(summed.reshape(n_counts, n_slots), axis=0)


def prefix_sums(values: FloatArray, bucket: IntArray, n_counts: int) -> FloatArray:
    """Sum of a per-session quantity over the sessions present at each count.

    Parameters
    ----------
    values
        One value per session, ``(n_sessions,)`` [any unit].
    bucket
        Bucket of each session from :func:`session_buckets` [-].
    n_counts
        Number of counts [-].

    Returns
    -------
    numpy.ndarray
        ``(n_counts,)`` cumulative sums [same unit as ``values``].
    """
    keep = bucket < n_counts
    return np.cumsum(np.bincount(bucket[keep], weights=values[keep], minlength=n_counts))


def daily_metric(
    loading_pu: FloatArray,
    *,
    criterion: str,
    slots_per_day: int,
    eval_days: slice,
    slot_min: float,
    ambient_c: float | FloatArray,
    thermal: ThermalParams = ONAN_DISTRIBUTION,
    paper: str = "normal",
) -> FloatArray:
    """The criterion's daily value for every case and evaluated day.

    Parameters
    ----------
    loading_pu
        Transformer loading over the whole horizon, ``(n_cases, n_slots)`` [pu].
    criterion
        ``"loading"``: daily peak loading [pu]; ``"hotspot"``: daily peak hot-spot temperature
        from the IEC 60076-7 ONAN difference equations [°C]; ``"ageing"``: loss of life per day,
        the daily mean of the relative ageing rate V = 2^((θh − 98)/6) [day/day].
    slots_per_day
        Slots in one day [-].
    eval_days
        The days to evaluate (warm-up and cool-down days excluded) [day index].
    slot_min
        Slot length [min].
    ambient_c
        Ambient temperature, scalar or ``(n_slots,)`` [°C] (thermal criteria only).
    thermal, paper
        The transformer's IEC 60076-7 thermal characteristics and insulation paper (thermal
        criteria only; :class:`evgrid.grid.transformer.Transformer`).

    Returns
    -------
    numpy.ndarray
        ``(n_cases, n_eval_days)`` [pu, °C or day/day].

    Notes
    -----
    The thermal model (:func:`evgrid.grid.thermal.hot_spot_c`, IEC 60076-7) runs over the whole
    horizon, so the warm-up day sets the top-oil and hot-spot
    temperatures at the start of the first evaluated day.
    """
    n_cases = loading_pu.shape[0]
    if criterion == "loading":
        values = loading_pu
    else:
        hot_spot = hot_spot_c(loading_pu, ambient_c, slot_min, thermal)
        values = hot_spot if criterion == "hotspot" else relative_ageing(hot_spot, paper)
    by_day = np.asarray(values, dtype=np.float64).reshape(n_cases, -1, slots_per_day)[:, eval_days]
    if criterion == "ageing":
        return np.asarray(by_day.mean(axis=2), dtype=np.float64)
    return np.asarray(by_day.max(axis=2), dtype=np.float64)


def quantile_over_days(metric: FloatArray, percentile: float) -> FloatArray:
    """Percentile of a daily metric over days, ``(n_cases, n_days) -> (n_cases,)``.

    Parameters
    ----------
    metric
        Daily metric [any unit].
    percentile
        Percentile in [0, 100] (linear interpolation between order statistics) [-].
    """
    return np.asarray(np.percentile(metric, percentile, axis=1), dtype=np.float64)


def passes(metric: npt.ArrayLike, limit: float) -> npt.NDArray[np.bool_]:
    """Whether each metric meets ``metric <= limit`` within :data:`LIMIT_RTOL`."""
    return np.asarray(metric, dtype=np.float64) <= limit + LIMIT_RTOL * abs(limit)


def max_passing_index(metric: FloatArray, limit: float) -> int:
    """Largest index ``i`` such that every index ``<= i`` meets the limit; -1 if index 0 fails.

    Parameters
    ----------
    metric
        Metric per pile ratio in increasing ratio order, ``(n_ratios,)`` [any unit].
    limit
        The criterion's limit [same unit].
    """
    ok = passes(metric, limit)
    failing = np.flatnonzero(~ok)
    return int(failing[0]) - 1 if failing.size else int(ok.size) - 1


def bisect_max_passing(ok: Callable[[int], bool], lo: int, hi: int) -> int:
    """Largest index in ``[lo, hi]`` that passes, for a monotone pass/fail predicate.

    Parameters
    ----------
    ok
        Predicate on an index; assumed to pass up to some index and fail above it.
    lo, hi
        Search range of indices, ``lo <= hi`` [-].

    Returns
    -------
    int
        The largest passing index, or ``lo - 1`` when ``lo`` already fails.
    """
    if not ok(lo):
        return lo - 1
    if ok(hi):
        return hi
    while hi - lo > 1:  # invariant: ok(lo), not ok(hi)
        mid = (lo + hi) // 2
        if ok(mid):
            lo = mid
        else:
            hi = mid
    return lo


BOOTSTRAP_REPS = 200
"""Bootstrap resamples of the Monte Carlo days for the interval of an answer [-]."""

INTERVAL_LEVEL = 0.95
"""Confidence level of an answer's interval [-]."""

BOOTSTRAP_CHUNK = 25
"""Resamples evaluated at once (bounds the temporary ``(ratios, chunk, days)`` array) [-]."""


def crossing_ratio(metric: FloatArray, ratios: FloatArray, limit: float) -> FloatArray:
    """Largest ratio whose metric meets the limit, read between the grid's points.

    Parameters
    ----------
    metric
        Metric per ratio in increasing ratio order, ``(..., n_ratios)`` [unit of the limit].
    ratios
        The ratios, increasing, ``(n_ratios,)`` [-].
    limit
        The limit [unit of the metric].

    Returns
    -------
    numpy.ndarray
        ``(...)``: 0 where the first ratio fails, the last ratio where none fails, else the
        linear crossing between the last passing and the first failing ratio [-].
    """
    values = np.asarray(metric, dtype=np.float64)
    fails = ~passes(values, limit)
    any_fail = fails.any(axis=-1)
    first = np.argmax(fails, axis=-1)
    before = np.maximum(first - 1, 0)
    v0 = np.take_along_axis(values, before[..., None], axis=-1)[..., 0]
    v1 = np.take_along_axis(values, first[..., None], axis=-1)[..., 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.clip(np.where(v1 > v0, (limit - v0) / (v1 - v0), 0.0), 0.0, 1.0)
    crossed = ratios[before] + frac * (ratios[first] - ratios[before])
    out = np.where(any_fail, np.where(first == 0, 0.0, crossed), ratios[-1])
    return np.asarray(out, dtype=np.float64)


def bootstrap_interval(
    metric: FloatArray,
    ratios: FloatArray,
    limit: float,
    percentile: float,
    rng: np.random.Generator,
    reps: int = BOOTSTRAP_REPS,
) -> tuple[float, float]:
    """Confidence interval of the largest passing ratio, by resampling the days.

    Each resample draws the evaluated days with replacement, takes the ``percentile`` band of
    every ratio and reads the crossing (:func:`crossing_ratio`); the interval holds the central
    :data:`INTERVAL_LEVEL` of those answers. Its width falls as one over the square root of the
    days.

    Parameters
    ----------
    metric
        Daily metric per ratio, ``(n_ratios, n_days)`` [unit of the limit].
    ratios
        The ratios of the rows, increasing, ``(n_ratios,)`` [-].
    limit
        The criterion's limit.
    percentile
        The band (50 or 95) [percentile].
    rng
        Generator of the resamples.
    reps
        Resamples [-].

    Returns
    -------
    tuple
        ``(low, high)`` [-].
    """
    values = np.asarray(metric, dtype=np.float64)
    n_days = values.shape[1]
    answers = np.empty(reps)
    for start in range(0, reps, BOOTSTRAP_CHUNK):  # chunks of resamples, not single ones
        stop = min(start + BOOTSTRAP_CHUNK, reps)
        days = rng.integers(0, n_days, size=(stop - start, n_days))
        band = np.percentile(values[:, days], percentile, axis=-1)  # (n_ratios, chunk)
        answers[start:stop] = crossing_ratio(band.T, ratios, limit)
    tail = 50.0 * (1.0 - INTERVAL_LEVEL)
    low, high = np.percentile(answers, [tail, 100.0 - tail])
    return float(low), float(high)
