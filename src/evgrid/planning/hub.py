"""A public charging hub in or near a community: DC and AC chargers sized for a waiting target.

The report's path for old and sub-new communities is public charging first (report 6: build
public chargers in and near old and sub-new communities, 2023–2025; high-power hubs, 2026–2030).
A hub serves the community's electric cars that have no pile of their own (and, optionally,
passing traffic):

* **DC** users drive in, wait for a free charger, charge at ``min(charger, car)`` power and
  leave; the chargers are sized with the Erlang-C formula for a target mean wait in the busiest
  hour of the typical day (:func:`size_chargers`), corrected for the variability of the service
  time by the Allen–Cunneen approximation for M/G/c queues (Allen, *Probability, Statistics and
  Queueing Theory*, 2nd ed., 1990, eq. 6.79: ``Wq(M/G/c) ~ Wq(M/M/c) (1 + cs^2) / 2``), and the
  answer is checked against a first-come-first-served simulation of the sampled sessions
  (:func:`simulate_queue`);
* **AC** users park overnight at the hub under a **departure-time rule**: they state a departure
  no later than the morning (parameter ``hub_ac_leave_by_h``), and the hub fills the valley with
  their charging (:mod:`evgrid.charging.valley`) within those windows; one charger per car
  present, sized on the 95th-percentile night.

The hub's load is the DC sessions' (uncontrolled: a waiting driver is not shifted) plus the AC
orderly load; its peak is the 95th percentile of the daily peaks. It connects to the community's
transformer (its load adds to the community's), to a unit of its own, or to the 10 kV line
through its own unit; :func:`own_unit_kva` sizes that unit from the standard ratings at the
loading limit.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from evgrid.errors import bad_value
from evgrid.params import parameter
from evgrid.sessions import Sessions
from evgrid.timegrid import HOURS_PER_DAY, FloatArray, TimeGrid

CONNECTIONS = ("community", "own-unit", "10kv")
"""Where a hub is connected: the community's transformer, a unit of its own beside it, or the
10 kV line through its own unit."""
MAX_CHARGERS = 10_000
"""Most DC chargers tried when sizing [-] (a guard)."""


def erlang_c(servers: int, offered_erlang: float) -> float:
    """Probability that an arrival waits in an M/M/c queue (Erlang C) [-].

    Parameters
    ----------
    servers
        Chargers ``c`` [-].
    offered_erlang
        Offered load ``a = lambda * E[S]`` [Erlang]; 1 when ``a >= c`` (the queue grows).
    """
    c, a = int(servers), float(offered_erlang)
    if a <= 0:
        return 0.0
    if c <= a:
        return 1.0
    k = np.arange(c)
    log_terms = k * math.log(a) - np.array([math.lgamma(x + 1) for x in k])
    log_last = c * math.log(a) - math.lgamma(c + 1) + math.log(c / (c - a))
    top = max(float(log_terms.max()), log_last)
    total = float(np.exp(log_terms - top).sum()) + math.exp(log_last - top)
    return math.exp(log_last - top) / total


def mean_wait_h(
    servers: int, arrival_per_h: float, mean_service_h: float, service_cv: float = 1.0
) -> float:
    """Mean wait in queue of an M/G/c queue, Allen–Cunneen [h] (inf when overloaded).

    Parameters
    ----------
    servers
        Chargers [-].
    arrival_per_h
        Arrival rate [1/h].
    mean_service_h
        Mean service (charging and handling) time [h].
    service_cv
        Coefficient of variation of the service time [-] (1: exponential, the Erlang-C case).
    """
    a = arrival_per_h * mean_service_h
    if a <= 0:
        return 0.0
    if servers <= a:
        return math.inf
    wq = erlang_c(servers, a) * mean_service_h / (servers - a)
    return wq * (1.0 + service_cv**2) / 2.0


def size_chargers(
    arrival_per_h: float, mean_service_h: float, target_wait_h: float, service_cv: float = 1.0
) -> int:
    """The fewest chargers whose mean wait is at most ``target_wait_h`` [-] (0 with no arrivals).

    Raises
    ------
    InputError
        A target that needs more than :data:`MAX_CHARGERS` chargers.
    """
    if arrival_per_h <= 0 or mean_service_h <= 0:
        return 0
    c = max(1, math.floor(arrival_per_h * mean_service_h) + 1)
    while mean_wait_h(c, arrival_per_h, mean_service_h, service_cv) > target_wait_h:
        c += 1
        if c > MAX_CHARGERS:
            raise bad_value("wait_target_min", target_wait_h * 60, "a wait a hub can meet")
    return c


def simulate_queue(arrival_h: npt.ArrayLike, service_h: npt.ArrayLike, servers: int) -> FloatArray:
    """Each arrival's wait in a first-come-first-served queue with ``servers`` chargers [h].

    Parameters
    ----------
    arrival_h
        Arrival times, any order ``(n,)`` [h].
    service_h
        Service times ``(n,)`` [h].
    servers
        Chargers [-] (>= 1).
    """
    arrival = np.asarray(arrival_h, dtype=np.float64)
    service = np.asarray(service_h, dtype=np.float64)
    order = np.argsort(arrival, kind="stable")
    wait = np.zeros(arrival.size)
    free = [0.0] * int(servers)  # the time each charger falls free (a heap)
    heapq.heapify(free)
    for i in order.tolist():  # a queue is sequential: one pass over the arrivals
        soonest = heapq.heappop(free)
        start = max(float(arrival[i]), soonest)
        wait[i] = start - arrival[i]
        heapq.heappush(free, start + float(service[i]))
    return wait


def busiest_hour_rate(arrival_h: npt.ArrayLike, days: int) -> tuple[float, int]:
    """Mean arrivals per hour in the busiest hour of the typical day, and that hour [1/h, h]."""
    hours = np.floor(np.asarray(arrival_h, dtype=np.float64) % HOURS_PER_DAY).astype(np.int64)
    counts = np.bincount(hours, minlength=int(HOURS_PER_DAY)) / max(days, 1)
    peak = int(np.argmax(counts))
    return float(counts[peak]), peak


@dataclass(frozen=True, eq=False)
class Hub:
    """A public hub sized for the community's cars without a pile.

    Parameters
    ----------
    dc_chargers, ac_chargers
        Chargers [-].
    dc_kw, ac_kw
        Their ratings [kW].
    dc_sessions, ac_sessions
        The sessions served at the DC chargers (starting when a charger is free) and at the AC
        chargers (windows under the departure-time rule).
    arrival_per_h, busy_hour
        DC arrivals in the busiest hour of the typical day [1/h] and that hour [h].
    mean_service_h, service_cv
        Mean and coefficient of variation of the DC service time [h, -].
    erlang_wait_min
        Mean wait by the Erlang-C (Allen–Cunneen) formula at the busy-hour rate [min].
    mean_wait_min, busy_hour_wait_min
        Simulated mean wait of all DC arrivals and of the busy hour's [min].
    wait_target_min
        The target [min].
    load_kw
        The hub's load over the horizon ``(n_slots,)`` [kW].
    peak_kw
        95th percentile of the daily peaks over the evaluated days [kW].
    energy_kwh_per_day
        Energy the hub delivers per evaluated day [kWh].
    """

    dc_chargers: int
    ac_chargers: int
    dc_kw: float
    ac_kw: float
    dc_sessions: Sessions
    ac_sessions: Sessions
    arrival_per_h: float
    busy_hour: int
    mean_service_h: float
    service_cv: float
    erlang_wait_min: float
    mean_wait_min: float
    busy_hour_wait_min: float
    wait_target_min: float
    load_kw: FloatArray
    peak_kw: float
    energy_kwh_per_day: float

    def to_dict(self) -> dict[str, Any]:
        """The hub in the plain form of every result (``modes`` JSON: ``hub``)."""
        return {
            "dc_chargers": self.dc_chargers,
            "ac_chargers": self.ac_chargers,
            "dc_kw": self.dc_kw,
            "ac_kw": self.ac_kw,
            "peak_kw": self.peak_kw,
            "mean_wait_min": self.mean_wait_min,
            "busy_hour_wait_min": self.busy_hour_wait_min,
            "erlang_wait_min": self.erlang_wait_min,
            "wait_target_min": self.wait_target_min,
            "busy_hour": self.busy_hour,
            "dc_arrivals_per_h": self.arrival_per_h,
            "energy_kwh_per_day": self.energy_kwh_per_day,
        }


def split_public(
    sessions: Sessions, dc_share: float, rng: np.random.Generator
) -> tuple[Sessions, Sessions]:
    """Public users' sessions split into DC visits and AC overnight stays by car [-]."""
    cars = np.unique(sessions.vehicle)
    dc_cars = cars[rng.random(cars.size) < dc_share]
    dc = np.isin(sessions.vehicle, dc_cars)
    return sessions.take(dc), sessions.take(~dc)


