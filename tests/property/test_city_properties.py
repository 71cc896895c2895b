"""Properties of the upgrade timeline: participation and EV share move it the right way."""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from evgrid.grid.site import ResidentialSite
from evgrid.planning.scenarios import Value, YearSeries, load_scenario
from evgrid.planning.upgrade import NO_YEAR, CostModel, timeline
from evgrid.planning.years import index_years, site_years

YEARS = (2025, 2030, 2035, 2040, 2050)


def _site(households: int, spaces: int, kva: float, loading: float, built: int) -> ResidentialSite:
    return ResidentialSite(
        name="s",
        households=households,
        parking_spaces=spaces,
        transformer_kva=kva,
        regular_peak_kw=loading * kva,
        regular_valley_kw=0.4 * loading * kva,
        built=built,
    )


def _series(values: list[float]) -> YearSeries:
    return YearSeries({y: Value(v, "given", "test") for y, v in zip(YEARS, values, strict=True)})


def _upgrade_year(site: ResidentialSite, ev: list[float], part: list[float]) -> int:
    sc = dataclasses.replace(
        load_scenario("medium"), ev_share=_series(ev), participation=_series(part)
    )
    sy = site_years([site], sc)
    loads = index_years(sy, "partial")
    t = timeline(
        YEARS,
        loads.loading_pu > 0.8 * (1 + 1e-9),
        loads.peak_kw / 0.8,
        cost=CostModel(),
        base_year=2023,
        discount_rate=0.08,
    )
    year = int(t.year[0])
    return 9999 if year == NO_YEAR else year


sites = st.builds(
    _site,
    households=st.integers(50, 3000),
    spaces=st.integers(10, 3000),
    kva=st.sampled_from([315.0, 630.0, 1000.0, 1600.0, 2500.0]),
    loading=st.floats(0.2, 0.85),
    built=st.integers(1980, 2023),
)
shares = st.lists(st.floats(0.0, 1.0), min_size=5, max_size=5).map(sorted)


@given(
    site=sites,
    ev=shares,
    part=st.lists(st.floats(0.0, 1.0), min_size=5, max_size=5),
    more=st.lists(st.floats(0.0, 1.0), min_size=5, max_size=5),
)
def test_upgrade_never_earlier_when_participation_rises(
    site: ResidentialSite, ev: list[float], part: list[float], more: list[float]
) -> None:
    higher = [min(1.0, p + m) for p, m in zip(part, more, strict=True)]
    assert _upgrade_year(site, ev, higher) >= _upgrade_year(site, ev, part)


@given(
    site=sites,
    ev=shares,
    extra=st.lists(st.floats(0.0, 0.5), min_size=5, max_size=5),
    part=st.lists(st.floats(0.0, 1.0), min_size=5, max_size=5),
)
def test_upgrade_never_later_when_ev_share_rises(
    site: ResidentialSite, ev: list[float], extra: list[float], part: list[float]
) -> None:
    higher = [min(1.0, e + x) for e, x in zip(ev, extra, strict=True)]
    assert _upgrade_year(site, higher, part) <= _upgrade_year(site, ev, part)


@given(site=sites, ev=shares)
def test_orderly_never_upgrades_before_uncontrolled(site: ResidentialSite, ev: list[float]) -> None:
    assert _upgrade_year(site, ev, [1.0] * 5) >= _upgrade_year(site, ev, [0.0] * 5)
    assert np.isfinite(_upgrade_year(site, ev, [0.5] * 5))
