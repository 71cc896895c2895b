"""Fast valley-filling kernels: the class-table greedy oracle and the lean Wolfe corral."""

from __future__ import annotations

import numpy as np
import pytest

from evgrid.charging import _minnorm
from evgrid.charging._minnorm import _Corral, min_norm_point
from evgrid.charging._oracle import GroupedClasses
from evgrid.charging._windows import slot_caps_kwh, window_slots
from evgrid.charging.valley import _Classes, _greedy_sessions, valley_filling
from evgrid.demand.sessions import Sessions
from evgrid.timegrid import TimeGrid


def _instance(
    seed: int, n: int, grid: TimeGrid
) -> tuple[Sessions, np.ndarray, _Classes, np.ndarray]:
    """Random sessions with partial first/last slots, one-slot windows and binding energies."""
    rng = np.random.default_rng(seed)
    arr = rng.uniform(0.0, grid.horizon_h - 0.1, n)
    dur = np.where(rng.random(n) < 0.2, rng.uniform(0.01, grid.slot_h, n), rng.uniform(0.2, 12, n))
    s = Sessions(arr, arr + dur, rng.uniform(0.5, 40.0, n), rng.choice([3.7, 7.4, 11.0], n))
    first, last, frac_first, frac_last = window_slots(s.arrival_h, s.departure_h, grid)
    caps = slot_caps_kwh(s, grid)
    energy = np.minimum(s.energy_kwh, caps.sum(axis=1))
    unit = s.max_power_kw * grid.slot_h
    classes = _Classes.build(first, last, frac_first, frac_last, unit, energy, grid.n_slots)
    return s, caps, classes, energy


@pytest.mark.parametrize(("seed", "slot_min", "n_days"), [(0, 15, 1), (1, 60, 2), (2, 30, 1)])
def test_class_oracle_equals_per_session_greedy(seed: int, slot_min: int, n_days: int) -> None:
    grid = TimeGrid(slot_min, n_days)
    _, caps, classes, energy = _instance(seed, 300, grid)
    rng = np.random.default_rng(seed + 100)
    for _ in range(5):
        order = rng.permutation(grid.n_slots)
        expected = _greedy_sessions(order, caps, energy).sum(axis=0)
        np.testing.assert_allclose(classes.greedy(order), expected, rtol=1e-12, atol=1e-9)


def test_min_norm_point_is_certified_convex_combination() -> None:
    grid = TimeGrid(15, 1)
    _, _, classes, energy = _instance(7, 400, grid)
    shift = 40.0 + 25.0 * np.cos(np.arange(grid.n_slots) / grid.n_slots * 2 * np.pi)
    y, orders, weights = min_norm_point(classes.greedy, shift)
    assert np.all(weights > 0.0) and weights.sum() == pytest.approx(1.0, abs=1e-12)
    combo = sum(w * classes.greedy(o) for o, w in zip(orders, weights, strict=True))
    np.testing.assert_allclose(y, combo, rtol=1e-9, atol=1e-7)
    assert y.sum() == pytest.approx(energy.sum(), rel=1e-12)
    # optimality: no greedy vertex lowers <x, .> below |x|^2 (x = y + shift is min-norm)
    x = y + shift
    rng = np.random.default_rng(0)
    for order in [
        np.argsort(x, kind="stable"),
        *(rng.permutation(grid.n_slots) for _ in range(20)),
    ]:
        q = classes.greedy(order) + shift
        assert float(x @ q) >= float(x @ x) * (1.0 - 1e-11)


def test_corral_compaction_keeps_gram_consistent() -> None:
    rng = np.random.default_rng(5)
    pts = rng.normal(size=(6, 8))
    corral = _Corral(pts[0], np.arange(8))
    for j in range(1, 6):
        corral.add(pts[j], rng.permutation(8))
    corral.weights[:6] = 1.0 / 6.0
    corral.keep(np.array([True, False, True, True, False, True]))
    k = len(corral)
    off = corral.offsets[:k]
    np.testing.assert_allclose(corral.gram[:k, :k], off @ off.T, atol=1e-12)
    np.testing.assert_allclose(off, pts[[0, 2, 3, 5]] - pts[0], atol=1e-12)
    np.testing.assert_allclose(corral.cross[:k], off @ pts[0], atol=1e-12)
    assert corral.weights[:k].sum() == pytest.approx(1.0)
    # affine minimiser: weights sum to one and the residual is orthogonal to the hull
    alpha = corral.affine_minimiser()
    x = pts[0] + alpha @ off
    assert alpha.sum() == pytest.approx(1.0)
    np.testing.assert_allclose((off[1:] - off[0]) @ x, 0.0, atol=1e-9)
    # the updated Cholesky factor is that of gram + rho, and agrees with the KKT fallback
    low = np.tril(corral.chol[:k, :k])
    np.testing.assert_allclose(low @ low.T, corral.gram[:k, :k] + corral.rho, atol=1e-10)
    corral.chol_ok = False
    np.testing.assert_allclose(corral.affine_minimiser(), alpha, atol=1e-10)


