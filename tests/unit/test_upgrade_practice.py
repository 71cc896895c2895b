"""Upgrades as practice builds them: units beside, a dedicated charging transformer, costs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from evgrid.errors import InputError
from evgrid.planning.costs import CostModel, UnitCost, illustrative_costs, read_cost_table
from evgrid.planning.upgrade import (
    NO_YEAR,
    bootstrap_first_years,
    practice_options,
    timeline,
    unit_options,
)

# one box unit of each rating, one dry unit; equipment + installation in round numbers
UNITS = (
    UnitCost(315.0, "box", 100.0, 50.0),
    UnitCost(630.0, "box", 160.0, 60.0),
    UnitCost(630.0, "dry", 60.0, 30.0),
    UnitCost(1000.0, "dry", 80.0, 40.0),
)


def test_add_beside_takes_the_cheapest_units_that_hold() -> None:
    cost = CostModel(units=UNITS)
    got = practice_options(
        np.array([1000.0, 1000.0, 1000.0]),
        np.array([1500.0, 2900.0, np.nan]),  # 500, 1900 kVA short; the last needs nothing
        None,
        None,
        cost,
    )
    # 500 kVA: one 630 dry (90) beats one 1000 dry (120) and the boxes
    assert got["option"][0] == "add" and got["kind"][0] == "dry"
    assert (got["unit_kva"][0], got["units"][0], got["cost_yuan"][0]) == (630.0, 1, 90.0)
    assert (got["equipment_yuan"][0], got["installation_yuan"][0]) == (60.0, 30.0)
    # 1900 kVA: two 1000 dry (240; the room takes two); three 630 dry would not fit the room
    assert (got["kind"][1], got["unit_kva"][1], got["units"][1]) == ("dry", 1000.0, 2)
    assert got["cost_yuan"][1] == 240.0
    assert got["option"][2] == "" and got["units"][2] == 0 and np.isnan(got["cost_yuan"][2])


def test_a_dedicated_charging_transformer_when_it_is_cheaper() -> None:
    cost = CostModel(units=(UnitCost(315.0, "box", 10.0, 5.0), UnitCost(1000.0, "dry", 500.0, 0)))
    got = practice_options(
        np.array([1000.0, 1000.0]),
        np.array([1400.0, 1400.0]),
        np.array([900.0, 1200.0]),  # the second's regular load alone is over the existing
        np.array([300.0, 300.0]),
        cost,
    )
    # adding beside takes two boxes (400 kVA short, 30); the piles alone need one (15)
    assert (got["option"][0], got["units"][0], got["cost_yuan"][0]) == ("dedicated", 1, 15.0)
    # no dedicated transformer where the existing one cannot carry the regular load
    assert got["option"][1] == "add"


def test_a_new_room_when_nothing_fits_beside() -> None:
    cost = CostModel(units=UNITS)
    got = practice_options(np.array([1000.0]), np.array([9000.0]), None, None, cost)
    # 8000 kVA short: more than two room units or four boxes can give
    assert (got["option"][0], got["kind"][0], got["units"][0]) == ("new-room", "dry", 8)


def test_without_a_price_the_fewest_units_then_the_least_capacity_win() -> None:
    got = practice_options(np.array([500.0]), np.array([800.0]), None, None, CostModel())
    assert got["option"][0] == "add" and got["units"][0] == 1
    assert got["unit_kva"][0] == 315.0  # the smallest standard unit >= 300 kVA
    assert np.isnan(got["cost_yuan"][0])


def test_timeline_keeps_the_earlier_model_without_the_existing_capacity() -> None:
    t = timeline(
        [2025, 2030],
        np.array([[False, True]]),
        np.array([[100.0, 3000.0]]),
        cost=CostModel(per_kva=100.0),
        base_year=2023,
        discount_rate=0.0,
    )
    assert (t.year[0], t.units[0], t.unit_kva[0], t.cost_yuan[0]) == (2030, 2, 1600.0, 320000.0)
    practice = timeline(
        [2025, 2030],
        np.array([[False, True]]),
        np.array([[100.0, 3000.0]]),
        cost=CostModel(per_kva=100.0),
        base_year=2023,
        discount_rate=0.0,
        existing_kva=np.array([2500.0]),
    )
    assert practice.option is not None and practice.option[0] == "add"
    # at a flat cost per kVA, the least capacity, then one unit: one 500 kVA unit
    assert (practice.unit_kva[0], practice.units[0]) == (500.0, 1)
    assert practice.cost_yuan[0] == pytest.approx(50000.0)


def test_unit_sizes_stay_within_what_an_enclosure_takes() -> None:
    options = unit_options(CostModel(illustrative=True))
    assert max(r for k, r in options if k == "box") == 630.0
    assert max(r for k, r in options if k == "dry") == 1000.0
    assert max(r for k, r in options if k == "oil") == 800.0
    assert all(u.equipment_yuan > 0 and u.installation_yuan > 0 for u in illustrative_costs())
    assert CostModel(illustrative=True).basis == "illustrative"
    assert CostModel(per_kva=1.0, illustrative=True).basis == "given"


def test_cost_tables_with_and_without_kinds(tmp_path: Path) -> None:
    old = tmp_path / "old.csv"
    old.write_text("rating_kva,cost_yuan\n630,100000\n1000,150000\n", encoding="utf-8")
    assert read_cost_table(old).table == {630.0: 100000.0, 1000.0: 150000.0}
    new = tmp_path / "new.csv"
    new.write_text(
        "# my prices\nrating_kva,kind,equipment_yuan,installation_yuan\n630,box,200000,90000\n",
        encoding="utf-8",
    )
    (unit,) = read_cost_table(new).units or ()
    assert (unit.kind, unit.equipment_yuan, unit.installation_yuan) == ("box", 200000, 90000)
    twice = tmp_path / "twice.csv"
    twice.write_text("rating_kva,cost_yuan\n630,1\n630,2\n", encoding="utf-8")
    with pytest.raises(InputError, match="each rating once"):
        read_cost_table(twice)
    bad = tmp_path / "bad.csv"
    bad.write_text("rating_kva,kind,equipment_yuan,installation_yuan\n630,tent,1,1\n", "utf-8")
    with pytest.raises(InputError, match="kind: got 'tent'"):
        read_cost_table(bad)


def test_the_upgrade_year_interval_narrows_with_days() -> None:
    rng = np.random.default_rng(1)
    years = [2025, 2030, 2035]
    # the daily metric of the middle year straddles the limit: its band decides
    metric = np.stack([np.full(400, 0.5), rng.normal(0.8, 0.02, 400), np.full(400, 1.2)])
    low, high = bootstrap_first_years(years, metric, 0.8, 50.0, np.random.default_rng(2))
    assert (low, high) == (2030, 2035)
    clear = bootstrap_first_years(years, metric, 0.9, 50.0, np.random.default_rng(2))
    assert clear == (2035, 2035)
    never = bootstrap_first_years(years, metric, 2.0, 50.0, np.random.default_rng(2))
    assert never == (NO_YEAR, NO_YEAR)
