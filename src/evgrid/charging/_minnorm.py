"""Fujishige-Wolfe minimum-norm point of a shifted base polytope (kernel, pure numpy).

Wolfe's algorithm (Math. Programming 11, 1976) applied to a base polytope ``B(f)`` whose linear
minimisation is Edmonds' greedy algorithm over a slot order (Fujishige, *Submodular Functions and
Optimization*, 2nd ed., 2005, section 7.2; Chakrabarty, Jain & Kothari, NeurIPS 2014). The point
it returns is an exact convex combination of greedy vertices, each known by its slot order.

The corral (the active vertices) lives in preallocated arrays: offsets from a fixed reference
point (well scaled Gram matrix), Gram rows updated with one matrix-vector product per new vertex,
and rows compacted in place when vertices leave, so a major cycle allocates nothing of size
``corral x slots``. The affine minimiser solves with a Cholesky factor of
``Gram + rho * 1 1^T`` that grows by one triangular solve per new vertex and is refactored only
from the first dropped vertex on (a least-squares KKT solve is the round-off fallback); when one
vertex leaves, the later rows shift up in place.

Vertices that leave the corral are pooled; a pooled vertex whose gap ``|x|^2 - <x, p>`` is a
large enough share of the last oracle gap re-enters without an oracle call (lazy linear
minimisation, as in lazy Frank-Wolfe: Braun, Pokutta & Zink, ICML 2017). Any improving vertex keeps
Wolfe's strict descent over affinely independent corrals, hence finite termination, and the
stopping test is always the oracle's, so the result is the same certified optimum.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
from scipy.linalg.lapack import dpotrf, dpotrs, dtrtrs

from evgrid.timegrid import FloatArray, IntArray

GAP_RTOL = 1e-13
"""Wolfe stopping rule: ``|x|^2 - <x, q>`` below this share of ``|x|^2`` [-] (round-off level)."""

MAX_MAJOR_ITER = 2000
"""Safety cap on Wolfe's oracle calls (four times the cap on all major cycles) [-]; the
algorithm terminates finitely well below it."""

WEIGHT_EPS = 1e-15
"""Barycentric weight treated as zero when dropping corral points [-] (round-off level)."""

LAZY_SHARE = 0.5
"""A vertex that left the corral re-enters without an oracle call when its gap
``|x|^2 - <x, p>`` is at least this share of the last oracle gap [-] (lazy linear minimisation:
any improving vertex keeps Wolfe's descent and finiteness; the stopping test always calls the
oracle)."""

CHOL_RTOL = 1e-12
"""Cholesky pivot below this share of its diagonal entry: the new point is affinely dependent at
round-off level, so the affine minimiser falls back to a least-squares KKT solve [-]."""


class _Corral:
    """Wolfe's corral: vertices (as offsets from ``ref``), convex weights, Gram matrix and the
    Cholesky factor used by the affine minimiser."""

    def __init__(self, first: FloatArray, order: IntArray) -> None:
        n = first.shape[0]
        cap = n + 2  # affinely independent points in an (n - 1)-dimensional hyperplane: <= n
        self.ref = first
        self.offsets = np.zeros((cap, n))  # rows p_j - ref
        self.gram = np.zeros((cap, cap))
        self.cross = np.zeros(cap)  # <p_j - ref, ref>
        self.weights = np.zeros(cap)
        self.weights[0] = 1.0
        self.orders: list[IntArray] = [order]
        self.keys = {order.tobytes()}
        self.kkt = np.zeros((cap + 1, cap + 1))
        # Cholesky factor of M = gram + rho * 1 1^T (positive definite for an affinely
        # independent corral; rho only fixes the scale, the minimiser on sum(w) = 1 is the same)
        self.rho = float(first @ first) / n or 1.0
        self.chol = np.zeros((cap, cap))
        self.chol[0, 0] = np.sqrt(self.rho)
        self.chol_ok = True
        self.pool = np.zeros((2 * n, n))  # points that left the corral, for lazy re-entry
        self.pool_orders: list[IntArray] = []

    def __len__(self) -> int:
        return len(self.orders)

    def has(self, order: IntArray) -> bool:
        return order.tobytes() in self.keys

    def full(self) -> bool:
        return len(self) >= self.offsets.shape[0]

    def add(self, point: FloatArray, order: IntArray) -> None:
        k = len(self)
        d = self.offsets[k]
        np.subtract(point, self.ref, out=d)
        row = self.offsets[: k + 1] @ d
        self.gram[k, : k + 1] = row
        self.gram[: k + 1, k] = row
        self.cross[k] = d @ self.ref
        self.weights[k] = 0.0
        self.orders.append(order)
        self.keys.add(order.tobytes())
        if self.chol_ok:  # append one row to the factor: one triangular solve
            m_row = row + self.rho
            low = dtrtrs(self.chol[:k, :k], m_row[:k], lower=1)[0]
            pivot = m_row[k] - low @ low
            self.chol_ok = pivot > CHOL_RTOL * m_row[k]
            self.chol[k, :k] = low
            self.chol[k, k] = np.sqrt(max(pivot, 0.0))

    def keep(self, mask: npt.NDArray[np.bool_]) -> None:
        k = len(self)
        idx = np.flatnonzero(mask)
        for j in np.flatnonzero(~mask):
            self.keys.discard(self.orders[j].tobytes())
            slot = len(self.pool_orders)
            if slot == self.pool.shape[0]:  # full: the newest entry makes room
                slot -= 1
                self.pool_orders.pop()
            np.add(self.ref, self.offsets[j], out=self.pool[slot])
            self.pool_orders.append(self.orders[j])
        self.orders = [self.orders[j] for j in idx]
        m = idx.size
        j0 = int(np.argmin(mask))  # first dropped point: rows before it stay in place
        if m == k - 1:  # one point leaves (the usual case): shift the later rows up by one
            self.offsets[j0:m] = self.offsets[j0 + 1 : k]
            self.gram[j0:m, :k] = self.gram[j0 + 1 : k, :k]
            self.gram[:m, j0:m] = self.gram[:m, j0 + 1 : k]
            self.cross[j0:m] = self.cross[j0 + 1 : k]
            w = np.delete(self.weights[:k], j0)
        else:
            self.offsets[:m] = self.offsets[idx]
            self.gram[:m, :m] = self.gram[np.ix_(idx, idx)]
            self.cross[:m] = self.cross[idx]
            w = self.weights[:k][idx]
        self.weights[:m] = w / w.sum()
        # factor rows before the first dropped point are unchanged; refactor the rest
        if not self.chol_ok:
            j0 = 0
        chol = self.chol
        chol[j0:m, :j0] = chol[idx[j0:], :j0]
        lead = chol[j0:m, :j0]
        trail = self.gram[j0:m, j0:m] + self.rho - lead @ lead.T
        low, info = dpotrf(trail, lower=1, clean=1)
        self.chol_ok = info == 0
        if self.chol_ok:
            chol[j0:m, j0:m] = low

    def affine_minimiser(self) -> FloatArray:
        """Weights (sum 1) of the min-norm point of the corral's affine hull."""
        k = len(self)
        if k == 1:
            return np.ones(1)
        if self.chol_ok:  # w = a + beta * b with M a = -cross, M b = 1, sum(w) = 1
            low = self.chol[:k, :k]
            rhs2 = np.empty((k, 2))
            rhs2[:, 0] = -self.cross[:k]
            rhs2[:, 1] = 1.0
            ab = dpotrs(low, rhs2, lower=1)[0]  # LAPACK directly: scipy's wrapper costs more
            a, b = ab[:, 0], ab[:, 1]
            return np.asarray(a + (1.0 - a.sum()) / b.sum() * b)
        kkt = self.kkt[: k + 1, : k + 1]
        kkt[:k, :k] = self.gram[:k, :k]
        kkt[:k, k] = kkt[k, :k] = 1.0
        kkt[k, k] = 0.0
        rhs = np.empty(k + 1)
        np.negative(self.cross[:k], out=rhs[:k])
        rhs[k] = 1.0
        try:
            sol = np.linalg.solve(kkt, rhs)
        except np.linalg.LinAlgError:
            sol = np.linalg.lstsq(kkt, rhs, rcond=None)[0]
        return np.asarray(sol[:k])

    def pop_lazy(self, x: FloatArray, bound: float) -> tuple[FloatArray, IntArray] | None:
        """Remove and return the pooled point with the largest gap ``|x|^2 - <x, p>`` (its
        order too) if that gap exceeds ``bound`` and the point is not in the corral."""
        size = len(self.pool_orders)
        if size == 0 or self.full():
            return None
        gaps = float(x @ x) - self.pool[:size] @ x
        j = int(np.argmax(gaps))
        if not gaps[j] > bound:
            return None
        point, order = self.pool[j].copy(), self.pool_orders[j]
        self.pool[j] = self.pool[size - 1]
        self.pool_orders[j] = self.pool_orders[size - 1]
        self.pool_orders.pop()
        return None if self.has(order) else (point, order)

    def point(self) -> FloatArray:
        k = len(self)
        return np.asarray(self.ref + self.weights[:k] @ self.offsets[:k])


