"""A city with charging modes (``evgrid city --modes``): one site's columns by hand against
:func:`plan_modes`, the upgrade year judged with the hub on the community's transformer, the
default unchanged, and the options refused in the library's words."""

from __future__ import annotations

import numpy as np
import pytest

from evgrid.city.compute import RESULT_COLUMNS, site_seed
from evgrid.city.modes import MODE_COLUMNS
from evgrid.city.settings import city_settings
from evgrid.city.site_upgrade import site_upgrade
from evgrid.errors import InputError
from evgrid.grid.site import ResidentialSite
from evgrid.params import parameter
from evgrid.planning.mode_mix import ModeMix, count_modes, report_mix
from evgrid.planning.modes import plan_modes
from evgrid.planning.scenarios import load_scenario

OLD = ResidentialSite(
    name="old 1",
    households=300,
    parking_spaces=90,
    transformer_kva=400,
    regular_peak_kw=250,
    regular_valley_kw=100,
    built=1990,
)
"""An old community with a space for fewer than a third of its households."""


@pytest.fixture(scope="module")
def with_modes() -> object:
    """The report scenario (no growth of an old community's regular load), index method."""
    settings = city_settings("report", strategies="orderly", modes="report")
    return site_upgrade(OLD, settings, site_id="S1")


def test_one_site_by_hand_against_plan_modes(with_modes: object) -> None:
    """Each year's columns are plan_modes's at the year's EV share, on the site's own stream
    (run seed and site id), valley filling, the hub on the community's transformer."""
    up = with_modes
    rows = [r for r in up.results if r["strategy"] == "orderly"]  # type: ignore[attr-defined]
    assert [r["regular_peak_kw"] for r in rows] == [rows[0]["regular_peak_kw"]] * len(rows)
    shares = load_scenario("report").ev_share_at(np.array([r["year"] for r in rows]))
    seed = int(parameter("seed").value)
    for row, share in zip(rows, shares, strict=True):
        plan = plan_modes(
            OLD,
            ev_share=float(share),
            mix=report_mix("old"),
            connection="community",
            strategy="valley-filling",
            days=int(parameter("impact_days").value),
            rng=site_seed(seed, "S1"),
            behaviour="design",
            regular_growth=1.0,
        )
        assert row["modes"] == "report (old)" and row["hub_connection"] == "community"
        assert row["hub_dc_chargers"] == plan.hub.dc_chargers  # type: ignore[union-attr]
        assert row["hub_ac_chargers"] == plan.hub.ac_chargers  # type: ignore[union-attr]
        assert row["hub_peak_kw"] == plan.hub.peak_kw  # type: ignore[union-attr]
        assert row["modes_peak_kw"] == plan.community_peak_kw
        assert row["modes_loading_pu"] == plan.community_loading_pu
        assert row["hub_unit_kva"] is None  # the hub hangs on the community's transformer
        c = count_modes(OLD, float(share), report_mix("old"))
        assert row["evs"] == c.evs == round(float(share) * round(300 * 0.7))
        assert row["share_public"] == c.public / c.evs and row["shared_piles"] == c.shared_piles
        # the upgrade judges the community's transformer with every mode as well
        limit = row["limit"]
        assert row["fails"] == (row["loading_pu"] > limit or row["modes_loading_pu"] > limit)


