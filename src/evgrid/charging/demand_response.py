"""Demand-response events: during ``[t1, t2)`` the site load must stay below a level (or drop by
a given power); participating cars move their charging out of the window.

The load aggregator's dispatch (report section 5.2: piles signed by an aggregator are
dispatched when the grid needs it) is modelled as earliest-deadline-first charging of the
participating cars under a cap that is the event level minus base and non-participating load
inside the window, and no cap outside it: participants charge from arrival, pause or slow down in
the event and catch up after it, before they leave. Non-participants keep their baseline.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from evgrid.charging._windows import base_or_zero
from evgrid.charging.participation import participating_mask
from evgrid.charging.priority import edf
from evgrid.charging.schedule import Schedule
from evgrid.charging.strategies import get_strategy
from evgrid.errors import bad_value
from evgrid.params import as_generator
from evgrid.sessions import Sessions
from evgrid.timegrid import FloatArray, TimeGrid

if TYPE_CHECKING:
    pass


@dataclass(frozen=True, eq=False)
class DemandResponseResult:
    """Outcome of a demand-response event.

    Parameters
    ----------
    baseline
        Schedule without the event.
    schedule
        Schedule with the event.
    target_kw
        Cap on base + charging per slot, ``inf`` outside the event ``(n_slots,)`` [kW].
    shifted_kwh
        Charging energy moved out of the event window [kWh].
    shortfall_kwh
        Energy still above the target inside the window (what could not be shifted) [kWh].
    unmet_increase_kwh
        Extra energy the cars did not get because of the event [kWh].
    """

    baseline: Schedule
    schedule: Schedule
    target_kw: FloatArray
    shifted_kwh: float
    shortfall_kwh: float
    unmet_increase_kwh: float


def event_slots(grid: TimeGrid, window_h: tuple[float, float]) -> np.ndarray:
    """Boolean mask of the slots that overlap the event window ``[t1, t2)`` [h]."""
    t1, t2 = window_h
    if not (np.isfinite(t1) and np.isfinite(t2)) or t2 <= t1:
        raise bad_value("event window", window_h, "two times t1 < t2 [h]")
    edges = grid.edges_h
    return (edges[1:] > t1) & (edges[:-1] < t2)


def demand_response(
    sessions: Sessions,
    grid: TimeGrid,
    base_kw: FloatArray | None,
    window_h: tuple[float, float],
    *,
    level_kw: float | None = None,
    drop_kw: float | None = None,
    participation: float = 1.0,
    baseline: str = "uncontrolled",
    rng: np.random.Generator | int | None = None,
) -> DemandResponseResult:
    """Apply a demand-response event to a baseline schedule.

    Parameters
    ----------
    sessions, grid, base_kw
        As every strategy.
    window_h
        Event window ``(t1, t2)`` [h from midnight of day 0].
    level_kw
        Cap on base + charging during the event [kW]; give this or ``drop_kw``.
    drop_kw
        Required reduction of base + charging below the baseline in each event slot [kW].
    participation
        Share of vehicles that respond [-], in [0, 1].
    baseline
        Strategy name of the schedule without the event.
    rng
        Random generator or seed (baseline draws, then the participants).
    """
    import scipy.sparse as sp

    if (level_kw is None) == (drop_kw is None):
        raise bad_value("event", (level_kw, drop_kw), "exactly one of level_kw or drop_kw")
    base = base_or_zero(base_kw, grid)
    gen = as_generator(rng)
    in_event = event_slots(grid, window_h)
    before = get_strategy(baseline)(sessions, grid, base, rng=gen, per_session=True)
    total_before = before.total_kw(base)
    if level_kw is not None:
        target_in = np.full(grid.n_slots, float(level_kw))
    else:
        drop = float(drop_kw)  # type: ignore[arg-type]
        if not np.isfinite(drop) or drop < 0:
            raise bad_value("drop_kw", drop_kw, "a number >= 0 [kW]")
        target_in = total_before - drop
    target = np.where(in_event, target_in, np.inf)
    mask = participating_mask(sessions, participation, gen)
    idx_p, idx_n = np.flatnonzero(mask), np.flatnonzero(~mask)
    assert before.session_kw is not None
    kw = sp.csr_array(before.session_kw)
    others_kw = kw[idx_n].sum(axis=0) if idx_n.size else np.zeros(grid.n_slots)
    cap = target - base - others_kw
    part = edf(sessions.take(idx_p), grid, None, limit_kw=np.maximum(cap, 0.0), per_session=True)
    delivered = before.delivered_kwh.copy()
    delivered[idx_p] = part.delivered_kwh
    charging = others_kw + part.charging_kw
    session_kw = sp.vstack([kw[idx_n], sp.csr_array(part.session_kw)]).tocsr()
    order = np.argsort(np.concatenate([idx_n, idx_p]))
    after = Schedule(grid, charging, before.requested_kwh, delivered, session_kw[order].tocsr())
    in_before = float(grid.energy_kwh(kw[idx_p][:, in_event].sum())) if idx_p.size else 0.0
    in_after = float(grid.energy_kwh(part.charging_kw[in_event]).sum())
    over = np.maximum(after.total_kw(base) - target, 0.0)
    return DemandResponseResult(
        baseline=before,
        schedule=after,
        target_kw=target,
        shifted_kwh=in_before - in_after,
        shortfall_kwh=float(grid.energy_kwh(over[in_event]).sum()),
        unmet_increase_kwh=float(after.unmet_kwh.sum() - before.unmet_kwh.sum()),
    )
