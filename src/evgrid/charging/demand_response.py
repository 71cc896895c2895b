"""Demand-response events: during ``[t1, t2)`` the site load must stay below a level (or drop by
a given power); participating cars move their charging out of the window.

The load aggregator's dispatch (report section 5.2: piles signed by an aggregator are
dispatched when the grid needs it) is modelled as earliest-deadline-first charging of the
participating cars under a cap that is the event level minus base and non-participating load
inside the window, and no cap outside it: participants charge from arrival, pause or slow down in
the event and catch up after it, before they leave. Non-participants keep their baseline.

:func:`contracted_dispatch` is the aggregator's view of one event (used by
:mod:`evgrid.incentives.dr`): contracted piles cut by at most their contracted kW, only as much
as they can make up after the event, so the reduction never exceeds the request or the contracts
and no car leaves short of its energy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

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


_TINY_KWH = 1e-12
"""Energy below which a car has nothing to cut (floating-point noise, not a model value) [kWh]."""


def contracted_dispatch(
    session_kw: FloatArray,
    cap_kw: FloatArray,
    contract_kw: FloatArray,
    in_event: npt.NDArray[np.bool_],
    requested_kw: float | FloatArray,
    slot_h: float,
) -> tuple[FloatArray, FloatArray]:
    """A load aggregator's dispatch of contracted piles in one event: cut now, catch up after.

    Each dispatched car may lower its charging in an event slot by at most its baseline power
    there and its pile's contracted kW; the energy it gives up must fit, at full power, in the
    room its window leaves after the event, where it catches up (earliest first), so no car
    leaves with less energy than in the baseline. Each car's most possible cut is first scaled
    down to the energy it can make up; in each event slot the aggregator then asks every car
    for the same fraction of its possible cut, enough to meet the requested reduction or all of
    it. The result never exceeds the request, the contracted kW or any car's window and energy;
    it is a feasible dispatch, not always the largest one (an LP could move a car's limited
    energy to the slots where others fall short).

    Parameters
    ----------
    session_kw
        Baseline power of each dispatched session in each slot, ``(n, n_slots)`` [kW].
    cap_kw
        Most power each session can take in each slot (max power × plugged-in fraction),
        ``(n, n_slots)`` [kW].
    contract_kw
        Contracted reduction of each session's pile, ``(n,)`` [kW].
    in_event
        The event's slots, ``(n_slots,)`` bool; catch-up happens after the last one.
    requested_kw
        Reduction the grid asks in each event slot, scalar or ``(n_slots,)`` [kW].
    slot_h
        Slot length [h].

    Returns
    -------
    tuple
        Reduction ``(n, n_slots)`` [kW] (zero outside the event) and catch-up power
        ``(n, n_slots)`` [kW] (zero up to the event's end); the new schedule is
        ``session_kw - reduction + catch_up``.
    """
    base = np.asarray(session_kw, dtype=np.float64)
    event = np.asarray(in_event, dtype=bool)
    n, n_slots = base.shape
    if n == 0 or not event.any():
        return np.zeros_like(base), np.zeros_like(base)
    after = np.arange(n_slots) > np.flatnonzero(event)[-1]
    possible = np.where(event, np.minimum(base, np.asarray(contract_kw)[:, None]), 0.0)
    room_kw = np.where(after, np.clip(np.asarray(cap_kw) - base, 0.0, None), 0.0)
    room_kwh = room_kw.sum(axis=1) * slot_h
    possible_kwh = possible.sum(axis=1) * slot_h
    ratio = np.divide(room_kwh, possible_kwh, out=np.ones(n), where=possible_kwh > _TINY_KWH)
    scale = np.minimum(1.0, ratio)
    possible = possible * scale[:, None]
    available = possible.sum(axis=0)
    wanted = np.where(event, np.minimum(np.broadcast_to(requested_kw, (n_slots,)), available), 0.0)
    share = np.divide(wanted, available, out=np.zeros(n_slots), where=available > 0)
    cut = possible * share[None, :]
    owed_kwh = cut.sum(axis=1) * slot_h
    room_slot_kwh = room_kw * slot_h
    filled_before = np.cumsum(room_slot_kwh, axis=1) - room_slot_kwh
    catch_kwh = np.clip(owed_kwh[:, None] - filled_before, 0.0, room_slot_kwh)
    return cut, catch_kwh / slot_h
