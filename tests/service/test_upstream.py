"""Local-controller mode: evgrid between a pile and the operator's CSMS (here a CSMS built on
the ``ocpp`` package, over loopback WebSockets). A whole transaction (Authorize, Start,
MeterValues, Stop) reaches the CSMS and its answers reach the pile; the CSMS's own profiles
pass through and compose with evgrid's pile maxima; evgrid's reserved levels stay its own."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from ocpp.routing import on
from ocpp.v16 import ChargePoint, call, call_result
from ocpp.v16.enums import Action

from evgrid.service.clock import SystemClock, iso
from evgrid.service.core import ChargingService
from evgrid.service.gateway import bound_port, start_gateway
from evgrid.service.settings import ServiceConfig
from evgrid.service.store import Store
from evgrid.service.upstream import UPSTREAM_DEFAULT_STACK, UPSTREAM_IDLE_STACK, UPSTREAM_PLAN_STACK
from evgrid_sim.net import ws_connector
from evgrid_sim.piles import PileModel, SimLink16

CSMS_TX = 4242


class Csms(ChargePoint):
    """The operator's CSMS, as small as the ``ocpp`` package's own example."""

    received: list[str]

    @on(Action.boot_notification)
    def on_boot(self, **kw: Any) -> Any:
        self.received.append("BootNotification")
        return call_result.BootNotification(
            current_time=iso(datetime.now(UTC)), interval=300, status="Accepted"
        )

    @on(Action.heartbeat)
    def on_heartbeat(self, **kw: Any) -> Any:
        return call_result.Heartbeat(current_time=iso(datetime.now(UTC)))

    @on(Action.status_notification)
    def on_status(self, **kw: Any) -> Any:
        self.received.append("StatusNotification")
        return call_result.StatusNotification()

    @on(Action.authorize)
    def on_authorize(self, id_tag: str, **kw: Any) -> Any:
        self.received.append("Authorize")
        return call_result.Authorize(
            id_tag_info={"status": "Accepted" if id_tag == "member" else "Invalid"}
        )

    @on(Action.start_transaction)
    def on_start(self, **kw: Any) -> Any:
        self.received.append("StartTransaction")
        return call_result.StartTransaction(
            transaction_id=CSMS_TX, id_tag_info={"status": "Accepted"}
        )

    @on(Action.meter_values)
    def on_meter(self, **kw: Any) -> Any:
        self.received.append(f"MeterValues {kw.get('transaction_id')}")
        return call_result.MeterValues()

    @on(Action.stop_transaction)
    def on_stop(self, transaction_id: int, **kw: Any) -> Any:
        self.received.append(f"StopTransaction {transaction_id}")
        return call_result.StopTransaction()


def test_local_controller_forwards_a_whole_transaction(site) -> None:  # type: ignore[no-untyped-def]
    from websockets.asyncio.server import serve

    async def main() -> None:
        csms_links: dict[str, Csms] = {}

        async def on_connect(ws: Any) -> None:
            cp = Csms(ws.request.path.rsplit("/", 1)[-1], ws)
            cp.received = []
            csms_links[cp.id] = cp
            try:
                await cp.start()
            except Exception:  # the connection closed
                return

        csms = await serve(on_connect, "127.0.0.1", 0, subprotocols=["ocpp1.6"])  # type: ignore[list-item]
        csms_port = next(iter(csms.sockets)).getsockname()[1]
        store = Store()
        store.register("P0000")
        cfg = ServiceConfig(
            port=0,
            status_port=None,
            debounce_s=0.01,
            upstream=f"ws://127.0.0.1:{csms_port}/csms",
        )
        svc = ChargingService(site, cfg, clock=SystemClock(), store=store)
        await svc.start()
        (gateway,) = await start_gateway(svc)
        transport = await ws_connector(f"ws://127.0.0.1:{bound_port(gateway)}/ocpp")(
            "P0000", "ocpp1.6"
        )
        model = PileModel("P0000")
        pile = SimLink16(model, transport, SystemClock().now)
        task = asyncio.ensure_future(pile.start())

        async def wait(cond: Any, timeout: float = 5.0) -> None:
            for _ in range(int(timeout / 0.02)):
                if cond():
                    return
                await asyncio.sleep(0.02)
            raise AssertionError("condition not met in time")

        try:
            await pile.boot()
            await wait(lambda: ("max", 0, UPSTREAM_IDLE_STACK) in model.installed)
            # evgrid's defaults are pile maxima at its reserved levels, nothing at the CSMS's
            assert set(model.installed) == {
                ("max", 0, UPSTREAM_DEFAULT_STACK),
                ("max", 0, UPSTREAM_IDLE_STACK),
            }
            answer = await pile._send_call(call.Authorize(id_tag="member"))
            assert answer.id_tag_info["status"] == "Accepted"  # the CSMS's answer
            answer = await pile._send_call(call.Authorize(id_tag="stranger"))
            assert answer.id_tag_info["status"] == "Invalid", [dict(r) for r in store.alerts()]
            tx = await pile.start_tx()
            assert tx == CSMS_TX  # the CSMS's transaction id reached the pile
            model.tx_id = tx
            await pile.status("Charging")
            await pile.meter(3.0)
            # evgrid plans the session: a pile maximum at its plan level
            await wait(lambda: ("max", 0, UPSTREAM_PLAN_STACK) in model.installed)
            csms_cp = csms_links["P0000"]
            # the CSMS's own smart charging passes through and composes with evgrid's maximum
            tx_profile = {
                "charging_profile_id": 77,
                "stack_level": 0,
                "charging_profile_purpose": "TxProfile",
                "charging_profile_kind": "Absolute",
                "transaction_id": CSMS_TX,
                "charging_schedule": {
                    "start_schedule": iso(datetime.now(UTC)),
                    "charging_rate_unit": "A",
                    "charging_schedule_period": [{"start_period": 0, "limit": 10.0}],
                },
            }
            res = await csms_cp.call(
                call.SetChargingProfile(connector_id=1, cs_charging_profiles=tx_profile)
            )
            assert res.status == "Accepted"
            assert ("tx", 1, 0) in model.installed
            assert ("tx", 1, 0) in svc.piles["P0000"].installed  # evgrid counts it
            now = datetime.now(UTC)
            plan = model.installed[("max", 0, UPSTREAM_PLAN_STACK)].limits.at(now)
            assert model.limit_a(now) <= min(10.0, plan if plan is not None else 32.0)
            # ... but not a pile maximum at evgrid's reserved levels
            reserved = {
                **tx_profile,
                "charging_profile_purpose": "ChargePointMaxProfile",
                "stack_level": UPSTREAM_PLAN_STACK,
            }
            reserved.pop("transaction_id")
            res = await csms_cp.call(
                call.SetChargingProfile(connector_id=0, cs_charging_profiles=reserved)
            )
            assert res.status == "Rejected"
            await pile.meter(3.0)
            await pile.stop_tx(CSMS_TX)
            model.end_tx()
            assert csms_cp.received[:2] == ["BootNotification", "StatusNotification"] or (
                csms_cp.received[0] == "BootNotification"
            )
            for what in (
                "Authorize",
                "StartTransaction",
                f"MeterValues {CSMS_TX}",
                f"StopTransaction {CSMS_TX}",
            ):
                assert what in csms_cp.received, (what, csms_cp.received)
            (row,) = list(store.rows("transactions"))
            assert row["ext_id"] == str(CSMS_TX) and row["stop_ts"] is not None
            # the plan ends with its transaction
            await wait(lambda: ("max", 0, UPSTREAM_PLAN_STACK) not in model.installed)
        finally:
            task.cancel()
            await svc.stop()
            csms.close()
            await csms.wait_closed()

    asyncio.run(main())
