"""The simulator's side of the network: WebSocket piles, the owners' app and the site meter
over the service's loopback HTTP endpoint, and a simulated community against a running service
(what ``evgrid-sim simulate-chargers`` runs)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from evgrid.service.clock import Clock, iso
from evgrid.service.transport import WsTransport
from evgrid_sim.fleet import Fleet, SimConfig


async def post_json(url: str, data: dict[str, Any], timeout: float = 10.0) -> dict[str, Any]:
    """POST a JSON object to a plain-HTTP loopback URL; the JSON answer."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    body = json.dumps(data, default=str).encode()
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    writer.write(
        f"POST {parts.path or '/'} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
        + body
    )
    await writer.drain()
    raw = await asyncio.wait_for(reader.read(), timeout)
    writer.close()
    _, _, payload = raw.partition(b"\r\n\r\n")
    try:
        out: dict[str, Any] = json.loads(payload or b"{}")
    except ValueError:
        out = {}
    return out


async def get_json(url: str, timeout: float = 10.0) -> dict[str, Any]:
    """GET a JSON document from a plain-HTTP loopback URL."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    writer.write(f"GET {parts.path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
    await writer.drain()
    raw = await asyncio.wait_for(reader.read(), timeout)
    writer.close()
    out: dict[str, Any] = json.loads(raw.partition(b"\r\n\r\n")[2] or b"{}")
    return out


def ws_connector(
    url: str,
    keys: dict[str, str] | None = None,
    ssl_context: Any = None,
    client_certs: Callable[[str], Any] | None = None,
) -> Callable[[str, str], Any]:
    """``connect(pile_id, protocol)`` over WebSockets to ``url/<pile_id>``; a Basic key from
    ``keys`` if the pile has one, TLS with ``ssl_context`` or ``client_certs(pile_id)``."""
    from websockets.asyncio.client import connect

    from evgrid.service.security import basic_header

    async def open_link(pile_id: str, protocol: str) -> WsTransport:
        headers = {}
        if keys and pile_id in keys:
            headers["Authorization"] = basic_header(pile_id, keys[pile_id])
        ctx = client_certs(pile_id) if client_certs is not None else ssl_context
        ws = await connect(
            f"{url.rstrip('/')}/{pile_id}",
            subprotocols=[protocol],  # type: ignore[list-item]
            additional_headers=headers,
            ssl=ctx,
            open_timeout=30,
            max_size=256 * 1024,
            compression=None,
        )
        return WsTransport(ws)

    return open_link


async def simulate(
    site: Any,
    sim: SimConfig,
    clock: Clock,
    url: str,
    *,
    status_url: str | None,
    limit_kw: float,
    keys: dict[str, str] | None = None,
    ssl_context: Any = None,
) -> Fleet:
    """Run a simulated community against a service over WebSockets; returns the fleet."""
    connect = ws_connector(url, keys, ssl_context)

    async def declare(pile: str, connector: int, departure: datetime, energy_kwh: float) -> None:
        if status_url:
            with contextlib.suppress(OSError, asyncio.TimeoutError):  # the service may be down
                await post_json(
                    f"{status_url}/declare",
                    {
                        "pile": pile,
                        "connector": connector,
                        "departure": iso(departure),
                        "energy_kwh": energy_kwh,
                    },
                )

    pending: set[asyncio.Future[Any]] = set()

    async def post_meter(kw: float) -> None:
        with contextlib.suppress(OSError, asyncio.TimeoutError):  # the service may be down
            await post_json(f"{status_url}/meter", {"site_kw": kw})

    async def site_meter(kw: float) -> None:
        if status_url:
            task = asyncio.ensure_future(post_meter(kw))
            pending.add(task)
            task.add_done_callback(pending.discard)

    fleet = Fleet(
        site,
        sim,
        clock,
        connect,
        limit_kw=limit_kw,
        declare=declare,
        site_meter=site_meter if status_url else None,
    )
    await fleet.run()
    return fleet
