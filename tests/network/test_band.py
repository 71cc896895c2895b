"""The day a network is judged on: each step's utilisation from the screen's per-step values,
each day's largest, read on a band as the transformer's tiers read their daily peaks."""

from __future__ import annotations

import numpy as np
import pytest

from evgrid.network.fleet import Fleet
from evgrid.network.generator import generate_area
from evgrid.network.limits import Element, Limits, step_utilisation, utilisation
from evgrid.network.powerflow import LoadPoints
from evgrid.network.screening import Extremes, StepLoads, screen
from evgrid.network.study import Evaluation, hosting_capacity

pytest.importorskip("power_grid_model")


def _loads(net, n: int, seed: int) -> StepLoads:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    household = 0.4 + 1.6 * rng.random(n)
    piles = (rng.random((n, net.n_pile)) < 0.4) * 7.0
    return StepLoads(LoadPoints.of(net), household, piles)


@pytest.mark.parametrize("reference", [False, True])
def test_the_worst_step_is_the_worst_element(reference: bool) -> None:
    """The largest per-step utilisation is the largest element utilisation, by the screen and
    by power-grid-model's Newton-Raphson at every step."""
    from evgrid.network.reference import pgm_extremes

    net = generate_area("cn-feeder-4x25")
    loads = _loads(net, 96, seed=2)
    ext = pgm_extremes(net, loads) if reference else screen(net, loads)
    worst = utilisation(net, ext)[0]
    steps = step_utilisation(ext)
    assert steps.shape == (96,)
    assert steps.max() == pytest.approx(worst.utilisation, abs=1e-6)
    assert int(np.argmax(steps)) == worst.step
    tight = Limits(cable_pu=0.5)  # the limits are the caller's, per step as per element
    assert step_utilisation(ext, tight).max() == pytest.approx(
        utilisation(net, ext, tight)[0].utilisation, abs=1e-6
    )


def _evaluation(days: list[float], band: str) -> Evaluation:
    worst = Element("cable X-Y phase a", "cable", max(days), 1.0, max(days), 0)
    empty = Extremes(*(np.empty(0) for _ in range(14)))
    return Evaluation(0.5, 10, empty, [worst], np.asarray(days), band)


def test_the_band_reads_the_days() -> None:
    """One bad day in twenty: over the limit at every step of every day, within it on the 95th
    percentile day (np.percentile, linear: 0.5 + 0.05 x 0.7 = 0.535)."""
    days = [0.5] * 19 + [1.2]
    assert not _evaluation(days, "worst").passes
    p95 = _evaluation(days, "p95")
    assert p95.passes and p95.band_utilisation == pytest.approx(0.535)
    assert p95.days_over == 1
    assert not _evaluation([0.5] * 18 + [1.2, 1.2], "p95").passes  # 1.2 on the 95th percentile


def test_the_band_never_hosts_less_than_every_step() -> None:
    fleet = Fleet.build(generate_area("cn-residential-old"), 4, np.random.default_rng(3), None)
    worst = hosting_capacity(fleet, "uncontrolled", symmetric=False, seed=1, band="worst")
    p95 = hosting_capacity(fleet, "uncontrolled", symmetric=False, seed=1, band="p95")
    p50 = hosting_capacity(fleet, "uncontrolled", symmetric=False, seed=1, band="p50")
    assert worst.pile_ratio <= p95.pile_ratio <= p50.pile_ratio
