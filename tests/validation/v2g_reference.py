"""The HiGHS QP of V2G scheduling: the reference of ``test_v2g_qp.py``.

Variables per session and slot of its window: charging ``c`` in ``[0, P a]`` and discharging
``g`` in ``[0, D a]`` [kW] (both may be positive in a slot: the QP is free to burn energy), the
total ``y_t = base_t + sum (c - g)`` [kW]; the battery gain by departure
``slot_h * sum (eta_c c - g / eta_d) >= need`` and, with state-of-charge bounds, every prefix of
it ``>= floor`` [kWh]; objective ``slot_h * sum (kappa / 2 * y**2 + wear * g)`` [yuan].
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

QP_REGULARIZATION = 1e-13
"""HiGHS regularises a semidefinite QP's Hessian (default 1e-7), which moves the optimum by about
1e-4 kW here; this keeps it to round-off."""


def windows(s: Any, grid: Any) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
    """Each session's first slot, the share of each slot of its window it is present
    (``avail``), and its energy capped at what its window can take at full power [kWh]."""
    from evgrid.charging._windows import window_slots

    first, last, ff, fl = window_slots(s.arrival_h, s.departure_h, grid)
    avail = []
    for i in range(len(s)):
        a = np.ones(last[i] - first[i] + 1)
        a[0] = ff[i]
        if last[i] > first[i]:
            a[-1] = fl[i]
        avail.append(a)
    full = s.max_power_kw * grid.slot_h * np.array([a.sum() for a in avail])
    return first, avail, np.minimum(s.energy_kwh, full)


def v2g_qp(
    base_kw: np.ndarray,
    first: np.ndarray,
    avail: list[np.ndarray],
    power_kw: np.ndarray,
    give_kw: np.ndarray,
    need_kwh: np.ndarray,
    floor_kwh: np.ndarray | None,
    *,
    slot_h: float,
    kappa: float,
    wear: float,
    eta_c: float,
    eta_d: float,
) -> tuple[float, np.ndarray]:
    """Objective [yuan] and total load per slot [kW] of the optimum (HiGHS QP)."""
    import highspy

    n_slots = base_kw.size
    cols_c, cols_g, upper, cost = [], [], [], []
    rows: list[tuple[list[int], list[float], float]] = []  # (columns, coefficients, lower bound)
    col = 0
    for i, a in enumerate(avail):
        m = a.size
        c_idx = list(range(col, col + m))
        g_idx = list(range(col + m, col + 2 * m))
        col += 2 * m
        cols_c.append(c_idx)
        cols_g.append(g_idx)
        upper.extend((power_kw[i] * a).tolist() + (give_kw[i] * a).tolist())
        cost.extend([0.0] * m + [slot_h * wear] * m)
        gain_c = [slot_h * eta_c] * m
        gain_g = [-slot_h / eta_d] * m
        rows.append((c_idx + g_idx, gain_c + gain_g, float(need_kwh[i])))
        if floor_kwh is not None:
            for k in range(m):
                prefix = c_idx[: k + 1] + g_idx[: k + 1]
                rows.append((prefix, gain_c[: k + 1] + gain_g[: k + 1], float(floor_kwh[i])))
    nx = col
    ny = n_slots
    n_col = nx + ny
    # energy rows, then y_t - sum (c - g) = base_t
    data, ri, ci = [], [], []
    r = 0
    lower_rows, upper_rows = [], []
    for cols, coefs, lo in rows:
        data.extend(coefs)
        ri.extend([r] * len(cols))
        ci.extend(cols)
        lower_rows.append(lo)
        upper_rows.append(highspy.kHighsInf)
        r += 1
    for i in range(len(avail)):
        for k, cidx in enumerate(cols_c[i]):
            t = int(first[i]) + k
            data.extend([-1.0, 1.0])
            ri.extend([r + t, r + t])
            ci.extend([cidx, cols_g[i][k]])
    for t in range(ny):
        data.append(1.0)
        ri.append(r + t)
        ci.append(nx + t)
    lower_rows.extend(base_kw.tolist())
    upper_rows.extend(base_kw.tolist())
    a = sp.csc_array((data, (ri, ci)), shape=(r + ny, n_col))
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("primal_feasibility_tolerance", 1e-10)
    h.setOptionValue("dual_feasibility_tolerance", 1e-10)
    h.setOptionValue("qp_regularization_value", QP_REGULARIZATION)
    lp = highspy.HighsLp()
    lp.num_col_ = n_col
    lp.num_row_ = r + ny
    lp.col_cost_ = np.array(cost + [0.0] * ny)
    lp.col_lower_ = np.concatenate([np.zeros(nx), np.full(ny, -highspy.kHighsInf)])
    lp.col_upper_ = np.concatenate([np.array(upper), np.full(ny, highspy.kHighsInf)])
    lp.row_lower_ = np.array(lower_rows)
    lp.row_upper_ = np.array(upper_rows)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr
    lp.a_matrix_.index_ = a.indices
    lp.a_matrix_.value_ = a.data
    h.passModel(lp)
    hess = highspy.HighsHessian()
    hess.dim_ = n_col
    hess.format_ = highspy.HessianFormat.kTriangular
    hess.start_ = np.concatenate(
        [np.zeros(nx + 1, dtype=np.int32), np.arange(1, ny + 1, dtype=np.int32)]
    )
    hess.index_ = np.arange(nx, nx + ny, dtype=np.int32)
    hess.value_ = np.full(ny, slot_h * kappa)
    h.passHessian(hess)
    h.run()
    status = h.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal:  # a larger instance: HiGHS's own default
        h.setOptionValue("qp_regularization_value", 1e-7)
        h.run()
        status = h.getModelStatus()
    assert status == highspy.HighsModelStatus.kOptimal, h.modelStatusToString(status)
    x = np.asarray(h.getSolution().col_value)
    y = x[nx:]
    g = x[:nx][[j for gi in cols_g for j in gi]]
    objective = slot_h * (0.5 * kappa * float(y @ y) + wear * float(g.sum()))
    return objective, y
