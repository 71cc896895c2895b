"""Validation of the IEC 60076-7 thermal kernel.

0. Against the worked example of the standard itself (its table of top-oil and hot-spot
   temperatures after six load steps): within 1.1 K; the largest gaps are 1.04 K (hot spot at
   500 min) and 0.68 K (hot spot at 190 min, which depends on the assumed start); the others
   are within 0.07 K. evgrid's exact per-slot solution gives the same values at 1 and 5 min.
1. Against the maintained ``transformer-thermal-model`` package (Alliander, MPL-2.0) on the
   same profiles, with its parameters set to IEC 60076-7 Table 5: agreement to 1e-9 K.
2. Against a literal transcription of the standard's explicit difference equations (IEC
   60076-7:2018, difference-equation solution) run with a small time step: agreement within 0.05 K.
3. The rated point of Table 5 (K = 1, 20 °C: hot spot 98 °C, V = 1) and the package's own
   ageing (``days_aged``) on the same hot-spot profile.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from transformer_thermal_model.aging import days_aged
from transformer_thermal_model.cooler import CoolerType
from transformer_thermal_model.model import Model
from transformer_thermal_model.schemas import InputProfile, UserTransformerSpecifications
from transformer_thermal_model.schemas.thermal_model.initial_state import InitialLoad
from transformer_thermal_model.transformer import (
    DistributionTransformer,
    PaperInsulationType,
    PowerTransformer,
)

from evgrid.grid.thermal import (
    ONAN_DISTRIBUTION,
    ThermalParams,
    loss_of_life_days,
    relative_ageing,
    thermal_response,
)

NO_LOAD_LOSS_W = 1000.0  # any value: the package only uses the ratio R = load / no-load loss


def _package_specs(p: ThermalParams) -> UserTransformerSpecifications:
    return UserTransformerSpecifications(
        no_load_loss=NO_LOAD_LOSS_W,
        load_loss=p.loss_ratio * NO_LOAD_LOSS_W,
        nom_load_sec_side=1.0,  # load profile given in pu
        top_oil_temp_rise=p.top_oil_rise_k,
        winding_oil_gradient=p.hot_spot_gradient_k,
        hot_spot_fac=1.0,  # Δθhr = H·gr is passed as the gradient
        time_const_oil=p.oil_time_constant_min,
        time_const_windings=p.winding_time_constant_min,
        oil_const_k11=p.k11,
        winding_const_k21=int(p.k21),
        winding_const_k22=int(p.k22),
        oil_exp_x=p.oil_exponent,
        winding_exp_y=p.winding_exponent,
        amb_temp_surcharge=0.0,
        end_temp_reduction=0.0,
    )


def _run_package(
    load_pu: np.ndarray, ambient_c: np.ndarray, slot_min: float, p: ThermalParams, k0: float
) -> tuple[np.ndarray, np.ndarray, pd.Series]:
    """Package run; the first point is the initial steady state at K0, then one point a slot."""
    n = load_pu.size
    index = pd.date_range("2024-07-01", periods=n + 1, freq=f"{slot_min:g}min")
    profile = InputProfile.create(
        datetime_index=index,
        load_profile=np.concatenate([[k0], load_pu]),
        ambient_temperature_profile=np.concatenate([[ambient_c[0]], ambient_c]),
    )
    if p == ONAN_DISTRIBUTION:
        transformer = DistributionTransformer(user_specs=_package_specs(p))
    else:
        transformer = PowerTransformer(user_specs=_package_specs(p), cooling_type=CoolerType.ONAF)
    out = Model(profile, transformer, initial_condition=InitialLoad(initial_load=k0)).run()
    hot_spot = out.hot_spot_temp_profile
    return out.top_oil_temp_profile.to_numpy()[1:], hot_spot.to_numpy()[1:], hot_spot


def _profile(n_slots: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    load = np.clip(0.6 + 0.5 * np.sin(np.linspace(0, 4 * np.pi, n_slots)), 0, None)
    load = load + rng.uniform(0.0, 0.4, n_slots)
    ambient = 25.0 + 8.0 * np.sin(np.linspace(0, 2 * np.pi, n_slots))
    return load, ambient


ONAF_TWO_TERM = ThermalParams(  # IEC 60076-7:2018 Table 5, medium/large power transformer ONAF
    top_oil_rise_k=52.0,
    hot_spot_gradient_k=26.0,
    loss_ratio=6.0,
    oil_exponent=0.8,
    winding_exponent=1.3,
    oil_time_constant_min=150.0,
    winding_time_constant_min=7.0,
    k11=0.5,
    k21=2.0,
    k22=2.0,
)


@pytest.mark.parametrize("params", [ONAN_DISTRIBUTION, ONAF_TWO_TERM], ids=["onan", "onaf"])
@pytest.mark.parametrize("slot_min", [1.0, 15.0, 60.0])
def test_matches_transformer_thermal_model_package(params: ThermalParams, slot_min: float) -> None:
    n_slots = round(2 * 1440 / slot_min)
    load, ambient = _profile(n_slots, seed=3)
    k0 = 0.7
    ref_oil, ref_hot, _ = _run_package(load, ambient, slot_min, params, k0)
    ours = thermal_response(load, ambient, slot_min, params, initial=k0)
    np.testing.assert_allclose(ours.top_oil_c, ref_oil, atol=1e-9, rtol=0)
    np.testing.assert_allclose(ours.hot_spot_c, ref_hot, atol=1e-9, rtol=0)


def test_many_cases_at_once_match_one_by_one_package_runs() -> None:
    cases = np.stack([_profile(96, seed)[0] for seed in range(4)])
    ambient = np.full(96, 30.0)
    ours = thermal_response(cases, 30.0, 15.0, initial=0.5).hot_spot_c
    for i, load in enumerate(cases):
        _, ref_hot, _ = _run_package(load, ambient, 15.0, ONAN_DISTRIBUTION, 0.5)
        np.testing.assert_allclose(ours[i], ref_hot, atol=1e-9, rtol=0)


def test_ageing_matches_package_days_aged() -> None:
    load, ambient = _profile(96, seed=5)
    load = load * 1.3
    _, ref_hot, ref_series = _run_package(load, ambient, 15.0, ONAN_DISTRIBUTION, 1.0)
    ours = loss_of_life_days(ref_hot, 15.0)
    assert ours == pytest.approx(days_aged(ref_series, PaperInsulationType.NORMAL), rel=1e-12)
    upgraded = loss_of_life_days(ref_hot, 15.0, paper="upgraded")
    expected = days_aged(ref_series, PaperInsulationType.THERMAL_UPGRADED)
    assert upgraded == pytest.approx(expected, rel=1e-12)


def _iec_difference_equations(
    load_pu: np.ndarray, ambient_c: float, p: ThermalParams, step_min: float, k0: float
) -> tuple[np.ndarray, np.ndarray]:
    """IEC 60076-7 difference equations (explicit Euler), transcribed literally, one time step
    at a time. ``load_pu`` is given per step; returns θo and θh after each step."""
    theta_o = ambient_c + p.top_oil_rise_k * ((1 + p.loss_ratio * k0**2) / (1 + p.loss_ratio)) ** (
        p.oil_exponent
    )
    h1 = p.k21 * p.hot_spot_gradient_k * k0**p.winding_exponent
    h2 = (p.k21 - 1) * p.hot_spot_gradient_k * k0**p.winding_exponent
    top, hot = [], []
    for k in load_pu:
        ultimate = p.top_oil_rise_k * ((1 + p.loss_ratio * k**2) / (1 + p.loss_ratio)) ** (
            p.oil_exponent
        )
        theta_o += step_min / (p.k11 * p.oil_time_constant_min) * (ultimate - (theta_o - ambient_c))
        target = p.hot_spot_gradient_k * k**p.winding_exponent
        h1 += step_min / (p.k22 * p.winding_time_constant_min) * (p.k21 * target - h1)
        h2 += step_min / (p.oil_time_constant_min / p.k22) * ((p.k21 - 1) * target - h2)
        top.append(theta_o)
        hot.append(theta_o + h1 - h2)
    return np.array(top), np.array(hot)


def _step_load(
    starts_min: tuple[float, ...], loads_pu: tuple[float, ...], end_min: float, slot_min: float
) -> np.ndarray:
    """Load factor per slot: ``loads_pu[j]`` from ``starts_min[j]`` on, until ``end_min`` [pu]."""
    slot_start = np.arange(0.0, end_min, slot_min)
    return np.asarray(loads_pu)[np.searchsorted(starts_min, slot_start, side="right") - 1]


@pytest.mark.parametrize("params", [ONAN_DISTRIBUTION, ONAF_TWO_TERM], ids=["onan", "onaf"])
def test_converges_to_iec_difference_equations(params: ThermalParams) -> None:
    # Load steps from no load to 2.1 pu, K held over blocks of minutes.
    starts = (0.0, 190.0, 365.0, 500.0, 710.0, 735.0)
    load_per_min = _step_load(starts, (1.0, 0.6, 1.5, 0.3, 2.1, 0.0), 900.0, 1.0)
    fine_step_min = 0.01
    fine_load = np.repeat(load_per_min, round(1 / fine_step_min))
    ref_top, ref_hot = _iec_difference_equations(fine_load, 25.6, params, fine_step_min, k0=1.0)
    ours = thermal_response(load_per_min, 25.6, 1.0, params, initial=1.0)
    per_min = round(1 / fine_step_min)
    np.testing.assert_allclose(ours.top_oil_c, ref_top[per_min - 1 :: per_min], atol=0.05)
    np.testing.assert_allclose(ours.hot_spot_c, ref_hot[per_min - 1 :: per_min], atol=0.05)


def test_rated_point_of_table_5() -> None:
    response = thermal_response(np.ones(96), 20.0, 15.0)
    np.testing.assert_allclose(response.top_oil_c, 20.0 + 55.0)
    np.testing.assert_allclose(response.hot_spot_c, 98.0)
    np.testing.assert_allclose(relative_ageing(response.hot_spot_c), 1.0)


def test_step_response_is_the_exponential_solution() -> None:
    """From no load to K = 1 at 20 °C: θo(t) = θa + Δθor,0 + (Δθor − Δθor,0)(1 − e^(−t/k11τo))."""
    p = ONAN_DISTRIBUTION
    minutes = np.arange(1, 2001)
    response = thermal_response(np.ones(minutes.size), 20.0, 1.0, initial=0.0)
    start_rise = p.top_oil_rise_k * (1 / (1 + p.loss_ratio)) ** p.oil_exponent
    expected = (
        20.0
        + start_rise
        + (p.top_oil_rise_k - start_rise)
        * (1 - np.exp(-minutes / (p.k11 * p.oil_time_constant_min)))
    )
    np.testing.assert_allclose(response.top_oil_c, expected, atol=1e-9)
    rise = p.hot_spot_gradient_k * (1 - np.exp(-minutes / (p.k22 * p.winding_time_constant_min)))
    np.testing.assert_allclose(response.hot_spot_c - response.top_oil_c, rise, atol=1e-9)
    assert math.isclose(response.hot_spot_c[-1], 98.0, abs_tol=0.01)


# IEC 60076-7:2018 worked example of the difference-equation solution: an ONAF transformer
# (Δθor 38.3 K, H·gr = 1.4 × 14.5 K, R 1000, x 0.8, y 1.3, τo 150 min, τw 7 min, k11 0.5,
# k21 2, k22 2) at 25.6 °C ambient, starting with the top oil at 38.3 °C, under load steps.
# The standard's tabulated temperatures at the end of each step (as transcribed in the
# transformer-thermal-model test suite): minute -> (top oil, hot spot) [°C].
IEC_EXAMPLE_PARAMS = ThermalParams(
    top_oil_rise_k=38.3,
    hot_spot_gradient_k=1.4 * 14.5,
    loss_ratio=1000.0,
    oil_exponent=0.8,
    winding_exponent=1.3,
    oil_time_constant_min=150.0,
    winding_time_constant_min=7.0,
    k11=0.5,
    k21=2.0,
    k22=2.0,
)
IEC_EXAMPLE_STEPS_MIN = (0, 190, 365, 500, 705, 730, 745)
IEC_EXAMPLE_LOAD_PU = (1.0, 0.6, 1.5, 0.3, 2.1, 0.0)
IEC_EXAMPLE_TABLE_C = {
    190: (61.9, 83.8),
    365: (44.4, 54.0),
    500: (89.2, 127.0),
    705: (35.0, 37.5),
    730: (67.9, 138.6),
    745: (60.3, 75.3),
}
IEC_EXAMPLE_AMBIENT_C = 25.6
IEC_EXAMPLE_TOL_K = 1.1
"""Tolerance against the standard's table [K]: it tabulates its explicit difference equations
(not the exact solution) from its own start; the gap is at most 1.04 K (hot spot, 500 min)."""


def test_standard_worked_example_table() -> None:
    slot_min = 5.0
    starts = IEC_EXAMPLE_STEPS_MIN[:-1]
    load = _step_load(starts, IEC_EXAMPLE_LOAD_PU, IEC_EXAMPLE_STEPS_MIN[-1], slot_min)
    p = IEC_EXAMPLE_PARAMS
    # the start (top oil 38.3 °C, 12.7 K above ambient) as the steady state of a load factor
    ratio = (12.7 / p.top_oil_rise_k) ** (1.0 / p.oil_exponent)
    k0 = math.sqrt((ratio * (1.0 + p.loss_ratio) - 1.0) / p.loss_ratio)
    response = thermal_response(load, IEC_EXAMPLE_AMBIENT_C, slot_min, p, initial=k0)
    for minute, (top_oil, hot_spot) in IEC_EXAMPLE_TABLE_C.items():
        i = int(minute / slot_min) - 1
        assert response.top_oil_c[i] == pytest.approx(top_oil, abs=IEC_EXAMPLE_TOL_K)
        assert response.hot_spot_c[i] == pytest.approx(hot_spot, abs=IEC_EXAMPLE_TOL_K)
