"""A valley-filling run stopped at the oracle-call cap warns only when its optimum is not proven,
with a bound that holds."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import evgrid
from evgrid.charging._minnorm import _warn_if_unproven, min_norm_point
from evgrid.charging._oracle import WindowClasses
from evgrid.charging._windows import window_slots
from evgrid.timegrid import TimeGrid


def _instance() -> tuple[WindowClasses, np.ndarray]:
    s = evgrid.sample_sessions(evgrid.Behaviour.preset("home"), 200, days=1, rng=3)
    grid = TimeGrid(n_days=2)
    first, last, ff, fl = window_slots(s.arrival_h, s.departure_h, grid)
    unit = s.max_power_kw * grid.slot_h
    room = unit * (ff + fl + np.maximum(last - first - 1, 0))
    energy = np.clip(np.minimum(s.energy_kwh, room), 0.0, None)
    base = (50.0 + 30.0 * np.sin(np.arange(grid.n_slots) / 10.0)) * grid.slot_h
    return WindowClasses.build(first, last, ff, fl, unit, energy, grid.n_slots), base


def test_a_proven_optimum_is_not_warned_about() -> None:
    classes, shift = _instance()
    y, _, _ = min_norm_point(classes, shift)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _warn_if_unproven(classes, shift, y, 8000, None)


def test_an_unproven_point_is_warned_about_with_a_bound_that_holds() -> None:
    classes, shift = _instance()
    y, orders, _ = min_norm_point(classes, shift)
    # a feasible point short of the optimum: halfway to one greedy vertex
    other = classes.greedy(orders[0][::-1].copy())
    early = 0.5 * (y + other)
    with pytest.warns(RuntimeWarning, match=r"within ([\d.e+-]+) kWh") as record:
        _warn_if_unproven(classes, shift, early, 8000, None)
    bound = float(str(record[0].message).split("within ")[1].split(" kWh")[0])
    assert np.max(np.abs(early - y)) <= bound
