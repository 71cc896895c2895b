"""Fast valley filling against the HiGHS references: minimum peak (LP) and sum of squares (QP)."""

from __future__ import annotations

import numpy as np
import pytest

from evgrid.charging.lp import min_peak_lp, min_sum_squares_qp
from evgrid.charging.valley import valley_filling
from evgrid.sessions import Sessions
from evgrid.timegrid import TimeGrid

PEAK_RTOL = 1e-6
"""Valley filling against the LP: the peak equals the LP minimum peak within 1e-6 relative."""


def random_instance(n: int, seed: int, days: int = 1) -> tuple[Sessions, TimeGrid, np.ndarray]:
    """Heterogeneous windows, rates and energies, some sessions beyond the horizon or infeasible."""
    rng = np.random.default_rng(seed)
    grid = TimeGrid(15, days)
    horizon = grid.horizon_h
    arr = rng.uniform(0, horizon - 1, n)
    dep = arr + rng.exponential(6.0, n) + 0.1
    power = rng.choice([3.3, 3.5, 7.0, 11.0, 22.0], n)
    energy = rng.uniform(1, 60, n)
    t = grid.starts_h
    base = 5.0 * n * (0.6 + 0.4 * np.sin((t - 14) / 24 * 2 * np.pi) ** 2) + rng.uniform(
        0, n, t.size
    )
    return Sessions(arr, dep, energy, power), grid, base


@pytest.mark.parametrize(
    ("n", "seed", "days"), [(200, 1, 1), (300, 2, 1), (400, 3, 2), (250, 4, 1)]
)
def test_valley_peak_equals_lp_minimum(n: int, seed: int, days: int) -> None:
    s, grid, base = random_instance(n, seed, days)
    vf = valley_filling(s, grid, base)
    lp, lp_peak = min_peak_lp(s, grid, base)
    assert vf.total_kw(base).max() == pytest.approx(lp_peak, rel=PEAK_RTOL)
    np.testing.assert_allclose(vf.delivered_kwh, lp.delivered_kwh, rtol=1e-9, atol=1e-9)
    assert vf.unmet_kwh.sum() > 0  # the instances include infeasible sessions


@pytest.mark.parametrize("seed", [5, 6])
def test_valley_sum_of_squares_equals_qp(seed: int) -> None:
    s, grid, base = random_instance(60, seed)
    vf = valley_filling(s, grid, base)
    qp_kw = min_sum_squares_qp(s, grid, base)
    ss_vf = float(np.sum(vf.total_kw(base) ** 2))
    ss_qp = float(np.sum((base + qp_kw) ** 2))
    assert ss_vf == pytest.approx(ss_qp, rel=1e-9)
    # the optimal aggregate is unique (strictly convex objective)
    np.testing.assert_allclose(vf.charging_kw, qp_kw, atol=1e-4 * base.max())


def test_valley_with_flat_base_matches_lp() -> None:
    s, grid, _ = random_instance(150, 9)
    base = np.full(grid.n_slots, 300.0)
    vf = valley_filling(s, grid, base)
    _, lp_peak = min_peak_lp(s, grid, base)
    assert vf.total_kw(base).max() == pytest.approx(lp_peak, rel=PEAK_RTOL)
