"""Exact small cases and invariants of the uncontrolled-charging kernel."""

from __future__ import annotations

import numpy as np
import pytest

from evgrid.charging.uncontrolled import uncontrolled
from evgrid.errors import InputError
from evgrid.sessions import Sessions
from evgrid.timegrid import TimeGrid


def _random_sessions(n: int, seed: int, horizon_h: float = 48.0) -> Sessions:
    rng = np.random.default_rng(seed)
    arrival = rng.uniform(-2.0, horizon_h, n)
    departure = arrival + rng.uniform(0.0, 16.0, n)
    energy = rng.uniform(0.0, 40.0, n)
    power = rng.choice([3.5, 7.0, 40.0], n)
    return Sessions(arrival, departure, energy, power)


def test_single_session_partial_slots_pro_rata() -> None:
    grid = TimeGrid(slot_min=15, n_days=1)
    # 7 kW from 18:10 for 2 h (14 kWh): 18:10-18:15 partial, 20:00-20:10 partial
    s = Sessions([18.0 + 10 / 60], [23.0], [14.0], [7.0])
    sched = uncontrolled(s, grid)
    slot_kwh = sched.charging_kw * grid.slot_h
    first = grid.slot_of(18.0)[()]
    assert slot_kwh[first] == pytest.approx(7.0 * 5 / 60)
    assert np.allclose(slot_kwh[first + 1 : first + 8], 7.0 * 0.25)
    assert slot_kwh[first + 8] == pytest.approx(7.0 * 10 / 60)
    assert slot_kwh[first + 9 :].sum() == 0.0
    assert slot_kwh[:first].sum() == 0.0
    assert sched.delivered_kwh[0] == 14.0
    assert sched.unmet_kwh[0] == 0.0


def test_shortfall_when_leaving_early_is_reported() -> None:
    grid = TimeGrid(slot_min=60, n_days=1)
    s = Sessions([8.0], [9.5], [20.0], [7.0])
    sched = uncontrolled(s, grid)
    assert sched.delivered_kwh[0] == pytest.approx(10.5)
    assert sched.unmet_kwh[0] == pytest.approx(9.5)
    assert sched.charging_kw[8] == pytest.approx(7.0)
    assert sched.charging_kw[9] == pytest.approx(3.5)


def test_charging_beyond_horizon_is_unmet_and_before_zero_unavailable() -> None:
    grid = TimeGrid(slot_min=15, n_days=1)
    s = Sessions([23.0, -3.0], [30.0, 5.0], [14.0, 7.0], [7.0, 7.0])
    sched = uncontrolled(s, grid)
    assert sched.delivered_kwh == pytest.approx([7.0, 7.0])
    assert sched.unmet_kwh == pytest.approx([7.0, 0.0])
    # the second session starts at 0 h, the start of the horizon
    assert sched.charging_kw[:4] == pytest.approx([7.0] * 4)
    assert sched.charging_kw[4:] == pytest.approx([0.0] * 88 + [7.0] * 4)


@pytest.mark.parametrize("slot_min", [1, 5, 15, 60])
@pytest.mark.parametrize("taper_soc", [None, 0.8])
def test_energy_conservation_to_fp_precision(slot_min: int, taper_soc: float | None) -> None:
    grid = TimeGrid(slot_min=slot_min, n_days=2)
    s = _random_sessions(2000, seed=slot_min)
    sched = uncontrolled(s, grid, taper_soc=taper_soc)
    total = sched.delivered_kwh.sum()
    assert sched.energy_kwh == pytest.approx(total, rel=1e-12, abs=1e-9)
    assert np.all(sched.delivered_kwh <= sched.requested_kwh + 1e-9)
    assert np.all(sched.charging_kw >= 0.0)


