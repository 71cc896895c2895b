"""Properties of the planning-index model on random communities."""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from evgrid.grid.site import ResidentialSite
from evgrid.planning.assumptions import ResidentialAssumptions
from evgrid.planning.reproduce import residential_modes


@st.composite
def communities(draw: st.DrawFn) -> ResidentialSite:
    households = draw(st.integers(1, 5000))
    peak = draw(st.floats(1.0, 10000.0))
    valley = peak * draw(st.floats(0.0, 1.0))
    return ResidentialSite(
        name="h",
        built=draw(st.integers(1950, 2023)),
        households=households,
        parking_spaces=draw(st.integers(0, 6000)),
        transformer_kva=draw(st.floats(50.0, 20000.0)),
        regular_peak_kw=peak,
        regular_valley_kw=valley,
        power_factor=draw(st.floats(0.8, 1.0)),
    )


@settings(max_examples=50)
@given(communities())
def test_loading_non_decreasing_and_orderly_below_uncontrolled(site: ResidentialSite) -> None:
    r = residential_modes(site)
    for mode in (r["uncontrolled"], r["orderly"]):
        assert np.all(np.diff(mode.loading_p50) >= -1e-12)
    assert np.all(r["orderly"].loading_p50 <= r["uncontrolled"].loading_p50 + 1e-12)
    assert r["orderly"].max_pile_ratio_p50 >= r["uncontrolled"].max_pile_ratio_p50


@settings(max_examples=50)
@given(communities())
def test_readings_bracket_the_exact_limit(site: ResidentialSite) -> None:
    r = residential_modes(site)
    for mode in (r["uncontrolled"], r["orderly"]):
        exact = mode.max_pile_ratio_p50
        assert 0.0 <= mode.details["max_pile_ratio_10pct"] <= exact + 1e-9
        assert 0.0 <= mode.details["max_pile_ratio_1pct"] <= exact + 1e-9
        assert mode.details["max_pile_ratio_10pct"] <= mode.details["max_pile_ratio_1pct"] + 1e-12
        if exact < 1.0 and mode.loading_p50[0] <= mode.limit:
            assert exact - mode.details["max_pile_ratio_10pct"] < 0.1 + 1e-9
            assert exact - mode.details["max_pile_ratio_1pct"] < 0.01 + 1e-9


@settings(max_examples=40)
@given(communities(), st.floats(0.3, 1.2))
def test_exact_limit_is_where_the_curve_meets_the_limit(site: ResidentialSite, lim: float) -> None:
    r = residential_modes(site, ResidentialAssumptions(limit_pu=lim))
    capacity_kw = site.power_factor * site.transformer_kva
    exact = r["uncontrolled"].max_pile_ratio_p50
    reg = r["uncontrolled"].regular
    load_kw = reg.peak_kw + exact * site.parking_spaces * r["uncontrolled"].details["kw_per_pile"]
    if reg.peak_kw <= lim * capacity_kw and 0 < exact < 1:
        assert abs(load_kw / capacity_kw - lim) < 1e-9


@settings(max_examples=40)
@given(communities(), st.floats(1.01, 3.0))
def test_bigger_transformer_never_hosts_less(site: ResidentialSite, factor: float) -> None:
    bigger = dataclasses.replace(site, transformer_kva=site.transformer_kva * factor)
    small, big = residential_modes(site), residential_modes(bigger)
    assert big["uncontrolled"].max_pile_ratio_p50 >= small["uncontrolled"].max_pile_ratio_p50
    assert big["orderly"].max_pile_ratio_p50 >= small["orderly"].max_pile_ratio_p50
