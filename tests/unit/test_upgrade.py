"""Upgrade timeline: standard sizes, costs, present values, deferral; index tier consistency."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from evgrid.errors import InputError
from evgrid.grid.site import report_cases
from evgrid.planning.index import residential_index
from evgrid.planning.scenarios import load_scenario
from evgrid.planning.upgrade import (
    NO_YEAR,
    CostModel,
    deferral,
    read_cost_table,
    standard_ratings_kva,
    standard_size,
    timeline,
)
from evgrid.planning.years import index_years, site_years


def test_standard_series_30_to_2500() -> None:
    r = standard_ratings_kva()
    assert r[0] == 30 and r[-1] == 2500 and r.size == 19 and np.all(np.diff(r) > 0)


def test_standard_size_next_rating_and_parallel_units() -> None:
    unit, units = standard_size([700.0, 800.0, 2500.0, 3500.0, 5001.0, np.nan, 0.0])
    np.testing.assert_array_equal(unit[:5], [800, 800, 2500, 2000, 2000])
    np.testing.assert_array_equal(units, [1, 1, 1, 2, 3, 0, 0])
    assert np.isnan(unit[5:]).all()


def test_timeline_exact() -> None:
    fails = np.array([[False, True, True], [False, False, False], [True, False, True]])
    needed = np.array([[500.0, 700.0, 900.0], [1, 1, 1], [1000.0, 100.0, 1200.0]])
    t = timeline(
        [2025, 2030, 2035],
        fails,
        needed,
        cost=CostModel(per_kva=100.0),
        base_year=2023,
        discount_rate=0.1,
    )
    np.testing.assert_array_equal(t.year, [2030, NO_YEAR, 2025])
    np.testing.assert_array_equal(t.unit_kva[[0, 2]], [1000, 1250])  # 900 -> 1000; 1200 -> 1250
    np.testing.assert_allclose(t.cost_yuan, [100_000.0, 0.0, 125_000.0])
    np.testing.assert_allclose(t.pv_yuan, [100_000 / 1.1**7, 0.0, 125_000 / 1.1**2])
    late = timeline(
        [2025, 2030, 2035],
        np.array([[False, False, True]] * 3),
        needed,
        cost=CostModel(per_kva=100.0),
        base_year=2023,
        discount_rate=0.1,
    )
    years, saved = deferral(t, late, 2035)
    np.testing.assert_allclose(years, [5.0, np.nan, 10.0])
    assert saved[0] == pytest.approx(t.pv_yuan[0] - late.pv_yuan[0])


def test_no_cost_given_means_no_price(tmp_path: Path) -> None:
    t = timeline(
        [2025],
        np.array([[True]]),
        np.array([[100.0]]),
        cost=CostModel(),
        base_year=2023,
        discount_rate=0.08,
    )
    assert np.isnan(t.cost_yuan).all()
    table = tmp_path / "cost.csv"
    table.write_text("rating_kva,cost_yuan\n100,5000\n125,6000\n", encoding="utf-8")
    model = read_cost_table(table)
    assert model.cost_yuan(np.array([125.0]), np.array([2]))[0] == 12000
    with pytest.raises(InputError, match=r"cost table: got 160\.0"):
        model.cost_yuan(np.array([160.0]), np.array([1]))
    table.write_text("rating_kva,cost_yuan\n100,-1\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"row 2: cost_yuan: got -1\.0"):
        read_cost_table(table)


def test_index_years_is_the_hosting_curve_at_the_years_pile_ratio() -> None:
    # one definition: the city's loading equals the hosting curve's at the same pile ratio
    cases = report_cases()
    sc = load_scenario("report")  # no growth of the regular load: the hosting curve's own
    for basis, rtol in (("report", 1e-12), ("design", 5e-3)):
        sy = site_years([cases["B"], cases["C"]], sc, basis=basis)
        for strategy in ("uncontrolled", "orderly"):
            loads = index_years(sy, strategy)
            for i, key in enumerate("BC"):
                r = residential_index(cases[key], strategy=strategy, basis=basis)
                # the report's curve is linear in the ratio, the design basis's is not: it
                # is read between the 1 % points
                at = np.interp(sy.pile_ratio[i], r.pile_ratios, r.loading_p50)
                np.testing.assert_allclose(loads.loading_pu[i], at, rtol=rtol)


def test_office_years_match_the_reports_office_results() -> None:
    cases = report_cases()
    sy = site_years([cases["open"], cases["closed"]], load_scenario("medium"), basis="report")
    loads = index_years(sy, "uncontrolled")
    # report 4.2: 58 % / 63 % (open), 46 % / 47 % (closed) in 2025 / 2030
    np.testing.assert_allclose(loads.loading_pu[:, :2], [[0.58, 0.63], [0.46, 0.47]], atol=0.005)
