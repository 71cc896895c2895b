"""The planner: valley filling over the plugged-in cars, under the transformer's headroom.

Each run (:func:`make_plan`) takes the sessions plugged in now, the base-load forecast of the
coming slots, the load already committed by piles the planner cannot change (offline piles,
idle piles on their default profile) and the limit of each slot (the transformer limit, lowered
by a demand-response cap), and returns a current for every session and slot:

1. the caps are folded into the base load (``base_eff = limit - headroom``), so one scalar limit
   holds every per-slot constraint;
2. evgrid's valley filling gives the minimum-peak schedule; if even that peak is above the limit,
   the fallback strategy (LP: the most energy under the limit; or EDF) decides and the energy that
   does not fit is reported as unmet;
3. the powers are rounded to what a pile can do, 0 or 6-32 A per phase, with as few pauses as the
   plan allows, and the rounded sum of every slot is brought back under its headroom
   (:func:`evgrid.service.profiles.quantize`).

The scheduling itself is one call, :func:`_solve`, into evgrid's strategies.
"""

from __future__ import annotations

import math
import time
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

import evgrid
from evgrid.errors import EvgridError
from evgrid.service.profiles import pile_amps, quantize, to_kw
from evgrid.sessions import Sessions
from evgrid.timegrid import FloatArray, TimeGrid

LIMIT_RTOL = 1e-6
"""Relative slack when comparing the valley-filling peak with the limit [-] (round-off)."""
TIE_BREAK_H = 1e-4
"""A car charging now is served as if it left this much earlier [h] (0.36 s): it keeps its
place among cars leaving at the same time."""
URGENT_KEY = 1e6
"""Priority advantage of an urgent session in the split [h or kWh: beyond any laxity or need]."""
SPLIT_ORDER = ("spt", "edf", "llf")
"""Rules tried in turn to split the planned aggregate among the cars
(:func:`_priority_split`): smallest need first, then earliest departure first, then least laxity
first with hysteresis; urgent sessions go first in each (earliest departure is skipped when there
are any)."""
STICKY_KWH = 5.0
"""Need advantage of a car that is charging over one that waits, smallest need first [kWh]."""
STICKY_H = 0.5
"""Laxity advantage of a car that is charging over one that waits [h]: a block is not broken for
a car with less than this much less slack."""
MAX_HORIZON_H = 48.0
"""Longest planning horizon [h]; a departure further out is planned as if at this horizon."""


def _solve(
    sessions: Sessions,
    grid: TimeGrid,
    base_kw: FloatArray | None,
    limit_kw: float | FloatArray,
    strategy: str,
) -> evgrid.Schedule:
    """The one call into evgrid's scheduling: :func:`evgrid.schedule` (the public API).

    Parameters
    ----------
    sessions
        Plugged-in sessions, times in hours from the grid origin.
    grid
        Slot grid of the horizon.
    base_kw
        Load the charging adds to, per slot ``(n_slots,)`` [kW], or None.
    limit_kw
        Limit on base + charging [kW]; per slot ``(n_slots,)`` for ``"edf"`` only.
    strategy
        ``"valley-filling"``, ``"lp"`` or ``"edf"``.

    Returns
    -------
    Schedule
        With per-session powers (``session_kw``).
    """
    options: dict[str, Any] = {}
    if strategy == "lp":
        # most energy under the limit, and among those plans the earliest (a slightly rising
        # weight per slot): what cannot wait is not left for the end of the night
        options["weights"] = 1.0 + np.arange(grid.n_slots) / grid.n_slots
        limit_kw = float(limit_kw)
    uses_limit = evgrid.get_strategy(strategy).uses_limit
    return evgrid.schedule(
        sessions,
        strategy,
        grid=grid,
        base_kw=base_kw,
        limit_kw=limit_kw if uses_limit else None,
        per_session=True,
        **options,
    )


