"""Exact references with HiGHS: minimum peak (LP), weighted cost under a limit (LP), and the
minimum sum of squares (QP).

Variables are the per-session energies ``x[i, t]`` [kWh] on the slots where a session is plugged
in (sparse). Solved with HiGHS (Huangfu & Hall, Math. Prog. Comp. 10, 2018) through
:func:`scipy.optimize.linprog` (``method="highs"``) and, for the QP, ``highspy``. These are
references for tests and small cases; :mod:`evgrid.charging.valley` is the fast exact method.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from evgrid.charging._windows import (
    base_or_zero,
    check_limit,
    deliverable_kwh,
    slot_caps_kwh,
)
from evgrid.charging.schedule import Schedule
from evgrid.charging.strategies import Strategy, register
from evgrid.errors import EvgridError, bad_value
from evgrid.sessions import Sessions
from evgrid.timegrid import FloatArray, TimeGrid

if TYPE_CHECKING:
    import scipy.sparse as sp

UNMET_PENALTY_FACTOR = 1e3
"""Penalty on unmet energy relative to the largest slot weight [-]: energy first, cost second."""


LIMIT_RTOL = 1e-9
"""Relative slack when checking the minimum peak against the site limit [-] (round-off)."""


class _Layout:
    """Sparse layout of the per-session-slot variables."""

    def __init__(self, sessions: Sessions, grid: TimeGrid) -> None:
        import scipy.sparse as sp

        caps = slot_caps_kwh(sessions, grid)
        self.n_sessions, self.n_slots = caps.shape
        self.rows, self.cols = np.nonzero(caps)
        self.upper = caps[self.rows, self.cols]
        self.energy = deliverable_kwh(caps, sessions.energy_kwh)
        nv = self.rows.size
        idx = np.arange(nv)
        self.by_session = sp.csr_array((np.ones(nv), (self.rows, idx)), shape=(self.n_sessions, nv))
        self.by_slot = sp.csr_array((np.ones(nv), (self.cols, idx)), shape=(self.n_slots, nv))

    def session_kwh(self, values: FloatArray) -> sp.csr_array:
        import scipy.sparse as sp

        return sp.csr_array((values, (self.rows, self.cols)), shape=(self.n_sessions, self.n_slots))


def _solve(
    c: FloatArray, a_ub: object, b_ub: object, a_eq: object, b_eq: object, bounds: object
) -> FloatArray:
    from scipy.optimize import linprog

    res = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
    if res.status != 0:
        raise EvgridError(f"HiGHS LP failed: {res.message}")
    return np.asarray(res.x, dtype=np.float64)


def _schedule(
    lay: _Layout, x: FloatArray, sessions: Sessions, grid: TimeGrid, per_session: bool
) -> Schedule:
    x = np.clip(x, 0.0, lay.upper)
    charging_kwh = lay.by_slot @ x
    delivered = lay.by_session @ x
    return Schedule(
        grid=grid,
        charging_kw=charging_kwh / grid.slot_h,
        requested_kwh=sessions.energy_kwh.copy(),
        delivered_kwh=delivered,
        session_kw=(lay.session_kwh(x) / grid.slot_h).tocsr() if per_session else None,
    )


def min_peak_lp(
    sessions: Sessions,
    grid: TimeGrid,
    base_kw: FloatArray | None = None,
    *,
    per_session: bool = False,
) -> tuple[Schedule, float]:
    """Schedule minimising the peak of base + charging, and that peak [kW].

    Every session receives ``min(request, what its window at full power allows)``.
    """
    import scipy.sparse as sp

    base = base_or_zero(base_kw, grid)
    lay = _Layout(sessions, grid)
    nv = lay.rows.size
    # variables: x (nv) [kWh], peak [kW]; slot: sum x / slot_h - peak <= -base
    a_ub = sp.hstack([lay.by_slot / grid.slot_h, -np.ones((lay.n_slots, 1))]).tocsr()
    a_eq = sp.hstack([lay.by_session, sp.csr_array((lay.n_sessions, 1))]).tocsr()
    c = np.zeros(nv + 1)
    c[-1] = 1.0
    bounds = np.column_stack([np.zeros(nv + 1), np.append(lay.upper, np.inf)])
    bounds[-1, 0] = -np.inf
    sol = _solve(c, a_ub, -base, a_eq, lay.energy, bounds)
    return _schedule(lay, sol[:nv], sessions, grid, per_session), float(sol[-1])


def lp_schedule(
    sessions: Sessions,
    grid: TimeGrid,
    base_kw: FloatArray | None = None,
    *,
    limit_kw: float | FloatArray | None = None,
    rng: object = None,
    weights: npt.ArrayLike | None = None,
    per_session: bool = False,
) -> Schedule:
    """LP strategy: minimum peak, or minimum weighted cost under an optional site limit.

    Parameters
    ----------
    sessions, grid, base_kw
        As every strategy (:mod:`evgrid.charging.schedule`).
    limit_kw
        Site limit on base + charging [kW], one number or one per slot ``(n_slots,)``; energy
        that cannot fit under it is unmet.
    rng
        Unused (deterministic).
    weights
        Price or carbon weight per slot ``(n_slots,)`` [e.g. yuan/kWh]. Given: minimise the
        weighted energy ``sum_t w_t * charging_t`` (energy first: unmet energy is penalised
        ``UNMET_PENALTY_FACTOR`` times the largest weight). Not given: the minimum-peak
        schedule; if even that exceeds the limit, the most energy that fits under it.
    per_session
        Also return per-session power per slot [kW].
    """
    import scipy.sparse as sp

    del rng
    base = base_or_zero(base_kw, grid)
    check_limit(limit_kw, base)
    if weights is None:
        sched, _ = min_peak_lp(sessions, grid, base, per_session=per_session)
        if limit_kw is None or np.all(
            sched.total_kw(base) <= np.asarray(limit_kw) * (1.0 + LIMIT_RTOL)
        ):
            return sched
    w = np.zeros(grid.n_slots) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != (grid.n_slots,) or not np.all(np.isfinite(w)):
        raise bad_value("weights", w.shape, f"({grid.n_slots},) finite values per slot")
    lay = _Layout(sessions, grid)
    nv = lay.rows.size
    penalty = UNMET_PENALTY_FACTOR * max(float(np.abs(w).max()) if w.size else 0.0, 1.0)
    # variables: x (nv), unmet (n_sessions); sum_i x + unmet = energy
    c = np.concatenate([w[lay.cols], np.full(lay.n_sessions, penalty)])
    a_eq = sp.hstack([lay.by_session, sp.eye_array(lay.n_sessions)]).tocsr()
    a_ub = b_ub = None
    if limit_kw is not None:
        a_ub = sp.hstack([lay.by_slot, sp.csr_array((lay.n_slots, lay.n_sessions))]).tocsr()
        b_ub = grid.energy_kwh(np.maximum(limit_kw - base, 0.0))
    bounds = np.column_stack(
        [np.zeros(nv + lay.n_sessions), np.concatenate([lay.upper, lay.energy])]
    )
    sol = _solve(c, a_ub, b_ub, a_eq, lay.energy, bounds)
    return _schedule(lay, sol[:nv], sessions, grid, per_session)


def min_sum_squares_qp(
    sessions: Sessions, grid: TimeGrid, base_kw: FloatArray | None = None
) -> FloatArray:
    """Reference aggregate minimising ``sum_t (base + charging)^2`` (HiGHS QP), ``(n_slots,)`` [kW].

    Variables ``x`` (per session and slot) [kWh] and ``z_t = base_t * slot + sum_i x[i, t]``;
    objective ``sum_t z_t^2`` (Hessian ``2 I`` on ``z``).
    """
    import highspy
    import scipy.sparse as sp

    base = base_or_zero(base_kw, grid)
    lay = _Layout(sessions, grid)
    nv, ns = lay.rows.size, lay.n_slots
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("primal_feasibility_tolerance", 1e-10)
    h.setOptionValue("dual_feasibility_tolerance", 1e-10)
    lp = highspy.HighsLp()
    lp.num_col_ = nv + ns
    lp.num_row_ = lay.n_sessions + ns
    lp.col_cost_ = np.zeros(nv + ns)
    lp.col_lower_ = np.concatenate([np.zeros(nv), np.full(ns, -highspy.kHighsInf)])
    lp.col_upper_ = np.concatenate([lay.upper, np.full(ns, highspy.kHighsInf)])
    slot_rows = sp.hstack([lay.by_slot, -sp.eye_array(ns)])
    sess_rows = sp.hstack([lay.by_session, sp.csr_array((lay.n_sessions, ns))])
    a = sp.vstack([sess_rows, slot_rows]).tocsc()
    lp.row_lower_ = np.concatenate([lay.energy, -grid.energy_kwh(base)])
    lp.row_upper_ = lp.row_lower_.copy()
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr
    lp.a_matrix_.index_ = a.indices
    lp.a_matrix_.value_ = a.data
    h.passModel(lp)
    hess = highspy.HighsHessian()
    hess.dim_ = nv + ns
    hess.format_ = highspy.HessianFormat.kTriangular
    hess.start_ = np.concatenate(
        [np.zeros(nv + 1, dtype=np.int32), np.arange(1, ns + 1, dtype=np.int32)]
    )
    hess.index_ = np.arange(nv, nv + ns, dtype=np.int32)
    hess.value_ = np.full(ns, 2.0)
    h.passHessian(hess)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        raise EvgridError(f"HiGHS QP failed: {h.modelStatusToString(h.getModelStatus())}")
    x = np.asarray(h.getSolution().col_value)[:nv]
    return (lay.by_slot @ np.clip(x, 0.0, lay.upper)) / grid.slot_h


register(
    Strategy(
        name="lp",
        dense=True,
        run=lp_schedule,
        summary="HiGHS linear program: minimum peak, or least weighted cost under a site limit",
        minimises_peak=True,
        uses_limit=True,
        index_mode="orderly",
        order=3,
    )
)
