"""Uncontrolled ("disorderly") charging: every car charges at full power as soon as it plugs in.

Each session charges at its maximum power from arrival until its energy is delivered or it
leaves (figure 1: the report's "disorderly" charging). Energy is exact per slot: a
session that starts or stops inside a slot contributes pro rata to the part of the slot it
covers, so the sum of slot energies equals the delivered energy to floating-point precision.

The horizon is linear, ``[0, grid.horizon_h)`` (:mod:`evgrid.charging.schedule`): a session's
window is clipped to it, so charging cannot start before 0 h and whatever would be delivered
after the horizon ends is reported as unmet, never dropped.

Two paths, both without a Python loop over sessions or slots:

* aggregate only, constant power: every session is a +P step at its start and a -P step at its
  end; the slot energies are a ``bincount`` of the partial first slots plus a cumulative sum of
  the steps (O(n_sessions + n_slots)).
* per-session power or CC-CV taper: every session is expanded into the slots it touches
  (``np.repeat``) and each (session, slot) pair gets the exact integral of its power curve.

The optional CC-CV taper (constant current, then constant voltage) holds full power up to a
state of charge ``taper_soc`` and then lets the power fall linearly with the SOC, reaching zero
at a full battery, so the SOC approaches 1 exponentially -- the "linear battery" model used by
ACN-Sim (Lee et al., "ACN-Sim", IEEE Trans. Smart Grid 2021).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from evgrid.charging.schedule import Schedule
from evgrid.charging.strategies import Strategy, register
from evgrid.errors import bad_value
from evgrid.sessions import Sessions
from evgrid.timegrid import FloatArray, IntArray, TimeGrid

if TYPE_CHECKING:
    pass

DEFAULT_TAPER_BATTERY_KWH = 65.0
"""Battery capacity used by the taper when none is given [kWh]: middle of the report's
40–90 kWh range."""

DEFAULT_TAPER_END_SOC = 0.95
"""SOC a session ends at when tapering [-]: the report says 90 % or more; the middle of
0.90–1.00 is assumed."""


CHUNK_SESSIONS = 1 << 16
"""Sessions aggregated per chunk [-]: keeps temporaries in cache (benchmarks/bench_demand.py)."""


def uncontrolled(
    sessions: Sessions,
    grid: TimeGrid,
    base_kw: FloatArray | None = None,
    *,
    limit_kw: float | FloatArray | None = None,
    rng: np.random.Generator | int | None = None,
    taper_soc: float | None = None,
    battery_kwh: float | npt.ArrayLike = DEFAULT_TAPER_BATTERY_KWH,
    end_soc: float = DEFAULT_TAPER_END_SOC,
    per_session: bool = False,
) -> Schedule:
    """Aggregate uncontrolled charging of ``sessions`` on ``grid``.

    Parameters
    ----------
    sessions
        The charging sessions; ``energy_kwh`` is grid-side energy [kWh].
    grid
        The slot grid; its horizon ``[0, grid.horizon_h)`` is the only time available [h].
    base_kw
        Base load per slot, shape ``(n_slots,)`` [kW]; not used (uncontrolled charging does not
        look at the grid), accepted for the common strategy signature.
    limit_kw
        Site limit [kW]; ignored (uncontrolled charging does not respect it).
    rng
        Unused; the strategy is deterministic.
    taper_soc
        SOC above which power falls linearly to zero at a full battery (CC-CV) [-], in (0, 1);
        ``None`` charges at constant full power.
    battery_kwh
        Battery capacity for the taper, scalar or ``(n_sessions,)`` [kWh], counted in grid-side
        energy (battery capacity ÷ charger efficiency) so SOC and session energy share a unit.
    end_soc
        SOC at which a tapering session's energy is complete [-], in (taper_soc, 1); the start
        SOC is ``end_soc - energy_kwh / battery_kwh``.
    per_session
        Also return the per-session mean power per slot as a sparse matrix.

    Returns
    -------
    Schedule
        Aggregate power per slot [kW], requested and delivered energy per session [kWh], and
        the sparse ``(n_sessions, n_slots)`` power matrix [kW] if ``per_session``.
    """
    del base_kw, limit_kw, rng
    power_kw = sessions.max_power_kw
    energy_kwh = sessions.energy_kwh
    if taper_soc is None and not per_session:
        charging, delivered = _constant_power_chunks(sessions, grid)
        return Schedule(grid, charging, energy_kwh, delivered, None)
    start_h, window_end_h = _clipped_window(sessions, grid)
    if taper_soc is None:
        end_h, delivered = _constant_power_end(start_h, window_end_h, energy_kwh, power_kw)
        curve: _ConstantCurve | _TaperCurve = _ConstantCurve(power_kw)
    else:
        taper = _TaperCurve(energy_kwh, power_kw, taper_soc, battery_kwh, end_soc)
        end_h = np.minimum(start_h + taper.duration_h, window_end_h)
        end_h = np.maximum(end_h, start_h)
        delivered = taper.energy_by(end_h - start_h)
        delivered = np.where(start_h + taper.duration_h <= window_end_h, energy_kwh, delivered)
        curve = taper
    rows, slots, slot_kwh = _expand(start_h, end_h, curve, grid)
    charging = np.bincount(slots, weights=slot_kwh, minlength=grid.n_slots) / grid.slot_h
    session_kw = None
    if per_session:
        import scipy.sparse as sp  # only here: the aggregate path needs no scipy (a quick CLI)

        session_kw = sp.csr_array(
            (slot_kwh / grid.slot_h, (rows, slots)), shape=(len(sessions), grid.n_slots)
        )
    return Schedule(grid, charging, energy_kwh, delivered, session_kw)


def _clipped_window(sessions: Sessions, grid: TimeGrid) -> tuple[FloatArray, FloatArray]:
    """Each session's window clipped to the horizon ``[0, horizon_h]`` [h]."""
    start = np.clip(sessions.arrival_h, 0.0, grid.horizon_h)
    end = np.clip(sessions.departure_h, start, grid.horizon_h)
    return start, end


