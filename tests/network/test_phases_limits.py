"""Phase assignment (balanced beyond every cable) and the limits from standards."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from evgrid.network.generator import generate_area
from evgrid.network.limits import Limits, utilisation
from evgrid.network.phases import assign_phases, phase_imbalance
from evgrid.network.powerflow import LoadPoints
from evgrid.network.screening import StepLoads, screen


@given(st.integers(0, 2**32 - 1), st.integers(1, 200))
def test_assigned_piles_balanced_beyond_every_cable(seed: int, n_piles: int) -> None:
    net = generate_area("cn-residential-old")
    rng = np.random.default_rng(seed)
    bus = rng.integers(0, net.n_bus, n_piles)
    placed = assign_phases(net.with_piles(bus, np.full(n_piles, -1)))
    assert np.all(placed.pile_phase >= 0)
    assert phase_imbalance(placed) <= 1


def test_feeder_all_on_one_phase_is_unbalanced_until_assigned() -> None:
    net = generate_area("cn-feeder-4x25")
    assert phase_imbalance(net) == 25  # every pile on phase a
    again = assign_phases(net.with_piles(net.pile_bus, np.full(net.n_pile, -1)))
    assert phase_imbalance(again) <= 1


def test_utilisation_by_hand() -> None:
    """One feeder, one step: each kind's utilisation is value / allowed, by the clauses."""
    net = generate_area("cn-feeder-4x25")
    loads = StepLoads(LoadPoints.of(net), np.array([1.3]), np.full((1, net.n_pile), 7.0))
    ext = screen(net, loads, verify=False)
    lim = Limits()
    assert (lim.under_1ph_pu, lim.over_1ph_pu, lim.dev_3ph_pu) == (0.10, 0.07, 0.07)
    assert lim.unbalance_pct == 2.0 and lim.unit_pu == 0.8 and lim.cable_pu == 1.0
    els = {e.kind: e for e in utilisation(net, ext, lim)}
    under = els["undervoltage"]
    assert under.utilisation == pytest.approx((1.0 - under.value) / 0.10)
    assert els["cable"].utilisation == pytest.approx(ext.max_cable_loading_pu)
    assert els["transformer"].utilisation == pytest.approx(ext.max_transformer_loading_pu / 0.8)
    assert els["unbalance"].utilisation == pytest.approx(ext.max_voltage_unbalance_pct / 2.0)
    worst = utilisation(net, ext, lim)
    assert worst[0].utilisation == max(e.utilisation for e in worst)
    assert "phase a" in els["cable"].element  # the piles' phase
