"""Benchmark: a city-wide sweep of 21 spreads on the city batch, and one site's lever and sweep.

* **City**: a synthetic city of 1 000 sites (``evgrid synth-city``), the report's tariff swept
  from 0 to 1 yuan/kWh in 0.05 steps (21 spreads) with the default response curve: one city
  run (strategies uncontrolled and partial, the medium scenario's five years) per distinct
  share, each in a fresh folder; then the same sweep again on the finished folders (resumed:
  every city run is found complete). Index method by default; ``--timeseries-days N`` also
  runs the time-series method with N Monte Carlo days.
* **One site**: community B (381 cars, 14 days): sampling the cars, the lever with both hosting
  tiers and the upgrade timeline, and the 21-spread sweep with TOU and with valley-filling
  responders.

Wall-clock medians of ``--repeat`` runs (the machine is shared). Usage::

    python benchmarks/bench_incentives.py [--sites 1000] [--repeat 3] [--timeseries-days 0]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from evgrid.city.synth import synth_city, write_city
from evgrid.grid.site import report_cases
from evgrid.incentives.citywide import city_sweep
from evgrid.incentives.economics import evaluate_lever
from evgrid.incentives.fleet import site_fleet
from evgrid.incentives.sweep import spread_grid, sweep_spreads
from evgrid.planning.upgrade import CostModel

COST_PER_KVA = 300.0
"""A cost per kVA for the benchmark only (evgrid ships no price) [yuan/kVA]."""


def _median(fn: Callable[[int], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for i in range(repeat):
        start = time.perf_counter()
        result = fn(i)
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sites", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--timeseries-days", type=int, default=0)
    args = parser.parse_args()
    spreads = spread_grid()
    cost = CostModel(per_kva=COST_PER_KVA)
    rows: list[tuple[str, float, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sites = folder / "city.csv"
        write_city(synth_city(args.sites, rng=1), sites)

        def fresh(i: int, method: str = "index", days: int | None = None) -> Any:
            out = folder / f"{method}-{i}"
            return city_sweep(
                sites,
                out,
                spreads,
                cost=cost,
                method=method,
                days=days,
                seed=1 if method == "timeseries" else None,
            )

        t, result = _median(fresh, args.repeat)
        runs = len(set(result.runs))
        note = (
            f"{runs} city runs; best marginal {result.best_marginal_spread}, best average "
            f"{result.best_average_spread}; evening peak -{result.peak_reduction_kw[6]:,.0f} kW "
            f"at 0.3, upgrades avoided at 0.6: {result.upgrades_before - result.upgrades[12]}"
        )
        rows.append((f"city sweep, {args.sites} sites x 21 spreads, index", t, note))
        t, _ = _median(lambda i: fresh(0), args.repeat)
        rows.append(("the same, resumed (every city run complete)", t, ""))
        if args.timeseries_days:
            t, result = _median(lambda i: fresh(i, "timeseries", args.timeseries_days), 1)
            rows.append(
                (
                    f"city sweep, timeseries, {args.timeseries_days} days",
                    t,
                    f"best marginal {result.best_marginal_spread}",
                )
            )
    b = report_cases()["B"]
    t, fleet = _median(lambda i: site_fleet(b, rng=2023), args.repeat)
    rows.append(("community B: sample 381 cars x 14 days", t, ""))
    t, _ = _median(lambda i: evaluate_lever(b, fleet=fleet, cost=cost), args.repeat)
    rows.append(("community B: lever, both hosting tiers, upgrade timeline", t, ""))
    for strategy in ("tou", "valley-filling"):
        t, s = _median(
            lambda i, st=strategy: sweep_spreads(b, fleet=fleet, strategy=st), args.repeat
        )
        rows.append(
            (
                f"community B: 21-spread sweep, {strategy}",
                t,
                f"best marginal {s.best_marginal_spread}",
            )
        )
    width = max(len(r[0]) for r in rows)
    print(f"{'what':<{width}}  {'median [s]':>10}  notes")
    for what, seconds, notes in rows:
        print(f"{what:<{width}}  {seconds:>10.3f}  {notes}")


if __name__ == "__main__":
    main()
