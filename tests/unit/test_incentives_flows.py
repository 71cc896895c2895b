"""Who pays whom and what V2G earns: a tiny case by hand, signs and totals, and the faces."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from evgrid.incentives.flows import money_flows, v2g_money
from evgrid.incentives.tariffs import load_tariff
from evgrid.timegrid import TimeGrid

PEAK, VALLEY = 0.7536, 0.2602  # Chengdu 2023: 20:00 is peak, 02:00 valley (bundled tariff)


def _hourly(**at: float) -> np.ndarray:
    day = np.zeros(24)
    for hour, kw in at.items():
        day[int(hour[1:])] = kw
    return day


def test_v2g_money_by_hand() -> None:
    """One hour of 10 kW given at 20:00 (peak), 12 kW charged back at 02:00 (valley) beyond
    the 5 kW the car took there anyway; wear 0.15 yuan/kWh, half the margin to the owners."""
    grid = TimeGrid(slot_min=60, n_days=1)
    m = v2g_money(
        grid,
        slice(0, 24),
        load_tariff("chengdu-2023"),
        charging_kw=_hourly(h2=17.0),
        discharge_kw=_hourly(h20=10.0),
        without_kw=_hourly(h2=5.0),
        wear_yuan_per_kwh=0.15,
        owner_share=0.5,
    )
    year = 365.0
    assert m.discharged_kwh == pytest.approx(10 * year)
    assert m.revenue_yuan == pytest.approx(10 * PEAK * year)
    assert m.extra_charging_yuan == pytest.approx(12 * VALLEY * year)
    assert m.wear_yuan == pytest.approx(1.5 * year)
    margin = (10 * PEAK - 12 * VALLEY - 1.5) * year  # 2.9136 yuan a day
    assert m.margin_yuan == pytest.approx(margin)
    assert m.paid_to_owners_yuan == pytest.approx((12 * VALLEY + 1.5) * year + margin / 2)
    net = m.net_yuan
    assert net["owners"] == pytest.approx(margin / 2) and net["aggregator"] == net["owners"]
    assert net["grid"] == pytest.approx((12 * VALLEY - 10 * PEAK) * year)
    assert net["grid"] < 0  # the grid pays more for the discharge than it bills back
    assert sum(net.values()) == pytest.approx(-m.wear_yuan)  # the wear is the one real cost


def _lever(bill: float, carbon: float, dr: dict[str, float] | None = None) -> SimpleNamespace:
    return SimpleNamespace(
        money_year=SimpleNamespace(cost_after_yuan=bill),
        carbon_after_year=SimpleNamespace(value_yuan=carbon),
        dr=None if dr is None else SimpleNamespace(per_year=dr),
    )


def test_flows_payers_payees_and_nets_by_hand() -> None:
    grid = TimeGrid(slot_min=60, n_days=1)
    m = v2g_money(grid, slice(0, 24), "chengdu-2023", charging_kw=_hourly(h2=17.0),
                  discharge_kw=_hourly(h20=10.0), without_kw=_hourly(h2=5.0))  # fmt: skip
    dr = {"revenue_yuan": 400.0, "owners_yuan": 200.0, "margin_yuan": 200.0}
    out = money_flows(_lever(1000.0, 50.0, dr), m)
    pairs = {(f["payer"], f["payee"], f["what"]): f["yuan"] for f in out["flows"]}
    assert pairs[("owners", "grid", "charging_bill")] == 1000.0
    assert pairs[("carbon buyer", "owners", "carbon_credits")] == 50.0
    assert pairs[("grid", "aggregator", "dr_payment")] == 400.0
    assert pairs[("aggregator", "owners", "dr_owners")] == 200.0
    assert pairs[("grid", "aggregator", "v2g_discharge")] == pytest.approx(m.revenue_yuan)
    assert pairs[("owners", "grid", "v2g_extra_charging")] == pytest.approx(m.extra_charging_yuan)
    assert pairs[("aggregator", "owners", "v2g_owners")] == pytest.approx(m.paid_to_owners_yuan)
    assert all(f["yuan"] > 0 for f in out["flows"])
    net = out["net_yuan"]
    assert net["carbon buyer"] == -50.0
    assert net["aggregator"] == pytest.approx(200.0 + m.net_yuan["aggregator"])
    assert net["owners"] == pytest.approx(-1000.0 + 50.0 + 200.0 + m.net_yuan["owners"])
    assert net["grid"] == pytest.approx(1000.0 - 400.0 + m.net_yuan["grid"])
    assert sum(net.values()) == pytest.approx(-m.wear_yuan)


def test_a_saving_is_turned_round_and_nothing_is_dropped() -> None:
    grid = TimeGrid(slot_min=60, n_days=1)
    cheaper = v2g_money(grid, slice(0, 24), "chengdu-2023", charging_kw=_hourly(h2=10.0),
                        discharge_kw=np.zeros(24), without_kw=_hourly(h20=10.0))  # fmt: skip
    assert cheaper.extra_charging_yuan < 0  # moving charging out of the peak saves
    out = money_flows(_lever(100.0, 0.0), cheaper)
    what = {f["what"]: (f["payer"], f["payee"]) for f in out["flows"]}
    assert what["v2g_extra_charging"] == ("grid", "owners")
    assert "carbon_credits" not in what and "v2g_discharge" not in what  # none of them
