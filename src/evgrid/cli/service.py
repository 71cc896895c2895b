"""``evgrid service``, ``evgrid register-piles`` and ``evgrid simulate-chargers``: the live
orderly-charging service, its pile register, and a simulated community to run against it.

Each command parses its options, calls :mod:`evgrid.service`, prints. The service modules (and
asyncio) are imported inside the commands, so ``evgrid --help`` stays fast.
"""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from evgrid.cli.app import command
from evgrid.errors import InputError, bad_value
from evgrid.params import default
from evgrid.service.settings import MARGIN_PU

if TYPE_CHECKING:
    from evgrid.grid.site import Site
    from evgrid.service.clock import Clock

SHARE_OPTIONS = ("--offline", "--skew", "--reject", "--no-resume", "--share-201")
"""Options of ``simulate-chargers`` that are shares of the piles, each in [0, 1]."""


def _clock(speed: float | None, start: str | None, t0: float | None) -> Clock:
    """The service's clock: wall time, or simulated time from ``start`` at ``speed``."""
    from evgrid.service.clock import ScaledClock, SystemClock, utc

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


@command("service")
def service_cmd(
    site: Path = typer.Argument(..., help="Site document (YAML/JSON)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address of the plain OCPP listener."),
    port: int = typer.Option(9000, "--port", help="Port of the plain OCPP listener (0: none)."),
    db: Path = typer.Option(Path("evgrid-service.db"), "--db", help="SQLite store."),
    limit: float = typer.Option(
        default("loading_limit_pu"),
        "--limit",
        help="Loading limit the service holds [pu] (report section 3.3).",
    ),
    margin: float = typer.Option(
        MARGIN_PU, "--margin", help="Headroom below the limit against forecast error [pu]."
    ),
    tls_port: int | None = typer.Option(None, "--tls-port", help="TLS listener (profile 2)."),
    mtls_port: int | None = typer.Option(
        None, "--mtls-port", help="Mutual-TLS listener (profile 3)."
    ),
    cert: Path | None = typer.Option(None, "--cert", help="Server certificate chain (PEM)."),
    key: Path | None = typer.Option(None, "--key", help="Server private key (PEM)."),
    client_ca: Path | None = typer.Option(None, "--client-ca", help="CA of pile certificates."),
    allow_remote: bool = typer.Option(False, "--allow-remote", help="Allow a non-loopback --host."),
    status_port: int = typer.Option(9001, "--status-port", help="Loopback status port (0: none)."),
    vtn_url: str | None = typer.Option(None, "--vtn-url", help="OpenADR 2.0b VTN URL."),
    ven_name: str = typer.Option("evgrid", "--ven-name", help="This VEN's name."),
    vtn_ca: Path | None = typer.Option(None, "--vtn-ca", help="CA of the VTN (HTTPS)."),
    utc_offset: float = typer.Option(
        8.0, "--utc-offset", help="Site time zone [h from UTC] (China Standard Time)."
    ),
    speed: float | None = typer.Option(
        None, "--speed", help="Simulated time: simulated seconds per second."
    ),
    start: str | None = typer.Option(None, "--start", help="Simulated start (ISO-8601)."),
    t0: float | None = typer.Option(None, "--t0", help="Wall time of --start [Unix s]."),
) -> None:
    """Run the live orderly-charging service for one site (OCPP 1.6/2.0.1, OpenADR 2.0b)."""
    import asyncio

    from evgrid.service.runner import serve
    from evgrid.service.settings import ServiceConfig

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


