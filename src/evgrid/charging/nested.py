"""Valley filling under nested (laminar) limits: transformer ⊃ feeder ⊃ cable section ⊃ phase.

The problem: sessions ``i`` with slot energy caps ``u[i, t]`` [kWh] and energies ``e[i]``
[kWh]; groups ``g`` of sessions that form a laminar family (two groups are disjoint or one holds
the other), each with a limit ``c[g, t]`` on its charging energy in every slot [kWh]. Find
``x[i, t]`` in ``[0, u[i, t]]``, ``sum_t x[i, t] <= e[i]``, ``sum_{i in g} x[i, t] <= c[g, t]``,
delivering the most energy that fits and, among those schedules, minimising
``sum_t (base[t] + sum_i x[i, t])**2`` (the transformer's load: lowest peak, flattest load).

Why it stays exact (``docs/network.md``, "Nested limits"): the aggregates ``y = sum_i x[i, :]``
of the feasible schedules that deliver the most energy form the base polytope of
``f(A) = max flow from the sessions into the slot set A`` in the network
``source -> session i (cap e_i) -> (leaf group of i, t) (cap u_it) -> (parent group, t)
(cap c_leaf,t) -> ... -> (top group, t) -> slot t``. Because the family is laminar, each slot's
groups form a tree, so this is a network, and the max flow into a set of sinks of a network is a
polymatroid rank function (Megiddo, Math. Programming 7, 1974; Fujishige, *Submodular Functions
and Optimization*, 2nd ed., 2005, section 2.2). The minimum-norm point of ``B(f) + base`` is
then the lexicographically optimal base (Fujishige 2005, Theorem 9.1): the same argument that
makes plain valley filling exact, with a richer polymatroid. Crossing (non-laminar) groups do not
form a tree per slot and the argument fails, so the groups are checked.

We compute it with the Fujishige-Wolfe minimum-norm-point algorithm (as
:mod:`evgrid.charging._minnorm`); its linear oracle, Edmonds' greedy vertex, is the flow that
fills the slots one at a time in ascending order of the current point, each as far as augmenting
paths allow (a lexicographically maximal flow: ``y[pi(k)] = f(A_k) - f(A_(k-1))``), compiled with
numba. Each vertex comes with its flow, so the same convex weights give per-session schedules
that meet every window, cap, energy and group limit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evgrid.charging._jit import njit
from evgrid.charging._windows import base_or_zero, slot_caps_kwh
from evgrid.charging.schedule import Schedule
from evgrid.errors import bad_value
from evgrid.sessions import Sessions
from evgrid.timegrid import FloatArray, IntArray, TimeGrid

GAP_RTOL = 1e-12
"""Wolfe stopping rule: ``|x|^2 - <x, q>`` below this share of ``|x|^2`` [-]."""

MAX_ITERATIONS = 5000
"""Cap on Wolfe's major cycles [-]."""

FLOW_EPS_KWH = 1e-12
"""Residual capacity treated as zero by the augmenting-path search [kWh]."""


@dataclass(frozen=True)
class Groups:
    """A laminar family of session groups and their per-slot limits.

    Parameters
    ----------
    parent
        Parent group of each group, ``-1`` for a top group ``(n_groups,)`` [-].
    leaf
        The smallest group of each session ``(n_sessions,)`` [-].
    limit_kw
        Limit on each group's charging power in each slot ``(n_groups, n_slots)`` [kW]
        (``inf``: none).
    """

    parent: IntArray
    leaf: IntArray
    limit_kw: FloatArray

    def check(self, n_sessions: int, n_slots: int) -> None:
        """Refuse a family that is not a forest, or limits of the wrong shape or sign."""
        g = self.parent.size
        if self.limit_kw.shape != (g, n_slots):
            raise bad_value("groups.limit_kw", self.limit_kw.shape, f"({g}, {n_slots}) [kW]")
        if self.leaf.shape != (n_sessions,) or (
            g and (self.leaf.min() < 0 or self.leaf.max() >= g)
        ):
            raise bad_value("groups.leaf", self.leaf.shape, f"({n_sessions},) groups 0..{g - 1}")
        if np.any(np.isnan(self.limit_kw)) or np.any(self.limit_kw < 0):
            raise bad_value("groups.limit_kw", "a negative or NaN limit", "numbers >= 0 [kW]")
        for k in range(g):  # a forest: following parents ends at a top group
            seen, p = 0, k
            while p >= 0:
                p = int(self.parent[p])
                seen += 1
                if seen > g or p >= g:
                    raise bad_value("groups.parent", k, "a forest of groups (laminar family)")


