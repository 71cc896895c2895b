"""The planner: under the headroom of every slot, energy delivered when it fits, unmet reported
when it does not, the current slot held."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from evgrid.service.planner import PlanRequest, make_plan

ORIGIN = datetime(2024, 6, 1, 15, 0, tzinfo=UTC)  # 23:00 local


def _request(
    energy: list[float], limit_kw: float, current: list[float] | None = None
) -> PlanRequest:
    n, m = len(energy), 32
    base = np.r_[np.full(8, 40.0), np.full(24, 20.0)]
    return PlanRequest(
        now=ORIGIN + timedelta(minutes=5),
        origin=ORIGIN,
        slot_s=900.0,
        keys=list(range(n)),
        departure=[ORIGIN + timedelta(hours=7, minutes=30)] * n,
        energy_kwh=np.array(energy),
        max_a=np.full(n, 32.0),
        phases=np.ones(n),
        current_a=np.array(current or [0.0] * n),
        base_kw=base,
        committed_kw=np.zeros(m),
        limit_kw=np.full(m, limit_kw),
        volts=220.0,
    )


def test_feasible_plan_delivers_and_stays_under_headroom() -> None:
    req = _request([10.0, 6.0, 14.0, 3.0], limit_kw=50.0)
    plan = make_plan(req)
    charging = (plan.amps * 0.22).sum(axis=0)
    assert np.all(charging <= req.headroom_kw() + 1e-9)
    assert plan.unmet_total_kwh < 0.05  # whole amperes: a few Wh of rounding
    assert np.all((plan.amps == 0) | (plan.amps >= 6))
    # valley filling: more charging where the base is low
    assert charging[8:].mean() > charging[1:8].mean()


def test_infeasible_plan_reports_unmet() -> None:
    req = _request([30.0, 30.0, 30.0], limit_kw=28.0)  # 8 kW x 6 h = 48 kWh of room
    plan = make_plan(req)
    assert plan.strategy in ("lp", "edf")
    assert 30.0 < plan.unmet_total_kwh < 90.0
    assert np.all((plan.amps * 0.22).sum(axis=0) <= req.headroom_kw() + 1e-9)


def test_current_slot_is_held_unless_headroom_forbids() -> None:
    plan = make_plan(_request([10.0, 10.0], limit_kw=60.0, current=[16.0, 10.0]))
    assert plan.amps[:, 0].tolist() == [16.0, 10.0]
    tight = make_plan(_request([10.0, 10.0], limit_kw=44.0, current=[16.0, 10.0]))
    assert (tight.amps[:, 0] * 0.22).sum() <= 4.0 + 1e-9


def test_a_car_leaving_at_the_next_slot_does_not_break_the_split() -> None:
    """A car charging now that leaves at the next slot boundary has an empty window; the
    earliest-departure split's tie-break must not move its departure before its arrival."""
    req = _request([3.0, 6.0, 2.0], limit_kw=47.0, current=[16.0, 0.0, 0.0])
    req.departure[0] = ORIGIN + timedelta(minutes=15)
    req.departure[1] = ORIGIN + timedelta(minutes=75)
    plan = make_plan(req)
    assert plan.amps[0, 0] == 16.0 and not plan.amps[0, 1:].any()  # held now, then gone
    assert plan.amps[1, 1:5].sum() * 0.22 * 0.25 >= 6.0 - 1e-9  # the next car still gets its need
