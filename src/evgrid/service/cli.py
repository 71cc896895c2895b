"""Command functions of ``evgrid service``, ``evgrid simulate-chargers`` and
``evgrid register-piles``: plain functions with typer annotations, registered on the CLI app
(and on ``python -m evgrid.service``). Each parses its options, calls the library, prints.
Bad input raises :class:`~evgrid.errors.InputError` (one line; the app exits with status 2).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from evgrid.errors import InputError, bad_value
from evgrid.fileio import write_text_atomic
from evgrid.grid.site import Site
from evgrid.service.clock import Clock, ScaledClock, SystemClock, iso, utc
from evgrid.service.settings import ServiceConfig


def _clock(speed: float | None, start: str | None, t0: float | None) -> Clock:
    if speed is None and start is None:
        return SystemClock()
    if speed is not None and not speed > 0:
        raise bad_value("--speed", speed, "a number > 0 [simulated s per s]")
    try:
        begin = utc(start) if start else datetime.now(UTC)
    except ValueError:
        raise bad_value("--start", start, "an ISO-8601 time such as 2024-06-01T08:00Z") from None
    return ScaledClock(begin, speed or 1.0, t0)


def _site(path: Path) -> Site:
    from evgrid.grid.site import load_site

    return load_site(path)


def service_cmd(
    site: Annotated[Path, typer.Argument(help="Site document (YAML/JSON).")],
    host: Annotated[str, typer.Option(help="Address of the plain OCPP listener.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port of the plain OCPP listener (0: none).")] = 9000,
    db: Annotated[Path, typer.Option(help="SQLite store.")] = Path("evgrid-service.db"),
    limit: Annotated[float, typer.Option(help="Loading limit [pu] (report section 3.3).")] = 0.8,
    margin: Annotated[float, typer.Option(help="Forecast margin [pu].")] = 0.02,
    tls_port: Annotated[int | None, typer.Option(help="TLS listener, profile 2.")] = None,
    mtls_port: Annotated[int | None, typer.Option(help="Mutual-TLS listener, profile 3.")] = None,
    cert: Annotated[Path | None, typer.Option(help="Server certificate chain (PEM).")] = None,
    key: Annotated[Path | None, typer.Option(help="Server private key (PEM).")] = None,
    client_ca: Annotated[Path | None, typer.Option(help="CA of pile certificates.")] = None,
    allow_remote: Annotated[bool, typer.Option(help="Allow a non-loopback --host.")] = False,
    status_port: Annotated[int, typer.Option(help="Loopback status port (0: none).")] = 9001,
    vtn_url: Annotated[str | None, typer.Option(help="OpenADR 2.0b VTN URL.")] = None,
    ven_name: Annotated[str, typer.Option(help="This VEN's name.")] = "evgrid",
    vtn_ca: Annotated[Path | None, typer.Option(help="CA of the VTN (HTTPS).")] = None,
    utc_offset: Annotated[float, typer.Option(help="Site time zone, hours from UTC.")] = 8.0,
    speed: Annotated[float | None, typer.Option(help="Simulated time speed-up.")] = None,
    start: Annotated[str | None, typer.Option(help="Simulated start time (ISO-8601).")] = None,
    t0: Annotated[float | None, typer.Option(help="Wall time of --start (Unix s).")] = None,
) -> None:
    """Run the live orderly-charging service for one site."""
    site_obj = _site(site)
    config = ServiceConfig(
        host=host,
        port=port or None,
        tls_port=tls_port,
        mtls_port=mtls_port,
        certfile=cert,
        keyfile=key,
        client_ca=client_ca,
        allow_remote=allow_remote,
        status_port=status_port or None,
        limit_pu=limit,
        margin_pu=margin,
        utc_offset_h=utc_offset,
        vtn_url=vtn_url,
        ven_name=ven_name,
        vtn_ca=vtn_ca,
    )
    from evgrid.service.runner import serve

    clock = _clock(speed, start, t0)

    def ready(svc: object) -> None:
        typer.echo(
            f"evgrid service: {site_obj.name}, limit {config.limit_pu:g} pu, "
            f"{len(getattr(svc, 'piles', {}))} piles registered; OCPP on {host}:{port}"
            + (f", TLS {tls_port}" if tls_port else "")
            + (f", mTLS {mtls_port}" if mtls_port else "")
            + (f"; status http://127.0.0.1:{status_port}/status" if status_port else "")
        )

    asyncio.run(serve(site_obj, config, db, clock, ready=ready))


def register_cmd(
    n: Annotated[int, typer.Option("--n", help="Number of piles P0000..")] = 1,
    db: Annotated[Path, typer.Option(help="SQLite store.")] = Path("evgrid-service.db"),
    security_profile: Annotated[int, typer.Option(help="0, 1, 2 or 3.")] = 0,
    keys_out: Annotated[Path | None, typer.Option(help="Write the new keys (JSON, 0600).")] = None,
    max_a: Annotated[float, typer.Option(help="Pile maximum [A per phase].")] = 32.0,
    phases: Annotated[int, typer.Option(help="Phases of each pile.")] = 1,
    prefix: Annotated[str, typer.Option(help="Id prefix.")] = "P",
) -> None:
    """Register piles (ids PREFIX0000..), with per-pile keys for security profiles 1 and 2."""
    from evgrid.service.security import hash_key, new_key
    from evgrid.service.store import Store

    if n < 1:
        raise bad_value("--n", n, "a whole number >= 1")
    if security_profile not in (0, 1, 2, 3):
        raise bad_value("--security-profile", security_profile, "0, 1, 2 or 3")
    if security_profile in (1, 2) and keys_out is None:
        raise bad_value("--keys-out", None, "a file for the new keys (profiles 1 and 2)")
    store = Store(db)
    keys: dict[str, str] = {}
    for i in range(n):
        pid = f"{prefix}{i:04d}"
        key_hash = None
        if security_profile in (1, 2):
            keys[pid] = new_key()
            key_hash = hash_key(keys[pid])
        store.register(
            pid, key_hash=key_hash, security_profile=security_profile, max_a=max_a, phases=phases
        )
    store.close()
    if keys_out is not None and keys:
        write_text_atomic(keys_out, json.dumps(keys, indent=1))
        os.chmod(keys_out, 0o600)
    typer.echo(f"registered {n} piles in {db} (security profile {security_profile})")


def simulate_cmd(
    site: Annotated[Path, typer.Option(help="Site document.")],
    n: Annotated[int, typer.Option("--n", help="Number of simulated piles.")] = 20,
    speed: Annotated[float, typer.Option(help="Simulated seconds per second.")] = 60.0,
    url: Annotated[str, typer.Option(help="Service OCPP URL.")] = "ws://127.0.0.1:9000/ocpp",
    status_url: Annotated[str | None, typer.Option(help="Service status URL.")] = (
        "http://127.0.0.1:9001"
    ),
    hours: Annotated[float, typer.Option(help="Simulated hours.")] = 16.0,
    seed: Annotated[int, typer.Option(help="Seed of cars and faults.")] = 1,
    start: Annotated[str | None, typer.Option(help="Simulated start (ISO-8601).")] = None,
    t0: Annotated[float | None, typer.Option(help="Wall time of --start (Unix s).")] = None,
    keys: Annotated[Path | None, typer.Option(help="Pile keys (JSON).")] = None,
    ca: Annotated[Path | None, typer.Option(help="CA of the service certificate.")] = None,
    share_201: Annotated[float, typer.Option(help="Share of OCPP 2.0.1 piles.")] = 0.0,
    offline: Annotated[float, typer.Option(help="Share of piles going offline.")] = 0.0,
    skew: Annotated[float, typer.Option(help="Share of piles with a skewed clock.")] = 0.0,
    reject: Annotated[float, typer.Option(help="Share of piles rejecting TxProfile.")] = 0.0,
    no_resume: Annotated[float, typer.Option(help="Share of cars not resuming.")] = 0.0,
    limit: Annotated[float, typer.Option(help="Loading limit to judge [pu].")] = 0.8,
    out: Annotated[Path | None, typer.Option(help="Write the summary (JSON).")] = None,
) -> None:
    """Run N simulated AC piles against a running service and print the night's figures."""
    from evgrid.service.runner import simulate
    from evgrid.service.security import client_context
    from evgrid.service.simulator import Faults, SimConfig

    site_obj = _site(site)
    for name, share in (
        ("--offline", offline),
        ("--skew", skew),
        ("--reject", reject),
        ("--no-resume", no_resume),
        ("--share-201", share_201),
    ):
        if not 0.0 <= share <= 1.0:
            raise bad_value(name, share, "a share in [0, 1]")
    if n < 1:
        raise bad_value("--n", n, "a whole number >= 1")
    clock = _clock(speed, start or iso(datetime.now(UTC)), t0 if t0 is not None else time.time())
    key_map = None
    if keys is not None:
        try:
            key_map = json.loads(keys.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"{keys}: cannot be read as a JSON key file: {exc}") from None
    sim = SimConfig(
        n_piles=n,
        start=clock.now(),
        hours=hours,
        seed=seed,
        share_201=share_201,
        faults=Faults(
            offline_share=offline, skew_share=skew, reject_share=reject, no_resume_share=no_resume
        ),
    )
    limit_kw = limit * site_obj.power_factor * site_obj.transformer_kva
    ctx = client_context(ca) if ca is not None else None
    fleet = asyncio.run(
        simulate(
            site_obj,
            sim,
            clock,
            url,
            status_url=status_url,
            limit_kw=limit_kw,
            keys=key_map,
            ssl_context=ctx,
        )
    )
    summary = fleet.summary()
    text = json.dumps(summary, indent=1)
    if out is not None:
        write_text_atomic(out, text)
    typer.echo(text)
