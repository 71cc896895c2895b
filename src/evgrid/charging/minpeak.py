"""Minimum achievable peak of coordinated charging, for many days and car counts at once.

Valley filling (:mod:`evgrid.charging.valley`) also minimises the peak of base + charging. For a
hosting-capacity curve only that peak is needed, for every day and every pile ratio, and it has a
closed form. A level ``L`` [kWh per slot] is reachable exactly when, for every set ``T`` of
slots, the energy that must fall in ``T`` fits under ``L`` there (max-flow/min-cut on the
session-slot transportation network; Fujishige, *Submodular Functions and Optimization*, 2nd ed.,
2005, section 3):

    sum_i max(0, cap_i(T) - slack_i) + sum_{t in T} base_t  <=  L * |T|,

where ``cap_i(T)`` is the most energy session ``i`` can take in ``T`` and
``slack_i = cap_i(window) - e_i`` (the energy it may put elsewhere). The minimum peak is the
largest left-hand side per slot over ``T``. evgrid takes ``T`` over the intervals of slots:
the tight set of residential and office charging is the filled valley, an interval, and the
tests compare the result with the exact valley-filling optimum and the HiGHS LP. A set that is
not an interval can bind only when a rate-limited session needs nearly all of its window and
straddles a gap with spare capacity; on such an instance the interval value is a lower bound
(the docs say so, ``docs/hosting-timeseries.md``).

The sum over sessions is evaluated for every interval ``[s, t]`` of a day block at once. Each
session's term ``F_i(s, t) = max(0, U_i(t) - V_i(s) - slack_i)`` is constant for ``s`` before
and ``t`` after its window, zero once the interval misses more than its slack, and linear on
either side of its kink ``U_i(t) - V_i(s) = slack_i``; so its mixed second difference is nonzero
only on a short diagonal band next to the window corner ``(first, last)``. The band masses of
all sessions are scattered into one ``(car bucket, s, t, block)`` array; running sums over
``s``, ``t`` and the bucket give ``sum_i F_i`` (plus the base load, a diagonal mass) for every
interval and every car count, and the largest density over intervals is the minimum peak. Cost:
``O(sessions x energy slots + buckets x slots^2 x blocks)``, no Python loop over sessions.
"""

from __future__ import annotations

import numpy as np

from evgrid.timegrid import FloatArray, IntArray

CHUNK_ELEMENTS = 2**25
"""Elements of the ``(bucket, s, t, block)`` work array per chunk of blocks [-] (256 MiB)."""


def _cumulative_cap(
    k: IntArray, first: IntArray, head: FloatArray, n_slots: IntArray, tail_cut: FloatArray
) -> FloatArray:
    """Availability of a window's slots before slot ``k`` (clipped to the window) [slots].

    ``head`` is the first slot's fraction, ``n_slots`` the window's slots and ``tail_cut`` the
    part of the last slot that is missing (0 for a one-slot window).
    """
    d = np.clip(k - first, 0, n_slots)
    return np.maximum(head - 1.0 + d, 0.0) - (d == n_slots) * tail_cut


BAND_EDGES = np.arange(-1, 5)
"""``t`` offsets from ``t0`` bounding the band ``t0 - 1 .. t0 + 3`` where the mixed difference of
``F_i`` can be nonzero [-]. ``t0`` is the first ``t`` with ``U(t) > V(s) + slack`` by the
interior formula ``U(t) = unit * (a + t - first)``, which never underestimates ``U``, so the true
first such ``t`` is ``t0`` or later (``t0 - 1`` absorbs a floor rounded up); from there ``U``
grows by at most one slot's energy per slot and ``V(s + 1) - V(s)`` is at most one slot's
energy, so only the first three ``t`` can qualify; rounding can shift them by one."""


