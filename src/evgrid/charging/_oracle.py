"""Greedy-vertex oracle of the transportation polymatroid, by window class and window group.

Edmonds' greedy vertex of ``f(A) = sum_i min(e[i], u[i](A))`` for a slot order: sessions sharing a
window ``(first slot, last slot)`` form a class whose filled energy depends only on how many of
its interior slots (and whether its two boundary slots) a prefix of the order holds, so the
vertex is one table lookup per class and prefix (:class:`_Classes`). On long horizons windows
cluster (one night each), so classes are split into groups of nearby windows
(:class:`GroupedClasses`); a group only sees its own slot range, and the vertex is the sum of the
groups' vertices (the polymatroid is the sum of the groups' polymatroids), which cuts the work
from ``classes x slots`` to about ``sum over groups of classes x range``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from evgrid.timegrid import FloatArray, IntArray

GROUP_OVERHEAD_CELLS = 16_000
"""Cost of one more class group in the oracle (Python and numpy call overhead), as a number of
``(class, slot)`` table cells [-]; a group is split only when that saves more cells."""


@dataclass(frozen=True)
class _Classes:
    """Sessions grouped by window ``(first slot, last slot)`` for a fast greedy oracle.

    A session's window is one first slot (availability ``a``), ``m`` interior slots
    (availability 1) and one last slot (availability ``b``). Its energy on a slot set that holds
    ``n`` interior slots is ``min(e, p * slot * (n + a * [first in set] + b * [last in set]))``,
    so each class needs only the table ``phi[class, n, combo]`` of these sums
    (``combo = 2 * [first in set] + [last in set]``, ``n = 0 .. m``), built once with one
    scatter and one prefix sum over ``n``.

    For a slot order, the code ``4 * n + combo`` of every class after every prefix is the sum of
    two rows of small ``(slot, prefix)`` tables (prefix counts of the ranked slots, only for the
    slots that start or end a window), picked by the class's first and last slot; the oracle's
    work of size ``classes x slots`` is two row
    gathers, one lookup into ``phi`` and one sum (int32 codes, class blocks of ``4 (m + 2)``
    entries so each class's lookups stay in a few cache lines).
    """

    phi: FloatArray
    """Filled energy, flat over (class, interior count ``n``, combo) [kWh]; one extra ``n``
    row per class absorbs breakpoints past the window."""
    slots: IntArray
    """Slots that are the first or last slot of some window, ascending ``(n_ends,)``."""
    first: IntArray
    """Row of each class's first slot in ``slots`` ``(n_classes,)``."""
    last_row: IntArray
    """Row of the 'last slot' table for each class: its last slot's row in ``slots``, or
    ``n_ends + first`` for a one-slot window (no interior, no separate last slot)."""
    offset: npt.NDArray[np.signedinteger[Any]]
    """Start of each class's block in ``phi``, ``(n_classes, 1)``."""

    @staticmethod
    def build(
        first: IntArray,
        last: IntArray,
        frac_first: FloatArray,
        frac_last: FloatArray,
        unit_kwh: FloatArray,
        energy: FloatArray,
        n_slots: int,
    ) -> _Classes:
        key = first * n_slots + last
        keys, cls = np.unique(key, return_inverse=True)
        s_c, d_c = keys // n_slots, keys % n_slots
        n_max = np.maximum(d_c - s_c - 1, 0) + 1  # interior count 0 .. n_max - 1 is reachable
        rows = n_max + 1  # plus one sink row for breakpoints past the window
        first_row = np.cumsum(rows) - rows
        # per session and combo: linear in n while unit * (n + frac) < energy, i.e. for n < k
        n_star = np.divide(energy, unit_kwh, out=np.zeros_like(energy), where=unit_kwh > 0)
        combo = np.arange(4)[:, None]
        frac = frac_first * (combo >> 1) + frac_last * (combo & 1)  # (4, n_sessions)
        k = np.clip(np.ceil(n_star - frac), 0, n_max[cls]).astype(np.int64)
        at0 = 4 * first_row[cls] + combo
        at = np.concatenate((at0, at0 + 4 * k), axis=None)
        unit4 = np.broadcast_to(unit_kwh, frac.shape)
        slope_w = np.concatenate((unit4, -unit4), axis=None)
        icpt_w = np.concatenate((unit4 * frac, energy - unit4 * frac), axis=None)
        size = 4 * int(rows.sum())
        # slope and intercept stacked; prefix sum over n, restarted at each class block
        lines = np.bincount(
            np.concatenate((at, at + size)),
            np.concatenate((slope_w, icpt_w)),
            minlength=2 * size,
        ).reshape(2, -1, 4)
        total = np.cumsum(lines, axis=1)
        carried = np.concatenate((np.zeros((2, 1, 4)), total[:, first_row[1:] - 1]), axis=1)
        total -= np.repeat(carried, rows, axis=1)
        n_local = np.arange(rows.sum()) - np.repeat(first_row, rows)
        phi = (total[0] * n_local[:, None] + total[1]).reshape(-1)
        starts = 4 * first_row
        small = phi.size < np.iinfo(np.int32).max  # 32-bit indices halve the memory traffic
        ends = np.union1d(s_c, d_c).astype(np.intp)
        pos_s, pos_d = np.searchsorted(ends, s_c), np.searchsorted(ends, d_c)
        return _Classes(
            phi=phi,
            slots=ends,
            first=pos_s,
            last_row=np.where(d_c > s_c, pos_d, ends.size + pos_s),
            offset=starts.astype(np.int32)[:, None] if small else starts[:, None],
        )

    def greedy(self, order: IntArray) -> FloatArray:
        """Greedy vertex for a slot order: aggregate energy per slot [kWh]."""
        n = order.shape[0]
        steps = np.arange(n)
        rank = np.empty(n, dtype=np.intp)
        rank[order] = steps
        ends = self.slots
        dtype = self.offset.dtype
        # for window ends t: taken[t, k] = slot t is among the first k + 1 of the order,
        # below[t, k] = how many slots <= t are
        taken = (rank[ends, None] <= steps[None, :]).astype(dtype)
        below = np.cumsum(order[None, :] <= ends[:, None], axis=1, dtype=dtype)
        # class (s, d): interior count = below[d - 1] - below[s]; code 4 * count + 2*[s] + [d]
        by_first = 2 * taken - 4 * below
        by_last = np.concatenate((4 * below - 3 * taken, 4 * below))
        idx = np.take(by_first, self.first, axis=0)  # row gathers: faster than by_first[first]
        idx += np.take(by_last, self.last_row, axis=0)
        idx += self.offset
        filled = np.take(self.phi, idx).sum(axis=0)  # faster than phi[idx] for int32 idx
        vertex = np.empty(n)
        vertex[order[0]] = filled[0]
        vertex[order[1:]] = filled[1:] - filled[:-1]
        return vertex


def _split(first: IntArray, last: IntArray) -> tuple[int, IntArray, IntArray] | None:
    """Cheapest split of classes in two by first or by last slot: ``(cells, part, rest)``."""
    size = first.size
    best: tuple[int, IntArray, IntArray] | None = None
    for key in (first, last):
        order = np.argsort(key, kind="stable")
        f, d = first[order], last[order]
        head = np.arange(1, size)
        span_head = np.maximum.accumulate(d)[:-1] - np.minimum.accumulate(f)[:-1] + 1
        span_tail = (
            np.maximum.accumulate(d[::-1])[::-1][1:] - np.minimum.accumulate(f[::-1])[::-1][1:] + 1
        )
        cells = head * span_head + (size - head) * span_tail
        j = int(np.argmin(cells))
        if best is None or cells[j] < best[0]:
            best = (int(cells[j]), order[: j + 1], order[j + 1 :])
    return best


def _partition(first: IntArray, last: IntArray) -> list[IntArray]:
    """Classes in groups of nearby windows (recursive best split while it saves cells)."""
    groups, todo = [], [np.arange(first.size)]
    while todo:
        part = todo.pop()
        f, d = first[part], last[part]
        cells = part.size * int(d.max() - f.min() + 1)
        split = _split(f, d) if part.size > 1 else None
        if split is None or split[0] + GROUP_OVERHEAD_CELLS >= cells:
            groups.append(part)
        else:
            todo += [part[split[1]], part[split[2]]]
    return groups


@dataclass(frozen=True)
class GroupedClasses:
    """Class tables in groups of nearby windows, each on its own slot range ``[lo, hi)``."""

    groups: tuple[tuple[int, int, _Classes], ...]
    """``(first slot, end slot, class tables on the local slots)`` of each group."""
    n_slots: int
    """Slots of the whole problem [-]."""

    @staticmethod
    def build(
        first: IntArray,
        last: IntArray,
        frac_first: FloatArray,
        frac_last: FloatArray,
        unit_kwh: FloatArray,
        energy: FloatArray,
        n_slots: int,
    ) -> GroupedClasses:
        """Class tables of the sessions, in groups of nearby windows.

        Parameters
        ----------
        first, last
            First and last slot of each session's window ``(n_sessions,)`` [-].
        frac_first, frac_last
            Availability of the first and last slot (0 for the last slot of a one-slot window)
            ``(n_sessions,)`` [-].
        unit_kwh
            Energy at full power over one whole slot ``(n_sessions,)`` [kWh].
        energy
            Energy to deliver, at most what the window holds ``(n_sessions,)`` [kWh].
        n_slots
            Slots of the problem [-].

        Returns
        -------
        GroupedClasses
            One :class:`_Classes` table per group, on the group's own slot range.
        """
        keys, cls = np.unique(first * n_slots + last, return_inverse=True)
        groups = []
        for part in _partition(keys // n_slots, keys % n_slots):
            rows = np.flatnonzero(np.isin(cls, part))
            lo, hi = int(first[rows].min()), int(last[rows].max()) + 1
            tables = _Classes.build(
                first[rows] - lo,
                last[rows] - lo,
                frac_first[rows],
                frac_last[rows],
                unit_kwh[rows],
                energy[rows],
                hi - lo,
            )
            groups.append((lo, hi, tables))
        return GroupedClasses(groups=tuple(sorted(groups, key=lambda g: g[0])), n_slots=n_slots)

    def greedy(self, order: IntArray) -> FloatArray:
        """Greedy vertex for a slot order: aggregate energy per slot [kWh]."""
        if len(self.groups) == 1 and self.groups[0][1] - self.groups[0][0] == self.n_slots:
            return self.groups[0][2].greedy(order)
        vertex = np.zeros(self.n_slots)
        for lo, hi, tables in self.groups:
            local = order[(order >= lo) & (order < hi)]  # the order restricted to the range
            local -= lo
            vertex[lo:hi] += tables.greedy(local)
        return vertex