def leave_by(sessions: Sessions, leave_by_h: float) -> Sessions:
    """The departure-time rule: every stay ends by the next ``leave_by_h`` o'clock after arrival
    (a stay shorter than that keeps its own departure) [h]."""
    day_start = np.floor(sessions.arrival_h / HOURS_PER_DAY) * HOURS_PER_DAY
    deadline = day_start + leave_by_h
    deadline = np.where(deadline <= sessions.arrival_h, deadline + HOURS_PER_DAY, deadline)
    return Sessions(
        sessions.arrival_h,
        np.minimum(sessions.departure_h, deadline),
        sessions.energy_kwh,
        sessions.max_power_kw,
        sessions.vehicle,
    )


def size_hub(
    dc_visits: Sessions,
    ac_stays: Sessions,
    grid: TimeGrid,
    eval_days: slice,
    *,
    base_kw: FloatArray | None = None,
    dc_kw: float | None = None,
    ac_kw: float | None = None,
    car_dc_kw: float | None = None,
    handling_min: float | None = None,
    wait_target_min: float | None = None,
    leave_by_h: float | None = None,
    strategy: str = "valley-filling",
) -> Hub:
    """Size a hub for its DC visits and AC overnight stays, and compute its load (module
    docstring).

    Parameters
    ----------
    dc_visits
        Arrivals at the DC chargers with their energy [h, kWh].
    ac_stays
        Overnight stays at the AC chargers (before the departure-time rule).
    grid, eval_days
        The horizon and its evaluated days.
    base_kw
        Load the AC charging fills around ``(n_slots,)`` [kW] (the community's when the hub is
        on its transformer); default the DC load alone.
    dc_kw, ac_kw
        Charger ratings [kW]; defaults ``hub_dc_kw`` (60) and ``hub_ac_kw`` (7).
    car_dc_kw
        The cars' DC acceptance [kW]; default ``hub_car_dc_kw``.
    handling_min
        Occupancy beyond charging (plug in, pay, drive off) [min]; default ``hub_handling_min``.
    wait_target_min
        Mean wait target in the busy hour [min]; default ``hub_wait_target_min``.
    leave_by_h
        The departure-time rule for AC users [h of day]; default ``hub_ac_leave_by_h``.
    strategy
        How the AC chargers are scheduled: ``valley-filling`` (orderly, default) or
        ``uncontrolled``.
    """
    from evgrid.charging.strategies import schedule

    p_dc = parameter("hub_dc_kw").resolve(dc_kw, "dc_kw")
    p_ac = parameter("hub_ac_kw").resolve(ac_kw, "ac_kw")
    car = parameter("hub_car_dc_kw").resolve(car_dc_kw, "car_dc_kw")
    handling = parameter("hub_handling_min").resolve(handling_min, "handling_min") / 60.0
    target = parameter("hub_wait_target_min").resolve(wait_target_min, "wait_target_min")
    leave = parameter("hub_ac_leave_by_h").resolve(leave_by_h, "leave_by_h")
    days = int(eval_days.stop - eval_days.start)
    power = min(p_dc, car)
    charge_h = dc_visits.energy_kwh / power
    service_h = charge_h + handling
    in_eval = (dc_visits.arrival_h >= eval_days.start * HOURS_PER_DAY) & (
        dc_visits.arrival_h < eval_days.stop * HOURS_PER_DAY
    )
    rate, busy = busiest_hour_rate(dc_visits.arrival_h[in_eval], days)
    mean_s = float(service_h.mean()) if service_h.size else 0.0
    cv = float(service_h.std() / mean_s) if mean_s > 0 else 0.0
    chargers = size_chargers(rate, mean_s, target / 60.0, cv)
    if dc_visits.arrival_h.size and chargers > 0:
        wait = simulate_queue(dc_visits.arrival_h, service_h, chargers)
    else:
        wait = np.zeros(dc_visits.arrival_h.size)
    start = dc_visits.arrival_h + wait
    charging = Sessions(
        start, start + charge_h, dc_visits.energy_kwh, np.full(start.size, power),
        dc_visits.vehicle,
    )  # fmt: skip
    dc_load = schedule(charging, "uncontrolled", grid=grid).charging_kw
    stays = leave_by(ac_stays, leave)
    stays = Sessions(
        stays.arrival_h, stays.departure_h, stays.energy_kwh,
        np.minimum(stays.max_power_kw, p_ac), stays.vehicle,
    )  # fmt: skip
    around = dc_load if base_kw is None else np.asarray(base_kw, dtype=np.float64) + dc_load
    ac_load = by_day_blocks(stays, strategy, grid, around)
    load = dc_load + ac_load
    spd = grid.slots_per_day
    eval_slots = slice(eval_days.start * spd, eval_days.stop * spd)
    daily_peaks = load[eval_slots].reshape(days, spd).max(axis=1)
    busy_wait = wait[in_eval & (np.floor(dc_visits.arrival_h % HOURS_PER_DAY) == busy)]
    return Hub(
        dc_chargers=chargers,
        ac_chargers=_ac_chargers(stays, eval_days),
        dc_kw=float(p_dc),
        ac_kw=float(p_ac),
        dc_sessions=charging,
        ac_sessions=stays,
        arrival_per_h=rate,
        busy_hour=busy,
        mean_service_h=mean_s,
        service_cv=cv,
        erlang_wait_min=60.0 * mean_wait_h(chargers, rate, mean_s, cv) if chargers else 0.0,
        mean_wait_min=60.0 * float(wait[in_eval].mean()) if in_eval.any() else 0.0,
        busy_hour_wait_min=60.0 * float(busy_wait.mean()) if busy_wait.size else 0.0,
        wait_target_min=float(target),
        load_kw=load,
        peak_kw=float(np.percentile(daily_peaks, 95)) if days else 0.0,
        energy_kwh_per_day=float(grid.energy_kwh(load[eval_slots]).sum()) / max(days, 1),
    )


