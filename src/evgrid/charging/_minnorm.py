"""Fujishige-Wolfe minimum-norm point of a shifted base polytope (compiled kernel).

Wolfe's algorithm (Math. Programming 11, 1976) applied to a base polytope ``B(f)`` whose linear
minimisation is Edmonds' greedy algorithm over a slot order (Fujishige, *Submodular Functions and
Optimization*, 2nd ed., 2005, section 7.2; Chakrabarty, Jain & Kothari, NeurIPS 2014), for the
transportation polymatroid of :mod:`evgrid.charging._oracle`. The point it returns is an exact
convex combination of greedy vertices, each known by its slot order.

The whole iteration is one compiled loop, in C (:mod:`evgrid.charging._valleyc`) or, where that
was not built, with numba (a major cycle costs one greedy vertex and ``O(corral x slots)``
arithmetic, no Python overhead). The corral (the active vertices) lives in
preallocated arrays: offsets from a fixed reference point (well scaled Gram matrix), Gram rows
updated with one matrix-vector product per new vertex, rows compacted in place when vertices
leave. The affine minimiser solves with a Cholesky factor of ``Gram + rho * 1 1^T`` that grows by
one triangular solve per new vertex and loses a dropped vertex by one rank-one update (when a
pivot reaches round-off, a slightly ridged factor is the fallback).

Vertices that leave the corral are pooled; a pooled vertex whose gap ``|x|^2 - <x, p>`` is a
large enough share of the last oracle gap re-enters without an oracle call (lazy linear
minimisation, as in lazy Frank-Wolfe: Braun, Pokutta & Zink, ICML 2017). Any improving vertex keeps
Wolfe's strict descent over affinely independent corrals, hence finite termination, and the
stopping test is always the oracle's, so the result is the same certified optimum.
"""

from __future__ import annotations

import warnings

import numpy as np

from evgrid.charging._jit import njit
from evgrid.charging._oracle import WindowClasses, _vertex, c_kernels
from evgrid.timegrid import FloatArray, IntArray

GAP_RTOL = 1e-13
"""Wolfe stopping rule: ``|x|^2 - <x, q>`` below this share of ``|x|^2`` [-] (round-off level)."""

MAX_ORACLE_CALLS = 8000
"""Safety cap on Wolfe's oracle calls (four times that on all major cycles) [-]; the
algorithm terminates finitely well below it."""

WEIGHT_EPS = 1e-15
"""Barycentric weight treated as zero when dropping corral points [-] (round-off level)."""

LAZY_SHARE = 0.5
"""A vertex that left the corral re-enters without an oracle call when its gap
``|x|^2 - <x, p>`` is at least this share of the last oracle gap [-] (lazy linear minimisation:
any improving vertex keeps Wolfe's descent and finiteness; the stopping test always calls the
oracle)."""

POOL_MAX = 256
"""Most vertices kept for lazy re-entry (twice the slots, up to this) [-]: every step scans the
pool, so on long horizons a pool of ``2 x slots`` would cost more than it saves."""

CHOL_RTOL = 1e-12
"""Cholesky pivot below this share of its diagonal entry: the new point is affinely dependent at
round-off level, so the affine minimiser falls back to a factor of ``M`` with this share added
to its diagonal [-]."""


@njit(cache=True, nogil=True)
def _hash(order: IntArray) -> np.uint64:
    """32-bit FNV-1a hash of a slot order (corral membership test; masked to 32 bits after each
    step, so no product exceeds 64 bits)."""
    h = np.uint64(2166136261)
    for v in order:
        h = ((h ^ np.uint64(v)) * np.uint64(16777619)) & np.uint64(0xFFFFFFFF)
    return h


