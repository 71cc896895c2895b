"""Hostile input to the live service: piles that lie, malformed frames, values out of range.

Every case ends the same way: the pile gets a CallError (or the protocol's own refusal), the
service's state is untouched, the service keeps serving, and ``GET /status`` stays valid JSON.
Piles speak raw OCPP-J frames here (:class:`RawPile`), so nothing in evgrid's own pile side
filters what reaches the service.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

pytest.importorskip("ocpp")
pytest.importorskip("websockets")

from evgrid.grid.site import parse_site  # noqa: E402
from evgrid.service.adapters import LinkClosedError  # noqa: E402
from evgrid.service.clock import SystemClock, iso  # noqa: E402
from evgrid.service.core import ChargingService  # noqa: E402
from evgrid.service.ocpp16 import Ocpp16Link  # noqa: E402
from evgrid.service.ocpp201 import Ocpp201Link  # noqa: E402
from evgrid.service.settings import ServiceConfig  # noqa: E402
from evgrid.service.store import Store  # noqa: E402
from evgrid.service.transport import memory_pair  # noqa: E402

SITE = {
    "kind": "residential",
    "name": "hostile",
    "households": 60,
    "parking_spaces": 40,
    "transformer_kva": 100.0,
    "regular_peak_kw": 70.0,
    "regular_valley_kw": 28.0,
}

ANSWERS_16 = {
    "GetConfiguration": {"configurationKey": []},
    "ChangeConfiguration": {"status": "Accepted"},
    "TriggerMessage": {"status": "Rejected"},
    "GetCompositeSchedule": {"status": "Rejected"},
    "SetChargingProfile": {"status": "Accepted"},
    "ClearChargingProfile": {"status": "Accepted"},
}
ANSWERS_201 = {
    "GetVariables": {"getVariableResult": []},
    "TriggerMessage": {"status": "Rejected"},
    "GetCompositeSchedule": {"status": "Rejected"},
    "SetChargingProfile": {"status": "Accepted"},
    "ClearChargingProfile": {"status": "Accepted"},
}


class RawPile:
    """A pile that speaks raw OCPP-J frames over an in-memory connection: it answers the
    service's own calls with fixed answers and sends whatever a test gives it."""

    _ids = itertools.count()

    def __init__(self, end: Any, protocol: str) -> None:
        self.end = end
        self.answers = ANSWERS_201 if protocol == "ocpp2.0.1" else ANSWERS_16
        self.replies: asyncio.Queue[list[Any]] = asyncio.Queue()
        self.calls: list[str] = []
        self.task = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        while True:
            try:
                frame = json.loads(await self.end.recv())
            except LinkClosedError:
                return
            if frame[0] == 2:  # the service calls the pile
                self.calls.append(frame[2])
                answer = self.answers.get(frame[2], {})
                await self.end.send(json.dumps([3, frame[1], answer]))
            else:
                await self.replies.put(frame)

    async def send_raw(self, text: str | bytes) -> None:
        await self.end.send(text)

    async def call(self, action: str, payload: dict[str, Any]) -> list[Any]:
        """Send one CALL; the service's CALLRESULT or CALLERROR frame."""
        uid = f"t{next(self._ids)}"
        await self.end.send(json.dumps([2, uid, action, payload]))
        while True:
            frame = await asyncio.wait_for(self.replies.get(), 5.0)
            if frame[1] == uid:
                return frame

    async def close(self) -> None:
        self.task.cancel()
        await self.end.close()


def _service(store: Store | None = None, **cfg: Any) -> ChargingService:
    store = store or Store()
    for pid in ("P0000", "P0001"):
        store.register(pid)
    config = ServiceConfig(**{"port": None, "status_port": None, "debounce_s": 0.01, **cfg})
    return ChargingService(parse_site(SITE), config, clock=SystemClock(), store=store)


async def _connect(svc: ChargingService, pile_id: str, protocol: str = "ocpp1.6") -> RawPile:
    pile_end, svc_end = memory_pair()
    cls = Ocpp201Link if protocol == "ocpp2.0.1" else Ocpp16Link
    svc.spawn(svc.serve_link(cls(pile_id, svc_end, svc)))
    pile = RawPile(pile_end, protocol)
    boot = (
        {"chargePointVendor": "x", "chargePointModel": "y"}
        if protocol == "ocpp1.6"
        else {"reason": "PowerUp", "chargingStation": {"vendorName": "x", "model": "y"}}
    )
    assert (await pile.call("BootNotification", boot))[0] == 3
    return pile


def _run(body: Callable[[ChargingService], Awaitable[None]], **cfg: Any) -> None:
    async def main() -> None:
        svc = _service(**cfg)
        await svc.start()
        try:
            await body(svc)
            # whatever happened, the service still serves and its status is valid JSON
            json.dumps(svc.status(), allow_nan=False)
        finally:
            await svc.stop()

    asyncio.run(main())


def _now() -> str:
    return iso(datetime.now(UTC))


