"""Phase assignment of new single-phase piles: balanced on every cable at once.

Order the piles of unknown phase by the depth-first (preorder) position of their bus, feeder by
feeder, and give them the phases a, b, c, a, b, c, ... in that order. In a preorder every
subtree -- the buses beyond any cable -- is one contiguous run of the order, and any run of a
cyclic sequence holds each phase the same number of times up to one. So beyond every cable the
new piles' counts per phase differ by at most one, which is the best any assignment can do for
identical piles (same rating, same behaviour): *exact* for the worst pile-count imbalance of
every cable simultaneously, in ``O(n_bus + n_pile)``. Piles of known phase and the households
stay as they are (their imbalance is not corrected); piles of different ratings make the method
a bound: the per-phase pile power beyond any cable then differs by at most the largest rating.
"""

from __future__ import annotations

import numpy as np

from evgrid.network.model import UNKNOWN_PHASE, Network
from evgrid.timegrid import IntArray


def preorder(net: Network) -> IntArray:
    """Buses in depth-first preorder from each transformer's busbar (position per bus)."""
    tree = net.tree()
    children: dict[int, list[int]] = {}
    for b in tree.order:
        p = int(tree.parent[b])
        if p >= 0:
            children.setdefault(p, []).append(int(b))
    position = np.full(net.n_bus, net.n_bus, np.int64)
    k = 0
    for u in net.units:
        if not u.in_service:
            continue
        stack = [u.bus]
        while stack:
            b = stack.pop()
            position[b] = k
            k += 1
            stack.extend(reversed(children.get(b, [])))
    return position


def assign_phases(net: Network, *, start: int = 0) -> Network:
    """The network with every pile of unknown phase given one (module docstring).

    Parameters
    ----------
    net
        The network.
    start
        Phase of the first assigned pile (0, 1, 2) [-].
    """
    unknown = np.flatnonzero(net.pile_phase == UNKNOWN_PHASE)
    if unknown.size == 0:
        return net
    pos = preorder(net)[net.pile_bus[unknown]]
    order = unknown[np.argsort(pos, kind="stable")]
    phase = net.pile_phase.copy()
    phase[order] = (start + np.arange(order.size)) % 3
    return net.with_piles(net.pile_bus, phase, net.pile_kw)


def phase_imbalance(net: Network) -> int:
    """Largest difference between two phases' single-phase pile counts beyond any cable [-]."""
    tree = net.tree()
    counts = np.zeros((net.n_bus, 3), np.int64)
    single = (net.pile_phase >= 0) & (net.pile_phase < 3)
    np.add.at(counts, (net.pile_bus[single], net.pile_phase[single]), 1)
    for b in tree.order[::-1]:
        p = tree.parent[b]
        if p >= 0:
            counts[p] += counts[b]
    beyond = counts[tree.order[tree.parent[tree.order] >= 0]] if net.n_cable else counts[:0]
    return int((beyond.max(axis=1) - beyond.min(axis=1)).max()) if beyond.size else 0
