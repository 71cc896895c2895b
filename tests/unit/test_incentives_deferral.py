"""The upgrade a lever defers: one site on the planning timeline, and a city on the batch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from evgrid.grid.site import report_cases
from evgrid.incentives.carbon import CarbonMethod
from evgrid.incentives.citywide import city_sweep
from evgrid.incentives.deferral import lever_scenario, site_deferral
from evgrid.planning.scenarios import load_scenario
from evgrid.planning.upgrade import CostModel

B = report_cases()["B"]


def test_the_lever_scenario_takes_the_response_as_participation() -> None:
    base = load_scenario("medium")
    sc = lever_scenario(base, 0.4, 0.45)
    np.testing.assert_allclose(sc.participation_at(sc.years), 0.4)
    parts = [(k, v) for k, v in sc.sources if k.startswith("participation")]
    assert len(parts) == 1 and parts[0][1].value == 0.4 and "0.45" in parts[0][1].source
    assert sc.ev_share_at(sc.years).tolist() == base.ev_share_at(base.years).tolist()


def test_no_response_defers_nothing_and_more_response_never_loads_more() -> None:
    none = site_deferral(B, 0.0, 0.0, cost=CostModel(per_kva=300.0))
    assert none["before"] == none["after"] and none["pv_saving_yuan"] == 0.0
    some = site_deferral(B, 0.8, 0.6, cost=CostModel(per_kva=300.0))
    assert all(a <= b for a, b in zip(some["after"]["loading_pu"], some["before"]["loading_pu"],
                                      strict=True))  # fmt: skip
    assert some["pv_saving_yuan"] >= 0
    assert site_deferral(B, 0.8, 0.6)["pv_saving_yuan"] is None  # no price, no cost


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from evgrid.city.synth import synth_city, write_city

    path = tmp_path_factory.mktemp("city") / "city.csv"
    write_city(synth_city(30, rng=5), path)
    return path


def test_a_city_sweep_adds_up(city: Path, tmp_path: Path) -> None:
    s = city_sweep(city, tmp_path / "out", [0.0, 0.3, 0.6], cost=CostModel(per_kva=300.0))
    assert s.shares.tolist() == [0.0, pytest.approx(0.8 / 7), pytest.approx(0.8)]
    assert s.evening_kw[0].tolist() == s.evening_before_kw.tolist()  # no response, no change
    assert s.saving_yuan[0].tolist() == [0.0] * len(s.years)
    assert s.upgrades[0] == s.upgrades_before and s.pv_saved_yuan[0] == 0.0
    assert np.all(np.diff(s.peak_reduction_kw) > 0) and np.all(np.diff(s.upgrades) <= 0)
    # the report's tariff: responders save the spread on each kWh (index model: the evening
    # peak is in the peak band, the night valley in the valley band)
    np.testing.assert_allclose(s.saving_yuan[1], 0.3 * s.shares[1] * s.energy_kwh)
    c = CarbonMethod()
    credited = s.energy_kwh * c.reduction_kg_per_kwh * ((1 - 0.8) * 0.8 + 0.8 * 1.2)  # weights
    np.testing.assert_allclose(s.carbon_kg[2], credited)
    # at 0.6 the valley energy stops at the 0.2 floor (0.52 - 0.32) and the peak rises 0.28:
    # responders save 1.02 - 0.70 = 0.32, the others pay 0.28 more
    np.testing.assert_allclose(s.saving_yuan[2], (0.8 * 0.32 - 0.2 * 0.28) * s.energy_kwh)
    assert s.best_marginal_spread == 0.6
    again = city_sweep(city, tmp_path / "out", [0.0, 0.3, 0.6], cost=CostModel(per_kva=300.0))
    assert again.to_dict() == s.to_dict()
