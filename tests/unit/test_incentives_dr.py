"""Demand response: the aggregator's dispatch by hand, plans, notice, and a fleet's events."""

from __future__ import annotations

import numpy as np
import pytest

from evgrid.charging.demand_response import contracted_dispatch
from evgrid.errors import InputError
from evgrid.incentives.dr import dispatch
from evgrid.incentives.dr_plan import parse_dr
from evgrid.incentives.fleet import Fleet, lever_session_kw
from evgrid.sessions import Sessions
from evgrid.timegrid import TimeGrid

BASE = np.array([[7.0, 7.0, 0.0, 0.0], [0.0, 7.0, 7.0, 0.0]])
CAP = np.array([[7.0, 7.0, 7.0, 7.0], [0.0, 7.0, 7.0, 0.0]])
EVENT = np.array([False, True, False, False])


def test_dispatch_by_hand() -> None:
    """Car 0 can make up 14 kWh after the event; car 1 leaves with no room, so it cannot cut."""
    cut, catch = contracted_dispatch(BASE, CAP, np.array([3.5, 3.5]), EVENT, 2.0, 1.0)
    np.testing.assert_allclose(cut, [[0, 2, 0, 0], [0, 0, 0, 0]])
    np.testing.assert_allclose(catch, [[0, 0, 2, 0], [0, 0, 0, 0]])
    cut, catch = contracted_dispatch(BASE, CAP, np.array([3.5, 3.5]), EVENT, 10.0, 1.0)
    np.testing.assert_allclose(cut.sum(axis=0), [0, 3.5, 0, 0])  # all car 0's contract
    np.testing.assert_allclose(catch, [[0, 0, 3.5, 0], [0, 0, 0, 0]])


def test_a_car_cuts_only_what_it_can_make_up() -> None:
    base = np.array([[7.0, 7.0, 7.0]])
    cap = np.array([[7.0, 7.0, 7.0]])  # always full: no room after the event
    cut, catch = contracted_dispatch(base, cap, np.array([7.0]), np.array([True, False, False]),
                                     5.0, 0.25)  # fmt: skip
    assert not cut.any() and not catch.any()


PLAN = {
    "name": "agg",
    "contracts": [{"kind": "fixed", "piles": 3, "kw_per_pile": 3.5, "notice_h": 24}],
    "events": [{"start": "19:00", "end": "20:00", "reduction_kw": 5, "notice_h": 24}],
}


def small_fleet(n: int = 4) -> Fleet:
    """``n`` cars plugged in 18:00-06:00 each evening (hours on a 3-day horizon, 1 h slots)."""
    days = np.repeat(np.arange(2), n)
    arrival = 18.0 + 24.0 * days
    sessions = Sessions(arrival, arrival + 12.0, np.full(2 * n, 14.0), np.full(2 * n, 7.0),
                        np.tile(np.arange(n), 2))  # fmt: skip
    grid = TimeGrid(60.0, 3)
    return Fleet("t", grid, np.full(grid.n_slots, 10.0), sessions, n,
                 np.arange(n)[None, :], slice(1, 2), 1.0, 0)  # fmt: skip


def test_events_on_a_fleet_keep_every_cars_energy() -> None:
    fleet = small_fleet()
    session_kw, ok = lever_session_kw(fleet, 0, "tou")
    out = dispatch(fleet, session_kw, parse_dr(PLAN), dispatchable=ok)
    (event,) = out.events
    # 19:00-20:00 of day 1: cars charge 18:00-20:00 at 7 kW; 3 contracted piles of 3.5 kW
    assert event.delivered_kw.tolist() == [pytest.approx(5.0)]
    assert event.contracted_kw == pytest.approx(10.5)
    assert event.shifted_kwh == pytest.approx(5.0)
    assert out.unmet_increase_kwh == 0.0
    assert out.delta_kw.sum() == pytest.approx(0.0, abs=1e-9)  # cut and made up
    assert out.delta_kw[24 + 19] == pytest.approx(-5.0)
    # settled against the five days before (here the warm-up day): 5 kW for an hour at the
    # default 1.0 yuan/kWh (Hainan's 2025 draft) and no capacity price
    assert event.settled_kw == pytest.approx(5.0)
    assert event.revenue_yuan == pytest.approx(1.0 * 5.0)
    assert event.owners_yuan + event.margin_yuan == pytest.approx(event.revenue_yuan)
    assert out.per_year["revenue_yuan"] == pytest.approx(20 * 1.0 * 5.0)


def test_a_contract_needing_more_notice_is_not_dispatched() -> None:
    plan = parse_dr({**PLAN, "events": [{**PLAN["events"][0], "notice_h": 2}]})
    fleet = small_fleet()
    out = dispatch(fleet, lever_session_kw(fleet, 0, "tou")[0], plan)
    assert out.events[0].delivered_kw.tolist() == [0.0]


