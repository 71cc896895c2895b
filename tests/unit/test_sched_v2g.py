"""V2G strategy: exact small cases by hand, invariants (hypothesis), the front door, bad options."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import evgrid
from evgrid.charging.strategies import get_strategy, schedule
from evgrid.charging.v2g import EXACT_KERNEL, v2g
from evgrid.errors import InputError
from evgrid.sessions import Sessions
from evgrid.timegrid import TimeGrid

GRID2 = TimeGrid(slot_min=720, n_days=1)  # two 12-hour slots
ONE_CAR = Sessions(np.array([0.0]), np.array([24.0]), np.array([0.0]), np.array([10.0]))
BASE2 = np.array([10.0, 0.0])


def test_lossless_one_car_levels_the_two_slots() -> None:
    """A car with no energy to take, plugged in over a 10 kW and a 0 kW slot: it gives 5 kW in
    the first and takes 5 kW back in the second (the kernel path)."""
    r = v2g(
        ONE_CAR,
        GRID2,
        BASE2,
        per_session=True,
        charge_efficiency=1,
        discharge_efficiency=1,
        wear_yuan_per_kwh=0,
        soc_bounds=False,
    )
    assert r.method == EXACT_KERNEL
    np.testing.assert_allclose(BASE2 + r.charging_kw, [5.0, 5.0], atol=1e-9)
    assert r.v2g_summary()["discharged_kwh"] == pytest.approx(5.0 * 12)


def test_losses_tilt_the_levels_by_the_round_trip() -> None:
    """With 0.9 each way and no wear the discharge level is the charge level / 0.81:
    10 - g = (g / 0.81) / 0.81, so g = 10 * 0.6561 / 1.6561 kW."""
    r = v2g(
        ONE_CAR,
        GRID2,
        BASE2,
        per_session=True,
        charge_efficiency=0.9,
        discharge_efficiency=0.9,
        wear_yuan_per_kwh=0,
        soc_bounds=False,
    )
    g = 10 * 0.6561 / 1.6561
    np.testing.assert_allclose(r.charging_kw, [-g, g / 0.81], rtol=1e-9)
    assert r.delivered_kwh[0] == pytest.approx(0.0, abs=1e-9)  # the battery ends as it began


def test_wear_keeps_a_gap_of_wear_over_kappa() -> None:
    """Lossless, wear 0.02 yuan/kWh, level price 0.01 yuan/kWh per kW: discharge stops 2 kW above
    the charge level: 10 - g = g + 2, g = 4 kW."""
    r = v2g(
        ONE_CAR,
        GRID2,
        BASE2,
        per_session=True,
        charge_efficiency=1,
        discharge_efficiency=1,
        wear_yuan_per_kwh=0.02,
        level_price_yuan_per_kwh_per_kw=0.01,
        soc_bounds=False,
    )
    np.testing.assert_allclose(r.charging_kw, [-4.0, 4.0], atol=1e-9)
    assert r.wear_yuan == pytest.approx(0.02 * 4.0 * 12)


def test_the_soc_floor_caps_what_a_car_gives() -> None:
    """Battery 100 kWh, leaves at 50 % having asked nothing: it arrives with 50 kWh; a 45 %
    reserve lets it give 5 kWh of battery energy (lossless: 5 kWh at the grid)."""
    r = v2g(
        ONE_CAR,
        GRID2,
        BASE2,
        per_session=True,
        charge_efficiency=1,
        discharge_efficiency=1,
        wear_yuan_per_kwh=0,
        battery_kwh=100,
        departure_soc=0.5,
        min_soc=0.45,
    )
    np.testing.assert_allclose(r.charging_kw, [-5 / 12, 5 / 12], atol=1e-9)


@st.composite
def fleets(draw: st.DrawFn) -> tuple[Sessions, np.ndarray, dict]:
    n = draw(st.integers(1, 8))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    arrival = rng.uniform(0, 20, n)
    departure = np.minimum(arrival + rng.uniform(0.25, 14, n), 24)
    power = rng.choice([3.5, 7.0], n)
    energy = rng.uniform(0, 1.2, n) * power * (departure - arrival)  # some cannot be met
    base = rng.uniform(20, 80, 96)
    options = draw(
        st.sampled_from(
            [
                {"soc_bounds": False},
                {},
                {"battery_kwh": 15.0, "min_soc": 0.5},
                {
                    "charge_efficiency": 1,
                    "discharge_efficiency": 1,
                    "wear_yuan_per_kwh": 0,
                    "soc_bounds": False,
                },
            ]
        )
    )
    return Sessions(arrival, departure, energy, power), base, options


@given(fleets())
def test_invariants(case: tuple[Sessions, np.ndarray, dict]) -> None:
    """Every owner gets min(energy asked, what its window allows); no power outside a window or
    above a limit; per-session rows sum to the aggregate; the state of charge stays above the
    floor."""
    s, base, options = case
    grid = TimeGrid(slot_min=15, n_days=1)
    r = v2g(s, grid, base, per_session=True, **options)
    assert r.session_kw is not None
    dense = r.session_kw.toarray()
    np.testing.assert_allclose(dense.sum(axis=0), r.charging_kw, atol=1e-7)
    from evgrid.charging._windows import availability

    a = availability(s, grid)
    assert np.all(dense <= s.max_power_kw[:, None] * a + 1e-7)
    assert np.all(-dense <= np.minimum(s.max_power_kw, 7.0)[:, None] * a + 1e-7)
    can = np.minimum(s.energy_kwh, s.max_power_kw * a.sum(axis=1) * grid.slot_h)
    assert np.all(r.delivered_kwh >= can - 1e-6)
    if options.get("soc_bounds", True):
        eta_c = options.get("charge_efficiency", 0.933)
        eta_d = options.get("discharge_efficiency", 0.933)
        cap = options.get("battery_kwh", 65.0)
        gain = grid.slot_h * (eta_c * np.maximum(dense, 0) - np.maximum(-dense, 0) / eta_d)
        arrival = 0.9 * cap - eta_c * can
        soc = arrival[:, None] + np.cumsum(gain, axis=1)
        floor = np.minimum(arrival, options.get("min_soc", 0.3) * cap)
        assert np.all(soc >= floor[:, None] - 1e-6)


def test_the_front_door_and_registry() -> None:
    assert "v2g" in evgrid.charging.strategy_names()
    assert not get_strategy("v2g").minimises_peak
    s = Sessions(
        np.array([18.0, 19.0]), np.array([31.0, 32.0]), np.array([10.0, 8.0]), np.array([7.0, 7.0])
    )
    base = 100 + 60 * np.sin((np.arange(192) / 4 - 14) / 24 * 2 * np.pi)
    r = schedule(s, "v2g", base_kw=base, wear_yuan_per_kwh=0.05)
    assert set(r.summary(base)) == set(schedule(s, "valley-filling", base_kw=base).summary(base))
    assert (base + r.charging_kw)[80] < base[80] - 5  # it gave energy at 20:00, the peak


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("wear_yuan_per_kwh", -1.0),
        ("charge_efficiency", 1.5),
        ("min_soc", 2.0),
        ("discharge_kw", np.array([1.0, 2.0, 3.0])),
        ("soc_bounds", "yes"),
        ("level_price_yuan_per_kwh_per_kw", 0.0),
    ],
)
def test_bad_options_name_the_library_parameter(option: str, value: object) -> None:
    with pytest.raises(InputError, match=option):
        v2g(ONE_CAR, GRID2, BASE2, **{option: value})
