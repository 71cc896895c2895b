"""What V2G adds at a site: the pilot notice's check by hand, the lossless bound never above
valley filling, discharge within the piles' power, the deferral timeline."""

from __future__ import annotations

import pytest

import evgrid
from evgrid.incentives.fleet import site_fleet
from evgrid.incentives.v2g_value import LOSSLESS, pilot_check, v2g_deferral, v2g_value

A = evgrid.report_cases()["A"]


def test_pilot_check_by_hand() -> None:
    """70 % in the valley meets the area's 60 % but not the private piles' 80 %; 600 kW and
    120 000 kWh a year meet the project's 500 kW and 100 000 kWh."""
    p = pilot_check(0.7, 600.0, 120_000.0)
    assert "2024-09-10" in p["notice"] and "车网互动" in p["notice"]
    assert p["valley_share_area"]["met"] and not p["valley_share_private_piles"]["met"]
    assert p["discharge_capacity_kw"] == {"value": 600.0, "threshold": 500, "met": True}
    assert p["discharged_kwh_per_year"]["met"]
    assert not pilot_check(0.9, 499.0, 99_999.0)["discharge_capacity_kw"]["met"]


@pytest.fixture(scope="module")
def fleet():  # type: ignore[no-untyped-def]
    # the report's behaviour (5 kWh a car-day) leaves the cars energy to give back at the default
    # wear cost; on the design basis (about 15 kWh) A's cars discharge nothing at 0.15 yuan/kWh
    return site_fleet(A, ev_share=0.5, days=3, rng=5, basis="report")


def test_the_lossless_bound_never_peaks_above_valley_filling(fleet) -> None:  # type: ignore[no-untyped-def]
    """Every pile bidirectional and lossless: a superset of valley filling's schedules, and the
    minimum-norm point minimises the peak, so each day's peak is at most valley filling's."""
    v = v2g_value(A, fleet=fleet, hosting=False, **LOSSLESS)
    assert v.peak_v2g_kw <= v.peak_orderly_kw + 1e-6
    assert v.headroom_v2g_kw >= v.headroom_orderly_kw - 1e-6


def test_the_default_v2g_gives_energy_within_its_piles(fleet) -> None:  # type: ignore[no-untyped-def]
    v = v2g_value(A, fleet=fleet, hosting=False, v2g_share=0.5)
    assert v.v2g_cars == round(0.5 * fleet.n_cars)
    assert v.discharge_capacity_kw == v.v2g_cars * 7.0
    assert 0 < v.discharged_kwh_per_day < v.discharge_capacity_kw * 24
    assert v.wear_yuan_per_year == pytest.approx(0.15 * v.discharged_kwh_per_day * 365)
    assert 0.0 <= v.valley_share <= 1.0
    doc = v.to_dict()
    assert doc["pilot"]["discharge_capacity_kw"]["value"] == v.discharge_capacity_kw


def test_the_deferral_timeline() -> None:
    d = v2g_deferral(A, years=[2025, 2035], days=2, rng=1, v2g_share=1.0, **LOSSLESS)
    assert [r["year"] for r in d["years"]] == [2025, 2035]
    for r in d["years"]:
        assert r["loading_v2g_pu"] <= r["loading_orderly_pu"] + 1e-9
    assert d["upgrade_year_orderly"] is None and d["deferral_years"] is None  # A holds, orderly
