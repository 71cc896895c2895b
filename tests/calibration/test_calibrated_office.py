"""Calibration: the report's office-park results (section 4.2), computed by the model.

Two office parameters are calibrated to these very results (the kW per charging space of each
year and the saturation factor, ``basis: calibrated`` in ``data/parameters.csv``): these tests
show that the calibrated set reproduces all four published rows within the report's rounding,
not an independent validation.
"""

from __future__ import annotations

import pytest

from evgrid.grid.site import OfficeSite, report_cases
from evgrid.planning.reproduce import office_years, report_findings

PUBLISHED = {
    ("open", 2025): (211, 652.0, 0, 0.58),
    ("open", 2030): (397, 1810.0, 0, 0.63),
    ("closed", 2025): (38, 117.3, 1, 0.46),
    ("closed", 2030): (72, 328.0, 0, 0.47),
}


def _results() -> dict[tuple[str, int], tuple[int, float, float]]:
    out = {}
    for key in ("open", "closed"):
        site = report_cases()[key]
        assert isinstance(site, OfficeSite)
        for r in office_years(site):
            d = r.details
            out[(key, d["year"])] = (
                d["charging_spaces"],
                d["peak_charging_kw"],
                d["total_loading_pu"],
            )
    return out


@pytest.mark.parametrize("case", sorted(PUBLISHED))
def test_office_results_equal_the_report_within_its_rounding(case: tuple[str, int]) -> None:
    spaces, kw, digits, loading = PUBLISHED[case]
    got_spaces, got_kw, got_loading = _results()[case]
    assert got_spaces == spaces
    assert abs(got_kw - kw) <= 0.5 * 10**-digits
    assert abs(got_loading - loading) <= 0.005


def test_findings_file_holds_the_same_numbers() -> None:
    for f in report_findings()["office"]:
        spaces, kw, digits, loading = PUBLISHED[(f["case"], f["year"])]
        assert (f["charging_spaces"], f["peak_charging_kw"], f["total_loading_pu"]) == (
            spaces,
            kw,
            loading,
        )
        assert f["kw_decimals"] == digits


def test_office_index_is_below_both_measured_peaks() -> None:
    for key in ("open", "closed"):
        site = report_cases()[key]
        assert isinstance(site, OfficeSite)
        assert all(r.details["index_kw"] < site.regular_peak_kw for r in office_years(site))
