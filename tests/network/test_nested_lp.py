"""Nested-limit valley filling equals the HiGHS reference on random laminar instances."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from evgrid.charging._windows import slot_caps_kwh
from evgrid.charging.nested import Groups, laminar_groups, nested_valley_filling
from evgrid.errors import InputError
from evgrid.sessions import Sessions
from evgrid.timegrid import TimeGrid

highspy = pytest.importorskip("highspy")
from scipy.optimize import linprog  # noqa: E402


def _instance(seed: int, n: int = 9, slots: int = 12):
    rng = np.random.default_rng(seed)
    grid = TimeGrid(slot_min=120.0, n_days=1)
    arr = rng.uniform(0, 14, n)
    dep = np.minimum(arr + rng.uniform(3, 12, n), 24.0)
    s = Sessions(arr, dep, rng.uniform(2, 30, n), rng.choice([3.5, 7.0], n))
    # laminar: phase groups inside two sections inside the transformer
    section = rng.integers(0, 2, n)
    phase = rng.integers(0, 3, n)
    members = [np.flatnonzero(section == 0), np.flatnonzero(section == 1)]
    members += [np.flatnonzero((section == k) & (phase == p)) for k in range(2) for p in range(3)]
    members.append(np.arange(n))
    limits = rng.uniform(4, 14, (len(members), slots))
    limits[-1] = rng.uniform(10, 25, slots)
    base = rng.uniform(0, 10, slots)
    return s, grid, base, members, limits


def _reference(s, grid, base, members, limits):
    """HiGHS: the most energy under the limits (LP), then the least sum of squares (QP)."""
    caps = slot_caps_kwh(s, grid)
    rows, cols = np.nonzero(caps)
    nv, ns, nt = rows.size, len(s), grid.n_slots
    by_sess = sp.csr_array((np.ones(nv), (rows, np.arange(nv))), shape=(ns, nv))
    a_rows = []
    b = []
    for m, lim in zip(members, limits, strict=True):
        inside = np.isin(rows, m)
        for t in range(nt):
            sel = inside & (cols == t)
            if sel.any():
                r = np.zeros(nv)
                r[sel] = 1.0
                a_rows.append(r)
                b.append(lim[t] * grid.slot_h)
    a_grp = np.array(a_rows)
    energy = np.minimum(s.energy_kwh, caps.sum(axis=1))
    lp = linprog(
        -np.ones(nv),
        A_ub=np.vstack([a_grp, by_sess.toarray()]),
        b_ub=np.concatenate([b, energy]),
        bounds=list(zip(np.zeros(nv), caps[rows, cols], strict=True)),
        method="highs",
    )
    total = -lp.fun
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("primal_feasibility_tolerance", 1e-10)
    h.setOptionValue("dual_feasibility_tolerance", 1e-10)
    # variables x (nv), z (nt) with z_t = base_t * slot + sum x
    inf = highspy.kHighsInf
    for k in range(nv):
        h.addVar(0.0, float(caps[rows[k], cols[k]]))
    for _ in range(nt):
        h.addVar(-inf, inf)

    def row(lo, hi, idx, val):
        h.addRow(lo, hi, len(idx), np.asarray(idx, np.int32), np.asarray(val, float))

    for r, bb in zip(a_grp, b, strict=True):
        idx = np.flatnonzero(r)
        row(-inf, bb, idx, np.ones(idx.size))
    for i in range(ns):
        idx = np.flatnonzero(rows == i)
        row(-inf, energy[i], idx, np.ones(idx.size))
    row(total - 1e-9, inf, np.arange(nv), np.ones(nv))
    for t in range(nt):
        idx = np.flatnonzero(cols == t)
        row(
            -base[t] * grid.slot_h,
            -base[t] * grid.slot_h,
            np.append(idx, nv + t),
            np.append(np.ones(idx.size), -1.0),
        )
    hess = highspy.HighsHessian()
    hess.dim_ = nv + nt
    hess.format_ = highspy.HessianFormat.kTriangular
    hess.start_ = np.concatenate([np.zeros(nv + 1, np.int32), np.arange(1, nt + 1, dtype=np.int32)])
    hess.index_ = np.arange(nv, nv + nt, dtype=np.int32)
    hess.value_ = np.full(nt, 2.0)
    h.passHessian(hess)
    h.run()
    x = np.asarray(h.getSolution().col_value)[:nv]
    y = np.zeros(nt)
    np.add.at(y, cols, x)
    return y / grid.slot_h, total


@pytest.mark.parametrize("seed", range(8))
def test_nested_equals_highs(seed: int) -> None:
    s, grid, base, members, limits = _instance(seed)
    groups = laminar_groups(members, limits, len(s))
    out = nested_valley_filling(s, grid, base, groups=groups, per_session=True)
    ref_kw, ref_total = _reference(s, grid, base, members, limits)
    assert out.delivered_kwh.sum() == pytest.approx(ref_total, abs=1e-6)
    np.testing.assert_allclose(out.charging_kw, ref_kw, atol=1e-5)
    # the per-session schedule meets every group limit and every window cap
    per = out.session_kw.toarray()
    for m, lim in zip(members, limits, strict=True):
        assert np.all(per[m].sum(axis=0) <= lim + 1e-7)
    assert np.all(per * grid.slot_h <= slot_caps_kwh(s, grid) + 1e-9)
    np.testing.assert_allclose(per.sum(axis=0), out.charging_kw, atol=1e-9)


def test_no_limits_is_plain_valley_filling() -> None:
    from evgrid.charging.valley import valley_filling

    s, grid, base, _, _ = _instance(3)
    groups = Groups(np.array([-1]), np.zeros(len(s), np.int64), np.full((1, grid.n_slots), np.inf))
    out = nested_valley_filling(s, grid, base, groups=groups)
    ref = valley_filling(s, grid, base)
    np.testing.assert_allclose(out.charging_kw, ref.charging_kw, atol=1e-7)


def test_crossing_groups_refused() -> None:
    with pytest.raises(InputError, match="laminar"):
        laminar_groups([np.array([0, 1]), np.array([1, 2])], np.ones((2, 4)), 3)
