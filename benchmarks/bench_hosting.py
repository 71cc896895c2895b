"""Benchmark: time-series hosting capacity of one community, 365 days, all pile ratios.

Targets: under 2 s for uncontrolled and under 10 s for valley filling, on this
machine. Prints the median of ``--repeat`` runs per strategy (sampling, strategy, criterion and
search included) and the resulting largest pile ratios.

Usage::

    python benchmarks/bench_hosting.py [--case B] [--days 365] [--repeat 3]
        [--strategies uncontrolled tou valley-filling]
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

from evgrid.grid.site import report_cases
from evgrid.planning.timeseries.run import timeseries_hosting


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", default="B", help="report case A, B, C, open or closed")
    parser.add_argument("--days", type=int, default=365, help="Monte Carlo days")
    parser.add_argument("--repeat", type=int, default=3, help="runs per strategy (median)")
    parser.add_argument(
        "--strategies", nargs="+", default=["uncontrolled", "tou", "valley-filling"]
    )
    args = parser.parse_args()
    warnings.filterwarnings("ignore", message=".*104.2 %.*")
    site = report_cases()[args.case]
    print(f"case {args.case}: {site.parking_spaces} spaces, {args.days} days, 101 pile ratios")
    print(f"{'strategy':<16}{'median s':>10}{'calls':>7}{'max P50':>9}{'max P95':>9}")
    for strategy in args.strategies:
        times = []
        for seed in range(args.repeat):
            start = time.perf_counter()
            result = timeseries_hosting(site, strategy=strategy, days=args.days, rng=seed)
            times.append(time.perf_counter() - start)
        print(
            f"{strategy:<16}{statistics.median(times):>10.2f}"
            f"{result.metadata['strategy_calls']:>7}"
            f"{result.max_pile_ratio_p50:>9.2f}{result.max_pile_ratio_p95:>9.2f}"
        )


if __name__ == "__main__":
    main()