def _band_masses(
    first: IntArray,
    last: IntArray,
    frac_first: FloatArray,
    frac_last: FloatArray,
    unit_kwh: FloatArray,
    energy_kwh: FloatArray,
    size: int,
) -> tuple[IntArray, IntArray, FloatArray]:
    """Mixed second differences of ``F_i`` where they can be nonzero, ``size`` rows of ``s``.

    ``F_i(s, t) = max(0, U(t) - V(s) - slack)`` is linear in each of its two pieces, so its
    mixed difference ``M(s, t) = F(s, t) - F(s + 1, t) - F(s, t - 1) + F(s + 1, t - 1)`` is
    nonzero only where the kink ``U(t) - V(s) = slack`` passes, for ``s`` in
    ``[first, first + size)``: one band of five slots along ``t`` per ``s``
    (:data:`BAND_EDGES`).

    Returns the ``s`` slot ``(n, size, 1)``, the ``t`` slot ``(n, size, 5)`` and the masses
    [kWh] ``(n, size, 5)``.
    """
    span = last - first + 1
    tail_cut = np.where(span > 1, 1.0 - frac_last, 0.0)
    total = unit_kwh * _cumulative_cap(last + 1, first, frac_first, span, tail_cut)
    col = (
        first[:, None, None],
        frac_first[:, None, None],
        span[:, None, None],
        tail_cut[:, None, None],
    )
    unit = unit_kwh[:, None, None]
    slack = np.maximum(total - energy_kwh, 0.0)[:, None, None]
    s = first[:, None, None] + np.arange(size + 1)[None, :, None]
    w = unit * _cumulative_cap(s, *col) + slack  # V(s) + slack
    w0, w1 = w[:, :-1], w[:, 1:]
    s = s[:, :-1]
    # first t with U(t) > V(s) + slack, from the interior formula U(t) = unit * (a + t - first)
    kink = np.floor(w0 / unit - col[1]).astype(np.int64) + col[0] + 1
    t = np.clip(kink, col[0], col[0] + span[:, None, None] - 1) + BAND_EDGES
    u = unit * _cumulative_cap(t, *col)  # U(t - 1) = unit * A(t)
    u0, u1 = u[..., :-1], u[..., 1:]  # U(t - 1) and U(t) on the band t = edges[1:] - 1
    t = t[..., 1:] - 1

    def forced(u: FloatArray, w: FloatArray) -> FloatArray:
        return np.maximum(u - w, 0.0)

    mass = forced(u1, w0) - forced(u1, w1)
    mass -= forced(u0, w0)
    mass += forced(u0, w1)
    return s, t, mass


def patch_size(
    unit_kwh: FloatArray, energy_kwh: FloatArray, first: IntArray, last: IntArray
) -> IntArray:
    """Patch side per session: whole slots from either window end that hold its energy, + 1 [-]."""
    need = np.divide(energy_kwh, unit_kwh, out=np.zeros_like(energy_kwh), where=unit_kwh > 0)
    return np.minimum(last - first + 1, np.ceil(need).astype(np.int64) + 1)


