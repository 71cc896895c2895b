"""Time-series hosting capacity: loading against pile ratio, P50/P95 over Monte Carlo days.

For a site, each pile is one car sampled from the behaviour model (home preset for residential
communities, office preset for office parks). Every parking space gets a car once; the cars are
put in a random order and the pile ratio ``r`` takes the first ``round(r * spaces)`` of them, so
the same cars are present at every larger ratio. The base load is the site's measured curve, or
the typical shape scaled to its peak and valley (:func:`evgrid.load.measured.site_load_curve`).

Horizon: a linear horizon of ``days + 2`` days. Day 0 is a warm-up day (its evening sessions
charge into day 1, and it sets the thermal state), days ``1..days`` are evaluated, and the last
day is a cool-down day with no new arrivals, so the overnight sessions of the last evaluated
evening can finish (and coordinated strategies can move energy into its morning) instead of being
cut by the end of the horizon.

Speed:

* uncontrolled and TOU charging are separable (each car's load depends only on its own session),
  so each car's load is computed once and prefix sums over the random order give every ratio in
  one pass (:func:`evgrid.planning.timeseries.montecarlo.prefix_loads`);
* coordinated strategies (valley filling, LP, EDF, LLF) are evaluated on a coarse grid of ratios
  (default every 10 %) and the largest passing ratio is found by bisection to 1 % (about
  3–4 more schedule calls per band), relying on the peak being monotone in the number of cars;
  each evaluation runs the strategy in daily blocks (:mod:`evgrid.planning.timeseries.blocks`).

See ``docs/hosting-timeseries.md``.

Criteria (:mod:`evgrid.grid.transformer`): ``"loading"`` (daily peak loading <= limit, default
0.8: report section 3.3), ``"hotspot"`` (daily peak IEC 60076-7 hot-spot <= limit, default 98 °C)
and ``"ageing"`` (loss of life per day <= limit, default 1 day/day); the defaults are
:data:`evgrid.grid.transformer.DEFAULT_LIMITS`, the ambient
:data:`evgrid.grid.transformer.DEFAULT_AMBIENT_C`. P50 is the median day, P95 the 95th
percentile of the daily metric (the bad day), so P95 >= P50.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from evgrid.sessions import Sessions
from evgrid.errors import bad_value
from evgrid.grid.transformer import DEFAULT_AMBIENT_C, DEFAULT_LIMITS, check_criterion
from evgrid.planning.timeseries import montecarlo as mc
from evgrid.planning.timeseries.engine import Run, run_hosting
from evgrid.planning.timeseries.curves import HostingResult
from evgrid.timegrid import DEFAULT_SLOT_MIN, FloatArray, TimeGrid

DEFAULT_DAYS = 365
"""Monte Carlo days evaluated by default: one year of days [day]."""

WARMUP_DAYS = 1
"""Days simulated before the evaluated days (overnight sessions, thermal state) [day]."""

COOLDOWN_DAYS = 1
"""Days simulated after the evaluated days, without new arrivals [day]."""

COORDINATED_CURVE_STEP = 0.1
"""Pile-ratio step of the curve for coordinated strategies (then bisection to 1 %) [-]."""


def check_inputs(criterion: str, days: int, participation: float, limit: float | None) -> float:
    """Validate the run options and return the criterion's limit.

    Raises
    ------
    InputError
        Unknown criterion, ``days`` not a whole number >= 1, participation outside [0, 1], limit
        not a finite number > 0.
    """
    check_criterion(criterion)
    if isinstance(days, bool) or not isinstance(days, int | np.integer) or days < 1:
        raise bad_value("days", days, "a whole number of Monte Carlo days >= 1")
    if not 0.0 <= float(participation) <= 1.0:
        raise bad_value("participation", participation, "a share in [0, 1]")
    try:
        value = DEFAULT_LIMITS[criterion] if limit is None else float(limit)
    except (TypeError, ValueError):
        value = float("nan")
    if not np.isfinite(value) or value <= 0:
        raise bad_value("limit", limit, f"a number > 0 for criterion {criterion!r}")
    return value


def site_base_kw(site: Any, grid: TimeGrid) -> FloatArray:
    """A site's regular load on the grid's horizon, ``(grid.n_slots,)`` [kW].

    The measured curve if the site names one, else the typical shape scaled to its peak and
    valley; a residential site with neither gets the planning-index peak
    (:data:`evgrid.planning.assumptions.RESIDENTIAL_INDEX_KW_PER_HOUSEHOLD`, 1.3 kW, × households)
    on the typical shape.
    """
    from evgrid.load.measured import site_load_curve
    from evgrid.load.shapes import typical_curve
    from evgrid.planning.assumptions import RESIDENTIAL_INDEX_KW_PER_HOUSEHOLD

    if site.kind == "residential" and site.load_curve is None and site.regular_peak_kw is None:
        peak_kw = RESIDENTIAL_INDEX_KW_PER_HOUSEHOLD * site.households
        return typical_curve("residential", peak_kw, None, slot_min=grid.slot_min).on_grid(grid)
    return site_load_curve(site, slot_min=grid.slot_min).on_grid(grid)


def timeseries_hosting(
    site: Any,
    *,
    strategy: str = "uncontrolled",
    participation: float = 1.0,
    days: int = DEFAULT_DAYS,
    rng: np.random.Generator | int | None = None,
    criterion: str = "loading",
    limit: float | None = None,
    behaviour: Any = None,
    slot_min: float = DEFAULT_SLOT_MIN,
    ambient_c: float | FloatArray = DEFAULT_AMBIENT_C,
    curve_step: float | None = None,
    **options: Any,
) -> HostingResult:
    """Hosting capacity of a site from Monte Carlo days: loading P50/P95 against pile ratio.

    Parameters
    ----------
    site
        A :class:`~evgrid.grid.site.ResidentialSite` or :class:`~evgrid.grid.site.OfficeSite`.
    strategy
        Charging strategy name (:func:`evgrid.charging.strategies.get_strategy`).
    participation
        Share of the cars that follow ``strategy``; the rest charge uncontrolled [-].
    days
        Monte Carlo days evaluated, >= 1 [day].
    rng
        Seed or generator; the same seed gives the same result.
    criterion
        ``"loading"``, ``"hotspot"`` or ``"ageing"``.
    limit
        The criterion's limit; default :data:`DEFAULT_LIMITS` [pu, °C or day/day].
    behaviour
        A :class:`~evgrid.demand.behaviour.Behaviour`; default the home preset for residential
        sites and the office preset for office parks.
    slot_min
        Slot length [min].
    ambient_c
        Ambient temperature for the thermal criteria, scalar or ``(n_slots,)`` over the
        ``days + 2``-day horizon [°C].
    curve_step
        Pile-ratio step of the reported curve for coordinated strategies [-]; default
        :data:`COORDINATED_CURVE_STEP`. Uncontrolled and TOU always give every 1 %.
    **options
        Passed to the strategy (e.g. a TOU valley start).

    Returns
    -------
    HostingResult

    Raises
    ------
    InputError
        Unknown criterion or strategy, ``days`` < 1, participation outside [0, 1], bad limit,
        or a bad site load curve.
    """
    from evgrid.charging.strategies import get_strategy
    from evgrid.demand.behaviour import Behaviour
    from evgrid.demand.sampling import sample_sessions

    check_inputs(criterion, days, participation, limit)
    get_strategy(strategy)
    grid = TimeGrid(slot_min=slot_min, n_days=int(days) + WARMUP_DAYS + COOLDOWN_DAYS)
    base_kw = site_base_kw(site, grid)
    if behaviour is None:
        behaviour = Behaviour.home() if site.kind == "residential" else Behaviour.office()
    sample_rng, run_rng = np.random.default_rng(rng).spawn(2)
    n_spaces = int(site.parking_spaces)
    if n_spaces > 0:
        sessions = sample_sessions(
            behaviour, n_spaces, days=int(days) + WARMUP_DAYS, rng=sample_rng
        )
    else:
        sessions = Sessions.concat([])
    return hosting_curve(
        base_kw,
        sessions,
        n_spaces,
        grid=grid,
        rating_kva=float(site.transformer_kva),
        power_factor=float(site.power_factor),
        strategy=strategy,
        participation=participation,
        criterion=criterion,
        limit=limit,
        rng=run_rng,
        ambient_c=ambient_c,
        curve_step=curve_step,
        site_name=str(site.name),
        **options,
    )


def hosting_curve(
    base_kw: FloatArray,
    sessions: Sessions,
    n_spaces: int,
    *,
    grid: TimeGrid,
    rating_kva: float,
    power_factor: float = 1.0,
    strategy: str = "uncontrolled",
    participation: float = 1.0,
    criterion: str = "loading",
    limit: float | None = None,
    rng: np.random.Generator | int | None = None,
    ambient_c: float | FloatArray = DEFAULT_AMBIENT_C,
    warmup_days: int = WARMUP_DAYS,
    cooldown_days: int = COOLDOWN_DAYS,
    curve_step: float | None = None,
    site_name: str = "site",
    use_schedules: bool = False,
    **options: Any,
) -> HostingResult:
    """Hosting capacity from given sessions and base load (engine of :func:`timeseries_hosting`).

    Parameters
    ----------
    base_kw
        Regular load over the horizon, ``(grid.n_slots,)`` [kW].
    sessions
        Charging sessions of ``n_spaces`` cars (``vehicle`` in ``0..n_spaces-1``), on ``grid``.
    n_spaces
        Parking spaces = cars at pile ratio 1 [-].
    grid
        Linear horizon: ``warmup_days`` + evaluated days + ``cooldown_days``.
    rating_kva, power_factor
        Transformer rating [kVA] and power factor [-]: ``loading_pu = total_kw / (pf * kVA)``.
    strategy, participation, criterion, limit, rng, ambient_c, curve_step, **options
        As in :func:`timeseries_hosting`.
    warmup_days, cooldown_days
        Days at the start and end of the horizon left out of the evaluation [day].
    site_name
        Name carried into the result.
    use_schedules
        Evaluate valley filling and the LP under the loading criterion by running their
        schedules at a coarse grid of ratios plus bisection, instead of the closed-form daily
        optimal peak of every ratio (slower; a cross-check).
    """
    from evgrid.charging.strategies import get_strategy

    n_eval = int(grid.n_days) - warmup_days - cooldown_days
    limit_value = check_inputs(criterion, n_eval, participation, limit)
    strategy_fn = get_strategy(strategy)
    if np.ndim(ambient_c) and np.shape(ambient_c) != (grid.n_slots,):
        raise bad_value(
            "ambient_c shape", np.shape(ambient_c), f"a number or {grid.n_slots} values [°C]"
        )
    step = COORDINATED_CURVE_STEP if curve_step is None else float(curve_step)
    if not 0.0 < step <= 1.0:
        raise bad_value("curve_step", curve_step, "a pile-ratio step in (0, 1]")
    order_rng, part_rng, strat_rng = np.random.default_rng(rng).spawn(3)
    rank_of_car = np.empty(n_spaces, dtype=np.int64)
    rank_of_car[order_rng.permutation(n_spaces)] = np.arange(n_spaces, dtype=np.int64)
    joins = part_rng.random(n_spaces) < participation
    if strategy == "uncontrolled":
        joins[:] = False
    run = Run(
        base_kw=np.asarray(base_kw, dtype=np.float64),
        grid=grid,
        sessions=sessions,
        session_rank=rank_of_car[sessions.vehicle],
        session_joins=joins[sessions.vehicle],
        counts=mc.pile_counts(mc.PILE_RATIOS, n_spaces),
        scale_kw=power_factor * rating_kva,
        criterion=criterion,
        limit=limit_value,
        eval_days=slice(warmup_days, int(grid.n_days) - cooldown_days),
        ambient_c=ambient_c,
        strategy=strategy,
        strategy_fn=strategy_fn,
        participation=float(participation),
        strategy_seed=int(strat_rng.integers(2**63 - 1)),
        curve_step=step,
        site_name=site_name,
        use_schedules=use_schedules,
        options=dict(options),
    )
    return run_hosting(run)
