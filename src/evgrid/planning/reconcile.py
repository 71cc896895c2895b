"""The two tiers side by side on a whole city: the index tier against the time-series tier.

The index tier's design demand comes from the time-series tier
(:mod:`evgrid.planning.design_curve`); this module checks that the two give the same answers on a
population of communities, fast enough for a test and for fitting the curve's design day:

* **index tier**: :func:`evgrid.planning.years.index_years` and the hosting curve of every site,
  from the stored curve (closed form);
* **time-series tier, on a table**: a community whose regular load has the same shape as every
  other's (the synthetic cities: valleys at 40 % of the peak, the basis's seasons) loads its
  transformer on day ``d`` with ``p s_d(t) + C_n(d, t)``, the shape ``s`` scaled by its peak
  ``p`` plus the uncontrolled charging of its ``n`` cars. One Monte Carlo fleet of the basis's
  behaviour gives ``C_n`` for a grid of counts, pooled over up to :data:`MAX_GROUPS` disjoint
  groups of ``n`` cars (so a small site's answer is the time-series tier's over fleets, not one
  draw of a few cars), and the 95th percentile over days and groups of the daily maximum of
  ``rho s + C_n / n`` is tabulated once for a grid of ``rho = p / n``. Every site and year then
  reads the table (linear in log ``n`` and log ``rho``): a city of a thousand sites in seconds,
  the same definition as :func:`evgrid.planning.timeseries.run.timeseries_hosting` (the daily
  peak loading's band over the year's days) with one shared fleet instead of one per site.

Uncontrolled charging only: valley filling's optimal peak depends on the whole base curve and
each car's window, and is checked site by site (:func:`evgrid.hosting` on the report's cases).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from evgrid.errors import bad_value
from evgrid.planning.timeseries import montecarlo as mc
from evgrid.timegrid import FloatArray, IntArray

N_RHO = 120
"""Points of the regular-load-per-pile axis of the table [-]."""

N_COUNTS = 40
"""Pile counts of the table (log-spaced) [-]."""

MAX_GROUPS = 8
"""Disjoint groups of cars a small count's band pools at most [-]."""

VALLEY_RTOL = 1e-6
"""Valley ÷ peak ratios within this of each other count as one shape [-]."""


@dataclass(frozen=True, eq=False)
class TierCheck:
    """Both tiers on each community of a city, uncontrolled charging.

    Parameters
    ----------
    names
        The communities.
    spaces
        Parking spaces, ``(n,)`` [-].
    years
        The scenario's years [year].
    index_ratio, ts_ratio
        Largest pile ratio at the limit on the 1 % grid: the index tier's for each quantile
        tried ``(n_quantiles, n)``, and the time-series tier's on its band (the basis's,
        95th-percentile day) ``(n,)`` [-].
    index_year, ts_year
        Index of the first failing year in ``years``, ``len(years)`` for none: the index tier's
        ``(n_quantiles, n)``, the time-series tier's ``(n,)`` [-].
    quantiles
        The design days the index tier was read on, ``(n_quantiles,)`` [percentile].
    """

    names: tuple[str, ...]
    spaces: FloatArray
    years: IntArray
    index_ratio: FloatArray
    ts_ratio: FloatArray
    index_year: IntArray
    ts_year: IntArray
    quantiles: FloatArray


def _first(fails: np.ndarray) -> IntArray:
    return np.where(fails.any(axis=1), np.argmax(fails, axis=1), fails.shape[1]).astype(np.int64)


def _grid_answer(loading: FloatArray, limit: float) -> FloatArray:
    """Largest ratio of the 1 % grid whose loading and every smaller one's meet the limit."""
    ok = mc.passes(loading, limit)
    failing = ~ok
    first = np.where(failing.any(axis=1), np.argmax(failing, axis=1), ok.shape[1])
    return np.asarray(np.maximum(first - 1, -1) / (ok.shape[1] - 1), dtype=np.float64).clip(0.0)