@njit(cache=True, nogil=True)
def _argsort(x: FloatArray) -> IntArray:
    """Stable argsort (bottom-up merge sort; equal to ``np.argsort(x, kind="stable")``, and
    numba compiles it in a fraction of the time of its own sorts)."""
    n = x.size
    a = np.arange(n)
    b = np.empty(n, np.int64)
    width = 1
    while width < n:
        for lo in range(0, n, 2 * width):
            mid, hi = min(lo + width, n), min(lo + 2 * width, n)
            i, j = lo, mid
            for k in range(lo, hi):
                if j >= hi or (i < mid and x[a[i]] <= x[a[j]]):
                    b[k] = a[i]
                    i += 1
                else:
                    b[k] = a[j]
                    j += 1
        a, b = b, a
        width *= 2
    return a


@njit(cache=True, nogil=True)
def _solve_chol(low: FloatArray, rhs: FloatArray) -> FloatArray:
    """Solve ``low @ low.T @ z = rhs`` for a lower-triangular ``low`` and ``rhs`` of shape
    ``(k, r)`` (rows of ``low`` read contiguously in both sweeps)."""
    k, r = rhs.shape
    z = rhs.copy()
    for i in range(k):  # low @ u = rhs
        for j in range(i):
            f = low[i, j]
            for c in range(r):
                z[i, c] -= f * z[j, c]
        for c in range(r):
            z[i, c] /= low[i, i]
    for j in range(k - 1, -1, -1):  # low.T @ z = u, column j of low.T is row j of low
        for c in range(r):
            z[j, c] /= low[j, j]
        for i in range(j):
            f = low[j, i]
            for c in range(r):
                z[i, c] -= f * z[j, c]
    return z


@njit(cache=True, nogil=True)
def _factor(gram: FloatArray, rho: float, chol: FloatArray, m: int) -> bool:
    """Cholesky factor of ``gram[:m, :m] + rho`` into ``chol[:m, :m]``; ``False`` when a pivot
    is not positive."""
    for i in range(m):
        for j in range(i + 1):
            acc = gram[i, j] + rho
            for col in range(j):
                acc -= chol[i, col] * chol[j, col]
            if i == j:
                if not acc > 0.0:
                    return False
                chol[i, i] = np.sqrt(acc)
            else:
                chol[i, j] = acc / chol[j, j]
    return True


@njit(cache=True, nogil=True)
def _append_factor_row(gram: FloatArray, rho: float, chol: FloatArray, k: int) -> bool:
    """Row ``k`` of the Cholesky factor of ``gram + rho`` from rows ``0 .. k - 1``: one forward
    substitution; ``False`` when its pivot is at round-off level (``CHOL_RTOL``)."""
    for i in range(k):
        acc = gram[k, i] + rho
        for col in range(i):
            acc -= chol[i, col] * chol[k, col]
        chol[k, i] = acc / chol[i, i]
    diag = gram[k, k] + rho
    pivot = diag - _dot(chol[k, :k], chol[k, :k])
    chol[k, k] = np.sqrt(max(pivot, 0.0))
    return bool(pivot > CHOL_RTOL * diag)


@njit(cache=True, nogil=True)
def _delete_factor_row(chol: FloatArray, j: int, k: int) -> None:
    """Delete row and column ``j`` of ``M`` from its ``k x k`` Cholesky factor, in place.

    Without row ``j``, the later rows of the factor (shifted up and left) miss the term of its
    column ``v = chol[j + 1:k, j]``, so their trailing block is the factor of ``L L^T + v v^T``:
    one rank-one update, ``O((k - j)^2)`` (Golub & Van Loan, *Matrix Computations*, 4th ed.,
    section 6.5.4), instead of refactoring the trailing block, ``O((k - j) k^2)``.
    """
    v = chol[j + 1 : k, j].copy()
    for r in range(j, k - 1):  # shift rows up, and the columns after j left
        for c in range(j):
            chol[r, c] = chol[r + 1, c]
        for c in range(j, r + 1):
            chol[r, c] = chol[r + 1, c + 1]
    for i in range(k - 1 - j):  # rank-one update of the trailing block
        d = chol[j + i, j + i]
        r = np.sqrt(d * d + v[i] * v[i])
        c, s = r / d, v[i] / d
        chol[j + i, j + i] = r
        for t in range(i + 1, k - 1 - j):
            chol[j + t, j + i] = (chol[j + t, j + i] + s * v[t]) / c
            v[t] = c * v[t] - s * chol[j + t, j + i]