def test_the_upgrade_year_reflects_the_hub_on_the_transformer(with_modes: object) -> None:
    without = site_upgrade(OLD, city_settings("report", strategies="orderly"), site_id="S1")
    own = site_upgrade(
        OLD,
        city_settings("report", strategies="orderly", modes="report", hub_connection="own-unit"),
        site_id="S1",
    )
    rows = list(with_modes.results)  # type: ignore[attr-defined]
    first_modes = next(r["year"] for r in rows if r["modes_loading_pu"] > r["limit"])
    first_tier = next((r["year"] for r in rows if r["loading_pu"] > r["limit"]), None)
    year = with_modes.upgrade("orderly")["upgrade_year"]  # type: ignore[attr-defined]
    assert year == min(y for y in (first_modes, first_tier) if y is not None)
    assert year < (without.upgrade("orderly")["upgrade_year"] or 9999)  # the hub brings it on
    assert all(r["hub_unit_kva"] > 0 for r in own.results)  # the hub's own unit [kVA]
    assert all(
        r["modes_peak_kw"] < m["modes_peak_kw"] for r, m in zip(own.results, rows, strict=True)
    )
    year_own = own.upgrade("orderly")["upgrade_year"] or 9999
    assert year_own >= year


def test_default_is_unchanged_and_fixed_only_counts_without_a_plan() -> None:
    plain = site_upgrade(OLD, city_settings("report", strategies="orderly"), site_id="S1")
    assert set(plain.results[0]) == set(RESULT_COLUMNS) - {"row"}  # no mode columns
    only = site_upgrade(
        OLD, city_settings("report", strategies="orderly", modes="fixed-only"), site_id="S1"
    )
    assert set(only.results[0]) == (set(RESULT_COLUMNS) | set(MODE_COLUMNS)) - {"row"}
    assert only.upgrades == plain.upgrades  # the decision stays the tier's
    row = only.results[0]
    c = count_modes(OLD, row["ev_share"], ModeMix(1.0, 0.0, 0.0, name="fixed-only"))
    assert row["share_unserved"] == c.unserved / c.evs > 0.5  # most cars have no space
    assert row["hub_peak_kw"] is None and row["modes_loading_pu"] is None


def test_given_shares_and_partial_follow_the_plan() -> None:
    given = city_settings("report", strategies="uncontrolled,partial", modes={"fixed": 0.2,
                          "shared": 0.3, "public": 0.5})  # fmt: skip
    up = site_upgrade(OLD, given, site_id="S1")
    assert {r["modes"] for r in up.results} == {"given"}
    part = [r for r in up.results if r["strategy"] == "partial"]
    unc = [r for r in up.results if r["strategy"] == "uncontrolled"]
    assert all(
        p["modes_peak_kw"] <= u["modes_peak_kw"] + 1e-9 for p, u in zip(part, unc, strict=True)
    )


def test_plan_modes_participation_ends() -> None:
    kw = {"ev_share": 0.4, "days": 2, "rng": 5, "regular_growth": 1.2}
    full = plan_modes(OLD, **kw)
    assert plan_modes(OLD, participation=1.0, **kw).community_peak_kw == full.community_peak_kw
    none = plan_modes(OLD, participation=0.0, **kw)
    free = plan_modes(OLD, strategy="uncontrolled", **kw)
    np.testing.assert_allclose(none.fixed_kw, free.fixed_kw, atol=1e-9)
    np.testing.assert_allclose(
        full.base_kw, 1.2 * plan_modes(OLD, **{**kw, "regular_growth": 1.0}).base_kw
    )
    v2g = plan_modes(OLD, strategy="v2g", **kw)
    assert v2g.community_peak_kw <= full.community_peak_kw + 1e-6  # the lossless bound
    assert abs(v2g.unmet_share - full.unmet_share) < 1e-9  # lossless: every kWh back


@pytest.mark.parametrize(
    ("options", "needle"),
    [
        ({"modes": "everything"}, "modes: got"),
        (
            {"hub_connection": "own-unit"},
            "hub_connection: got 'own-unit'; allowed: only with modes",
        ),
        ({"modes": "report", "hub_connection": "roof"}, "hub_connection: got 'roof'"),
        ({"strategies": "v2g"}, "strategies: got 'v2g'"),
        ({"modes": {"fixed": 0.5}}, "summing to 1"),
    ],
)
def test_bad_options(options: dict[str, object], needle: str) -> None:
    with pytest.raises(InputError, match=needle):
        city_settings(**options)  # type: ignore[arg-type]
