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


def network_groups(
    net: Network,
    pile: IntArray,
    max_power_kw: FloatArray,
    household_kw: FloatArray,
    limits: Limits | None = None,
) -> Groups:
    """The laminar groups and limits of ``net`` for sessions at piles ``pile`` (with their
    largest power ``max_power_kw`` [kW]), per slot of ``household_kw``."""
    lim = limits or Limits()
    tree = net.tree()
    n_slots = household_kw.size
    pf_hh = float(default("network_household_power_factor"))
    pf_pile = float(default("network_pile_power_factor"))
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
    net: Network, sessions: Sessions, pile: IntArray, grid: TimeGrid, household_kw: FloatArray
) -> sp.csr_array:
    """Per-session charging power ``(n_sessions, n_slots)`` [kW] under the network's limits,
    day block by day block (module docstring)."""
    groups = network_groups(net, pile, sessions.max_power_kw, household_kw)
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
