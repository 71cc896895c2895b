"""Kernels of the time-series hosting capacity: counts, prefix loads, search, daily blocks."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from evgrid.charging.uncontrolled import uncontrolled
from evgrid.charging.valley import valley_filling
from evgrid.planning.timeseries import montecarlo as mc
from evgrid.planning.timeseries.blocks import DayBlocks, cut_phase, solve_by_blocks
from evgrid.sessions import Sessions
from evgrid.timegrid import TimeGrid


def overnight_sessions(n_cars: int, days: int, seed: int) -> Sessions:
    """Evening-to-morning sessions, one per car and day (no window crosses noon)."""
    rng = np.random.default_rng(seed)
    day = np.repeat(np.arange(days), n_cars)
    n = day.size
    return Sessions(
        arrival_h=day * 24.0 + rng.uniform(17.0, 22.0, n),
        departure_h=day * 24.0 + 24.0 + rng.uniform(6.0, 9.0, n),
        energy_kwh=rng.uniform(2.0, 12.0, n),
        max_power_kw=rng.choice([3.5, 7.0], n),
        vehicle=np.tile(np.arange(n_cars), days),
    )


def test_pile_counts_round_half_up_and_clip() -> None:
    counts = mc.pile_counts(mc.PILE_RATIOS, 324)
    assert counts[0] == 0 and counts[-1] == 324
    assert counts[10] == 32  # 32.4 -> 32
    assert mc.pile_counts([0.29], 100)[0] == 29  # 28.999999999999996 -> 29
    assert mc.pile_counts([0.005], 100)[0] == 1  # 0.5 -> 1 (half up)
    assert np.all(np.diff(counts) >= 0)


def test_prefix_loads_equal_brute_force_sums() -> None:
    rng = np.random.default_rng(0)
    n_sessions, n_slots = 40, 12
    dense = rng.uniform(0, 5, (n_sessions, n_slots)) * (rng.random((n_sessions, n_slots)) < 0.3)
    rank = rng.integers(0, 10, n_sessions)
    counts = np.array([0, 1, 3, 3, 7, 10])
    bucket = mc.session_buckets(rank, counts)
    got = mc.prefix_loads(sp.csr_array(dense), bucket, counts.size)
    want = np.stack([dense[rank < k].sum(axis=0) for k in counts])
    np.testing.assert_allclose(got, want, atol=1e-12)
    totals = mc.prefix_sums(dense.sum(axis=1), bucket, counts.size)
    np.testing.assert_allclose(totals, want.sum(axis=1), atol=1e-12)


def test_max_passing_index_is_prefix_rule() -> None:
    assert mc.max_passing_index(np.array([0.5, 0.7, 0.8, 0.81, 0.6]), 0.8) == 2
    assert mc.max_passing_index(np.array([0.9, 0.7]), 0.8) == -1
    assert mc.max_passing_index(np.array([0.1, 0.2]), 0.8) == 1
    # equal to the limit up to round-off passes (community A sits on the line)
    assert mc.max_passing_index(np.array([0.8 * (1 + 1e-12)]), 0.8) == 0


@pytest.mark.parametrize("boundary", [-1, 0, 13, 57, 100])
def test_bisection_finds_boundary(boundary: int) -> None:
    calls: list[int] = []

    def ok(i: int) -> bool:
        calls.append(i)
        return i <= boundary

    assert mc.bisect_max_passing(ok, 0, 100) == boundary
    assert len(calls) <= 9  # log2(100) + 2


def test_daily_metric_loading_is_daily_peak() -> None:
    loading = np.arange(3 * 4, dtype=np.float64).reshape(1, 12) / 20.0
    got = mc.daily_metric(
        loading,
        criterion="loading",
        slots_per_day=4,
        eval_days=slice(1, 3),
        slot_min=360.0,
        ambient_c=20.0,
    )
    np.testing.assert_allclose(got, [[7 / 20, 11 / 20]])


def test_daily_metric_thermal_increases_with_load() -> None:
    grid = TimeGrid(15, 3)
    flat = np.full((2, grid.n_slots), 0.5)
    flat[1] = 1.0
    hot = mc.daily_metric(
        flat,
        criterion="hotspot",
        slots_per_day=96,
        eval_days=slice(1, 2),
        slot_min=15.0,
        ambient_c=20.0,
    )
    ageing = mc.daily_metric(
        flat,
        criterion="ageing",
        slots_per_day=96,
        eval_days=slice(1, 2),
        slot_min=15.0,
        ambient_c=20.0,
    )
    assert hot[1, 0] > hot[0, 0] > 20.0
    assert ageing[1, 0] > ageing[0, 0] > 0.0


def test_cut_falls_between_windows() -> None:
    grid = TimeGrid(15, 5)
    sessions = overnight_sessions(30, 4, seed=1)
    hour = cut_phase(sessions, grid) * grid.slot_h
    assert 9.0 <= hour <= 17.0  # between morning departures and evening arrivals
    blocks = DayBlocks(grid, cut_phase(sessions, grid))
    block, clipped = blocks.assign(sessions)
    np.testing.assert_array_equal(clipped.arrival_h, sessions.arrival_h)  # nothing crosses
    np.testing.assert_array_equal(clipped.departure_h, sessions.departure_h)
    np.testing.assert_array_equal(block, blocks.block_of_day(0) + sessions.arrival_h // 24)


def test_blocks_equal_whole_horizon_valley_filling() -> None:
    grid = TimeGrid(15, 4)
    sessions = overnight_sessions(25, 3, seed=2)
    hour = grid.hour_of_day()
    base = 60.0 + 40.0 * np.exp(-(((hour - 20.5) / 2.5) ** 2))
    whole = valley_filling(sessions, grid, base)
    blocks, requested, delivered = solve_by_blocks(
        valley_filling, sessions, grid, base, rng=np.random.default_rng(0)
    )
    np.testing.assert_allclose(blocks, whole.charging_kw, atol=1e-6)
    assert requested == pytest.approx(float(sessions.energy_kwh.sum()))
    assert delivered == pytest.approx(float(whole.delivered_kwh.sum()))


def test_crossing_window_goes_to_the_block_with_its_larger_part() -> None:
    grid = TimeGrid(15, 4)
    blocks = DayBlocks(grid, 48)  # blocks from 12:00 to 12:00
    sessions = Sessions(
        [10.0, 5.0, 30.0], [20.0, 60.0, 34.0], [5.0, 30.0, 5.0], [7.0, 7.0, 7.0]
    )  # 2 h before noon and 8 h after; 55 h over two cuts; inside one block
    block, clipped = blocks.assign(sessions)
    np.testing.assert_array_equal(block, [1, 1, 1])  # block 1 is day 0 12:00 .. day 1 12:00
    np.testing.assert_allclose(clipped.arrival_h, [12.0, 12.0, 30.0])
    np.testing.assert_allclose(clipped.departure_h, [20.0, 36.0, 34.0])
    charging, requested, delivered = solve_by_blocks(
        uncontrolled, sessions, grid, np.zeros(grid.n_slots), rng=np.random.default_rng(0), phase=48
    )
    assert requested == pytest.approx(40.0)
    assert delivered == pytest.approx(40.0)  # every clipped window still holds its energy
    assert charging.sum() * grid.slot_h == pytest.approx(delivered)
    assert charging[: 12 * 4].sum() == 0.0  # nothing before the first session's block starts
