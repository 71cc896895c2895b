"""Time-series hosting capacity: loading against pile ratio, P50/P95 over Monte Carlo days.

For a site, each pile is one car of the site's :class:`~evgrid.planning.fleet.Fleet`
(:func:`evgrid.planning.fleet.sample_fleet`: one car per parking space, sampled from the behaviour
model, on a horizon of a warm-up day, the evaluated days and a cool-down day, with the site's
regular load). Cars are independent draws, so their index is a random order: the pile ratio
``r`` takes the first ``round(r * spaces)`` of them, and the same cars are present at every larger
ratio. :func:`hosting_curve` takes sessions of your own instead and puts them in a random order.

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
from evgrid.params import as_generator, parameter
from evgrid.planning.fleet import (
    COOLDOWN_DAYS,
    WARMUP_DAYS,
    Fleet,
    sample_fleet,
    site_base_kw,
)
from evgrid.planning.result import HostingResult, RegularLoad
from evgrid.planning.timeseries import montecarlo as mc
from evgrid.planning.timeseries.engine import Run, run_hosting
from evgrid.resources import require_memory
from evgrid.sessions import Sessions
from evgrid.timegrid import FloatArray, TimeGrid

__all__ = ["COOLDOWN_DAYS", "WARMUP_DAYS", "site_base_kw"]

RATIO_ARRAYS = 4
"""Arrays of one value per pile ratio and slot the engine holds at once (loads, loadings,
metrics), an upper estimate [-]."""


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
    basis: Any = None,
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
        Seed (None for the parameter ``seed``), SeedSequence or generator; a seed is combined
        with the site's name (:func:`evgrid.planning.fleet.site_stream`), so the same seed and
        days give the same cars in every command (:func:`evgrid.planning.fleet.sample_fleet`).
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
    basis
        The design basis (:func:`evgrid.planning.basis.load_basis`; default the parameter
        ``basis``, ``design``): the behaviour, the regular load over the year, the ambient, the
        power factors of the transformer and the band the recommendation is read on.
    **options
        Passed to the strategy (e.g. a TOU valley start).

    Returns
    -------
    HostingResult

    Raises
    ------
    InputError
        Unknown criterion, strategy or basis, bad days, participation or limit, a hot-spot
        limit at or below the ambient or the regular load's own hot spot, or a bad site load
        curve.
    """
    from evgrid.planning.basis import load_basis, site_transformer

    days = parameter("monte_carlo_days").resolve(days)
    check_inputs(strategy, criterion, days, participation, limit)
    grid = TimeGrid(
        slot_min=parameter("slot_min").resolve(slot_min),
        n_days=int(days) + WARMUP_DAYS + COOLDOWN_DAYS,
    )
    check_memory(grid)
    chosen_basis = load_basis(basis)
    fleet = sample_fleet(
        site,
        days=days,
        rng=rng,
        behaviour=behaviour,
        slot_min=slot_min,
        study_year=study_year,
        basis=chosen_basis,
    )
    return fleet_hosting(
        fleet,
        transformer=transformer or site_transformer(site, chosen_basis),
        strategy=strategy,
        participation=participation,
        criterion=criterion,
        limit=limit,
        ambient_c=ambient_c,
        curve_step=curve_step,
        band=chosen_basis.band,
        **options,
    )


def fleet_hosting(
    fleet: Fleet,
    *,
    transformer: Transformer,
    strategy: str = "uncontrolled",
    participation: float = 1.0,
    criterion: str = "loading",
    limit: float | None = None,
    ambient_c: float | FloatArray | None = None,
    curve_step: float | None = None,
    band: str = "p95",
    **options: Any,
) -> HostingResult:
    """Hosting capacity of a sampled :class:`~evgrid.planning.fleet.Fleet` (one car per space).

    Pile ratio ``r`` takes the fleet's first ``round(r × n_cars)`` cars, and of any first ``k``
    cars ``round(participation × k)`` follow ``strategy`` (:meth:`Fleet.participating`).

    Parameters
    ----------
    fleet
        The cars, the horizon, the regular load and the ambient.
    transformer
        The transformer that judges the load; with an ``ev_power_factor`` the regular and the
        charging load are judged at their own power factors.
    strategy, participation, criterion, limit, ambient_c, curve_step, **options
        As in :func:`timeseries_hosting`; ``ambient_c`` default the fleet's.
    band
        ``"p95"`` or ``"p50"``: the band the recommendation and its interval are read on (the
        basis's).
    """
    limit_value = check_inputs(strategy, criterion, fleet.n_days, participation, limit)
    check_memory(fleet.grid)
    ambient = fleet.ambient_c if ambient_c is None else ambient_c
    judge = transformer.judge()
    scale = transformer.regular_scale
    if criterion == "hotspot":
        check_hotspot_limit(fleet, judge, fleet.base_kw * scale, ambient, limit_value)
    chosen = get_strategy(strategy)
    joins = fleet.participating(participation)
    if chosen.name == "uncontrolled":
        joins[:] = False
    vehicle = fleet.sessions.vehicle
    run = _run(
        fleet.base_kw * scale,
        fleet.sessions,
        fleet.n_cars,
        grid=fleet.grid,
        transformer=judge,
        chosen=chosen,
        participation=participation,
        criterion=criterion,
        limit_value=limit_value,
        session_rank=np.asarray(vehicle, dtype=np.int64),
        session_joins=joins[vehicle],
        strategy_seed=fleet.strategy_seed,
        ambient_c=ambient,
        curve_step=curve_step,
        warmup_days=fleet.eval_days.start,
        cooldown_days=int(fleet.grid.n_days) - fleet.eval_days.stop,
        site_name=fleet.site_name,
        regular=fleet.regular,
        options=options,
        session_left_kwh=fleet.left_kwh,
    )
    run = dataclasses.replace(run, regular_scale=scale, band=mc.P95 if band == "p95" else mc.P50)
    result = run_hosting(run)
    details = {
        **result.details,
        "behaviour": fleet.behaviour_name,
        "basis": fleet.basis,
        "power_factor_household": transformer.power_factor,
        "power_factor_ev": transformer.charging_power_factor,
        "left_share": fleet.left_share,
    }
    return dataclasses.replace(result, details=details, basis=fleet.basis)


