"""Unit tests: IEC 60076-7 kernel (cyclic state, vectorisation, ageing) and the Transformer."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from evgrid.errors import InputError
from evgrid.grid.thermal import (
    ThermalParams,
    ageing_days_per_day,
    hot_spot_c,
    loss_of_life_days,
    relative_ageing,
    thermal_response,
)
from evgrid.grid.transformer import (
    CRITERIA,
    Transformer,
    check_criterion,
    default_limit,
    loading_pu,
)
from evgrid.load import typical_curve

DAY_15MIN = 96


def _day(seed: int = 0, n: int = DAY_15MIN) -> np.ndarray:
    return typical_curve("residential", 1.0).power_kw[0] * np.random.default_rng(seed).uniform(
        0.8, 1.3, n
    )


def test_cyclic_state_is_the_limit_of_repeating_the_day() -> None:
    day = _day()
    cyclic = thermal_response(day, 25.0, 15.0)
    ten_days = thermal_response(np.tile(day, 10), 25.0, 15.0, initial=0.0)
    np.testing.assert_allclose(cyclic.top_oil_c, ten_days.top_oil_c[-DAY_15MIN:], atol=1e-9)
    np.testing.assert_allclose(cyclic.hot_spot_c, ten_days.hot_spot_c[-DAY_15MIN:], atol=1e-9)
    # ... and is periodic: two days in cyclic state are the same day twice.
    two = thermal_response(np.tile(day, 2), 25.0, 15.0).hot_spot_c
    np.testing.assert_allclose(two, np.tile(cyclic.hot_spot_c, 2), atol=1e-9)


def test_cases_are_independent_rows() -> None:
    cases = np.stack([_day(seed) for seed in range(5)])
    ambient = np.linspace(15.0, 35.0, DAY_15MIN)
    together = hot_spot_c(cases, ambient, 15.0)
    for i, case in enumerate(cases):
        np.testing.assert_allclose(together[i], hot_spot_c(case, ambient, 15.0), atol=1e-12)
    per_case_ambient = np.stack([ambient + i for i in range(5)])
    shifted = hot_spot_c(cases, per_case_ambient, 15.0)
    expected = np.broadcast_to(np.arange(5.0)[:, None], shifted.shape)
    np.testing.assert_allclose(shifted - together, expected, atol=1e-9)


def test_ambient_shifts_temperatures_one_to_one() -> None:
    day = _day(3)
    base = thermal_response(day, 20.0, 15.0)
    warm = thermal_response(day, 30.0, 15.0)
    np.testing.assert_allclose(warm.top_oil_c - base.top_oil_c, 10.0, atol=1e-9)
    np.testing.assert_allclose(warm.hot_spot_c - base.hot_spot_c, 10.0, atol=1e-9)


@given(
    load=arrays(np.float64, 24, elements=st.floats(0.0, 2.0)),
    extra=arrays(np.float64, 24, elements=st.floats(0.0, 0.5)),
)
def test_more_load_never_cools(load: np.ndarray, extra: np.ndarray) -> None:
    low = thermal_response(load, 20.0, 60.0)
    high = thermal_response(load + extra, 20.0, 60.0)
    assert np.all(high.top_oil_c >= low.top_oil_c - 1e-9)
    assert np.all(high.hot_spot_c >= low.hot_spot_c - 1e-9)


def test_relative_ageing_and_loss_of_life() -> None:
    np.testing.assert_allclose(relative_ageing([98.0, 104.0, 92.0]), [1.0, 2.0, 0.5])
    np.testing.assert_allclose(relative_ageing(110.0, "upgraded"), 1.0)
    assert relative_ageing(98.0, "upgraded") < 1.0  # upgraded paper ages slower
    assert loss_of_life_days(np.full(96, 104.0), 15.0) == pytest.approx(2.0)
    assert ageing_days_per_day(np.full((3, 192), 104.0), 15.0) == pytest.approx([2.0] * 3)
    with pytest.raises(InputError, match="paper"):
        relative_ageing(98.0, "kraft")


def test_bad_parameters_and_initial_state() -> None:
    with pytest.raises(InputError, match="oil_time_constant_min"):
        ThermalParams(oil_time_constant_min=0.0)
    with pytest.raises(InputError, match="k21"):
        ThermalParams(k21=0.5)
    with pytest.raises(InputError, match="initial"):
        thermal_response(np.ones(4), 20.0, 15.0, initial="warm")  # type: ignore[arg-type]


# --- Transformer ---------------------------------------------------------------------------


def test_loading_convention_of_the_report() -> None:
    # Report case A: 880 kW regular peak on 1250 kVA is 70.4 % (power factor 1).
    assert loading_pu(880.0, 1250.0) == pytest.approx(0.704)
    assert Transformer(1250.0, power_factor=0.9).loading_pu(900.0) == pytest.approx(0.8)


def test_evaluate_loading_many_cases() -> None:
    transformer = Transformer(1250.0)
    total_kw = np.stack([np.full(96, 900.0), np.full(96, 1100.0)])
    total_kw[0, 40] = 1000.0  # exactly 80 %: passes
    verdict = transformer.evaluate(total_kw, "loading")
    np.testing.assert_allclose(verdict.metric, [0.8, 0.88])
    np.testing.assert_array_equal(verdict.passed, [True, False])
    assert verdict.limit == default_limit("loading") == 0.8
    assert verdict.unit == "pu"
    np.testing.assert_allclose(verdict.headroom, [0.0, -0.08], atol=1e-12)


def test_evaluate_thermal_criteria_at_rated_point() -> None:
    transformer = Transformer(1000.0)  # 20 °C default ambient, IEC Table 5 ONAN
    rated = np.full((2, 96), 1000.0)
    rated[1] *= 1.2
    hot = transformer.evaluate(rated, "hotspot")
    assert hot.metric[0] == pytest.approx(98.0)
    assert hot.metric[1] > 98.0
    assert list(hot.passed) == [bool(hot.metric[0] <= 98.0), False]
    ageing = transformer.evaluate(rated, "ageing")
    assert ageing.metric[0] == pytest.approx(1.0)
    assert ageing.metric[1] > 1.0
    assert ageing.unit == "days/day"
    cool = transformer.evaluate(rated, "ageing", ambient_c=0.0)
    assert np.all(cool.metric < ageing.metric)
    loose = transformer.evaluate(rated, "hotspot", limit=120.0)  # IEC normal cyclic limit
    np.testing.assert_array_equal(loose.passed, [True, False])  # 1.2 pu: about 121 °C


def test_unknown_criterion_and_bad_transformer() -> None:
    assert set(CRITERIA) == {"loading", "hotspot", "ageing"}
    with pytest.raises(InputError, match=r"criterion: got 'temperature'; allowed"):
        check_criterion("temperature")
    with pytest.raises(InputError, match="criterion"):
        Transformer(100.0).evaluate(np.ones(96), "peak")
    with pytest.raises(InputError, match="limit"):
        Transformer(100.0).evaluate(np.ones(96), "loading", limit=-1.0)
    with pytest.raises(InputError, match="transformer_kva"):
        Transformer(0.0)
    with pytest.raises(InputError, match="power_factor"):
        Transformer(100.0, power_factor=1.2)


def test_transformer_from_site() -> None:
    class _Site:
        transformer_kva = 3200.0
        power_factor = 0.95

    transformer = Transformer.from_site(_Site(), ambient_c=30.0)
    assert (transformer.rating_kva, transformer.power_factor) == (3200.0, 0.95)
    assert transformer.rating_kw == pytest.approx(3040.0)
    assert transformer.ambient_c == 30.0


@pytest.mark.parametrize(
    ("peak_kw", "valley_kw", "rating_kva", "loading"),
    [
        (880.0, 352.0, 1250.0, 0.704),
        (1883.0, 753.0, 3200.0, 0.588),
        (3659.0, 1463.0, 10200.0, 0.359),
    ],
    ids=["A", "B", "C"],
)
def test_report_case_loadings_from_the_typical_curve(
    peak_kw: float, valley_kw: float, rating_kva: float, loading: float
) -> None:
    """Report tables 1-3 (section 3.2): loading = regular peak / kVA at power factor 1."""
    base_kw = typical_curve("residential", peak_kw, valley_kw).power_kw
    verdict = Transformer(rating_kva).evaluate(base_kw, "loading")
    assert verdict.metric[0] == pytest.approx(loading, abs=5e-4)
    assert verdict.passed[0]  # every case passes 80 % before charging
    night = Transformer(rating_kva).loading_pu(base_kw).min()
    assert night == pytest.approx(valley_kw / rating_kva)
