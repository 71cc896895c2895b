"""Greedy-vertex oracle of the transportation polymatroid, by window class (compiled kernel).

Edmonds' greedy vertex of ``f(A) = sum_i min(e[i], u[i](A))`` for a slot order: sessions sharing a
window ``(first slot, last slot)`` form a class whose filled energy depends only on how many of
its interior slots (and whether its two boundary slots) a prefix of the order holds, so each class
needs one small table (:class:`WindowClasses`). The vertex (:func:`_vertex`, the numba kernel;
the C kernels of :mod:`evgrid.charging._valleyc` give the same bits; :meth:`WindowClasses.greedy`
from Python) walks each class's window slots in the order,
one table difference per slot, and stops once every session of the class is full: a car fills a
few slots of a long window, so the work is well below ``sum over classes of window length``.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from dataclasses import dataclass
from types import ModuleType

import numpy as np

from evgrid.charging._jit import njit
from evgrid.errors import EvgridError, bad_value
from evgrid.timegrid import FloatArray, IntArray

KERNELS_ENV = "EVGRID_KERNELS"
"""Environment variable that picks the kernels: ``c`` (the default) or ``numba``."""

BACKENDS = ("c", "numba")
"""The kernel implementations: C (:mod:`evgrid.charging._valleyc`, built at install where a C
compiler is present) and numba (the fallback, the ``numba`` extra)."""


class MissingKernelsError(EvgridError, ImportError):
    """Neither kernel implementation is there: the C extension was not built and numba is not
    installed (or the one asked for is missing)."""


def c_kernels(backend: str | None = None) -> ModuleType | None:
    """The C kernels (:mod:`evgrid.charging._valleyc`), or ``None`` for the numba kernels.

    Parameters
    ----------
    backend
        ``"c"``, ``"numba"``, or ``None`` for the environment variable ``EVGRID_KERNELS``
        (default ``c``). ``c`` falls back to numba when the extension is not built (both give
        the same numbers, bit for bit).

    Raises
    ------
    MissingKernelsError
        The C extension is not built and numba is not installed, or ``numba`` is asked for and
        not installed: one line saying what to install.
    InputError
        ``backend`` (or ``EVGRID_KERNELS``) is neither ``c`` nor ``numba``.
    """
    where = "backend"
    if backend is None:
        where, backend = KERNELS_ENV, os.environ.get(KERNELS_ENV, "c")
    if backend not in BACKENDS:
        raise bad_value(where, backend, " or ".join(BACKENDS))
    if backend == "c":
        try:
            return importlib.import_module("evgrid.charging._valleyc")
        except ImportError:
            pass
    if importlib.util.find_spec("numba") is None:
        built = "asked for" if backend == "numba" else "needed: the C kernels were not built"
        raise MissingKernelsError(
            f"valley filling: the numba kernels are {built} and numba is not installed; "
            "install it (pip install 'evgrid[numba]'), or reinstall evgrid where a C compiler "
            "and the Python headers are present, to build the C kernels"
        )
    return None


@dataclass(frozen=True)
class WindowClasses:
    """Sessions grouped by window ``(first slot, last slot)`` for a fast greedy oracle.

    A session's window is one first slot (availability ``a``), ``m`` interior slots
    (availability 1) and one last slot (availability ``b``). Its energy on a slot set that holds
    ``n`` interior slots is ``min(e, p * slot * (n + a * [first in set] + b * [last in set]))``,
    so each class needs only the table ``phi[class, n, combo]`` of these sums
    (``combo = 2 * [first in set] + [last in set]``), built once with one scatter and one prefix
    sum over ``n``; it stops at the count ``top`` from which every session of the class is
    full.
    """

    phi: FloatArray
    """Filled energy, flat over (class, interior count ``n = 0 .. top``, combo) [kWh]."""
    offset: IntArray
    """Start of each class's block in ``phi`` ``(n_classes,)``."""
    top: IntArray
    """Interior count from which every session of the class is full ``(n_classes,)`` (the table
    row ``top`` holds all larger counts; one past the window when some session never fills)."""
    first: IntArray
    """First slot of each class's window ``(n_classes,)``."""
    last: IntArray
    """Last slot of each class's window ``(n_classes,)`` (equal to ``first`` for one slot)."""
    starts: IntArray
    """The distinct first slots, ascending ``(n_starts,)``."""
    start_row: IntArray
    """Row of each class's first slot in ``starts`` ``(n_classes,)``."""
    n_slots: int
    """Slots of the problem [-]."""

    @staticmethod
    def build(
        first: IntArray,
        last: IntArray,
        frac_first: FloatArray,
        frac_last: FloatArray,
        unit_kwh: FloatArray,
        energy: FloatArray,
        n_slots: int,
    ) -> WindowClasses:
        """Class tables of the sessions.

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
        WindowClasses
            The class tables.
        """
        key = first * n_slots + last
        keys, cls = np.unique(key, return_inverse=True)
        s_c, d_c = keys // n_slots, keys % n_slots
        starts, start_row = np.unique(s_c, return_inverse=True)
        n_max = np.maximum(d_c - s_c - 1, 0) + 1  # interior count 0 .. n_max - 1 is reachable
        # per session and combo: linear in n while unit * (n + frac) < energy, i.e. for n < k
        n_star = np.divide(energy, unit_kwh, out=np.zeros_like(energy), where=unit_kwh > 0)
        combo = np.arange(4)[:, None]
        frac = frac_first * (combo >> 1) + frac_last * (combo & 1)  # (4, n_sessions)
        k = np.clip(np.ceil(n_star - frac), 0, n_max[cls]).astype(np.int64)
        # every session of a class is full from interior count top = max k on: rows past it
        # repeat, so the table stops there (cars fill a few slots of a long window: the tables
        # shrink several-fold and stay in cache)
        top = np.zeros(keys.size, dtype=np.int64)
        np.maximum.at(top, cls, k.max(axis=0))
        rows = top + 1
        first_row = np.cumsum(rows) - rows
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
        return WindowClasses(
            phi=phi,
            offset=(4 * first_row).astype(np.int64),
            top=top,
            first=s_c.astype(np.int64),
            last=d_c.astype(np.int64),
            starts=starts.astype(np.int64),
            start_row=start_row.astype(np.int64),
            n_slots=n_slots,
        )

    @property
    def suffix_size(self) -> int:
        """Entries of the scratch array of :func:`_vertex` [-]."""
        return suffix_size(self.starts, self.n_slots)

    @property
    def kernel_args(
        self,
    ) -> tuple[FloatArray, IntArray, IntArray, IntArray, IntArray, IntArray, IntArray]:
        """The tables as the compiled kernels take them: ``phi, offset, top, first, last,
        starts, start_row``."""
        return (self.phi, self.offset, self.top, self.first, self.last, self.starts, self.start_row)

    def greedy(self, order: IntArray, *, backend: str | None = None) -> FloatArray:
        """Greedy vertex for a slot order: aggregate energy per slot ``(n_slots,)`` [kWh]
        (``backend`` as in :func:`c_kernels`)."""
        out = np.empty(self.n_slots)
        order = np.ascontiguousarray(order, dtype=np.int64)
        fast = c_kernels(backend)
        if fast is not None:
            fast.vertex(order, *self.kernel_args, out)
            return out
        suffix = np.empty(self.suffix_size, dtype=np.int64)
        _vertex(order, *self.kernel_args, suffix, out)
        return out