def test_two_day_per_session_schedules_feasible() -> None:
    grid = TimeGrid(30, 2)
    s, caps, _, energy = _instance(11, 250, grid)
    base = 60.0 + 30.0 * np.sin(np.arange(grid.n_slots) / 48 * 2 * np.pi)
    sch = valley_filling(s, grid, base, per_session=True)
    assert sch.session_kw is not None
    kwh = sch.session_kw.toarray() * grid.slot_h
    assert np.all(kwh >= -1e-9)
    assert np.all(kwh <= caps + 1e-7)
    np.testing.assert_allclose(kwh.sum(axis=1), energy, rtol=1e-9, atol=1e-7)
    np.testing.assert_allclose(kwh.sum(axis=0), sch.charging_kw * grid.slot_h, atol=1e-6)


def test_corral_single_drop_shifts_rows_and_refactors() -> None:
    """The one-point drop path (row shifts, partial refactor) equals a fresh build."""
    rng = np.random.default_rng(8)
    pts = rng.normal(size=(7, 10)) + 3.0
    corral = _Corral(pts[0], np.arange(10))
    for j in range(1, 7):
        corral.add(pts[j], rng.permutation(10))
    corral.weights[:7] = rng.uniform(0.5, 1.0, 7)
    kept_w = np.delete(corral.weights[:7], 2)
    corral.keep(np.arange(7) != 2)
    k = len(corral)
    off = corral.offsets[:k]
    np.testing.assert_allclose(off, pts[[0, 1, 3, 4, 5, 6]] - pts[0], atol=1e-12)
    np.testing.assert_allclose(corral.gram[:k, :k], off @ off.T, atol=1e-12)
    np.testing.assert_allclose(corral.cross[:k], off @ pts[0], atol=1e-12)
    np.testing.assert_allclose(corral.weights[:k], kept_w / kept_w.sum(), rtol=1e-12)
    assert corral.chol_ok
    low = np.tril(corral.chol[:k, :k])
    np.testing.assert_allclose(low @ low.T, corral.gram[:k, :k] + corral.rho, atol=1e-10)


def test_grouped_oracle_splits_nights_and_equals_per_session_greedy() -> None:
    """Two nights of sessions: the window groups cover less than the whole horizon each, and the
    summed group vertices equal the per-session greedy vertex for any order."""
    grid = TimeGrid(15, 2)
    rng = np.random.default_rng(21)
    n = 1500
    night = rng.integers(0, 2, n)
    arr = 24.0 * night + rng.uniform(15.0, 23.0, n)
    dep = arr + rng.uniform(6.0, 12.0, n)
    s = Sessions(arr, dep, rng.uniform(2.0, 40.0, n), rng.choice([3.7, 7.4, 11.0], n))
    first, last, frac_first, frac_last = window_slots(s.arrival_h, s.departure_h, grid)
    caps = slot_caps_kwh(s, grid)
    energy = np.minimum(s.energy_kwh, caps.sum(axis=1))
    unit = s.max_power_kw * grid.slot_h
    grouped = GroupedClasses.build(first, last, frac_first, frac_last, unit, energy, grid.n_slots)
    assert len(grouped.groups) >= 2
    assert all(hi - lo < grid.n_slots for lo, hi, _ in grouped.groups)
    for _ in range(5):
        order = rng.permutation(grid.n_slots)
        expected = _greedy_sessions(order, caps, energy).sum(axis=0)
        np.testing.assert_allclose(grouped.greedy(order), expected, rtol=1e-12, atol=1e-9)


def test_lazy_reentry_keeps_the_certified_optimum(monkeypatch: pytest.MonkeyPatch) -> None:
    """With and without lazy re-entry of dropped vertices Wolfe stops at the same optimum."""
    grid = TimeGrid(30, 2)
    _, _, classes, _ = _instance(4, 300, grid)
    shift = 50.0 + 30.0 * np.sin(np.arange(grid.n_slots) / 48 * 2 * np.pi)
    y_lazy, orders, weights = min_norm_point(classes.greedy, shift)
    monkeypatch.setattr(_minnorm, "LAZY_SHARE", np.inf)
    y_plain, _, _ = min_norm_point(classes.greedy, shift)
    np.testing.assert_allclose(y_lazy, y_plain, rtol=1e-9, atol=1e-7)
    combo = sum(w * classes.greedy(o) for o, w in zip(orders, weights, strict=True))
    np.testing.assert_allclose(y_lazy, combo, rtol=1e-9, atol=1e-7)
    x = y_lazy + shift
    q = classes.greedy(np.argsort(x, kind="stable")) + shift
    assert float(x @ q) >= float(x @ x) * (1.0 - 1e-11)
