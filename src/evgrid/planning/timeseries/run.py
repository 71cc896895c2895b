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

import dataclasses
from typing import Any

import numpy as np

from evgrid.charging.participation import participating_cars
from evgrid.charging.strategies import get_strategy
from evgrid.errors import bad_value
from evgrid.grid.transformer import Transformer, check_criterion, check_limit
from evgrid.params import as_generator, default, parameter
from evgrid.planning.result import HostingResult, RegularLoad
from evgrid.planning.timeseries import montecarlo as mc
from evgrid.planning.timeseries.engine import Run, run_hosting
from evgrid.resources import require_memory
from evgrid.sessions import Sessions
from evgrid.timegrid import FloatArray, TimeGrid

RATIO_ARRAYS = 4
"""Arrays of one value per pile ratio and slot the engine holds at once (loads, loadings,
metrics), an upper estimate [-]."""

WARMUP_DAYS = 1
"""Days simulated before the evaluated days (overnight sessions, thermal state) [day]."""

COOLDOWN_DAYS = 1
"""Days simulated after the evaluated days, without new arrivals [day]."""


def check_inputs(
    strategy: str, criterion: str, days: int, participation: float, limit: float | None
) -> float:
    """Validate the run options and return the criterion's limit.

    Raises
    ------
    InputError
        Unknown strategy or criterion, ``days`` not a whole number >= 1, participation outside
        [0, 1] or not 1 with uncontrolled charging, a limit outside the criterion's range.
    """
    get_strategy(strategy)
    check_criterion(criterion)
    if isinstance(days, np.integer):
        days = int(days)
    parameter("monte_carlo_days").check(days, "days")
    parameter("participation").check(participation, "participation")
    if get_strategy(strategy).name == "uncontrolled" and participation != 1.0:
        raise bad_value("participation", participation, "1 with strategy 'uncontrolled'")
    return check_limit(criterion, limit)


def check_memory(grid: TimeGrid) -> None:
    """Refuse a horizon whose hosting curves would not fit in memory (before any allocation)."""
    require_memory(
        RATIO_ARRAYS * mc.N_PILE_RATIOS * grid.n_slots * 8.0,
        f"days {grid.n_days - WARMUP_DAYS - COOLDOWN_DAYS} of {grid.slot_min:g}-min slots",
    )


def site_base_kw(
    site: Any, grid: TimeGrid, study_year: int | None = None
) -> tuple[FloatArray, RegularLoad]:
    """A site's regular load on the grid's horizon, ``(grid.n_slots,)`` [kW], and its basis.

    The same basis as the planning-index tier (:func:`evgrid.planning.index.regular_load` and
    the office model): a measured curve as it is; measured peak and valley on the typical shape;
    the planning index (1.3 kW per household, report 3.1) where a community has no measurement
    or, new and still filling up, measures below it (the curve or shape scaled up to the index
    peak); an office park's load at saturation (the measured curve or peak × the saturation
    factor, report 4.2).

    Parameters
    ----------
    site
        The site.
    grid
        The horizon.
    study_year
        The study year that decides which communities are new [year]; default the parameter.
    """
    from evgrid.load.measured import site_load_curve
    from evgrid.load.shapes import typical_curve
    from evgrid.planning.assumptions import OfficeAssumptions, ResidentialAssumptions
    from evgrid.planning.index import regular_load

    if site.kind == "office":
        factor = OfficeAssumptions().saturation_factor
        curve_kw = site_load_curve(site, slot_min=grid.slot_min).on_grid(grid) * factor
        peak_kw = float(site.regular_peak_kw * factor)
        return curve_kw, RegularLoad(peak_kw, float(curve_kw.min()), "measured peak at saturation")
    a = ResidentialAssumptions()
    if study_year is not None:
        a = dataclasses.replace(a, study_year=study_year)
    reg = regular_load(site, a)
    if site.load_curve is not None:
        curve_kw = site_load_curve(site, slot_min=grid.slot_min).on_grid(grid)
        return curve_kw * (reg.peak_kw / float(curve_kw.max())), reg
    curve = typical_curve("residential", reg.peak_kw, reg.valley_kw, slot_min=grid.slot_min)
    return curve.on_grid(grid), reg


