"""EDF/LLF under a limit, TOU, weighted LP, registry."""

from __future__ import annotations

import numpy as np
import pytest

from evgrid.charging.lp import lp_schedule, min_peak_lp
from evgrid.charging.priority import edf, llf
from evgrid.charging.strategies import all_strategies, get_strategy, strategy_names
from evgrid.charging.tou import VALLEY_START_H, tou, tou_start_h
from evgrid.charging.uncontrolled import uncontrolled
from evgrid.errors import InputError
from evgrid.sessions import Sessions
from evgrid.timegrid import TimeGrid

GRID = TimeGrid(15, 2)


def evening(n: int, seed: int = 0) -> Sessions:
    rng = np.random.default_rng(seed)
    arr = rng.uniform(17, 21, n)
    dep = arr + rng.uniform(9, 13, n)
    return Sessions(arr, dep, rng.uniform(5, 30, n), rng.choice([3.5, 7.0], n))


@pytest.mark.parametrize("rule", [edf, llf])
def test_priority_respects_limit_and_delivers_when_feasible(rule) -> None:  # type: ignore[no-untyped-def]
    s = evening(200)
    base = np.full(GRID.n_slots, 300.0)
    sch = rule(s, GRID, base, limit_kw=700.0, per_session=True)
    assert sch.total_kw(base).max() <= 700.0 + 1e-9
    assert sch.unmet_kwh.sum() == pytest.approx(0.0, abs=1e-6)
    assert sch.session_kw is not None
    kw = sch.session_kw.toarray()
    assert np.all(kw <= s.max_power_kw[:, None] + 1e-9)
    np.testing.assert_allclose(kw.sum(0), sch.charging_kw, atol=1e-9)


def test_priority_unmet_accounting_under_a_tight_limit() -> None:
    s = evening(200)
    base = np.full(GRID.n_slots, 300.0)
    sch = edf(s, GRID, base, limit_kw=320.0)
    assert sch.total_kw(base).max() <= 320.0 + 1e-9
    assert sch.unmet_kwh.sum() > 0
    assert sch.delivered_kwh.sum() + sch.unmet_kwh.sum() == pytest.approx(s.energy_kwh.sum())
    assert sch.energy_kwh == pytest.approx(sch.delivered_kwh.sum())


def test_edf_serves_earliest_deadline_first() -> None:
    grid = TimeGrid(60, 1)
    s = Sessions(
        np.array([0.0, 0.0]), np.array([2.0, 5.0]), np.array([4.0, 4.0]), np.array([4.0, 4.0])
    )
    sch = edf(s, grid, None, limit_kw=4.0, per_session=True)
    assert sch.session_kw is not None
    kw = sch.session_kw.toarray()
    np.testing.assert_allclose(kw[0, :2], [4.0, 0.0])
    np.testing.assert_allclose(kw[1, :2], [0.0, 4.0])


def test_llf_beats_edf_on_a_rate_capped_case() -> None:
    """Same deadline: LLF serves the low-rate car first, EDF's tie order would strand it."""
    grid = TimeGrid(60, 1)
    s = Sessions(np.zeros(2), np.full(2, 2.0), np.array([2.0, 2.0]), np.array([2.0, 1.0]))
    assert llf(s, grid, None, limit_kw=2.0).unmet_kwh.sum() == pytest.approx(0.0)


def test_no_limit_equals_uncontrolled() -> None:
    s = evening(100)
    np.testing.assert_allclose(
        edf(s, GRID).charging_kw, uncontrolled(s, GRID).charging_kw, atol=1e-9
    )


def test_limit_below_base_everywhere_is_rejected() -> None:
    with pytest.raises(InputError, match="limit_kw"):
        edf(evening(5), GRID, np.full(GRID.n_slots, 100.0), limit_kw=50.0)


def test_tou_start_times() -> None:
    stagger = np.zeros(4)
    arr = np.array([18.0, 1.0, 18.0, 9.0])
    dep = np.array([31.0, 7.0, 24.0, 17.0])
    start = tou_start_h(arr, dep, np.array([7.0, 7.0, 14.0, 7.0]), np.full(4, 7.0), stagger)
    # waits to 23:00; inside the valley starts now; must start at 22:00 to finish; office: latest
    np.testing.assert_allclose(start, [VALLEY_START_H, 1.0, 22.0, 16.0])


