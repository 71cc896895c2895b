"""The time-series hosting engine on small synthetic sites (no behaviour model needed)."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from evgrid.charging.uncontrolled import uncontrolled
from evgrid.errors import InputError
from evgrid.grid.site import report_cases
from evgrid.grid.transformer import Transformer
from evgrid.planning.result import HostingResult
from evgrid.planning.timeseries import montecarlo as mc
from evgrid.planning.timeseries.run import (
    COOLDOWN_DAYS,
    WARMUP_DAYS,
    hosting_curve,
    timeseries_hosting,
)
from evgrid.sessions import Sessions
from evgrid.timegrid import TimeGrid

N_CARS = 40
DAYS = 6
RATING_KVA = 160.0


def site_inputs(seed: int = 0, energy_scale: float = 1.0) -> tuple[np.ndarray, Sessions, TimeGrid]:
    """Base load with an evening peak and overnight sessions for N_CARS cars, days 0..DAYS."""
    rng = np.random.default_rng(seed)
    grid = TimeGrid(15, DAYS + WARMUP_DAYS + COOLDOWN_DAYS)
    hour = grid.hour_of_day()
    day_scale = np.repeat(rng.uniform(0.9, 1.1, grid.n_days), grid.slots_per_day)
    base = day_scale * (40.0 + 60.0 * np.exp(-(((hour - 20.5) / 2.5) ** 2)))
    day = np.repeat(np.arange(DAYS + WARMUP_DAYS), N_CARS)
    n = day.size
    sessions = Sessions(
        arrival_h=day * 24.0 + np.clip(rng.normal(19.0, 1.5, n), 15.0, 23.5),
        departure_h=day * 24.0 + 24.0 + rng.uniform(6.0, 9.0, n),
        energy_kwh=energy_scale * rng.uniform(2.0, 14.0, n),
        max_power_kw=rng.choice([3.5, 7.0], n),
        vehicle=np.tile(np.arange(N_CARS), DAYS + WARMUP_DAYS),
    )
    return base, sessions, grid


def run(energy_scale: float = 1.0, **kwargs: object) -> HostingResult:
    base, sessions, grid = site_inputs(energy_scale=energy_scale)
    options = {"grid": grid, "transformer": Transformer(RATING_KVA), "rng": 7, **kwargs}
    return hosting_curve(base, sessions, N_CARS, **options)  # type: ignore[arg-type]


def test_uncontrolled_curve_all_ratios_monotone_and_bands_ordered() -> None:
    result = run()
    assert result.pile_ratios.size == mc.N_PILE_RATIOS
    assert result.metadata["method"] == "prefix-sum"
    assert np.all(np.diff(result.loading_p50) >= -1e-12)
    assert np.all(np.diff(result.loading_p95) >= -1e-12)
    assert np.all(result.loading_p95 >= result.loading_p50 - 1e-12)
    assert result.loading_p95[-1] > result.loading_p95[0]  # the cars do add load
    assert result.max_pile_ratio_p95 <= result.max_pile_ratio_p50
    assert result.days == DAYS


def test_prefix_curve_equals_direct_uncontrolled_of_first_cars() -> None:
    """The load at a ratio is the uncontrolled load of the first round(r n) cars of the order."""
    base, sessions, grid = site_inputs()
    result = run()
    order = np.random.default_rng(7).spawn(2)[0].permutation(N_CARS)
    for index in (13, 50, 100):
        k = int(result.n_piles[index])
        chosen = np.isin(sessions.vehicle, order[:k])
        charging = uncontrolled(sessions.take(chosen), grid).charging_kw
        daily = ((base + charging) / RATING_KVA).reshape(grid.n_days, -1)[1:-1].max(axis=1)
        assert result.loading_p50[index] == pytest.approx(np.percentile(daily, 50), rel=1e-9)
        assert result.loading_p95[index] == pytest.approx(np.percentile(daily, 95), rel=1e-9)


def test_max_ratio_is_last_ratio_under_the_limit() -> None:
    limit = 0.75
    result = run(limit=limit)
    i50 = round(result.max_pile_ratio_p50 * 100)
    assert result.loading_p50[i50] <= limit
    if i50 < 100:
        assert result.loading_p50[i50 + 1] > limit
    assert result.at_limit_p50.n_piles == result.n_piles[i50]


def test_same_seed_same_result_and_other_seed_differs() -> None:
    a, b, c = run(), run(), run(rng=8)
    np.testing.assert_array_equal(a.loading_p95, b.loading_p95)
    assert a.max_pile_ratio_p50 == b.max_pile_ratio_p50
    assert not np.array_equal(a.loading_p95, c.loading_p95)


@pytest.mark.parametrize("strategy", ["tou", "valley-filling"])
def test_coordinated_not_above_uncontrolled(strategy: str) -> None:
    free = run()
    coordinated = run(strategy=strategy, curve_step=0.25)
    index = (coordinated.pile_ratios * 100).round().astype(int)
    if strategy == "valley-filling":
        assert coordinated.metadata["method"] == "min-peak"
        assert np.all(coordinated.loading_p95 <= free.loading_p95[index] + 1e-9)
        assert np.all(coordinated.loading_p50 <= free.loading_p50[index] + 1e-9)
        assert coordinated.max_pile_ratio_p95 >= free.max_pile_ratio_p95
    assert np.all(np.diff(coordinated.loading_p95) >= -1e-9)
    assert max(coordinated.metadata["unmet_share"]) < 1e-6


def test_bisection_agrees_with_full_grid() -> None:
    options = {"strategy": "valley-filling", "limit": 0.7, "energy_scale": 3.0}
    options["use_schedules"] = True
    coarse = run(curve_step=1.0, **options)
    fine = run(curve_step=0.25, **options)
    assert fine.metadata["method"] == "bisection"
    assert 0.0 < fine.max_pile_ratio_p95 < fine.max_pile_ratio_p50 < 1.0  # a real search
    assert coarse.metadata["strategy_calls"] < fine.metadata["strategy_calls"]
    assert coarse.max_pile_ratio_p50 == fine.max_pile_ratio_p50
    assert coarse.max_pile_ratio_p95 == fine.max_pile_ratio_p95


@pytest.mark.parametrize("participation", [1.0, 0.5])
def test_min_peak_path_equals_the_schedules_daily_peaks(participation: float) -> None:
    """The closed-form daily optimal peaks equal the peaks of the valley-filling schedules."""
    base, sessions, grid = site_inputs(energy_scale=3.0)
    options = {"grid": grid, "transformer": Transformer(RATING_KVA), "rng": 7, "limit": 0.7}
    fast = hosting_curve(
        base, sessions, N_CARS, strategy="valley-filling", participation=participation, **options
    )
    slow = hosting_curve(
        base,
        sessions,
        N_CARS,
        strategy="valley-filling",
        participation=participation,
        curve_step=0.1,
        use_schedules=True,
        **options,
    )
    assert fast.metadata["method"] == "min-peak" and slow.metadata["method"] == "bisection"
    assert fast.metadata["closed_form_gap"] < 1e-9  # its own check on the scheduled blocks
    index = (slow.pile_ratios * 100).round().astype(int)
    np.testing.assert_allclose(fast.loading_p50[index], slow.loading_p50, rtol=1e-9)
    np.testing.assert_allclose(fast.loading_p95[index], slow.loading_p95, rtol=1e-9)
    assert fast.max_pile_ratio_p50 == slow.max_pile_ratio_p50
    assert fast.max_pile_ratio_p95 == slow.max_pile_ratio_p95
    np.testing.assert_allclose(fast.metadata["unmet_share"][-1], slow.metadata["unmet_share"][-1])


def test_zero_participation_is_uncontrolled() -> None:
    free = run()
    none = run(strategy="valley-filling", participation=0.0)
    np.testing.assert_allclose(none.loading_p95, free.loading_p95)


def test_partial_participation_between_the_extremes() -> None:
    full = run(strategy="valley-filling", curve_step=1.0, energy_scale=3.0)
    half = run(strategy="valley-filling", participation=0.5, curve_step=1.0, energy_scale=3.0)
    free = run(energy_scale=3.0)
    assert full.loading_p95[-1] <= half.loading_p95[-1] + 1e-9
    assert half.loading_p95[-1] <= free.loading_p95[-1] + 1e-9


@pytest.mark.parametrize(("criterion", "limit"), [("hotspot", 70.0), ("ageing", 0.01)])
def test_thermal_criteria_monotone_with_ordered_bands(criterion: str, limit: float) -> None:
    result = run(criterion=criterion, limit=limit)
    assert result.criterion == criterion and result.limit == limit
    assert np.all(np.diff(result.metric_p95) >= -1e-9)
    assert np.all(result.metric_p95 >= result.metric_p50 - 1e-9)
    i95 = round(result.max_pile_ratio_p95 * 100)
    assert result.metric_p95[i95] <= limit


def test_json_document_shape() -> None:
    doc = json.loads(json.dumps(run().to_dict(curves=True)))
    assert {"site", "strategy", "max_pile_ratio_p50", "max_pile_ratio_p95", "curve"} <= set(doc)
    assert len(doc["curve"]) == mc.N_PILE_RATIOS
    assert {"pile_ratio", "loading_p50", "loading_p95"} <= set(doc["curve"][0])
    assert len(doc["at_limit_p95"]["charging_mean_kw"]) == 96


def test_base_above_limit_gives_zero_and_flag() -> None:
    result = run(limit=0.3)
    assert result.max_pile_ratio_p50 == 0.0
    assert result.metadata["base_fails_p50"] is True


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"criterion": "temperature"}, "criterion"),
        ({"strategy": "fastest"}, "strategy"),
        ({"participation": 1.5}, "participation"),
        ({"limit": -1.0}, "limit"),
        ({"limit": "high"}, "limit"),
        ({"criterion": "hotspot", "ambient_c": np.zeros(5)}, "ambient_c"),
        ({"curve_step": 0.0, "strategy": "valley-filling"}, "curve_step"),
    ],
)
def test_bad_input_is_one_line_input_error(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(InputError) as info:
        run(**kwargs)
    message = str(info.value)
    assert field in message and "\n" not in message


def test_no_evaluated_day_is_input_error() -> None:
    base, sessions, _ = site_inputs()
    grid = TimeGrid(15, 2)  # warm-up + cool-down only: no Monte Carlo day left
    with pytest.raises(InputError, match="days"):
        empty = sessions.take(np.zeros(0, dtype=np.int64))
        hosting_curve(
            base[: grid.n_slots], empty, N_CARS, grid=grid, transformer=Transformer(100.0)
        )


def test_non_interval_tight_set_falls_back_to_schedules() -> None:
    """An office day has two peaks around a lunch dip: cars plugged in all day make the two
    peaks together (not an interval) the tight set, which the closed form misses; the run's own
    check notices and evaluates by schedules."""
    warnings.filterwarnings("ignore", message=".*104.2 %.*")
    with pytest.warns(RuntimeWarning, match="not an interval"):
        result = timeseries_hosting(
            report_cases()["closed"], strategy="valley-filling", days=2, rng=1
        )
    assert result.metadata["method"] == "bisection"
