"""Valley filling (Fujishige-Wolfe, exact) against the HiGHS minimum-peak LP.

Sessions: the home behaviour preset (part of evgrid.demand), one per vehicle and day, shifted by
-12 h so that the evening-to-morning windows fall on one 96-slot noon-to-noon day. Base load: the
typical residential curve, 1.3 kW per household peak (report planning index) and 40 % valley
(FACTS §3), one household per vehicle, rolled the same 12 h.

Run::

    python benchmarks/bench_schedule.py [--sizes 200 2000 20000 200000] [--lp-max 20000]

Sizes are vehicles; the home preset gives about 0.55 sessions per vehicle and day, so the
default sizes are about 10^2 ... 10^5 sessions.

Prints a table: sessions, valley-filling median time, LP median time (or "skipped"), ratio, and
the relative difference of the two peaks of base + charging.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings
from collections.abc import Callable
from typing import TypeVar

import numpy as np

from evgrid.charging.lp import min_peak_lp
from evgrid.charging.valley import valley_filling
from evgrid.demand.behaviour import Behaviour
from evgrid.demand.sampling import sample_sessions
from evgrid.load.shapes import typical_curve
from evgrid.timegrid import TimeGrid

PEAK_KW_PER_HOUSEHOLD = 1.3
"""Planning index of residential regular load [kW per household] (report, FACTS §3)."""
VALLEY_SHARE = 0.4
"""Valley as a share of the regular peak [-] (FACTS §3 table note: valley = 40 % of peak)."""
LP_BUDGET_S = 60.0
"""Skip the LP when its extrapolated time would exceed this [s] (issue 4 benchmark brief)."""


T = TypeVar("T")


def _median_time(fn: Callable[[], T], repeats: int) -> tuple[float, T]:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 2000, 20_000, 200_000])
    parser.add_argument(
        "--lp-max", type=int, default=20_000, help="largest vehicle count for the LP"
    )
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    grid = TimeGrid(15, 1)
    warnings.simplefilter("ignore")
    print(
        f"{'vehicles':>9} {'sessions':>9} {'valley s':>10} {'LP s':>10} {'ratio':>8}"
        f" {'peak rel diff':>14}"
    )
    last_lp: tuple[int, float] | None = None
    for n in args.sizes:
        sessions = sample_sessions(Behaviour.home(), n, 1, rng=n).shifted(-12.0)
        curve = typical_curve(
            "residential", PEAK_KW_PER_HOUSEHOLD * n, VALLEY_SHARE * PEAK_KW_PER_HOUSEHOLD * n
        )
        base = np.roll(curve.on_grid(grid), -grid.slot_of(12.0))
        reps = args.repeats if n <= 10_000 else max(1, args.repeats // 2)
        t_vf, vf = _median_time(lambda: valley_filling(sessions, grid, base), reps)  # noqa: B023
        peak_vf = float(vf.total_kw(base).max())
        too_slow = last_lp is not None and last_lp[1] * (n / last_lp[0]) ** 1.5 > LP_BUDGET_S
        if n > args.lp_max or too_slow:
            print(f"{n:>9} {len(sessions):>9} {t_vf:>10.4f} {'skipped':>10} {'-':>8} {'-':>14}")
            continue
        t_lp, (_, peak_lp) = _median_time(
            lambda: min_peak_lp(sessions, grid, base),  # noqa: B023
            3 if n <= 1000 else 1,
        )
        last_lp = (n, t_lp)
        rel = abs(peak_vf - peak_lp) / peak_lp
        print(
            f"{n:>9} {len(sessions):>9} {t_vf:>10.4f} {t_lp:>10.3f} {t_lp / t_vf:>8.1f}"
            f" {rel:>14.2e}"
        )


if __name__ == "__main__":
    main()
