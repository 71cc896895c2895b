"""Valley filling (Fujishige-Wolfe, exact) against the HiGHS minimum-peak LP.

Sessions: the home behaviour preset (part of evgrid.demand), one per vehicle and day, shifted by
-12 h so that the evening-to-morning windows fall on one 96-slot noon-to-noon day. Base load: the
typical residential curve, 1.3 kW per household peak (report planning index) and 40 % valley
(report section 3.1), one household per vehicle, rolled the same 12 h.

Run::

    python benchmarks/bench_schedule.py [--sizes 200 2000 20000 200000] [--lp-max 20000]
        [--repeats 5] [--baseline OLD_VALLEY.py] [--days 1]

Sizes are vehicles; the home preset gives about 0.55 sessions per vehicle and day, so the
default sizes are about 10^2 ... 10^5 sessions. ``--days 2`` samples two days of sessions on a
two-day (192-slot) horizon, the per-block shape the hosting engine solves many times (e.g.
``--sizes 680 --days 2`` gives about 750 sessions).

Prints a table: sessions, valley-filling median time, LP median time (or "skipped"), ratio, and
the relative difference of the two peaks of base + charging. With ``--baseline`` (a copy of an
earlier ``valley.py``), that version's ``valley_filling`` is timed too, interleaved run by run
with the current one (the machine is shared: back-to-back medians are the fair comparison), and
two more columns give its median and the speed-up.

The issue's target is for one core, so BLAS/LAPACK threads are pinned to one (set the
``OPENBLAS_NUM_THREADS`` / ``OMP_NUM_THREADS`` environment variables to override). The Wolfe loop
itself is compiled and single-threaded: the C kernels, or (``EVGRID_KERNELS=numba``, or where they
were not built) the numba kernels, whose first call in a fresh installation compiles them (10-15
s, cached afterwards); an untimed warm-up run of each size absorbs that.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # before numpy is imported

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import TypeVar  # noqa: E402

import numpy as np  # noqa: E402

from evgrid.charging.lp import min_peak_lp  # noqa: E402
from evgrid.charging.schedule import Schedule  # noqa: E402
from evgrid.charging.valley import valley_filling  # noqa: E402
from evgrid.demand.behaviour import Behaviour  # noqa: E402
from evgrid.demand.sampling import sample_sessions  # noqa: E402
from evgrid.load.shapes import typical_curve  # noqa: E402
from evgrid.timegrid import TimeGrid  # noqa: E402

PEAK_KW_PER_HOUSEHOLD = 1.3
"""Planning index of residential regular load [kW per household] (report)."""
VALLEY_SHARE = 0.4
"""Valley as a share of the regular peak [-] (report tables 1-3: valley = 40 % of peak)."""
LP_BUDGET_S = 60.0
"""Skip the LP when its extrapolated time would exceed this [s]: a run takes minutes, not hours."""


T = TypeVar("T")


def _median_time(fn: Callable[[], T], repeats: int) -> tuple[float, T]:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def _interleaved(fns: list[Callable[[], T]], repeats: int) -> list[tuple[float, T]]:
    """Median wall time of each function, run in turn ``repeats`` times [s], and its output."""
    times: list[list[float]] = [[] for _ in fns]
    outs: list[T] = []
    for r in range(repeats):
        for j, fn in enumerate(fns):
            t0 = time.perf_counter()
            out = fn()
            times[j].append(time.perf_counter() - t0)
            if r == 0:
                outs.append(out)
    return [(statistics.median(t), o) for t, o in zip(times, outs, strict=True)]


def _load_baseline(path: str) -> Callable[..., Schedule]:
    """``valley_filling`` from another copy of ``valley.py`` (its imports must resolve)."""
    spec = importlib.util.spec_from_file_location("_valley_baseline", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"bench_schedule: cannot load --baseline {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    fn: Callable[..., Schedule] = module.valley_filling
    return fn


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 2000, 20_000, 200_000])
    parser.add_argument(
        "--lp-max", type=int, default=20_000, help="largest vehicle count for the LP"
    )
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--baseline", help="path of an earlier valley.py to time back to back")
    parser.add_argument("--days", type=int, default=1, help="horizon length [days]")
    args = parser.parse_args()
    baseline = _load_baseline(args.baseline) if args.baseline else None
    grid = TimeGrid(15, args.days)
    warnings.simplefilter("ignore")
    extra = f" {'baseline s':>11} {'speed-up':>9}" if baseline else ""
    print(
        f"{'vehicles':>9} {'sessions':>9} {'valley s':>10} {'LP s':>10} {'ratio':>8}"
        f" {'peak rel diff':>14}{extra}"
    )
    last_lp: tuple[int, float] | None = None
    for n in args.sizes:
        sessions = sample_sessions(Behaviour.home(), n, args.days, rng=n).shifted(-12.0)
        curve = typical_curve(
            "residential", PEAK_KW_PER_HOUSEHOLD * n, VALLEY_SHARE * PEAK_KW_PER_HOUSEHOLD * n
        )
        base = np.roll(curve.on_grid(grid), -grid.slot_of(12.0))
        reps = args.repeats if n <= 10_000 else max(1, args.repeats // 2)
        fns: list[Callable[[], Schedule]] = [lambda: valley_filling(sessions, grid, base)]  # noqa: B023
        if baseline is not None:
            fns.append(lambda: baseline(sessions, grid, base))  # noqa: B023
        for fn in fns:  # untimed warm-up: loads the kernels (numba's: compiles them once)
            fn()
        timed = _interleaved(fns, reps)
        t_vf, vf = timed[0]
        peak_vf = float(vf.total_kw(base).max())
        extra = ""
        if baseline is not None:
            t_old, old = timed[1]
            assert abs(float(old.total_kw(base).max()) - peak_vf) <= 1e-9 * peak_vf
            extra = f" {t_old:>11.4f} {t_old / t_vf:>9.2f}"
        too_slow = last_lp is not None and last_lp[1] * (n / last_lp[0]) ** 1.5 > LP_BUDGET_S
        if n > args.lp_max or too_slow:
            print(
                f"{n:>9} {len(sessions):>9} {t_vf:>10.4f} {'skipped':>10} {'-':>8} {'-':>14}"
                + extra
            )
            continue
        t_lp, (_, peak_lp) = _median_time(
            lambda: min_peak_lp(sessions, grid, base),  # noqa: B023
            3 if n <= 1000 else 1,
        )
        last_lp = (n, t_lp)
        rel = abs(peak_vf - peak_lp) / peak_lp
        print(
            f"{n:>9} {len(sessions):>9} {t_vf:>10.4f} {t_lp:>10.3f} {t_lp / t_vf:>8.1f}"
            f" {rel:>14.2e}{extra}"
        )


if __name__ == "__main__":
    main()
