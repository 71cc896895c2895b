"""Latency of the web app: ``evgrid serve`` on a free loopback port, timed from a client.

Prints the median and 95th-percentile wall time of each request over repeats (index hosting of
community B, a 365-day time-series band, the site form and the result page, a validation that
fails), then 20 concurrent index requests: wall time for all and the slowest. Every request goes
to 127.0.0.1; the server is stopped at the end.

Usage::

    python benchmarks/bench_web.py              # 21 repeats
    python benchmarks/bench_web.py --repeats 51
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

TIMEOUT_S = 120.0
START_S = 30.0
FORM_B = (
    "kind=residential&name=Community+B&built=2005&households=1734&parking_spaces=1734"
    "&transformer_kva=3200&regular_peak_kw=1883&regular_valley_kw=753"
)


def request(url: str, body: Any = None, form: str | None = None) -> tuple[int, bytes, str]:
    """One request: status, body and the final URL (redirects followed)."""
    data, headers = None, {}
    if body is not None:
        data, headers = json.dumps(body).encode(), {"content-type": "application/json"}
    if form is not None:
        data = form.encode()
        headers = {"content-type": "application/x-www-form-urlencoded"}
    req = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT_S) as response:
            return response.status, response.read(), response.url
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), url


def timed(fn: Any, repeats: int) -> tuple[float, float]:
    """Median and 95th percentile of ``fn()`` wall time [ms]."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=21)
    args = parser.parse_args()
    command = [sys.executable, "-c", "from evgrid.cli import main; main()", "serve", "--port", "0"]
    server = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    try:
        assert server.stderr is not None
        start = time.monotonic()
        line = server.stderr.readline()
        found = re.search(r"http://127\.0\.0\.1:(\d+)", line)
        if not found:
            raise SystemExit(f"server did not start: {line!r}")
        url = f"http://127.0.0.1:{found.group(1)}"
        print(f"server up in {time.monotonic() - start:.2f} s: {url}")
        status, _, result_url = request(url + "/site", form=FORM_B)  # warm up, result page
        assert status == 200, status
        request(url + "/api/hosting", {"case": "B", "method": "timeseries"})  # warm up
        cases = {
            "POST /api/hosting index, B": lambda: request(url + "/api/hosting", {"case": "B"}),
            "POST /api/hosting timeseries 365 days, B": lambda: request(
                url + "/api/hosting", {"case": "B", "method": "timeseries"}
            ),
            "POST /api/sites/validate (refused, 422)": lambda: request(
                url + "/api/sites/validate", {"kind": "residential"}
            ),
            "GET / (site form)": lambda: request(url + "/"),
            "POST /site, B (form to result page)": lambda: request(url + "/site", form=FORM_B),
            "GET result page": lambda: request(result_url),
        }
        print(f"{'request':45s} {'median ms':>10s} {'p95 ms':>8s}")
        for name, fn in cases.items():
            median, p95 = timed(fn, args.repeats)
            print(f"{name:45s} {median:10.1f} {p95:8.1f}")
        durations: list[float] = []

        def one(_: int) -> None:
            t0 = time.perf_counter()
            status, _, _ = request(url + "/api/hosting", {"case": "B"})
            assert status == 200
            durations.append((time.perf_counter() - t0) * 1000)

        start_all = time.perf_counter()
        with ThreadPoolExecutor(20) as pool:
            list(pool.map(one, range(20)))
        total = (time.perf_counter() - start_all) * 1000
        slowest = max(durations)
        print(f"20 concurrent index requests: all in {total:.0f} ms, slowest {slowest:.0f} ms")
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
