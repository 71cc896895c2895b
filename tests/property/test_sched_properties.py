"""Hypothesis properties of the coordinated strategies."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from evgrid.charging.lp import min_peak_lp
from evgrid.charging.priority import edf, llf
from evgrid.charging.schedule import Schedule
from evgrid.charging.uncontrolled import uncontrolled
from evgrid.charging.valley import valley_filling
from evgrid.sessions import Sessions
from evgrid.timegrid import TimeGrid

GRID = TimeGrid(30, 1)


@st.composite
def instances(draw: st.DrawFn) -> tuple[Sessions, np.ndarray]:
    n = draw(st.integers(1, 25))
    seed = draw(st.integers(0, 2**31))
    rng = np.random.default_rng(seed)
    arr = rng.uniform(0, 23, n)
    dep = arr + rng.uniform(0.1, 12, n)
    energy = rng.uniform(0, 40, n)
    power = rng.choice([1.5, 3.5, 7.0, 11.0], n)
    base = rng.uniform(0, 30, GRID.n_slots) * draw(st.sampled_from([0.0, 1.0]))
    return Sessions(arr, dep, energy, power), base


def _avail(s: Sessions) -> np.ndarray:
    e = GRID.edges_h
    lo = np.maximum(s.arrival_h[:, None], e[:-1])
    hi = np.minimum(s.departure_h[:, None], e[1:])
    return np.clip(hi - lo, 0, None) / GRID.slot_h


@settings(max_examples=40)
@given(instances())
def test_valley_is_min_peak_and_feasible(inst: tuple[Sessions, np.ndarray]) -> None:
    s, base = inst
    sch = valley_filling(s, GRID, base, per_session=True)
    assert sch.session_kw is not None
    kw = sch.session_kw.toarray()
    assert np.all(kw >= -1e-9)
    assert np.all(kw <= s.max_power_kw[:, None] * _avail(s) + 1e-7)
    fits = np.minimum(
        s.energy_kwh, s.max_power_kw * np.clip(np.minimum(s.departure_h, 24) - s.arrival_h, 0, None)
    )
    np.testing.assert_allclose(sch.delivered_kwh, fits, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(kw.sum(1) * GRID.slot_h, fits, rtol=1e-7, atol=1e-7)
    _, lp_peak = min_peak_lp(s, GRID, base)
    peak = sch.total_kw(base).max()
    assert abs(peak - lp_peak) <= 1e-6 * max(lp_peak, 1.0)
    unc = uncontrolled(s, GRID)
    assert peak <= unc.total_kw(base).max() + 1e-7


@settings(max_examples=30)
@given(instances(), st.floats(5.0, 80.0), st.sampled_from([edf, llf]))
def test_priority_never_exceeds_limit(
    inst: tuple[Sessions, np.ndarray], extra_kw: float, rule: Callable[..., Schedule]
) -> None:
    s, base = inst
    limit = float(base.max()) + extra_kw
    sch = rule(s, GRID, base, limit_kw=limit, per_session=True)
    assert sch.total_kw(base).max() <= limit + 1e-9
    assert sch.session_kw is not None
    kw = sch.session_kw.toarray()
    assert np.all(kw <= s.max_power_kw[:, None] * _avail(s) + 1e-9)
    assert np.all(sch.delivered_kwh <= s.energy_kwh + 1e-9)
    assert sch.unmet_kwh.sum() >= uncontrolled(s, GRID).unmet_kwh.sum() - 1e-9


@settings(max_examples=20)
@given(instances())
def test_valley_is_deterministic(inst: tuple[Sessions, np.ndarray]) -> None:
    s, base = inst
    np.testing.assert_array_equal(
        valley_filling(s, GRID, base).charging_kw, valley_filling(s, GRID, base).charging_kw
    )
