"""Settings of ``evgrid serve``: where it listens, who may use it, how much it accepts.

This module imports neither FastAPI nor uvicorn, so the command line can refuse a bad address or
a missing token before loading the web stack.

Security model: bound to a loopback address, the server answers only this machine and needs no
access token; bound to any other address it refuses to start without one (``--token`` or the
environment variable :data:`TOKEN_ENV`) and then checks it on every page and API call.
"""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass, field

from evgrid.errors import InputError, bad_value

TOKEN_ENV = "EVGRID_TOKEN"
"""Environment variable that holds the access token (instead of ``--token``)."""
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
LOOPBACK_NAMES = ("localhost",)
"""Host names that are loopback by definition (RFC 6761, 6.3)."""
MIN_TOKEN_CHARS = 16
"""Shortest access token accepted [characters] (evgrid's choice: guessing 16 random characters
over HTTP is out of reach)."""
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
"""What a token may be: the ``b64token`` of a Bearer credential (RFC 6750, section 2.1), so
that every client can present it in an ``Authorization`` header or a cookie (a token of spaces
or with a line break could never be presented)."""
MIB = 1024 * 1024
MAX_UPLOAD_BYTES = 64 * MIB
"""Largest request body, i.e. upload, accepted [byte] (evgrid's choice: a city of some 100 000
sites as CSV, or a year of 1-min load data)."""
MAX_SITE_BYTES = 1 * MIB
"""Largest site document accepted [byte]: a site document is a few hundred bytes."""
MAX_QUEUED_JOBS = 16
"""Background jobs waiting at most; more are refused with 503 (evgrid's choice)."""
JOB_KEEP_S = 3600.0
"""A finished job and its folder are removed this long after it ended [s] (evgrid's choice)."""
MAX_KEPT_JOBS = 32
"""Finished jobs kept at most; the oldest is removed first (evgrid's choice)."""
MAX_KEPT_RESULTS = 64
"""Site results kept for their result page and downloads; the oldest is removed first."""


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and every loopback address (127.0.0.0/8, ::1)."""
    name = host.strip().strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Settings:
    """What the web app needs to know about how it is served.

    Parameters
    ----------
    host
        Address it listens on; loopback by default.
    port
        TCP port [-].
    token
        Access token; required when ``host`` is not loopback, optional otherwise (then checked
        too).
    max_upload_bytes
        Largest request body [byte]; larger uploads get 413.
    workers
        Background job workers (threads); each runs one job at a time, the others wait in a
        queue [-].
    max_queued_jobs, job_keep_s, max_kept_jobs, max_kept_results
        Queue length [-], how long a finished job is kept [s], how many finished jobs and site
        results are kept [-].
    """

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    token: str | None = field(default=None, repr=False)
    max_upload_bytes: int = MAX_UPLOAD_BYTES
    workers: int = 1
    max_queued_jobs: int = MAX_QUEUED_JOBS
    job_keep_s: float = JOB_KEEP_S
    max_kept_jobs: int = MAX_KEPT_JOBS
    max_kept_results: int = MAX_KEPT_RESULTS

    def __post_init__(self) -> None:
        if not isinstance(self.port, int) or not 0 <= self.port <= 65535:
            raise bad_value("--port", self.port, "a whole number in [0, 65535]")
        if self.token is not None and not TOKEN_PATTERN.fullmatch(self.token):
            raise InputError(
                "--token: got a token with characters a client cannot send (spaces, quotes, "
                "line breaks or non-ASCII); allowed: letters, digits and - . _ ~ + / "
                "(RFC 6750 b64token), e.g. python3 -c 'import secrets; "
                "print(secrets.token_urlsafe())'"
            )
        if self.token is not None and len(self.token) < MIN_TOKEN_CHARS:
            raise InputError(
                f"--token: got a token of {len(self.token)} characters; allowed: at least "
                f"{MIN_TOKEN_CHARS} characters (e.g. python3 -c 'import secrets; "
                "print(secrets.token_urlsafe())')"
            )
        if self.max_upload_bytes < 1:
            raise bad_value("max_upload_bytes", self.max_upload_bytes, "a whole number >= 1")
        if self.workers < 1:
            raise bad_value("--workers", self.workers, "a whole number >= 1")
        if self.token is None and not is_loopback(self.host):
            raise InputError(
                f"--host: got {self.host!r}; allowed: a loopback address (127.0.0.1, ::1, "
                f"localhost), or any address with an access token (--token or {TOKEN_ENV})"
            )

    @property
    def loopback(self) -> bool:
        """True when the server answers this machine only."""
        return is_loopback(self.host)

    @property
    def url(self) -> str:
        """The address to open in a browser."""
        host = f"[{self.host}]" if ":" in self.host and not self.host.startswith("[") else self.host
        return f"http://{host}:{self.port}"

    def startup_line(self) -> str:
        """The one line ``evgrid serve`` prints: where it listens and who may use it."""
        if self.token is None:
            who = "loopback only, no access token"
        else:
            where = "loopback" if self.loopback else "beyond loopback"
            who = (
                f"{where}; access token required on every page and API call "
                "(Authorization: Bearer TOKEN, or open /login)"
            )
        return f"evgrid serve: {self.url} ({who}); API documentation at {self.url}/docs"


def token_from(option: str | None) -> str | None:
    """The access token: the option if given, else :data:`TOKEN_ENV`, else None."""
    if option:
        return option
    return os.environ.get(TOKEN_ENV) or None