@njit(cache=True, nogil=True)
def _dot(a: FloatArray, b: FloatArray) -> float:
    acc = 0.0
    for i in range(a.size):
        acc += a[i] * b[i]
    return acc


@njit(cache=True, nogil=True)
def _copy(dst: np.ndarray, src: np.ndarray) -> None:
    """``dst[:] = src`` for 1-d arrays (a plain loop: numba compiles it much faster than the
    general slice assignment)."""
    for i in range(src.size):
        dst[i] = src[i]


@njit(cache=True, nogil=True)
def _find(orders: IntArray, hashes: np.ndarray, k: int, order: IntArray, h: np.uint64) -> bool:
    """Whether ``order`` is one of the first ``k`` corral orders."""
    for r in range(k):
        if hashes[r] == h:
            same = True
            for i in range(order.size):
                if orders[r, i] != order[i]:
                    same = False
                    break
            if same:
                return True
    return False


@njit(cache=True, nogil=True)
def _affine_minimiser(
    gram: FloatArray, cross: FloatArray, chol: FloatArray, chol_ok: bool, rho: float, k: int
) -> FloatArray:
    """Weights (sum 1) of the min-norm point of the corral's affine hull:
    ``w = a + beta * b`` with ``M a = -cross``, ``M b = 1``, ``M = gram + rho 1 1^T``."""
    if k == 1:
        return np.ones(1)
    low = chol[:k, :k]
    if not chol_ok:  # affinely dependent at round-off: factor a slightly ridged M instead
        ridged = gram[:k, :k].copy()
        for i in range(k):
            ridged[i, i] += CHOL_RTOL * (gram[i, i] + rho)
        ridge = np.zeros((k, k))
        _factor(ridged, rho, ridge, k)
        low = ridge[:k, :k]
    rhs = np.ones((k, 2))
    for i in range(k):
        rhs[i, 0] = -cross[i]
    ab = _solve_chol(low, rhs)
    sum_a = sum_b = 0.0  # sequential sums from 0, as the C kernels add
    for i in range(k):
        sum_a += ab[i, 0]
    for i in range(k):
        sum_b += ab[i, 1]
    beta = (1.0 - sum_a) / sum_b
    alpha = np.empty(k)
    for i in range(k):
        alpha[i] = ab[i, 0] + beta * ab[i, 1]
    return alpha


