"""The time-series tier against the planning-index tier and the design-practice coefficients."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp

from evgrid.charging.uncontrolled import uncontrolled
from evgrid.demand.behaviour import Behaviour
from evgrid.demand.sampling import sample_sessions
from evgrid.grid.site import report_cases
from evgrid.grid.transformer import Transformer
from evgrid.planning.assumptions import (
    DESIGN_PRACTICE_COEFFICIENT_BANDS,
    ResidentialAssumptions,
)
from evgrid.planning.hosting import hosting
from evgrid.planning.timeseries import montecarlo as mc
from evgrid.planning.timeseries.run import (
    COOLDOWN_DAYS,
    WARMUP_DAYS,
    hosting_curve,
    site_base_kw,
    timeseries_hosting,
)
from evgrid.sessions import Sessions
from evgrid.timegrid import TimeGrid

DAYS = 20


@pytest.fixture(autouse=True)
def _quiet_distance_warning() -> None:
    warnings.filterwarnings("ignore", message=".*104.2 %.*")


@pytest.mark.parametrize("case", ["A", "B"])
def test_constant_design_load_reproduces_index_tier(case: str) -> None:
    """Piles that each draw rating × demand coefficient all day give the index tier's answer.

    With deterministic sessions (every car plugged in all day at 7 kW × 0.55 = 3.85 kW) the
    Monte Carlo collapses: every day's peak is the regular peak plus N × 3.85 kW, exactly the
    planning-index uncontrolled model, so both tiers must find the same largest pile ratio (to
    the 1 % step; the index counts fractional piles, the time series whole cars).
    """
    site = report_cases()[case]
    grid = TimeGrid(15, 3 + WARMUP_DAYS + COOLDOWN_DAYS)
    n = site.parking_spaces
    per_pile_kw = ResidentialAssumptions().uncontrolled_kw_per_pile
    car = np.arange(n)
    always = Sessions(
        arrival_h=np.zeros(n),
        departure_h=np.full(n, grid.horizon_h),
        energy_kwh=np.full(n, per_pile_kw * grid.horizon_h),
        max_power_kw=np.full(n, per_pile_kw),
        vehicle=car,
    )
    base, _ = site_base_kw(site, grid)
    transformer = Transformer.from_site(site)
    result = hosting_curve(base, always, n, grid=grid, transformer=transformer, rng=0)
    index = hosting(site, basis="report").details["max_pile_ratio_1pct"]
    assert result.max_pile_ratio_p50 == pytest.approx(index, abs=0.0101)
    assert result.max_pile_ratio_p95 == result.max_pile_ratio_p50  # no randomness left
    np.testing.assert_allclose(
        result.loading_p95[10], (base.max() + round(0.1 * n) * per_pile_kw) / site.transformer_kva
    )


def test_monte_carlo_coincidence_falls_with_piles_below_design_practice() -> None:
    """Direction and magnitude of the Monte Carlo coincidence factor vs design practice.

    Coincidence factor = P95 over days of the daily peak of N uncontrolled piles ÷ (N × the
    piles' mean rating). Design practice (DESIGN_PRACTICE_COEFFICIENT_BANDS: 0.80 up to 10
    piles, 0.60 up to 50, 0.425 above) must be conservative against the behaviour model (the
    factor is below it for every N) but of the same order (within a factor 4), and the factor
    must fall as N grows, as the bands do.
    """
    days, n_cars = DAYS, 1000
    sessions = sample_sessions(Behaviour.home(), n_cars, days=days + WARMUP_DAYS, rng=11)
    grid = TimeGrid(15, days + WARMUP_DAYS + COOLDOWN_DAYS)
    per_session = uncontrolled(sessions, grid, per_session=True).session_kw
    assert per_session is not None
    counts = np.array([5, 10, 50, 200, 1000])
    bucket = mc.session_buckets(sessions.vehicle, counts)
    load = mc.prefix_loads(sp.csr_array(per_session), bucket, counts.size)
    peak = load.reshape(counts.size, grid.n_days, -1)[:, WARMUP_DAYS:-COOLDOWN_DAYS].max(axis=2)
    rating = np.bincount(sessions.vehicle, weights=sessions.max_power_kw, minlength=n_cars)
    rating /= np.maximum(np.bincount(sessions.vehicle, minlength=n_cars), 1)
    factor = np.percentile(peak, 95, axis=1) / np.cumsum(rating)[counts - 1]
    design = np.array(
        [next(k for top, k in DESIGN_PRACTICE_COEFFICIENT_BANDS if c <= top) for c in counts]
    )
    assert np.all(np.diff(factor) < 0.02)  # falls with N (small Monte Carlo noise allowed)
    assert factor[-1] < factor[0] / 2
    assert np.all(factor < design)
    assert np.all(factor > design / 4)


def test_site_run_with_behaviour_model_case_b() -> None:
    result = timeseries_hosting(report_cases()["B"], days=DAYS, rng=5, basis="report")
    assert result.metadata["n_spaces"] == 1734
    assert np.all(np.diff(result.loading_p95) >= -1e-12)
    assert np.all(result.loading_p95 >= result.loading_p50 - 1e-12)
    # the regular peak alone: 1883 kW on 3200 kVA
    assert result.loading_p50[0] == pytest.approx(1883 / 3200, rel=1e-6)
    # the behaviour model is far below the index tier's 3.85 kW per pile: more piles fit
    index = hosting(report_cases()["B"], basis="report")
    assert result.max_pile_ratio_p95 > index.details["max_pile_ratio_1pct"]
    assert (result.method, index.method) == ("timeseries", "index")
    again = timeseries_hosting(report_cases()["B"], days=DAYS, rng=5, basis="report")
    np.testing.assert_array_equal(result.loading_p95, again.loading_p95)


def test_site_days_below_one_is_input_error() -> None:
    from evgrid.errors import InputError

    with pytest.raises(InputError, match="days"):
        timeseries_hosting(report_cases()["B"], days=0)
    with pytest.raises(InputError, match="criterion"):
        timeseries_hosting(report_cases()["B"], days=2, criterion="voltage")


def test_both_tiers_take_the_regular_load_on_the_same_basis() -> None:
    """Community C is new and measures below the planning index: both tiers use the index."""
    from evgrid.planning.hosting import hosting

    c = report_cases()["C"]
    index = hosting(c, basis="report")
    series = hosting(c, method="timeseries", days=3, rng=1, basis="report")
    assert index.regular.basis == series.regular.basis == "planning index (filling up)"
    assert series.regular.peak_kw == pytest.approx(index.regular.peak_kw)  # 3811 x 1.3 kW
    assert series.loading_p50[0] == pytest.approx(3811 * 1.3 / 10200, rel=1e-6)
    # a settled community keeps its measurement in both tiers
    b = report_cases()["B"]
    assert hosting(b).regular.basis == hosting(b, method="timeseries", days=2).regular.basis


def test_the_answer_carries_its_range_across_behaviour_presets() -> None:
    from evgrid.demand.behaviour import Behaviour
    from evgrid.errors import InputError
    from evgrid.planning.hosting import site_hosting

    (result,) = site_hosting(
        report_cases()["A"], method="timeseries", days=20, behaviour_range=True, basis="report"
    )
    ranges = result.details["behaviour_range"]
    assert tuple(ranges) == Behaviour.presets("residential")
    assert result.details["behaviour"] == "report"
    assert ranges["report"]["max_pile_ratio_p50"] == result.max_pile_ratio_p50
    # measured home charging is heavier than the report-based presets: less room
    assert ranges["elaadnl"]["max_pile_ratio_p50"] < ranges["report"]["max_pile_ratio_p50"]
    assert result.to_dict()["details"]["behaviour_range"] == ranges
    (office,) = site_hosting(
        report_cases()["open"], method="timeseries", days=5, behaviour_range=True
    )
    assert tuple(office.details["behaviour_range"]) == ("office",)
    with pytest.raises(InputError, match="behaviour_range"):
        site_hosting(report_cases()["A"], behaviour_range=True)
