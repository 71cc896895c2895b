"""The time-series tier through the years: one sample per site, strategies, thermal sizing."""

from __future__ import annotations

import numpy as np
import pytest

from evgrid.city.compute import site_seed
from evgrid.grid.site import ResidentialSite
from evgrid.planning.timeseries.years import timeseries_years
from evgrid.planning.upgrade import standard_ratings_kva

SITE = ResidentialSite(
    name="t",
    households=120,
    parking_spaces=100,
    transformer_kva=160,
    regular_peak_kw=110,
    regular_valley_kw=44,
    built=2005,
)
RATIO = np.array([0.2, 0.5, 0.9])
GROWTH = np.array([1.0, 1.05, 1.1])
PART = np.array([0.3, 1.0, 1.0])


def _run(**over: object) -> dict[str, object]:
    options: dict[str, object] = {
        "pile_ratio": RATIO,
        "growth": GROWTH,
        "participation": PART,
        "days": 6,
        "rng": 3,
        "strategies": ("uncontrolled", "orderly", "partial"),
    }
    options.update(over)
    return timeseries_years(SITE, **options)  # type: ignore[arg-type]


def test_same_seed_same_numbers_and_site_streams_differ() -> None:
    a, b = _run(), _run()
    for st in a:
        np.testing.assert_array_equal(a[st].loading_p95, b[st].loading_p95)
    seeds = {tuple(site_seed(1, i).generate_state(2)) for i in ("a", "b", "a ")}
    assert len(seeds) == 3


def test_strategies_order_and_one_sample_for_every_year() -> None:
    r = _run()
    np.testing.assert_array_equal(r["uncontrolled"].piles, [20, 50, 90])
    unc, orderly, partial = r["uncontrolled"], r["orderly"], r["partial"]
    assert np.all(orderly.loading_p95 <= unc.loading_p95 + 1e-9)
    # more cars (the same ones and more) and more regular load: never a lower peak, any day
    for r in (unc, orderly):
        assert np.all(np.diff(r.loading_p50) >= -1e-12)
        assert np.all(np.diff(r.loading_p95) >= -1e-12)
    # partial equals orderly where everyone participates, and sits between them before
    np.testing.assert_array_equal(partial.loading_p95[1:], orderly.loading_p95[1:])
    assert orderly.loading_p95[0] <= partial.loading_p95[0] <= unc.loading_p95[0] + 1e-9
    assert partial.orderly_share[0] == pytest.approx(0.3)
    # under the loading criterion the needed rating is the band's peak / (limit x pf); the
    # design basis reads the peak at the piles' power factor (the regular load converted)
    np.testing.assert_allclose(unc.needed_kva, unc.peak_kw / (0.8 * 0.98))


def test_thermal_criterion_sizes_from_the_standard_series() -> None:
    r = _run(criterion="hotspot", limit=75.0, strategies=("uncontrolled",))
    unc = r["uncontrolled"]
    failing = unc.metric_p95 > 75.0
    assert failing.any()
    needed = unc.needed_kva[failing]
    assert set(needed) <= set(standard_ratings_kva())
    assert np.all(needed > 160)
    assert np.isnan(unc.needed_kva[~failing]).all()
