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

``/admin/...`` (with ``--admin-token`` only; ``Authorization: Bearer TOKEN`` on every call)
    The operator API (:mod:`evgrid.service.operator`): ``GET /admin/piles``, ``POST
    /admin/piles`` (register or update a pile while running), ``POST /admin/piles/retire``,
    ``GET``/``POST /admin/idtags`` (the local authorisation list), ``POST /admin/remote-start``,
    ``/admin/remote-stop``, ``/admin/reset``, ``/admin/unlock``, ``/admin/availability``, ``GET
    /admin/security-events?after=N``.

It listens on a loopback address only; the status and owner endpoints have no authentication,
so anything that must reach them from outside goes through a front end of the operator's.
"""

from __future__ import annotations

import asyncio
import hmac
import json
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from evgrid.errors import InputError, bad_value
from evgrid.service import checks
from evgrid.service.clock import iso
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


ADMIN_COMMANDS = {
    "/admin/remote-start": "remote_start",
    "/admin/remote-stop": "remote_stop",
    "/admin/reset": "reset",
    "/admin/unlock": "unlock",
    "/admin/availability": "availability",
}


def _token_ok(svc: ChargingService, headers: dict[str, str]) -> bool:
    token = svc.config.admin_token
    scheme, _, given = headers.get("authorization", "").partition(" ")
    if token is None or scheme.lower() != "bearer" or not given.strip():
        return False
    return hmac.compare_digest(given.strip().encode("utf-8"), token.encode("utf-8"))


async def _admin(
    svc: ChargingService, body: bytes, method: str, path: str, query: str
) -> tuple[int, str, str]:
    """The operator API (:class:`~evgrid.service.operator.Operator`), token already checked."""
    op = svc.operator
    try:
        if method == "GET" and path == "/admin/piles":
            return _json(200, {"piles": op.list_piles()})
        if method == "GET" and path == "/admin/idtags":
            return _json(200, {"id_tags": op.id_tags()})
        if method == "GET" and path == "/admin/security-events":
            after = dict(parse_qsl(query)).get("after", "0")
            number = int(after) if after.isdigit() else after
            return _json(200, {"events": op.security_events(number)})
        if method != "POST":
            return _json(404, {"error": f"{path}: no such operator call"})
        data = parse_body(body, path)
        if path == "/admin/piles":
            return _json(200, op.register(data))
        if path == "/admin/piles/retire":
            return _json(200, await op.retire(data))
        if path == "/admin/idtags":
            return _json(200, op.change_id_tags(data))
        if path in ADMIN_COMMANDS:
            return _json(200, await op.command(ADMIN_COMMANDS[path], data))
        return _json(404, {"error": f"{path}: no such operator call"})
    except InputError as exc:
        return _json(400, {"error": str(exc)})


async def _handle(
    svc: ChargingService,
    body: bytes,
    method: str,
    path: str,
    headers: dict[str, str] | None = None,
    query: str = "",
) -> tuple[int, str, str]:
    if path.startswith("/admin/") or path == "/admin":
        if svc.config.admin_token is None:
            return _json(404, {"error": "no operator API: start the service with --admin-token"})
        if not _token_ok(svc, headers or {}):
            svc.on_security(None, "admin-token-refused", f"{method} {path}")
            return _json(
                401, {"error": "operator API: missing or wrong token (Authorization: Bearer TOKEN)"}
            )
        return await _admin(svc, body, method, path, query)
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
            headers: dict[str, str] = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length", "0") or "0")
            if length > MAX_BODY:
                code, ctype, text = 413, "text/plain", "too large\n"
            else:
                body = await reader.readexactly(length) if length else b""
                route, _, query = path.partition("?")
                code, ctype, text = await _handle(svc, body, method, route, headers, query)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ValueError):
            code, ctype, text = 400, "text/plain", "bad request\n"
        data = text.encode("utf-8")
        reason = {
            200: "OK",
            400: "Bad Request",
            401: "Unauthorized",
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


def status_document(svc: ChargingService) -> dict[str, Any]:
    """The status endpoint's JSON document."""
    now = svc.clock.now()
    plan = svc.last_plan
    sessions: list[dict[str, Any]] = []
    keys: list[Hashable] = svc.last_plan_keys
    for pile in svc.piles.values():
        for c, conn in pile.connectors.items():
            if conn.tx is None:
                continue
            tx = conn.tx
            unmet = None
            if plan is not None and (pile.id, c) in keys:
                unmet = float(plan.unmet_kwh[keys.index((pile.id, c))])
            sessions.append(
                {
                    "pile": pile.id,
                    "connector": c,
                    "tx": tx.tx_id,
                    "departure": iso(tx.departure),
                    "declared": tx.declared,
                    "energy_kwh": round(tx.energy_kwh, 3),
                    "delivered_kwh": round(tx.delivered_kwh, 3),
                    "planned_unmet_kwh": None if unmet is None else round(unmet, 3),
                    "full": tx.full,
                }
            )
    return {
        "time": iso(now),
        "limit_kw": svc.limit_kw,
        "margin_kw": svc.margin_kw,
        "piles": len(svc.piles),
        "online": sum(p.online for p in svc.piles.values()),
        "reconciled": sum(p.reconciled_at is not None for p in svc.piles.values()),
        "skewed": [p.id for p in svc.piles.values() if p.skewed],
        "rejects_tx": [p.id for p in svc.piles.values() if p.row.rejects_tx],
        "sessions": sessions,
        "plan": None
        if plan is None
        else {
            "strategy": plan.strategy,
            "peak_kw": float(plan.total_kw.max()) if plan.total_kw.size else 0.0,
            "unmet_kwh": plan.unmet_total_kwh,
            "solve_ms": plan.solve_s * 1000.0,
        },
        "dr_events": [
            {"id": e.event_id, "start": iso(e.start), "end": iso(e.end), "cap_kw": e.cap_kw}
            for e in svc.dr_events.values()
        ],
        "metrics": svc.metrics.summary(),
        "profiles": svc.store.profile_counts(),
        "alerts": [dict(r) for r in svc.store.alerts()][-20:],
    }
