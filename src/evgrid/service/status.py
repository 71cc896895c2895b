"""The loopback status and metrics endpoint (HTTP/1.1, no dependencies).

``GET /status``
    The service's state (:func:`evgrid.service.control.status_document`) as JSON.
``GET /metrics``
    The same figures as Prometheus text.
``POST /declare``
    An owner's declared needs: ``{"pile": ID, "connector": 1, "departure": ISO-8601 time,
    "energy_kwh": kWh}`` (what an owner's app or QR page calls, through the operator's
    front end).
``POST /meter``
    A transformer-meter reading: ``{"site_kw": kW}`` (the site meter's adapter posts here).
``POST /dr``
    A demand-response event from a local adapter (e.g. a DL/T 1867 platform client):
    ``{"event_id", "start", "end", "cap_kw"}``; ``{"event_id", "cancel": true}`` cancels.

It listens on a loopback address only: it has no authentication, so anything that must reach
it from outside goes through a front end of the operator's.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

from evgrid.errors import InputError, bad_value
from evgrid.service import checks
from evgrid.service.settings import LOOPBACK_HOSTS

if TYPE_CHECKING:
    from evgrid.service.core import ChargingService

MAX_BODY = 64 * 1024
"""Largest request body [bytes]."""


def metrics_text(doc: dict[str, Any]) -> str:
    """Prometheus exposition text of the status document's figures."""
    m = doc["metrics"]
    lines = [
        f"evgrid_limit_kw {doc['limit_kw']}",
        f"evgrid_piles {doc['piles']}",
        f"evgrid_piles_online {doc['online']}",
        f"evgrid_piles_reconciled {doc['reconciled']}",
        f"evgrid_sessions {len(doc['sessions'])}",
        f"evgrid_plans_total {m['plans']}",
        f"evgrid_profiles_changed_total {m['profiles_changed']}",
        f"evgrid_failed_lowering_pushes_total {m['failed_lowering_pushes']}",
    ]
    if doc["plan"] is not None:
        lines.append(f"evgrid_plan_peak_kw {doc['plan']['peak_kw']}")
        lines.append(f"evgrid_plan_unmet_kwh {doc['plan']['unmet_kwh']}")
    for name in ("solve_s", "event_to_ack_s", "reconcile_s"):
        for q in ("p50", "p95"):
            if m[name][q] is not None:
                lines.append(f'evgrid_{name}{{quantile="{q}"}} {m[name][q]}')
    return "\n".join(lines) + "\n"


def _strict_constant(name: str) -> Any:
    raise ValueError(f"JSON: {name} is not a number")


def parse_body(body: bytes, where: str) -> dict[str, Any]:
    """A request body: a UTF-8 JSON object without ``NaN``/``Infinity`` (which JSON does not
    have, but Python's reader would take).

    Raises
    ------
    RefusedError
        Anything else.
    """
    try:
        data = json.loads(body.decode("utf-8") or "{}", parse_constant=_strict_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise checks.refused(where, body[:40], "a JSON object (UTF-8)") from None
    return checks.mapping(where, data)


def _json(code: int, doc: Any) -> tuple[int, str, str]:
    return code, "application/json", json.dumps(doc, allow_nan=False)


async def _handle(
    svc: ChargingService, body: bytes, method: str, path: str
) -> tuple[int, str, str]:
    if method == "GET" and path == "/status":
        return 200, "application/json", json.dumps(svc.status(), default=str, allow_nan=False)
    if method == "GET" and path == "/metrics":
        return 200, "text/plain; version=0.0.4", metrics_text(svc.status())
    if method != "POST" or path not in ("/declare", "/meter", "/dr"):
        return 404, "text/plain", "not found\n"
    try:
        data = parse_body(body, path)
        if path == "/declare":
            checks.known_keys(path, data, ("pile", "connector", "departure", "energy_kwh"))
            ok = svc.declare(
                data.get("pile"),  # type: ignore[arg-type]
                data.get("connector", 1),
                data["departure"] if data.get("departure") is not None else None,
                data.get("energy_kwh"),
            )
            if ok:
                return _json(200, {"ok": True})
            return _json(409, {"ok": False, "error": "no session on that connector"})
        if path == "/meter":
            checks.known_keys(path, data, ("site_kw",))
            svc.observe_site_meter(data.get("site_kw"))  # type: ignore[arg-type]
            return _json(200, {"ok": True})
        checks.known_keys(path, data, ("event_id", "start", "end", "cap_kw", "cancel"))
        if data.get("cancel") is True:
            svc.on_dr_cancel(str(data.get("event_id")))
            return _json(200, {"ok": True})
        ev = checks.dr_event(
            data.get("event_id"),
            data.get("start"),
            data.get("end"),
            data.get("cap_kw"),
            svc.clock.now(),
        )
        opt = await svc.on_dr_event(ev)
        return _json(200, {"opt": opt})
    except InputError as exc:
        return _json(400, {"error": str(exc)})


async def start_status(
    svc: ChargingService, host: str = "127.0.0.1", port: int = 9001
) -> asyncio.Server:
    """Start the endpoint on a loopback address.

    Raises
    ------
    InputError
        ``host`` is not a loopback address.
    """
    if host not in LOOPBACK_HOSTS:
        raise bad_value("status host", host, "a loopback address (127.0.0.1, ::1, localhost)")

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10.0)
            lines = head.decode("latin-1").split("\r\n")
            method, path, _ = [*lines[0].split(" "), "", "", ""][:3]
            length = 0
            for line in lines[1:]:
                if line.lower().startswith("content-length:"):
                    length = int(line.split(":", 1)[1])
            if length > MAX_BODY:
                code, ctype, text = 413, "text/plain", "too large\n"
            else:
                body = await reader.readexactly(length) if length else b""
                code, ctype, text = await _handle(svc, body, method, path.split("?", 1)[0])
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ValueError):
            code, ctype, text = 400, "text/plain", "bad request\n"
        data = text.encode("utf-8")
        reason = {
            200: "OK",
            400: "Bad Request",
            404: "Not Found",
            409: "Conflict",
            413: "Too Large",
        }
        writer.write(
            f"HTTP/1.1 {code} {reason.get(code, '')}\r\nContent-Type: {ctype}\r\n"
            f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode("latin-1")
            + data
        )
        try:
            await writer.drain()
        finally:
            writer.close()

    server = await asyncio.start_server(serve, host, port)
    svc.servers.append(server)
    return server