def test_flexible_piles_answer_with_their_opt_in() -> None:
    never = {**PLAN, "contracts": [{"kind": "flexible", "piles": 3, "opt_in": 0.0}]}
    fleet = small_fleet()
    out = dispatch(fleet, lever_session_kw(fleet, 0, "tou")[0], parse_dr(never))
    assert out.events[0].piles == 0.0


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"contracts": [{"kind": "fixed", "piles": 3, "share": 0.2}]}, "piles or share"),
        ({"contracts": [{"kind": "fixed", "piles": 3, "opt_in": 0.5}]}, "only with kind flexible"),
        ({"contracts": [{"kind": "sometimes", "piles": 3}]}, "kind: got 'sometimes'"),
        ({"events": [{"start": "19:00", "end": "21:00", "reduction_kw": 5},
                     {"start": "20:00", "end": "22:00", "reduction_kw": 5}]}, "apart in time"),
        ({"events": [{"start": "19:00", "end": "21:00", "reduction_kw": 0}]}, "kw: got 0"),
        ({"energy_yuan_per_kwh": 5}, "not both"),
        ({"threshold": 1.5}, "threshold: got 1.5"),
        ({"baseline": "yesterday"}, "baseline: got 'yesterday'"),
        ({"owner_share": 2}, "owner_share: got 2"),
    ],
)  # fmt: skip
def test_a_bad_plan_is_one_line(change: dict[str, object], needle: str) -> None:
    doc = {**PLAN, "price_yuan_per_kwh": 0.4, **change}
    with pytest.raises(InputError) as info:
        parse_dr(doc, "dr.yaml")
    assert str(info.value).startswith("dr.yaml") and needle in str(info.value)


def test_more_contracted_piles_than_cars_is_refused() -> None:
    plan = parse_dr({**PLAN, "contracts": [{"kind": "fixed", "piles": 9}]})
    fleet = small_fleet()
    with pytest.raises(InputError, match="at most the site's 4 piles"):
        dispatch(fleet, lever_session_kw(fleet, 0, "tou")[0], plan)


def test_a_price_per_kw_pays_the_mean_cut() -> None:
    """An earlier release's plan with ``price_yuan_per_kw`` alone: paid per kW, not per kWh."""
    plan = parse_dr({**PLAN, "price_yuan_per_kw": 6.0, "owner_share": 0.25})
    fleet = small_fleet()
    (event,) = dispatch(fleet, lever_session_kw(fleet, 0, "tou")[0], plan).events
    assert event.revenue_yuan == pytest.approx(6.0 * float(event.delivered_kw.mean()))
    assert event.owners_yuan == pytest.approx(0.25 * event.revenue_yuan)


def test_settlement_by_hand() -> None:
    """A 2-hour event asking 100 kW: baseline 300 kW, measured 240 kW -> 60 kW of response, 60 %
    of the request: paid 8 yuan/kW x 60 + 1.0 yuan/kWh x 120 kWh; at 40 % nothing is paid; above
    the cap only 120 kW is paid."""
    from evgrid.incentives.settlement import Settlement, settle_event

    rule = Settlement(threshold=0.5, cap_ratio=1.2, capacity_yuan_per_kw=8.0,
                      energy_yuan_per_kwh=1.0)  # fmt: skip
    pay = settle_event(rule, [300.0] * 8, [240.0] * 8, 100.0, 0.25)
    assert pay.paid and pay.ratio == pytest.approx(0.6)
    assert pay.capacity_yuan == pytest.approx(8.0 * 60)
    assert pay.energy_yuan == pytest.approx(1.0 * 60 * 2)
    below = settle_event(rule, [300.0] * 8, [260.0] * 8, 100.0, 0.25)
    assert not below.paid and below.total_yuan == 0.0 and below.response_kw == pytest.approx(40)
    above = settle_event(rule, [300.0] * 8, [100.0] * 8, 100.0, 0.25)
    assert above.capacity_yuan == pytest.approx(8.0 * 120) and above.energy_yuan == 240.0


def test_no_payment_below_the_threshold_on_a_fleet() -> None:
    """The small fleet can give 10.5 kW (three 3.5 kW contracts): asked for 25 kW (42 %) it is
    not paid at the default 50 % threshold, asked for 21 kW (50 %) it is."""
    fleet = small_fleet()
    kw, ok = lever_session_kw(fleet, 0, "tou")
    for asked, paid in ((25.0, 0.0), (21.0, 1.0)):
        plan = parse_dr({**PLAN, "events": [{**PLAN["events"][0], "reduction_kw": asked}]})
        (event,) = dispatch(fleet, kw, plan, dispatchable=ok).events
        assert event.settled_kw == pytest.approx(10.5)
        assert event.paid_share == paid
        assert event.revenue_yuan == pytest.approx(paid * 10.5)


def test_the_optimised_delivery_beats_pro_rata() -> None:
    """Car 0 can cut in both event slots but make up only one slot's worth; car 1 charges only in
    the first. Pro rata spends car 0's energy where car 1 already covers the request; the LP moves
    it to the second slot: 7 kW·slot instead of 6.67."""
    from evgrid.incentives.settlement import optimised_cuts

    base = np.array([[7.0, 7.0, 7.0, 0.0], [0.0, 7.0, 0.0, 0.0]])
    cap = np.array([[0.0, 7.0, 7.0, 3.5], [0.0, 7.0, 7.0, 7.0]])
    event = np.array([False, True, True, False])
    contract = np.array([3.5, 3.5])
    cut, catch = contracted_dispatch(base, cap, contract, event, 5.0, 1.0)
    assert cut.sum() == pytest.approx(5.0 + 1.75)
    cut, catch = optimised_cuts(base, cap, contract, event, 5.0, 1.0)
    assert cut.sum() == pytest.approx(7.0)
    np.testing.assert_allclose(cut.sum(axis=1), catch.sum(axis=1))  # every kWh made up
    assert np.all(cut.sum(axis=0) <= 5.0 + 1e-9) and np.all(cut <= 3.5 + 1e-9)