@pytest.mark.parametrize("taper_soc", [None, 0.7])
def test_per_session_matrix_respects_rating_and_window(taper_soc: float | None) -> None:
    grid = TimeGrid(slot_min=5, n_days=2)
    s = _random_sessions(500, seed=3)
    sched = uncontrolled(s, grid, per_session=True, taper_soc=taper_soc, battery_kwh=30.0)
    assert sched.session_kw is not None
    m = sched.session_kw.toarray()
    assert np.all(m <= s.max_power_kw[:, None] * (1 + 1e-9))
    assert np.all(m >= -1e-12)
    # no power in a slot entirely outside the window
    starts, ends = grid.starts_h, grid.starts_h + grid.slot_h
    outside = (ends[None, :] <= s.arrival_h[:, None]) | (starts[None, :] >= s.departure_h[:, None])
    assert np.all(m[outside] == 0.0)
    assert m.sum(axis=1) * grid.slot_h == pytest.approx(sched.delivered_kwh, abs=1e-9)
    assert m.sum(axis=0) == pytest.approx(sched.charging_kw, abs=1e-9)


def test_fast_path_equals_expanded_path() -> None:
    grid = TimeGrid(slot_min=15, n_days=2)
    s = _random_sessions(3000, seed=11)
    fast = uncontrolled(s, grid)
    slow = uncontrolled(s, grid, per_session=True)
    assert fast.charging_kw == pytest.approx(slow.charging_kw, abs=1e-9)
    assert np.array_equal(fast.delivered_kwh, slow.delivered_kwh)


def test_taper_slows_charging_and_never_raises_power() -> None:
    grid = TimeGrid(slot_min=1, n_days=1)
    # 40 kWh into a 50 kWh battery ending at 95 %: starts at 15 %, tapers above 80 %
    s = Sessions([10.0], [23.0], [40.0], [7.0])
    flat = uncontrolled(s, grid, per_session=True)
    cccv = uncontrolled(s, grid, per_session=True, taper_soc=0.8, battery_kwh=50.0, end_soc=0.95)
    assert cccv.delivered_kwh[0] == pytest.approx(40.0)
    assert cccv.session_kw is not None and flat.session_kw is not None
    power = cccv.session_kw.toarray()[0]
    on = power[power > 0]
    assert np.all(np.diff(on) <= 1e-9)  # power only ever falls
    assert on.max() == pytest.approx(7.0)
    # constant power until SOC 80 %: 32.5 kWh at 7 kW = 4.64 h, then the taper
    cc_h = 50.0 * (0.8 - 0.15) / 7.0
    assert np.count_nonzero(np.isclose(on, 7.0)) == pytest.approx(cc_h * 60, abs=1)
    # tapering ends later than flat charging at full power
    assert np.flatnonzero(power).max() > np.flatnonzero(flat.session_kw.toarray()[0]).max()
    # taper power 1 h after the taper starts: 7 * exp(-1 / tau), tau = C (1 - x) / P
    tau_h = 50.0 * 0.2 / 7.0
    k = int(np.ceil((10.0 + cc_h + 1.0) * 60))
    t_mid = (k + 0.5) / 60 - (10.0 + cc_h)
    assert power[k] == pytest.approx(7.0 * np.exp(-t_mid / tau_h), rel=1e-3)


def test_taper_rejects_bad_soc() -> None:
    s = Sessions([1.0], [5.0], [5.0], [7.0])
    with pytest.raises(InputError, match="taper_soc"):
        uncontrolled(s, TimeGrid(), taper_soc=1.2)
    with pytest.raises(InputError, match="end_soc"):
        uncontrolled(s, TimeGrid(), taper_soc=0.8, end_soc=0.7)


def test_zero_power_and_zero_energy_sessions() -> None:
    grid = TimeGrid()
    s = Sessions([1.0, 2.0, 3.0], [5.0, 6.0, 3.0], [5.0, 0.0, 4.0], [0.0, 7.0, 7.0])
    for taper in (None, 0.8):
        sched = uncontrolled(s, grid, taper_soc=taper, per_session=True)
        assert sched.delivered_kwh == pytest.approx([0.0, 0.0, 0.0])
        assert sched.unmet_kwh == pytest.approx([5.0, 0.0, 4.0])
        assert sched.charging_kw.sum() == 0.0


def test_empty_sessions() -> None:
    grid = TimeGrid()
    e = np.empty(0)
    sched = uncontrolled(Sessions(e, e, e, e), grid, per_session=True)
    assert sched.charging_kw.shape == (96,)
    assert sched.peak_kw == 0.0
