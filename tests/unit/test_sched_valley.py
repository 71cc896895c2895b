"""Valley filling: exact small cases, per-session schedules, unmet energy."""

from __future__ import annotations

import numpy as np
import pytest

from evgrid.charging.valley import valley_filling
from evgrid.sessions import Sessions
from evgrid.timegrid import TimeGrid

GRID = TimeGrid(slot_min=60, n_days=1)


def one(arr: float, dep: float, e: float, p: float) -> Sessions:
    return Sessions(np.array([arr]), np.array([dep]), np.array([e]), np.array([p]))


def test_single_session_flat_base_spreads_evenly() -> None:
    s = one(0.0, 4.0, 8.0, 7.0)
    sch = valley_filling(s, GRID, np.zeros(24))
    np.testing.assert_allclose(sch.charging_kw[:4], 2.0, atol=1e-9)
    assert sch.charging_kw[4:].max() == pytest.approx(0.0, abs=1e-12)
    assert sch.unmet_kwh.sum() == pytest.approx(0.0, abs=1e-12)


def test_fills_the_valley_of_the_base() -> None:
    base = np.full(24, 10.0)
    base[2] = 4.0  # valley
    s = one(0.0, 4.0, 8.0, 7.0)
    sch = valley_filling(s, GRID, base)
    # water level L: (L - 4) + 3 * (L - 10) = 8 -> L = 10.5; slot 2 capped at 7 kW -> 6.5 < 7
    np.testing.assert_allclose(sch.total_kw(base)[:4], 10.5, atol=1e-9)


def test_cap_binds_in_the_valley() -> None:
    base = np.full(24, 10.0)
    base[2] = 0.0
    s = one(0.0, 4.0, 8.0, 5.0)
    sch = valley_filling(s, GRID, base)
    # slot 2 takes its 5 kW cap, the other 3 kWh spread over 3 slots at 1 kW
    np.testing.assert_allclose(sch.charging_kw[:4], [1.0, 1.0, 5.0, 1.0], atol=1e-9)


def test_partial_slots_use_their_availability() -> None:
    s = one(0.5, 2.25, 10.0, 10.0)  # available 0.5, 1.0, 0.25 of slots 0, 1, 2
    sch = valley_filling(s, GRID, None, per_session=True)
    assert sch.session_kw is not None
    kw = sch.session_kw.toarray()[0]
    assert kw[0] <= 5.0 + 1e-9 and kw[2] <= 2.5 + 1e-9
    assert kw.sum() == pytest.approx(10.0)
    # 10 kWh in 1.75 h of 10 kW: min peak 5 kW in slots 0 and 1 ... slot 2 capped at 2.5
    assert sch.peak_kw == pytest.approx(3.75, abs=1e-9)


def test_infeasible_session_gets_what_fits_and_reports_unmet() -> None:
    s = one(20.0, 30.0, 50.0, 7.0)  # 4 h left on a one-day horizon: 28 kWh at most
    sch = valley_filling(s, GRID, None)
    assert sch.delivered_kwh[0] == pytest.approx(28.0)
    assert sch.unmet_kwh[0] == pytest.approx(22.0)
    assert sch.energy_kwh == pytest.approx(28.0)


def test_per_session_respects_windows_caps_energies() -> None:
    rng = np.random.default_rng(3)
    n = 120
    arr = rng.uniform(0, 20, n)
    dep = arr + rng.uniform(0.3, 10, n)
    s = Sessions(arr, dep, rng.uniform(1, 40, n), rng.choice([3.5, 7.0, 11.0], n))
    grid = TimeGrid(15, 2)
    base = 50 + 30 * np.cos(np.arange(grid.n_slots) / 96 * 2 * np.pi)
    sch = valley_filling(s, grid, base, per_session=True)
    assert sch.session_kw is not None
    kw = sch.session_kw.toarray()
    edges = grid.edges_h
    avail = (
        np.clip(np.minimum(dep[:, None], edges[1:]) - np.maximum(arr[:, None], edges[:-1]), 0, None)
        / grid.slot_h
    )
    assert np.all(kw >= -1e-9)
    assert np.all(kw <= s.max_power_kw[:, None] * avail + 1e-7)
    np.testing.assert_allclose(
        kw.sum(axis=1) * grid.slot_h, sch.delivered_kwh, rtol=1e-9, atol=1e-7
    )
    np.testing.assert_allclose(kw.sum(axis=0), sch.charging_kw, rtol=1e-9, atol=1e-7)
    np.testing.assert_allclose(
        sch.delivered_kwh, np.minimum(s.energy_kwh, s.max_power_kw * (dep - arr)), rtol=1e-12
    )


def test_kkt_certificate_each_session_uses_its_lowest_levels() -> None:
    """Optimality: a session never charges in a slot whose level is above a slot it left room in."""
    rng = np.random.default_rng(11)
    n = 80
    arr = rng.uniform(0, 16, n)
    dep = arr + rng.uniform(1, 8, n)
    s = Sessions(arr, dep, rng.uniform(1, 30, n), rng.choice([3.5, 7.0], n))
    grid = TimeGrid(15, 1)
    base = 40 + 20 * np.sin(np.arange(96) / 96 * 2 * np.pi)
    sch = valley_filling(s, grid, base, per_session=True)
    assert sch.session_kw is not None
    kw = sch.session_kw.toarray()
    level = sch.total_kw(base)
    edges = grid.edges_h
    cap = (
        s.max_power_kw[:, None]
        * np.clip(
            np.minimum(dep[:, None], edges[1:]) - np.maximum(arr[:, None], edges[:-1]), 0, None
        )
        / grid.slot_h
    )
    tol = 1e-6 * level.max()
    for i in range(n):
        used = kw[i] > 1e-7
        room = kw[i] < cap[i] - 1e-7
        if used.any() and room.any():
            assert level[used].max() <= level[room].min() + tol


def test_empty_and_zero_energy_sessions() -> None:
    empty = Sessions(np.empty(0), np.empty(0), np.empty(0), np.empty(0))
    sch = valley_filling(empty, GRID, np.ones(24), per_session=True)
    assert sch.peak_kw == 0.0 and sch.delivered_kwh.size == 0
    z = one(1.0, 3.0, 0.0, 7.0)
    assert valley_filling(z, GRID).peak_kw == 0.0
