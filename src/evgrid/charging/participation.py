"""Partial participation: a share of the cars follows a coordinated strategy, the rest charge
uncontrolled, and the coordinated ones fill around base + uncontrolled load.

This is the report's "between orderly and disorderly" (report section 5.1: its figures assume
ideal, full response).

One meaning everywhere (``evgrid schedule`` and both hosting tiers): participation ``p`` means that
of any ``n`` cars, exactly ``round(p * n)`` (halves up) follow the strategy. The cars are put in a
random order and the car in place ``k`` (0-based) follows when it brings the running count
``round(p * k)`` up by one (:func:`participating_cars`). The participants are therefore a uniformly
random set of cars of that size, and the rule holds for every leading part of the order too, so the
hosting curve, which adds cars in that same order, has ``round(p * n)`` participants at every pile
ratio.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from evgrid.charging.schedule import Schedule
from evgrid.charging.strategies import get_strategy
from evgrid.charging.uncontrolled import uncontrolled
from evgrid.params import as_generator, parameter
from evgrid.sessions import Sessions
from evgrid.timegrid import FloatArray, TimeGrid

if TYPE_CHECKING:
    import numpy.typing as npt


def participating_cars(rank: npt.ArrayLike, participation: float) -> npt.NDArray[np.bool_]:
    """Which cars follow the strategy, given each car's place in a random order.

    Parameters
    ----------
    rank
        Place of each car in the order, a permutation of ``0 .. n - 1`` [-].
    participation
        Share of cars that follow the strategy [-], in [0, 1].

    Returns
    -------
    numpy.ndarray
        Bool per car: among the cars of places ``0 .. k - 1`` exactly ``round(p * k)`` (halves
        up) are True, for every ``k``.
    """
    p = parameter("participation").check(participation)
    k = np.asarray(rank, dtype=np.float64)
    return np.asarray(np.floor(p * (k + 1) + 0.5) > np.floor(p * k + 0.5), dtype=bool)


def participating_mask(
    sessions: Sessions, participation: float, rng: np.random.Generator | int | None = None
) -> npt.NDArray[np.bool_]:
    """Which sessions belong to participating cars, ``(n_sessions,)`` bool.

    ``round(participation * n_vehicles)`` vehicles (halves up) follow, chosen by
    :func:`participating_cars` over a random order of the vehicles; all the sessions of such a
    vehicle participate.
    """
    vehicles, inverse = np.unique(sessions.vehicle, return_inverse=True)
    rank = as_generator(rng).permutation(vehicles.size)
    return participating_cars(rank, participation)[inverse]


def _merge(parts: list[tuple[np.ndarray, Schedule]], n: int, grid: TimeGrid) -> Schedule:
    import scipy.sparse as sp

    requested = np.zeros(n)
    delivered = np.zeros(n)
    charging = np.zeros(grid.n_slots)
    per_session = all(s.session_kw is not None for _, s in parts)
    blocks = []
    for idx, sched in parts:
        requested[idx] = sched.requested_kwh
        delivered[idx] = sched.delivered_kwh
        charging += sched.charging_kw
        if per_session and sched.session_kw is not None:
            coo = sp.coo_array(sched.session_kw)
            blocks.append((idx[coo.row], coo.col, coo.data))
    session_kw = None
    if per_session:
        rows = np.concatenate([b[0] for b in blocks]) if blocks else np.empty(0, int)
        cols = np.concatenate([b[1] for b in blocks]) if blocks else np.empty(0, int)
        vals = np.concatenate([b[2] for b in blocks]) if blocks else np.empty(0)
        session_kw = sp.csr_array((vals, (rows, cols)), shape=(n, grid.n_slots))
    return Schedule(grid, charging, requested, delivered, session_kw)


def with_participation(
    strategy_name: str,
    sessions: Sessions,
    grid: TimeGrid,
    base_kw: FloatArray | None,
    participation: float,
    *,
    limit_kw: float | None = None,
    rng: np.random.Generator | int | None = None,
    **options: Any,
) -> Schedule:
    """Run ``strategy_name`` for a random share ``participation`` of the cars.

    Parameters
    ----------
    strategy_name
        Coordinated strategy (:func:`evgrid.charging.strategies.get_strategy`).
    sessions, grid, base_kw, limit_kw
        As every strategy; the limit applies to base + all charging.
    participation
        Share of vehicles that follow the strategy [-], in [0, 1].
    rng
        Random generator or seed: the draw of participants, then the strategy's own draws.
    **options
        Passed to the strategy (and ``per_session`` to both parts).

    Returns
    -------
    Schedule
        Both groups together, sessions in their original order.
    """
    strategy = get_strategy(strategy_name)
    gen = as_generator(rng)
    mask = participating_mask(sessions, participation, gen)
    idx_c, idx_u = np.flatnonzero(mask), np.flatnonzero(~mask)
    per_session = bool(options.get("per_session", False))
    unc = uncontrolled(sessions.take(idx_u), grid, per_session=per_session)
    around = unc.charging_kw if base_kw is None else np.asarray(base_kw) + unc.charging_kw
    coord = strategy(sessions.take(idx_c), grid, around, limit_kw=limit_kw, rng=gen, **options)
    return _merge([(idx_u, unc), (idx_c, coord)], len(sessions), grid)
