"""Partial participation and demand-response events."""

from __future__ import annotations

import numpy as np
import pytest

from evgrid.charging.demand_response import demand_response
from evgrid.charging.participation import participating_mask, with_participation
from evgrid.charging.uncontrolled import uncontrolled
from evgrid.charging.valley import valley_filling
from evgrid.errors import InputError
from evgrid.sessions import Sessions
from evgrid.timegrid import TimeGrid

GRID = TimeGrid(15, 2)
BASE = 400.0 + 200.0 * np.exp(-(((np.arange(GRID.n_slots) % 96) / 4 - 20.5) ** 2) / 4)


def evening(n: int, seed: int = 0) -> Sessions:
    rng = np.random.default_rng(seed)
    arr = rng.uniform(17, 21, n)
    return Sessions(arr, arr + rng.uniform(9, 13, n), rng.uniform(5, 25, n), np.full(n, 7.0))


def test_mask_share_and_reproducibility() -> None:
    s = evening(200)
    m = participating_mask(s, 0.3, rng=5)
    assert m.sum() == 60
    np.testing.assert_array_equal(m, participating_mask(s, 0.3, rng=5))
    with pytest.raises(InputError, match="participation"):
        participating_mask(s, 1.5)


def test_participation_ends_match_pure_strategies() -> None:
    s = evening(150)
    full = with_participation("valley-filling", s, GRID, BASE, 1.0, rng=1)
    none = with_participation("valley-filling", s, GRID, BASE, 0.0, rng=1)
    np.testing.assert_allclose(
        full.charging_kw, valley_filling(s, GRID, BASE).charging_kw, atol=1e-6
    )
    np.testing.assert_allclose(none.charging_kw, uncontrolled(s, GRID).charging_kw, atol=1e-9)


def test_total_peak_falls_with_participation() -> None:
    s = evening(300)
    peaks = [
        with_participation("valley-filling", s, GRID, BASE, p, rng=3).total_kw(BASE).max()
        for p in (0.0, 0.5, 1.0)
    ]
    assert peaks[0] > peaks[1] > peaks[2]
    sch = with_participation("valley-filling", s, GRID, BASE, 0.5, rng=3, per_session=True)
    assert sch.session_kw is not None
    np.testing.assert_allclose(sch.session_kw.toarray().sum(0), sch.charging_kw, atol=1e-6)
    assert sch.unmet_kwh.sum() == pytest.approx(0.0, abs=1e-6)


def test_demand_response_level_is_met_and_energy_shifted() -> None:
    s = evening(300)
    res = demand_response(s, GRID, BASE, (19.0, 21.0), level_kw=900.0)
    event = (GRID.starts_h >= 19.0) & (GRID.starts_h < 21.0)
    assert res.baseline.total_kw(BASE)[event].max() > 900.0
    assert res.schedule.total_kw(BASE)[event].max() <= 900.0 + 1e-6
    assert res.shifted_kwh > 0 and res.shortfall_kwh == pytest.approx(0.0, abs=1e-6)
    assert res.schedule.energy_kwh == pytest.approx(res.baseline.energy_kwh, rel=1e-9)


def test_demand_response_reports_what_could_not_be_shifted() -> None:
    s = evening(300)
    res = demand_response(s, GRID, BASE, (19.0, 21.0), level_kw=900.0, participation=0.2, rng=4)
    assert res.shortfall_kwh > 0
    res2 = demand_response(s, GRID, BASE, (19.0, 21.0), drop_kw=50.0)
    event = res2.target_kw < np.inf
    assert np.all(res2.schedule.total_kw(BASE)[event] <= res2.target_kw[event] + 1e-6)
    with pytest.raises(InputError):
        demand_response(s, GRID, BASE, (19.0, 21.0))
