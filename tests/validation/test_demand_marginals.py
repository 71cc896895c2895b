"""Sampled marginals match their input distributions (n = 100 000) and the report's §2 numbers."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from evgrid.demand.behaviour import Behaviour
from evgrid.demand.distributions import Binned, Discrete
from evgrid.demand.sampling import SampledSessions, sample_sessions_detail

N = 100_000
P_MIN = 1e-3  # a correct sampler fails one of these tests with probability 0.1 %


@pytest.fixture(scope="module", params=["home", "office"])
def sample(request: pytest.FixtureRequest) -> tuple[Behaviour, SampledSessions]:
    b = Behaviour.preset(request.param)
    return b, sample_sessions_detail(b, N, days=1, rng=20240501)


def _ks(x: np.ndarray, dist: Binned | Discrete) -> float:
    assert isinstance(dist, Binned)
    return float(stats.kstest(x, dist.cdf).pvalue)


def _chi2(x: np.ndarray, dist: Binned | Discrete) -> float:
    assert isinstance(dist, Discrete)
    counts = np.array([np.count_nonzero(x == v) for v in dist.values])
    assert counts.sum() == x.size
    return float(stats.chisquare(counts, x.size * dist.weights).pvalue)


def test_time_marginals(sample: tuple[Behaviour, SampledSessions]) -> None:
    b, d = sample
    s = d.sessions
    assert len(s) > 0.5 * N
    assert _ks(s.arrival_h % 24, b.arrival_hour) > P_MIN
    assert _ks(s.departure_h % 24, b.departure_hour) > P_MIN


def test_vehicle_marginals(sample: tuple[Behaviour, SampledSessions]) -> None:
    b, d = sample
    assert _ks(d.battery_kwh, b.battery_kwh) > P_MIN
    assert _ks(d.end_soc, b.end_soc) > P_MIN
    assert _chi2(d.sessions.max_power_kw, b.charger_power_kw) > P_MIN


def test_charging_frequency(sample: tuple[Behaviour, SampledSessions]) -> None:
    """A car charging every k days charges on a given day with chance 1/k."""
    b, d = sample
    k = b.charge_interval_days
    per_day = k.weights / k.values
    assert len(d.sessions) / N == pytest.approx(per_day.sum(), abs=4 * np.sqrt(per_day.sum() / N))
    expected = Discrete(k.values, per_day)
    assert _chi2(d.interval_days.astype(np.float64), expected) > P_MIN


def test_daily_distance_and_energy(sample: tuple[Behaviour, SampledSessions]) -> None:
    b, d = sample
    one_day = d.interval_days == 1
    assert _ks(d.distance_km[one_day], b.distance_km) > P_MIN
    # energy per EV-day: mean distance x mean consumption / efficiency, below the report's 9 kWh
    battery_side = d.sessions.energy_kwh * b.charger_efficiency
    per_ev_day = battery_side.sum() / N
    expected = b.distance_km.mean() * b.consumption_kwh_per_100km.mean() / 100
    assert per_ev_day == pytest.approx(expected, rel=0.03)  # few sessions hit the battery cap
    assert per_ev_day < 60 * 15 / 100  # report §2: "no more than 9 kWh a day"


def test_start_soc_against_report(sample: tuple[Behaviour, SampledSessions]) -> None:
    """Report §2: 64 % of sessions start above 50 % SOC. The distance-driven model tops up even
    more often (about 96 %): docs/demand.md explains the gap."""
    _, d = sample
    share = float(np.mean(d.start_soc > 0.5))
    assert share >= 0.64
    assert share == pytest.approx(0.96, abs=0.02)
