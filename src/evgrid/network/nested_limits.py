"""The network's nested limits for orderly charging: cable phases inside transformer phases.

Every closed cable ``c`` and phase ``p`` give a group: the piles beyond ``c`` on ``p``; every unit
and phase give a group of all its piles on ``p``. Beyond-cable sets of a tree are nested or
disjoint, so the family is laminar and
:func:`evgrid.charging.nested.nested_valley_filling` schedules exactly under it. A group's limit
per slot is what its element carries at nominal voltage (cable: derated ampacity x the cable
loading limit; unit phase: a third of the rating x the loading limit) less the apparent power of
the households beyond it, times the piles' power factor (|S_pile + S_households| <= |S_pile| +
|S_households|, so meeting it keeps the current within the limit at nominal voltage; the power
flow then checks the real voltages). A group whose limit exceeds its piles' total rating in every
slot can never bind and is left out (the schedule is the same).

Voltage: an outer check. After a solve, the power flow runs over the horizon; where a bus falls
below its GB/T 12325 limit, the piles beyond the first section of its feeder on that phase give
up, in that slot, the power a linear sensitivity says restores the voltage (times
:data:`SAFETY`), and the problem is solved again, up to :data:`VOLTAGE_ROUNDS` times. The check
is a heuristic: a round can move energy into a slot that then sags further, so the schedule with
the highest lowest voltage of the rounds is kept; the power flow of that schedule is what evgrid
reports and judges.

The problem is solved day by day, cut at noon (home charging runs evening to morning): a session
belongs to the day block of its arrival and its departure is clipped to the block's end.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from evgrid.charging.nested import Groups, nested_valley_filling
from evgrid.network.limits import Limits
from evgrid.network.model import Network
from evgrid.params import default
from evgrid.sessions import Sessions
from evgrid.timegrid import FloatArray, IntArray, TimeGrid

CUT_H = 12.0
"""Clock hour at which day blocks are cut [h]."""

VOLTAGE_ROUNDS = 3
"""Most rounds of the voltage's outer check (solve, power flow, tighten) [-]."""

SAFETY = 1.2
"""The voltage check cuts 1.2 times the linear estimate of the power to shed [-] (the drop's
sensitivity grows as the voltage falls)."""


def network_groups(
    net: Network,
    pile: IntArray,
    max_power_kw: FloatArray,
    household_kw: FloatArray,
    limits: Limits | None = None,
    cap_kw: FloatArray | None = None,
) -> Groups:
    """The laminar groups and limits of ``net`` for sessions at piles ``pile`` (with their
    largest power ``max_power_kw`` [kW]), per slot of ``household_kw``; ``cap_kw``
    ``(3 n_cable + 4 n_unit, n_slots)`` [kW] lowers any group's limit further (the voltage
    check's tightening, :func:`network_valley_filling`)."""
    lim = limits or Limits()
    tree = net.tree()
    n_slots = household_kw.size
    pf_hh = float(default("household_power_factor"))
    pf_pile = float(default("ev_power_factor"))
    # households beyond each bus, per phase
    hh = net.households.astype(float).copy()
    for b in tree.order[::-1]:
        p = tree.parent[b]
        if p >= 0:
            hh[p] += hh[b]
    pile_phase = net.pile_phase
    # group ids: cable c phase p -> 3 c + p; unit u phase p -> 3 n_cable + 3 u + p; unit u ->
    # 3 n_cable + 3 n_unit + u
    n_c, n_u = net.n_cable, len(net.units)
    g_n = 3 * n_c + 4 * n_u
    parent = np.full(g_n, -1, np.int64)
    limit = np.full((g_n, n_slots), np.inf)
    s_hh = household_kw / pf_hh  # one household's apparent power [kVA]
    for b in tree.order:
        u = tree.root_unit[b]
        c = tree.cable_to[b]
        if c < 0:
            continue
        p_bus = tree.parent[b]
        up = tree.cable_to[p_bus]
        for ph in range(3):
            parent[3 * c + ph] = 3 * up + ph if up >= 0 else 3 * n_c + 3 * u + ph
            cap_kva = lim.cable_pu * net.ampacity_a[c] * net.phase_v / 1e3
            limit[3 * c + ph] = np.maximum(cap_kva - hh[b, ph] * s_hh, 0.0) * pf_pile
    for u, unit in enumerate(net.units):
        if not unit.in_service:
            continue
        for ph in range(3):
            parent[3 * n_c + 3 * u + ph] = 3 * n_c + 3 * n_u + u
            cap_kva = lim.unit_pu * unit.rating_kva / 3.0
            limit[3 * n_c + 3 * u + ph] = (
                np.maximum(cap_kva - hh[unit.bus, ph] * s_hh, 0.0) * pf_pile
            )
    if cap_kw is not None:
        limit = np.minimum(limit, cap_kw)
    # each session's leaf: the cable into its pile's bus, on its phase (or the unit phase)
    c_in = tree.cable_to[net.pile_bus]
    leaf_of_pile = np.where(
        c_in >= 0, 3 * c_in + pile_phase, 3 * n_c + 3 * tree.root_unit[net.pile_bus] + pile_phase
    )
    leaf = leaf_of_pile[pile]
    # prune groups that can never bind (limit >= their piles' total rating in every slot)
    rating = np.zeros(g_n)  # the most its piles can draw: each pile's fastest session
    fastest = np.zeros(net.n_pile)
    np.maximum.at(fastest, pile, max_power_kw)
    piles = np.flatnonzero(fastest > 0)
    np.add.at(rating, leaf_of_pile[piles], fastest[piles])
    depth = np.zeros(g_n, np.int64)
    for g in range(g_n):
        k, d = g, 0
        while parent[k] >= 0:
            k, d = parent[k], d + 1
        depth[g] = d
    for g in np.argsort(-depth, kind="stable"):
        if parent[g] >= 0:
            rating[parent[g]] += rating[g]
    keep = (limit < rating[:, None]).any(axis=1)
    keep |= parent < 0  # the unit groups are the roots
    new_id = np.cumsum(keep) - 1

    def kept_ancestor(g: int) -> int:
        while g >= 0 and not keep[g]:
            g = parent[g]
        return g

    kept = np.flatnonzero(keep)
    new_parent = np.array(
        [
            new_id[kept_ancestor(int(parent[g]))] if kept_ancestor(int(parent[g])) >= 0 else -1
            for g in kept
        ],
        np.int64,
    )
    new_leaf = np.array([new_id[kept_ancestor(int(g))] for g in leaf], np.int64)
    return Groups(new_parent, new_leaf, limit[kept])