def _scatter(
    into: FloatArray,
    shape: tuple[int, int, int, int],
    rows: IntArray,
    lane: IntArray,
    windows: tuple[IntArray, IntArray, FloatArray, FloatArray, FloatArray, FloatArray],
    side: IntArray,
) -> None:
    """Add the patch masses of sessions ``rows`` into ``into`` viewed as ``shape``.

    ``shape`` is ``(lanes, s, t, blocks)`` and ``lane`` holds every session's lane and block
    packed as ``lane * blocks + block``. Sessions are grouped by patch side (rounded up to
    an even number) so each group's arrays are rectangular; only nonzero masses are added.
    """
    _, n_slots, _, width = shape
    first, last, frac_first, frac_last, unit_kwh, energy_kwh = windows
    group = -(-side[rows] // 2) * 2
    for size in np.unique(group):
        sel = rows[group == size]
        s, t, mass = _band_masses(
            first[sel],
            last[sel],
            frac_first[sel],
            frac_last[sel],
            unit_kwh[sel],
            energy_kwh[sel],
            int(size),
        )
        i, j, k = np.nonzero(mass)
        # s past the block or t before it act on every interval: clamp to the edge
        s_at = np.minimum(s[i, j, 0], n_slots - 1)
        t_at = np.maximum(t[i, j, k], 0)
        packed = lane[sel][i]
        flat = ((packed // width * n_slots + s_at) * n_slots + t_at) * width + packed % width
        np.add.at(into, flat, mass[i, j, k])


def min_peak_kwh(
    block: IntArray,
    first: IntArray,
    last: IntArray,
    frac_first: FloatArray,
    frac_last: FloatArray,
    unit_kwh: FloatArray,
    energy_kwh: FloatArray,
    bucket: IntArray,
    base_kwh: FloatArray,
) -> FloatArray:
    """Minimum peak of base + charging per block and car bucket (cumulative over buckets).

    Parameters
    ----------
    block
        Block of each session, ``(n,)`` in ``[0, n_blocks)`` [-]; its window lies in the block.
    first, last
        First and last slot of each window, local to its block, ``(n,)`` [-].
    frac_first, frac_last
        Plugged-in fraction of the first and the last slot (last 0 for a one-slot window) [-].
    unit_kwh
        Most energy per whole slot, ``max_power_kw * slot_h``, ``(n,)`` [kWh].
    energy_kwh
        Energy to deliver, at most what the window holds, ``(n,)`` [kWh].
    bucket
        First car bucket in which the session is present, ``(n,)`` [-]; buckets
        ``>= n_buckets`` are never present.
    base_kwh
        Base energy per slot of each block and bucket, ``(n_blocks, n_buckets, n_slots)`` [kWh].

    Returns
    -------
    numpy.ndarray
        ``(n_blocks, n_buckets)``: the lowest peak of base + charging that a schedule of the
        sessions present in the bucket can reach in the block [kWh per slot].
    """
    n_blocks, n_buckets, n_slots = base_kwh.shape
    windows = (first, last, frac_first, frac_last, unit_kwh, energy_kwh)
    side = patch_size(unit_kwh, energy_kwh, first, last)
    live = (bucket < n_buckets) & (energy_kwh > 0.0)
    per_chunk = max(1, min(n_buckets, CHUNK_ELEMENTS // (n_blocks * n_slots * n_slots)))
    span = np.arange(n_slots)
    length = span[None, :] - span[:, None] + 1  # (s, t)
    inv_len = np.where(length > 0, 1.0 / np.maximum(length, 1), 0.0)[None, :, :, None]
    # the base load is a one-slot "session" without slack: its energy is forced into [s, t]
    # exactly when the slot is in it, a mass on the diagonal; buckets add the load increments
    base_step = np.diff(base_kwh, axis=1, prepend=0.0).transpose(1, 2, 0)  # (bucket, slot, block)
    buffer = np.empty(per_chunk * n_slots * n_slots * n_blocks)
    carry = np.zeros((n_slots, n_slots, n_blocks))
    out = np.empty((n_buckets, n_blocks))
    # chunks of buckets, layout (bucket, s, t, block): every running sum is a loop of slab
    # additions over a long contiguous block axis, several times faster than numpy's cumsum
    for lo in range(0, n_buckets, per_chunk):
        hi = min(lo + per_chunk, n_buckets)
        shape = (hi - lo, n_slots, n_slots, n_blocks)
        flat = buffer[: np.prod(shape)]
        flat.fill(0.0)
        grid = flat.reshape(shape)
        grid[:, span, span, :] = base_step[lo:hi]
        rows = np.flatnonzero(live & (bucket >= lo) & (bucket < hi))
        _scatter(flat, shape, rows, (bucket - lo) * n_blocks + block, windows, side)
        for k in range(n_slots - 2, -1, -1):  # over s' >= s
            grid[:, k] += grid[:, k + 1]
        for k in range(1, n_slots):  # over t' <= t
            grid[:, :, k] += grid[:, :, k - 1]
        grid[0] += carry  # over the buckets: the cars present
        for k in range(1, hi - lo):
            grid[k] += grid[k - 1]
        carry[:] = grid[-1]
        grid *= inv_len  # empty intervals (s > t) become 0, below every real density
        out[lo:hi] = grid.reshape(hi - lo, n_slots * n_slots, n_blocks).max(axis=1)
    return out.T
