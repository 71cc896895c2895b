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
from the first dropped vertex on (a least-squares KKT solve is the round-off fallback).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
from scipy.linalg.lapack import dtrtrs

from evgrid.timegrid import FloatArray, IntArray

GAP_RTOL = 1e-13
"""Wolfe stopping rule: ``|x|^2 - <x, q>`` below this share of ``|x|^2`` [-] (round-off level)."""

MAX_MAJOR_ITER = 2000
"""Safety cap on Wolfe major cycles [-]; the algorithm terminates finitely well below it."""

WEIGHT_EPS = 1e-15
"""Barycentric weight treated as zero when dropping corral points [-] (round-off level)."""

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
        self.orders = [self.orders[j] for j in idx]
        m = idx.size
        self.offsets[:m] = self.offsets[idx]
        self.gram[:m, :m] = self.gram[np.ix_(idx, idx)]
        self.cross[:m] = self.cross[idx]
        w = self.weights[:k][idx]
        self.weights[:m] = w / w.sum()
        # factor rows before the first dropped point are unchanged; refactor the rest
        j0 = int(np.argmin(mask)) if self.chol_ok else 0
        chol = self.chol
        chol[j0:m, :j0] = chol[idx[j0:], :j0]
        lead = chol[j0:m, :j0]
        trail = self.gram[j0:m, j0:m] + self.rho - lead @ lead.T
        try:
            chol[j0:m, j0:m] = np.linalg.cholesky(trail)
            self.chol_ok = True
        except np.linalg.LinAlgError:
            self.chol_ok = False

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
            half = dtrtrs(low, rhs2, lower=1)[0]  # LAPACK directly: scipy's wrapper costs more
            ab = dtrtrs(low, half, lower=1, trans=1)[0]
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
    for _ in range(MAX_MAJOR_ITER):
        order = np.argsort(x, kind="stable")
        q = oracle(order)
        q += shift
        xx = float(x @ x)
        if xx - float(x @ q) <= GAP_RTOL * max(xx, 1.0):
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
            f"valley filling: minimum-norm point stopped after {MAX_MAJOR_ITER} iterations",
            RuntimeWarning,
            stacklevel=3,
        )
    return x - shift, corral.orders, corral.weights[: len(corral)].copy()
