"""Owner response (dead zone, linear, saturation) and carbon credits against hand arithmetic."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from evgrid.errors import InputError
from evgrid.incentives.carbon import CarbonMethod, parse_carbon
from evgrid.incentives.response import (
    ResponseCurve,
    parse_response,
    responder_count,
    willingness_rank,
)
from evgrid.incentives.tariffs import BANDS


def test_response_zones() -> None:
    r = ResponseCurve(0.2, 0.6, 0.8)
    assert r.share(0.0) == 0.0
    assert r.share(0.2) == 0.0
    assert r.share(0.4) == pytest.approx(0.4)
    assert r.share(0.6) == pytest.approx(0.8)
    assert r.share(1.0) == pytest.approx(0.8)
    np.testing.assert_allclose(r.share([0.1, 0.3, 0.9]), [0.0, 0.2, 0.8])
    assert ResponseCurve().share(0.0) == 0.0  # the defaults: no spread, no response


def test_response_refuses_a_saturation_at_or_below_the_dead_zone() -> None:
    with pytest.raises(InputError, match=r"saturation_yuan_per_kwh: got 0\.2"):
        ResponseCurve(0.3, 0.2, 0.8)
    with pytest.raises(InputError, match=r"max_share: got 1\.5"):
        ResponseCurve(max_share=1.5)
    with pytest.raises(InputError, match=r"r\.yaml: slope"):
        parse_response({"slope": 2}, "r.yaml")
    assert (
        parse_response({"max_share": 0.5}).dead_zone_yuan_per_kwh
        == ResponseCurve().dead_zone_yuan_per_kwh
    )


def test_responders_are_counted_halves_up_and_nested() -> None:
    assert responder_count(0.5, 3).tolist() == 2  # 1.5 -> 2
    assert responder_count([0.0, 0.25, 1.0], 10).tolist() == [0, 3, 10]
    rank = willingness_rank(50, np.random.default_rng(3))
    sets = [set(np.flatnonzero(rank < c)) for c in (0, 10, 25, 50)]
    assert all(a <= b for a, b in itertools.pairwise(sets))
    assert [len(s) for s in sets] == [0, 10, 25, 50]


def test_carbon_credits_by_hand() -> None:
    """10 kWh in the valley and 5 kWh at the peak, defaults of the parameter table.

    km per kWh = 0.9 * 100 / 15 = 6; petrol avoided = 6 km * 7.2 L/100 km = 0.432 L per kWh,
    * 2.37 kg/L = 1.02384 kg; minus the grid's 0.5306 kg -> 0.49324 kg CO2 per kWh.
    Credited = 0.49324 * (10 * 1.2 + 5 * 0.8) = 7.89184 kg; at 68 yuan/t: 0.53664512 yuan.
    """
    method = CarbonMethod()
    assert method.reduction_kg_per_kwh == pytest.approx(0.49324, abs=1e-12)
    shares = np.zeros((3, len(BANDS)))
    shares[0, BANDS.index("valley")] = 1.0
    shares[1, BANDS.index("peak")] = 1.0
    shares[2, BANDS.index("flat")] = 1.0
    c = method.credits([10.0, 5.0, 0.0], shares)
    assert c.energy_kwh["valley"] == 10.0 and c.energy_kwh["peak"] == 5.0
    assert c.reduction_kg == pytest.approx(0.49324 * 15, abs=1e-12)
    assert c.credited_kg == pytest.approx(7.89184, abs=1e-12)
    assert c.value_yuan == pytest.approx(0.53664512, abs=1e-12)


def test_carbon_of_a_slot_split_between_bands() -> None:
    shares = np.zeros((1, len(BANDS)))
    shares[0, BANDS.index("peak")] = 0.25
    shares[0, BANDS.index("valley")] = 0.75
    method = CarbonMethod(weight_peak=0.5, weight_flat=1.0, weight_valley=2.0)
    c = method.credits([4.0], shares)
    assert c.credited_kg == pytest.approx(method.reduction_kg_per_kwh * (1 * 0.5 + 3 * 2.0))


def test_carbon_weights_follow_the_reports_order() -> None:
    with pytest.raises(InputError, match="peak <= flat <= valley"):
        CarbonMethod(weight_peak=1.5)
    with pytest.raises(InputError, match=r"c\.yaml: grid_kg_co2_per_kwh: got -1"):
        parse_carbon({"grid_kg_co2_per_kwh": -1}, "c.yaml")