def _constant_power_end(
    start_h: FloatArray, window_end_h: FloatArray, energy_kwh: FloatArray, power_kw: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """End of charging at full power [h] and the energy delivered by then [kWh]."""
    # time at full power; a session without power would never finish
    end_h = np.divide(
        energy_kwh, power_kw, out=np.full(energy_kwh.shape, np.inf), where=power_kw > 0
    )
    end_h += start_h
    done = end_h <= window_end_h
    np.minimum(end_h, window_end_h, out=end_h)
    # a session that finished inside its window got exactly what it asked for
    delivered = np.where(done, energy_kwh, power_kw * (end_h - start_h))
    return end_h, delivered


def _constant_power_chunks(sessions: Sessions, grid: TimeGrid) -> tuple[FloatArray, FloatArray]:
    """Aggregate power [kW] and delivered energy [kWh] in cache-sized chunks of sessions."""
    n = len(sessions)
    delivered = np.empty(n)
    charging = np.zeros(grid.n_slots)
    for lo in range(0, n, CHUNK_SESSIONS):  # chunks of 2^16 sessions, not single sessions
        part = slice(lo, lo + CHUNK_SESSIONS)
        power_kw = sessions.max_power_kw[part]
        start_h = np.clip(sessions.arrival_h[part], 0.0, grid.horizon_h)
        window_end_h = np.clip(sessions.departure_h[part], start_h, grid.horizon_h)
        end_h, delivered[part] = _constant_power_end(
            start_h, window_end_h, sessions.energy_kwh[part], power_kw
        )
        charging += _step_aggregate(start_h, end_h, power_kw, grid)
    # remove the rounding residue of +P/-P cancellation (|x| ~ 1e-12 kW)
    return np.maximum(charging, 0.0, out=charging), delivered


def _step_aggregate(
    start_h: FloatArray, end_h: FloatArray, power_kw: FloatArray, grid: TimeGrid
) -> FloatArray:
    """Mean power per slot of constant-power intervals ``[start_h, end_h)`` [kW].

    Every interval is a +P step at its start and a -P step at its end. A step at time t in slot
    k adds ``P * (edge[k+1] - t)`` to slot k and ``P * slot_h`` to every later slot, so the
    energy per slot is a bincount of the partial first slots plus the exclusive cumulative sum
    of the step sizes. An empty interval (start = end) cancels exactly; a step at the end of the
    horizon lands in the last slot with a zero partial and no later slot, so needs no mask.
    """
    n = grid.n_slots
    slot_h = grid.slot_h
    per_slot = 1.0 / slot_h
    energy = np.zeros(n)
    step_kw = np.zeros(n)
    for times, sign in ((start_h, 1.0), (end_h, -1.0)):  # the two step kinds, not sessions
        slot = np.minimum((times * per_slot).astype(np.int64), n - 1)
        partial_h = (slot + 1) * slot_h
        partial_h -= times
        partial_h *= power_kw
        energy += sign * np.bincount(slot, weights=partial_h, minlength=n)
        step_kw += sign * np.bincount(slot, weights=power_kw, minlength=n)
    running_kw = np.cumsum(step_kw) - step_kw
    energy += running_kw * slot_h
    return energy * per_slot


class _ConstantCurve:
    """Energy delivered after charging for ``t`` hours at constant power [kWh]."""

    def __init__(self, power_kw: FloatArray) -> None:
        self.power_kw = power_kw

    def energy_by(self, t_h: FloatArray, rows: IntArray | None = None) -> FloatArray:
        p = self.power_kw if rows is None else self.power_kw[rows]
        return p * t_h


class _TaperCurve:
    """CC-CV charging: full power up to ``taper_soc``, then power ∝ (1 - SOC).

    With capacity C, full power P and taper start x, the tapering phase has time constant
    ``tau = C (1 - x) / P`` and energy ``C (1 - soc_a) (1 - exp(-t / tau))`` after t hours,
    ``soc_a = max(start SOC, x)``.
    """

    def __init__(
        self,
        energy_kwh: FloatArray,
        power_kw: FloatArray,
        taper_soc: float,
        battery_kwh: float | npt.ArrayLike,
        end_soc: float,
    ) -> None:
        if not 0.0 < taper_soc < 1.0:
            raise bad_value("taper_soc", taper_soc, "a state of charge in (0, 1) [-]")
        if not taper_soc < end_soc < 1.0:
            raise bad_value("end_soc", end_soc, f"a state of charge in ({taper_soc}, 1) [-]")
        cap = np.broadcast_to(np.asarray(battery_kwh, dtype=np.float64), energy_kwh.shape)
        if np.any(~(cap > 0)):
            raise bad_value("battery_kwh", float(cap.min()), "capacities > 0 [kWh]")
        self.energy_kwh = energy_kwh
        self.power_kw = power_kw
        start_soc = end_soc - energy_kwh / cap
        # constant-power phase: from the start SOC up to the taper SOC
        self.cc_kwh = np.clip(cap * (taper_soc - start_soc), 0.0, energy_kwh)
        safe_p = np.where(power_kw > 0, power_kw, 1.0)
        self.cc_h = np.where(power_kw > 0, self.cc_kwh / safe_p, 0.0)
        soc_a = np.maximum(start_soc, taper_soc)
        self.headroom_kwh = cap * (1.0 - soc_a)  # energy to a full battery at taper start
        self.tau_h = cap * (1.0 - taper_soc) / safe_p
        cv_kwh = energy_kwh - self.cc_kwh
        ratio = np.maximum(1.0 - cv_kwh / np.maximum(self.headroom_kwh, 1e-300), 1e-300)
        cv_h = np.where(cv_kwh > 0, -self.tau_h * np.log(ratio), 0.0)
        self.duration_h = np.where(power_kw > 0, self.cc_h + cv_h, np.inf)
        self.duration_h = np.where(energy_kwh > 0, self.duration_h, 0.0)

    def energy_by(self, t_h: FloatArray, rows: IntArray | None = None) -> FloatArray:
        def pick(a: FloatArray) -> FloatArray:
            return a if rows is None else a[rows]

        cc_h, p = pick(self.cc_h), pick(self.power_kw)
        cv_t = np.maximum(t_h - cc_h, 0.0)
        cv = pick(self.headroom_kwh) * -np.expm1(-cv_t / pick(self.tau_h))
        out = np.minimum(p * np.minimum(t_h, cc_h) + cv, pick(self.energy_kwh))
        return np.asarray(np.where(p > 0, out, 0.0), dtype=np.float64)


def _expand(
    start_h: FloatArray,
    end_h: FloatArray,
    curve: _ConstantCurve | _TaperCurve,
    grid: TimeGrid,
) -> tuple[IntArray, IntArray, FloatArray]:
    """Every (session, slot) pair a session charges in, with its exact energy [kWh]."""
    slot_h = grid.slot_h
    active = end_h > start_h
    first = np.floor(start_h / slot_h).astype(np.int64)
    last = np.ceil(end_h / slot_h).astype(np.int64) - 1
    first = np.minimum(first, grid.n_slots - 1)
    last = np.clip(last, first, grid.n_slots - 1)
    count = np.where(active, last - first + 1, 0)
    rows = np.repeat(np.arange(start_h.shape[0], dtype=np.int64), count)
    offset = np.cumsum(count) - count
    slots = first[rows] + (np.arange(rows.shape[0], dtype=np.int64) - offset[rows])
    s, e = start_h[rows], end_h[rows]
    lo = np.clip(slots * slot_h, s, e) - s
    hi = np.clip((slots + 1) * slot_h, s, e) - s
    hi = np.where(slots == last[rows], e - s, hi)  # the last slot ends exactly at the end
    lo = np.where(slots == first[rows], 0.0, lo)
    slot_kwh = curve.energy_by(hi, rows) - curve.energy_by(lo, rows)
    return rows, slots, slot_kwh


register(
    Strategy(
        name="uncontrolled",
        run=uncontrolled,
        summary="every car charges at full power from plug-in (the report's disorderly charging)",
        separable=True,
        index_mode="uncontrolled",
        order=0,
    )
)
