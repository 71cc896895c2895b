"""One simulated night of a community, end to end: simulated piles speaking OCPP 1.6J and 2.0.1
to the service over in-memory connections, on a stepped virtual clock (deterministic, fast).

What must hold: the transformer limit is never exceeded in any simulated
minute (the recorder sums every pile's highest power within the minute); each car's energy is
delivered where feasible (against evgrid's perfect-information optimum, the LP); unmet energy is
reported where not; and the same under faults: piles offline, a service restart at 02:00, skewed
clocks, TxProfile rejections and a demand-response cap.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from evgrid_sim.fleet import Faults, SimConfig
from evgrid_sim.harness import optimum_kwh, run_night

MARGIN_KW = 2.0  # ServiceConfig.margin_pu 0.02 x 100 kVA


def _night(site, sim, **kw):  # type: ignore[no-untyped-def]
    return asyncio.run(run_night(site, sim, **kw))


def test_one_night_limit_held_and_energy_delivered(site, start) -> None:  # type: ignore[no-untyped-def]
    sim = SimConfig(
        n_piles=20, start=start, hours=17, seed=5, share_201=0.3, base_bias=0.02, base_noise=0.005
    )
    res = _night(site, sim)
    s = res.fleet.summary()
    assert s["minutes"] == 17 * 60
    assert s["violations"] == 0, s["worst_excess_kw"]
    assert s["peak_kw"] > 0.8 * s["limit_kw"]  # the limit was binding somewhere... or near it
    best = optimum_kwh(res.fleet, s["limit_kw"] - MARGIN_KW)
    assert s["delivered_kwh"] >= 0.99 * best
    assert s["pauses_mean"] <= 2.5  # 0 A pause/resume cycles per session (design target 2)
    assert s["pauses_max"] <= 5
    # the service saw every car, and its plans came from valley filling
    status = res.service.status()
    assert status["metrics"]["fallback_plans"] == 0
    assert status["online"] == 0  # the night ended: piles disconnected


def test_infeasible_night_reports_unmet(make_site, start) -> None:  # type: ignore[no-untyped-def]
    site = make_site(kva=40.0, peak_kw=30.0, valley_kw=25.0)
    sim = SimConfig(n_piles=20, start=start, hours=17, seed=7, base_bias=0.0)
    res = _night(site, sim)
    s = res.fleet.summary()
    assert s["violations"] == 0
    best = optimum_kwh(res.fleet, s["limit_kw"] - 1.0)
    assert best < s["asked_kwh"] - 1.0  # the night cannot hold every need...
    # ...the service gets near the most that fits; the optimum also knows the cars that have not
    # arrived yet, the service cannot (its valley filling leaves the morning to the cars already
    # there where the optimum keeps room for cars arriving at dawn: 0.92 of it on this night)
    assert s["delivered_kwh"] >= 0.9 * best
    rows = list(res.store.rows("transactions"))
    reported = sum(r["unmet_kwh"] or 0.0 for r in rows if r["stop_ts"] is not None)
    # the cars that left within the night (the others are still plugged in at its end)
    left = [c for c in res.fleet.cars if c is not None and c.departure < res.fleet.minutes[-1].t]
    missing = sum(c.energy_kwh - c.delivered_kwh for c in left)
    assert missing > 1.0 and reported == pytest.approx(missing, rel=0.1, abs=0.5)


def test_night_with_faults(site, start, tmp_path) -> None:  # type: ignore[no-untyped-def]
    faults = Faults(
        offline_share=0.1,
        offline_at_h=8.0,
        offline_for_h=1.5,
        skew_share=0.1,
        skew_s=150.0,
        reject_share=0.1,
    )
    sim = SimConfig(
        n_piles=20,
        start=start,
        hours=17,
        seed=5,
        share_201=0.3,
        base_bias=0.02,
        base_noise=0.005,
        faults=faults,
    )
    dr = (12.0, 1.0, 45.0)  # 04:00-05:00 local, site load capped at 45 kW
    res = _night(site, sim, db=tmp_path / "svc.db", restart_at_h=10.0, dr_event=dr)
    s = res.fleet.summary()
    assert s["violations"] == 0, s["worst_excess_kw"]
    dr_start, dr_end = start + timedelta(hours=12), start + timedelta(hours=13)
    in_event = [m.total_kw for m in res.fleet.minutes if dr_start <= m.t < dr_end]
    assert max(in_event) <= dr[2] + 1e-6
    assert res.dr_answers == [("dr-1", "optIn")]
    # the restart: a second service on the same store reconciled every pile
    assert len(res.services) == 2
    assert len(res.service.metrics.reconcile_s) >= 20
    kinds = {(r["kind"], r["charger"]) for r in res.store.alerts()}
    skewed = {p.model.pile_id for p in res.fleet.piles if p.model.skew_s}
    rejecting = {p.model.pile_id for p in res.fleet.piles if p.model.rejects_tx}
    assert skewed <= {c for k, c in kinds if k == "clock-skew"}
    with_car = {p.model.pile_id for p, c in zip(res.fleet.piles, res.fleet.cars, strict=True) if c}
    assert rejecting & with_car <= {c for k, c in kinds if k == "rejects-txprofile"}
    # energy: near the optimum under the same cap
    best = optimum_kwh(res.fleet, s["limit_kw"] - MARGIN_KW, caps=[(dr_start, dr_end, dr[2])])
    assert s["delivered_kwh"] >= 0.97 * best
