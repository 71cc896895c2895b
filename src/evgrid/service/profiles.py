"""Charging profiles: what a pile can do, what it was told, and what it will therefore draw.

A profile here is protocol-neutral (:class:`ProfileSpec`); the OCPP adapters turn it into a
``SetChargingProfile`` of their version. Limits are currents per phase [A], which every AC pile
supports (OCPP 1.6 section 3.13; 2.0.1 part 2, K01).

The composite limit follows OCPP 1.6 section 3.13.2-3.13.4 (the same in 2.0.1, K08): per purpose
the valid profile with the highest stack level wins; a transaction profile overrides the
default profiles while its transaction runs; the pile maximum caps the result; a schedule whose
start is in the future is not valid yet (so the service always starts schedules in the past).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Literal

import numpy as np
import numpy.typing as npt

from evgrid.service.settings import CURRENT_STEP_A, MAX_CURRENT_A, MIN_CURRENT_A
from evgrid.timegrid import FloatArray

Purpose = Literal["max", "tx_default", "tx"]
DAY_S = 86400


@dataclass(frozen=True)
class Limits:
    """A step function of current over time, as a pile stores it.

    Parameters
    ----------
    start
        Start of the schedule (UTC).
    periods
        ``(offset from start [s], limit [A per phase])`` pairs, offsets increasing from 0; the
        last limit holds until the schedule ends.
    recurring_daily
        Repeat every 24 h from ``start`` (a recurring TxDefaultProfile).
    duration_s
        Length of the schedule [s]; after it the profile no longer applies (lower stack levels
        do). None: the last limit holds for ever.
    """

    start: datetime
    periods: tuple[tuple[int, float], ...]
    recurring_daily: bool = False
    duration_s: int | None = None
    _offsets: list[int] = field(init=False, repr=False, compare=False, hash=False)
    _table: FloatArray = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_offsets", [s for s, _ in self.periods])
        object.__setattr__(self, "_table", np.asarray(self.periods, dtype=np.float64))
        key = (self.start, self.periods, self.recurring_daily, self.duration_s)
        object.__setattr__(self, "_hash", hash(key))

    def __hash__(self) -> int:
        # computed once: the planner keys its caches on profiles of hundreds of piles per round
        return int(getattr(self, "_hash"))  # noqa: B009 - set in __post_init__

    def at(self, t: datetime) -> float | None:
        """Limit at ``t`` [A], None before the start or after the duration (not valid)."""
        offset = (t - self.start).total_seconds()
        if offset < 0 or (self.duration_s is not None and offset >= self.duration_s):
            return None
        if self.recurring_daily:
            offset %= DAY_S
        k = bisect.bisect_right(self._offsets, offset) - 1
        return self.periods[max(k, 0)][1]

    def values_at(self, ts: FloatArray) -> FloatArray:
        """Limit at each of ``ts`` (Unix seconds) [A], NaN where not valid (as :meth:`at`)."""
        offset = ts - self.start.timestamp()
        valid = offset >= 0
        if self.duration_s is not None:
            valid &= offset < self.duration_s
        if self.recurring_daily:
            offset = offset % DAY_S
        k = np.maximum(np.searchsorted(self._table[:, 0], offset, side="right") - 1, 0)
        return np.where(valid, self._table[k, 1], np.nan)

    def change_times(self, t0: float, t1: float) -> FloatArray:
        """Unix seconds in ``(t0, t1)`` where the limit may change (as :meth:`changes`, in no
        particular order)."""
        start = self.start.timestamp()
        offsets = self._table[:, 0]
        if self.recurring_daily:
            days = np.arange(max(int((t0 - start) // DAY_S), 0), int((t1 - start) // DAY_S) + 1)
            offsets = (days[:, None] * DAY_S + offsets[None, :]).ravel()
        if self.duration_s is not None:
            offsets = np.append(offsets[offsets < self.duration_s], self.duration_s)
        times = start + np.append(offsets, 0.0)
        return times[(times > t0) & (times < t1)]

    def slot_max(self, edges: FloatArray) -> FloatArray:
        """Highest limit in each ``[edges[k], edges[k+1])`` (Unix seconds) [A], NaN where never
        valid."""
        points, first = slot_points(edges, self.change_times(edges[0], edges[-1]))
        return np.fmax.reduceat(self.values_at(points), first)

    def changes(self, t0: datetime, t1: datetime) -> list[datetime]:
        """Times in ``(t0, t1)`` where the limit may change (period starts, schedule start and
        end), in order."""
        out: list[datetime] = []
        if t0 < self.start < t1:
            out.append(self.start)
        lo = (t0 - self.start).total_seconds()
        hi = (t1 - self.start).total_seconds()
        if self.duration_s is not None:
            if lo < self.duration_s < hi:
                out.append(self.start + timedelta(seconds=self.duration_s))
            hi = min(hi, float(self.duration_s))
        if hi <= max(lo, 0.0):
            return sorted(out)
        offsets = self._offsets
        if not self.recurring_daily:
            i = bisect.bisect_right(offsets, lo)
            j = bisect.bisect_left(offsets, hi)
            out.extend(self.start + timedelta(seconds=s) for s in offsets[i:j] if s > 0)
            return sorted(out)
        first_day = int(max(lo, 0.0) // DAY_S)
        last_day = int(hi // DAY_S)
        for day in range(first_day, last_day + 1):
            base = day * DAY_S
            i = bisect.bisect_right(offsets, lo - base)
            j = bisect.bisect_left(offsets, hi - base)
            out.extend(
                self.start + timedelta(seconds=base + s) for s in offsets[i:j] if base + s > 0
            )
        return sorted(out)


WHOLE_PILE = 0
"""The connector (OCPP 1.6) or EVSE (2.0.1) id that names the whole pile: its maximum and its
default profiles go there."""


@dataclass(frozen=True)
class ProfileSpec:
    """One charging profile to install on a pile.

    Parameters
    ----------
    purpose
        ``"max"`` (ChargePointMaxProfile / ChargingStationMaxProfile, connector 0),
        ``"tx_default"`` (TxDefaultProfile) or ``"tx"`` (TxProfile, needs ``tx_id``).
    connector
        Connector (1.6) or EVSE (2.0.1) id; :data:`WHOLE_PILE` for the whole pile.
    profile_id
        Profile id; installing the same id again replaces it.
    stack
        Stack level [-].
    limits
        The schedule.
    phases
        Phases the limit applies to [-].
    tx_id
        Transaction id of a TxProfile (int in 1.6, text in 2.0.1).
    """

    purpose: Purpose
    connector: int
    profile_id: int
    stack: int
    limits: Limits
    phases: int = 1
    tx_id: int | str | None = None

    def __post_init__(self) -> None:
        fields = (
            self.purpose,
            self.connector,
            self.profile_id,
            self.stack,
            self.limits,
            self.phases,
            self.tx_id,
        )
        object.__setattr__(self, "_hash", hash(fields))

    def __hash__(self) -> int:
        # computed once (the committed load is cached by the profiles piles hold)
        return int(getattr(self, "_hash"))  # noqa: B009 - set in __post_init__

    @property
    def key(self) -> tuple[str, int, int]:
        """Slot this profile occupies on the pile: (purpose, connector, stack)."""
        return (self.purpose, self.connector, self.stack)


def composite_at(
    installed: Iterable[ProfileSpec], t: datetime, connector: int, tx_active: bool, rating_a: float
) -> float:
    """Effective current limit of a connector at ``t`` [A per phase].

    Parameters
    ----------
    installed
        Profiles installed on the pile.
    t
        Time (in the pile's own clock).
    connector
        Connector id (>= 1).
    tx_active
        Whether a transaction runs on the connector (a TxProfile applies only then).
    rating_a
        The pile's own maximum [A]; the limit without any profile.
    """
    best: dict[str, tuple[int, int, float]] = {}
    for p in installed:
        if p.connector not in (0, connector) or (p.purpose == "tx" and not tx_active):
            continue
        value = p.limits.at(t)
        if value is None:
            continue
        rank = (p.stack, p.connector)
        if p.purpose not in best or rank > best[p.purpose][:2]:
            best[p.purpose] = (p.stack, p.connector, value)
    limit = rating_a
    if "max" in best:
        limit = min(limit, best["max"][2])
    if "tx" in best:
        limit = min(limit, best["tx"][2])
    elif "tx_default" in best:
        limit = min(limit, best["tx_default"][2])
    return float(limit)


def composite_values(
    installed: Iterable[ProfileSpec],
    ts: FloatArray,
    connector: int,
    tx_active: bool,
    rating_a: float,
) -> FloatArray:
    """:func:`composite_at` at each of ``ts`` (Unix seconds, the pile's clock) [A per phase]."""
    winner: dict[str, FloatArray] = {}
    ranked = sorted(installed, key=lambda p: (p.stack, p.connector), reverse=True)
    for p in ranked:
        if p.connector not in (0, connector) or (p.purpose == "tx" and not tx_active):
            continue
        value = p.limits.values_at(ts)
        best = winner.get(p.purpose)
        winner[p.purpose] = value if best is None else np.where(np.isnan(best), value, best)
    limit = np.full(ts.shape, float(rating_a))
    nan = np.full(ts.shape, np.nan)
    tx = winner.get("tx", nan)
    charging = np.where(np.isnan(tx), winner.get("tx_default", nan), tx)
    return np.fmin(np.fmin(limit, winner.get("max", nan)), charging)


def composite_slot_max(
    installed: Iterable[ProfileSpec],
    edges: FloatArray,
    connector: int,
    tx_active: bool,
    rating_a: float,
) -> FloatArray:
    """Highest effective limit in each ``[edges[k], edges[k+1])`` (Unix seconds, the pile's
    clock) [A per phase]: the composite at every slot start and every change inside."""
    profiles = list(installed)
    changes = [p.limits.change_times(edges[0], edges[-1]) for p in profiles]
    points, first = slot_points(edges, np.concatenate([np.empty(0), *changes]))
    values = composite_values(profiles, points, connector, tx_active, rating_a)
    return np.maximum.reduceat(values, first)


def slot_points(edges: FloatArray, changes: FloatArray) -> tuple[FloatArray, npt.NDArray[np.intp]]:
    """The slot starts and the change times inside ``[edges[0], edges[-1])``, sorted, and the
    index of each slot's start among them (for ``ufunc.reduceat``; a repeated time is harmless
    to a maximum)."""
    inside = changes[(changes > edges[0]) & (changes < edges[-1])]
    points = np.sort(np.concatenate([edges[:-1], inside]))
    return points, np.searchsorted(points, edges[:-1])


def installed_by_key(profiles: Iterable[ProfileSpec]) -> dict[tuple[str, int, int], ProfileSpec]:
    """Profiles keyed by the slot they occupy (a later one replaces an earlier one)."""
    return {p.key: p for p in profiles}


def to_amps(
    power_kw: FloatArray | float, volts: float | FloatArray, phases: FloatArray | int
) -> FloatArray:
    """Current per phase of a power [A]: ``P / (V * phases)``."""
    return np.asarray(power_kw, dtype=np.float64) * 1000.0 / (volts * np.asarray(phases))


def to_kw(
    amps: FloatArray | float, volts: float | FloatArray, phases: FloatArray | int
) -> FloatArray:
    """Power of a current per phase [kW]: ``I * V * phases``."""
    return np.asarray(amps, dtype=np.float64) * volts * np.asarray(phases) / 1000.0


def pile_amps(amps: FloatArray, max_a: FloatArray | float = MAX_CURRENT_A) -> FloatArray:
    """Round currents down to what a pile can do: 0 or ``[MIN_CURRENT_A, max_a]`` in whole steps."""
    a = np.floor(np.minimum(amps, max_a) / CURRENT_STEP_A + 1e-9) * CURRENT_STEP_A
    return np.where(a >= MIN_CURRENT_A, a, 0.0)


BRIDGE_SLOTS = 4
"""Slots ahead whose planned charge keeps a charging car at the 6 A floor rather than pausing
it [-] (an hour of 15-minute slots)."""


def _fit_slot(q: FloatArray, kw_per_a: FloatArray, cap_kw: float, ahead: FloatArray) -> FloatArray:
    """Lower currents until ``sum(q * kw_per_a) <= cap_kw``: a water level above the 6 A floor
    first (largest currents give first), then pause the sessions most ahead of their plan."""
    if float(q @ kw_per_a) <= cap_kw + 1e-9:
        return q
    levels = np.arange(MAX_CURRENT_A, MIN_CURRENT_A - CURRENT_STEP_A / 2, -CURRENT_STEP_A)
    for level in levels:
        trial = np.where(q > level, level, q)
        if float(trial @ kw_per_a) <= cap_kw + 1e-9:
            return trial
    q = np.where(q > MIN_CURRENT_A, MIN_CURRENT_A, q)
    for i in np.argsort(-ahead, kind="stable"):
        if float(q @ kw_per_a) <= cap_kw + 1e-9:
            break
        q[i] = 0.0
    return q


def quantize(
    session_kw: FloatArray,
    cap_kw: FloatArray,
    volts: float | FloatArray,
    phases: FloatArray,
    max_a: FloatArray,
    charging_now: FloatArray,
    last_slot: npt.NDArray[np.int64] | None = None,
) -> FloatArray:
    """Turn planned powers into currents a pile can do, under a per-slot cap on their sum.

    Each session keeps a carry of what it got more or less than its plan [A x slot]. It starts
    when the carry reaches the 6 A floor; once charging it stays at the floor while its plan
    holds at least that much in the next :data:`BRIDGE_SLOTS` slots, so a thin plan becomes one
    block instead of pauses and resumes (each pause risks a car that does not resume), while a
    long gap in the plan is still a pause (the energy stays in the valley). A session whose whole
    plan is less than one slot at 6 A gets that one slot where its plan is largest; a session's
    last slot rounds up what is left (at least 6 A for half an ampere or more). The sum of each
    slot is then brought under ``cap_kw`` (:func:`_fit_slot`).

    Parameters
    ----------
    session_kw
        Planned mean power ``(n_sessions, n_slots)`` [kW].
    cap_kw
        Most charging power of these sessions per slot ``(n_slots,)`` [kW].
    volts
        Phase voltage [V].
    phases
        Phases of each session ``(n_sessions,)`` [-].
    max_a
        Highest current of each session's pile ``(n_sessions,)`` [A].
    charging_now
        1 where the session is charging now (a pause would start a new cycle), ``(n_sessions,)``.
    last_slot
        Last slot of each session's window ``(n_sessions,)``; default the last slot.

    Returns
    -------
    numpy.ndarray
        Current limits ``(n_sessions, n_slots)`` [A per phase], each 0 or in [6, max_a].
    """
    n, m = session_kw.shape
    kw_per_a = to_kw(1.0, volts, phases)
    target_a = session_kw / kw_per_a[:, None]
    # planned charge in the next BRIDGE_SLOTS slots [A x slot]
    csum = np.concatenate([np.zeros((n, 1)), np.cumsum(target_a, axis=1)], axis=1)
    idx = np.arange(m)
    ahead = csum[:, np.minimum(idx + 1 + BRIDGE_SLOTS, m)] - csum[:, idx + 1]
    last = np.full(n, m - 1) if last_slot is None else np.asarray(last_slot)
    total = target_a.sum(axis=1)
    small = (total >= 0.5) & (total < MIN_CURRENT_A - 1e-9)
    if small.any():
        rows = np.flatnonzero(small)
        peak = np.argmax(target_a[rows], axis=1)
        target_a = target_a.copy()
        target_a[rows] = 0.0
        target_a[rows, peak] = MIN_CURRENT_A
    out = np.zeros((n, m))
    carry = np.zeros(n)
    on = charging_now.astype(bool)
    for t in range(m):
        want = target_a[:, t] + carry
        q = pile_amps(want, max_a)
        keep = (q < MIN_CURRENT_A) & on & (want + ahead[:, t] >= MIN_CURRENT_A - 1e-9)
        final = (t == last) & (want >= 0.5)
        q = np.where(keep, np.minimum(MIN_CURRENT_A, max_a), q)
        # the last slot rounds up: what is left now is lost
        q = np.where(final, np.minimum(np.maximum(np.ceil(want - 1e-9), MIN_CURRENT_A), max_a), q)
        q = _fit_slot(q, kw_per_a, float(cap_kw[t]), -carry)
        out[:, t] = q
        carry = np.where(t >= last, 0.0, want - q)
        on = q > 0
    return out


def periods_from_slots(
    amps: FloatArray, first_s: int, slot_s: int, tail_a: float
) -> list[tuple[int, float]]:
    """Step function of a session's slot currents, equal neighbours merged.

    Parameters
    ----------
    amps
        Current per slot ``(n_slots,)`` [A]; slot 0 runs from the schedule start to ``first_s``.
    first_s
        Offset of the first slot boundary from the schedule start [s].
    slot_s
        Slot length [s].
    tail_a
        Limit after the last slot [A].
    """
    starts = [0] + [first_s + k * slot_s for k in range(len(amps))]
    values = [*(float(a) for a in amps), float(tail_a)]
    return _merge(list(zip(starts, values, strict=True)))


def guard_changes(periods: list[tuple[int, float]], guard_s: int) -> list[tuple[int, float]]:
    """The minimum of a schedule over ``[t - guard_s, t + guard_s]`` at every ``t``.

    Every rise moves ``guard_s`` later and every fall ``guard_s`` earlier, so piles whose clocks
    disagree by up to ``guard_s`` never draw more together than the plan allows.
    """
    if guard_s <= 0 or len(periods) < 2:
        return list(periods)
    starts = np.array([s for s, _ in periods], dtype=np.float64)
    values = np.array([v for _, v in periods], dtype=np.float64)
    ends = np.append(starts[1:], np.inf)
    cand = np.unique(
        np.concatenate(([0.0], np.maximum(starts[1:] - guard_s, 0.0), starts[1:] + guard_s))
    )
    lo, hi = np.maximum(cand - guard_s, 0.0), cand + guard_s
    overlap = (starts[None, :] <= hi[:, None]) & (ends[None, :] > lo[:, None])
    low = np.where(overlap, values[None, :], np.inf).min(axis=1)
    return _merge(list(zip(cand.astype(int).tolist(), low.tolist(), strict=True)))


def _merge(periods: list[tuple[int, float]]) -> list[tuple[int, float]]:
    out: list[tuple[int, float]] = []
    for s, v in periods:
        if out and out[-1][1] == v:
            continue
        out.append((s, v))
    return out


def compress(periods: list[tuple[int, float]], max_periods: int) -> list[tuple[int, float]]:
    """At most ``max_periods`` periods, never above the original anywhere.

    Repeatedly merges the neighbouring pair whose merge (at the lower of the two limits) loses
    the least charge [A x s]; the last period, which holds open-ended, is merged only with a
    period before it.
    """
    p = _merge(list(periods))
    while len(p) > max(max_periods, 1):
        best, best_loss = 1, float("inf")
        for i in range(1, len(p)):
            end = p[i + 1][0] if i + 1 < len(p) else p[i][0] + 3600
            loss = (p[i][0] - p[i - 1][0]) * max(p[i - 1][1] - p[i][1], 0.0) + (
                end - p[i][0]
            ) * max(p[i][1] - p[i - 1][1], 0.0)
            if loss < best_loss:
                best, best_loss = i, loss
        low = min(p[best - 1][1], p[best][1])
        p[best - 1] = (p[best - 1][0], low)
        del p[best]
        p = _merge(p)
    return p


def same_limits(
    a: Limits | None, b: Limits | None, t0: datetime, t1: datetime, tol_a: float = 0.5
) -> bool:
    """Whether two schedules give the same limit (within ``tol_a``) everywhere in ``[t0, t1)``."""
    if a is None or b is None:
        return a is b
    times = [t0, *a.changes(t0, t1), *b.changes(t0, t1)]
    for t in times:
        va, vb = a.at(t), b.at(t)
        if (va is None) != (vb is None):
            return False
        if va is not None and vb is not None and abs(va - vb) > tol_a:
            return False
    return True


def shifted(spec: ProfileSpec, seconds: float) -> ProfileSpec:
    """The same profile with its schedule start moved by ``seconds`` (into a pile's clock)."""
    lim = replace(spec.limits, start=spec.limits.start + timedelta(seconds=seconds))
    return replace(spec, limits=lim)


def max_over(specs: Mapping[object, ProfileSpec]) -> float:
    """Highest limit any of these profiles ever gives [A] (0 without profiles)."""
    return max((a for s in specs.values() for _, a in s.limits.periods), default=0.0)


def guarded_slot_periods(
    amps: FloatArray, first_s: int, slot_s: int, tail_a: float, guard_s: int
) -> list[tuple[int, float]]:
    """``guard_changes(periods_from_slots(amps, first_s, slot_s, tail_a), guard_s)`` in one
    pass over the changes only (the planning round's hot path).

    With every period at least ``2 guard_s`` long the windows of two changes never meet, so a
    rise simply moves ``guard_s`` later and a fall ``guard_s`` earlier; otherwise (a first slot
    shorter than that) the general :func:`guard_changes` decides.
    """
    if guard_s > 0 and (first_s < 2 * guard_s or slot_s < 2 * guard_s):
        return guard_changes(periods_from_slots(amps, first_s, slot_s, tail_a), guard_s)
    values = np.append(np.asarray(amps, dtype=np.float64), float(tail_a))
    changes = (np.flatnonzero(values[1:] != values[:-1]) + 1).tolist()
    listed = values.tolist()
    out: list[tuple[int, float]] = [(0, listed[0])]
    for k in changes:
        y, x = listed[k], out[-1][1]
        b = first_s + (k - 1) * slot_s
        out.append((max(b - guard_s, 0) if y < x else b + guard_s, y))
    return out


def batch_slot_max(limits: list[Limits], edges: FloatArray) -> FloatArray | None:
    """``[l.slot_max(edges + shift) for l in limits]`` for many absolute open-ended schedules
    at once ``(n, m)`` [A]; ``edges`` is ``(n, m + 1)`` (each row in its pile's clock). None when
    one of them recurs or ends (then :meth:`Limits.slot_max` decides one by one)."""
    n = len(limits)
    if n == 0:
        return np.zeros((0, edges.shape[1] - 1))
    if any(lim.recurring_daily or lim.duration_s is not None for lim in limits):
        return None
    counts = np.array([len(lim.periods) for lim in limits])
    table = np.concatenate([lim._table for lim in limits])
    starts = np.repeat(np.array([lim.start.timestamp() for lim in limits]), counts)
    times = starts + table[:, 0]
    values = table[:, 1]
    owner = np.repeat(np.arange(n), counts)
    base = float(min(times.min(), edges.min())) - 1.0
    span = float(max(times.max(), edges.max())) - base + 1.0
    key = owner * span + (times - base)  # sorted: owners in order, times increasing within
    m = edges.shape[1] - 1
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    # value at each slot start: the last change at or before it, of the same schedule
    q = np.arange(n)[:, None] * span + (edges[:, :-1] - base)
    idx = np.searchsorted(key, q, side="right") - 1
    valid = idx >= first[:, None]
    out = np.where(valid, values[np.maximum(idx, 0)], np.nan)
    # changes inside a slot raise its maximum
    slot = np.empty(times.size, dtype=np.int64)
    for i in range(n):  # n small searches of m + 1 edges
        lo, hi = first[i], first[i] + counts[i]
        slot[lo:hi] = np.searchsorted(edges[i], times[lo:hi], side="right") - 1
    inside = (slot >= 0) & (slot < m)
    inside &= times > edges[owner, np.clip(slot, 0, m)]
    rows, cols, vals = owner[inside], slot[inside], values[inside]
    filled = np.where(np.isnan(out), -np.inf, out)
    np.maximum.at(filled, (rows, cols), vals)
    return np.where(np.isneginf(filled), np.nan, filled)
