"""Optimal daily peak of every day block and every pile ratio, for the loading criterion.

Valley filling and the LP minimise the peak of base + charging, so under the loading criterion
the hosting curve of these strategies needs only each day's optimal peak, not the schedule.
:func:`min_peak_loading` gets it for all evaluated days and all 101 pile ratios in one pass of
:func:`evgrid.charging.minpeak.min_peak_kwh` over the independent day blocks of
:mod:`evgrid.planning.timeseries.blocks`: the same blocks, the same clipped windows and the same
capped energies as :func:`~evgrid.planning.timeseries.blocks.solve_by_blocks` uses, so the two agree
(tested). A day's peak is the peak of its block: from the daily cut (12:00 for homes) to the next.
"""

from __future__ import annotations

import numpy as np

from evgrid.charging._windows import window_slots
from evgrid.charging.minpeak import min_peak_kwh
from evgrid.planning.timeseries.blocks import DayBlocks
from evgrid.sessions import Sessions
from evgrid.timegrid import FloatArray, IntArray


def min_peak_kw(
    blocks: DayBlocks,
    sessions: Sessions,
    bucket: IntArray,
    base_kw: FloatArray,
    eval_days: slice,
) -> tuple[FloatArray, FloatArray]:
    """Lowest peak of base + coordinated charging per evaluated day and car bucket.

    Parameters
    ----------
    blocks
        The day blocks.
    sessions
        The coordinated sessions over the horizon.
    bucket
        First car bucket in which each session is present, ``(n_sessions,)`` [-].
    base_kw
        Load the coordinated cars fill around, per bucket, ``(n_buckets, n_slots)`` [kW].
    eval_days
        Evaluated calendar days; day ``d`` is the block that starts on it.

    Returns
    -------
    tuple
        The peak ``(n_buckets, n_eval_days)`` [kW] and the energy each session can receive within
        its clipped window ``(n_sessions,)`` [kWh].
    """
    grid = blocks.grid
    block, clipped = blocks.assign(sessions)
    first, last, frac_first, frac_last = window_slots(clipped.arrival_h, clipped.departure_h, grid)
    unit_kwh = grid.energy_kwh(np.maximum(sessions.max_power_kw, 0.0))
    room_kwh = unit_kwh * (frac_first + frac_last + np.maximum(last - first - 1, 0))
    energy_kwh = np.clip(np.minimum(sessions.energy_kwh, room_kwh), 0.0, None)
    lo = blocks.block_of_day(eval_days.start)
    n_eval = eval_days.stop - eval_days.start
    start = blocks.origin + block * grid.slots_per_day
    inside = (block >= lo) & (block < lo + n_eval)
    base_kwh = grid.energy_kwh(blocks.by_block(base_kw)[:, lo : lo + n_eval])
    peak_kwh = min_peak_kwh(
        block[inside] - lo,
        first[inside] - start[inside],
        last[inside] - start[inside],
        frac_first[inside],
        frac_last[inside],
        unit_kwh[inside],
        energy_kwh[inside],
        bucket[inside],
        np.ascontiguousarray(base_kwh.transpose(1, 0, 2)),
    )
    return peak_kwh.T / grid.slot_h, energy_kwh