def _start16(connector: int = 1, meter: int = 0) -> dict[str, Any]:
    return {"connectorId": connector, "idTag": "owner", "meterStart": meter, "timestamp": _now()}


# --- security: one pile cannot touch another pile's state -------------------------------------
def test_a_pile_cannot_stop_another_piles_transaction_16() -> None:
    async def body(svc: ChargingService) -> None:
        p0 = await _connect(svc, "P0000")
        p1 = await _connect(svc, "P0001")
        started = await p0.call("StartTransaction", _start16())
        tx_id = started[2]["transactionId"]
        answer = await p1.call(
            "StopTransaction", {"transactionId": tx_id, "meterStop": 0, "timestamp": _now()}
        )
        assert answer[0] == 4, answer  # CALLERROR
        assert answer[2] == "SecurityError"
        row = svc.store.transaction(tx_id)
        assert row is not None and row["stop_ts"] is None and row["charger"] == "P0000"
        assert svc.piles["P0000"].connectors[1].tx is not None
        assert svc.store.security_events(kind="foreign-transaction")
        # the service goes on serving both piles
        assert (await p1.call("Heartbeat", {}))[0] == 3
        stopped = await p0.call(
            "StopTransaction", {"transactionId": tx_id, "meterStop": 500, "timestamp": _now()}
        )
        assert stopped[0] == 3
        assert svc.store.transaction(tx_id)["stop_ts"] is not None

    _run(body)


def test_a_pile_cannot_end_another_piles_transaction_201() -> None:
    async def body(svc: ChargingService) -> None:
        p0 = await _connect(svc, "P0000", "ocpp2.0.1")
        p1 = await _connect(svc, "P0001", "ocpp2.0.1")

        def event(kind: str, seq: int) -> dict[str, Any]:
            return {
                "eventType": kind,
                "timestamp": _now(),
                "triggerReason": "CablePluggedIn" if kind == "Started" else "EVDeparted",
                "seqNo": seq,
                "transactionInfo": {"transactionId": "T-1"},
                "evse": {"id": 1, "connectorId": 1},
            }

        assert (await p0.call("TransactionEvent", event("Started", 0)))[0] == 3
        tx_id = svc.piles["P0000"].connectors[1].tx.tx_id  # type: ignore[union-attr]
        # P0001 names P0000's transaction, by P0000's own id and by the service's: neither is a
        # transaction of P0001's (2.0.1 ids belong to their station), nothing changes
        answer = await p1.call("TransactionEvent", event("Ended", 1))
        assert svc.store.transaction(tx_id)["stop_ts"] is None, answer
        forged = event("Ended", 2)
        forged["transactionInfo"]["transactionId"] = str(tx_id)
        answer = await p1.call("TransactionEvent", forged)
        assert svc.store.transaction(tx_id)["stop_ts"] is None, answer
        assert svc.piles["P0000"].connectors[1].tx is not None
        assert len(svc.store.security_events(kind="unknown-transaction")) == 2
        assert (await p0.call("TransactionEvent", event("Ended", 1)))[0] == 3
        assert svc.store.transaction(tx_id)["stop_ts"] is not None

    _run(body)


def test_the_pile_id_is_the_whole_last_segment_of_the_exact_path() -> None:
    """Profile 0: ``/ocpp/P0000/../P0001`` (and its escaped forms) must not open as P0001 and
    push the real P0001 off; only ``<prefix>/<id>`` opens."""
    from websockets.asyncio.client import connect

    from evgrid.service.gateway import bound_port, start_gateway

    async def body(svc: ChargingService) -> None:
        (server,) = await start_gateway(svc)
        port = bound_port(server)
        real = await connect(f"ws://127.0.0.1:{port}/ocpp/P0001", subprotocols=["ocpp1.6"])
        for _ in range(100):
            if svc.piles["P0001"].online:
                break
            await asyncio.sleep(0.01)
        assert svc.piles["P0001"].online
        for path in (
            "/ocpp/P0000/../P0001",
            "/ocpp/P0000/..%2FP0001",
            "/ocpp/P0000%2F..%2FP0001",
            "/other/P0001",
            "/ocpp/x/P0001",
            "/ocpp/P0001%0A",
            "/ocpp/%2e%2e",
            "/ocpp/P0001%252F",
            "//ocpp/P0001",
        ):
            with pytest.raises(Exception) as err:
                await connect(f"ws://127.0.0.1:{port}{path}", subprotocols=["ocpp1.6"])
            assert "HTTP 404" in str(err.value) or "HTTP 400" in str(err.value), (path, err.value)
        # the real P0001 is still the one connected
        assert svc.piles["P0001"].online
        await real.send(json.dumps([2, "h1", "Heartbeat", {}]))
        while True:
            frame = json.loads(await asyncio.wait_for(real.recv(), 5.0))
            if frame[0] == 3 and frame[1] == "h1":
                break
        assert svc.store.security_events(kind="handshake-refused")
        await real.close()

    _run(body, port=0)
