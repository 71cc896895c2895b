"""A site's electric cars over Monte Carlo days, and their charging load under a lever.

:func:`site_fleet` takes the cars of a site from its one Monte Carlo fleet
(:func:`evgrid.planning.fleet.sample_fleet`, the cars of every command): the EV share of the
parking spaces gets a car and a pile each (the fleet's first cars), sessions come from the
behaviour model over ``days`` evaluated days plus a warm-up and a cool-down day, and the regular
load is the site's (measured, typical shape or planning index); the owners' orders of willingness
are the fleet's. :func:`responder_loads` charges the first ``count`` cars of the owners' order of
willingness (:mod:`evgrid.incentives.response`) by a strategy and the others uncontrolled, for
many counts at once: for a separable strategy (``tou``) each car's load is computed once and the
loads of every count come from sums over groups of cars (no loop over cars or slots); a
coordinated strategy (``valley-filling``) is solved in day blocks for each distinct count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from evgrid.errors import bad_value
from evgrid.params import parameter
from evgrid.planning.fleet import EvaluatedDays
from evgrid.resources import require_memory
from evgrid.sessions import Sessions
from evgrid.timegrid import FloatArray, TimeGrid

BYTES_PER_VALUE = 8.0
"""A float64 [B]."""
LOAD_ARRAYS = 6
"""Arrays of one value per share and slot held at once (loads, totals, group sums, folds), an
upper estimate [-]."""


@dataclass(frozen=True, eq=False)
class Fleet(EvaluatedDays):
    """The cars of a site on a linear horizon, with their owners' order of willingness.

    Parameters
    ----------
    site_name
        The site.
    grid
        Horizon: warm-up day, evaluated days, cool-down day.
    base_kw
        Regular load over the horizon, ``(n_slots,)`` [kW].
    sessions
        Charging sessions of the cars (``vehicle`` in ``0 .. n_cars - 1``).
    n_cars
        Cars (= piles) [-].
    ranks
        Each car's place in each of several orders of willingness, ``(n_orders, n_cars)`` [-];
        loads under a response are averaged over the orders, so that a share's effect is its
        expectation over which owners respond rather than one draw.
    eval_days
        The evaluated days of the horizon.
    ev_share
        Share of parking spaces with a car [-].
    seed
        Seed of the strategies' own draws (TOU stagger) [-].
    basis
        Name of the design basis the cars were sampled on.
    """

    site_name: str
    grid: TimeGrid
    base_kw: FloatArray
    sessions: Sessions
    n_cars: int
    ranks: npt.NDArray[np.int64]
    eval_days: slice
    ev_share: float
    seed: int
    basis: str = "design"

    @property
    def rank(self) -> npt.NDArray[np.int64]:
        """The first order of willingness, ``(n_cars,)`` [-] (the draw demand response acts on)."""
        return self.ranks[0]


def site_fleet(
    site: Any,
    *,
    ev_share: float | None = None,
    days: int | None = None,
    rng: np.random.Generator | int | None = None,
    behaviour: Any = None,
    slot_min: float | None = None,
    orders: int | None = None,
    basis: Any = None,
) -> Fleet:
    """Sample a site's cars and regular load (the report's figure 6–7 set-up).

    Parameters
    ----------
    site
        A residential community or an office park.
    ev_share
        Share of parking spaces with an EV and a pile, in (0, 1] [-]; default the 2025
        medium scenario, 22 % (parameter ``ev_share_2025_medium``).
    days
        Monte Carlo days evaluated [day]; default the parameter ``impact_days`` (14).
    rng
        Seed (None for the parameter ``seed``), SeedSequence or generator; the same seed and
        days give the same cars as every other command: the first cars of the site's
        :func:`evgrid.planning.fleet.sample_fleet`.
    behaviour
        Behaviour preset, file or object; default the site kind's parameter.
    slot_min
        Slot length [min]; default the parameter ``slot_min``.
    orders
        Orders of willingness averaged [-]; default the parameter ``response_orders``.
    basis
        The design basis (default the parameter ``basis``): the behaviour and the regular load
        over the year.

    Raises
    ------
    InputError
        A share outside (0, 1], days < 1, or a share that gives no car.
    """
    from evgrid.planning.fleet import sample_fleet

    share = parameter("ev_share_2025_medium").resolve(ev_share, "ev_share")
    n_orders = parameter("response_orders").resolve(orders, "orders")
    n_cars = round(float(share) * int(site.parking_spaces))
    if n_cars < 1:
        raise bad_value(
            "ev_share", share, f"a share that gives at least one EV of {site.parking_spaces} spaces"
        )
    cars = sample_fleet(
        site,
        days=days,
        rng=rng,
        behaviour=behaviour,
        slot_min=slot_min,
        days_parameter="impact_days",
        basis=basis,
    ).first(n_cars)
    return Fleet(
        site_name=cars.site_name,
        grid=cars.grid,
        base_kw=cars.base_kw,
        sessions=cars.sessions,
        n_cars=n_cars,
        ranks=cars.orders(int(n_orders)),
        eval_days=cars.eval_days,
        ev_share=float(share),
        seed=cars.strategy_seed,
        basis=cars.basis,
    )


def _per_session(
    fleet: Fleet, strategy: str, valley_h: tuple[float, float], stagger_h: float | None
) -> Any:
    """Each session's load under a separable strategy, sparse ``(n_sessions, n_slots)`` [kW]."""
    from evgrid.charging.strategies import get_strategy
    from evgrid.charging.tou import tou_start_h
    from evgrid.charging.uncontrolled import uncontrolled

    s = fleet.sessions
    if strategy == "uncontrolled":
        return uncontrolled(s, fleet.grid, per_session=True).session_kw
    if strategy == "tou":
        width = parameter("tou_stagger_h").resolve(stagger_h, "stagger_h")
        stagger = np.random.default_rng(fleet.seed).uniform(0.0, width, len(s))
        start = tou_start_h(
            s.arrival_h, s.departure_h, s.energy_kwh, s.max_power_kw, stagger, *valley_h
        )
        delayed = Sessions(start, s.departure_h, s.energy_kwh, s.max_power_kw, s.vehicle)
        return uncontrolled(delayed, fleet.grid, per_session=True).session_kw
    run = get_strategy(strategy)
    return run(s, fleet.grid, None, rng=fleet.seed, per_session=True).session_kw