@njit(cache=True, nogil=True)
def _wolfe(
    shift: FloatArray,
    phi: FloatArray,
    offset: IntArray,
    top: IntArray,
    first: IntArray,
    last: IntArray,
    starts: IntArray,
    start_row: IntArray,
    suffix: IntArray,
    lazy_share: float,
) -> tuple[FloatArray, IntArray, FloatArray, int, int]:
    n = shift.size
    cap = n + 2  # affinely independent points in an (n - 1)-dimensional hyperplane: <= n
    offsets = np.zeros((cap, n))  # rows p_j - ref
    gram = np.zeros((cap, cap))
    cross = np.zeros(cap)  # <p_j - ref, ref>
    weights = np.zeros(cap)
    orders = np.empty((cap, n), np.int64)
    hashes = np.empty(cap, np.uint64)
    chol = np.zeros((cap, cap))  # Cholesky factor of M = gram + rho 1 1^T
    pool_rows = min(2 * n, POOL_MAX)
    pool = np.empty((pool_rows, n))  # points that left the corral, for lazy re-entry
    pool_orders = np.empty((pool_rows, n), np.int64)
    n_pool = 0
    point = np.empty(n)
    x = np.empty(n)

    order = _argsort(shift)
    _vertex(order, phi, offset, top, first, last, starts, start_row, suffix, point)
    ref = point.copy()
    for i in range(n):
        ref[i] += shift[i]
    rho = _dot(ref, ref) / n
    if rho == 0.0:
        rho = 1.0  # rho only fixes the scale of the affine minimiser
    _copy(orders[0], order)
    hashes[0] = _hash(order)
    weights[0] = 1.0
    chol[0, 0] = np.sqrt(rho)
    chol_ok = True
    k = 1
    _copy(x, ref)
    gap = np.inf
    calls = steps = status = 0
    while True:
        if calls >= MAX_ORACLE_CALLS or steps >= 4 * MAX_ORACLE_CALLS:
            status = 1
            break
        steps += 1
        xx = _dot(x, x)
        floor = GAP_RTOL * max(xx, 1.0)
        lazy = False
        if n_pool > 0 and k < cap:  # lazy step: the best pooled point, if it improves enough
            j = 0
            best = -np.inf
            for r in range(n_pool):
                g = xx - _dot(pool[r], x)
                if g > best:
                    j, best = r, g
            if best > max(lazy_share * gap, 100.0 * floor):
                _copy(point, pool[j])
                order = np.empty(n, np.int64)
                _copy(order, pool_orders[j])
                n_pool -= 1
                _copy(pool[j], pool[n_pool])
                _copy(pool_orders[j], pool_orders[n_pool])
                h = _hash(order)
                lazy = not _find(orders, hashes, k, order, h)
        if not lazy:
            calls += 1
            order = _argsort(x)
            _vertex(order, phi, offset, top, first, last, starts, start_row, suffix, point)
            for i in range(n):
                point[i] += shift[i]
            gap = xx - _dot(x, point)
            if gap <= floor:
                break
            h = _hash(order)
            if k >= cap or _find(orders, hashes, k, order, h):
                break  # no new vertex: stalled at round-off level
        # add the point to the corral: one Gram row, one row of the factor
        for i in range(n):
            offsets[k, i] = point[i] - ref[i]
        for r in range(k + 1):
            gram[k, r] = gram[r, k] = _dot(offsets[r], offsets[k])
        cross[k] = _dot(offsets[k], ref)
        weights[k] = 0.0
        _copy(orders[k], order)
        hashes[k] = h
        if chol_ok:
            chol_ok = _append_factor_row(gram, rho, chol, k)
        k += 1
        while True:  # minor cycles
            alpha = _affine_minimiser(gram, cross, chol, chol_ok, rho, k)
            if alpha.min() > WEIGHT_EPS:
                _copy(weights, alpha)
                break
            theta = np.inf
            for i in range(k):
                if alpha[i] <= WEIGHT_EPS:
                    theta = min(theta, weights[i] / (weights[i] - alpha[i]))
            # move towards the affine minimiser; pool the points whose weight vanished and
            # compact the rest in place (kept[r] >= r ascending: forward copies are safe)
            kept = np.empty(k, np.int64)
            m = 0
            for i in range(k):
                weights[i] = theta * alpha[i] + (1.0 - theta) * weights[i]
                if weights[i] > WEIGHT_EPS:
                    kept[m] = i
                    m += 1
                else:
                    slot = n_pool if n_pool < pool_rows else n_pool - 1  # full: newest goes
                    for col in range(n):
                        pool[slot, col] = ref[col] + offsets[i, col]
                    _copy(pool_orders[slot], orders[i])
                    n_pool = slot + 1
            if chol_ok:  # delete from the last dropped point back, so the indices stay valid
                size = k
                for i in range(k - 1, -1, -1):
                    if not weights[i] > WEIGHT_EPS:
                        _delete_factor_row(chol, i, size)
                        size -= 1
            total = 0.0
            for r in range(m):
                i = kept[r]
                total += weights[i]
                if i != r:
                    _copy(offsets[r], offsets[i])
                    _copy(gram[r], gram[i, :k])
                    cross[r] = cross[i]
                    weights[r] = weights[i]
                    _copy(orders[r], orders[i])
                    hashes[r] = hashes[i]
            for r in range(m):
                weights[r] /= total
                for col in range(m):
                    gram[r, col] = gram[r, kept[col]]
            k = m
            if not chol_ok:  # refactor from scratch: round-off may have passed
                chol_ok = _factor(gram, rho, chol, k)
        _copy(x, ref)  # x = ref + sum_r w_r offsets_r, row by row
        for r in range(k):
            w = weights[r]
            for i in range(n):
                x[i] += w * offsets[r, i]
    y = np.empty(n)
    for i in range(n):
        y[i] = x[i] - shift[i]
    return y, orders[:k].copy(), weights[:k].copy(), status, calls


