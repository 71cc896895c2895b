"""V2G scheduling: each exact path's time on community-like nights, and the HiGHS QP's.

Sessions: the ``report`` behaviour preset's evening arrivals on a one-day (noon-to-noon) horizon
(sessions shifted by -12 h, as ``bench_schedule.py`` does); base load: the typical residential
curve at 1.3 kW per household peak, one household per car, rolled the same 12 h. Paths:
``kernel`` (lossless, no wear, no state-of-charge bound: the valley-filling kernel on the
reduction), ``losses`` (losses and wear: per-car water-filling, best responses in turn) and
``soc`` (the defaults: losses, wear and the state-of-charge reserve; the nested programme).

Run::

    python benchmarks/bench_v2g.py [--cars 100 300 1000] [--repeats 3] [--qp-max 300]

Prints sessions, the median time of each path [s], its sweeps, and the HiGHS QP's time (tests'
reference, ``tests/validation/v2g_reference.py``) up to ``--qp-max`` cars.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from evgrid.charging.v2g import level_price, v2g
from evgrid.demand.behaviour import Behaviour
from evgrid.demand.sampling import sample_sessions
from evgrid.load.shapes import typical_curve
from evgrid.sessions import Sessions
from evgrid.timegrid import TimeGrid

LOSSLESS = {"charge_efficiency": 1, "discharge_efficiency": 1, "wear_yuan_per_kwh": 0}
PATHS = {
    "kernel": {**LOSSLESS, "soc_bounds": False},
    "losses": {"soc_bounds": False},
    "soc": {},
}


def night(cars: int, seed: int = 1) -> tuple[Sessions, TimeGrid, np.ndarray]:
    s = sample_sessions(Behaviour.load("report"), cars, days=2, rng=seed)
    s = s.shifted(-12.0)
    keep = (s.arrival_h >= 0) & (s.arrival_h < 24)
    s = s.take(keep)
    s = Sessions(s.arrival_h, np.minimum(s.departure_h, 24.0), s.energy_kwh, s.max_power_kw)
    grid = TimeGrid(slot_min=15, n_days=1)
    base = typical_curve("residential", 1.3 * cars, 0.52 * cars, slot_min=15).on_grid(grid)
    return s, grid, np.roll(np.asarray(base), -48)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cars", type=int, nargs="+", default=[100, 300, 1000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--qp-max", type=int, default=300)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "validation"))
    print("cars sessions " + " ".join(f"{p:>14}" for p in PATHS) + "   HiGHS QP")
    for cars in args.cars:
        s, grid, base = night(cars)
        cells = []
        for options in PATHS.values():
            times, sweeps = [], 0
            for _ in range(args.repeats):
                t = time.perf_counter()
                r = v2g(s, grid, base, **options)
                times.append(time.perf_counter() - t)
                sweeps = r.sweeps
            cells.append(f"{statistics.median(times):8.3f} s ({sweeps:3d})")
        qp = "skipped"
        if cars <= args.qp_max:
            qp = f"{_qp_time(s, grid, base):.3f} s"
        print(f"{cars:4d} {len(s):8d} " + " ".join(cells) + f"   {qp}")


def _qp_time(s: Sessions, grid: TimeGrid, base: np.ndarray) -> float:
    from v2g_reference import v2g_qp, windows

    first, avail, energy = windows(s, grid)
    kappa = level_price(base, float(s.max_power_kw.sum()), 0.4934)
    t = time.perf_counter()
    v2g_qp(base, first, avail, s.max_power_kw, np.minimum(s.max_power_kw, 7.0), 0.933 * energy,
           None, slot_h=grid.slot_h, kappa=kappa, wear=0.15, eta_c=0.933, eta_d=0.933)  # fmt: skip
    return time.perf_counter() - t


if __name__ == "__main__":
    main()