def by_day_blocks(
    sessions: Sessions, strategy: str, grid: TimeGrid, base_kw: FloatArray, **options: Any
) -> FloatArray:
    """A strategy's charging load (net, for V2G), scheduled day block by day block around
    ``base_kw`` [kW] (:func:`evgrid.planning.timeseries.blocks.solve_by_blocks`: exact when no
    window crosses a block's cut, which falls where the fewest do); ``options`` go to the
    strategy."""
    from evgrid.charging.strategies import schedule
    from evgrid.planning.timeseries.blocks import solve_by_blocks

    if len(sessions) == 0:
        return np.zeros(grid.n_slots)
    if strategy == "uncontrolled":
        return schedule(sessions, strategy, grid=grid).charging_kw

    def run(part: Sessions, sub: TimeGrid, base: FloatArray, **kw: Any) -> Any:
        return schedule(part, strategy, grid=sub, base_kw=base, **kw)

    load, _, _ = solve_by_blocks(
        run, sessions, grid, base_kw, rng=np.random.default_rng(0), **options
    )
    return np.asarray(load, dtype=np.float64)


def _ac_chargers(stays: Sessions, eval_days: slice) -> int:
    """One AC charger per car present: the 95th percentile over the evaluated nights of the most
    cars plugged in at once [-]."""
    if len(stays) == 0:
        return 0
    events = np.concatenate([stays.arrival_h, stays.departure_h])
    step = np.concatenate([np.ones(len(stays)), -np.ones(len(stays))])
    order = np.lexsort((step, events))  # a departure before an arrival at the same time
    present = np.cumsum(step[order])
    day = np.floor(events[order] / HOURS_PER_DAY).astype(np.int64)
    keep = (day >= eval_days.start) & (day < eval_days.stop)
    if not keep.any():
        return int(present.max())
    most = np.zeros(int(eval_days.stop - eval_days.start))
    np.maximum.at(most, day[keep] - eval_days.start, present[keep])
    return math.ceil(float(np.percentile(most, 95)))


def own_unit_kva(peak_kw: float, power_factor: float | None = None) -> float:
    """The standard rating of a unit of the hub's own that carries ``peak_kw`` at the loading
    limit [kVA] (``data/transformer_ratings.csv``; parallel units above 2 500 kVA)."""
    from evgrid.planning.upgrade import standard_size

    pf = parameter("power_factor").resolve(power_factor, "power_factor")
    limit = parameter("loading_limit_pu").value
    unit, units = standard_size(np.array([peak_kw / (limit * pf)]))
    return float(unit[0] * units[0])
