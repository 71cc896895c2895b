"""Valley filling splits the horizon where no window spans a slot boundary, exactly."""

from __future__ import annotations

import numpy as np

from evgrid.charging.valley import _components, valley_filling
from evgrid.sessions import Sessions
from evgrid.timegrid import TimeGrid


def test_components_split_at_boundaries_no_window_spans() -> None:
    first = np.array([0, 2, 5, 6, 9])
    last = np.array([2, 3, 6, 7, 9])
    comps = _components(np.arange(5), first, last, 12)
    assert [(list(r), lo, hi) for r, lo, hi in comps] == [
        ([0, 1], 0, 4),
        ([2, 3], 5, 8),
        ([4], 9, 10),
    ]


def test_split_problem_equals_each_part_solved_alone() -> None:
    grid = TimeGrid(slot_min=60, n_days=2)
    base = np.linspace(10.0, 40.0, grid.n_slots)
    night = Sessions([18.0, 19.5, 20.0], [31.0, 30.0, 32.5], [20.0, 9.0, 14.0], [7.0, 3.5, 7.0])
    later = Sessions([36.0, 37.0], [44.0, 47.0], [12.0, 30.0], [7.0, 7.0])
    both = valley_filling(Sessions.concat([night, later]), grid, base)
    a = valley_filling(night, grid, base)
    b = valley_filling(later, grid, base)
    np.testing.assert_allclose(both.charging_kw, a.charging_kw + b.charging_kw, atol=1e-9)
    assert both.charging_kw[:18].max() == 0.0  # no window before 18:00
