"""Closed-form daily optimal peak (evgrid.charging.minpeak) against brute force and the optimum."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from evgrid.charging._windows import slot_caps_kwh, window_slots
from evgrid.charging.lp import min_peak_lp
from evgrid.charging.minpeak import min_peak_kwh
from evgrid.charging.valley import valley_filling
from evgrid.sessions import Sessions
from evgrid.timegrid import TimeGrid


def kernel_peak_kw(sessions: Sessions, grid: TimeGrid, base_kw: np.ndarray) -> float:
    """The kernel on one block holding the whole grid, one bucket [kW]."""
    first, last, frac_first, frac_last = window_slots(
        sessions.arrival_h, sessions.departure_h, grid
    )
    caps = slot_caps_kwh(sessions, grid)
    n = len(sessions)
    peak = min_peak_kwh(
        np.zeros(n, dtype=np.int64),
        first,
        last,
        frac_first,
        frac_last,
        sessions.max_power_kw * grid.slot_h,
        np.minimum(sessions.energy_kwh, caps.sum(axis=1)),
        np.zeros(n, dtype=np.int64),
        (base_kw * grid.slot_h)[None, None, :],
    )
    return float(peak[0, 0]) / grid.slot_h


def interval_peak_kw(sessions: Sessions, grid: TimeGrid, base_kw: np.ndarray) -> float:
    """Brute force: the largest density of forced energy + base over all intervals [kW]."""
    caps = slot_caps_kwh(sessions, grid)
    slack = caps.sum(axis=1) - np.minimum(sessions.energy_kwh, caps.sum(axis=1))
    cum = np.concatenate([np.zeros((len(sessions), 1)), np.cumsum(caps, axis=1)], axis=1)
    base = np.concatenate([[0.0], np.cumsum(base_kw * grid.slot_h)])
    best = 0.0
    for s in range(grid.n_slots):
        for t in range(s, grid.n_slots):
            forced = np.maximum(cum[:, t + 1] - cum[:, s] - slack, 0.0).sum()
            best = max(best, (forced + base[t + 1] - base[s]) / (t - s + 1))
    return best / grid.slot_h


def random_instance(seed: int, n: int, slot_min: int) -> tuple[Sessions, TimeGrid, np.ndarray]:
    rng = np.random.default_rng(seed)
    grid = TimeGrid(slot_min, 1)
    arrival = rng.uniform(0.0, 22.0, n)
    departure = np.minimum(arrival + rng.uniform(0.2, 12.0, n), 24.0)
    power = rng.choice([1.0, 3.5, 7.0], n)
    energy = rng.uniform(0.1, 1.1, n) * power * (departure - arrival)  # some cannot finish
    base = rng.uniform(0.0, 10.0, grid.n_slots)
    return Sessions(arrival, departure, energy, power), grid, base


@pytest.mark.parametrize(
    ("seed", "slot_min"), [(s, 60) for s in range(12)] + [(s, 15) for s in range(4)]
)
def test_kernel_equals_brute_force_over_intervals(seed: int, slot_min: int) -> None:
    """Random windows with fractional first and last slots, some cars unable to finish."""
    n = 1 + seed % 9 if slot_min == 60 else 25
    sessions, grid, base = random_instance(seed, n=n, slot_min=slot_min)
    assert kernel_peak_kw(sessions, grid, base) == pytest.approx(
        interval_peak_kw(sessions, grid, base), rel=1e-12
    )


@given(st.integers(0, 10**6), st.integers(1, 12))
def test_kernel_never_above_the_optimal_peak(seed: int, n: int) -> None:
    sessions, grid, base = random_instance(seed, n, slot_min=120)
    optimum = valley_filling(sessions, grid, base).total_kw(base).max()
    assert kernel_peak_kw(sessions, grid, base) <= optimum * (1 + 1e-9)


def test_blocks_and_buckets_accumulate() -> None:
    """Two blocks, three buckets: each (block, bucket) equals its own brute force."""
    sessions, grid, base = random_instance(3, n=9, slot_min=60)
    bucket = np.arange(9) % 3
    block = (np.arange(9) >= 5).astype(np.int64)
    first, last, frac_first, frac_last = window_slots(
        sessions.arrival_h, sessions.departure_h, grid
    )
    energy = np.minimum(sessions.energy_kwh, slot_caps_kwh(sessions, grid).sum(axis=1))
    base2 = np.stack([np.stack([base, base + 1.0, base + 2.0])] * 2)  # (block, bucket, slot)
    peak = min_peak_kwh(
        block, first, last, frac_first, frac_last, sessions.max_power_kw, energy, bucket, base2
    )
    for b in range(2):
        for k in range(3):
            present = (block == b) & (bucket <= k)
            expected = interval_peak_kw(sessions.take(present), grid, base2[b, k])
            assert peak[b, k] == pytest.approx(expected, rel=1e-12)


def test_overnight_charging_equals_valley_filling_and_lp() -> None:
    """Realistic evening-to-morning sessions: the tight set is the filled valley, an interval."""
    rng = np.random.default_rng(5)
    grid = TimeGrid(15, 2)
    n = 150
    sessions = Sessions(
        rng.uniform(17.0, 23.0, n),
        24.0 + rng.uniform(6.0, 9.0, n),
        rng.uniform(2.0, 30.0, n),
        rng.choice([3.5, 7.0], n),
    )
    hour = grid.hour_of_day()
    base = 150.0 + 120.0 * np.exp(-(((hour - 20.5) / 2.5) ** 2))
    kernel = kernel_peak_kw(sessions, grid, base)
    optimum = valley_filling(sessions, grid, base).total_kw(base).max()
    _, lp_peak_kw = min_peak_lp(sessions, grid, base)
    assert kernel > base.max()  # the valley is filled above the evening peak
    assert kernel == pytest.approx(optimum, rel=1e-9)
    assert kernel == pytest.approx(lp_peak_kw, rel=1e-6)


def test_non_interval_tight_set_gives_a_lower_bound() -> None:
    """Documented limitation: a rate-limited car straddling a slot with spare room.

    Cars B (slot 0) and C (slot 2) need 1 kWh each; car A (slots 0-2, 1.25 kW) needs 2.5 kWh,
    so at least 1.25 kWh of it falls in slots {0, 2}: the optimal peak is 3.25 / 2 = 1.625 kW,
    while the best interval, all three slots, gives 4.5 / 3 = 1.5 kW.
    """
    grid = TimeGrid(60, 1)
    sessions = Sessions([0.0, 2.0, 0.0], [1.0, 3.0, 3.0], [1.0, 1.0, 2.5], [1.0, 1.0, 1.25])
    base = np.zeros(grid.n_slots)
    optimum = valley_filling(sessions, grid, base).total_kw(base).max()
    assert optimum == pytest.approx(1.625)
    assert kernel_peak_kw(sessions, grid, base) == pytest.approx(1.5)