def laminar_groups(members: list[IntArray], limit_kw: FloatArray, n_sessions: int) -> Groups:
    """A :class:`Groups` from explicit member sets (checked laminar), with a top group added.

    Parameters
    ----------
    members
        The sessions of each group.
    limit_kw
        ``(n_groups, n_slots)`` limits [kW].
    n_sessions
        Sessions [-].

    Raises
    ------
    InputError
        Two groups that cross (share sessions, neither holding the other).
    """
    sets = [frozenset(int(i) for i in m) for m in members]
    g = len(sets)
    parent = np.full(g + 1, -1, np.int64)
    for k, s in enumerate(sets):
        best, size = g, n_sessions + 1
        for j, t in enumerate(sets):
            if j == k:
                continue
            inter = s & t
            if inter and inter != s and inter != t:
                raise bad_value("groups", (k, j), "a laminar family (groups nested or disjoint)")
            # equal sets: the later one holds the earlier
            if (s < t or (s == t and j > k)) and len(t) < size:
                best, size = j, len(t)
        parent[k] = best
    leaf = np.full(n_sessions, g, np.int64)
    size_of = np.full(n_sessions, n_sessions + 1)
    for k, s in enumerate(sets):
        for i in s:
            if len(s) < size_of[i]:
                leaf[i], size_of[i] = k, len(s)
    limits = np.vstack([limit_kw, np.full((1, limit_kw.shape[1]), np.inf)])
    return Groups(parent, leaf, limits)


@njit(cache=True, nogil=True)
def _greedy_flow(
    order: IntArray,
    head: IntArray,
    cap: FloatArray,
    start: IntArray,
    adj: IntArray,
    rev: IntArray,
    sink_of_slot: IntArray,
    n_nodes: int,
) -> FloatArray:
    """Lexicographically maximal flow into the sinks in ``order``; the residuals of ``cap``.

    Returns the flow on every edge (``cap - residual`` on forward edges).
    """
    res = cap.copy()
    prev_edge = np.empty(n_nodes, np.int64)
    queue = np.empty(n_nodes, np.int64)
    for k in range(order.size):
        sink = sink_of_slot[order[k]]
        while True:
            for v in range(n_nodes):
                prev_edge[v] = -1
            prev_edge[0] = -2
            qh, qt = 0, 1
            queue[0] = 0
            found = False
            while qh < qt and not found:
                v = queue[qh]
                qh += 1
                for j in range(start[v], start[v + 1]):
                    e = adj[j]
                    w = head[e]
                    if res[e] > FLOW_EPS_KWH and prev_edge[w] == -1:
                        prev_edge[w] = e
                        if w == sink:
                            found = True
                            break
                        queue[qt] = w
                        qt += 1
            if not found:
                break
            bottleneck = np.inf
            w = sink
            while w != 0:
                e = prev_edge[w]
                if res[e] < bottleneck:
                    bottleneck = res[e]
                w = head[rev[e]]
            w = sink
            while w != 0:
                e = prev_edge[w]
                res[e] -= bottleneck
                res[rev[e]] += bottleneck
                w = head[rev[e]]
    return cap - res


class _FlowNetwork:
    """The session -> group tree -> slot network of one problem, in CSR form."""

    def __init__(self, caps: FloatArray, energy: FloatArray, groups: Groups, slot_h: float) -> None:
        n, t_n = caps.shape
        g_n = groups.parent.size
        self.n, self.t_n, self.g_n = n, t_n, g_n
        gnode = 1 + n  # group-slot node (g, t) = gnode + g * t_n + t
        sink0 = gnode + g_n * t_n
        self.n_nodes = sink0 + t_n
        tails: list[np.ndarray] = []
        heads: list[np.ndarray] = []
        caps_e: list[np.ndarray] = []
        tails.append(np.zeros(n, np.int64))  # source -> session
        heads.append(np.arange(1, n + 1))
        caps_e.append(energy)
        rows, cols = np.nonzero(caps > 0)
        self.session_edges = (rows, cols, n + np.arange(rows.size))  # edge ids after the first n
        tails.append(1 + rows)
        heads.append(gnode + groups.leaf[rows] * t_n + cols)
        caps_e.append(caps[rows, cols])
        gg = np.repeat(np.arange(g_n), t_n)
        tt = np.tile(np.arange(t_n), g_n)
        up = groups.parent[gg]
        tails.append(gnode + gg * t_n + tt)
        heads.append(np.where(up >= 0, gnode + up * t_n + tt, sink0 + tt))
        # no limit: more than all the energy (a finite cap keeps cap - residual exact)
        caps_e.append(np.minimum(groups.limit_kw[gg, tt] * slot_h, float(energy.sum()) + 1.0))
        tail = np.concatenate(tails)
        head = np.concatenate(heads)
        cap = np.concatenate(caps_e).astype(np.float64)
        m = tail.size
        # forward edges 0..m-1, reverse edges m..2m-1
        self.head = np.concatenate([head, tail]).astype(np.int64)
        self.cap = np.concatenate([cap, np.zeros(m)])
        self.rev = np.concatenate([np.arange(m, 2 * m), np.arange(m)]).astype(np.int64)
        tails_all = np.concatenate([tail, head])
        order = np.argsort(tails_all, kind="stable")
        self.adj = order.astype(np.int64)
        self.start = np.searchsorted(tails_all[order], np.arange(self.n_nodes + 1)).astype(np.int64)
        self.sink_of_slot = (sink0 + np.arange(t_n)).astype(np.int64)
        top = np.flatnonzero(up < 0)  # edges into the sinks, by slot
        self.sink_edges = n + rows.size + top
        self.sink_slot = tt[top]
        self.m = m

    def vertex(self, order: IntArray) -> tuple[FloatArray, FloatArray]:
        """The greedy vertex for a slot order: slot energies ``(t_n,)`` and the session edge
        flows ``(n_session_edges,)`` [kWh]."""
        flow = _greedy_flow(
            np.ascontiguousarray(order, dtype=np.int64),
            self.head,
            self.cap,
            self.start,
            self.adj,
            self.rev,
            self.sink_of_slot,
            self.n_nodes,
        )
        y = np.zeros(self.t_n)
        np.add.at(y, self.sink_slot, flow[self.sink_edges])
        return y, flow[self.session_edges[2]]


