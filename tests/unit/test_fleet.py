"""One Monte Carlo fleet: the same seed and days give the same cars in every command."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import evgrid
from evgrid.errors import InputError
from evgrid.grid.site import report_cases
from evgrid.incentives.fleet import site_fleet
from evgrid.planning.fleet import sample_fleet, site_stream
from evgrid.planning.orderly_impact import orderly_impact
from evgrid.planning.reproduce_timeseries import reproduce_timeseries
from evgrid.planning.timeseries.years import timeseries_years

warnings.filterwarnings("ignore", message=".*104.2 %.*")
A = report_cases()["A"]


def _same_sessions(a: evgrid.Sessions, b: evgrid.Sessions) -> bool:
    return all(
        np.array_equal(getattr(a, f), getattr(b, f))
        for f in ("arrival_h", "departure_h", "energy_kwh", "max_power_kw", "vehicle")
    )


def test_reproduce_and_hosting_give_the_same_answer_for_a() -> None:
    rep = reproduce_timeseries(seed=2023, days=12, impact_days=2)
    for strategy in ("uncontrolled", "tou"):
        alone = evgrid.hosting(
            A, method="timeseries", strategy=strategy, rng=2023, days=12, basis="report"
        )
        from_rep = rep.hosting["A", strategy]
        assert from_rep.max_pile_ratio_p50 == alone.max_pile_ratio_p50
        assert from_rep.max_pile_ratio_p95 == alone.max_pile_ratio_p95
        assert np.array_equal(from_rep.metric_p95, alone.metric_p95)


def test_every_command_takes_the_first_cars_of_one_fleet() -> None:
    whole = sample_fleet(A, days=5, rng=7)
    assert whole.n_cars == A.parking_spaces
    impact_cars = sample_fleet(A, days=5, rng=7, days_parameter="impact_days").first(71)
    incentives = site_fleet(A, ev_share=71 / 324, days=5, rng=7, orders=2)
    assert _same_sessions(incentives.sessions, impact_cars.sessions)
    assert _same_sessions(whole.first(71).sessions, incentives.sessions)
    assert np.array_equal(incentives.ranks, whole.first(71).orders(2))
    assert incentives.seed == whole.strategy_seed
    # the figure 6-7 comparison charges the same cars
    impact = orderly_impact(A, ev_share=71 / 324, days=5, rng=7, strategies=())
    assert impact.n_evs == 71
    assert np.allclose(impact.base_kw, whole.typical_day(whole.base_kw))


def test_years_read_the_hosting_fleet() -> None:
    # one year at pile ratio 1, uncontrolled: the years tier's daily peaks are the hosting
    # tier's at ratio 1 (the same cars, the same base load)
    years = timeseries_years(
        A,
        pile_ratio=np.array([1.0]),
        growth=np.array([1.0]),
        participation=np.array([0.0]),
        strategies=("uncontrolled",),
        days=6,
        rng=11,
    )["uncontrolled"]
    hosting = evgrid.hosting(A, method="timeseries", rng=11, days=6)
    assert years.loading_p95[0] == pytest.approx(hosting.loading_p95[-1], rel=1e-12)
    assert years.loading_p50[0] == pytest.approx(hosting.loading_p50[-1], rel=1e-12)


def test_a_seed_is_combined_with_the_site_id_as_a_city_run_does() -> None:
    from evgrid.city.compute import site_seed

    stream = site_stream(2023, "Community A")
    assert isinstance(stream, np.random.SeedSequence)
    assert stream.entropy == site_seed(2023, "Community A").entropy
    a = sample_fleet(A, days=2, rng=2023)
    b = sample_fleet(A, days=2, rng=site_seed(2023, A.name))
    assert _same_sessions(a.sessions, b.sessions)
    other = sample_fleet(A, days=2, rng=2024)
    assert not _same_sessions(a.sessions, other.sessions)


def test_participation_follows_the_order_of_the_piles() -> None:
    fleet = sample_fleet(A, days=1, rng=1)
    joins = fleet.participating(0.3)
    counts = np.cumsum(joins)
    k = np.arange(1, fleet.n_cars + 1)
    assert np.array_equal(counts, np.floor(0.3 * k + 0.5).astype(int))


def test_memory_and_bad_values_are_refused() -> None:
    fleet = sample_fleet(A, days=1, rng=1)
    with pytest.raises(InputError, match="GiB"):
        fleet.require(1e15, "a test")
    with pytest.raises(InputError, match="cars"):
        fleet.first(fleet.n_cars + 1)
    with pytest.raises(InputError, match="days"):
        sample_fleet(A, days=0)
    with pytest.raises(InputError, match="seed"):
        sample_fleet(A, days=1, rng=-1)
