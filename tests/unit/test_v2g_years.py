"""V2G through the years (``--strategies v2g``, time series): the lossless bound as valley
filling on shifted sessions, checked against the V2G strategy itself, and in a small city."""

from __future__ import annotations

import numpy as np
import pytest

from evgrid.city.settings import city_settings
from evgrid.city.site_upgrade import site_upgrade
from evgrid.city.summary import v2g_adds
from evgrid.grid.site import ResidentialSite
from evgrid.incentives.v2g_value import _by_blocks
from evgrid.planning.modes import V2G_BOUND
from evgrid.planning.timeseries import montecarlo as mc
from evgrid.planning.timeseries import years as tsy

SITE = ResidentialSite(
    name="v",
    households=200,
    parking_spaces=160,
    transformer_kva=250,
    regular_peak_kw=170,
    regular_valley_kw=60,
    built=2005,
)
RATIO = np.array([0.3, 0.6, 0.9])
GROWTH = np.array([1.0, 1.05, 1.1])


def _years(**over: object) -> dict[str, tsy.TsYears]:
    options: dict[str, object] = {
        "pile_ratio": RATIO,
        "growth": GROWTH,
        "participation": np.ones(3),
        "days": 4,
        "rng": 11,
        "strategies": ("orderly", "v2g"),
    }
    options.update(over)
    return tsy.timeseries_years(SITE, **options)  # type: ignore[arg-type]


def test_no_bidirectional_pile_is_orderly_and_v2g_never_above_it() -> None:
    none = _years(v2g_share=0.0)
    np.testing.assert_allclose(none["v2g"].loading_p95, none["orderly"].loading_p95, rtol=1e-12)
    every = _years()
    assert np.all(every["v2g"].loading_p95 <= every["orderly"].loading_p95 + 1e-12)
    assert np.all(every["v2g"].loading_p95 < every["orderly"].loading_p95)  # it shaves the peak
    np.testing.assert_array_equal(every["v2g"].orderly_share, 1.0)
    half = _years(v2g_share=0.5)["v2g"].loading_p95
    assert np.all(every["v2g"].loading_p95 <= half + 1e-12)
    assert np.all(half <= every["orderly"].loading_p95 + 1e-12)


def test_the_bound_is_the_v2g_strategy_without_losses() -> None:
    """With every car present, the years' schedule (shifted sessions, the fleet's discharge
    capacity off the base load) equals evgrid.schedule(..., "v2g") lossless, block by block."""
    s = tsy._Site(
        SITE, RATIO, GROWTH, days=3, rng=11, criterion="hotspot", limit=98.0, band=mc.P95,
        behaviour=None, slot_min=15.0,
    )  # fmt: skip
    out = tsy._v2g_years(s, 1.0)
    j = 2  # all the cars of the sample
    present = s.sessions.take(s.sessions.vehicle < s.counts[j])
    assert len(present) == len(s.sessions)
    net, _ = _by_blocks(present, s.grid, s.base(j), "v2g", **V2G_BOUND)
    metric, peak = s.daily(s.base(j) + net)
    assert out["loading_p95"][j] == pytest.approx(
        mc.quantile_over_days(peak[0][None, :], mc.P95)[0], rel=1e-9
    )
    assert out["metric_p95"][j] == pytest.approx(
        mc.quantile_over_days(metric[0][None, :], mc.P95)[0], rel=1e-9
    )


def test_a_time_series_city_with_v2g_and_what_it_adds() -> None:
    settings = city_settings(
        "medium", method="timeseries", days=3, seed=5, strategies="uncontrolled,orderly,v2g"
    )
    up = site_upgrade(SITE, settings, site_id="v1")
    years = {r["strategy"]: r["upgrade_year"] for r in up.upgrades}
    last = up.years[-1] + 1
    assert (years["v2g"] or last) >= (years["orderly"] or last) >= (years["uncontrolled"] or last)
    v2g = up.upgrade("v2g")
    expected = (years["v2g"] or last) - years["uncontrolled"] if years["uncontrolled"] else None
    assert v2g["deferral_years"] == expected
    import pandas as pd

    frame = pd.DataFrame(list(up.upgrades))
    adds = v2g_adds(frame, up.years[-1], cost_given=False)
    assert years["orderly"] is not None  # this site needs an upgrade with valley filling too
    assert adds["mean_deferral_years"] == (years["v2g"] or last) - years["orderly"] > 0
    assert adds["upgrades_avoided"] == int(years["v2g"] is None)


def test_v2g_is_refused_where_it_is_not_modelled() -> None:
    from evgrid.errors import InputError

    with pytest.raises(InputError, match="strategies: got 'v2g'"):
        city_settings(strategies="orderly,v2g")  # the index tier has no V2G
    with pytest.raises(InputError, match="strategies: got 'bidirectional'"):
        _years(strategies=("bidirectional",))
