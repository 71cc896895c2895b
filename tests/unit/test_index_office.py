"""The office-park model: pile rules, rounding, loading."""

from __future__ import annotations

import numpy as np
import pytest

from evgrid.grid.site import OfficeSite
from evgrid.planning.assumptions import OfficeAssumptions
from evgrid.planning.index import hosting_index
from evgrid.planning.office import office_index, round_half_up


def _park(**kw: object) -> OfficeSite:
    fields: dict[str, object] = {
        "kind": "office",
        "name": "p",
        "floor_area_m2": 10000.0,
        "parking_spaces": 100,
        "transformer_kva": 1000.0,
        "regular_peak_kw": 400.0,
        "peak_year": 2021,
    }
    fields.update(kw)
    return OfficeSite(**fields)


def test_round_half_up() -> None:
    assert [round_half_up(x) for x in (0.5, 1.5, 2.5, 71.91, 211.25)] == [1, 2, 3, 72, 211]


def test_small_park_by_hand() -> None:
    a = OfficeAssumptions(
        pile_share={2025: 0.25}, kw_per_charging_space={2025: 4.0}, saturation_factor=1.5
    )
    r = office_index(_park(), a)
    (y,) = r.years
    assert y.charging_spaces == 25
    assert y.peak_charging_kw == pytest.approx(100.0)
    assert y.regular_kw == pytest.approx(600.0)
    assert y.total_loading_pu == pytest.approx(0.7)
    # 600 + r * 100 * 4 <= 800 -> r = 0.5
    assert y.max_pile_ratio == pytest.approx(0.5)
    assert y.loading_pu[0] == pytest.approx(0.6)
    assert r.index_kw == pytest.approx(420.0)


def test_years_need_both_share_and_load() -> None:
    a = OfficeAssumptions(pile_share={2025: 0.25, 2030: 0.5}, kw_per_charging_space={2030: 4.0})
    assert a.years == (2030,)


def test_regular_load_above_limit_hosts_nothing() -> None:
    r = office_index(_park(regular_peak_kw=900.0))
    assert all(y.max_pile_ratio == 0.0 for y in r.years)
    assert all(np.all(np.diff(y.loading_pu) >= 0) for y in r.years)


def test_hosting_index_dispatches_on_site_kind() -> None:
    assert hosting_index(_park()).name == "p"