@dataclass(frozen=True)
class PlanRequest:
    """Everything one planner run needs, as plain arrays.

    Parameters
    ----------
    now
        Time of the run (UTC).
    origin
        Start of the current slot (UTC); slot ``k`` is ``[origin + k slot, origin + (k+1) slot)``.
    slot_s
        Slot length [s].
    keys
        One key per session (the service uses ``(pile, connector)``).
    departure
        Departure of each session ``(n,)`` (UTC datetimes).
    energy_kwh
        Energy each session still needs, grid side ``(n,)`` [kWh].
    max_a
        Highest current of each session's pile ``(n,)`` [A per phase].
    phases
        Phases of each session ``(n,)`` [-].
    current_a
        Limit each session's pile applies now ``(n,)`` [A per phase]: slot 0, the rest of the
        current slot, keeps it (lowered only where the slot's headroom requires), so a pile's
        limit changes at slot boundaries and replans inside a slot do not make it jitter.
    base_kw
        Base-load forecast including its margin, per slot from ``origin`` ``(m,)`` [kW].
    committed_kw
        Load of piles the planner does not control, per slot ``(m,)`` [kW].
    limit_kw
        Limit of each slot (transformer limit, or a lower demand-response cap) ``(m,)`` [kW].
    volts
        Phase voltage, one for all or of each session ``(n,)`` [V].
    urgent
        1 where a session cannot wait ``(n,)``: a car whose maximum is not known yet and whose
        need does not fit its stay at the assumed rate; the split starts it first (its own rate
        is then found out at once).
    probe_a
        Current offered in slot 1 to an urgent session where the headroom allows ``(n,)`` [A]
        (its pile's maximum; 0 for none).
    topup
        1 where a session's need is an estimate (nobody declared it) ``(n,)``: the headroom
        left in the next slots after the plan flows to it, up to its maximum
        (:func:`_topup`), so a car that wants more than the estimate gets it while it draws.
    """

    now: datetime
    origin: datetime
    slot_s: float
    keys: Sequence[Hashable]
    departure: Sequence[datetime]
    energy_kwh: FloatArray
    max_a: FloatArray
    phases: FloatArray
    current_a: FloatArray
    base_kw: FloatArray
    committed_kw: FloatArray
    limit_kw: FloatArray
    volts: float | FloatArray
    urgent: FloatArray | None = None
    probe_a: FloatArray | None = None
    topup: FloatArray | None = None

    @property
    def n_slots(self) -> int:
        """Slots in the horizon [-]."""
        return int(self.base_kw.shape[0])

    def headroom_kw(self) -> FloatArray:
        """Power left for the planned sessions per slot ``(m,)`` [kW], >= 0."""
        return np.maximum(self.limit_kw - self.base_kw - self.committed_kw, 0.0)


@dataclass(frozen=True)
class Plan:
    """A planner run's answer.

    Parameters
    ----------
    request
        What was planned.
    amps
        Current limit per session and slot ``(n, m)`` [A per phase]; slot 0 is the rest of the
        current slot.
    first_s
        Length of slot 0 (from ``request.now`` to the next slot boundary) [s].
    planned_kwh
        Energy the rounded plan gives each session ``(n,)`` [kWh].
    unmet_kwh
        Energy each session needs beyond the plan ``(n,)`` [kWh], >= 0.
    strategy
        Strategy that decided (``"valley-filling"``, ``"lp"``, ``"edf"``, or ``"none"``).
    total_kw
        Base + committed + planned charging per slot ``(m,)`` [kW].
    solve_s
        Wall time of the run [s].
    """

    request: PlanRequest
    amps: FloatArray
    first_s: float
    planned_kwh: FloatArray
    unmet_kwh: FloatArray
    strategy: str
    total_kw: FloatArray
    solve_s: float

    @property
    def unmet_total_kwh(self) -> float:
        """Unmet energy over all sessions [kWh]."""
        return float(self.unmet_kwh.sum())


