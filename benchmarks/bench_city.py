"""Benchmark: a synthetic city through 5 years and 3 strategies, both tiers, local and Dask.

Targets on the 2-core development machine: 10 000 sites with the index method under 10 s; with
the time-series method and 100 Monte Carlo days under 10 minutes. Also prints the scaling from 1
to 2 local workers and the overhead of a Dask ``LocalCluster`` (2 workers) against 2 local
processes, on a smaller city. Wall-clock times of whole runs (reading the table, computing,
writing the chunks, Parquet, CSV and the summary). The results of every configuration are
compared byte for byte.

Usage::

    python benchmarks/bench_city.py [--sites 10000] [--days 100] [--scaling-sites 400]
        [--repeat 3] [--skip-timeseries] [--skip-dask] [--basis design]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path

from evgrid.city.run import run_city
from evgrid.city.settings import CitySettings
from evgrid.city.synth import synth_city, write_city
from evgrid.planning.basis import load_basis
from evgrid.planning.scenarios import load_scenario
from evgrid.planning.upgrade import CostModel

COST_PER_KVA = 300.0
"""A cost per kVA for the benchmark only (any number: evgrid ships no price) [yuan/kVA]."""


def _cpu_s() -> float:
    """CPU seconds of this process and its finished child processes (local workers) [s]."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


CPU: list[float] = []
"""CPU seconds of each :func:`_run` (local engines; Dask workers are not counted) [s]."""


def _run(sites: Path, out: Path, settings: CitySettings, **options: object) -> float:
    cpu = _cpu_s()
    start = time.perf_counter()
    run_city(sites, settings, out, **options)  # type: ignore[arg-type]
    wall = time.perf_counter() - start
    CPU.append(_cpu_s() - cpu)
    return wall


def _same(a: Path, b: Path) -> bool:
    return all(
        (a / n).read_bytes() == (b / n).read_bytes()
        for n in ("results.parquet", "results.csv", "upgrades.parquet")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=100)
    parser.add_argument("--scaling-sites", type=int, default=400)
    parser.add_argument("--repeat", type=int, default=3, help="index runs (median)")
    parser.add_argument("--skip-timeseries", action="store_true")
    parser.add_argument("--skip-dask", action="store_true")
    parser.add_argument("--skip-full", action="store_true", help="no full-size time series")
    parser.add_argument("--basis", default="design", help="design basis (design or report)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-city-"))
    city = tmp / "city.csv"
    write_city(synth_city(args.sites, 1), city)
    small = tmp / "small.csv"
    write_city(synth_city(args.scaling_sites, 1), small)
    scenario = load_scenario("medium")
    cost = CostModel(per_kva=COST_PER_KVA)
    basis = load_basis(args.basis)
    index = CitySettings(scenario, cost=cost, basis=basis)
    ts = CitySettings(
        scenario,
        method="timeseries",
        days=args.days,
        cost=cost,
        basis=basis,
    )
    print(
        f"synthetic city: {args.sites} sites (seed 1), scenario medium, 5 years, 3 strategies, "
        f"basis {args.basis}"
    )
    times = [_run(city, tmp / f"index-{i}", index) for i in range(args.repeat)]
    print(
        f"index, 1 process: median {statistics.median(times):.2f} s of {args.repeat} runs "
        f"({', '.join(f'{t:.2f}' for t in times)})"
    )
    if args.skip_timeseries:
        return
    chunk = max(1, args.scaling_sites // 16)  # enough chunks to keep two workers busy
    one = _run(small, tmp / "ts-1", ts, workers=1, chunk_sites=chunk)
    two = _run(small, tmp / "ts-2", ts, workers=2, chunk_sites=chunk)
    cpu_one, cpu_two = CPU[-2], CPU[-1]
    print(
        f"  CPU: 1 worker {cpu_one:.1f} s ({cpu_one / args.scaling_sites * 1000:.0f} ms a site), "
        f"2 workers {cpu_two:.1f} s; load average {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} cores"
    )
    print(
        f"time series, {args.days} days, {args.scaling_sites} sites: 1 worker {one:.1f} s, "
        f"2 workers {two:.1f} s (speed-up {one / two:.2f}); identical: "
        f"{_same(tmp / 'ts-1', tmp / 'ts-2')}"
    )
    if not args.skip_dask:
        from distributed import LocalCluster

        start = time.perf_counter()
        with LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster:
            up = time.perf_counter() - start
            dask = _run(
                small,
                tmp / "ts-dask",
                ts,
                engine="dask",
                scheduler=cluster.scheduler_address,
                chunk_sites=chunk,
            )
        print(
            f"dask LocalCluster (2 workers, started in {up:.1f} s): {dask:.1f} s, "
            f"{(dask / two - 1) * 100:+.0f} % against 2 local workers; identical: "
            f"{_same(tmp / 'ts-1', tmp / 'ts-dask')}"
        )
    if args.skip_full:
        return
    full = _run(city, tmp / "ts-full", ts, workers=2)
    print(
        f"time series, {args.days} days, {args.sites} sites, 2 workers: {full:.0f} s "
        f"({full / 60:.1f} min), {CPU[-1]:.0f} CPU s; load average {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