def band_table(
    shape_kw: FloatArray,
    session_kw: Any,
    vehicle: IntArray,
    counts: IntArray,
    rho: FloatArray,
    *,
    slots_per_day: int,
    eval_days: slice,
    percentile: float,
) -> FloatArray:
    """Per pile, the band over days (and groups) of the daily maximum of ``rho × shape +
    charging / n``.

    Parameters
    ----------
    shape_kw
        The regular load's shape over the horizon, ``(n_slots,)`` [kW per kW of peak].
    session_kw
        Uncontrolled charging of every session, sparse ``(n_sessions, n_slots)`` [kW].
    vehicle
        The car of each session, ``(n_sessions,)`` [-].
    counts
        The counts, increasing, ``(n_counts,)`` [-].
    rho
        Regular peak per pile, increasing, ``(n_rho,)`` [kW].
    slots_per_day, eval_days
        The horizon's slots per day and evaluated days.
    percentile
        The band [percentile].

    Returns
    -------
    numpy.ndarray
        ``(n_counts, n_rho)`` [kW per pile].
    """
    import scipy.sparse as sp

    coo = sp.coo_array(session_kw)
    n_slots = coo.shape[1]
    car = vehicle[coo.row]
    n_cars = int(vehicle.max(initial=-1)) + 1
    shape_days = shape_kw.reshape(-1, slots_per_day)[eval_days]  # (days, spd)
    out = np.empty((counts.size, rho.size))
    for k, n in enumerate(counts.tolist()):  # a few dozen counts, every rho and day at once
        groups = max(1, min(MAX_GROUPS, n_cars // n))
        keep = car < groups * n
        flat = (car[keep] // n) * n_slots + coo.col[keep]
        load = np.bincount(flat, weights=coo.data[keep], minlength=groups * n_slots)
        per_pile = load.reshape(groups, -1, slots_per_day)[:, eval_days] / n  # (g, days, spd)
        daily = (rho[:, None, None, None] * shape_days[None, None] + per_pile[None]).max(axis=3)
        out[k] = np.percentile(daily.reshape(rho.size, -1), percentile, axis=1)
    return out


def _read_table(
    table: FloatArray, counts: IntArray, rho: FloatArray, n: FloatArray, r: FloatArray
) -> FloatArray:
    """The table at pile counts ``n`` and regular peaks per pile ``r`` (bilinear in logs)."""
    x = np.log(np.clip(n, counts[0], counts[-1]))
    y = np.log(np.clip(r, rho[0], rho[-1]))
    lx, ly = np.log(counts.astype(np.float64)), np.log(rho)
    i = np.clip(np.searchsorted(lx, x) - 1, 0, lx.size - 2)
    j = np.clip(np.searchsorted(ly, y) - 1, 0, ly.size - 2)
    wx = np.clip((x - lx[i]) / (lx[i + 1] - lx[i]), 0.0, 1.0)
    wy = np.clip((y - ly[j]) / (ly[j + 1] - ly[j]), 0.0, 1.0)
    return np.asarray(
        (1 - wx) * (1 - wy) * table[i, j]
        + wx * (1 - wy) * table[i + 1, j]
        + (1 - wx) * wy * table[i, j + 1]
        + wx * wy * table[i + 1, j + 1],
        dtype=np.float64,
    )


def city_tier_check(
    sites: Sequence[Any],
    *,
    basis: Any = None,
    scenario: Any = None,
    days: int = 365,
    rng: int = 1,
    quantiles: Sequence[float] | None = None,
) -> TierCheck:
    """Both tiers on a city's communities, uncontrolled charging (module docstring).

    Parameters
    ----------
    sites
        Residential communities with a measured peak and valley in one ratio (a synthetic city).
    basis
        The design basis (default the parameter ``basis``); not ``report``.
    scenario
        The scenario of the upgrade years (default the parameter ``scenario``).
    days, rng
        Monte Carlo days and seed of the shared fleet.
    quantiles
        The index tier's design days to try (default the basis's,
        :func:`evgrid.planning.design_index.design_quantile_of`) [percentile].

    Raises
    ------
    InputError
        An office park, a measured curve, valleys in more than one ratio, or the report basis.
    """
    from evgrid.charging.uncontrolled import uncontrolled
    from evgrid.demand.behaviour import Behaviour
    from evgrid.demand.sampling import sample_sessions
    from evgrid.params import parameter
    from evgrid.planning.basis import load_basis
    from evgrid.planning.design_curve import index_demand
    from evgrid.planning.design_loads import design_loads_kw
    from evgrid.planning.fleet import COOLDOWN_DAYS, WARMUP_DAYS, site_base_kw
    from evgrid.planning.scenarios import load_scenario
    from evgrid.planning.years import index_years, site_years
    from evgrid.timegrid import TimeGrid

    chosen = load_basis(basis)
    demand = index_demand(chosen)
    if demand is None:
        raise bad_value("basis", chosen.name, "a basis whose index tier reads a curve")
    for s in sites:
        if s.kind != "residential" or s.load_curve is not None or s.regular_peak_kw is None:
            raise bad_value("sites", s.name, "communities with a measured peak and valley")
    ratio = np.array([(s.regular_valley_kw or 0.0) / s.regular_peak_kw for s in sites])
    if np.ptp(ratio) > VALLEY_RTOL:
        raise bad_value("sites", "valley ratios", "one valley ÷ peak ratio for every site")
    sc = load_scenario(parameter("scenario").value if scenario is None else scenario)
    sy = site_years(list(sites), sc, basis=chosen)
    limit = float(parameter("loading_limit_pu").value)
    own = 95.0 if sy.quantile is None else float(sy.quantile[0])
    qs = np.asarray([own] if quantiles is None else quantiles, dtype=np.float64)
    # index tier: the hosting curve of every site, and the scenario's years, per quantile
    ratios = mc.PILE_RATIOS
    assert sy.base_day_kw is not None and sy.regular_scale is not None
    base = (sy.base_day_kw * sy.regular_scale[:, None])[:, None, :]
    n = ratios[None, :] * sy.spaces[:, None]
    capacity = sy.power_factor * sy.rating_kva
    index_ratio = np.empty((qs.size, len(sites)))
    index_year = np.empty((qs.size, len(sites)), dtype=np.int64)
    for m, q in enumerate(qs.tolist()):  # a handful of design days
        _, _, peak = design_loads_kw(
            base, n, np.zeros_like(n), demand, pile_kw=7.0, orderly_kw_per_pile=0.0, quantile=q
        )
        index_ratio[m] = _grid_answer(peak / capacity[:, None], limit)
        loads = index_years(_with_quantile(sy, np.full(len(sites), q)), "uncontrolled")
        index_year[m] = _first(loads.loading_pu > limit * (1 + 1e-9))
    # time-series tier on a table
    grid = TimeGrid(15.0, days + WARMUP_DAYS + COOLDOWN_DAYS)
    n_max = int(max(sy.spaces.max(), 1))
    cars = sample_sessions(
        Behaviour.load(chosen.behaviour_residential),
        n_max * MAX_GROUPS if n_max < 200 else n_max + 200 * MAX_GROUPS,
        days=days + WARMUP_DAYS,
        rng=rng,
    )
    counts = np.unique(np.round(np.geomspace(1, n_max, N_COUNTS)).astype(np.int64))
    per_session = uncontrolled(cars, grid, per_session=True).session_kw
    unit = type(sites[0])(
        name="shape",
        households=1,
        parking_spaces=1,
        transformer_kva=1.0,
        regular_peak_kw=1.0,
        regular_valley_kw=float(ratio[0]),
        type="old",
    )
    seasonal = chosen.base_load == "seasonal"
    shape, _ = site_base_kw(unit, grid, sc.base_year, seasonal=seasonal)
    shape = shape * float(sy.regular_scale[0])
    rho_all = sy.peak_kw[:, None] * sy.growth() / np.maximum(sy.pile_ratio * sy.spaces[:, None], 1)
    top = max(float(np.max(sy.peak_kw / 1.0)), float(rho_all.max())) * 1.5
    rho = np.geomspace(1e-3, top, N_RHO)
    percentile = 95.0 if chosen.band == "p95" else 50.0
    table = band_table(
        shape,
        per_session,
        cars.vehicle,
        counts,
        rho,
        slots_per_day=grid.slots_per_day,
        eval_days=slice(WARMUP_DAYS, WARMUP_DAYS + days),
        percentile=percentile,
    )

    def loading(n_piles: FloatArray, regular_kw: FloatArray) -> FloatArray:
        piles = np.maximum(n_piles, 1e-9)
        band = _read_table(table, counts, rho, piles, regular_kw / piles)
        # no piles: the regular peak alone (the shape's maximum of the band's day)
        alone = regular_kw * float(shape.max())
        return np.where(n_piles >= 0.5, piles * band, alone)

    ts_load = loading(n, np.broadcast_to(sy.peak_kw[:, None], n.shape)) / capacity[:, None]
    ts_ratio = _grid_answer(ts_load, limit)
    year_piles = sy.pile_ratio * sy.spaces[:, None]
    year_load = loading(year_piles, sy.peak_kw[:, None] * sy.growth()) / capacity[:, None]
    ts_year = _first(year_load > limit * (1 + 1e-9))
    return TierCheck(
        names=tuple(str(s.name) for s in sites),
        spaces=np.asarray(sy.spaces, dtype=np.float64),
        years=np.asarray(sc.years, dtype=np.int64),
        index_ratio=index_ratio,
        ts_ratio=ts_ratio,
        index_year=index_year,
        ts_year=ts_year,
        quantiles=qs,
    )


def _with_quantile(sy: Any, quantile: FloatArray | None) -> Any:
    import dataclasses

    return sy if quantile is None else dataclasses.replace(sy, quantile=quantile)
