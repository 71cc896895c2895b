"""Vectorised Monte Carlo sampling of charging sessions from a :class:`Behaviour`.

The model, per vehicle (pile) i:

1. draw its charger power ``P_i``, battery ``C_i``, consumption ``c_i`` and charge interval
   ``k_i`` days (the charging-frequency statistics of report §2), and a phase ``phi_i``
   uniform in ``0 .. k_i - 1``: the car charges on the days ``d`` with ``d = phi_i (mod k_i)``;
2. for each such day, draw an arrival hour and a departure hour (the first time with that hour of
   day at least ``min_dwell_h`` after the arrival, e.g. the next morning at home);
3. a car is in one place at a time: a stay begins at least ``min_dwell_h + min_away_h`` after
   the car's previous arrival, and a car leaves at the latest ``min_away_h`` before its next
   arrival (see *One car, one place* below);
4. the session's battery energy is the distance driven over the ``k_i`` days since the last charge
   (``k_i`` independent daily distances) times ``c_i``, capped by what the battery can take,
   ``C_i (end_soc - min_start_soc)``; the grid-side energy is that divided by the charger
   efficiency. A behaviour with measured session energies (``session_energy_kwh``) draws the
   grid-side energy of each session from them instead, with the same cap;
5. energy a stay cannot take at its pile's power carries to the car's next stay (up to what the
   battery can take there); what no later stay can take is *left* and reported
   (:func:`carry_untaken`; ``SampledSessions.left_kwh``). Every sampled session can therefore
   be delivered in full by uncontrolled charging.

One car, one place. Arrivals fall on distinct days, so a car's stays can only collide across a
day boundary: a late arrival followed by an early one the next day, or a departure hour that
comes after the next day's arrival. With ``g = min_dwell_h + min_away_h <= 12`` h, one pass over
consecutive sessions of a car separates them: ``a[n+1] = max(a[n+1], a[n] + g)`` (a shifted
arrival lies before ``24 (d + 1) + g`` and the car's next one after ``24 (d + 2)``, so a shift
never cascades), then ``e[n] = min(e[n], a[n+1] - min_away_h)``, which keeps every stay at least
``min_dwell_h`` long. The per-car sessions are then disjoint, so uncontrolled charging never puts
more than a pile's rating on it.

Every step is a numpy operation over all vehicles or sessions at once (no Python loop over
either). Vehicles are processed in fixed-size chunks, each with its own child generator spawned
from ``rng``, so memory stays bounded for 10^7 vehicles and the result for a given seed does not
depend on anything but ``n_vehicles`` and ``days``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from evgrid.demand.behaviour import Behaviour
from evgrid.demand.distributions import Discrete
from evgrid.params import as_generator
from evgrid.resources import require_memory
from evgrid.sessions import Sessions
from evgrid.timegrid import HOURS_PER_DAY, FloatArray, IntArray

SESSION_BYTES = 48.0
"""Memory of one sampled session: five float64/int64 arrays and the sort's copy [B]; a car
charges at most once a day, so vehicles × days bounds the sessions."""

CHUNK_VEHICLES = 1 << 18
"""Vehicles sampled per chunk [-]: keeps the temporaries small (a few MB, cache friendly) and
the working memory bounded; measured fastest of 2^14 .. 2^20 (benchmarks/bench_demand.py)."""


@dataclass(frozen=True, eq=False)
class SampledSessions:
    """Sessions with the hidden state that produced them, all ``(n_sessions,)``.

    Parameters
    ----------
    sessions
        The charging sessions (grid-side energy) [h, kWh, kW].
    battery_kwh
        Battery capacity of the session's car [kWh].
    start_soc
        State of charge at arrival [-].
    end_soc
        State of charge at departure if the energy is delivered [-].
    interval_days
        Days driven since the last charge [days].
    distance_km
        Distance driven since the last charge [km]; with measured session energies, the
        distance the energy implies.
    asked_kwh
        Energy the session asked for before any carry (grid side) [kWh].
    left_kwh
        Energy no stay of the car could take, recorded at the session where its carry ended
        (:func:`carry_untaken`) [kWh].
    """

    sessions: Sessions
    battery_kwh: FloatArray
    start_soc: FloatArray
    end_soc: FloatArray
    interval_days: IntArray
    distance_km: FloatArray
    asked_kwh: FloatArray
    left_kwh: FloatArray


def sample_sessions(
    behaviour: Behaviour,
    n_vehicles: int,
    days: int = 1,
    rng: np.random.Generator | int | None = None,
    *,
    progress: Callable[[int], None] | None = None,
) -> Sessions:
    """Sample the charging sessions of ``n_vehicles`` cars over ``days`` days.

    Parameters
    ----------
    behaviour
        The behaviour statistics.
    n_vehicles
        Number of cars (= piles), >= 0 [-]; vehicle indices ``0 .. n_vehicles - 1``.
    days
        Days sampled, >= 1 [days]; arrivals fall in ``[0, 24 * days)`` h, departures may be later.
    rng
        Generator or seed; the same seed gives identical sessions.
    progress
        Called with the number of vehicles finished after each chunk.

    Returns
    -------
    Sessions
        Sorted by vehicle then day; ``energy_kwh`` is grid side (battery energy ÷ efficiency).
    """
    parts = [p.sessions for p in _chunks(behaviour, n_vehicles, days, rng, progress)]
    return parts[0] if len(parts) == 1 else Sessions.concat(parts)


def sample_sessions_detail(
    behaviour: Behaviour,
    n_vehicles: int,
    days: int = 1,
    rng: np.random.Generator | int | None = None,
    *,
    progress: Callable[[int], None] | None = None,
) -> SampledSessions:
    """As :func:`sample_sessions`, also returning battery, SOC and days since the last charge.

    The same seed gives the same sessions as :func:`sample_sessions`.
    """
    parts = list(_chunks(behaviour, n_vehicles, days, rng, progress))
    if len(parts) == 1:
        return parts[0]
    return SampledSessions(
        Sessions.concat([p.sessions for p in parts]),
        *(
            np.concatenate([getattr(p, name) for p in parts])
            for name in (
                "battery_kwh",
                "start_soc",
                "end_soc",
                "interval_days",
                "distance_km",
                "asked_kwh",
                "left_kwh",
            )
        ),
    )


def _chunks(
    behaviour: Behaviour,
    n_vehicles: int,
    days: int,
    rng: np.random.Generator | int | None,
    progress: Callable[[int], None] | None,
) -> Iterator[SampledSessions]:
    from evgrid.checks import instance, whole

    instance(behaviour, Behaviour, "behaviour", "a Behaviour (Behaviour.preset or from_file)")
    n_vehicles = whole(n_vehicles, "n_vehicles", minimum=0)
    days = whole(days, "days", minimum=1, unit="day")
    require_memory(
        float(n_vehicles) * float(days) * SESSION_BYTES, f"{n_vehicles} vehicles × {days} days"
    )
    gen = as_generator(rng)
    n_chunks = max(1, -(-int(n_vehicles) // CHUNK_VEHICLES))
    for i, child in enumerate(gen.spawn(n_chunks)):  # chunks of vehicles, not single ones
        first = i * CHUNK_VEHICLES
        n = min(CHUNK_VEHICLES, int(n_vehicles) - first)
        yield _sample_chunk(behaviour, n, int(days), child, first)
        if progress is not None:
            progress(first + n)


@functools.lru_cache(maxsize=16)
def _interval_phase_table(b: Behaviour) -> tuple[Discrete, IntArray, IntArray]:
    """The joint distribution of (interval k, phase phi): weight ``w_k / k`` for each phi < k."""
    k = b.charge_interval_days.values.astype(np.int64)
    interval = np.repeat(k, k)
    phase = np.arange(interval.size) - np.repeat(np.cumsum(k) - k, k)
    weight = np.repeat(b.charge_interval_days.weights / k, k)
    return Discrete(np.arange(interval.size, dtype=np.float64), weight), interval, phase


def _sample_chunk(
    b: Behaviour, n: int, days: int, rng: np.random.Generator, first_vehicle: int
) -> SampledSessions:
    # per vehicle: interval and phase in one draw; then the sessions on days phase, phase + k, ...
    joint, pair_interval, pair_phase = _interval_phase_table(b)
    pair = joint.sample_index(n, rng)
    per_pair = np.where(
        pair_phase < days, (days - pair_phase + pair_interval - 1) // pair_interval, 0
    )
    per_vehicle = per_pair[pair]
    charging = np.flatnonzero(per_vehicle)  # vehicles with at least one session
    n_charging = charging.shape[0]
    per_vehicle = per_vehicle[charging]
    pair = pair[charging]
    # attributes of the vehicles that charge
    power_kw = b.charger_power_kw.sample(n_charging, rng)
    battery_kwh = b.battery_kwh.sample(n_charging, rng)
    consumption = b.consumption_kwh_per_100km.sample(n_charging, rng)
    if days == 1:  # one session a charging vehicle, on day 0: no repeat, no gathers
        k = pair_interval[pair]
        vehicle = charging
        arrival_h = b.arrival_hour.sample(n_charging, rng)
        departure_h = b.departure_hour.sample(n_charging, rng)
    else:
        local = np.repeat(np.arange(n_charging, dtype=np.int64), per_vehicle)
        start = np.cumsum(per_vehicle) - per_vehicle
        nth = np.arange(local.shape[0], dtype=np.int64) - start[local]
        k = pair_interval[pair][local]
        day_h = (pair_phase[pair][local] + k * nth) * HOURS_PER_DAY
        vehicle = charging[local]
        power_kw, battery_kwh, consumption = power_kw[local], battery_kwh[local], consumption[local]
        arrival_h = b.arrival_hour.sample(local.shape[0], rng)
        arrival_h += day_h
        departure_h = b.departure_hour.sample(local.shape[0], rng)
        departure_h += day_h
        # one car, one place (module docstring): a stay begins min_dwell_h + min_away_h after
        # the car's previous arrival at the earliest; the few that do not are moved (the moved
        # ones never follow each other, so the original arrivals serve)
        next_same_car = local[1:] == local[:-1]
        stay_gap_h = b.min_dwell_h + b.min_away_h
        between_h = np.subtract(arrival_h[1:], arrival_h[:-1])
        moved = np.flatnonzero((between_h < stay_gap_h) & next_same_car)
        arrival_h[moved + 1] = arrival_h[moved] + stay_gap_h
    n_sessions = vehicle.shape[0]
    # departure: the first time with the sampled hour of day at least min_dwell_h after arrival
    late_days = arrival_h + b.min_dwell_h
    late_days -= departure_h
    np.maximum(late_days, 0.0, out=late_days)
    late_days *= 1.0 / HOURS_PER_DAY
    departure_h += HOURS_PER_DAY * np.ceil(late_days, out=late_days)
    if days > 1:  # ... and the car leaves min_away_h before its next arrival at the latest
        overrun_h = np.subtract(departure_h[:-1], arrival_h[1:], out=between_h)
        late = np.flatnonzero((overrun_h > -b.min_away_h) & next_same_car)
        departure_h[late] = arrival_h[late + 1] - b.min_away_h
    if b.session_energy_kwh is None:
        # energy: k daily distances per session, summed with one reduceat
        distance_km = b.distance_km.sample(int(k.sum()), rng)
        if n_sessions and distance_km.shape[0] != n_sessions:
            distance_km = np.add.reduceat(distance_km, np.cumsum(k) - k)
        end_soc = b.end_soc.sample(n_sessions, rng)
        driven_kwh = distance_km * consumption
        driven_kwh *= 0.01  # [kWh/100 km] -> [kWh/km]
        battery_side_kwh = np.minimum(driven_kwh, battery_kwh * (end_soc - b.min_start_soc))
    else:  # measured energy per session (grid side); the distance is what it implies
        end_soc = b.end_soc.sample(n_sessions, rng)
        battery_side_kwh = b.session_energy_kwh.sample(n_sessions, rng)
        battery_side_kwh *= b.charger_efficiency
        np.minimum(
            battery_side_kwh, battery_kwh * (end_soc - b.min_start_soc), out=battery_side_kwh
        )
        distance_km = battery_side_kwh / (0.01 * consumption)
    asked_kwh = battery_side_kwh / b.charger_efficiency
    room_kwh = power_kw * (departure_h - arrival_h)
    cap_kwh = battery_kwh * (end_soc - b.min_start_soc) / b.charger_efficiency
    energy_kwh, left_kwh, need_kwh = carry_untaken(asked_kwh, room_kwh, cap_kwh, vehicle)
    sessions = Sessions(
        arrival_h,
        departure_h,
        energy_kwh,
        power_kw,
        vehicle + first_vehicle if first_vehicle else vehicle,
    )
    return SampledSessions(
        sessions,
        battery_kwh,
        end_soc - need_kwh * b.charger_efficiency / battery_kwh,
        end_soc,
        k,
        distance_km,
        asked_kwh,
        left_kwh,
    )


def carry_untaken(
    asked_kwh: FloatArray, room_kwh: FloatArray, cap_kwh: FloatArray, vehicle: IntArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Carry the energy a stay cannot take to the same car's next stay.

    A session asks for ``asked_kwh``; at most ``room_kwh`` (its pile's power over its stay) can
    be delivered. The rest is still missing from the battery when the car next plugs in, so it is
    added to the car's next session, up to what the battery can take there (``cap_kwh``); what
    that stay cannot take either moves on again. What no later stay of the car can take (the
    battery is full, or the car has no later session) is *left*: reported, never delivered.

    Parameters
    ----------
    asked_kwh, room_kwh, cap_kwh
        Per session, grid side [kWh]: energy asked, the most the stay can deliver, the most the
        battery can take at that arrival, ``(n_sessions,)``.
    vehicle
        Car of each session, sessions of a car consecutive and in time order ``(n_sessions,)``.

    Returns
    -------
    tuple
        Per session ``(n_sessions,)`` [kWh]: the energy it asks after the carry (at most its
        room), the energy left there (where a carry ends) and what the battery needed at the
        arrival (asked plus carried in, at most the battery's room). The first two sum to the
        sum of ``asked_kwh``.

    Notes
    -----
    One vectorised pass per stay a carry crosses (a chain of short stays of one car); a carry
    ends within a handful of passes, as most stays take a day's energy many times over.
    """
    need = np.array(asked_kwh, dtype=np.float64)  # what the battery needs at the arrival
    energy = need.copy()  # what the stay is asked to deliver
    left = np.zeros_like(need)
    n = need.size
    has_next = np.zeros(n, dtype=bool)
    if n > 1:
        has_next[:-1] = vehicle[1:] == vehicle[:-1]
    room = np.maximum(np.asarray(room_kwh, dtype=np.float64), 0.0)
    cap = np.maximum(np.maximum(np.asarray(cap_kwh, dtype=np.float64), need), 0.0)
    todo = np.flatnonzero(energy > room)
    while todo.size:  # one pass per stay the carries cross, not per session
        excess = energy[todo] - room[todo]
        energy[todo] = room[todo]
        moving = has_next[todo]
        np.add.at(left, todo[~moving], excess[~moving])
        to = todo[moving] + 1
        carried = excess[moving]
        room_left = np.maximum(cap[to] - need[to], 0.0)  # the battery's room at that arrival
        taken = np.minimum(carried, room_left)
        need[to] += taken
        energy[to] += taken
        left[to] += carried - taken
        todo = np.unique(to[energy[to] > room[to]])
    return energy, left, need
