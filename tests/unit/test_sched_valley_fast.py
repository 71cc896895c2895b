"""Fast valley-filling kernels: the class-table greedy oracle and the compiled Wolfe loop.

The pieces of the Wolfe loop (Cholesky updates, the affine minimiser, the merge sort) are checked
on their numba versions, which the C kernels equal bit for bit
(``test_sched_valley_kernels.py``); they need the ``numba`` extra.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from evgrid.charging._minnorm import (
    _affine_minimiser,
    _append_factor_row,
    _argsort,
    _delete_factor_row,
    _factor,
    min_norm_point,
)
from evgrid.charging._oracle import WindowClasses, session_schedules
from evgrid.charging._windows import slot_caps_kwh, window_slots
from evgrid.charging.valley import valley_filling
from evgrid.sessions import Sessions
from evgrid.timegrid import TimeGrid

needs_numba = pytest.mark.skipif(
    importlib.util.find_spec("numba") is None, reason="numba is not installed"
)


def _greedy_sessions(order: np.ndarray, caps: np.ndarray, energy: np.ndarray) -> np.ndarray:
    """Reference greedy vertex per session (dense): each session fills its slot caps in the
    order until its energy is delivered ``(n, m)`` [kWh]."""
    ordered = caps[:, order]
    before = np.cumsum(ordered, axis=1) - ordered
    alloc = np.clip(energy[:, None] - before, 0.0, ordered)
    out = np.empty_like(alloc)
    out[:, order] = alloc
    return out


def _instance(
    seed: int, n: int, grid: TimeGrid
) -> tuple[Sessions, np.ndarray, WindowClasses, np.ndarray]:
    """Random sessions with partial first/last slots, one-slot windows and binding energies."""
    rng = np.random.default_rng(seed)
    arr = rng.uniform(0.0, grid.horizon_h - 0.1, n)
    dur = np.where(rng.random(n) < 0.2, rng.uniform(0.01, grid.slot_h, n), rng.uniform(0.2, 12, n))
    s = Sessions(arr, arr + dur, rng.uniform(0.5, 40.0, n), rng.choice([3.7, 7.4, 11.0], n))
    first, last, frac_first, frac_last = window_slots(s.arrival_h, s.departure_h, grid)
    caps = slot_caps_kwh(s, grid)
    energy = np.minimum(s.energy_kwh, caps.sum(axis=1))
    unit = s.max_power_kw * grid.slot_h
    classes = WindowClasses.build(first, last, frac_first, frac_last, unit, energy, grid.n_slots)
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


def test_session_schedules_equal_the_dense_per_session_greedy() -> None:
    grid = TimeGrid(30, 2)
    s, caps, _, energy = _instance(3, 200, grid)
    first, last, frac_first, frac_last = window_slots(s.arrival_h, s.departure_h, grid)
    rng = np.random.default_rng(9)
    orders = np.stack([rng.permutation(grid.n_slots) for _ in range(4)])
    weights = rng.dirichlet(np.ones(4))
    unit = s.max_power_kw * grid.slot_h
    got = session_schedules(orders, weights, first, last, frac_first, frac_last, unit, energy)
    pairs = zip(orders, weights, strict=True)
    expected = sum(w * _greedy_sessions(o, caps, energy) for o, w in pairs)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_min_norm_point_is_certified_convex_combination() -> None:
    grid = TimeGrid(15, 1)
    _, _, classes, energy = _instance(7, 400, grid)
    shift = 40.0 + 25.0 * np.cos(np.arange(grid.n_slots) / grid.n_slots * 2 * np.pi)
    y, orders, weights = min_norm_point(classes, shift)
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


@needs_numba
def test_affine_minimiser_and_its_ridge_fallback_match_the_kkt_solution() -> None:
    rng = np.random.default_rng(5)
    pts = rng.normal(size=(5, 8)) + 2.0
    off = pts - pts[0]
    gram, cross, rho = off @ off.T, off @ pts[0], float(pts[0] @ pts[0]) / 8
    chol = np.zeros((5, 5))
    assert _factor(gram, rho, chol, 5)
    kkt = np.block([[gram, np.ones((5, 1))], [np.ones((1, 5)), np.zeros((1, 1))]])
    expected = np.linalg.solve(kkt, np.append(-cross, 1.0))[:5]
    for chol_ok in (True, False):
        alpha = _affine_minimiser(gram, cross, chol, chol_ok, rho, 5)
        np.testing.assert_allclose(alpha, expected, atol=1e-8)
    x = pts[0] + expected @ off  # the residual is orthogonal to the affine hull
    np.testing.assert_allclose((off[1:] - off[0]) @ x, 0.0, atol=1e-9)


@needs_numba
def test_appending_and_deleting_factor_rows_equal_a_fresh_cholesky_factor() -> None:
    rng = np.random.default_rng(8)
    off = rng.normal(size=(7, 10))
    gram, rho = off @ off.T, 0.7
    chol = np.zeros((7, 7))
    chol[0, 0] = np.sqrt(gram[0, 0] + rho)
    for k in range(1, 7):  # grown row by row, as Wolfe adds vertices
        assert _append_factor_row(gram, rho, chol, k)
    np.testing.assert_allclose(np.tril(chol), np.linalg.cholesky(gram + rho), atol=1e-12)
    fresh = np.zeros((7, 7))
    assert _factor(gram, rho, fresh, 7)
    np.testing.assert_allclose(fresh, chol, atol=1e-12)
    for j, size in ((2, 7), (5, 6), (0, 5)):  # rows of the current (shrinking) matrix
        _delete_factor_row(chol, j, size)
        gram = np.delete(np.delete(gram, j, axis=0), j, axis=1)
        low = np.tril(chol[: size - 1, : size - 1])
        np.testing.assert_allclose(low, np.linalg.cholesky(gram + rho), atol=1e-12)
    assert not _factor(-np.eye(3), 0.0, np.zeros((3, 3)), 3)


@needs_numba
def test_compiled_argsort_is_the_stable_argsort() -> None:
    rng = np.random.default_rng(3)
    for size in (1, 2, 7, 96, 193):
        x = rng.integers(0, 5, size).astype(float)  # many ties
        np.testing.assert_array_equal(_argsort(x), np.argsort(x, kind="stable"))


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


def test_two_night_oracle_equals_per_session_greedy() -> None:
    """Two nights of sessions on a 2-day grid: the class walk (which stops once a class is full)
    equals the per-session greedy vertex for any order."""
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
    classes = WindowClasses.build(first, last, frac_first, frac_last, unit, energy, grid.n_slots)
    assert np.any(classes.top < classes.last - classes.first - 1)  # the walk stops early
    for _ in range(5):
        order = rng.permutation(grid.n_slots)
        expected = _greedy_sessions(order, caps, energy).sum(axis=0)
        np.testing.assert_allclose(classes.greedy(order), expected, rtol=1e-12, atol=1e-9)


def test_lazy_reentry_keeps_the_certified_optimum() -> None:
    """With and without lazy re-entry of dropped vertices Wolfe stops at the same optimum."""
    grid = TimeGrid(30, 2)
    _, _, classes, _ = _instance(4, 300, grid)
    shift = 50.0 + 30.0 * np.sin(np.arange(grid.n_slots) / 48 * 2 * np.pi)
    y_lazy, orders, weights = min_norm_point(classes, shift)
    y_plain, _, _ = min_norm_point(classes, shift, lazy_share=np.inf)
    np.testing.assert_allclose(y_lazy, y_plain, rtol=1e-9, atol=1e-7)
    combo = sum(w * classes.greedy(o) for o, w in zip(orders, weights, strict=True))
    np.testing.assert_allclose(y_lazy, combo, rtol=1e-9, atol=1e-7)
    x = y_lazy + shift
    q = classes.greedy(np.argsort(x, kind="stable")) + shift
    assert float(x @ q) >= float(x @ x) * (1.0 - 1e-11)