def suffix_size(starts: IntArray, n_slots: int) -> int:
    """Entries of the suffix lists of :func:`_suffix_lists` for these first slots [-]."""
    return int(np.sum(n_slots - starts))


@njit(cache=True, nogil=True)
def _suffix_lists(order: IntArray, starts: IntArray, suffix: IntArray, row: IntArray) -> None:
    """For every first slot ``starts[r]`` (ascending), the slots ``t >= starts[r]`` in the
    order: ``suffix[row[r]:][: n - starts[r]]``. Work ``slots x len(starts)``, so few windows
    on a fine grid stay cheap."""
    n = order.size
    fill = np.empty(starts.size, np.int64)
    acc = 0
    for r in range(starts.size):
        row[r] = fill[r] = acc
        acc += n - starts[r]
    for k in range(n):
        t = order[k]
        for r in range(starts.size):
            if starts[r] > t:
                break
            suffix[fill[r]] = t
            fill[r] += 1


@njit(cache=True, nogil=True)
def _vertex(
    order: IntArray,
    phi: FloatArray,
    offset: IntArray,
    top: IntArray,
    first: IntArray,
    last: IntArray,
    starts: IntArray,
    start_row: IntArray,
    suffix: IntArray,
    out: FloatArray,
) -> None:
    n = order.size
    row = np.empty(starts.size, np.int64)
    _suffix_lists(order, starts, suffix, row)
    out[:] = 0.0
    for c in range(first.size):
        s, d, off, cap = first[c], last[c], offset[c], top[c]
        begin = row[start_row[c]]
        taken = 0  # interior slots of the window already in the prefix
        flags = 0  # 2 [first slot in the prefix] + [last slot in the prefix]
        for i in range(begin, begin + n - s):  # the window's slots, in order
            if taken >= cap:  # every session of the class is full: nothing more to add
                break
            t = suffix[i]
            if t > d:
                continue
            at = off + 4 * taken + flags
            if t == s:
                step = 2
                flags += 2
            elif t == d:
                step = 1
                flags += 1
            else:
                step = 4
                taken += 1
            out[t] += phi[at + step] - phi[at]


