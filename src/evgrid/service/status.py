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

from evgrid.errors import bad_value
from evgrid.service.adapters import DrEvent
from evgrid.service.clock import utc
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


async def _handle(
    svc: ChargingService, body: bytes, method: str, path: str
) -> tuple[int, str, str]:
    if method == "GET" and path == "/status":
        return 200, "application/json", json.dumps(svc.status(), default=str)
    if method == "GET" and path == "/metrics":
        return 200, "text/plain; version=0.0.4", metrics_text(svc.status())
    if method != "POST" or path not in ("/declare", "/meter", "/dr"):
        return 404, "text/plain", "not found\n"
    try:
        data = json.loads(body or b"{}")
        if not isinstance(data, dict):
            raise bad_value(path, data, "a JSON object")
        if path == "/declare":
            ok = svc.declare(
                str(data["pile"]),
                int(data.get("connector", 1)),
                utc(data["departure"]) if data.get("departure") else None,
                float(data["energy_kwh"]) if data.get("energy_kwh") is not None else None,
            )
            return (
                (200, "application/json", '{"ok": true}')
                if ok
                else (
                    409,
                    "application/json",
                    '{"ok": false, "error": "no session on that connector"}',
                )
            )
        if path == "/meter":
            svc.observe_site_meter(float(data["site_kw"]))
            return 200, "application/json", '{"ok": true}'
        if data.get("cancel"):
            svc.on_dr_cancel(str(data["event_id"]))
            return 200, "application/json", '{"ok": true}'
        ev = DrEvent(
            str(data["event_id"]), utc(data["start"]), utc(data["end"]), float(data["cap_kw"])
        )
        opt = await svc.on_dr_event(ev)
        return 200, "application/json", json.dumps({"opt": opt})
    except (KeyError, TypeError, ValueError) as exc:
        return 400, "application/json", json.dumps({"error": str(exc)})


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
