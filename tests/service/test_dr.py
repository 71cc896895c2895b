"""The OpenADR 2.0b VEN against an openleadr VTN on loopback: an event becomes a cap the planner
honours, the service opts in, and a lost link keeps the event to its end."""

from __future__ import annotations

import asyncio
import logging
import socket
from datetime import UTC, datetime, timedelta

import pytest

from evgrid.service.clock import SystemClock
from evgrid.service.core import ChargingService
from evgrid.service.dr import OpenAdrVen, events_from_openadr
from evgrid.service.settings import ServiceConfig
from evgrid.service.store import Store

openleadr = pytest.importorskip("openleadr")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.filterwarnings("ignore::UserWarning:openleadr")
@pytest.mark.filterwarnings("ignore:It is recommended to use web.AppKey")
def test_openadr_event_to_cap(site) -> None:  # type: ignore[no-untyped-def]
    logging.getLogger("openleadr").setLevel(logging.ERROR)

    async def main() -> None:
        port = _free_port()
        server = openleadr.OpenADRServer(
            vtn_id="VTN",
            http_host="127.0.0.1",
            http_port=port,
            requested_poll_freq=timedelta(seconds=1),
        )

        async def on_registration(info):  # type: ignore[no-untyped-def]
            return "ven-1", "reg-1"

        async def on_register_report(*args, **kwargs):  # type: ignore[no-untyped-def]
            return None

        server.add_handler("on_create_party_registration", on_registration)
        server.add_handler("on_register_report", on_register_report)
        await server.run_async()
        opts: list[str] = []
        store = Store()
        svc = ChargingService(
            site, ServiceConfig(port=None, status_port=None), clock=SystemClock(), store=store
        )
        ven = OpenAdrVen(f"http://127.0.0.1:{port}/OpenADR2/Simple/2.0b", "ven-1", svc.limit_kw)
        svc.signal = ven
        await svc.start()
        try:
            start = datetime.now(UTC) + timedelta(minutes=10)
            server.add_event(
                ven_id="ven-1",
                signal_name="LOAD_CONTROL",
                signal_type="x-loadControlCapacity",
                intervals=[
                    {"dtstart": start, "duration": timedelta(minutes=30), "signal_payload": 0.6}
                ],
                callback=lambda ven_id, event_id, opt_type: opts.append(opt_type),
            )
            for _ in range(250):
                if opts:
                    break
                await asyncio.sleep(0.02)
            assert opts == ["optIn"]
            (event,) = svc.dr_events.values()
            assert event.cap_kw == pytest.approx(0.6 * svc.limit_kw)
            assert event.end - event.start == timedelta(minutes=30)
            (row,) = store.dr_events()
            assert row["opt"] == "optIn"
            # the VTN goes away: the event stays in force to its end
            await server.stop()
            await asyncio.sleep(0.5)
            svc.dr.expire(datetime.now(UTC))
            assert list(svc.dr_events) == [event.event_id]
            svc.dr.expire(event.end)
            assert not svc.dr_events
        finally:
            await svc.stop()

    asyncio.run(main())


def test_signal_mapping() -> None:
    t0 = datetime(2024, 6, 1, 12, tzinfo=UTC)
    event = {
        "event_descriptor": {"event_id": "e1"},
        "active_period": {"dtstart": t0, "duration": timedelta(hours=1)},
        "event_signals": [
            {
                "signal_name": "SIMPLE",
                "signal_type": "level",
                "intervals": [
                    {"dtstart": t0, "duration": timedelta(minutes=30), "signal_payload": 2}
                ],
            },
            {
                "signal_name": "LOAD_CONTROL",
                "signal_type": "x-loadControlSetpoint",
                "intervals": [
                    {"dtstart": t0, "duration": timedelta(hours=1), "signal_payload": 55.0}
                ],
            },
            {
                "signal_name": "ELECTRICITY_PRICE",
                "signal_type": "price",
                "intervals": [
                    {"dtstart": t0, "duration": timedelta(hours=1), "signal_payload": 1.2}
                ],
            },
        ],
    }
    caps = events_from_openadr(event, limit_kw=100.0)
    assert [(c.cap_kw, (c.end - c.start).seconds) for c in caps] == [(80.0, 1800), (55.0, 3600)]
