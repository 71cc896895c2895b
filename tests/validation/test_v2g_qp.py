"""V2G scheduling against the HiGHS QP: every exact path, on random instances.

The reference (``v2g_reference.py``) is the QP in charging and discharging per session and slot;
evgrid's paths are the valley-filling kernel on the lossless reduction, the per-car water-filling
with losses and wear, and the per-car nested (state-of-charge) dynamic programme. Objective and
per-slot totals agree to 1e-6 (relative, and kW against the largest total).
"""

from __future__ import annotations

import numpy as np
import pytest
from v2g_reference import v2g_qp, windows

from evgrid.charging.v2g import BEST_RESPONSE, EXACT_KERNEL, NESTED, level_price, v2g
from evgrid.sessions import Sessions
from evgrid.timegrid import TimeGrid

RTOL = 1e-6
"""Objective and per-slot totals: relative agreement asked by the tests [-]."""

LOSSLESS = {"charge_efficiency": 1.0, "discharge_efficiency": 1.0, "wear_yuan_per_kwh": 0.0}
VARIANTS = {
    # the valley-filling kernel on shifted sessions and base load
    "lossless": ({**LOSSLESS, "soc_bounds": False}, EXACT_KERNEL),
    # losses and wear: one-parameter water-filling per car
    "losses-wear": ({"soc_bounds": False}, BEST_RESPONSE),
    # small batteries and a high reserve: the state-of-charge floor binds
    "soc": (
        {"battery_kwh": 12.0, "min_soc": 0.6, "departure_soc": 0.9, "wear_yuan_per_kwh": 0.02},
        NESTED,
    ),
    "lossless-soc": ({**LOSSLESS, "battery_kwh": 18.0, "min_soc": 0.6}, NESTED),
}


def instance(
    seed: int, n: int = 10, slot_min: float = 30.0
) -> tuple[Sessions, TimeGrid, np.ndarray]:
    """Sessions with fractional windows; a base load above the fleet's discharge capacity."""
    rng = np.random.default_rng(seed)
    grid = TimeGrid(slot_min=slot_min, n_days=1)
    arrival = rng.uniform(0.0, 16.0, n)
    departure = np.minimum(arrival + rng.uniform(1.0, 12.0, n), 24.0)
    power = rng.choice([3.5, 7.0, 11.0], n)
    energy = rng.uniform(0.0, 0.9, n) * power * (departure - arrival)
    hours = grid.starts_h
    base = (
        80.0 + 40.0 * np.sin((hours - 14.0) / 24.0 * 2 * np.pi) + rng.uniform(0.0, 15.0, hours.size)
    )
    return Sessions(arrival, departure, energy, power), grid, base


def reference(
    s: Sessions, grid: TimeGrid, base: np.ndarray, options: dict
) -> tuple[float, np.ndarray]:
    """The HiGHS QP with the options' parameters (defaults of the parameter table)."""
    from evgrid.params import parameter

    def opt(key: str, name: str) -> float:
        return float(options.get(key, parameter(name).value))

    eta_c = opt("charge_efficiency", "v2g_charge_efficiency")
    eta_d = opt("discharge_efficiency", "v2g_discharge_efficiency")
    wear = opt("wear_yuan_per_kwh", "v2g_wear_yuan_per_kwh")
    first, avail, energy = windows(s, grid)
    give = np.minimum(s.max_power_kw, parameter("v2g_discharge_kw").value)
    floor = None
    if options.get("soc_bounds", True):
        cap = opt("battery_kwh", "v2g_battery_kwh")
        arrival = opt("departure_soc", "v2g_departure_soc") * cap - eta_c * energy
        floor = np.minimum(0.0, opt("min_soc", "v2g_min_soc") * cap - arrival)
    kappa = level_price(
        base, float(s.max_power_kw.sum()), parameter("v2g_value_spread_yuan_per_kwh").value
    )
    return v2g_qp(
        base,
        first,
        avail,
        s.max_power_kw,
        give,
        eta_c * energy,
        floor,
        slot_h=grid.slot_h,
        kappa=kappa,
        wear=wear,
        eta_c=eta_c,
        eta_d=eta_d,
    )


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_v2g_equals_the_highs_qp(variant: str, seed: int) -> None:
    options, method = VARIANTS[variant]
    s, grid, base = instance(seed)
    got = v2g(s, grid, base, per_session=True, **options)
    assert got.method == method
    assert got.converged
    objective, total = reference(s, grid, base, options)
    assert got.objective_yuan == pytest.approx(objective, rel=RTOL)
    scale = float(np.abs(total).max())
    np.testing.assert_allclose(base + got.charging_kw, total, rtol=0, atol=RTOL * scale)


@pytest.mark.parametrize("variant", ["soc", "lossless-soc"])
def test_the_soc_instances_bind(variant: str) -> None:
    """The state-of-charge instances are not trivially slack: on most seeds the floor cuts the
    energy given to the grid below what the same cars give without it."""
    options, _ = VARIANTS[variant]
    free = {
        k: v for k, v in options.items() if k not in ("battery_kwh", "min_soc", "departure_soc")
    }
    hit = 0
    for seed in range(5):
        s, grid, base = instance(seed)
        slack = v2g(s, grid, base, per_session=True, soc_bounds=False, **free).v2g_summary()
        bound = v2g(s, grid, base, **options).v2g_summary()
        hit += int(bound["discharged_kwh"] < slack["discharged_kwh"] - 1e-6)
    assert hit >= 3
