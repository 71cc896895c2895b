"""The report preset against report section 2: the target-vs-sampled table of docs/demand.md."""

from __future__ import annotations

import numpy as np
import pytest

from evgrid.demand.behaviour import Behaviour
from evgrid.demand.report_fit import TARGETS, fit_intervals, loss, section2_statistics

# docs/demand.md, "The report preset" (benchmarks/demand_validation.py, 20 000 cars x 28 days)
SAMPLED = {
    "share_start_soc_above_50": 0.774,
    "share_daily": 0.231,
    "share_weekly": 0.268,
    "plugged_h_per_day": 4.34,
    "energy_kwh_per_day": 4.59,
    "distance_km_per_day": 32.6,
}


@pytest.fixture(scope="module")
def report() -> dict[str, float]:
    return section2_statistics(Behaviour.preset("report"), rng=0)


@pytest.mark.parametrize("name", sorted(SAMPLED))
def test_sampled_statistics_match_the_published_table(report: dict[str, float], name: str) -> None:
    assert report[name] == pytest.approx(SAMPLED[name], rel=0.02)


def test_statistics_the_report_preset_holds(report: dict[str, float]) -> None:
    assert report["end_soc_min"] >= 0.90  # end SOC 90 % or more
    assert report["battery_min_kwh"] >= 40.0 and report["battery_max_kwh"] <= 90.0
    assert report["share_days_under_60_km"] == pytest.approx(0.956, abs=0.001)
    assert report["consumption_kwh_per_100km"] == pytest.approx(15.0, abs=0.05)
    assert report["energy_kwh_per_day"] <= 9.0  # no more than 9 kWh a day
    assert report["share_weekly"] == pytest.approx(0.27, abs=0.01)


def test_statistics_that_give_way_and_their_direction(report: dict[str, float]) -> None:
    """The report's own distances make sessions small: more start above 50 % SOC than the
    report says, fewer cars charge daily, and cars stay plugged in longer than 3.7 h a day."""
    assert report["share_start_soc_above_50"] > 0.64 + 0.1
    assert report["share_daily"] < 0.32 - 0.05
    assert report["plugged_h_per_day"] > 3.7 + 0.3


def test_report_preset_is_closer_to_section_2_than_home(report: dict[str, float]) -> None:
    home = section2_statistics(Behaviour.home(), rng=0)
    assert loss(report) == pytest.approx(0.152, abs=0.01)
    assert loss(home) > 5 * loss(report)
    assert all(t.name in report for t in TARGETS)


def test_shipped_intervals_are_the_fit() -> None:
    fit = fit_intervals(Behaviour.home())
    shipped = Behaviour.preset("report").charge_interval_days
    weights = np.zeros(fit.intervals_days.size)
    for v, w in zip(shipped.values, shipped.weights, strict=True):
        weights[fit.intervals_days == v] = w
    assert fit.weights == pytest.approx(weights, abs=0.002)
    assert fit.loss == pytest.approx(0.152, abs=0.005)