def network_valley_filling(
    net: Network,
    sessions: Sessions,
    pile: IntArray,
    grid: TimeGrid,
    household_kw: FloatArray,
    *,
    limits: Limits | None = None,
    rounds: int = VOLTAGE_ROUNDS,
) -> sp.csr_array:
    """Per-session charging power ``(n_sessions, n_slots)`` [kW] under the network's limits,
    day block by day block, with the voltage's outer check (module docstring)."""
    lim = limits or Limits()
    n_slots = household_kw.size
    cap = np.full((3 * net.n_cable + 4 * len(net.units), n_slots), np.inf)
    session_kw = _solve(net, sessions, pile, grid, household_kw, lim, cap)
    best_kw, best_v = session_kw, -np.inf
    for i in range(rounds + 1):
        tightened, lowest_v = _tighten_for_voltage(
            net, sessions, pile, household_kw, session_kw, lim, cap
        )
        if lowest_v > best_v:  # a round that moved energy into a weaker slot is not kept
            best_kw, best_v = session_kw, lowest_v
        if not tightened or i == rounds:
            break
        session_kw = _solve(net, sessions, pile, grid, household_kw, lim, cap)
    return best_kw


def _tighten_for_voltage(
    net: Network,
    sessions: Sessions,
    pile: IntArray,
    household_kw: FloatArray,
    session_kw: sp.csr_array,
    lim: Limits,
    cap: FloatArray,
) -> tuple[bool, float]:
    """Lower the feeder-phase limits where a bus falls below its voltage limit: whether any
    was lowered, and the lowest voltage of ``session_kw``'s schedule [pu] (screened).

    Sensitivity: a single-phase load beyond cable section ``s`` on phase ``p`` lowers the
    voltage of bus ``i`` by about ``R_ii ΔP / V_n`` [V], ``R_ii`` the phase self-resistance of
    the path to ``i`` (``(2 r1 + r0) / 3`` a section, plus the unit's). For a bus short by
    ``ΔV``, the piles beyond the first section of its feeder on that phase give up
    ``SAFETY x ΔV V_n / R_ii`` [W] in that slot.
    """
    from evgrid.network.limits import three_phase_buses
    from evgrid.network.powerflow import LoadPoints, PowerFlowError, pgm_batch
    from evgrid.network.screening import StepLoads, screen

    to_pile = sp.csr_array(
        (np.ones(pile.size), (pile, np.arange(pile.size))), shape=(net.n_pile, pile.size)
    )
    pile_kw = np.asarray((to_pile @ session_kw).toarray()).T
    lp = LoadPoints.of(net)
    loads = StepLoads(lp, household_kw, np.ascontiguousarray(pile_kw))
    ext = screen(net, loads, verify=False)
    under = np.where(three_phase_buses(net), lim.dev_3ph_pu, lim.under_1ph_pu)
    lowest = float(np.min(ext.per_step["min_voltage_pu"], initial=np.inf))
    bad = np.flatnonzero(ext.per_step["min_voltage_pu"] < 1.0 - float(under.min()))
    if bad.size == 0:
        return False, lowest
    try:
        sol = pgm_batch(net, lp, loads.power(bad))
    except PowerFlowError:  # collapse: no sensitivity to follow; the evaluation flags it
        return False, lowest
    v_pu = np.abs(sol.v) / net.phase_v  # (n_bad, n_bus, 3)
    short = (1.0 - under)[None, :, None] - v_pu
    tree = net.tree()
    r_self = (2.0 * net.r1_ohm + net.r0_ohm) / 3.0
    r_path = np.zeros(net.n_bus)
    for b in tree.order:
        p = tree.parent[b]
        if p >= 0:
            r_path[b] = r_path[p] + r_self[tree.cable_to[b]]
    beyond = np.zeros((net.n_cable, 3, pile_kw.shape[0]))
    feeder_of_pile = tree.feeder[net.pile_bus]
    for ph in range(3):
        for k in np.flatnonzero((net.pile_phase == ph) & (feeder_of_pile >= 0)):
            beyond[feeder_of_pile[k], ph] += pile_kw[:, k]
    changed = False
    for row, t in enumerate(bad):
        buses, phases = np.nonzero(short[row] > 0)
        for b, phase in zip(buses.tolist(), phases.tolist(), strict=True):
            head = int(tree.feeder[b])
            if head < 0 or r_path[b] <= 0:
                continue
            cut_kw = SAFETY * short[row, b, phase] * net.phase_v**2 / r_path[b] / 1e3
            now = beyond[head, phase, t]
            if now <= 0:
                continue
            g = 3 * head + phase
            cap[g, t] = min(cap[g, t], max(now - cut_kw, 0.0))
            changed = True
    return changed, lowest