def test_tou_stagger_is_reproducible_and_bounded() -> None:
    s0 = evening(300)
    s = Sessions(s0.arrival_h, s0.departure_h, np.minimum(s0.energy_kwh, 10.0), s0.max_power_kw)
    a, b = tou(s, GRID, rng=7), tou(s, GRID, rng=7)
    np.testing.assert_array_equal(a.charging_kw, b.charging_kw)
    synced = tou(s, GRID, stagger_h=0.0)
    assert a.peak_kw < synced.peak_kw
    first = GRID.slot_of(VALLEY_START_H)
    assert a.charging_kw[: int(first)].sum() == pytest.approx(0.0)
    assert a.unmet_kwh.sum() == pytest.approx(0.0, abs=1e-9)


def test_weighted_lp_puts_energy_in_cheap_slots_under_limit() -> None:
    rng = np.random.default_rng(2)
    s = Sessions(
        rng.uniform(18, 22, 40), rng.uniform(32, 34, 40), rng.uniform(5, 30, 40), np.full(40, 7.0)
    )
    hour = GRID.hour_of_day()
    price = np.where((hour >= 23) | (hour < 8), 0.3, 0.6)
    sch = lp_schedule(s, GRID, np.zeros(GRID.n_slots), limit_kw=120.0, weights=price)
    assert sch.charging_kw.max() <= 120.0 + 1e-6
    assert sch.unmet_kwh.sum() == pytest.approx(0.0, abs=1e-6)
    valley = (hour >= 23) | (hour < 8)
    # every session is plugged in through the valley and 120 kW are plenty: all energy in it
    assert sch.charging_kw[~valley].sum() == pytest.approx(0.0, abs=1e-6)
    per = lp_schedule(s, GRID, None, limit_kw=120.0, weights=price, per_session=True)
    assert per.session_kw is not None
    kw = per.session_kw.toarray()
    np.testing.assert_allclose(kw.sum(0), per.charging_kw, atol=1e-9)
    np.testing.assert_allclose(kw.sum(1) * GRID.slot_h, per.delivered_kwh, atol=1e-9)


def test_lp_default_is_min_peak() -> None:
    s = evening(50)
    base = np.full(GRID.n_slots, 10.0)
    assert lp_schedule(s, GRID, base).total_kw(base).max() == pytest.approx(
        min_peak_lp(s, GRID, base)[1]
    )


def test_registry() -> None:
    assert strategy_names() == (
        "uncontrolled", "tou", "valley-filling", "lp", "edf", "llf", "v2g"
    )  # fmt: skip
    with pytest.raises(InputError, match="strategy: got 'greedy'"):
        get_strategy("greedy")
    assert get_strategy("orderly") is get_strategy("valley-filling")


def test_strategies_declare_their_properties() -> None:
    table = all_strategies()
    assert {n for n, s in table.items() if s.separable} == {"uncontrolled", "tou"}
    assert {n for n, s in table.items() if s.minimises_peak} == {"valley-filling", "lp"}
    assert {n for n, s in table.items() if s.needs_limit} == {"edf", "llf"}
    assert {s.index_mode for s in table.values()} == {"uncontrolled", "orderly", None}
    for s in table.values():  # every strategy answers the common signature
        sched = s(evening(5), GRID, np.zeros(GRID.n_slots), limit_kw=30.0, rng=1)
        assert sched.charging_kw.shape == (GRID.n_slots,)


@pytest.mark.parametrize("name", ["lp", "edf", "llf"])
def test_a_limit_per_slot_is_held_slot_by_slot(name: str) -> None:
    from evgrid.charging.strategies import schedule

    s = evening(60, seed=4)
    limit = np.where(GRID.hour_of_day() < 6, 60.0, 120.0)  # a demand-response cut each night
    sch = schedule(s, name, grid=GRID, limit_kw=limit)
    assert np.all(sch.charging_kw <= limit + 1e-6)
    assert sch.charging_kw[GRID.hour_of_day() < 6].max() == pytest.approx(60.0, rel=1e-6)
    with pytest.raises(InputError, match="a number or 192 values"):
        schedule(s, name, grid=GRID, limit_kw=limit[:10])
