"""The OCPP gateway: WebSocket listeners that authenticate piles and hand them to the service.

One listener per security profile (:mod:`evgrid.service.security`): plain (loopback only unless
``allow_remote``; piles registered for profile 0 or 1), TLS (profile 2) and mutual TLS
(profile 3). The charge point id is the last path segment of the URL (OCPP-J 1.6 section 3.1.1),
and the path must be exactly ``<prefix>/<id>`` (:func:`pile_id_of`): ``/ocpp/P0000/../P0001``
does not open as ``P0001``. Refused in the HTTP handshake, before any OCPP message, each with a
security event: a path that is not ``<prefix>/<id>`` or an unknown pile (404), a pile on the
wrong listener (403), a missing or wrong key (401), a client certificate that does not name the
pile (403); and by ``websockets`` an unknown or missing subprotocol (400).
"""

from __future__ import annotations

import http
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from evgrid.service.checks import PILE_ID
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


def pile_id_of(path: str, prefix: str = "/ocpp") -> str | None:
    """The charge point id of a request path ``<prefix>/<id>`` (a query and one trailing ``/``
    allowed), the id percent-decoded once; None for any other path.

    The id must be a pile id (:data:`evgrid.service.checks.PILE_ID`): no ``/``, no ``..``, no
    control character, nothing left to decode. Paths are compared as sent, never normalised.
    """
    path = path.split("?", 1)[0]
    if path.endswith("/") and path != "/":
        path = path[:-1]
    head, sep, segment = path.rpartition("/")
    if not sep or head != prefix.rstrip("/"):
        return None
    pile = unquote(segment, errors="strict") if "%" in segment else segment
    if not PILE_ID.match(pile) or "%" in pile:
        return None
    return pile


def _checker(svc: ChargingService, profile: int) -> Callable[[Any, Any], Any]:
    prefix = svc.config.ocpp_path

    def refuse(connection: Any, status: http.HTTPStatus, pile: str | None, why: str) -> Any:
        peer = connection.remote_address[0] if connection.remote_address else "?"
        svc.on_security(pile, "handshake-refused", f"{status.value} {why} from {peer}")
        return connection.respond(status, why + "\n")

    def check(connection: Any, request: Any) -> Any:
        try:
            pile_id = pile_id_of(request.path, prefix)
        except UnicodeDecodeError:
            pile_id = None
        if pile_id is None:
            return refuse(connection, http.HTTPStatus.NOT_FOUND, None, "not a charge point path")
        row = svc.store.charger(pile_id) if svc.known(pile_id) else None
        if row is None:
            return refuse(connection, http.HTTPStatus.NOT_FOUND, None, "unknown charge point")
        allowed = (0, 1) if profile == 0 else (profile,)
        if row.security_profile not in allowed:
            return refuse(connection, http.HTTPStatus.FORBIDDEN, pile_id, "wrong security profile")
        if row.security_profile in (1, 2):
            cred = basic_credentials(request.headers.get("Authorization"))
            if cred is None or cred[0] != pile_id or not verify_key(cred[1], row.key_hash):
                resp = refuse(connection, http.HTTPStatus.UNAUTHORIZED, pile_id, "bad credentials")
                resp.headers["WWW-Authenticate"] = 'Basic realm="ocpp"'
                return resp
        if row.security_profile == 3:
            ssl_object = connection.transport.get_extra_info("ssl_object")
            if peer_common_name(ssl_object) != pile_id:
                return refuse(
                    connection, http.HTTPStatus.FORBIDDEN, pile_id, "certificate mismatch"
                )
        return None

    return check


def _handler(svc: ChargingService) -> Callable[[Any], Awaitable[None]]:
    async def handle(ws: Any) -> None:
        pile_id = pile_id_of(ws.request.path, svc.config.ocpp_path)
        proto = ws.subprotocol
        if proto not in SUBPROTOCOLS or pile_id is None or not svc.known(pile_id):
            await ws.close(code=1002, reason="subprotocol required")
            return
        cls = Ocpp201Link if proto == "ocpp2.0.1" else Ocpp16Link
        link = cls(pile_id, WsTransport(ws), svc.gateway)
        link.authorization = ws.request.headers.get("Authorization")
        await svc.serve_link(link)

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
