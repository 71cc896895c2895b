"""``evgrid serve``: the web app and HTTP API, on loopback by default."""

from __future__ import annotations

import dataclasses
import socket

import typer

from evgrid.cli.app import command
from evgrid.web.settings import DEFAULT_HOST, DEFAULT_PORT, TOKEN_ENV

LISTEN_BACKLOG = 128
"""Connections waiting to be accepted [-] (the usual default of servers)."""


@command("serve")
def serve_cmd(
    host: str = typer.Option(
        DEFAULT_HOST,
        "--host",
        help="Address to listen on. Anything but loopback needs an access token.",
    ),
    port: int = typer.Option(DEFAULT_PORT, "--port", help="TCP port (0: a free one)."),
    token: str | None = typer.Option(
        None,
        "--token",
        help=f"Access token, checked on every page and API call (or the variable {TOKEN_ENV}); "
        "required beyond loopback.",
    ),
    max_upload_mb: float = typer.Option(
        64.0, "--max-upload-mb", help="Largest upload accepted [MiB]; larger ones get 413."
    ),
    workers: int = typer.Option(
        1, "--workers", help="Background job workers; each runs one job at a time."
    ),
) -> None:
    """Serve the web app and the HTTP API (pages, /api, documentation at /docs)."""
    from evgrid.errors import InputError
    from evgrid.web.settings import MIB, Settings, token_from

    if not max_upload_mb > 0:
        raise InputError(f"--max-upload-mb: got {max_upload_mb}; allowed: a number > 0 [MiB]")
    settings = Settings(
        host=host,
        port=port,
        token=token_from(token),
        max_upload_bytes=int(max_upload_mb * MIB),
        workers=workers,
    )
    import uvicorn  # missing: one line naming the web extra (evgrid.cli.app.EXTRAS)

    from evgrid.web.app import create_app

    sock = _bind(host, port)
    settings = dataclasses.replace(settings, port=sock.getsockname()[1])
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), log_level="warning", access_log=False)
    )
    typer.echo(settings.startup_line(), err=True)
    server.run(sockets=[sock])


def _bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (port 0: a free one), or one line saying why not."""
    from evgrid.errors import InputError

    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(LISTEN_BACKLOG)
    except OSError as exc:
        raise InputError(
            f"--host/--port: cannot listen on {host}:{port}: {exc.strerror or exc}"
        ) from None
    return sock
