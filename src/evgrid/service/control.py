"""One planning round: from the service's state to a plan, to profiles, to the piles.

:func:`build_request` gathers the plugged-in sessions of piles the service controls (online and
reconciled), the base-load forecast with its margin, the load committed by every other pile
(offline, suspect, idle, or a session's pile after its departure) at the most its installed
profiles allow, and the limit of each slot under the demand-response events. :func:`replan`
plans, turns each session's currents into a profile, and sends the ones that changed: first every
profile that lowers a pile's present limit, and only when those are all acknowledged the ones
that raise it, so the piles never draw more together than the old or the new plan allows.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import math
import time
from collections.abc import Callable, Hashable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from evgrid.service.adapters import DrEvent
from evgrid.service.clock import Clock
from evgrid.service.defaults import as_pile_maximum
from evgrid.service.dispatcher import ACCEPTED, OFFLINE, SUPERSEDED, Dispatcher
from evgrid.service.forecast import SiteModel
from evgrid.service.planner import Plan, PlanRequest, horizon_slots, make_plan
from evgrid.service.profiles import (
    WHOLE_PILE,
    Limits,
    ProfileSpec,
    Purpose,
    batch_slot_max,
    composite_at,
    compress,
    guarded_slot_periods,
    shifted,
    to_kw,
)
from evgrid.service.settings import (
    CURRENT_STEP_A,
    DEFAULT_MAX_PERIODS,
    GUARD_S,
    MIN_CURRENT_A,
    PLAN_PROFILE_BASE,
    PLAN_STACK,
    REJECT_RETRY_S,
    SKEWED_GUARD_S,
    SKEWED_SLOTS,
    START_BACKDATE_S,
    ServiceConfig,
)
from evgrid.service.state import PileState, TxState
from evgrid.service.store import Store
from evgrid.timegrid import FloatArray

if TYPE_CHECKING:
    from evgrid.service.metrics import Metrics

RAISE_MIN_A = 2.0
"""A change of a pile's limit smaller than this in the next slots is not sent unless the
headroom needs it [A]."""
DEPARTURE_BUFFER_S = 900.0
"""A session is planned to be done this long before its departure when its stay allows [s]:
the last slot then has room for what rounding, guards and meter lag left (evgrid assumption)."""
CAR_PRIOR_KW = 3.5
"""Power a car is planned at until it shows its own maximum [kW]: the lower of the two common
AC ratings (report section 2: mostly 3.5 kW and 7 kW)."""
CAR_PRIOR_FILL = 1.0
"""Share of its stay at :data:`CAR_PRIOR_KW` a car's need may fill before it is planned at the
pile's maximum instead [-]."""
LOWER_WAIT_S = 2.0
"""Longest wait of a round for the acknowledgements of its lowering profiles [s of wall time]
(evgrid's choice: twice the event-to-acknowledgement target); a pile slower than that is planned
around, its request goes on in its own queue."""
MAX_PASSES = 4
"""Passes of one round at most: each leaves out the piles whose lowering failed [-]."""
NEAR_SLOTS = 3
"""Slots ahead (the current one included) whose changes are sent [-]; later changes wait until
they come this near, or go at once when the headroom needs them."""


