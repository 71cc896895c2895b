"""Throughput of the demand engine: sampling + uncontrolled aggregation at 15 min.

Prints, for 10^4 .. 10^7 EV-days (vehicles x days, a behaviour preset), the median wall time of
sampling and of aggregation over repeats, EV-days per second, and the peak resident memory of
the process. Each size runs in its own child process pinned to one CPU core, so memory figures
do not mix and the figure is single-core.

Plain numpy in the same run: the median time to draw 8 uniform random numbers per EV-day with
``Generator.random`` (about what the sampler draws: 4 per car, 3 per session and one a day
driven), in the same chunks. The ratio sampling ÷ plain draws is the sampler's overhead over its
bare random numbers; it moves little when other jobs share the machine, the absolute figures do.

Usage::

    python benchmarks/bench_demand.py              # 10^4 .. 10^7
    python benchmarks/bench_demand.py --max-exp 6  # up to 10^6
    python benchmarks/bench_demand.py --days 7     # 10^k EV-days as vehicles x 7 days
    python benchmarks/bench_demand.py --preset elaadnl

Target: >= 5 million EV-days per second on one core, 10^7 EV-days within 4 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import warnings

REPEATS = {4: 21, 5: 11, 6: 7, 7: 3}
"""Repeats per size exponent (more for small sizes, where timer noise is larger)."""

DRAWS_PER_EV_DAY = 8
"""Uniform draws per EV-day of the plain-numpy reference [-]."""


def plain_draws(n_ev_days: int, seed: int, chunk: int) -> None:
    """Draw ``DRAWS_PER_EV_DAY`` uniforms per EV-day in chunks of ``chunk`` EV-days."""
    import numpy as np

    rng = np.random.default_rng(seed)
    for first in range(0, n_ev_days, chunk):
        rng.random((min(chunk, n_ev_days - first), DRAWS_PER_EV_DAY))


def child(n_ev_days: int, repeats: int, days: int, preset: str) -> dict[str, float]:
    """Time sampling and aggregation of ``n_ev_days`` EV-days; report medians and peak RSS."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    warnings.simplefilter("ignore")
    from evgrid.charging.uncontrolled import uncontrolled
    from evgrid.demand.behaviour import Behaviour
    from evgrid.demand.sampling import CHUNK_VEHICLES, sample_sessions
    from evgrid.timegrid import TimeGrid

    behaviour = Behaviour.preset(preset)
    grid = TimeGrid(slot_min=15, n_days=days + 1)  # the sampled days and the morning after
    n_vehicles = n_ev_days // days
    uncontrolled(sample_sessions(behaviour, 1000, rng=0), grid)  # warm-up
    sample_s, aggregate_s, plain_s, n_sessions = [], [], [], 0
    for seed in range(repeats):
        t = time.perf_counter()
        plain_draws(n_ev_days, seed, CHUNK_VEHICLES)
        plain_s.append(time.perf_counter() - t)
        t0 = time.perf_counter()
        sessions = sample_sessions(behaviour, n_vehicles, days=days, rng=seed)
        t1 = time.perf_counter()
        schedule = uncontrolled(sessions, grid)
        t2 = time.perf_counter()
        sample_s.append(t1 - t0)
        aggregate_s.append(t2 - t1)
        n_sessions = len(sessions)
        del sessions, schedule
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    total = [a + b for a, b in zip(sample_s, aggregate_s, strict=True)]
    return {
        "n": n_ev_days,
        "sessions": n_sessions,
        "sample_s": statistics.median(sample_s),
        "aggregate_s": statistics.median(aggregate_s),
        "total_s": statistics.median(total),
        "plain_s": statistics.median(plain_s),
        "peak_rss_mb": rss_kb / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min-exp", type=int, default=4)
    parser.add_argument("--max-exp", type=int, default=7)
    parser.add_argument("--days", type=int, default=1, help="days per vehicle (EV-days / days)")
    parser.add_argument("--preset", default="home", help="behaviour preset")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        n, repeats, days, preset = args.child
        print(json.dumps(child(int(n), int(repeats), int(days), preset)))
        return
    print(
        f"{'EV-days':>10} {'sessions':>10} {'sample s':>9} {'aggr. s':>8} {'total s':>8} "
        f"{'EV-days/s':>11} {'peak RSS MB':>11} {'numpy s':>8} {'sample/numpy':>12}"
    )
    for exp in range(args.min_exp, args.max_exp + 1):
        n = 10**exp
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                str(n),
                str(REPEATS.get(exp, 3)),
                str(args.days),
                args.preset,
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{n:>10,} {r['sessions']:>10,} {r['sample_s']:>9.4f} {r['aggregate_s']:>8.4f} "
            f"{r['total_s']:>8.4f} {n / r['total_s']:>11,.0f} {r['peak_rss_mb']:>11,.0f} "
            f"{r['plain_s']:>8.4f} {r['sample_s'] / r['plain_s']:>12.2f}",
            flush=True,
        )
    print(
        f"medians of repeats; one core; {args.preset} preset, {args.days} day(s) a vehicle, "
        f"15-min slots; numpy: {DRAWS_PER_EV_DAY} uniform draws per EV-day"
    )


if __name__ == "__main__":
    main()
