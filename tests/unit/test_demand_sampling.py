"""Session sampling: determinism, windows, energy model, chunking."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import evgrid.demand.sampling as sampling
from evgrid.demand.behaviour import Behaviour
from evgrid.demand.distributions import Binned, Discrete
from evgrid.demand.sampling import sample_sessions, sample_sessions_detail
from evgrid.errors import InputError


def _arrays(s: object) -> list[np.ndarray]:
    return [
        getattr(s, f) for f in ("arrival_h", "departure_h", "energy_kwh", "max_power_kw", "vehicle")
    ]


def test_same_seed_identical_other_seed_different() -> None:
    b = Behaviour.home()
    a = sample_sessions(b, 5000, days=3, rng=42)
    c = sample_sessions(b, 5000, days=3, rng=42)
    d = sample_sessions(b, 5000, days=3, rng=43)
    for x, y in zip(_arrays(a), _arrays(c), strict=True):
        assert np.array_equal(x, y)
    assert not np.array_equal(a.arrival_h[:100], d.arrival_h[:100])
    g1 = np.random.default_rng(7)
    g2 = np.random.default_rng(7)
    assert np.array_equal(
        sample_sessions(b, 100, rng=g1).energy_kwh, sample_sessions(b, 100, rng=g2).energy_kwh
    )


@pytest.mark.parametrize("preset", ["home", "office"])
def test_windows_and_energy_bounds(preset: str) -> None:
    b = Behaviour.preset(preset)  # type: ignore[arg-type]
    days = 4
    d = sample_sessions_detail(b, 3000, days=days, rng=1)
    s = d.sessions
    assert np.all((s.arrival_h >= 0) & (s.arrival_h < 24 * days))
    assert np.all(s.departure_h >= s.arrival_h + b.min_dwell_h)
    assert np.all(s.departure_h < s.arrival_h + 24 + b.min_dwell_h)
    assert np.all((s.vehicle >= 0) & (s.vehicle < 3000))
    assert np.all(np.diff(s.vehicle) >= 0)
    assert np.all(s.energy_kwh >= 0)
    cap = d.battery_kwh * (d.end_soc - b.min_start_soc) / b.charger_efficiency
    assert np.all(s.energy_kwh <= cap * (1 + 1e-12))
    assert np.all(d.start_soc >= b.min_start_soc - 1e-12)
    assert np.all((d.end_soc >= 0.9) & (d.end_soc <= 1.0))
    assert np.all(np.isin(s.max_power_kw, b.charger_power_kw.values))  # type: ignore[union-attr]


def test_home_sessions_run_overnight_office_sessions_in_the_day() -> None:
    home = sample_sessions(Behaviour.home(), 20000, rng=2)
    office = sample_sessions(Behaviour.office(), 20000, rng=2)
    evening = (home.arrival_h % 24 >= 16) & (home.arrival_h % 24 < 21)
    assert np.mean(home.departure_h[evening] > 24) > 0.95
    assert np.median(home.duration_h) > 10
    assert np.mean(office.departure_h < 24) > 0.95
    assert 7 < np.median(office.duration_h) < 11


def test_energy_follows_days_driven_since_last_charge() -> None:
    b = dataclasses.replace(
        Behaviour.home(),
        distance_km=Discrete.constant(60.0),
        consumption_kwh_per_100km=Discrete.constant(15.0),
        battery_kwh=Discrete.constant(60.0),
        end_soc=Discrete.constant(0.95),
        charge_interval_days=Discrete(np.array([1.0, 3.0, 7.0]), np.array([1.0, 1.0, 1.0])),
    )
    d = sample_sessions_detail(b, 3000, days=7, rng=3)
    battery_side = np.minimum(60.0 * d.interval_days * 0.15, 60.0 * (0.95 - 0.1))
    assert d.asked_kwh == pytest.approx(battery_side / 0.9)
    assert np.any(battery_side == 60.0 * 0.85)  # a 7-day gap fills the battery: capped
    # each car charges every k days: 7 sessions a week, or 3 (2 or 3 for k = 3), or 1
    per_vehicle = np.bincount(d.sessions.vehicle, minlength=3000)
    k_of_vehicle = np.zeros(3000, dtype=np.int64)
    k_of_vehicle[d.sessions.vehicle] = d.interval_days
    assert np.all(per_vehicle[k_of_vehicle == 1] == 7)
    assert np.all(np.isin(per_vehicle[k_of_vehicle == 3], [2, 3]))
    assert np.all(per_vehicle[k_of_vehicle == 7] == 1)
    gaps = np.diff(d.sessions.arrival_h // 24)[np.diff(d.sessions.vehicle) == 0]
    assert set(np.unique(gaps)) <= {1.0, 3.0}


def test_untaken_energy_carries_to_the_next_stay() -> None:
    # one car, three stays of 1 h at 7 kW (7 kWh each), asking 10, 3 and 2 kWh; battery room 20
    asked = np.array([10.0, 3.0, 2.0, 9.0])
    room = np.array([7.0, 7.0, 7.0, 7.0])
    cap = np.array([20.0, 20.0, 20.0, 8.5])
    vehicle = np.array([0, 0, 0, 1])
    energy, left, need = sampling.carry_untaken(asked, room, cap, vehicle)
    assert energy.tolist() == [7.0, 6.0, 2.0, 7.0]  # 3 kWh moved on; car 1 has no next stay
    assert left.tolist() == [0.0, 0.0, 0.0, 2.0]
    assert need.tolist() == [10.0, 6.0, 2.0, 9.0]
    assert energy.sum() + left.sum() == pytest.approx(asked.sum())
    # a chain: the carry crosses two short stays; the full battery stops it
    energy, left, _ = sampling.carry_untaken(
        np.array([20.0, 1.0, 1.0]), np.full(3, 5.0), np.array([20.0, 12.0, 30.0]), np.zeros(3)
    )
    assert energy.tolist() == [5.0, 5.0, 5.0]
    assert left.tolist() == [0.0, 4.0, 3.0]  # 4 kWh beyond the battery, 3 after the last stay


def test_every_sampled_session_fits_its_stay() -> None:
    for name in ("report", "home", "electric-nation"):
        d = sample_sessions_detail(Behaviour.preset(name), 3000, days=10, rng=2)
        s = d.sessions
        room = s.max_power_kw * (s.departure_h - s.arrival_h)
        assert np.all(s.energy_kwh <= room * (1 + 1e-12))
        assert s.energy_kwh.sum() + d.left_kwh.sum() == pytest.approx(d.asked_kwh.sum())
        assert d.left_kwh.sum() < 0.06 * d.asked_kwh.sum()


def test_home_presets_have_no_dc_piles_unless_asked() -> None:
    for name in ("home", "report"):
        b = Behaviour.preset(name)
        assert b.charger_power_kw.high <= 7.0
        dc = b.with_dc_piles(0.1)
        s = sample_sessions(dc, 20000, rng=1)
        per_car = np.unique(np.stack([s.vehicle, s.max_power_kw]), axis=1)
        assert np.mean(per_car[1] >= 30.0) == pytest.approx(0.1, abs=0.01)


def test_chunking_is_deterministic_and_numbers_vehicles(monkeypatch: pytest.MonkeyPatch) -> None:
    b = Behaviour.home()
    monkeypatch.setattr(sampling, "CHUNK_VEHICLES", 1000)
    seen: list[int] = []
    s = sample_sessions(b, 3500, days=2, rng=4, progress=seen.append)
    assert seen == [1000, 2000, 3000, 3500]
    assert s.vehicle.max() == 3499 and np.all(np.diff(s.vehicle) >= 0)
    again = sample_sessions_detail(b, 3500, days=2, rng=4)
    for x, y in zip(_arrays(s), _arrays(again.sessions), strict=True):
        assert np.array_equal(x, y)
    assert again.battery_kwh.shape == s.arrival_h.shape


def test_zero_vehicles() -> None:
    s = sample_sessions(Behaviour.home(), 0, rng=1)
    assert len(s) == 0


@pytest.mark.parametrize(("n", "days"), [(-1, 1), (2.5, 1), (10, 0), (10, 1.5)])
def test_bad_arguments(n: float, days: float) -> None:
    with pytest.raises(InputError):
        sample_sessions(Behaviour.home(), n, days=days, rng=1)  # type: ignore[arg-type]


def test_empirical_arrivals_replace_preset() -> None:
    measured = Binned(np.array([21.0, 22.0]), np.array([1.0]))
    b = dataclasses.replace(Behaviour.home(), arrival_hour=measured)
    s = sample_sessions(b, 2000, rng=5)
    assert np.all((s.arrival_h % 24 >= 21) & (s.arrival_h % 24 < 22))


def _daily(**changes: object) -> Behaviour:
    return dataclasses.replace(
        Behaviour.home(), charge_interval_days=Discrete.constant(1.0), **changes
    )


def test_departure_after_the_next_arrival_is_brought_forward() -> None:
    """Arrive 12:00-12:12, stay at least 1 h, leave at 12:30-13:00: the first such time is the
    next day, after the next arrival; the car leaves min_away_h before that arrival instead."""
    b = _daily(
        arrival_hour=Binned(np.array([12.0, 12.2]), np.array([1.0])),
        departure_hour=Binned(np.array([12.5, 13.0]), np.array([1.0])),
        min_dwell_h=1.0,
        min_away_h=0.5,
    )
    s = sample_sessions(b, 50, days=4, rng=6)
    same_car = s.vehicle[1:] == s.vehicle[:-1]
    assert s.departure_h[:-1][same_car] == pytest.approx(s.arrival_h[1:][same_car] - 0.5)
    last = np.append(~same_car, True)
    assert np.all((s.departure_h[last] % 24 >= 12.5) & (s.departure_h[last] % 24 < 13.0))
    assert np.all(s.duration_h >= 1.0)


def test_arrival_too_soon_after_the_previous_one_is_moved_later() -> None:
    """Arrivals just before or just after midnight: two stays of one car on consecutive days
    would begin minutes apart; the later one begins min_dwell_h + min_away_h after the first."""
    b = _daily(
        arrival_hour=Binned(np.array([0.0, 0.1, 23.9, 24.0]), np.array([1.0, 0.0, 1.0])),
        min_dwell_h=0.25,
        min_away_h=0.5,
    )
    s = sample_sessions(b, 400, days=3, rng=7)
    same_car = s.vehicle[1:] == s.vehicle[:-1]
    gap = np.diff(s.arrival_h)[same_car]
    assert np.all(gap >= 0.75 - 1e-12)
    assert np.any(np.isclose(gap, 0.75))  # 23:5x then 00:0x the next day: moved
    assert np.all(s.arrival_h[1:][same_car] >= s.departure_h[:-1][same_car])
    assert np.all(s.arrival_h < 24 * 3)


def test_measured_session_energy_is_drawn_and_capped_by_the_battery() -> None:
    b = dataclasses.replace(
        Behaviour.home(),
        session_energy_kwh=Binned(np.array([10.0, 50.0]), np.array([1.0])),
        battery_kwh=Discrete.constant(40.0),
        end_soc=Discrete.constant(0.9),
    )
    d = sample_sessions_detail(b, 20000, days=2, rng=8)
    cap_kwh = 40.0 * (0.9 - 0.1) / 0.9  # what the battery can take, grid side
    e = d.asked_kwh  # as drawn, before energy a short stay cannot take moves on
    assert e.min() >= 10.0 and e.max() == pytest.approx(cap_kwh)
    assert np.mean(np.isclose(e, cap_kwh)) == pytest.approx((50 - cap_kwh) / 40, abs=0.02)
    # the arrival SOC holds what was asked plus what an earlier short stay could not take
    assert np.all(d.start_soc <= 0.9 - e * 0.9 / 40.0 + 1e-12)
    assert np.all(d.start_soc >= 0.1 - 1e-12)
    fresh = d.sessions.energy_kwh == e
    assert d.start_soc[fresh] == pytest.approx(0.9 - e[fresh] * 0.9 / 40.0)
    assert np.all(d.distance_km > 0)  # the distance the energy implies
