"""Derive and store a basis's coincidence curve: the index tier's design demand per pile.

For a basis's residential behaviour, samples ``--cars`` cars over ``--days`` Monte Carlo days,
charges them uncontrolled and records, for every pile count of
:data:`evgrid.planning.design_curve.CURVE_COUNTS`, the mean and the 95th percentile over days of
the daily maximum per pile (with a bootstrap interval), the 95th-percentile energy per pile and
day, and the daily shapes (:func:`evgrid.planning.design_curve.derive_curve`). Writes
``src/evgrid/data/coincidence/<basis>.csv`` and ``<basis>_profile.csv`` with the provenance in
their header (basis, behaviour, seed, cars, days, evgrid version and commit, date).

Usage (from the repository root)::

    python tools/coincidence_curve.py                      # every bundled basis with index: curve
    python tools/coincidence_curve.py --basis design       # one
    python tools/coincidence_curve.py --basis my_basis.yaml --out my_curve.csv
"""

from __future__ import annotations

import argparse
import dataclasses
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from evgrid import __version__
from evgrid.city.sites import read_sites
from evgrid.city.synth import synth_city, write_city
from evgrid.demand.behaviour import Behaviour
from evgrid.planning.basis import basis_names, load_basis
from evgrid.planning.design_curve import bundled_curve, derive_curve, write_curve
from evgrid.planning.reconcile import city_tier_check

FIT_CITY_SITES = 1000
"""Sites of the synthetic city the design day is fitted on [-]."""
FIT_CITY_SEED = 5
"""Its seed (the tests check the fit on another city)."""
FIT_QUANTILES = np.arange(85.0, 99.01, 0.5)
"""Design days tried [percentile]."""

FOLDER = Path(__file__).resolve().parents[1] / "src" / "evgrid" / "data" / "coincidence"


def commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return out.stdout.strip()


def fit_design_day(basis: object) -> tuple[float, float, float]:
    """The design day (percentile) whose index answers are closest to the time-series tier's on
    a synthetic city: least mean absolute difference of the largest pile ratio."""
    bundled_curve.cache_clear()
    with tempfile.TemporaryDirectory() as folder:
        path = f"{folder}/city.csv"
        write_city(synth_city(FIT_CITY_SITES, rng=FIT_CITY_SEED), path)
        sites = [s for s in read_sites(path).sites if s.kind == "residential"]
    check = city_tier_check(sites, basis=basis, quantiles=FIT_QUANTILES)
    diff = check.index_ratio - check.ts_ratio[None, :]
    mad = np.abs(diff).mean(axis=1)
    best = int(np.argmin(mad))
    return float(check.quantiles[best]), float(diff[best].mean()), float(mad[best])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--basis", action="append", help="basis name or file (repeatable)")
    parser.add_argument("--cars", type=int, default=5000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, help="output CSV (one basis only)")
    args = parser.parse_args()
    names = args.basis or [n for n in basis_names() if load_basis(n).index == "curve"]
    for name in names:
        basis = load_basis(name)
        t0 = time.perf_counter()
        curve = derive_curve(
            Behaviour.load(basis.behaviour_residential),
            n_cars=args.cars,
            days=args.days,
            rng=args.seed,
            provenance={
                "basis": basis.name,
                "behaviour": basis.behaviour_residential,
                "evgrid": __version__,
                "commit": commit(),
                "command": f"python tools/coincidence_curve.py --basis {name} --cars "
                f"{args.cars} --days {args.days} --seed {args.seed}",
            },
        )
        out = args.out or FOLDER / f"{basis.name}.csv"
        write_curve(curve, out)
        if args.out is None:  # a bundled basis: fit its design day against the time series
            for base_load in ("seasonal", "typical-day"):
                q, mean, mad = fit_design_day(dataclasses.replace(basis, base_load=base_load))
                curve.provenance[f"design_quantile_{base_load}"] = f"{q:g}"
                curve.provenance[f"fit_{base_load}"] = (
                    f"synthetic city of {FIT_CITY_SITES} sites (seed {FIT_CITY_SEED}): index minus "
                    f"time series {mean:+.4f} on average, {mad:.4f} mean absolute"
                )
            write_curve(curve, out)
            bundled_curve.cache_clear()
        print(f"{basis.name}: {out} ({time.perf_counter() - t0:.1f} s)")
        for key, value in curve.provenance.items():
            if key.startswith(("design_quantile", "fit_")):
                print(f"  {key}: {value}")
        for n, mean, p95 in zip(curve.n_piles, curve.peak_kw_mean, curve.peak_kw_p95, strict=True):
            if n in (1, 10, 100, 500, 1000, 5000):
                print(f"  {n:5d} piles: ADMD {mean:.2f} kW/pile, 95th-percentile day {p95:.2f}")


if __name__ == "__main__":
    main()
