"""The screen against power-grid-model's Newton-Raphson, element by element; symmetric runs;
taps and two-unit rooms; the error bound."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from evgrid.network.generator import generate_area
from evgrid.network.n1 import outage
from evgrid.network.powerflow import LoadPoints
from evgrid.network.reference import pgm_extremes
from evgrid.network.screening import StepLoads, screen

pytest.importorskip("power_grid_model")


def _loads(net, n: int, seed: int, *, symmetric: bool = False) -> StepLoads:
    rng = np.random.default_rng(seed)
    household = 0.4 + 1.2 * rng.random(n)
    piles = (rng.random((n, net.n_pile)) < 0.25) * 7.0
    return StepLoads(LoadPoints.of(net), household, piles, symmetric=symmetric)


def _assert_same(a, b, atol: float = 1e-6) -> None:
    for field in ("vmin_pu", "vmax_pu", "cable_loading_pu", "unit_loading_pu", "unit_total_pu"):
        x, y = getattr(a, field), getattr(b, field)
        live = np.isfinite(x) & np.isfinite(y)
        np.testing.assert_allclose(x[live], y[live], atol=atol, err_msg=field)
    np.testing.assert_allclose(a.unbalance_pct, b.unbalance_pct, atol=1e-4)
    np.testing.assert_allclose(a.neutral_a, b.neutral_a, atol=1e-3)


@pytest.mark.parametrize("symmetric", [False, True])
def test_screen_equals_newton_raphson_on_every_element(symmetric: bool) -> None:
    net = generate_area("cn-feeder-4x25")
    loads = _loads(net, 96, seed=4, symmetric=symmetric)
    fast = screen(net, loads)
    full = pgm_extremes(net, loads)
    _assert_same(fast, full)
    assert fast.method == "screen+nr" and fast.verified_steps.size > 0
    assert fast.bound_pu < 1e-7 and fast.screen_error_pu < 1e-7
    if symmetric:
        assert fast.max_voltage_unbalance_pct < 1e-6


def test_per_phase_sees_what_balanced_misses() -> None:
    """All piles on phase a: the per-phase run shows the undervoltage and the cable overload."""
    net = generate_area("cn-feeder-4x25")
    loads = _loads(net, 48, seed=2)
    asym = screen(net, loads)
    sym = screen(net, dataclasses.replace(loads, symmetric=True))
    assert asym.min_voltage_pu < sym.min_voltage_pu - 0.01
    assert asym.max_cable_loading_pu > sym.max_cable_loading_pu * 1.2


def test_taps_and_two_unit_rooms_match_newton_raphson() -> None:
    net = generate_area("cn-residential-sub-new")
    units = tuple(dataclasses.replace(u, tap_pos=1) for u in net.units)
    net = dataclasses.replace(net, units=units, xy_m=net.xy_m, spaces=net.spaces)
    for case in (net, outage(net, 0)):
        loads = _loads(case, 24, seed=7)
        _assert_same(screen(case, loads), pgm_extremes(case, loads))


def test_no_load_voltage_is_the_secondary_rating() -> None:
    """No load: every bus sits at 400 / 380 V (the 0.4 kV secondary on a 380 V system)."""
    net = generate_area("cn-residential-old")
    loads = StepLoads(LoadPoints.of(net), np.zeros(2), np.zeros((2, 0)))
    ext = screen(net, loads)
    np.testing.assert_allclose(ext.vmin_pu, 400.0 / 380.0, atol=1e-9)
    assert ext.max_cable_loading_pu == 0.0