def timeseries_hosting(
    site: Any,
    *,
    strategy: str = "uncontrolled",
    participation: float = 1.0,
    days: int | None = None,
    rng: np.random.Generator | int | None = None,
    criterion: str = "loading",
    limit: float | None = None,
    behaviour: Any = None,
    slot_min: float | None = None,
    ambient_c: float | FloatArray | None = None,
    curve_step: float | None = None,
    transformer: Transformer | None = None,
    study_year: int | None = None,
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
        Share of the cars that follow ``strategy``; the rest charge uncontrolled [-]
        (:mod:`evgrid.charging.participation`).
    days
        Monte Carlo days evaluated [day]; default the parameter ``monte_carlo_days`` (365).
    rng
        Seed or generator; the same seed gives the same result.
    criterion
        ``"loading"``, ``"hotspot"`` or ``"ageing"``.
    limit
        The criterion's limit [pu, °C or day/day]; default
        :func:`evgrid.grid.transformer.default_limit`.
    behaviour
        A :class:`~evgrid.demand.behaviour.Behaviour`, a preset name or a behaviour file;
        default the parameter ``behaviour_residential`` (the ``report`` preset) for communities
        and ``behaviour_office`` for office parks.
    slot_min
        Slot length [min]; default the parameter ``slot_min`` (15).
    ambient_c
        Ambient temperature for the thermal criteria, scalar or ``(n_slots,)`` over the
        ``days + 2``-day horizon [°C]; default the transformer's.
    curve_step
        Pile-ratio step of the reported curve for coordinated strategies [-]; default the
        parameter ``coordinated_curve_step``. Separable strategies always give every 1 %.
    transformer
        The transformer that judges the load; default the site's (rating, power factor,
        cooling, paper, ambient: :meth:`Transformer.from_site`).
    study_year
        The study year that decides which communities are new (their regular load basis)
        [year]; default the parameter ``study_year``.
    **options
        Passed to the strategy (e.g. a TOU valley start).

    Returns
    -------
    HostingResult

    Raises
    ------
    InputError
        Unknown criterion or strategy, bad days, participation or limit, or a bad site load
        curve.
    """
    from evgrid.demand.behaviour import Behaviour
    from evgrid.demand.sampling import sample_sessions

    days = parameter("monte_carlo_days").resolve(days)
    check_inputs(strategy, criterion, days, participation, limit)
    grid = TimeGrid(
        slot_min=parameter("slot_min").resolve(slot_min),
        n_days=int(days) + WARMUP_DAYS + COOLDOWN_DAYS,
    )
    check_memory(grid)
    base_kw, regular = site_base_kw(site, grid, study_year)
    if behaviour is None:
        behaviour = default(f"behaviour_{site.kind}")
    name = behaviour if isinstance(behaviour, str) else "given"
    behaviour = Behaviour.load(behaviour)
    sample_rng, run_rng = as_generator(rng).spawn(2)
    n_spaces = int(site.parking_spaces)
    if n_spaces > 0:
        sessions = sample_sessions(
            behaviour, n_spaces, days=int(days) + WARMUP_DAYS, rng=sample_rng
        )
    else:
        sessions = Sessions.concat([])
    result = hosting_curve(
        base_kw,
        sessions,
        n_spaces,
        grid=grid,
        transformer=transformer or Transformer.from_site(site),
        strategy=strategy,
        participation=participation,
        criterion=criterion,
        limit=limit,
        rng=run_rng,
        ambient_c=ambient_c,
        curve_step=curve_step,
        site_name=str(site.name),
        regular=regular,
        **options,
    )
    return dataclasses.replace(result, details={**result.details, "behaviour": name})


def hosting_curve(
    base_kw: FloatArray,
    sessions: Sessions,
    n_spaces: int,
    *,
    grid: TimeGrid,
    transformer: Transformer,
    strategy: str = "uncontrolled",
    participation: float = 1.0,
    criterion: str = "loading",
    limit: float | None = None,
    rng: np.random.Generator | int | None = None,
    ambient_c: float | FloatArray | None = None,
    warmup_days: int = WARMUP_DAYS,
    cooldown_days: int = COOLDOWN_DAYS,
    curve_step: float | None = None,
    site_name: str = "site",
    regular: RegularLoad | None = None,
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
    transformer
        The transformer: ``loading_pu = total_kw / (power_factor * rating_kva)``, and its
        thermal characteristics and paper for the thermal criteria.
    strategy, participation, criterion, limit, rng, ambient_c, curve_step, **options
        As in :func:`timeseries_hosting`.
    warmup_days, cooldown_days
        Days at the start and end of the horizon left out of the evaluation [day].
    site_name, regular
        Name and regular load carried into the result (default: read off ``base_kw``).
    use_schedules
        Evaluate valley filling and the LP under the loading criterion by running their
        schedules at a coarse grid of ratios plus bisection, instead of the closed-form daily
        optimal peak of every ratio (slower; a cross-check).
    """
    n_eval = int(grid.n_days) - warmup_days - cooldown_days
    limit_value = check_inputs(strategy, criterion, n_eval, participation, limit)
    check_memory(grid)
    ambient = transformer.ambient_c if ambient_c is None else ambient_c
    if np.ndim(ambient) and np.shape(ambient) != (grid.n_slots,):
        raise bad_value(
            "ambient_c shape", np.shape(ambient), f"a number or {grid.n_slots} values [°C]"
        )
    step = parameter("coordinated_curve_step").resolve(curve_step, "curve_step")
    base = np.asarray(base_kw, dtype=np.float64)
    if regular is None:
        regular = RegularLoad(float(base.max()), float(base.min()), "given")
    order_rng, strat_rng = as_generator(rng).spawn(2)
    rank_of_car = np.empty(n_spaces, dtype=np.int64)
    rank_of_car[order_rng.permutation(n_spaces)] = np.arange(n_spaces, dtype=np.int64)
    chosen = get_strategy(strategy)
    joins = participating_cars(rank_of_car, participation)
    if chosen.name == "uncontrolled":
        joins[:] = False
    run = Run(
        base_kw=base,
        grid=grid,
        sessions=sessions,
        session_rank=rank_of_car[sessions.vehicle],
        session_joins=joins[sessions.vehicle],
        counts=mc.pile_counts(mc.PILE_RATIOS, n_spaces),
        transformer=transformer,
        criterion=criterion,
        limit=limit_value,
        eval_days=slice(warmup_days, int(grid.n_days) - cooldown_days),
        ambient_c=ambient,
        strategy=chosen,
        participation=float(participation),
        strategy_seed=int(strat_rng.integers(2**63 - 1)),
        curve_step=step,
        site_name=site_name,
        regular=regular,
        use_schedules=use_schedules,
        options=dict(options),
    )
    return run_hosting(run)
