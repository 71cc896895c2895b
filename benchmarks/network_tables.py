"""The balanced-versus-per-phase table of ``docs/network.md``, from the model.

The comparison feeder ``cn-feeder-4x25`` (630 kVA Dyn11, 4 feeders x 25 nodes, 12 m sections of
YJLV22-4x150, 300 single-phase households, 100 single-phase 7 kW piles -- one in three
households, every pile on phase a) over a year of 15-minute steps: households on the typical
residential day at the planning index, piles charging uncontrolled (``report`` behaviour, seed
2023). The same loads solved balanced (each bus's load split equally over its phases) and per
phase; then per phase again with the piles' phases assigned by evgrid (balanced beyond every
cable).

Usage: ``python3 benchmarks/network_tables.py [--days 365]``.
"""

from __future__ import annotations

import argparse
import dataclasses

import numpy as np
from bench_network import year_loads

from evgrid.network.phases import assign_phases
from evgrid.network.powerflow import LoadPoints
from evgrid.network.screening import StepLoads, screen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args()
    net, loads = year_loads("cn-feeder-4x25", args.days, None)
    rows = []
    for label, symmetric in (("balanced (symmetric)", True), ("per phase (asymmetric)", False)):
        ext = screen(net, dataclasses.replace(loads, symmetric=symmetric))
        rows.append((label, ext))
    fixed = assign_phases(net.with_piles(net.pile_bus, np.full(net.n_pile, -1), net.pile_kw))
    lp = LoadPoints.of(fixed)
    ext = screen(fixed, StepLoads(lp, loads.household_kw, loads.pile_kw))
    rows.append(("per phase, piles' phases assigned", ext))
    print(
        "| calculation | lowest voltage | highest cable loading | transformer loading (total) | "
        "transformer loading (most loaded phase) | voltage unbalance |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for label, e in rows:
        print(
            f"| {label} | {e.min_voltage_pu:.3f} pu | {e.max_cable_loading_pu:.2f} | "
            f"{e.max_transformer_total_pu:.2f} | {e.max_transformer_loading_pu:.2f} | "
            f"{e.max_voltage_unbalance_pct:.2f} % |"
        )


if __name__ == "__main__":
    main()
