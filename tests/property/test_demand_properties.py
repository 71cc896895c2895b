"""Hypothesis properties of sampling + uncontrolled charging over random behaviours."""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from evgrid.charging.uncontrolled import uncontrolled
from evgrid.demand.behaviour import Behaviour
from evgrid.demand.distributions import Binned, Discrete
from evgrid.demand.sampling import sample_sessions, sample_sessions_detail
from evgrid.sessions import Sessions
from evgrid.timegrid import TimeGrid

SLOT_MIN = st.sampled_from([1, 5, 15, 60])
weights = st.lists(st.floats(0.0, 10.0), min_size=24, max_size=24).filter(lambda w: sum(w) > 0.1)


@st.composite
def behaviours(draw: st.DrawFn) -> Behaviour:
    hours = np.arange(25, dtype=np.float64)
    powers = draw(
        st.lists(
            st.sampled_from([2.3, 3.5, 7.0, 11.0, 22.0, 45.0]), min_size=1, max_size=3, unique=True
        )
    )
    intervals = draw(st.lists(st.integers(1, 7), min_size=1, max_size=3, unique=True))
    low_km = draw(st.floats(0.0, 80.0))
    return dataclasses.replace(
        Behaviour.home(),
        arrival_hour=Binned(hours, np.array(draw(weights))),
        departure_hour=Binned(hours, np.array(draw(weights))),
        distance_km=Binned(np.array([low_km, low_km + draw(st.floats(1.0, 200.0))]), np.ones(1)),
        battery_kwh=Binned.uniform(draw(st.floats(10.0, 50.0)), 100.0),
        charger_power_kw=Discrete(np.array(powers), np.ones(len(powers))),
        charge_interval_days=Discrete(np.array(intervals, dtype=float), np.ones(len(intervals))),
        charger_efficiency=draw(st.floats(0.8, 1.0)),
        min_dwell_h=draw(st.floats(0.0, 3.0)),
        min_away_h=draw(st.floats(0.0, 9.0)),
    )


@settings(max_examples=40)
@given(
    b=behaviours(),
    n=st.integers(0, 150),
    days=st.integers(1, 4),
    slot_min=SLOT_MIN,
    seed=st.integers(0, 2**32),
)
def test_sampled_sessions_and_uncontrolled_load_are_consistent(
    b: Behaviour, n: int, days: int, slot_min: int, seed: int
) -> None:
    d = sample_sessions_detail(b, n, days, rng=seed)
    s = d.sessions
    assert np.all((s.arrival_h >= 0) & (s.arrival_h < 24 * days))
    assert np.all(s.departure_h >= s.arrival_h + b.min_dwell_h - 1e-9)
    same_car = s.vehicle[1:] == s.vehicle[:-1]  # a car is in one place at a time
    assert np.all(s.arrival_h[1:][same_car] >= s.departure_h[:-1][same_car] + b.min_away_h - 1e-9)
    cap = d.battery_kwh * (d.end_soc - b.min_start_soc) / b.charger_efficiency
    assert np.all((s.energy_kwh >= 0) & (s.energy_kwh <= cap * (1 + 1e-12)))
    again = sample_sessions(b, n, days, rng=seed)
    assert np.array_equal(again.energy_kwh, s.energy_kwh)
    assert np.array_equal(again.departure_h, s.departure_h)

    grid = TimeGrid(slot_min=slot_min, n_days=days + 2)  # long enough for every departure
    sched = uncontrolled(s, grid, per_session=True)
    # energy conservation: slot energies sum to the delivered energy
    assert np.isclose(sched.energy_kwh, sched.delivered_kwh.sum(), rtol=1e-12, atol=1e-9)
    # delivered = min(requested, what the window allows at full power)
    assert np.allclose(sched.delivered_kwh, np.minimum(s.energy_kwh, s.deliverable_kwh), atol=1e-9)
    assert sched.session_kw is not None
    m = sched.session_kw.toarray()
    assert np.all(m <= s.max_power_kw[:, None] * (1 + 1e-9))
    starts = grid.starts_h
    outside = (starts[None, :] + grid.slot_h <= s.arrival_h[:, None]) | (
        starts[None, :] >= s.departure_h[:, None]
    )
    assert np.all(m[outside] == 0.0)


@settings(max_examples=40)
@given(
    n=st.integers(1, 60),
    slot_min=SLOT_MIN,
    seed=st.integers(0, 2**32),
    taper=st.one_of(st.none(), st.floats(0.5, 0.9)),
)
def test_uncontrolled_invariants_on_arbitrary_sessions(
    n: int, slot_min: int, seed: int, taper: float | None
) -> None:
    rng = np.random.default_rng(seed)
    arrival = rng.uniform(-5, 50, n)
    departure = arrival + rng.exponential(6.0, n)
    s = Sessions(arrival, departure, rng.uniform(0, 60, n), rng.choice([3.5, 7.0, 40.0], n))
    grid = TimeGrid(slot_min=slot_min, n_days=2)
    fast = uncontrolled(s, grid, taper_soc=taper, battery_kwh=80.0)
    full = uncontrolled(s, grid, taper_soc=taper, battery_kwh=80.0, per_session=True)
    assert np.allclose(fast.charging_kw, full.charging_kw, atol=1e-9)
    assert np.isclose(fast.energy_kwh, fast.delivered_kwh.sum(), rtol=1e-12, atol=1e-9)
    assert np.all(fast.unmet_kwh >= 0)
    assert np.all(fast.delivered_kwh <= s.max_power_kw * np.clip(s.duration_h, 0, None) + 1e-9)
    assert np.all(fast.charging_kw <= s.max_power_kw.sum() + 1e-9)
    # more time never lowers what a session gets
    later = Sessions(s.arrival_h, s.departure_h + 1.0, s.energy_kwh, s.max_power_kw)
    more = uncontrolled(later, grid, taper_soc=taper, battery_kwh=80.0)
    assert np.all(more.delivered_kwh >= fast.delivered_kwh - 1e-9)
