"""``evgrid-sim simulate-chargers``: N simulated AC piles against a running evgrid service.

Bad options end in one line on stderr and exit status 2, as evgrid's own commands do; a URL
nothing listens on is found out within :data:`CONNECT_TIMEOUT_S`, before the night starts.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import typer

from evgrid.errors import EvgridError, InputError, bad_value
from evgrid.params import default

EXIT_BAD_INPUT = 2
CONNECT_TIMEOUT_S = 10.0
"""Longest wait for the first TCP connection to the service [s]."""
SHARE_OPTIONS = ("--offline", "--skew", "--reject", "--refuse", "--no-resume", "--share-201")
"""Options that are shares of the piles, each in [0, 1]."""

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__.split("\n\n")[0])


@app.callback()
def _group() -> None:
    """evgrid-sim: simulated piles against evgrid's live service."""


def check_url(where: str, url: str, schemes: tuple[str, ...]) -> tuple[str, str, int]:
    """``(scheme, host, port)`` of a URL with one of ``schemes``, a host and a valid port.

    Raises
    ------
    InputError
        Anything else (spaces, control characters, another scheme, no host).
    """
    allowed = f"a URL {schemes[0]}://HOST[:PORT]/PATH" + (
        f" (or {', '.join(schemes[1:])})" if len(schemes) > 1 else ""
    )
    if not isinstance(url, str) or not url.isprintable() or any(c.isspace() for c in url):
        raise bad_value(where, url, allowed)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise bad_value(where, url, allowed) from None
    if parts.scheme not in schemes or not parts.hostname:
        raise bad_value(where, url, allowed)
    secure = parts.scheme in ("wss", "https")
    return parts.scheme, parts.hostname, port or (443 if secure else 80)


async def reachable(where: str, host: str, port: int, timeout: float = CONNECT_TIMEOUT_S) -> None:
    """Raise :class:`InputError` unless a TCP connection to ``host:port`` opens in time."""
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    except (OSError, TimeoutError) as exc:
        why = "no answer" if isinstance(exc, TimeoutError) else (exc.strerror or str(exc))
        raise InputError(
            f"{where}: cannot connect to {host}:{port}: {why}; is evgrid service running there?"
        ) from None
    writer.close()


LEGACY = os.environ.get("EVGRID_SIM_LEGACY") == "1"
"""Run as ``evgrid simulate-chargers`` (the form kept for one release): errors are worded as
evgrid's own, and a note says where the command went once the options are good."""


def _fail(message: str) -> None:
    prog = "evgrid" if LEGACY else "evgrid-sim"
    typer.echo(f"{prog}: error: {' '.join(message.split())}", err=True)
    raise typer.Exit(EXIT_BAD_INPUT)


@app.command("simulate-chargers")
def simulate_cmd(
    site: Path = typer.Option(..., "--site", help="Site document (YAML/JSON)."),
    n: int = typer.Option(20, "--n", help="Number of simulated piles."),
    speed: float = typer.Option(60.0, "--speed", help="Simulated seconds per second."),
    url: str = typer.Option("ws://127.0.0.1:9000/ocpp", "--url", help="Service OCPP URL."),
    status_url: str | None = typer.Option(
        "http://127.0.0.1:9001", "--status-url", help="Service status URL ('' for none)."
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
    refuse: float = typer.Option(0.0, "--refuse", help="Share of piles refusing every profile."),
    no_resume: float = typer.Option(0.0, "--no-resume", help="Share of cars not resuming."),
    limit: float = typer.Option(
        default("loading_limit_pu"), "--limit", help="Loading limit to judge the night by [pu]."
    ),
    out: Path | None = typer.Option(None, "--out", help="Write the summary (JSON)."),
) -> None:
    """Run N simulated AC piles against a running service and print the night's figures."""
    try:
        summary = _simulate(**locals())
    except EvgridError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"{exc.filename or 'file'}: {exc.strerror or exc}")
    text = json.dumps(summary, indent=1)
    if out is not None:
        from evgrid.fileio import write_text_atomic

        write_text_atomic(out, text)
    typer.echo(text)


def _simulate(**o: Any) -> dict[str, Any]:
    from evgrid.grid.site import load_site
    from evgrid.service.clock import ScaledClock, iso, utc
    from evgrid.service.security import client_context
    from evgrid_sim.fleet import Faults, SimConfig
    from evgrid_sim.net import simulate

    shares = (o["offline"], o["skew"], o["reject"], o["refuse"], o["no_resume"], o["share_201"])
    for name, share in zip(SHARE_OPTIONS, shares, strict=True):
        if not 0.0 <= share <= 1.0:
            raise bad_value(name, share, "a share in [0, 1]")
    if not 1 <= o["n"] <= 100_000:
        raise bad_value("--n", o["n"], "a whole number in [1, 100000]")
    if not 0 < o["speed"] <= 100_000:
        raise bad_value("--speed", o["speed"], "a number in (0, 100000] [simulated s per s]")
    if not 0 < o["hours"] <= 24 * 14:
        raise bad_value("--hours", o["hours"], "a number in (0, 336] [h]")
    _, host, port = check_url("--url", o["url"], ("ws", "wss"))
    status_url = o["status_url"] or None
    if status_url is not None:
        check_url("--status-url", status_url, ("http",))
    site_obj = load_site(o["site"])
    try:
        begin = utc(o["start"]) if o["start"] else datetime.now(UTC)
    except ValueError:
        raise bad_value(
            "--start", o["start"], "an ISO-8601 time such as 2024-06-01T08:00Z"
        ) from None
    clock = ScaledClock(begin, o["speed"], o["t0"] if o["t0"] is not None else time.time())
    key_map = None
    if o["keys"] is not None:
        try:
            key_map = json.loads(o["keys"].read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"{o['keys']}: cannot be read as a JSON key file: {exc}") from None
    asyncio.run(reachable("--url", host, port))
    if LEGACY:
        typer.echo(
            "evgrid: note: `evgrid simulate-chargers` is now `evgrid-sim simulate-chargers` "
            "(this form goes in the next release)",
            err=True,
        )
    sim = SimConfig(
        n_piles=o["n"],
        start=clock.now(),
        hours=o["hours"],
        seed=o["seed"],
        share_201=o["share_201"],
        faults=Faults(
            offline_share=o["offline"],
            skew_share=o["skew"],
            reject_share=o["reject"],
            refuse_share=o["refuse"],
            no_resume_share=o["no_resume"],
        ),
    )
    limit_kw = o["limit"] * site_obj.power_factor * site_obj.transformer_kva
    fleet = asyncio.run(
        simulate(
            site_obj,
            sim,
            clock,
            o["url"],
            status_url=status_url,
            limit_kw=limit_kw,
            keys=key_map,
            ssl_context=client_context(o["ca"]) if o["ca"] is not None else None,
        )
    )
    summary: dict[str, Any] = fleet.summary()
    summary["start"] = iso(sim.start)
    return summary


def main() -> None:
    """Entry point of ``evgrid-sim``."""
    try:
        app(prog_name="evgrid-sim")
    except KeyboardInterrupt:
        sys.exit(130)
