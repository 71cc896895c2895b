"""``evgrid service`` and ``evgrid register-piles``: the live orderly-charging service and its
pile register (``evgrid simulate-chargers`` hands over to ``evgrid-sim``, see below).

Each command parses its options, calls :mod:`evgrid.service`, prints. The service modules (and
asyncio) are imported inside the commands, so ``evgrid --help`` stays fast.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import typer

from evgrid.cli.app import app, command
from evgrid.errors import bad_value
from evgrid.params import default
from evgrid.service.settings import MARGIN_PU


@command("service")
def service_cmd(
    site: Path = typer.Argument(..., help="Site document (YAML/JSON)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address of the plain OCPP listener."),
    port: int = typer.Option(9000, "--port", help="Port of the plain OCPP listener (0: none)."),
    ocpp_path: str = typer.Option("/ocpp", "--ocpp-path", help="Piles dial PATH/<pile id>."),
    db: Path = typer.Option(Path("evgrid-service.db"), "--db", help="SQLite store."),
    limit_pu: float = typer.Option(
        default("loading_limit_pu"),
        "--limit",
        help="Loading limit the service holds [pu] (report section 3.3).",
    ),
    margin_pu: float = typer.Option(
        MARGIN_PU, "--margin", help="Headroom below the limit against forecast error [pu]."
    ),
    phase_voltage_v: float = typer.Option(
        default("service_phase_voltage_v"),
        "--voltage",
        help="Phase voltage of the piles until they report their own [V].",
    ),
    dr_policy: str = typer.Option(
        default("service_dr_policy"),
        "--dr-policy",
        help="voluntary (a DR cap that costs too much energy is declined) or contracted.",
    ),
    tls_port: int | None = typer.Option(None, "--tls-port", help="TLS listener (profile 2)."),
    mtls_port: int | None = typer.Option(
        None, "--mtls-port", help="Mutual-TLS listener (profile 3)."
    ),
    certfile: Path | None = typer.Option(None, "--cert", help="Server certificate chain (PEM)."),
    keyfile: Path | None = typer.Option(None, "--key", help="Server private key (PEM)."),
    client_ca: Path | None = typer.Option(None, "--client-ca", help="CA of pile certificates."),
    ca_key: Path | None = typer.Option(
        None, "--ca-key", help="Key of the --client-ca CA: signs piles' CSRs (SignCertificate)."
    ),
    allow_remote: bool = typer.Option(False, "--allow-remote", help="Allow a non-loopback --host."),
    status_port: int = typer.Option(9001, "--status-port", help="Loopback status port (0: none)."),
    admin_token: str | None = typer.Option(
        None,
        "--admin-token",
        help="Token of the operator API (or EVGRID_SERVICE_TOKEN); without it, no operator API.",
    ),
    upstream: str | None = typer.Option(
        None,
        "--upstream",
        help="Local-controller mode: the operator's CSMS (ws:// or wss://, ending in its path).",
    ),
    vtn_url: str | None = typer.Option(None, "--vtn-url", help="OpenADR 2.0b VTN URL."),
    ven_name: str = typer.Option("evgrid", "--ven-name", help="This VEN's name."),
    vtn_ca: Path | None = typer.Option(None, "--vtn-ca", help="CA of the VTN (HTTPS)."),
    utc_offset_h: float = typer.Option(
        default("service_utc_offset_h"),
        "--utc-offset",
        help="Site time zone [h from UTC] (China Standard Time).",
    ),
    speed: float | None = typer.Option(
        None, "--speed", help="Simulated time: simulated seconds per second."
    ),
    start: str | None = typer.Option(None, "--start", help="Simulated start (ISO-8601)."),
    t0: float | None = typer.Option(None, "--t0", help="Wall time of --start [Unix s]."),
) -> None:
    """Run the live orderly-charging service for one site (OCPP 1.6/2.0.1, OpenADR 2.0b)."""
    options = dict(locals())
    from evgrid.service.runner import run_service

    site_path, db_path = options.pop("site"), options.pop("db")
    clock = {k: options.pop(k) for k in ("speed", "start", "t0")}
    options["port"] = options["port"] or None
    options["status_port"] = options["status_port"] or None
    run_service(site_path, db_path, options, **clock, echo=typer.echo)


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


@app.command(
    "simulate-chargers",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    add_help_option=False,
)
def simulate_cmd(ctx: typer.Context) -> None:
    """Run simulated AC piles against a running service (moved: `evgrid-sim simulate-chargers`).

    The simulator is not part of the product: it lives in its own package, ``evgrid_sim``, with
    its own command ``evgrid-sim``. This form is kept for one release and hands its arguments to
    ``python -m evgrid_sim simulate-chargers`` (a new process: evgrid never imports it).
    """
    import sys

    sys.stdout.flush()
    sys.stderr.flush()
    env = {**os.environ, "EVGRID_SIM_LEGACY": "1"}  # errors worded as evgrid's; a note on stderr
    argv = [sys.executable, "-m", "evgrid_sim", "simulate-chargers", *ctx.args]
    os.execve(sys.executable, argv, env)