def responder_loads(
    fleet: Fleet,
    counts: Sequence[int] | npt.ArrayLike,
    strategy: str,
    *,
    valley_h: tuple[float, float] | None = None,
    stagger_h: float | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Charging load when the first ``count`` cars of the willingness order follow ``strategy``.

    Parameters
    ----------
    fleet
        The cars.
    counts
        Numbers of responding cars, each in ``0 .. n_cars`` [-].
    strategy
        The responders' strategy: ``tou`` (each waits for the valley price, staggered) or a
        coordinated strategy such as ``valley-filling`` (filling around the regular load and
        the others' uncontrolled load, in day blocks).
    valley_h
        Valley band of the tariff ``(start, end)`` [h of day] that TOU responders wait for;
        default the parameters ``tou_valley_start_h`` and ``tou_valley_end_h``.
    stagger_h
        Width of the TOU random start delay [h]; default the parameter ``tou_stagger_h``.

    Returns
    -------
    tuple
        Charging load of all cars ``(len(counts), n_slots)`` [kW], the mean over the fleet's
        orders of willingness, and energy delivered to all cars over the evaluated days
        ``(len(counts),)`` [kWh].
    """
    from evgrid.charging.strategies import get_strategy

    counts = np.asarray(counts, dtype=np.int64).reshape(-1)
    if np.any((counts < 0) | (counts > fleet.n_cars)):
        raise bad_value("responders", counts.tolist(), f"counts in [0, {fleet.n_cars}]")
    if valley_h is None:
        valley_h = (parameter("tou_valley_start_h").value, parameter("tou_valley_end_h").value)
    chosen = get_strategy(strategy)
    require_memory(
        LOAD_ARRAYS * BYTES_PER_VALUE * fleet.grid.n_slots * (counts.size + 2),
        f"days {fleet.n_days} of {fleet.grid.slot_min:g}-min slots for {counts.size} shares",
    )
    unc = _per_session(fleet, "uncontrolled", valley_h, stagger_h)
    follow = _per_session(fleet, chosen.name, valley_h, stagger_h) if chosen.separable else None
    loads = np.zeros((counts.size, fleet.grid.n_slots))
    for rank in fleet.ranks:  # a few orders of willingness, averaged
        car_rank = rank[fleet.sessions.vehicle]
        if follow is not None:
            loads += _separable(unc, follow, car_rank, counts, fleet.grid.n_slots)
        else:
            solved = {
                c: _coordinated(fleet, unc, car_rank, c, chosen.name) for c in set(counts.tolist())
            }
            loads += np.array([solved[c] for c in counts.tolist()]).reshape(loads.shape)
    loads /= len(fleet.ranks)
    energy = fleet.grid.energy_kwh(loads[:, fleet.eval_slots]).sum(axis=1)
    return loads, energy


def _separable(
    unc: Any,
    follow: Any,
    car_rank: npt.NDArray[np.int64],
    counts: npt.NDArray[np.int64],
    n_slots: int,
) -> FloatArray:
    """Loads of every count from per-session loads: group sums over the willingness order."""
    import scipy.sparse as sp

    levels = np.unique(counts)
    # the session of a car in place r follows from the first level above r
    group = np.searchsorted(levels, car_rank, side="right")
    n_groups = levels.size + 1
    onehot = sp.csr_array(
        (np.ones(car_rank.size), (group, np.arange(car_rank.size))),
        shape=(n_groups, car_rank.size),
    )
    unc_g = np.asarray((onehot @ unc).todense()) if car_rank.size else np.zeros((n_groups, n_slots))
    fol_g = np.asarray((onehot @ follow).todense()) if car_rank.size else unc_g
    # at level k the groups 0..k follow (their places are below levels[k])
    gained = np.cumsum(fol_g[:-1] - unc_g[:-1], axis=0)
    by_level = unc_g.sum(axis=0)[None, :] + gained
    return by_level[np.searchsorted(levels, counts)]


def _coordinated(
    fleet: Fleet, unc: Any, car_rank: npt.NDArray[np.int64], count: int, strategy: str
) -> FloatArray:
    """The first ``count`` cars by ``strategy`` around the regular load and the others."""
    from evgrid.charging.strategies import schedule
    from evgrid.planning.timeseries.blocks import cut_phase, solve_by_blocks

    joins = car_rank < count
    others_kw = np.asarray(unc[np.flatnonzero(~joins)].sum(axis=0)).reshape(-1)
    if count == 0:
        return others_kw

    def run(part: Sessions, sub_grid: TimeGrid, base: FloatArray, **kw: Any) -> Any:
        return schedule(part, strategy, grid=sub_grid, base_kw=base, **kw)

    coordinated, _, _ = solve_by_blocks(
        run,
        fleet.sessions.take(joins),
        fleet.grid,
        fleet.base_kw + others_kw,
        rng=np.random.default_rng(fleet.seed),
        phase=cut_phase(fleet.sessions, fleet.grid),  # the same day blocks for every count
    )
    return np.asarray(others_kw + coordinated)


def lever_session_kw(
    fleet: Fleet,
    count: int,
    strategy: str,
    *,
    valley_h: tuple[float, float] | None = None,
    stagger_h: float | None = None,
) -> tuple[Any, npt.NDArray[np.bool_]]:
    """Each session's load when the first ``count`` cars follow ``strategy``, for dispatch.

    Returns
    -------
    tuple
        Sparse ``(n_sessions, n_slots)`` power [kW] and which sessions an aggregator may still
        dispatch ``(n_sessions,)``: with a coordinated strategy the responders' piles are already
        valley-filled by the aggregator, so their rows are zero and not dispatchable.
    """
    import scipy.sparse as sp

    from evgrid.charging.strategies import get_strategy

    if valley_h is None:
        valley_h = (parameter("tou_valley_start_h").value, parameter("tou_valley_end_h").value)
    joins = fleet.rank[fleet.sessions.vehicle] < count
    unc = sp.csr_array(_per_session(fleet, "uncontrolled", valley_h, stagger_h))
    keep = sp.diags_array((~joins).astype(np.float64))
    if get_strategy(strategy).separable:
        follow = sp.csr_array(_per_session(fleet, strategy, valley_h, stagger_h))
        pick = sp.diags_array(joins.astype(np.float64))
        return sp.csr_array(keep @ unc + pick @ follow), np.ones(joins.size, dtype=bool)
    return sp.csr_array(keep @ unc), ~joins
