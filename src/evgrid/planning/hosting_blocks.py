"""Run a coordinated strategy over a long horizon in daily blocks.

Charging sessions interact in a coordinated strategy only through the slots they share. If no
session's window crosses a time ``c`` on a slot boundary, the problem before ``c`` and the problem
after it are independent: solving them separately gives exactly the schedule of the whole
horizon for any strategy that optimises slot totals (valley filling, LP peak, EDF/LLF under a
limit). Residential cars are plugged in from the evening to the next morning and office cars
during the day, so evgrid cuts every day at the clock time that the fewest windows cross, and a
year becomes ~365 problems of one or two days instead of one problem of 35 000 slots (whose dense
session × slot matrices would not fit in memory). The few windows that do cross a cut (a car
plugged in for more than a day) are handled by scheduling the blocks in time order, each on top
of the load the earlier blocks committed: a rolling day-by-day schedule, the one a daily operator
run computes.

:func:`solve_by_blocks` runs a strategy on each block with the sessions shifted by whole days
to a sub-grid that starts at the midnight before the block (so clock-time options such as a
tariff keep their meaning); the sub-grid's slots outside the block are padding that no session
of the block can reach.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from evgrid.charging.schedule import Schedule
from evgrid.demand.sessions import Sessions
from evgrid.timegrid import FloatArray, IntArray, TimeGrid


def cut_slots(sessions: Sessions, grid: TimeGrid) -> IntArray:
    """Daily block boundaries: the slot boundary of the day that the fewest windows cross.

    Parameters
    ----------
    sessions
        The sessions [h].
    grid
        The linear horizon.

    Returns
    -------
    numpy.ndarray
        Increasing slot indices in ``(0, n_slots)``, one a day at the same clock time [-].
    """
    spd = grid.slots_per_day
    boundaries = np.arange(1, grid.n_slots, dtype=np.int64)
    if len(sessions) == 0:
        return boundaries[boundaries % spd == 0]
    first_raw = grid.slot_of(sessions.arrival_h)
    # a window ending inside slot k (or empty at boundary k) blocks boundary k
    end_raw = np.ceil(sessions.departure_h / grid.slot_h).astype(np.int64)
    first = np.sort(first_raw)
    end = np.sort(np.maximum(end_raw, first_raw + 1))
    crossing = np.searchsorted(first, boundaries, side="left") - np.searchsorted(
        end, boundaries, side="right"
    )
    per_phase = np.bincount(boundaries % spd, weights=crossing, minlength=spd)
    phase = int(np.argmin(per_phase))
    return boundaries[boundaries % spd == phase]


def solve_by_blocks(
    strategy_fn: Callable[..., Schedule],
    sessions: Sessions,
    grid: TimeGrid,
    base_kw: FloatArray,
    *,
    rng: np.random.Generator,
    **options: Any,
) -> tuple[FloatArray, float, float]:
    """Run a strategy day block by day block; return the charging load and energy totals.

    Block ``b`` holds the sessions that arrive between two daily cuts; it is scheduled on the
    slots from its first cut to its last departure, on top of the base load plus the charging
    already committed by the earlier blocks. Exact (the schedule of the whole horizon at once)
    when no window crosses a cut; otherwise a rolling day-by-day schedule, as a daily operator
    run would compute it.

    Parameters
    ----------
    strategy_fn
        A strategy with the common signature.
    sessions
        Sessions over the whole horizon.
    grid
        The whole horizon.
    base_kw
        Base load over the horizon, ``(n_slots,)`` [kW].
    rng
        Generator passed to every block's call.
    **options
        Passed to the strategy.

    Returns
    -------
    tuple
        Charging load ``(n_slots,)`` [kW], requested and delivered energy [kWh].
    """
    spd = grid.slots_per_day
    # the horizon is linear: time after its end is not available, in the blocks either
    clipped = Sessions(
        np.clip(sessions.arrival_h, 0.0, grid.horizon_h),
        np.clip(sessions.departure_h, 0.0, grid.horizon_h),
        sessions.energy_kwh,
        sessions.max_power_kw,
        sessions.vehicle,
    )
    edges = np.concatenate([[0], cut_slots(clipped, grid), [grid.n_slots]]).astype(np.int64)
    start_slot = grid.slot_of(clipped.arrival_h)
    end_slot = np.minimum(np.ceil(clipped.departure_h / grid.slot_h), grid.n_slots)
    block_of = np.searchsorted(edges, start_slot, side="right") - 1
    order = np.argsort(block_of, kind="stable")
    bounds = np.searchsorted(block_of[order], np.arange(edges.size), side="left")
    charging = np.zeros(grid.n_slots)
    delivered = 0.0
    for b in range(edges.size - 1):
        rows = order[bounds[b] : bounds[b + 1]]
        if rows.size == 0:
            continue
        lo = int(edges[b])
        hi = max(int(edges[b + 1]), int(end_slot[rows].max()))
        origin = lo - lo % spd  # whole days, so clock-time options (tariffs) still apply
        sub_grid = TimeGrid(slot_min=grid.slot_min, n_days=-(-(hi - origin) // spd))
        sub_base = np.zeros(sub_grid.n_slots)
        sub_base[lo - origin : hi - origin] = base_kw[lo:hi] + charging[lo:hi]
        part = clipped.take(rows).shifted(-origin * grid.slot_h)
        schedule = strategy_fn(part, sub_grid, sub_base, rng=rng, **options)
        charging[lo:hi] += schedule.charging_kw[lo - origin : hi - origin]
        delivered += float(schedule.delivered_kwh.sum())
    return charging, float(sessions.energy_kwh.sum()), delivered
