"""The design basis: bundled and user bases, power factors, seasons, climate, hot-spot sense."""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path

import numpy as np
import pytest

import evgrid
from evgrid.errors import InputError
from evgrid.grid.climate import load_climate
from evgrid.grid.site import parse_site, report_cases
from evgrid.grid.transformer import Transformer
from evgrid.load.seasons import calendar, day_type_index, day_types, design_day, seasonal_days_kw
from evgrid.planning.basis import basis_names, load_basis, power_factors
from evgrid.planning.fleet import sample_fleet

warnings.filterwarnings("ignore", message=".*104.2 %.*")
B = report_cases()["B"]


def test_bundled_bases() -> None:
    assert basis_names() == ["design", "design-report-energy", "report"]
    design, report = load_basis(), load_basis("report")
    assert design.name == "design" and design.band == "p95"  # the parameter basis
    assert (design.household_power_factor, design.ev_power_factor) == (0.95, 0.98)
    assert (design.base_load, design.climate, design.index) == ("seasonal", "chengdu", "curve")
    assert report.behaviour_residential == "report" and report.index == "report"
    assert report.household_power_factor is None and report.climate is None
    variant = load_basis("design-report-energy")
    assert variant.behaviour_residential == "design-report-energy"
    assert variant.base_load == "seasonal"  # from its base


def test_a_user_basis_file(tmp_path: Path) -> None:
    (tmp_path / "b.yaml").write_text(
        "base: design\nname: mine\nbehaviour: {residential: electric-nation}\n"
        "power_factor: {household: 0.9}\nindex: coefficients.csv\n",
        encoding="utf-8",
    )
    (tmp_path / "coefficients.csv").write_text(
        "n_piles,coefficient\n10,0.8\n50,0.6\n100000,0.45\n", encoding="utf-8"
    )
    mine = load_basis(tmp_path / "b.yaml")
    assert mine.name == "mine" and mine.behaviour_residential == "electric-nation"
    assert (mine.household_power_factor, mine.ev_power_factor) == (0.9, 0.98)
    assert mine.index == str(tmp_path / "coefficients.csv")
    # the index tier reads the coefficient table: 31 piles at 7 kW x 0.6 at the evening peak
    r = evgrid.hosting(report_cases()["A"], basis=mine)
    assert r.basis == "mine" and r.details["index_demand"] == "coefficient table"
    (tmp_path / "bad.yaml").write_text("name: x\nband: p99\n", encoding="utf-8")
    with pytest.raises(InputError, match="band: got 'p99'"):
        load_basis(tmp_path / "bad.yaml")
    (tmp_path / "odd.yaml").write_text("name: x\ncolour: red\n", encoding="utf-8")
    with pytest.raises(InputError, match="unknown key 'colour'"):
        load_basis(tmp_path / "odd.yaml")
    with pytest.raises(InputError, match="basis: got 'nope'"):
        load_basis("nope")


def test_power_factors_site_first_then_basis() -> None:
    design, report = load_basis("design"), load_basis("report")
    assert power_factors(B, design) == (0.95, 0.98)
    assert power_factors(B, report) == (1.0, 1.0)  # the report's loadings are kW / kVA
    own = dataclasses.replace(B, household_power_factor=0.9)
    assert power_factors(own, design) == (0.9, 0.98)
    given = dataclasses.replace(B, power_factor=0.92)  # the site says so: both
    assert power_factors(given, design) == (0.92, 0.92)


def test_loading_of_two_loads_at_their_power_factors() -> None:
    t = Transformer(1000.0, power_factor=0.95, ev_power_factor=0.98)
    assert t.loading_parts_pu(950.0, 0.0) == pytest.approx(1.0)
    assert t.loading_parts_pu(0.0, 490.0) == pytest.approx(0.5)
    judge = t.judge()  # the regular load converted to the piles' power factor
    assert judge.loading_pu(950.0 * t.regular_scale + 490.0) == pytest.approx(1.5)


def test_household_power_factor_095_moves_b_as_the_arithmetic_says() -> None:
    # docs/decision.md: on the report's model, B's regular load at 0.95 and its piles at 1
    site = dataclasses.replace(B, household_power_factor=0.95)
    orderly = evgrid.hosting(site, strategy="orderly", basis="report")
    assert orderly.max_pile_ratio_p50 == pytest.approx((2560 - 753 / 0.95) / (1734 * 2.0))
    unc = evgrid.hosting(site, basis="report")
    assert unc.max_pile_ratio_p50 == pytest.approx((2560 - 1883 / 0.95) / (1734 * 3.85))
    assert orderly.max_pile_ratio_p50 == pytest.approx(0.50962, abs=1e-5)  # 52.1 % at pf 1


def test_two_percent_load_growth_fails_a_in_2030_on_household_load(tmp_path: Path) -> None:
    from evgrid.planning.scenarios import load_scenario
    from evgrid.planning.upgrade import first_failing
    from evgrid.planning.years import index_years, site_years

    path = tmp_path / "grow.yaml"
    path.write_text(
        "name: grow\nyears: [2025, 2030]\nbase_year: 2023\n"
        "ev_share: {points: {2025: {parameter: ev_share_2025_medium}, "
        "2030: {parameter: ev_share_2030}}}\n"
        'types: {old: {load_growth_per_year: {value: 0.02, source: "test"}}}\n',
        encoding="utf-8",
    )
    sy = site_years([report_cases()["A"]], load_scenario(path), basis="report")
    loads = index_years(sy, "orderly")
    # 880 kW x 1.02^7 = 1010.8 kW at the evening peak: over 0.8 x 1250 = 1000 kW in 2030
    assert loads.peak_kw[0, 1] == pytest.approx(880 * 1.02**7)
    assert loads.loading_pu[0, 1] == pytest.approx(880 * 1.02**7 / 1250)
    assert loads.loading_pu[0, 0] == pytest.approx(880 * 1.02**2 / 1250)
    assert int(first_failing(loads.loading_pu > 0.8)[0]) == 1  # 2030, orderly as it may be