def slot_origin(now: datetime, slot_s: float) -> datetime:
    """Start of the slot holding ``now`` (slots aligned to whole multiples from midnight UTC)."""
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    k = int((now - midnight).total_seconds() // slot_s)
    return midnight + timedelta(seconds=k * slot_s)


def slot_edges(now: datetime, origin: datetime, slot_s: float, m: int) -> FloatArray:
    """Edges of the ``m`` planning slots from ``now`` (Unix seconds) ``(m + 1,)``: the first
    slot runs from ``now`` to the end of the slot holding it."""
    edges = origin.timestamp() + slot_s * np.arange(m + 1, dtype=np.float64)
    edges[0] = now.timestamp()
    return edges


def remaining_kwh(
    pile: PileState, connector: int, tx: TxState, now: datetime, volts: float
) -> float:
    """Energy a session still needs at ``now`` [kWh]: the last meter reading, less what the car
    drew since at its metered power, never above the limit its pile applied meanwhile (a low
    estimate: the plan would rather give a little too much than top the car up later)."""
    if tx.full:
        return 0.0
    left = max(tx.energy_kwh - tx.delivered_kwh, 0.0)
    if tx.meter_at is None or tx.suspended_since is not None or tx.since_meter_kw <= 0.0:
        return left
    if left <= 0.0:
        return 0.0
    volts_phases = pile.row.phases * volts / 1000.0
    times = [tx.meter_at]
    d = timedelta(seconds=pile.skew_s)
    for spec in [*pile.installed.values(), *pile.uncertain.values()]:
        times.extend(t - d for t in spec.limits.changes(tx.meter_at + d, now + d))
    times = [*sorted(t for t in times if t < now), now]
    drawn = 0.0
    for a, b in itertools.pairwise(times):
        kw = min(tx.since_meter_kw, pile.limit_at(a, connector, False) * volts_phases)
        drawn += kw * (b - a).total_seconds() / 3600.0
    return max(left - drawn, 0.0)


def _max_a(pile: PileState, tx: TxState, volts: float, now: datetime) -> tuple[float, bool]:
    """Highest current planned for a session [A], and whether it is urgent.

    The car's own maximum once it has shown one; before that the lower common AC rating
    (:data:`CAR_PRIOR_KW`): planning an unknown car at the lower rate starts it early enough
    whatever it turns out to be (a car that takes less than its plan would otherwise be found out
    only when its last slots come). A session whose need does not fit its stay at that rate is
    urgent: it goes first in the split and is offered the pile's maximum in its next slot where
    the headroom allows, so its own rate shows at once.
    """
    kw_per_a = volts * pile.row.phases / 1000.0
    if tx.car_max_kw is not None:
        # the car's own maximum, up to the next whole step (a plan never holds a fraction the
        # pile cannot send; the car takes what it takes)
        car_a = math.ceil(tx.car_max_kw / kw_per_a / CURRENT_STEP_A - 1e-9) * CURRENT_STEP_A
        top = math.floor(pile.row.max_a / CURRENT_STEP_A + 1e-9) * CURRENT_STEP_A
        return min(top, max(car_a, MIN_CURRENT_A)), False
    prior_a = min(pile.row.max_a, np.floor(CAR_PRIOR_KW / kw_per_a))
    hours = max((tx.departure - now).total_seconds() / 3600.0, 0.0)
    urgent = tx.energy_kwh - tx.delivered_kwh > CAR_PRIOR_FILL * prior_a * kw_per_a * hours
    return float(prior_a), bool(urgent)


def _lowers_now(pile: PileState, spec: ProfileSpec, connector: int, now: datetime) -> bool:
    """Whether ``spec`` lowers the pile's limit over the next minute (send it first)."""
    tp = now + timedelta(seconds=pile.skew_s)
    new = {**pile.installed, **pile.uncertain, spec.key: spec}
    tx = pile.tx_active(connector)
    for dt in (0, GUARD_S):
        t = tp + timedelta(seconds=dt)
        before = pile.limit_at(now + timedelta(seconds=dt), connector)
        after = composite_at(new.values(), t, connector, tx, pile.row.max_a)
        if after < before - 0.01:
            return True
    return False


class Planner:
    """The planning round as a collaborator: from the piles' state to a plan, to profiles, to
    the piles (see the module docstring).

    Parameters
    ----------
    piles
        The service's piles by id (read; their profiles are updated by the dispatcher).
    site
        The site's limit, margin, base-load forecast and commissioning default
        (:class:`~evgrid.service.forecast.SiteModel`).
    dr
        The demand-response events in force (``events``, ``expire``).
    dispatcher
        The piles' queues.
    store, metrics, clock, config
        Durable state, running figures, time, options.
    update_full
        Marks full cars and tops up undeclared ones before a round (the gateway's state).
    poke, spawn
        Ask for another round; run a coroutine in the background.
    """

    def __init__(
        self,
        piles: dict[str, PileState],
        site: SiteModel,
        dr: Any,
        dispatcher: Dispatcher,
        store: Store,
        metrics: Metrics,
        clock: Clock,
        config: ServiceConfig,
        update_full: Callable[[datetime], None],
        poke: Callable[[str], None],
        spawn: Callable[[Any], asyncio.Future[Any]],
    ) -> None:
        self.piles = piles
        self.site = site
        self.dr = dr
        self.dispatcher = dispatcher
        self.store = store
        self.metrics = metrics
        self.clock = clock
        self.config = config
        self.update_full = update_full
        self.poke = poke
        self.spawn = spawn
        self.last_plan: Plan | None = None
        self.last_plan_keys: list[Hashable] = []
        self.push_lock = asyncio.Lock()

    def build_request(
        self,
        now: datetime,
        events: Mapping[str, DrEvent],
        exclude: frozenset[str] = frozenset(),
    ) -> tuple[PlanRequest, list[tuple[PileState, int, TxState]]]:
        """The planner's request from the service's state, and the session behind each row.

        Piles in ``exclude`` (their last profile was refused or not acknowledged in time) are not
        planned: they count as committed at what their installed profiles allow. A pile that never
        connected and is not marked commissioned counts for nothing (it has no car and no profile
        the service could know of; it gets its defaults the moment it connects).
        """
        cfg = self.config
        slot_s = cfg.slot_s
        origin = slot_origin(now, slot_s)
        self.update_full(now)
        sessions: list[tuple[PileState, int, TxState]] = []
        fixed: list[tuple[PileState, int]] = []
        for pile in self.piles.values():
            if not pile.online and not pile.row.commissioned:
                continue
            for c, conn in pile.connectors.items():
                if conn.tx is not None and pile.controllable and pile.id not in exclude:
                    sessions.append((pile, c, conn.tx))
                else:
                    fixed.append((pile, c))
        one_slot = timedelta(seconds=slot_s)
        buffer = timedelta(seconds=DEPARTURE_BUFFER_S)
        # plan each car done a buffer before it leaves; a car staying past its departure (or
        # about to leave) gets one more slot
        departures = [
            max(tx.departure - buffer, min(now + one_slot, max(tx.departure, now + one_slot)))
            for _, _, tx in sessions
        ]
        m = horizon_slots(now, origin, departures, slot_s)
        edges = slot_edges(now, origin, slot_s, m)
        committed = np.zeros(m)
        cache: dict[tuple[object, ...], FloatArray] = {}

        def limits(pile: PileState, c: int, tx: bool) -> tuple[tuple[object, ...], FloatArray]:
            key = pile.signature(c, tx)
            amps = cache.get(key)
            if amps is None:
                amps = cache[key] = pile.slot_limit_max(edges, c, tx)
            return key, amps

        def reserve(pile: PileState, c: int, tx: bool, from_k: int) -> None:
            _, amps = limits(pile, c, tx)
            volts = pile.phase_volts(cfg.phase_voltage_v)
            committed[from_k:] += to_kw(amps[from_k:], volts, pile.row.phases)

        # piles that hold the same profiles count once, times their number
        same: dict[tuple[tuple[object, ...], float, int], list[Any]] = {}
        for pile, c in fixed:
            key, amps = limits(pile, c, pile.tx_active(c))
            group = (key, pile.phase_volts(cfg.phase_voltage_v), pile.row.phases)
            if group in same:
                same[group][1] += 1
            else:
                same[group] = [amps, 1]
        for (_, group_v, group_phases), (amps, count) in same.items():
            committed += count * to_kw(amps, group_v, group_phases)
        for (pile, c, _), dep in zip(sessions, departures, strict=True):
            k_dep = min(int((dep - origin).total_seconds() // slot_s), m - 1)
            reserve(pile, c, False, k_dep)
        # the limit the pile applies over most of the current slot (a rise comes GUARD_S late)
        hold_at = max(now, origin + timedelta(seconds=slot_s / 2))
        limit = np.full(m, self.site.limit_kw)
        for ev in events.values():
            during = (ev.start.timestamp() < edges[1:]) & (ev.end.timestamp() > edges[:-1])
            limit[during] = np.minimum(limit[during], ev.cap_kw)
        volts = np.array([p.phase_volts(cfg.phase_voltage_v) for p, _, _ in sessions]).reshape(
            len(sessions)
        )
        rates = [_max_a(p, tx, v, now) for (p, _, tx), v in zip(sessions, volts, strict=True)]
        req = PlanRequest(
            now=now,
            origin=origin,
            slot_s=slot_s,
            keys=[(p.id, c) for p, c, _ in sessions],
            departure=departures,
            energy_kwh=np.array(
                [
                    remaining_kwh(p, c, tx, now, v)
                    for (p, c, tx), v in zip(sessions, volts, strict=True)
                ]
            ).reshape(len(sessions)),
            max_a=np.array([rate[0] for rate in rates], dtype=np.float64).reshape(len(sessions)),
            phases=np.array([p.row.phases for p, _, _ in sessions], dtype=np.float64),
            current_a=np.array(
                [p.limit_at(hold_at, c, False) for p, c, _ in sessions], dtype=np.float64
            ),
            base_kw=self.site.forecast.slots(origin, m) + self.site.margin_kw,
            committed_kw=committed,
            limit_kw=limit,
            volts=volts,
            urgent=np.array([float(rate[1]) for rate in rates]).reshape(len(sessions)),
            probe_a=np.array(
                [p.row.max_a if r[1] else 0.0 for (p, _, _), r in zip(sessions, rates, strict=True)]
            ).reshape(len(sessions)),
            topup=np.array([float(not tx.declared) for _, _, tx in sessions]).reshape(
                len(sessions)
            ),
        )
        return req, sessions

    def trial_plan(self, events: Mapping[str, DrEvent]) -> Plan:
        """A plan of the present state under ``events`` (nothing is sent)."""
        req, _ = self.build_request(self.clock.now(), events)
        return make_plan(req, self.config.fallback)

    def plan_spec(
        self, plan: Plan, row: int, pile: PileState, connector: int, tx: TxState
    ) -> ProfileSpec:
        """The profile of one session: its slot currents to its departure, then the lowest default,
        guarded against clock error and compressed to the pile's number of periods."""
        req = plan.request
        k_dep = min(
            math.ceil((req.departure[row] - req.origin).total_seconds() / req.slot_s) - 1,
            req.n_slots - 1,
        )
        tail = float(self.site.default_amps.min())
        start = req.now.replace(microsecond=0) - timedelta(seconds=START_BACKDATE_S)
        slot_s = int(req.slot_s)
        first = int((req.origin - start).total_seconds()) + slot_s
        if pile.skewed:
            # short profile: this slot and the next, then 0 A; refreshed every slot
            k_dep, tail, guard = min(k_dep, SKEWED_SLOTS - 1), 0.0, SKEWED_GUARD_S
        else:
            guard = GUARD_S
        periods = guarded_slot_periods(plan.amps[row, : k_dep + 1], first, slot_s, tail, guard)
        max_periods = pile.max_periods or DEFAULT_MAX_PERIODS
        if len(periods) > max_periods:
            periods = compress(periods, max_periods)
        lim = Limits(start=start, periods=tuple(periods))
        purpose: Purpose = "tx_default" if pile.row.rejects_tx else "tx"
        tx_ref: int | str = tx.ext_id if tx.ext_id is not None else tx.tx_id
        spec = ProfileSpec(
            purpose,
            connector,
            PLAN_PROFILE_BASE + connector,
            PLAN_STACK,
            lim,
            pile.row.phases,
            tx_ref if purpose == "tx" else None,
        )
        if self.config.upstream:
            spec = as_pile_maximum(spec)
        return shifted(spec, pile.skew_s) if pile.skewed else spec

    def select_changes(
        self,
        plan: Plan,
        sessions: list[tuple[PileState, int, TxState]],
        specs: list[ProfileSpec],
    ) -> list[tuple[PileState, int, ProfileSpec]]:
        """The profiles worth sending: the fewest that keep the piles under the plan's headroom.

        A profile is sent when its pile holds none (or an unanswered one), when it changes the next
        :data:`NEAR_SLOTS` slots by :data:`RAISE_MIN_A` or more or starts/stops the car there; then,
        while the installed profiles of the piles not sent would exceed a slot's headroom, the one
        that lowers that slot most is added. Everything else keeps its installed profile: a plan
        that shifts by an ampere somewhere in the night is not resent at every replan.
        """
        req = plan.request
        n, m = len(sessions), req.n_slots
        if n == 0:
            return []
        edges = slot_edges(req.now, req.origin, req.slot_s, m)
        kw_per_a = to_kw(1.0, req.volts, req.phases)
        near = slice(0, min(NEAR_SLOTS, m))
        skews = np.array([pile.skew_s for pile, _, _ in sessions])
        pile_edges = edges[None, :] + skews[:, None]  # each row in its pile's clock
        caps: dict[tuple[object, ...], FloatArray] = {}  # piles share their maximum profile
        cap = np.empty((n, m))
        for i, (pile, _, _) in enumerate(sessions):
            top = pile.installed.get(("max", WHOLE_PILE, 0))
            key = (None if top is None else top.limits, pile.skew_s, pile.row.max_a)
            row = caps.get(key)
            if row is None:
                row = caps[key] = (
                    np.full(m, pile.row.max_a)
                    if top is None
                    else np.fmin(top.limits.slot_max(pile_edges[i]), pile.row.max_a)
                )
            cap[i] = row
        # a slot the profile does not cover (NaN) falls to the cap, which is at most max_a
        new_max = batch_slot_max([spec.limits for spec in specs], pile_edges)
        if new_max is None:
            new_max = np.array([sp.limits.slot_max(pile_edges[i]) for i, sp in enumerate(specs)])
        new = np.fmin(new_max, cap)
        must = np.zeros(n, dtype=bool)
        known: list[int] = []
        olds: list[Limits] = []
        for i, ((pile, _, _), spec) in enumerate(zip(sessions, specs, strict=True)):
            inst = pile.installed.get(spec.key)
            if inst is None or spec.key in pile.uncertain or pile.unknown:
                must[i] = True
            else:
                known.append(i)
                olds.append(inst.limits)
        old = np.zeros((n, m))
        if known:
            rows = np.array(known)
            old_max = batch_slot_max(olds, pile_edges[rows])
            if old_max is None:
                old_max = np.array(
                    [lim.slot_max(pile_edges[r]) for r, lim in zip(rows, olds, strict=True)]
                )
            old[rows] = np.fmin(old_max, cap[rows])
            diff = np.abs(new[rows, near] - old[rows, near]).max(axis=1)
            starts = ((new[rows, near] >= MIN_CURRENT_A) != (old[rows, near] >= MIN_CURRENT_A)).any(
                axis=1
            )
            must[rows] = (diff >= RAISE_MIN_A - 1e-9) | starts
        head = req.headroom_kw()
        chosen = np.where(must[:, None], new, old)
        for _ in range(n):
            over = (chosen * kw_per_a[:, None]).sum(axis=0) - head
            t = int(np.argmax(over))
            if over[t] <= 1e-6:
                break
            gain = np.where(must, -np.inf, (old[:, t] - new[:, t]) * kw_per_a)
            i = int(np.argmax(gain))
            if gain[i] <= 0:
                must[:] = True  # cannot be fixed by single profiles: send the whole plan
                break
            must[i] = True
            chosen[i] = new[i]
        return [(p, c, spec) for (p, c, _), spec, s in zip(sessions, specs, must, strict=True) if s]

    async def install_plan_spec(self, pile: PileState, spec: ProfileSpec) -> str:
        """Install a session profile; a pile that rejects TxProfile twice gets it as a connector
        TxDefaultProfile from then on (a known firmware behaviour)."""
        answer = await self.dispatcher.install(pile.id, spec)
        if spec.purpose != "tx" or answer in (ACCEPTED, SUPERSEDED, OFFLINE, "Timeout"):
            if answer == ACCEPTED:
                pile.unknown = False
            return answer
        # rejected: perhaps sent before the pile processed the StartTransaction answer; once more
        await self.clock.sleep_wall(REJECT_RETRY_S)
        answer = await self.dispatcher.install(pile.id, spec)
        if answer != ACCEPTED and answer not in (SUPERSEDED, OFFLINE, "Timeout"):
            pile.row = dataclasses.replace(pile.row, rejects_tx=True)
            self.store.update_charger(pile.id, rejects_tx=1)
            self.store.alert(self.clock.now(), pile.id, "rejects-txprofile", answer)
            spec = dataclasses.replace(spec, purpose="tx_default", tx_id=None)
            answer = await self.dispatcher.install(pile.id, spec)
        if answer == ACCEPTED:
            pile.unknown = False
        return answer

    async def clear_plan_default(self, pile_id: str, connector: int) -> None:
        """Remove a session's plan that does not end with its transaction (at its stop): the
        connector TxDefaultProfile of a pile that rejects TxProfile, or the pile maximum of
        local-controller mode."""
        pile = self.piles.get(pile_id)
        if pile is None:
            return
        ident = PLAN_PROFILE_BASE + connector
        for spec in [*pile.installed.values(), *pile.uncertain.values()]:
            if spec.profile_id == ident and spec.purpose != "tx":
                await self.dispatcher.clear(pile_id, spec)
                return

    async def push(self, changes: list[tuple[PileState, int, ProfileSpec]]) -> set[str]:
        """Send changed profiles, lowering ones first; the piles whose lowering profile was not
        accepted within :data:`LOWER_WAIT_S` (then no raising one is sent: the round plans again
        without them).

        A pile that is slow or refuses holds nobody else up: its request goes on in its own queue
        (retried, or counted towards marking it uncontrollable), and the round moves on.
        """
        now = self.clock.now()
        lowers = [(p, s) for p, c, s in changes if _lowers_now(p, s, c, now)]
        low_ids = {id(s) for _, s in lowers}
        raises = [(p, s) for p, _, s in changes if id(s) not in low_ids]
        tasks = {self.spawn(self.install_plan_spec(p, s)): p.id for p, s in lowers}
        failed: set[str] = set()
        if tasks:
            done, pending = await asyncio.wait(tasks, timeout=LOWER_WAIT_S)
            failed = {tasks[t] for t in pending}
            failed |= {tasks[t] for t in done if t.result() not in (ACCEPTED, SUPERSEDED)}
        if failed:
            self.metrics.failed_lowers += 1
            return failed
        answers = [self.spawn(self.install_plan_spec(p, s)) for p, s in raises]
        if answers:
            await asyncio.wait(answers, timeout=LOWER_WAIT_S)
        return failed

    async def replan(self, first_event_wall: float | None) -> Plan:
        """One planning round (see the module docstring); records its figures.

        When a lowering profile fails (refused, or not acknowledged within :data:`LOWER_WAIT_S`),
        the round plans again at once without that pile, which then counts at what its installed
        profiles allow; at most :data:`MAX_PASSES` passes.
        """
        async with self.push_lock:
            t_round, start_wall = time.perf_counter(), self.clock.wall()
            now = self.clock.now()
            self.dr.expire(now)
            exclude: frozenset[str] = frozenset()
            for attempt in range(MAX_PASSES):
                req, sessions = self.build_request(now, self.dr.events, exclude)
                plan = make_plan(req, self.config.fallback)
                specs = [
                    self.plan_spec(plan, row, p, c, tx) for row, (p, c, tx) in enumerate(sessions)
                ]
                changes = self.select_changes(plan, sessions, specs)
                self.last_plan, self.last_plan_keys = plan, list(req.keys)
                self.metrics.plan(plan, len(changes))
                if attempt == 0:
                    self.metrics.round_s.append(time.perf_counter() - t_round)
                pushed_wall = self.clock.wall()
                failed = await self.push(changes) if changes else set()
                if not failed:
                    break
                exclude = exclude | failed
                now = self.clock.now()
            else:
                self.poke("push-failed")
            if changes and not failed and first_event_wall is not None:
                acked_wall = self.clock.wall()
                self.metrics.latency_s.append(acked_wall - first_event_wall)
                self.metrics.wait_s.append(start_wall - first_event_wall)
                self.metrics.push_s.append(acked_wall - pushed_wall)
            peak = float(plan.total_kw.max()) if plan.total_kw.size else 0.0
            self.store.log_plan(
                now,
                len(sessions),
                plan.strategy,
                peak,
                float(req.limit_kw.min()),
                plan.unmet_total_kwh,
                plan.solve_s * 1000.0,
                len(changes),
            )
            return plan