@njit(cache=True, nogil=True)
def _session_schedules(
    orders: IntArray,
    weights: FloatArray,
    first: IntArray,
    last: IntArray,
    frac_first: FloatArray,
    frac_last: FloatArray,
    unit_kwh: FloatArray,
    energy: FloatArray,
    starts: IntArray,
    start_row: IntArray,
    suffix: IntArray,
) -> FloatArray:
    n_slots = orders.shape[1]
    out = np.zeros((first.size, n_slots))
    row = np.empty(starts.size, np.int64)
    for v in range(orders.shape[0]):
        _suffix_lists(orders[v], starts, suffix, row)
        w = weights[v]
        for i in range(first.size):
            s, d = first[i], last[i]
            begin = row[start_row[i]]
            left = energy[i]
            for j in range(begin, begin + n_slots - s):
                if left <= 0.0:
                    break
                t = suffix[j]
                if t > d:
                    continue
                room = unit_kwh[i] * (frac_first[i] if t == s else frac_last[i] if t == d else 1.0)
                take = min(room, left)
                out[i, t] += w * take
                left -= take
    return out


def session_schedules(
    orders: IntArray,
    weights: FloatArray,
    first: IntArray,
    last: IntArray,
    frac_first: FloatArray,
    frac_last: FloatArray,
    unit_kwh: FloatArray,
    energy: FloatArray,
    *,
    backend: str | None = None,
) -> FloatArray:
    """Per-session energy per slot of a convex combination of greedy vertices [kWh].

    Each vertex's sessions fill their window slots in that vertex's order, each slot up to its
    cap (``unit * availability``), until their energy is delivered; the result is the weighted
    sum over vertices, ``(n_sessions, n_slots)``.

    Parameters
    ----------
    orders
        Slot order of each vertex ``(n_vertices, n_slots)``.
    weights
        Convex weight of each vertex ``(n_vertices,)`` [-].
    first, last, frac_first, frac_last, unit_kwh, energy
        As in :meth:`WindowClasses.build`, per session.
    backend
        As in :func:`c_kernels`.
    """
    starts, start_row = np.unique(first, return_inverse=True)
    n_slots = orders.shape[1]
    args = (
        np.ascontiguousarray(orders, dtype=np.int64),
        np.ascontiguousarray(weights, dtype=float),
        np.ascontiguousarray(first, dtype=np.int64),
        np.ascontiguousarray(last, dtype=np.int64),
        np.ascontiguousarray(frac_first, dtype=float),
        np.ascontiguousarray(frac_last, dtype=float),
        np.ascontiguousarray(unit_kwh, dtype=float),
        np.ascontiguousarray(energy, dtype=float),
        starts.astype(np.int64),
        start_row.astype(np.int64),
    )
    fast = c_kernels(backend)
    if fast is not None:
        out = np.zeros((first.size, n_slots))
        fast.session_schedules(*args, out)
        return out
    result: FloatArray = _session_schedules(
        *args, np.empty(suffix_size(starts, n_slots), dtype=np.int64)
    )
    return result
