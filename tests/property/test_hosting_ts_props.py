"""Hypothesis properties of the time-series hosting curve (uncontrolled and TOU, prefix sums)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from evgrid.charging.uncontrolled import uncontrolled
from evgrid.grid.transformer import Transformer
from evgrid.planning.timeseries.run import hosting_curve
from evgrid.sessions import Sessions
from evgrid.timegrid import TimeGrid


@st.composite
def sites(draw: st.DrawFn) -> tuple[np.ndarray, Sessions, int, TimeGrid]:
    """Random small sites: cars, days, slot length, windows, energies, powers, base load."""
    n_cars = draw(st.integers(1, 25))
    days = draw(st.integers(1, 3))
    slot_min = draw(st.sampled_from([15.0, 30.0, 60.0]))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    grid = TimeGrid(slot_min, days + 2)
    n_days_sampled = days + 1
    per_car = rng.random((n_days_sampled, n_cars)) < draw(st.floats(0.2, 1.0))
    day, car = np.nonzero(per_car)
    n = day.size
    arrival = day * 24.0 + rng.uniform(0.0, 24.0, n)
    sessions = Sessions(
        arrival_h=arrival,
        departure_h=arrival + rng.uniform(0.0, 20.0, n),
        energy_kwh=rng.uniform(0.0, 40.0, n),
        max_power_kw=rng.choice([3.5, 7.0, 30.0], n),
        vehicle=car.astype(np.int64),
    )
    base = rng.uniform(5.0, 50.0, grid.n_slots)
    return base, sessions, n_cars, grid


@settings(max_examples=40, deadline=None)
@given(site=sites(), strategy=st.sampled_from(["uncontrolled", "tou"]), seed=st.integers(0, 99))
def test_curve_monotone_bands_ordered_and_reproducible(
    site: tuple[np.ndarray, Sessions, int, TimeGrid], strategy: str, seed: int
) -> None:
    base, sessions, n_cars, grid = site
    result = hosting_curve(
        base,
        sessions,
        n_cars,
        grid=grid,
        transformer=Transformer(100.0),
        strategy=strategy,
        rng=seed,
    )
    assert np.all(np.diff(result.loading_p50) >= -1e-12)
    assert np.all(np.diff(result.loading_p95) >= -1e-12)
    assert np.all(result.loading_p95 >= result.loading_p50 - 1e-12)
    assert result.max_pile_ratio_p95 <= result.max_pile_ratio_p50
    again = hosting_curve(
        base,
        sessions,
        n_cars,
        grid=grid,
        transformer=Transformer(100.0),
        strategy=strategy,
        rng=seed,
    )
    np.testing.assert_array_equal(result.loading_p95, again.loading_p95)


@settings(max_examples=40, deadline=None)
@given(site=sites(), seed=st.integers(0, 99))
def test_full_ratio_is_uncontrolled_load_of_every_car(
    site: tuple[np.ndarray, Sessions, int, TimeGrid], seed: int
) -> None:
    """At ratio 1 every car is present: the prefix sums give the direct aggregate."""
    base, sessions, n_cars, grid = site
    result = hosting_curve(
        base, sessions, n_cars, grid=grid, transformer=Transformer(100.0), rng=seed
    )
    total = base + uncontrolled(sessions, grid).charging_kw
    daily_peak = (total / 100.0).reshape(grid.n_days, -1)[1:-1].max(axis=1)
    np.testing.assert_allclose(result.loading_p50[-1], np.percentile(daily_peak, 50), rtol=1e-9)
    np.testing.assert_allclose(result.loading_p95[-1], np.percentile(daily_peak, 95), rtol=1e-9)
    np.testing.assert_allclose(
        result.loading_p95[0],
        np.percentile((base / 100.0).reshape(grid.n_days, -1)[1:-1].max(axis=1), 95),
        rtol=1e-9,
    )
