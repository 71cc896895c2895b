"""Charging modes and the hub: counts and queue formulas by hand, the booking rule, the
departure-time rule, the result's interface, and the transformer each connection loads."""

from __future__ import annotations

import math

import numpy as np
import pytest

import evgrid
from evgrid.errors import InputError
from evgrid.planning.basis import load_basis, power_factors
from evgrid.planning.fleet import WARMUP_DAYS
from evgrid.planning.hub import erlang_c, leave_by, mean_wait_h, own_unit_kva, size_chargers
from evgrid.planning.mode_mix import ModeMix, count_modes, mode_mix
from evgrid.planning.modes import modes_timeline, plan_modes, shared_windows
from evgrid.sessions import Sessions

A = evgrid.report_cases()["A"]


def test_erlang_c_by_hand() -> None:
    assert erlang_c(1, 0.6) == pytest.approx(0.6)  # M/M/1: P(wait) = rho
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)  # (1 * 2) / (1 + 1 + 1 * 2) / ...
    assert mean_wait_h(2, 1.0, 1.0) == pytest.approx(1 / 3)  # C E[S] / (c - a)
    assert mean_wait_h(2, 1.0, 1.0, service_cv=0.0) == pytest.approx(1 / 6)  # M/D/c: half
    assert math.isinf(mean_wait_h(2, 2.0, 1.0))
    assert size_chargers(1.0, 1.0, 0.34) == 2 and size_chargers(1.0, 1.0, 0.3) == 3
    assert erlang_c(200, 150.0) == pytest.approx(erlang_c(200, 150.0), rel=0)  # no overflow


def test_counts_of_community_a_by_hand() -> None:
    """810 households x 0.7 = 567 cars, 324 with a space; 22 % electric = 125, 71 with a
    space; old: 35 % fixed (44), 15 % shared (19, on 5 piles of 4), the rest public (62)."""
    mix = mode_mix(A, "report")
    assert (mix.fixed, mix.shared, mix.public) == (0.35, 0.15, 0.5)
    c = count_modes(A, 0.22, mix)
    assert (c.cars, c.evs, c.evs_with_space) == (567, 125, 71)
    assert (c.fixed, c.shared, c.public, c.unserved, c.shared_piles) == (44, 19, 62, 0, 5)
    only = count_modes(A, 0.22, mode_mix(A, "fixed-only"))
    assert (only.fixed, only.unserved) == (71, 54)  # 54 electric cars with nowhere to charge


def test_fixed_beyond_the_spaces_goes_to_the_hub() -> None:
    c = count_modes(A, 0.5, ModeMix(0.9, 0.0, 0.1))
    assert c.fixed == c.evs_with_space and c.public == c.evs - c.fixed


@pytest.mark.parametrize(
    ("mix", "needle"),
    [({"fixed": 0.5, "shared": 0.2}, "summing to 1"), ({"fixed": 1.0, "bus": 0.0}, "bus"),
     ("everything", "report, fixed-only")],
)  # fmt: skip
def test_bad_mixes(mix: object, needle: str) -> None:
    with pytest.raises(InputError, match=needle):
        mode_mix(A, mix)


def test_shared_piles_hand_over_first_come_first_served() -> None:
    s = Sessions(np.array([18.0, 18.5, 19.0, 19.5]), np.array([30.0, 30.0, 30.0, 21.0]),
                 np.full(4, 14.0), np.full(4, 7.0))  # fmt: skip
    booked = shared_windows(s, np.zeros(4, dtype=np.int64), 7.0)
    np.testing.assert_allclose(booked.arrival_h, [18.0, 20.0, 22.0, 21.0])
    np.testing.assert_allclose(booked.departure_h, [20.0, 22.0, 24.0, 21.0])  # the last left


def test_the_departure_time_rule() -> None:
    s = Sessions(np.array([19.0, 19.0, 2.0]), np.array([31.0, 35.0, 5.0]), np.ones(3), np.ones(3))
    np.testing.assert_allclose(leave_by(s, 8.0).departure_h, [31.0, 32.0, 5.0])


def test_the_hub_unit_is_a_standard_rating() -> None:
    assert own_unit_kva(123.5) == 160.0  # 123.5 / 0.8 = 154.4 kVA -> 160
    assert own_unit_kva(10.0) == 30.0


@pytest.fixture(scope="module")
def on_community() -> evgrid.planning.modes.ModesResult:  # type: ignore[name-defined]
    return plan_modes(A, ev_share=0.3, rng=7, days=3)


def test_the_result_carries_modes_and_hub(on_community) -> None:  # type: ignore[no-untyped-def]
    doc = on_community.to_dict()
    assert set(doc["modes"]) == {"fixed", "shared", "public", "unserved"}
    assert sum(doc["modes"].values()) == pytest.approx(1.0)
    assert {"dc_chargers", "ac_chargers", "peak_kw", "mean_wait_min"} <= set(doc["hub"])
    assert doc["hub"]["dc_chargers"] >= 1 and doc["hub"]["ac_chargers"] >= 1
    assert doc["hub"]["mean_wait_min"] <= doc["hub"]["wait_target_min"]
    assert doc["connection"] == "community" and doc["hub_unit_kva"] is None


def test_the_connection_decides_which_transformer_carries_the_hub(on_community) -> None:  # type: ignore[no-untyped-def]
    own = plan_modes(A, ev_share=0.3, rng=7, days=3, connection="own-unit")
    assert own.counts == on_community.counts  # the same cars
    assert own.community_peak_kw < on_community.community_peak_kw
    _, charging_pf = power_factors(A, load_basis(None))  # the hub's unit carries charging alone
    assert own.hub_unit_kva == own_unit_kva(own.hub.peak_kw, charging_pf)
    again = plan_modes(A, ev_share=0.3, rng=7, days=3)
    assert again.to_dict() == on_community.to_dict()  # same seed, same answer


def test_the_community_is_judged_at_the_basis_power_factors(on_community) -> None:  # type: ignore[no-untyped-def]
    """The transformer's loading adds the regular load at the household power factor and the
    charging at the EV one (0.95 and 0.98 on the design basis), as the hosting tiers do; the
    report basis (power factor 1) gives the plain kW over the rating."""
    r = on_community
    kw = r.horizon_kw
    charging = kw["fixed"] + kw["shared"] + kw["hub"]  # the hub on the community's transformer
    days = slice(WARMUP_DAYS * 96, (WARMUP_DAYS + 3) * 96)  # the 3 evaluated days
    peaks = (kw["base"] / 0.95 + charging / 0.98)[days].reshape(3, 96).max(axis=1)
    assert r.community_loading_pu == pytest.approx(np.percentile(peaks, 95) / A.transformer_kva)
    report = plan_modes(A, ev_share=0.3, rng=7, days=3, basis="report")
    plain = report.horizon_kw["base"] + sum(
        report.horizon_kw[k] for k in ("fixed", "shared", "hub")
    )
    peak = np.percentile(plain[days].reshape(3, 96).max(axis=1), 95)
    assert report.community_loading_pu == pytest.approx(peak / A.transformer_kva)


def test_the_timeline_follows_the_scenario() -> None:
    years = modes_timeline(A, years=[2025, 2035], rng=1, days=2, mix="fixed-only")
    assert [r.year for r in years] == [2025, 2035]
    assert years[0].counts.evs < years[1].counts.evs
    assert years[0].hub is None  # fixed-only: no hub, the cars without a space are unserved
    assert years[1].counts.unserved > 0
