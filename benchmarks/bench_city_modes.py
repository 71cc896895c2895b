"""Benchmark: what ``--modes`` and ``v2g`` cost a city run (docs/city.md).

A synthetic city through the medium scenario's five years: the index method without and with
the report's charging modes (a ``plan_modes`` Monte Carlo per site, year and strategy), and the
time-series method with ``orderly`` against ``orderly,v2g`` (V2G's lossless bound). Wall-clock
medians of whole runs in this process (reading, computing, writing the tables and the summary).

Usage::

    python benchmarks/bench_city_modes.py [--sites 30] [--ts-sites 10] [--days 60] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from evgrid.city.run import run_city
from evgrid.city.settings import city_settings
from evgrid.city.synth import synth_city, write_city


def _median(sites: Path, repeat: int, **options: object) -> float:
    times = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            run_city(sites, city_settings(**options), Path(tmp) / "run")  # type: ignore[arg-type]
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=30, help="sites of the index runs")
    parser.add_argument("--ts-sites", type=int, default=10, help="sites of the time-series runs")
    parser.add_argument("--days", type=int, default=60, help="time-series Monte Carlo days")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        index_city = write_city(synth_city(args.sites, rng=1), Path(tmp) / "city.csv")
        ts_city = write_city(synth_city(args.ts_sites, rng=1), Path(tmp) / "ts.csv")
        plain = _median(index_city, args.repeat)
        modes = _median(index_city, args.repeat, modes="report")
        print(f"index, {args.sites} sites x 5 years x 3 strategies: {plain:.2f} s; with "
              f"--modes report {modes:.2f} s ({(modes - plain) / (args.sites * 15) * 1e3:.0f} ms "
              "per site, year and strategy)")  # fmt: skip
        ts = {"method": "timeseries", "days": args.days, "seed": 1}
        orderly = _median(ts_city, args.repeat, strategies="orderly", **ts)
        both = _median(ts_city, args.repeat, strategies="orderly,v2g", **ts)
        print(f"timeseries, {args.ts_sites} sites x 5 years, {args.days} days: orderly "
              f"{orderly:.2f} s; orderly,v2g {both:.2f} s")  # fmt: skip


if __name__ == "__main__":
    main()