def check_hotspot_limit(
    fleet: Fleet,
    judge: Transformer,
    base_kw: FloatArray,
    ambient_c: float | FloatArray,
    limit_c: float,
) -> None:
    """Refuse a hot-spot limit that hosts nothing for a reason other than charging.

    The limit must lie above the highest ambient and above the regular load's own hot spot on
    the bad day (95th percentile of the daily maximum over the evaluated days).

    Raises
    ------
    InputError
        Naming the limit, the ambient or the regular load's hot spot it does not clear.
    """
    hottest = float(np.max(ambient_c))
    if limit_c <= hottest:
        raise bad_value(
            "limit",
            limit_c,
            f"a hot-spot limit above the highest ambient, {hottest:.1f} °C [°C]",
        )
    own = mc.daily_metric(
        judge.loading_pu(base_kw)[None, :],
        criterion="hotspot",
        slots_per_day=fleet.grid.slots_per_day,
        eval_days=fleet.eval_days,
        slot_min=fleet.grid.slot_min,
        ambient_c=ambient_c,
        thermal=judge.params,
        paper=judge.paper,
    )
    base_c = float(mc.quantile_over_days(own, mc.P95)[0])
    if limit_c <= base_c:
        raise bad_value(
            "limit",
            limit_c,
            f"a hot-spot limit above the regular load's own hot spot on the bad day, "
            f"{base_c:.1f} °C [°C]",
        )


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
    order_rng, strat_rng = as_generator(rng).spawn(2)
    rank_of_car = np.empty(n_spaces, dtype=np.int64)
    rank_of_car[order_rng.permutation(n_spaces)] = np.arange(n_spaces, dtype=np.int64)
    chosen = get_strategy(strategy)
    joins = participating_cars(rank_of_car, participation)
    if chosen.name == "uncontrolled":
        joins[:] = False
    run = _run(
        base_kw,
        sessions,
        n_spaces,
        grid=grid,
        transformer=transformer,
        chosen=chosen,
        participation=participation,
        criterion=criterion,
        limit_value=limit_value,
        session_rank=rank_of_car[sessions.vehicle],
        session_joins=joins[sessions.vehicle],
        strategy_seed=int(strat_rng.integers(2**63 - 1)),
        ambient_c=ambient_c,
        curve_step=curve_step,
        warmup_days=warmup_days,
        cooldown_days=cooldown_days,
        site_name=site_name,
        regular=regular,
        use_schedules=use_schedules,
        options=options,
    )
    return run_hosting(run)


def _run(
    base_kw: FloatArray,
    sessions: Sessions,
    n_spaces: int,
    *,
    grid: TimeGrid,
    transformer: Transformer,
    chosen: Any,
    participation: float,
    criterion: str,
    limit_value: float,
    session_rank: Any,
    session_joins: Any,
    strategy_seed: int,
    ambient_c: float | FloatArray | None,
    curve_step: float | None,
    warmup_days: int,
    cooldown_days: int,
    site_name: str,
    regular: RegularLoad | None,
    options: dict[str, Any],
    use_schedules: bool = False,
    session_left_kwh: FloatArray | None = None,
) -> Run:
    """A validated :class:`~evgrid.planning.timeseries.engine.Run` (ambient, curve step, base)."""
    ambient = transformer.ambient_c if ambient_c is None else ambient_c
    if np.ndim(ambient) and np.shape(ambient) != (grid.n_slots,):
        raise bad_value(
            "ambient_c shape", np.shape(ambient), f"a number or {grid.n_slots} values [°C]"
        )
    step = parameter("coordinated_curve_step").resolve(curve_step, "curve_step")
    base = np.asarray(base_kw, dtype=np.float64)
    if regular is None:
        regular = RegularLoad(float(base.max()), float(base.min()), "given")
    return Run(
        base_kw=base,
        grid=grid,
        sessions=sessions,
        session_rank=session_rank,
        session_joins=session_joins,
        counts=mc.pile_counts(mc.PILE_RATIOS, n_spaces),
        transformer=transformer,
        criterion=criterion,
        limit=limit_value,
        eval_days=slice(warmup_days, int(grid.n_days) - cooldown_days),
        ambient_c=ambient,
        strategy=chosen,
        participation=float(participation),
        strategy_seed=int(strategy_seed),
        curve_step=step,
        site_name=site_name,
        regular=regular,
        use_schedules=use_schedules,
        options=dict(options),
        session_left_kwh=session_left_kwh,
    )