def horizon_slots(
    now: datetime, origin: datetime, departures: Sequence[datetime], slot_s: float
) -> int:
    """Slots from ``origin`` that cover the latest departure (at least one) [-]."""
    last = max(departures, default=now)
    span_s = min((last - origin).total_seconds(), MAX_HORIZON_H * 3600.0)
    return max(1, math.ceil(span_s / slot_s))


def slot_caps_kwh(sessions: Sessions, grid: TimeGrid) -> FloatArray:
    """Most energy each session can take in each slot ``(n, n_slots)`` [kWh]: the part of the
    slot it is plugged in times its maximum power."""
    edges = grid.edges_h
    lo = np.maximum(sessions.arrival_h[:, None], edges[None, :-1])
    hi = np.minimum(sessions.departure_h[:, None], edges[None, 1:])
    return np.clip(hi - lo, 0.0, None) * sessions.max_power_kw[:, None]


def priority_kernel(
    caps_kwh: FloatArray,
    energy_kwh: FloatArray,
    headroom_kwh: FloatArray,
    key_fn: Any,
) -> FloatArray:
    """Hand each slot's headroom to the sessions in priority order (lowest key first), each up
    to its slot cap and remaining need; energy per session and slot ``(n, n_slots)`` [kWh].
    Slot by slot: the order of a slot depends on what was given before it."""
    remaining = energy_kwh.astype(np.float64).copy()
    alloc = np.zeros_like(caps_kwh)
    for t in range(caps_kwh.shape[1]):
        want = np.minimum(caps_kwh[:, t], remaining)
        active = np.flatnonzero(want > 0.0)
        if active.size == 0:
            continue
        room = float(headroom_kwh[t])
        if want[active].sum() <= room:
            give = want[active]
        else:
            order = active[np.argsort(key_fn(t, remaining)[active], kind="stable")]
            before = np.cumsum(want[order]) - want[order]
            give = np.empty(active.size)
            give[np.searchsorted(active, order)] = np.clip(room - before, 0.0, want[order])
        alloc[active, t] = give
        remaining[active] -= give
    return alloc


def _priority_split(
    sessions: Sessions,
    grid: TimeGrid,
    cap_kw: FloatArray,
    rule: str,
    urgent: FloatArray,
    charging: FloatArray,
) -> tuple[FloatArray, float]:
    """Share ``cap_kw`` slot by slot in a priority order; per-session power ``(n, m)`` [kW] and
    the energy delivered [kWh].

    ``"spt"``: smallest remaining need first, a charging car counted :data:`STICKY_KWH` smaller
    (so it runs in one block; small needs are met early, with room after them for what
    rounding leaves).
    ``"llf"``: least laxity first with hysteresis: a car that charged in the previous slot keeps
    its place unless another's laxity is :data:`STICKY_H` lower.
    """
    caps = slot_caps_kwh(sessions, grid)
    ends = grid.edges_h[1:]
    rate = np.maximum(sessions.max_power_kw, 1e-9)
    prev: list[FloatArray] = [sessions.energy_kwh.copy()]
    first = [True]

    def key(t: int, remaining: FloatArray) -> FloatArray:
        # a car charging in the previous slot (for the first slot: the one held now) keeps its
        # place: blocks are not broken for small differences
        on = charging > 0 if first[0] else remaining < prev[0] - 1e-12
        first[0] = False
        prev[0] = remaining.copy()
        if rule == "spt":
            return np.asarray(remaining - STICKY_KWH * on - URGENT_KEY * urgent, dtype=np.float64)
        laxity = (sessions.departure_h - ends[t]) - remaining / rate
        return np.asarray(laxity - STICKY_H * on - URGENT_KEY * urgent, dtype=np.float64)

    alloc = priority_kernel(caps, sessions.energy_kwh, cap_kw * grid.slot_h, key)
    return alloc / grid.slot_h, float(alloc.sum())