def _solve(
    net: Network,
    sessions: Sessions,
    pile: IntArray,
    grid: TimeGrid,
    household_kw: FloatArray,
    lim: Limits,
    cap: FloatArray,
) -> sp.csr_array:
    """One nested valley filling of every day block under the limits and ``cap``."""
    groups = network_groups(net, pile, sessions.max_power_kw, household_kw, lim, cap)
    base = household_kw * float(net.households.sum())
    spd = grid.slots_per_day
    cut = round(CUT_H / grid.slot_h)
    block = np.floor((sessions.arrival_h - CUT_H) / 24.0).astype(np.int64)
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    day = TimeGrid(slot_min=grid.slot_min, n_days=1)
    for k in np.unique(block):
        sel = np.flatnonzero(block == k)
        lo = int(k) * spd + cut  # the block is slots lo .. lo + spd - 1 (padded off the horizon)
        inside = np.arange(lo, lo + spd)
        ok = (inside >= 0) & (inside < grid.n_slots)
        t0 = lo * grid.slot_h
        sub = Sessions(
            np.clip(sessions.arrival_h[sel] - t0, 0.0, 24.0),
            np.clip(np.minimum(sessions.departure_h[sel], grid.horizon_h) - t0, 0.0, 24.0),
            sessions.energy_kwh[sel],
            sessions.max_power_kw[sel],
        )
        base_k = np.zeros(spd)
        base_k[ok] = base[inside[ok]]
        lim_k = np.full((groups.parent.size, spd), np.inf)
        lim_k[:, ok] = groups.limit_kw[:, inside[ok]]
        g = Groups(groups.parent, groups.leaf[sel], lim_k)
        out = nested_valley_filling(sub, day, base_k, groups=g, per_session=True)
        m = sp.coo_array(out.session_kw)
        rows.append(sel[m.row])
        cols.append(m.col + lo)
        vals.append(m.data)
    if not rows:
        return sp.csr_array((len(sessions), grid.n_slots))
    return sp.csr_array(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(len(sessions), grid.n_slots),
    )
