"""Partial participation: a share of the cars follows a coordinated strategy, the rest charge
uncontrolled, and the coordinated ones fill around base + uncontrolled load.

This is the report's "between orderly and disorderly" (FACTS §5, section 5.1: the figures assume
ideal, full response).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from evgrid.charging.schedule import Schedule
from evgrid.charging.strategies import get_strategy
from evgrid.charging.uncontrolled import uncontrolled
from evgrid.sessions import Sessions
from evgrid.errors import bad_value
from evgrid.timegrid import FloatArray, TimeGrid


def participating_mask(
    sessions: Sessions, participation: float, rng: np.random.Generator | int | None = None
) -> np.ndarray:
    """Which sessions belong to participating cars, ``(n_sessions,)`` bool.

    ``round(participation * n_vehicles)`` vehicles are drawn without replacement; all the
    sessions of a drawn vehicle participate.
    """
    if not np.isfinite(participation) or not 0.0 <= participation <= 1.0:
        raise bad_value("participation", participation, "a share in [0, 1]")
    vehicles, inverse = np.unique(sessions.vehicle, return_inverse=True)
    gen = np.random.default_rng(rng)
    chosen = gen.permutation(vehicles.size)[: round(participation * vehicles.size)]
    picked = np.zeros(vehicles.size, dtype=bool)
    picked[chosen] = True
    return picked[inverse]


def _merge(parts: list[tuple[np.ndarray, Schedule]], n: int, grid: TimeGrid) -> Schedule:
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
        Coordinated strategy (see :data:`evgrid.charging.strategies.STRATEGIES`).
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
    gen = np.random.default_rng(rng)
    mask = participating_mask(sessions, participation, gen)
    idx_c, idx_u = np.flatnonzero(mask), np.flatnonzero(~mask)
    per_session = bool(options.get("per_session", False))
    unc = uncontrolled(sessions.take(idx_u), grid, per_session=per_session)
    around = unc.charging_kw if base_kw is None else np.asarray(base_kw) + unc.charging_kw
    coord = strategy(sessions.take(idx_c), grid, around, limit_kw=limit_kw, rng=gen, **options)
    return _merge([(idx_u, unc), (idx_c, coord)], len(sessions), grid)
