"""Helpers of the web app's tests: the test client, a real server, the report's community B."""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from evgrid.web.app import create_app
from evgrid.web.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("EVGRID_CHROMIUM", "/usr/bin/chromium")
SKIP_BROWSER_ENV = "EVGRID_SKIP_BROWSER"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_START_S = 30.0
"""Longest wait for ``evgrid serve`` to print its startup line [s]."""
TOKEN = "test-token-0123456789abcdef"
B_SITE = {
    "kind": "residential",
    "name": "Community B",
    "built": 2005,
    "households": 1734,
    "parking_spaces": 1734,
    "transformer_kva": 3200,
    "regular_peak_kw": 1883,
    "regular_valley_kw": 753,
}
"""The report's community B (report section 3.2, table 2)."""


SMALL_CITY_SITES = 8
"""Sites of the small synthetic city of the city tests [-]."""


def small_city(folder: Path, name: str = "city.csv", seed: int = 12) -> Path:
    """A small synthetic city (:func:`evgrid.city.synth.synth_city`) written to ``folder``."""
    from evgrid.city.synth import synth_city, write_city

    return write_city(synth_city(SMALL_CITY_SITES, rng=seed), folder / name)


def make_client(**settings: Any) -> TestClient:
    """A test client of an app with these settings, addressed as 127.0.0.1."""
    return TestClient(create_app(Settings(**settings)), base_url="http://127.0.0.1")


class Server:
    """``evgrid serve`` in a child process on a free loopback port (``--port 0``).

    A thread keeps reading the server's stderr (so that it never blocks on a full pipe) and
    hands over its first line, the startup line, with a bounded wait.
    """

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        command = [sys.executable, "-c", "from evgrid.cli import main; main()", "serve"]
        self.process = subprocess.Popen(
            [*command, "--port", "0", *args],
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
            env={**os.environ, **(env or {})},
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.log: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        try:
            first = self.lines.get(timeout=SERVER_START_S)
        except queue.Empty:
            first = ""
        self.startup_line = first.strip() if first.startswith("evgrid serve:") else ""
        found = re.search(r"http://[^ ]+:(\d+)", self.startup_line)
        if not found:
            self.stop()
            raise RuntimeError(f"evgrid serve did not start: {first.strip()!r}")
        self.url = f"http://127.0.0.1:{found.group(1)}"

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.log.append(line)
            self.lines.put(line)
        self.lines.put("")

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after a bounded wait)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
