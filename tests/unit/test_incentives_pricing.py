"""Tariffs as practice prices them: the NDRC rule on every bundled tariff, moves within the
floor (hypothesis), the Chengdu tariff, carbon factors by province."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from evgrid.errors import InputError
from evgrid.incentives.carbon import grid_factor, load_carbon
from evgrid.incentives.pricing import (
    move_tariff,
    ndrc_ratio,
    peak_valley_ratio,
    season_ratio,
    tariff_warnings,
)
from evgrid.incentives.tariffs import bundled_tariff_names, load_tariff, parse_tariff

#: energy peak:valley ratio of each bundled tariff, by hand
BUNDLED_RATIOS = {
    "report": 0.52 / 0.22,
    "zhejiang-residential": 0.568 / 0.288,
    "beijing-public-2015": 1.0,
    "chengdu-2023": 0.7536 / 0.2602,
}


def test_every_bundled_tariff_is_checked_against_the_ndrc_rule() -> None:
    """All four bundled tariffs are below 3:1 and each warns, with its ratio."""
    assert set(bundled_tariff_names()) == set(BUNDLED_RATIOS)
    for name in bundled_tariff_names():
        tariff = load_tariff(name)
        ratio = peak_valley_ratio(tariff)
        assert ratio == pytest.approx(BUNDLED_RATIOS[name])
        warnings = tariff_warnings(tariff)
        assert (ratio < 3) == bool(warnings), name
        assert all("NDRC" in w and "3:1" in w for w in warnings)


def test_the_rule_is_4_to_1_where_the_system_gap_is_large() -> None:
    assert ndrc_ratio() == 3 and ndrc_ratio(0.35) == 3 and ndrc_ratio(0.45) == 4
    four = parse_tariff(
        {"name": "x", "bands": {"peak": {"energy_yuan_per_kwh": 1.0},
                                "valley": {"energy_yuan_per_kwh": 0.3}},
         "periods": [{"start": "08:00", "end": "23:00", "band": "peak"},
                     {"start": "23:00", "end": "08:00", "band": "valley"}]}
    )  # fmt: skip
    assert tariff_warnings(four) == []
    (line,) = tariff_warnings(four, system_gap_share=0.5)
    assert "3.33:1" in line and "4:1" in line


def test_chengdu_2023() -> None:
    t = load_tariff("chengdu-2023")
    (season,) = t.seasons
    assert {b: p.energy_yuan_per_kwh for b, p in season.prices.items()} == {
        "peak": 0.7536, "flat": 0.5464, "valley": 0.2602}  # fmt: skip
    assert season.spread_yuan_per_kwh == pytest.approx(0.4934)
    assert season.valley_window_h() == (23.0, 7.0)
    hours = dict.fromkeys(season.prices, 0.0)
    for p in season.periods:
        hours[p.band] += (p.end_h - p.start_h) % 24 or 24
    assert hours == {"peak": 8.0, "flat": 8.0, "valley": 8.0}


BASE = load_tariff("chengdu-2023")


@given(st.floats(0.0, 2.0), st.floats(0.0, 0.5))
def test_a_spread_move_never_sets_an_energy_price_below_the_floor(
    spread: float, floor: float
) -> None:
    moved = move_tariff(BASE, spread, floor_yuan_per_kwh=floor)
    (season,) = moved.seasons
    low = min(floor, 0.2602)  # a band already below the floor stays where it is
    assert all(p.energy_yuan_per_kwh >= low - 1e-12 for p in season.prices.values())
    assert season.spread_yuan_per_kwh == pytest.approx(spread, abs=1e-9)
    assert moved.reference(0) == BASE.reference(0)


@given(st.floats(1.0, 10.0), st.floats(0.0, 0.5))
def test_a_ratio_move_meets_its_ratio_above_the_floor(ratio: float, floor: float) -> None:
    moved = move_tariff(BASE, ratio, mode="ratio", floor_yuan_per_kwh=floor)
    (season,) = moved.seasons
    assert season_ratio(season) == pytest.approx(ratio)
    valley = season.prices["valley"].energy_yuan_per_kwh
    assert valley >= floor - 1e-12
    peak = season.prices["peak"].energy_yuan_per_kwh
    assert peak == pytest.approx(max(0.7536, ratio * floor))
    flat = season.prices["flat"].energy_yuan_per_kwh
    assert valley <= flat <= peak


def test_bad_moves() -> None:
    with pytest.raises(InputError, match="mode"):
        move_tariff(BASE, 0.3, mode="both")
    with pytest.raises(InputError, match="ratio"):
        move_tariff(BASE, 0.5, mode="ratio")
    with pytest.raises(InputError, match="one price band"):
        move_tariff(load_tariff("beijing-public-2015"), 0.3)
    assert math.isinf(season_ratio(move_tariff(BASE, 0.7536, floor_yuan_per_kwh=0).seasons[0]))


def test_grid_factor_by_province() -> None:
    assert grid_factor("四川") == (0.1564, "四川", "provincial")
    assert grid_factor("sichuan province") == (0.1564, "四川", "provincial")
    assert grid_factor("Chongqing") == (0.2472, "西南", "regional")  # no provincial figure
    assert grid_factor("河南") == (0.5306, "全国", "national")  # no figure for its region either
    assert grid_factor("Sichuan", "national") == (0.5306, "全国", "national")
    assert grid_factor(None) == (0.5306, "全国", "national")
    with pytest.raises(InputError, match="province"):
        grid_factor("Atlantis")


def test_a_sichuan_community_earns_credits_at_its_own_factor() -> None:
    """0.9 x 100/15 km per kWh x 7.2 L/100 km x 2.37 kg/L = 1.02384 kg avoided; the grid emits
    0.1564 in Sichuan and 0.5306 nationally."""
    sichuan = load_carbon(province="Sichuan")
    assert sichuan.reduction_kg_per_kwh == pytest.approx(1.02384 - 0.1564)
    assert load_carbon().reduction_kg_per_kwh == pytest.approx(1.02384 - 0.5306)
    doc = sichuan.to_dict()["grid_factor"]
    assert doc["area"] == "四川" and doc["level"] == "provincial" and "2023" in doc["edition"]
    energy = np.array([10.0])
    shares = np.array([[0.0, 0.0, 0.0, 1.0]])  # all in the valley
    credits = sichuan.credits(energy, shares)
    assert credits.credited_kg == pytest.approx(10 * (1.02384 - 0.1564) * 1.2)


def test_the_site_document_takes_a_province(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from evgrid.grid.site import load_site

    path = tmp_path / "a.yaml"
    path.write_text(
        "kind: residential\nname: A\nhouseholds: 810\nparking_spaces: 324\n"
        "transformer_kva: 1250\nregular_peak_kw: 880\nregular_valley_kw: 352\n"
        "province: 四川\n",
        "utf-8",
    )
    assert load_site(path).province == "四川"
