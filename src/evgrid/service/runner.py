"""Running the service as a process (what ``evgrid service`` calls)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import signal
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evgrid.service.clock import Clock
from evgrid.service.core import ChargingService
from evgrid.service.gateway import start_gateway
from evgrid.service.settings import ServiceConfig
from evgrid.service.status import start_status
from evgrid.service.store import Store

log = logging.getLogger("evgrid.service")
TOKEN_ENV = "EVGRID_SERVICE_TOKEN"
"""Environment variable that holds the operator-API token (instead of ``--admin-token``)."""


async def serve(
    site: Any,
    config: ServiceConfig,
    db: str | Path,
    clock: Clock,
    *,
    ready: Callable[[ChargingService], None] | None = None,
    stop: asyncio.Event | None = None,
) -> ChargingService:
    """Run the service until ``stop`` is set (or SIGINT/SIGTERM); returns it, stopped."""
    from evgrid.service.dr import OpenAdrVen

    store = Store(db)
    signal_src = None
    svc = ChargingService(site, config, clock=clock, store=store)
    if config.vtn_url:
        signal_src = OpenAdrVen(
            config.vtn_url,
            config.ven_name,
            svc.limit_kw,
            vtn_fingerprint=config.vtn_fingerprint,
            cert=None if config.ven_cert is None else str(config.ven_cert),
            key=None if config.ven_key is None else str(config.ven_key),
            ca_file=None if config.vtn_ca is None else str(config.vtn_ca),
        )
        svc.signal = signal_src
    await svc.start()
    await start_gateway(svc)
    if config.status_port is not None:
        await start_status(svc, "127.0.0.1", config.status_port)
    if ready is not None:
        ready(svc)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await svc.stop()
    store.close()
    return svc


def make_clock(speed: float | None, start: str | None, t0: float | None) -> Clock:
    """The service's clock: wall time, or simulated time from ``start`` at ``speed``.

    Raises
    ------
    InputError
        ``speed`` not a number > 0, or ``start`` not an ISO-8601 time.
    """
    from evgrid.errors import bad_value
    from evgrid.service.clock import ScaledClock, SystemClock, utc

    if speed is None and start is None:
        return SystemClock()
    if speed is not None and not (math.isfinite(speed) and speed > 0):
        raise bad_value("speed", speed, "a number > 0 [simulated s per s]")
    try:
        begin = utc(start) if start else datetime.now(UTC)
    except ValueError:
        raise bad_value("start", start, "an ISO-8601 time such as 2024-06-01T08:00Z") from None
    return ScaledClock(begin, speed or 1.0, t0)


def run_service(
    site_path: str | Path,
    db: str | Path,
    options: dict[str, Any],
    *,
    speed: float | None = None,
    start: str | None = None,
    t0: float | None = None,
    echo: Callable[[str], Any] = print,
) -> None:
    """What ``evgrid service`` does: read the site, check the options, open the store, serve
    until SIGINT/SIGTERM, printing one line when ready.

    Raises
    ------
    InputError
        A bad site, option or store (before anything listens).
    """
    import os

    from evgrid import load_site

    site = load_site(site_path)
    if options.get("admin_token") is None and os.environ.get(TOKEN_ENV):
        options = {**options, "admin_token": os.environ[TOKEN_ENV]}
    config = ServiceConfig(**options)
    clock = make_clock(speed, start, t0)
    Store(db).close()  # a bad store is refused before anything listens

    def ready(svc: ChargingService) -> None:
        cfg = svc.config
        echo(
            f"evgrid service: {site.name}, limit {cfg.limit_pu:g} pu, {len(svc.piles)} piles "
            f"registered; OCPP on {cfg.host}:{cfg.port}{cfg.ocpp_path}/<pile id>"
            + (f", TLS {cfg.tls_port}" if cfg.tls_port else "")
            + (f", mTLS {cfg.mtls_port}" if cfg.mtls_port else "")
            + (f"; upstream CSMS {cfg.upstream}" if cfg.upstream else "")
            + (f"; status http://127.0.0.1:{cfg.status_port}/status" if cfg.status_port else "")
            + ("; operator API on" if cfg.admin_token else "")
        )

    asyncio.run(serve(site, config, db, clock, ready=ready))
