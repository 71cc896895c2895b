"""Properties of the upgrade timeline: participation and EV share move it the right way."""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from evgrid.grid.site import ResidentialSite
from evgrid.planning.scenarios import Value, YearSeries, load_scenario
from evgrid.planning.upgrade import NO_YEAR, CostModel, timeline
from evgrid.planning.years import YearLoads, index_years, site_years

YEARS = (2025, 2030, 2035, 2040, 2050)
LIMIT_PU = 0.8
"""Loading limit of the upgrade criterion [pu] (report section 3.3)."""


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


def _loads(
    site: ResidentialSite, ev: list[float], part: list[float], basis: str = "report"
) -> YearLoads:
    """The report's index model (basis report) unless another basis is named."""
    sc = dataclasses.replace(
        load_scenario("medium"), ev_share=_series(ev), participation=_series(part)
    )
    return index_years(site_years([site], sc, basis=basis), "partial")


def _upgrade_year(
    site: ResidentialSite, ev: list[float], part: list[float], basis: str = "report"
) -> int:
    loads = _loads(site, ev, part, basis)
    t = timeline(
        YEARS,
        loads.loading_pu > LIMIT_PU * (1 + 1e-9),
        loads.peak_kw / LIMIT_PU,
        cost=CostModel(),
        base_year=2023,
        discount_rate=0.08,
    )
    year = int(t.year[0])
    return 9999 if year == NO_YEAR else year


def _night_binds(site: ResidentialSite, ev: list[float], part: list[float]) -> bool:
    """The valley, filled by the orderly cars, is above the limit in some year."""
    loads = _loads(site, ev, part)
    return bool(np.any(loads.night_kw / (site.power_factor * site.transformer_kva) > LIMIT_PU))


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
def test_more_participation_moves_load_from_evening_to_night(
    site: ResidentialSite, ev: list[float], part: list[float], more: list[float]
) -> None:
    higher = [min(1.0, p + m) for p, m in zip(part, more, strict=True)]
    low, high = _loads(site, ev, part), _loads(site, ev, higher)
    assert np.all(high.evening_kw <= low.evening_kw * (1 + 1e-12))
    assert np.all(high.night_kw >= low.night_kw * (1 - 1e-12))
    # the upgrade comes no earlier, unless the valley the orderly cars fill is itself over the
    # limit: then orderly charging has made a new night peak (the valley-inversion case below)
    if not _night_binds(site, ev, higher):
        assert _upgrade_year(site, ev, higher) >= _upgrade_year(site, ev, part)


def test_an_overfilled_valley_brings_the_upgrade_forward() -> None:
    # 961 spaces for 50 households: at full participation every car charges in the valley and
    # the night load, not the evening peak, fails the transformer first
    site = _site(households=50, spaces=961, kva=1600.0, loading=0.5, built=1980)
    ev = [0.5, 1.0, 1.0, 1.0, 1.0]
    full, most = [1.0, 0, 0, 0, 0], [0.75, 0, 0, 0, 0]
    assert _night_binds(site, ev, full)
    assert _upgrade_year(site, ev, full) == 2025
    assert _upgrade_year(site, ev, most) == 2030


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
    for basis in ("report", "design"):  # the design basis's index tier too
        assert _upgrade_year(site, higher, part, basis) <= _upgrade_year(site, ev, part, basis)


@given(site=sites, ev=shares)
def test_orderly_never_upgrades_before_uncontrolled(site: ResidentialSite, ev: list[float]) -> None:
    assert _upgrade_year(site, ev, [1.0] * 5) >= _upgrade_year(site, ev, [0.0] * 5)
    assert np.isfinite(_upgrade_year(site, ev, [0.5] * 5))
    # the design basis: orderly piles fill the valley of the design day, so orderly charging
    # never needs its upgrade before uncontrolled charging does
    design_orderly = _upgrade_year(site, ev, [1.0] * 5, "design")
    assert design_orderly >= _upgrade_year(site, ev, [0.0] * 5, "design")