@command("register-piles")
def register_cmd(
    n: int = typer.Option(1, "--n", help="Number of piles PREFIX0000.."),
    db: Path = typer.Option(Path("evgrid-service.db"), "--db", help="SQLite store."),
    security_profile: int = typer.Option(
        0, "--security-profile", help="OCPP security profile: 0, 1, 2 or 3."
    ),
    keys_out: Path | None = typer.Option(
        None, "--keys-out", help="Write the new keys (JSON, mode 0600); profiles 1 and 2."
    ),
    max_a: float = typer.Option(
        default("service_pile_max_a"), "--max-a", help="Pile maximum [A per phase]."
    ),
    phases: int = typer.Option(default("service_pile_phases"), "--phases", help="Phases."),
    connectors: int = typer.Option(1, "--connectors", help="Connectors (EVSEs) of each pile."),
    prefix: str = typer.Option("P", "--prefix", help="Id prefix."),
) -> None:
    """Register piles in the service's store, with per-pile keys for security profiles 1 and 2."""
    from evgrid.fileio import write_text_atomic
    from evgrid.service.registry import register_file

    if security_profile in (1, 2) and keys_out is None:
        raise bad_value("--keys-out", None, "a file for the new keys (profiles 1 and 2)")
    done = register_file(
        db,
        n,
        prefix=prefix,
        security_profile=security_profile,
        connectors=connectors,
        phases=phases,
        max_a=max_a,
    )
    if keys_out is not None and done["keys"]:
        write_text_atomic(keys_out, json.dumps(done["keys"], indent=1))
        os.chmod(keys_out, 0o600)
    typer.echo(f"registered {n} piles in {db} (security profile {security_profile})")


@command("simulate-chargers")
def simulate_cmd(
    site: Path = typer.Option(..., "--site", help="Site document (YAML/JSON)."),
    n: int = typer.Option(20, "--n", help="Number of simulated piles."),
    speed: float = typer.Option(60.0, "--speed", help="Simulated seconds per second."),
    url: str = typer.Option("ws://127.0.0.1:9000/ocpp", "--url", help="Service OCPP URL."),
    status_url: str | None = typer.Option(
        "http://127.0.0.1:9001", "--status-url", help="Service status URL."
    ),
    hours: float = typer.Option(16.0, "--hours", help="Simulated hours."),
    seed: int = typer.Option(1, "--seed", help="Seed of the cars and the faults."),
    start: str | None = typer.Option(None, "--start", help="Simulated start (ISO-8601)."),
    t0: float | None = typer.Option(None, "--t0", help="Wall time of --start [Unix s]."),
    keys: Path | None = typer.Option(None, "--keys", help="Pile keys (JSON)."),
    ca: Path | None = typer.Option(None, "--ca", help="CA of the service certificate."),
    share_201: float = typer.Option(0.0, "--share-201", help="Share of OCPP 2.0.1 piles."),
    offline: float = typer.Option(0.0, "--offline", help="Share of piles going offline."),
    skew: float = typer.Option(0.0, "--skew", help="Share of piles with a skewed clock."),
    reject: float = typer.Option(0.0, "--reject", help="Share of piles rejecting TxProfile."),
    no_resume: float = typer.Option(0.0, "--no-resume", help="Share of cars not resuming."),
    limit: float = typer.Option(
        default("loading_limit_pu"), "--limit", help="Loading limit to judge the night by [pu]."
    ),
    out: Path | None = typer.Option(None, "--out", help="Write the summary (JSON)."),
) -> None:
    """Run N simulated AC piles against a running service and print the night's figures."""
    import asyncio

    from evgrid.fileio import write_text_atomic
    from evgrid.service.clock import iso
    from evgrid.service.runner import simulate
    from evgrid.service.security import client_context
    from evgrid.service.simulator import Faults, SimConfig

    site_obj = _site(site)
    shares = (offline, skew, reject, no_resume, share_201)
    for name, share in zip(SHARE_OPTIONS, shares, strict=True):
        if not 0.0 <= share <= 1.0:
            raise bad_value(name, share, "a share in [0, 1]")
    if n < 1:
        raise bad_value("--n", n, "a whole number >= 1")
    if not speed > 0:
        raise bad_value("--speed", speed, "a number > 0 [simulated s per s]")
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
    fleet = asyncio.run(
        simulate(
            site_obj,
            sim,
            clock,
            url,
            status_url=status_url,
            limit_kw=limit_kw,
            keys=key_map,
            ssl_context=client_context(ca) if ca is not None else None,
        )
    )
    text = json.dumps(fleet.summary(), indent=1)
    if out is not None:
        write_text_atomic(out, text)
    typer.echo(text)