def _affine_minimiser(points: FloatArray) -> FloatArray:
    """Weights (sum 1) of the min-norm point of the affine hull of the rows of ``points``."""
    k = points.shape[0]
    if k == 1:
        return np.ones(1)
    gram = points @ points.T
    m = np.zeros((k + 1, k + 1))
    m[:k, :k] = gram
    m[:k, k] = m[k, :k] = 1.0
    rhs = np.zeros(k + 1)
    rhs[k] = 1.0
    sol = np.linalg.lstsq(m, rhs, rcond=None)[0]
    return sol[:k]


def nested_valley_filling(
    sessions: Sessions,
    grid: TimeGrid,
    base_kw: FloatArray | None = None,
    *,
    groups: Groups,
    per_session: bool = False,
) -> Schedule:
    """Valley filling under nested group limits (module docstring), exact.

    Parameters
    ----------
    sessions
        Charging sessions.
    grid
        The slot grid (linear horizon).
    base_kw
        The transformer's base load per slot ``(n_slots,)`` [kW]; the objective flattens
        base + charging.
    groups
        The laminar family, each session's smallest group and the limits per slot [kW] (the
        base load already taken off each group's limit by the caller).
    per_session
        Also return the per-session power per slot (sparse) [kW].

    Returns
    -------
    Schedule
        ``delivered_kwh`` is the most energy the limits let through; the rest is unmet.
    """
    import scipy.sparse as sp

    base = base_or_zero(base_kw, grid)
    groups.check(len(sessions), grid.n_slots)
    caps = slot_caps_kwh(sessions, grid)
    energy = np.minimum(np.maximum(sessions.energy_kwh, 0.0), caps.sum(axis=1))
    net = _FlowNetwork(caps, energy, groups, grid.slot_h)
    shift = base * grid.slot_h
    y0, f0 = net.vertex(np.argsort(shift, kind="stable"))
    points = [y0 + shift]
    flows = [f0]
    weights = np.ones(1)
    x = points[0].copy()
    for _ in range(MAX_ITERATIONS):
        y, f = net.vertex(np.argsort(x, kind="stable"))
        q = y + shift
        xx = float(x @ x)
        if xx - float(x @ q) <= GAP_RTOL * max(xx, 1.0):
            break
        if any(np.array_equal(q, p) for p in points):
            break  # no new vertex: stalled at round-off
        points.append(q)
        flows.append(f)
        weights = np.append(weights, 0.0)
        while True:  # minor cycles
            alpha = _affine_minimiser(np.asarray(points))
            if np.all(alpha > 1e-15):
                weights = alpha
                break
            neg = alpha <= 1e-15
            theta = float(np.min(weights[neg] / (weights[neg] - alpha[neg])))
            weights = theta * alpha + (1.0 - theta) * weights
            keep = weights > 1e-15
            points = [p for p, k in zip(points, keep, strict=True) if k]
            flows = [fl for fl, k in zip(flows, keep, strict=True) if k]
            weights = weights[keep] / weights[keep].sum()
        x = weights @ np.asarray(points)
    edge_flow = weights @ np.asarray(flows)
    rows, cols, _ = net.session_edges
    per = sp.csr_array((edge_flow, (rows, cols)), shape=caps.shape)
    delivered = np.asarray(per.sum(axis=1)).ravel()
    charging_kwh = np.maximum(x - shift, 0.0)
    return Schedule(
        grid=grid,
        charging_kw=charging_kwh / grid.slot_h,
        requested_kwh=sessions.energy_kwh.copy(),
        delivered_kwh=delivered,
        session_kw=(per / grid.slot_h).tocsr() if per_session else None,
    )