def test_a_35_c_summer_moves_the_hot_spot_by_15_kelvin() -> None:
    # the IEC 60076-7 model is linear in the ambient: every daily hot spot 15 K higher
    cool = dataclasses.replace(B, ambient_c=20.0)
    hot = dataclasses.replace(B, ambient_c=35.0)
    options = {"method": "timeseries", "criterion": "hotspot", "days": 5, "rng": 1}
    a = evgrid.hosting(cool, basis="report", limit=120.0, **options)
    b = evgrid.hosting(hot, basis="report", limit=120.0, **options)
    np.testing.assert_allclose(b.metric_p95 - a.metric_p95, 15.0, atol=1e-9)
    # so the 35 C answer at 120 C is the 20 C answer at 105 C
    c = evgrid.hosting(cool, basis="report", limit=105.0, **options)
    assert b.max_pile_ratio_p95 == c.max_pile_ratio_p95


def test_a_hot_spot_limit_is_checked_for_sense() -> None:
    options = {"method": "timeseries", "criterion": "hotspot", "days": 3, "rng": 1}
    hot = dataclasses.replace(B, ambient_c=35.0)
    with pytest.raises(InputError, match=r"above the highest ambient, 35\.0"):
        evgrid.hosting(hot, basis="report", limit=30.0, **options)
    with pytest.raises(InputError, match="regular load's own hot spot"):
        evgrid.hosting(hot, basis="report", limit=40.0, **options)


def test_seasons_and_the_calendar() -> None:
    month, weekend = calendar(365, 1, 1, 2023)
    assert month.size == 367 and sorted(set(month.tolist())) == list(range(1, 13))
    assert weekend[1:-1].sum() in (104, 105)  # a year's Saturdays and Sundays
    assert design_day().season == "summer" and design_day().day == "weekday"
    types = day_type_index(month, weekend)
    days = seasonal_days_kw(1000.0, 400.0, types, 15.0)
    assert days.max() == pytest.approx(1000.0)  # the year's peak: a summer weekday
    summer = np.isin(month, (6, 7, 8, 9)) & ~weekend
    assert days[summer].max(axis=1) == pytest.approx(1000.0)
    assert days[summer].min(axis=1) == pytest.approx(460.0)  # valley x 1.15: air conditioning
    winter = np.isin(month, (12, 1, 2)) & ~weekend
    assert days[winter].max(axis=1) == pytest.approx(880.0)
    assert len(day_types()) == 6


def test_the_design_basis_builds_a_seasonal_year_and_chengdu_ambient() -> None:
    fleet = sample_fleet(B, days=365, rng=1)
    peaks = fleet.daily_peaks(fleet.base_kw)
    assert peaks.max() == pytest.approx(1883.0)
    assert peaks.min() < 0.8 * 1883.0  # spring and autumn days
    ambient = np.asarray(fleet.ambient_c).reshape(-1, 96)[1:-1]
    chengdu = load_climate("chengdu")
    assert ambient.mean() == pytest.approx(chengdu.mean_c.mean(), abs=0.2)
    # July: its daily mean plus half its mean daily range, 24.8 + (28.7 - 21.6) / 2 = 28.35 C
    assert ambient.max() == pytest.approx(24.8 + (28.7 - 21.6) / 2, abs=0.01)
    flat = sample_fleet(B, days=10, rng=1, basis="report")
    assert np.ptp(flat.daily_peaks(flat.base_kw)) == 0.0 and flat.ambient_c == 20.0


def test_a_climate_of_ones_own(tmp_path: Path) -> None:
    rows = "\n".join(f"{m},{10 + m},{15 + m},{5 + m}" for m in range(1, 13))
    (tmp_path / "c.csv").write_text("month,mean_c,max_c,min_c\n" + rows + "\n", "utf-8")
    site = parse_site(
        {**_doc(), "climate": "c.csv"}, where="site", base_dir=tmp_path
    )  # a path relative to the site document, read from the document's folder
    climate = load_climate(tmp_path / "c.csv")
    assert climate.hottest_c == 27.0
    assert site.climate == (tmp_path / "c.csv").resolve()
    assert load_climate(site.climate).hottest_c == 27.0
    bad = tmp_path / "bad.csv"
    bad.write_text("month,mean_c,max_c,min_c\n1,5,4,3\n", "utf-8")
    with pytest.raises(InputError, match="month"):
        load_climate(bad)


def _doc() -> dict[str, object]:
    return {
        "kind": "residential",
        "name": "t",
        "households": 100,
        "parking_spaces": 50,
        "transformer_kva": [315, 315],
        "regular_peak_kw": 300,
    }


def test_parallel_units_and_bus_in_the_site_document() -> None:
    site = parse_site({**_doc(), "bus": "sectionalised"}, where="site")
    assert site.transformer_kva == 630.0 and site.transformer_units == (315.0, 315.0)
    assert site.bus == "sectionalised"
    with pytest.raises(InputError, match="bus: got 'ring'"):
        parse_site({**_doc(), "bus": "ring"}, where="site")
