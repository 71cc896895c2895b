"""What a meter reading teaches the service: a car's own maximum, only against a known limit."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest

from evgrid.service.clock import VirtualClock
from evgrid.service.core import ChargingService
from evgrid.service.profiles import Limits, ProfileSpec
from evgrid.service.settings import ServiceConfig
from evgrid.service.store import Store


def _service(site, start: datetime) -> ChargingService:  # type: ignore[no-untyped-def]
    store = Store()
    store.register("P1")
    svc = ChargingService(
        site, ServiceConfig(port=None, status_port=None), clock=VirtualClock(start), store=store
    )
    svc.load()
    return svc


def _spec(purpose: str, stack: int, amps: float, start: datetime) -> ProfileSpec:
    lim = Limits(start=start - timedelta(hours=1), periods=((0, amps),))
    connector = 0 if purpose == "max" else 1
    return ProfileSpec(purpose, connector, stack + 1, stack, lim, 1, None)  # type: ignore[arg-type]


def test_a_car_shows_its_maximum_only_against_a_limit_known_to_hold(site, start) -> None:  # type: ignore[no-untyped-def]
    svc = _service(site, start)
    pile = svc.piles["P1"]
    pile_max = _spec("max", 0, 32.0, start)
    pile.installed[pile_max.key] = pile_max
    svc.gateway.on_tx_start("P1", 1, "tag", 0.0, start)
    tx = pile.connectors[1].tx
    assert tx is not None
    nine_a_kw = 9 * 0.22  # the car draws a 9 A default (220 V, one phase)

    # the 9 A default is on its way: the pile applies it before its answer arrives, so a
    # reading at 9 A says nothing about the car (the service still holds 32 A)
    pile.last_sent = start
    svc.gateway.on_meter("P1", 1, nine_a_kw, None, start)
    assert tx.car_max_kw is None

    # the default accepted, held for a while: at its limit the car shows nothing ...
    default = _spec("tx_default", 1, 9.0, start)
    pile.installed[default.key] = default
    pile.last_sent = start - timedelta(minutes=10)
    svc.gateway.on_meter("P1", 1, nine_a_kw, None, start)
    assert tx.car_max_kw is None
    # ... and well under it, its own maximum
    svc.gateway.on_meter("P1", 1, 1.0, None, start)
    assert tx.car_max_kw is not None
    assert abs(tx.car_max_kw - 1.02) < 1e-9


def test_no_maximum_is_learnt_from_a_pile_with_unanswered_profiles(site, start) -> None:  # type: ignore[no-untyped-def]
    svc = _service(site, start)
    pile = svc.piles["P1"]
    pile_max = _spec("max", 0, 32.0, start)
    pile.installed[pile_max.key] = pile_max
    pending = _spec("tx_default", 1, 9.0, start)
    pile.uncertain[pending.key] = pending
    svc.gateway.on_tx_start("P1", 1, "tag", 0.0, start)
    svc.gateway.on_meter("P1", 1, 1.0, None, start)
    tx = pile.connectors[1].tx
    assert tx is not None
    assert tx.car_max_kw is None


def test_a_piles_own_voltage_replaces_the_nominal_one(site, start) -> None:  # type: ignore[no-untyped-def]
    """A 230 V pile is planned at 230 V once it reports it (a plan at 220 V would let it draw
    4.5 % more than planned)."""

    svc = _service(site, start)
    svc.gateway.on_tx_start("P1", 1, "tag", 0.0, start)
    pile = svc.piles["P1"]
    assert pile.phase_volts(svc.config.phase_voltage_v) == 220.0
    for _ in range(30):
        svc.gateway.on_meter("P1", 1, 3.0, None, start, volts=230.0)
    assert abs(pile.phase_volts(220.0) - 230.0) < 0.1
    assert svc.store.charger("P1").volts == pytest.approx(230.0, abs=1.0)
    pile.online, pile.reconciled_at = True, start  # as if connected and reconciled
    req, _ = svc.planner.build_request(start, {})
    assert float(np.asarray(req.volts)[0]) == pytest.approx(230.0, abs=0.1)
