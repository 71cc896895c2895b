"""The office-park model: pile rules, rounding, loading."""

from __future__ import annotations

import numpy as np
import pytest

from evgrid.errors import InputError
from evgrid.grid.site import OfficeSite
from evgrid.planning.assumptions import OfficeAssumptions
from evgrid.planning.hosting import hosting
from evgrid.planning.office import office_index, round_half_up
from evgrid.planning.reproduce import office_years


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
    (y,) = office_years(_park(), a)
    assert y.details["charging_spaces"] == 25
    assert y.details["peak_charging_kw"] == pytest.approx(100.0)
    assert y.details["regular_kw"] == pytest.approx(600.0)
    assert y.details["total_loading_pu"] == pytest.approx(0.7)
    # 600 + r * 100 * 4 <= 800 -> r = 0.5
    assert y.max_pile_ratio_p50 == y.max_pile_ratio_p95 == pytest.approx(0.5)
    assert y.loading_p50[0] == pytest.approx(0.6)
    assert y.details["index_kw"] == pytest.approx(420.0)


def test_years_need_both_share_and_load() -> None:
    a = OfficeAssumptions(pile_share={2025: 0.25, 2030: 0.5}, kw_per_charging_space={2030: 4.0})
    assert a.years == (2030,)


def test_regular_load_above_limit_hosts_nothing() -> None:
    years = office_years(_park(regular_peak_kw=900.0))
    assert all(y.max_pile_ratio_p50 == 0.0 for y in years)
    assert all(np.all(np.diff(y.loading_p50) >= 0) for y in years)


def test_hosting_dispatches_on_site_kind_and_year() -> None:
    r = hosting(_park())
    assert (r.site_name, r.method, r.details["year"]) == ("p", "index", 2030)
    assert hosting(_park(), year=2025).details["year"] == 2025
    with pytest.raises(InputError, match="year: got 2040; allowed: one of 2025, 2030"):
        office_index(_park(), year=2040)
    with pytest.raises(InputError, match="strategy"):
        hosting(_park(), strategy="orderly")
