"""Time-of-use (TOU) delayed charging: cars wait for the valley tariff, then charge at full power.

Each car plugged in outside the valley waits until the valley start (plus a random stagger, so
the valley start does not become a new peak); a car that arrives inside the valley waits for its
own stagger offset at most. A car that would not finish before it leaves starts earlier, just
early enough (never before it arrives). From its start it charges at full power as
:func:`~evgrid.charging.uncontrolled.uncontrolled` does.
"""

from __future__ import annotations

import numpy as np

from evgrid.charging.schedule import Schedule
from evgrid.charging.strategies import Strategy, register
from evgrid.charging.uncontrolled import uncontrolled
from evgrid.errors import bad_value
from evgrid.params import as_generator
from evgrid.sessions import Sessions
from evgrid.timegrid import HOURS_PER_DAY, FloatArray, TimeGrid

VALLEY_START_H = 23.0
"""Start of the residential valley tariff band [h]: 23:00 (report section 6)."""

VALLEY_END_H = 8.0
"""End of the residential valley tariff band [h]: 08:00 next day (report section 6)."""

DEFAULT_STAGGER_H = 1.0
"""Width of the uniform random delay after the valley start [h]. An evgrid assumption (the
report gives none): one hour spreads the switch-on of a community's piles over four 15-min
slots; set 0 for the synchronised start that makes a 23:00 rebound peak."""


def tou_start_h(
    arrival_h: FloatArray,
    departure_h: FloatArray,
    energy_kwh: FloatArray,
    max_power_kw: FloatArray,
    stagger_h: FloatArray,
    valley_start_h: float = VALLEY_START_H,
    valley_end_h: float = VALLEY_END_H,
) -> FloatArray:
    """Start time of each car under TOU charging [h from midnight of day 0].

    Parameters
    ----------
    arrival_h, departure_h
        Plug-in and plug-out times [h].
    energy_kwh
        Energy asked [kWh].
    max_power_kw
        Charging power [kW].
    stagger_h
        Random delay after the valley start of each car [h].
    valley_start_h, valley_end_h
        Valley band [h of day]; the band wraps midnight when ``end < start``.
    """
    length_h = (valley_end_h - valley_start_h) % HOURS_PER_DAY
    # time since the most recent valley start; inside the valley when below its length
    since_h = (arrival_h - valley_start_h) % HOURS_PER_DAY
    in_valley = since_h < length_h
    wanted_h = np.where(
        in_valley,
        np.maximum(arrival_h, arrival_h - since_h + stagger_h),
        arrival_h + (HOURS_PER_DAY - since_h) + stagger_h,
    )
    needed_h = np.divide(
        energy_kwh, max_power_kw, out=np.zeros_like(energy_kwh), where=max_power_kw > 0
    )
    latest_h = departure_h - needed_h
    return np.maximum(arrival_h, np.minimum(wanted_h, latest_h))


def tou(
    sessions: Sessions,
    grid: TimeGrid,
    base_kw: FloatArray | None = None,
    *,
    limit_kw: float | None = None,
    rng: np.random.Generator | int | None = None,
    stagger_h: float = DEFAULT_STAGGER_H,
    valley_start_h: float = VALLEY_START_H,
    valley_end_h: float = VALLEY_END_H,
    per_session: bool = False,
) -> Schedule:
    """TOU-delayed charging (report section 5.2 incentive, section 6 valley band).

    Parameters
    ----------
    sessions, grid, base_kw
        As every strategy; ``base_kw`` and ``limit_kw`` are not used (cars follow the tariff,
        not the grid).
    rng
        Random generator or seed for the stagger.
    stagger_h
        Width of the uniform random delay after the valley start [h], >= 0.
    valley_start_h, valley_end_h
        Valley tariff band [h of day, 0..24).
    per_session
        Also return per-session power per slot [kW].
    """
    del base_kw, limit_kw
    if not np.isfinite(stagger_h) or stagger_h < 0:
        raise bad_value("stagger_h", stagger_h, "a number >= 0 [h]")
    for name, value in (("valley_start_h", valley_start_h), ("valley_end_h", valley_end_h)):
        if not 0.0 <= value < HOURS_PER_DAY:
            raise bad_value(name, value, "an hour of day in [0, 24) [h]")
    gen = as_generator(rng)
    stagger = (
        gen.uniform(0.0, stagger_h, len(sessions)) if stagger_h > 0 else np.zeros(len(sessions))
    )
    start = tou_start_h(
        sessions.arrival_h,
        sessions.departure_h,
        sessions.energy_kwh,
        sessions.max_power_kw,
        stagger,
        valley_start_h,
        valley_end_h,
    )
    delayed = Sessions(
        start, sessions.departure_h, sessions.energy_kwh, sessions.max_power_kw, sessions.vehicle
    )
    return uncontrolled(delayed, grid, per_session=per_session)


register(
    Strategy(
        name="tou",
        run=tou,
        summary="cars wait for the valley tariff (23:00-08:00), staggered, then charge fully",
        separable=True,
        random=True,
        order=1,
    )
)
