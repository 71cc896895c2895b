"""The OCPP gateway: WebSocket listeners that authenticate piles and hand them to the service.

One listener per security profile (:mod:`evgrid.service.security`): plain (loopback only unless
``allow_remote``; piles registered for profile 0 or 1), TLS (profile 2) and mutual TLS
(profile 3). The charge point id is the last path segment of the URL (OCPP-J 1.6 section 3.1.1).
Refused in the HTTP handshake, before any OCPP message: an unknown pile (404), a pile on the
wrong listener (403), a missing or wrong key (401), a client certificate that does not name the
pile (403); and by ``websockets`` an unknown or missing subprotocol (400).
"""

from __future__ import annotations

import http
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from evgrid.service.ocpp16 import Ocpp16Link
from evgrid.service.ocpp201 import Ocpp201Link
from evgrid.service.security import basic_credentials, peer_common_name, server_context, verify_key
from evgrid.service.settings import SUBPROTOCOLS
from evgrid.service.transport import WsTransport

if TYPE_CHECKING:
    from evgrid.service.core import ChargingService

log = logging.getLogger("evgrid.service")
MAX_MESSAGE_BYTES = 256 * 1024
"""Largest OCPP message accepted [bytes]."""


def pile_id_of(path: str) -> str:
    """Charge point id: the last segment of the request path."""
    return unquote(path.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1])


def _checker(svc: ChargingService, profile: int) -> Callable[[Any, Any], Any]:
    def check(connection: Any, request: Any) -> Any:
        pile_id = pile_id_of(request.path)
        row = svc.store.charger(pile_id) if svc.known(pile_id) else None
        if row is None:
            return connection.respond(http.HTTPStatus.NOT_FOUND, "unknown charge point\n")
        allowed = (0, 1) if profile == 0 else (profile,)
        if row.security_profile not in allowed:
            return connection.respond(http.HTTPStatus.FORBIDDEN, "wrong security profile\n")
        if row.security_profile in (1, 2):
            cred = basic_credentials(request.headers.get("Authorization"))
            if cred is None or cred[0] != pile_id or not verify_key(cred[1], row.key_hash):
                resp = connection.respond(http.HTTPStatus.UNAUTHORIZED, "bad credentials\n")
                resp.headers["WWW-Authenticate"] = 'Basic realm="ocpp"'
                return resp
        if row.security_profile == 3:
            ssl_object = connection.transport.get_extra_info("ssl_object")
            if peer_common_name(ssl_object) != pile_id:
                return connection.respond(http.HTTPStatus.FORBIDDEN, "certificate mismatch\n")
        return None

    return check


def _handler(svc: ChargingService) -> Callable[[Any], Awaitable[None]]:
    async def handle(ws: Any) -> None:
        pile_id = pile_id_of(ws.request.path)
        proto = ws.subprotocol
        if proto not in SUBPROTOCOLS or not svc.known(pile_id):
            await ws.close(code=1002, reason="subprotocol required")
            return
        cls = Ocpp201Link if proto == "ocpp2.0.1" else Ocpp16Link
        await svc.serve_link(cls(pile_id, WsTransport(ws), svc))

    return handle


async def start_gateway(svc: ChargingService) -> list[Any]:
    """Start the configured listeners; returns the ``websockets`` servers (also kept on the
    service, which closes them when it stops)."""
    from websockets.asyncio.server import serve

    cfg = svc.config
    servers = []
    plans: list[tuple[int, int | None, Any]] = [(0, cfg.port, None)]
    if cfg.tls_port is not None:
        assert cfg.certfile is not None and cfg.keyfile is not None
        plans.append((2, cfg.tls_port, server_context(cfg.certfile, cfg.keyfile)))
    if cfg.mtls_port is not None:
        assert cfg.certfile is not None and cfg.keyfile is not None
        plans.append((3, cfg.mtls_port, server_context(cfg.certfile, cfg.keyfile, cfg.client_ca)))
    for profile, port, ctx in plans:
        if port is None:
            continue
        server = await serve(
            _handler(svc),
            cfg.host,
            port,
            subprotocols=list(SUBPROTOCOLS),  # type: ignore[arg-type]
            process_request=_checker(svc, profile),
            ssl=ctx,
            max_size=MAX_MESSAGE_BYTES,
            compression=None,
        )
        servers.append(server)
        log.info("OCPP listener (profile %s) on %s:%s", profile, cfg.host, port)
    svc.servers.extend(servers)
    return servers


def bound_port(server: Any) -> int:
    """The TCP port a started server listens on (useful with port 0)."""
    return int(next(iter(server.sockets)).getsockname()[1])