def _stable_split(
    sessions: Sessions,
    grid: TimeGrid,
    sched: evgrid.Schedule,
    charging: FloatArray,
    urgent: FloatArray,
) -> FloatArray:
    """Share a planned aggregate among the sessions so that each car gets few long blocks.

    Valley filling's aggregate is unique but its split among sessions is not, and a solver's
    split can differ from one replan to the next. The rules of :data:`SPLIT_ORDER` are tried in
    turn under the aggregate as a per-slot cap, and the first that delivers what the plan does
    is kept (earliest departure puts cars charging now first among equal departures); else the
    solver's own split. Per-session power ``(n, m)`` [kW].
    """
    cap = sched.charging_kw * (1.0 + 1e-9) + 1e-9
    want = float(sched.delivered_kwh.sum()) - 1e-6
    for rule in SPLIT_ORDER:
        if rule == "edf" and not urgent.any():
            keyed = Sessions(
                sessions.arrival_h,
                # never before its arrival: a car leaving within the tie-break keeps its window
                np.maximum(sessions.arrival_h, sessions.departure_h - TIE_BREAK_H * charging),
                sessions.energy_kwh,
                sessions.max_power_kw,
            )
            split = _solve(keyed, grid, None, cap, "edf")
            if float(split.delivered_kwh.sum()) >= want and split.session_kw is not None:
                return sp.csr_array(split.session_kw).toarray()
            continue
        if rule == "edf":
            continue
        kw, got = _priority_split(sessions, grid, cap, rule, urgent, charging)
        if got >= want:
            return kw
    assert sched.session_kw is not None
    return sp.csr_array(sched.session_kw).toarray()


def _probe(amps: FloatArray, probe_a: FloatArray, kw_per_a: FloatArray, head_kw: float) -> None:
    """Raise urgent sessions planned in slot 1 to ``probe_a`` while slot 1's headroom lasts."""
    for i in np.flatnonzero((probe_a > amps[:, 1]) & (amps[:, 1] > 0)):
        spare = head_kw - float(amps[:, 1] @ kw_per_a)
        extra = min(probe_a[i] - amps[i, 1], np.floor(spare / kw_per_a[i]))
        if extra > 0:
            amps[i, 1] += extra


TOPUP_SLOTS = 2
"""Slots after the current one into which spare headroom flows to undeclared sessions [-]
(re-decided at every replan, at least every slot)."""


def _topup(
    amps: FloatArray,
    topup: FloatArray,
    kw_per_a: FloatArray,
    headroom_kw: FloatArray,
    max_a: FloatArray,
    last: npt.NDArray[np.int64],
) -> None:
    """Give the headroom the plan leaves in slots ``1..TOPUP_SLOTS`` to the sessions marked
    ``topup``, each up to its maximum, in whole steps and never below the 6 A floor."""
    top = pile_amps(max_a, max_a)
    for t in range(1, min(TOPUP_SLOTS + 1, amps.shape[1])):
        for i in np.flatnonzero((topup > 0) & (last >= t) & (amps[:, t] < top)):
            spare = float(headroom_kw[t]) - float(amps[:, t] @ kw_per_a)
            new = float(pile_amps(np.array(amps[i, t] + spare / kw_per_a[i]), top[i]))
            if new > amps[i, t]:
                amps[i, t] = new


