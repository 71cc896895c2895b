"""The residential planning-index model: kernels, regular-load rules, small exact cases."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from evgrid.errors import InputError
from evgrid.grid.site import ResidentialSite
from evgrid.planning.assumptions import ResidentialAssumptions
from evgrid.planning.index import (
    community_type,
    demand_coefficient,
    largest_ratio_at_step,
    largest_ratio_linear,
    pile_ratio_axis,
    regular_load,
    residential_index,
)
from evgrid.planning.reproduce import residential_modes


def _site(**kw: object) -> ResidentialSite:
    fields: dict[str, object] = {
        "name": "t",
        "households": 100,
        "parking_spaces": 100,
        "transformer_kva": 1000.0,
        "regular_peak_kw": 500.0,
        "regular_valley_kw": 200.0,
    }
    fields.update(kw)
    return ResidentialSite(**fields)


def test_pile_ratio_axis_has_exact_steps() -> None:
    axis = pile_ratio_axis(0.1)
    assert axis.shape == (11,)
    assert axis[6] == 0.6
    assert pile_ratio_axis(0.01).shape == (101,)


def test_largest_ratio_linear_exact_and_clipped() -> None:
    # 500 + r * 1000 <= 800  ->  r = 0.3
    assert largest_ratio_linear(800.0, (500.0, 1000.0)) == pytest.approx(0.3)
    assert largest_ratio_linear(800.0, (500.0, 100.0)) == 1.0
    assert largest_ratio_linear(800.0, (900.0, 100.0)) == 0.0
    # a floor above the limit (the evening peak for orderly charging) allows nothing
    assert largest_ratio_linear(800.0, (100.0, 100.0), (850.0, 0.0)) == 0.0
    # the tighter of two lines binds: 300 + r * 1000 and 200 + r * 2000 -> 0.3
    assert largest_ratio_linear(800.0, (300.0, 1000.0), (200.0, 2000.0)) == pytest.approx(0.3)


def test_largest_ratio_at_step_reads_first_failure() -> None:
    def loading(r: np.ndarray) -> np.ndarray:
        return 0.5 + r  # 0.8 reached at r = 0.3

    assert largest_ratio_at_step(loading, 0.8, 0.1) == pytest.approx(0.3)
    assert largest_ratio_at_step(loading, 0.79, 0.1) == pytest.approx(0.2)
    assert largest_ratio_at_step(loading, 0.4, 0.1) == 0.0
    assert largest_ratio_at_step(loading, 2.0, 0.1) == 1.0


def test_largest_ratio_at_step_stops_at_first_failure_of_a_dipping_curve() -> None:
    def loading(r: np.ndarray) -> np.ndarray:
        return np.where((r > 0.25) & (r < 0.35), 0.9, 0.5)

    assert largest_ratio_at_step(loading, 0.8, 0.1) == pytest.approx(0.2)


def test_demand_coefficient_bands() -> None:
    bands = ((10.0, 0.8), (50.0, 0.6), (float("inf"), 0.4))
    k = demand_coefficient(np.array([1.0, 10.0, 10.5, 50.0, 51.0, 5000.0]), 0.55, bands)
    np.testing.assert_allclose(k, [0.8, 0.8, 0.6, 0.6, 0.4, 0.4])
    np.testing.assert_allclose(demand_coefficient(np.array([1.0, 99.0]), 0.55), [0.55, 0.55])


@pytest.mark.parametrize(
    ("built", "kind"),
    [(1985, "old"), (1999, "old"), (2000, "sub-new"), (2018, "new"), (2021, "new")],
)
def test_community_type_from_build_year(built: int, kind: str) -> None:
    assert community_type(_site(built=built), 2023, 2000, 5) == kind


def test_explicit_type_wins_and_unknown_is_none() -> None:
    assert community_type(_site(built=2021, type="old"), 2023, 2000, 5) == "old"
    assert community_type(_site(), 2023, 2000, 5) is None


def test_new_community_takes_planning_index_above_measured() -> None:
    a = ResidentialAssumptions()
    site = _site(built=2022, households=1000)  # index 1300 kW > measured 500 kW
    reg = regular_load(site, a)
    assert reg.peak_kw == pytest.approx(1.3 * 1000)
    assert reg.valley_kw == pytest.approx(reg.peak_kw * 200.0 / 500.0)
    assert reg.basis == "planning index (filling up)"
    assert regular_load(site, replace(a, new_at_planning_index=False)).peak_kw == 500.0
    # a settled (sub-new) community keeps its measurement
    assert regular_load(_site(built=2005, households=1000), a).peak_kw == 500.0


def test_no_measured_load_uses_planning_index_and_valley_ratio() -> None:
    a = ResidentialAssumptions()
    site = _site(regular_peak_kw=None, regular_valley_kw=None)
    reg = regular_load(site, a)
    assert reg.peak_kw == pytest.approx(130.0)
    assert reg.valley_kw == pytest.approx(130.0 * a.valley_to_peak)
    assert reg.basis == "planning index"


def test_peak_without_valley_uses_valley_ratio() -> None:
    reg = regular_load(_site(regular_valley_kw=None), ResidentialAssumptions())
    assert reg.valley_kw == pytest.approx(0.4 * 500.0)


def test_small_case_by_hand() -> None:
    # uncontrolled: 500 + r*100*3.85 <= 800 -> r = 300/385; orderly: 200 + r*100*2 <= 800 -> 1
    r = residential_modes(_site(built=2005))
    assert r["uncontrolled"].max_pile_ratio_p50 == pytest.approx(300 / 385)
    assert r["uncontrolled"].details["max_pile_ratio_10pct"] == pytest.approx(0.7)
    assert r["uncontrolled"].details["max_pile_ratio_1pct"] == pytest.approx(0.77)
    assert r["uncontrolled"].max_piles_p50 == 77
    assert r["orderly"].max_pile_ratio_p50 == 1.0
    # the orderly curve never drops below the regular evening peak
    assert r["orderly"].loading_p50[0] == pytest.approx(0.5)
    assert r["uncontrolled"].loading_p50[-1] == pytest.approx((500 + 385) / 1000)


def test_power_factor_scales_the_capacity() -> None:
    full = residential_modes(_site(built=2005))
    half = residential_modes(_site(built=2005, power_factor=0.5))
    np.testing.assert_allclose(
        half["uncontrolled"].loading_p50, 2 * full["uncontrolled"].loading_p50
    )


def test_partial_participation_splits_evening_and_valley_by_hand() -> None:
    # half orderly: evening 500 + r*100*0.5*3.85, night 200 + r*100*0.5*2.0, limit 800
    r = residential_index(_site(built=2005), strategy="orderly", participation=0.5, basis="report")
    assert r.max_pile_ratio_p50 == pytest.approx(1.0)  # 692.5 kW at r = 1
    assert r.loading_p50[-1] == pytest.approx(692.5 / 1000)
    low = residential_index(
        _site(built=2005, transformer_kva=800.0),
        strategy="orderly",
        participation=0.5,
        basis="report",
    )
    assert low.max_pile_ratio_p50 == pytest.approx(140 / 192.5)  # 500 + r*192.5 <= 640
    with pytest.raises(InputError, match="participation"):
        residential_index(_site(), strategy="uncontrolled", participation=0.5)


def test_invalid_assumptions_are_refused() -> None:
    with pytest.raises(InputError, match=r"charger_efficiency: got 0\.0; allowed: a number in"):
        residential_modes(_site(), ResidentialAssumptions(charger_efficiency=0.0))
    with pytest.raises(InputError, match="limit_pu: got -5"):
        ResidentialAssumptions(limit_pu=-5)


def test_measured_curve_gives_peak_and_window_valley(tmp_path: Path) -> None:
    pytest.importorskip("evgrid.load.measured")
    hours = np.arange(24)
    power = np.where((hours >= 23) | (hours < 7), 100.0, 300.0)
    power[2:4] = 50.0  # a deeper valley inside the night window
    power[20] = 400.0
    csv = tmp_path / "curve.csv"
    csv.write_text("power_kw\n" + "\n".join(f"{p:g}" for p in power) + "\n", encoding="utf-8")
    site = _site(regular_peak_kw=None, regular_valley_kw=None, load_curve=csv)
    reg = regular_load(site, ResidentialAssumptions())
    assert reg.peak_kw == pytest.approx(400.0)
    assert reg.valley_kw == pytest.approx(100.0)  # the best 5-hour window still holds a 100
    assert reg.basis == "measured curve"