def min_norm_point(
    oracle: Callable[[IntArray], FloatArray], shift: FloatArray
) -> tuple[FloatArray, list[IntArray], FloatArray]:
    """Minimum-norm point of ``B(f) + shift`` (Fujishige-Wolfe).

    Parameters
    ----------
    oracle
        Greedy vertex of ``B(f)`` for a slot order, ``(n_slots,)`` [kWh].
    shift
        Base energy per slot, ``(n_slots,)`` [kWh].

    Returns
    -------
    tuple
        Aggregate ``y`` per slot ``(n_slots,)`` [kWh], the slot orders of the corral vertices, and
        their convex weights (``y = sum_k w_k oracle(order_k)``).
    """
    order = np.argsort(shift, kind="stable")
    corral = _Corral(oracle(order) + shift, order)
    x = corral.ref
    gap = np.inf
    calls = steps = 0
    while calls < MAX_MAJOR_ITER and steps < 4 * MAX_MAJOR_ITER:
        steps += 1
        floor = GAP_RTOL * max(float(x @ x), 1.0)  # lazy steps only well above round-off
        lazy = corral.pop_lazy(x, max(LAZY_SHARE * gap, 100.0 * floor))
        if lazy is not None:
            q, order = lazy
        else:
            calls += 1
            order = np.argsort(x, kind="stable")
            q = oracle(order)
            q += shift
            gap = float(x @ x) - float(x @ q)
            if gap <= floor:
                break
            if corral.has(order) or corral.full():  # no new vertex: stalled at round-off level
                break
        corral.add(q, order)
        while True:
            k = len(corral)
            alpha = corral.affine_minimiser()
            if np.all(alpha > WEIGHT_EPS):
                corral.weights[:k] = alpha
                break
            w = corral.weights[:k]
            neg = alpha <= WEIGHT_EPS
            theta = float(np.min(w[neg] / (w[neg] - alpha[neg])))
            w[:] = theta * alpha + (1.0 - theta) * w
            corral.keep(w > WEIGHT_EPS)
        x = corral.point()
    else:
        warnings.warn(
            f"valley filling: minimum-norm point stopped after {calls} oracle calls",
            RuntimeWarning,
            stacklevel=3,
        )
    return x - shift, corral.orders, corral.weights[: len(corral)].copy()