def make_plan(req: PlanRequest, fallback: str = "lp") -> Plan:
    """Plan the plugged-in sessions under the headroom of every slot.

    Slot 0 (the rest of the current slot) keeps each pile's present limit, lowered where its
    headroom requires (:func:`~evgrid.service.profiles.quantize`'s fit). The energy that gives is
    taken off each session's need, and the slots from the next boundary on are planned by valley
    filling (or the fallback), then rounded.

    Parameters
    ----------
    req
        The request.
    fallback
        Strategy when valley filling's peak is above the limit: ``"lp"`` or ``"edf"``.

    Returns
    -------
    Plan
    """
    t_start = time.perf_counter()
    m, n = req.n_slots, len(req.keys)
    slot_h = req.slot_s / 3600.0
    first_s = max(req.slot_s - (req.now - req.origin).total_seconds(), 1.0)
    headroom = req.headroom_kw()
    kw_per_a = to_kw(1.0, req.volts, req.phases)
    hold = pile_amps(np.minimum(req.current_a, req.max_a), req.max_a)
    hold = np.where(req.energy_kwh > 0.0, hold, 0.0)
    hold_kw = hold * kw_per_a
    hold_kwh = np.minimum(hold_kw * first_s / 3600.0, np.maximum(req.energy_kwh, 0.0))
    hold_kw = np.where(hold_kw > 0, hold_kwh / (first_s / 3600.0), 0.0)
    strategy = "none"
    session_kw = np.zeros((n, m))
    session_kw[:, 0] = hold_kw
    need = np.maximum(req.energy_kwh - hold_kwh, 0.0)
    if n and m > 1 and float(headroom[1:].max()) > 0.0 and float(need.max()) > 0.0:
        dep_h = np.array([(d - req.origin).total_seconds() / 3600.0 for d in req.departure])
        dep_h = np.clip(dep_h, slot_h, m * slot_h)
        sessions = Sessions(
            arrival_h=np.full(n, slot_h),
            departure_h=dep_h,
            energy_kwh=need,
            max_power_kw=req.max_a * kw_per_a,
        )
        grid = TimeGrid(slot_min=req.slot_s / 60.0, n_days=math.ceil(m * slot_h / 24.0))
        pad = grid.n_slots - m
        limit = float(req.limit_kw.max())
        base_eff = np.concatenate([limit - headroom, np.full(pad, limit)])
        base_eff[0] = 0.0  # slot 0 is held, not planned (no session is available in it)
        sched = _solve(sessions, grid, base_eff, limit, "valley-filling")
        strategy = "valley-filling"
        total = (base_eff + sched.charging_kw)[1:m]
        if float(total.max()) > limit * (1.0 + LIMIT_RTOL) + 1e-9:
            try:
                sched = _solve(sessions, grid, base_eff, limit, fallback)
                strategy = fallback
            except EvgridError:
                sched = _solve(sessions, grid, base_eff, limit, "edf")
                strategy = "edf"
        urgent = np.zeros(n) if req.urgent is None else np.asarray(req.urgent, dtype=np.float64)
        split_kw = _stable_split(sessions, grid, sched, (hold > 0).astype(np.float64), urgent)
        session_kw[:, 1:] = split_kw[:, 1:m]
    charging_now = (hold > 0).astype(np.float64)
    last = np.array(
        [
            min(math.ceil((d - req.origin).total_seconds() / req.slot_s) - 1, m - 1)
            for d in req.departure
        ],
        dtype=np.int64,
    ).reshape(n)
    amps = quantize(session_kw, headroom, req.volts, req.phases, req.max_a, charging_now, last)
    if req.probe_a is not None and m > 1:
        _probe(amps, req.probe_a, kw_per_a, float(headroom[1]))
    if req.topup is not None and m > 1:
        _topup(amps, req.topup, kw_per_a, headroom, req.max_a, last)
    durations_h = np.full(m, slot_h)
    durations_h[0] = first_s / 3600.0
    planned = np.minimum((amps * kw_per_a[:, None]) @ durations_h, np.maximum(req.energy_kwh, 0.0))
    charging_kw = (amps * kw_per_a[:, None]).sum(axis=0)
    return Plan(
        request=req,
        amps=amps,
        first_s=first_s,
        planned_kwh=planned,
        unmet_kwh=np.maximum(req.energy_kwh - planned, 0.0),
        strategy=strategy,
        total_kw=req.base_kw + req.committed_kw + charging_kw,
        solve_s=time.perf_counter() - t_start,
    )


def slot_times(origin: datetime, slot_s: float, m: int) -> list[datetime]:
    """Start of each slot ``k = 0..m`` (``m + 1`` edges)."""
    return [origin + timedelta(seconds=k * slot_s) for k in range(m + 1)]
