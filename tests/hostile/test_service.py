"""Hostile input to the live service: piles that lie, malformed frames, values out of range.

Every case ends the same way: the pile gets a CallError (or the protocol's own refusal), the
service's state is untouched, the service keeps serving, and ``GET /status`` stays valid JSON.
Piles speak raw OCPP-J frames here (:class:`RawPile`), so nothing in evgrid's own pile side
filters what reaches the service.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("ocpp")
pytest.importorskip("websockets")

from evgrid.grid.site import parse_site
from evgrid.service.adapters import LinkClosedError
from evgrid.service.clock import SystemClock, iso
from evgrid.service.core import ChargingService
from evgrid.service.ocpp16 import Ocpp16Link
from evgrid.service.ocpp201 import Ocpp201Link
from evgrid.service.settings import ServiceConfig
from evgrid.service.store import Store
from evgrid.service.transport import memory_pair

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
        self.order: list[str] = []  # what arrived, in order: the service's calls and answers
        self.task = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        while True:
            try:
                frame = json.loads(await self.end.recv())
            except LinkClosedError:
                return
            self.order.append(frame[2] if frame[0] == 2 else f"answer {frame[1]}")
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
    svc.spawn(svc.serve_link(cls(pile_id, svc_end, svc.gateway)))
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


# --- values out of range: a CallError, nothing stored, /status valid JSON ---------------------
def _meter16(connector: int, value: str, measurand: str = "Power.Active.Import") -> dict[str, Any]:
    return {
        "connectorId": connector,
        "meterValue": [
            {"timestamp": _now(), "sampledValue": [{"value": value, "measurand": measurand}]}
        ],
    }


def test_meter_values_that_are_not_finite_numbers_are_refused() -> None:
    async def body(svc: ChargingService) -> None:
        p0 = await _connect(svc, "P0000")
        await p0.call("StartTransaction", _start16())
        tx = svc.piles["P0000"].connectors[1].tx
        assert tx is not None
        for value, measurand in [
            ("NaN", "Power.Active.Import"),
            ("inf", "Power.Active.Import"),
            ("-1e308", "Energy.Active.Import.Register"),
            ("1e999", "Energy.Active.Import.Register"),
            ("lots", "Power.Active.Import"),
        ]:
            answer = await p0.call("MeterValues", _meter16(1, value, measurand))
            assert answer[0] == 4 and answer[2] == "PropertyConstraintViolation", (value, answer)
        assert tx.power_kw == 0.0 and tx.meter_wh == 0.0
        # a connector the pile does not have
        answer = await p0.call("MeterValues", _meter16(99, "100"))
        assert answer[0] == 4, answer
        assert (await p0.call("MeterValues", _meter16(1, "2000")))[0] == 3
        assert tx.power_kw == 2.0

    _run(body)


def test_start_transaction_on_a_connector_it_lacks_or_one_in_use() -> None:
    async def body(svc: ChargingService) -> None:
        p0 = await _connect(svc, "P0000")
        answer = await p0.call("StartTransaction", _start16(connector=99))
        assert answer[0] == 4 and answer[2] == "PropertyConstraintViolation", answer
        assert 99 not in svc.piles["P0000"].connectors
        answer = await p0.call(
            "StatusNotification", {"connectorId": 99, "errorCode": "NoError", "status": "Charging"}
        )
        assert answer[0] == 4, answer
        assert 99 not in svc.piles["P0000"].connectors
        first = (await p0.call("StartTransaction", _start16(meter=100)))[2]["transactionId"]
        # the same message again (its answer was lost): the same transaction
        again = await p0.call(
            "StartTransaction",
            {**_start16(meter=100), "timestamp": svc.store.transaction(first)["start_ts"]},
        )
        assert again[2]["transactionId"] == first
        # a new one on the busy connector: the old one is closed where the new one starts
        second = (await p0.call("StartTransaction", _start16(meter=900)))[2]["transactionId"]
        assert second != first
        old = svc.store.transaction(first)
        assert old["stop_ts"] is not None and old["meter_wh"] == 900
        assert [r["id"] for r in svc.store.open_transactions()] == [second]
        assert svc.store.alerts("tx-superseded")

    _run(body)


def test_binary_and_deeply_nested_frames_leave_the_connection_serving() -> None:
    from websockets.asyncio.client import connect

    from evgrid.service.gateway import bound_port, start_gateway

    async def body(svc: ChargingService) -> None:
        (server,) = await start_gateway(svc)
        ws = await connect(
            f"ws://127.0.0.1:{bound_port(server)}/ocpp/P0000", subprotocols=["ocpp1.6"]
        )
        await ws.send(b"\xff\xfe\x00garbage")
        await ws.send("[" * 100_000 + "]" * 100_000)
        await ws.send('[2, "x", "Heartbeat"')  # not JSON
        await ws.send('{"a": 1}')  # JSON, not OCPP-J
        await ws.send(json.dumps([2, "h1", "Heartbeat", {}]))
        while True:
            frame = json.loads(await asyncio.wait_for(ws.recv(), 5.0))
            if frame[:2] == [3, "h1"]:
                break
        kinds = [r["detail"] for r in svc.store.security_events(kind="bad-frame")]
        assert len(kinds) == 4, kinds
        await ws.close()

    _run(body, port=0)


async def _http(port: int, method: str, path: str, body: bytes = b"") -> tuple[int, Any]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    await writer.drain()
    raw = await asyncio.wait_for(reader.read(), 10.0)
    writer.close()
    head, _, payload = raw.partition(b"\r\n\r\n")
    code = int(head.split()[1])
    try:
        return code, json.loads(payload)
    except ValueError:
        return code, payload.decode()


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/meter", b'{"site_kw": 1e999}'),
        ("/meter", b'{"site_kw": -1e308}'),
        ("/meter", b'{"site_kw": NaN}'),
        ("/meter", b'{"site_kw": "50"}'),
        ("/meter", b'{"site_kw": 50, "sitekw": 1}'),
        ("/meter", b"\xff\xfe"),
        ("/meter", b"[" * 5000 + b"]" * 5000),
        ("/declare", b'{"pile": "P0000", "energy_kwh": 1e308}'),
        ("/declare", b'{"pile": "P0000", "connector": Infinity}'),
        ("/declare", b'{"pile": "P0000", "connector": 1e999}'),
        ("/declare", b'{"pile": "P0000", "departure": "9999-01-01T00:00Z"}'),
        ("/declare", b'{"pile": "../P0000"}'),
        (
            "/dr",
            b'{"event_id": "e", "start": "2030-01-01T02:00Z", "end": "2030-01-01T01:00Z",'
            b' "cap_kw": 50}',
        ),
        ("/dr", b'{"event_id": "e", "start": "NOW", "end": "LATER", "cap_kw": -5}'),
        ("/dr", b'{"event_id": "e", "start": "NOW", "end": "9999-12-31T00:00Z", "cap_kw": 50}'),
        ("/dr", b'{"event_id": "e", "start": "NOW", "end": "LATER", "cap_kw": NaN}'),
    ],
)
def test_status_endpoint_refuses_bad_values(path: str, body: bytes) -> None:
    from evgrid.service.status import start_status

    now = datetime.now(UTC)
    body = body.replace(b"NOW", iso(now + timedelta(minutes=5)).encode()).replace(
        b"LATER", iso(now + timedelta(hours=1)).encode()
    )

    async def main(svc: ChargingService) -> None:
        server = await start_status(svc, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        code, doc = await _http(port, "POST", path, body)
        assert code == 400, (code, doc)
        assert isinstance(doc, dict) and doc["error"].count("\n") == 0
        assert not svc.dr_events
        assert svc.forecast.correction_kw(svc.clock.now()) == 0.0
        loop = asyncio.get_running_loop()
        t = loop.time()
        code, doc = await _http(port, "GET", "/status")
        assert code == 200 and loop.time() - t < 2.0
        json.dumps(doc, allow_nan=False)

    _run(main)


def test_store_refuses_a_folder_and_a_file_that_is_not_sqlite(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from evgrid.errors import InputError

    with pytest.raises(InputError, match="not a folder"):
        Store(tmp_path)
    junk = tmp_path / "junk.db"
    junk.write_text("this is not a database\n" * 100)
    with pytest.raises(InputError, match="SQLite"):
        Store(junk)
    assert junk.read_text().startswith("this is not")


# --- a fuzz of the message handlers -------------------------------------------------------------
HOSTILE = st.one_of(
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(
        [
            "NaN",
            "inf",
            "-1e308",
            "1e999",
            "2024-13-45T00:00Z",
            "9999-12-31T23:59:59Z",
            "1970-01-01T00:00:00Z",
            "P0000",
            "../P0000",
        ]
    ),
    st.none(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


def _templates16(tx_ids: list[int]) -> dict[str, dict[str, Any]]:
    return {
        "StartTransaction": _start16(),
        "StopTransaction": {
            "transactionId": tx_ids[0] if tx_ids else 1,
            "meterStop": 10,
            "timestamp": _now(),
        },
        "MeterValues": {
            **_meter16(1, "1500"),
            "transactionId": tx_ids[0] if tx_ids else 1,
        },
        "StatusNotification": {"connectorId": 1, "errorCode": "NoError", "status": "Charging"},
        "Authorize": {"idTag": "owner"},
        "Heartbeat": {},
        "DataTransfer": {"vendorId": "x"},
    }


def _templates201() -> dict[str, dict[str, Any]]:
    event = {
        "eventType": "Updated",
        "timestamp": _now(),
        "triggerReason": "MeterValuePeriodic",
        "seqNo": 1,
        "transactionInfo": {"transactionId": "T-9", "chargingState": "Charging"},
        "evse": {"id": 1, "connectorId": 1},
        "meterValue": [
            {
                "timestamp": _now(),
                "sampledValue": [{"value": 1500.0, "measurand": "Power.Active.Import"}],
            }
        ],
    }
    return {
        "TransactionEvent": event,
        "StatusNotification": {
            "timestamp": _now(),
            "connectorStatus": "Available",
            "evseId": 1,
            "connectorId": 1,
        },
        "MeterValues": {"evseId": 1, "meterValue": event["meterValue"]},
        "NotifyEVChargingNeeds": {
            "evseId": 1,
            "chargingNeeds": {
                "requestedEnergyTransfer": "AC_single_phase",
                "departureTime": _now(),
                "acChargingParameters": {
                    "energyAmount": 20000,
                    "evMinCurrent": 6,
                    "evMaxCurrent": 32,
                    "evMaxVoltage": 250,
                },
            },
        },
        "Heartbeat": {},
    }


def _mutate(payload: Any, path: list[int], value: Any) -> Any:
    """``payload`` with the field chosen by ``path`` (indices into sorted keys, list items)
    replaced by ``value``."""
    if not path or not isinstance(payload, dict | list) or not payload:
        return value
    if isinstance(payload, dict):
        key = sorted(payload)[path[0] % len(payload)]
        return {**payload, key: _mutate(payload[key], path[1:], value)}
    k = path[0] % len(payload)
    return [*payload[:k], _mutate(payload[k], path[1:], value), *payload[k + 1 :]]


@pytest.fixture(scope="module")
def fuzz_rig():  # type: ignore[no-untyped-def]
    loop = asyncio.new_event_loop()
    svc = _service()
    loop.run_until_complete(svc.start())
    p16 = loop.run_until_complete(_connect(svc, "P0000"))
    p201 = loop.run_until_complete(_connect(svc, "P0001", "ocpp2.0.1"))
    yield loop, svc, p16, p201
    loop.run_until_complete(svc.stop())
    loop.close()


@given(
    version=st.sampled_from(["1.6", "2.0.1"]),
    action_index=st.integers(0, 10),
    path=st.lists(st.integers(0, 20), max_size=5),
    value=HOSTILE,
    raw=st.booleans(),
)
@settings(max_examples=60)
def test_fuzz_message_handlers(fuzz_rig, version, action_index, path, value, raw) -> None:  # type: ignore[no-untyped-def]
    """Whatever a pile sends, it gets an answer (a result or a CallError), the service keeps
    serving, no connector appears that the pile does not have, and ``/status`` is valid JSON."""
    loop, svc, p16, p201 = fuzz_rig
    pile = p16 if version == "1.6" else p201
    tx_ids = [r["id"] for r in svc.store.open_transactions() if r["charger"] == "P0001"]
    templates = _templates16(tx_ids) if version == "1.6" else _templates201()
    action = sorted(templates)[action_index % len(templates)]
    payload = _mutate(templates[action], path, value)

    async def exchange() -> None:
        if raw:  # the frame itself mangled
            frame = _mutate([2, "fz", action, payload], path[:1], value)
            with contextlib.suppress(TypeError, ValueError):  # not even JSON: nothing sent
                await pile.send_raw(json.dumps(frame))
        else:
            answer = await pile.call(action, payload)
            assert answer[0] in (3, 4), answer
        assert (await pile.call("Heartbeat", {}))[0] == 3

    loop.run_until_complete(exchange())
    assert sorted(svc.piles["P0000"].connectors) == [1]
    assert sorted(svc.piles["P0001"].connectors) == [1]
    json.dumps(svc.status(), allow_nan=False)
    for r in svc.store.rows("transactions"):
        assert r["charger"] in ("P0000", "P0001") and r["connector"] == 1


def test_boot_notification_is_answered_before_the_service_calls() -> None:
    async def body(svc: ChargingService) -> None:
        pile = await _connect(svc, "P0000")
        for _ in range(100):
            if "GetCompositeSchedule" in pile.calls:
                break
            await asyncio.sleep(0.02)
        assert pile.order[0].startswith("answer"), pile.order[:3]
        assert {"GetConfiguration", "TriggerMessage", "SetChargingProfile"} <= set(pile.calls)

    _run(body)