def min_norm_point(
    classes: WindowClasses,
    shift: FloatArray,
    *,
    lazy_share: float = LAZY_SHARE,
    backend: str | None = None,
) -> tuple[FloatArray, IntArray, FloatArray]:
    """Minimum-norm point of ``B(f) + shift`` (Fujishige-Wolfe).

    Parameters
    ----------
    classes
        Window-class tables of the sessions (the polymatroid ``f``).
    shift
        Base energy per slot, ``(n_slots,)`` [kWh].
    lazy_share
        Share of the last oracle gap above which a pooled vertex re-enters without an oracle
        call [-] (``inf`` turns lazy steps off).
    backend
        ``"c"`` or ``"numba"`` kernels, as in :func:`evgrid.charging._oracle.c_kernels` (the
        same numbers, bit for bit).

    Returns
    -------
    tuple
        Aggregate ``y`` per slot ``(n_slots,)`` [kWh], the slot orders of the corral vertices
        ``(k, n_slots)``, and their convex weights ``(k,)`` (``y = sum_k w_k greedy(order_k)``).
    """
    shift = np.ascontiguousarray(shift, dtype=float)
    fast = c_kernels(backend)
    if fast is not None:
        n = shift.size
        y = np.empty(n)
        corral = np.empty((n + 2, n), dtype=np.int64)
        weight = np.empty(n + 2)
        k, status, calls = fast.wolfe(
            shift, *classes.kernel_args, float(lazy_share), y, corral, weight
        )
        orders, weights = corral[:k].copy(), weight[:k].copy()
    else:
        y, orders, weights, status, calls = _wolfe(
            shift,
            *classes.kernel_args,
            np.empty(classes.suffix_size, dtype=np.int64),
            float(lazy_share),
        )
    if status:
        _warn_if_unproven(classes, shift, y, calls, backend)
    return y, orders, weights


PROVEN_RTOL = 1e-9
"""Wolfe's optimality gap, relative to the squared norm, below which a run stopped at the
oracle-call cap still counts as proven optimal [-] (the rounding of a converged run is about
1e-14 of it)."""


def _warn_if_unproven(
    classes: WindowClasses, shift: FloatArray, y: FloatArray, calls: int, backend: str | None
) -> None:
    """Warn, with a bound, when a run stopped at the cap is not proven optimal.

    The point is ``x = y + shift``; with ``q = argmin x·z`` over the polytope (the greedy
    vertex for the order of ``x``, shifted), Wolfe's gap is ``g = x·x - x·q >= 0``. The
    minimum-norm point ``x*`` satisfies ``x*·x >= |x*|²`` and, by convexity of the norm,
    ``|x*|² >= |x|² + 2 x·(x* - x) >= |x|² - 2 g``; so ``|x - x*|² <= |x|² - |x*|² <= 2 g``
    and no slot's energy is off by more than ``sqrt(2 g)``.
    """
    x = y + shift
    q = classes.greedy(np.argsort(x, kind="stable"), backend=backend) + shift
    gap = 2.0 * max(float(x @ x - x @ q), 0.0)
    if gap <= PROVEN_RTOL * max(float(x @ x), 1.0):
        return
    warnings.warn(
        f"valley filling stopped after {calls} oracle calls before it proved its optimum: each "
        f"slot's energy is within {np.sqrt(gap):.3g} kWh of the optimal schedule's",
        RuntimeWarning,
        stacklevel=3,
    )
