"""Monte Carlo coincidence factor against the number of piles."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from evgrid.demand.behaviour import Behaviour
from evgrid.demand.distributions import Binned, Discrete
from evgrid.errors import InputError
from evgrid.planning.coincidence import coincidence_factor, design_coefficient


def test_single_pile_factor_is_the_chance_to_charge() -> None:
    b = Behaviour.home()
    k = b.charge_interval_days
    p_charge = float(np.sum(k.weights / k.values))  # a car charges on a day with chance E[1/k]
    c = coincidence_factor(b, [1], n_runs=4000, rng=1)
    # one pile is at full power for a whole slot whenever it charges more than 15 min
    assert c.mean[0] == pytest.approx(p_charge, abs=0.03)
    assert c.p95[0] == 1.0


def test_factor_falls_with_pile_count_and_stays_in_unit_interval() -> None:
    c = coincidence_factor(Behaviour.home(), [5, 20, 100, 400], n_runs=100, rng=2)
    assert np.all(np.diff(c.mean) < 0)
    assert np.all((c.p05 <= c.mean) & (c.mean <= c.p95))
    assert np.all((c.p05 >= 0) & (c.p95 <= 1))


def test_all_cars_arriving_together_coincide_fully() -> None:
    b = dataclasses.replace(
        Behaviour.home(),
        arrival_hour=Binned(np.array([18.0, 18.0 + 1e-6]), np.array([1.0])),
        charge_interval_days=Discrete.constant(1.0),
        distance_km=Discrete.constant(60.0),
    )
    c = coincidence_factor(b, [10, 50], n_runs=20, rng=3)
    assert c.mean == pytest.approx([1.0, 1.0], abs=1e-3)


def test_design_coefficients() -> None:
    assert design_coefficient(3) is None
    assert design_coefficient(8) == (0.75, 0.85)
    assert design_coefficient(30) == (0.55, 0.65)
    assert design_coefficient(500) == (0.40, 0.45)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"n_piles": [0]},
        {"n_piles": [2.5]},
        {"n_piles": [5], "pile_kw": 0},
        {"n_piles": [5], "n_runs": 0},
    ],
)
def test_bad_arguments(kwargs: dict[str, object]) -> None:
    with pytest.raises(InputError):
        coincidence_factor(Behaviour.home(), **kwargs)  # type: ignore[arg-type]
