"""Speed and exactness of a year of three-phase power flow: evgrid's screen (+ Newton-Raphson on
the extremes) beside the peers measured in the same run.

Networks: the comparison feeder ``cn-feeder-4x25`` (101 buses: a 630 kVA Dyn11 unit, 4 x 25
nodes, 300 households, 100 single-phase 7 kW piles on phase a) and the IEEE European LV test
feeder (906 buses, 55 customers, a pile on every third). Loads: a year of 15-minute steps
(35 040): the typical residential day per household (1.3 kW at the evening peak) and each pile's
uncontrolled charging from the Monte Carlo fleet (``report`` behaviour, seed 2023).

Peers on the same loads: power-grid-model's batch calculation (asymmetric, one thread) with
Newton-Raphson, iterative current and linear; OpenDSS (opendssdirect.py) in its native yearly
mode with one load shape per load. pandapower is not run: its three-phase power flow
(``runpp_3ph``) has no time-series driver and takes about a tenth of a second per step on such a
feeder (the issue measured 53 min for a year), so it is left out rather than extrapolated.

Exactness: the largest difference, over every element's extreme, between evgrid's reported
extremes and those of power-grid-model's full Newton-Raphson over every step.

Usage: ``python3 benchmarks/bench_network.py [--repeats 3] [--days 365] [--skip-ieee-nr]
[--only-evgrid]``.
Prints median CPU seconds (wall seconds in brackets) and the load average.
"""

from __future__ import annotations

import os

# one thread each, BLAS included: OpenBLAS's idle threads spin after each call and would add
# about a second of CPU time to every measurement that touches numpy's matrix products
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from evgrid.network.fleet import Fleet, own_pile_spaces, pile_profiles  # noqa: E402
from evgrid.network.formats import bundled  # noqa: E402
from evgrid.network.powerflow import LoadPoints  # noqa: E402
from evgrid.network.reference import pgm_extremes  # noqa: E402
from evgrid.network.screening import StepLoads, screen  # noqa: E402


def year_loads(name: str, days: int, ratio: float | None) -> tuple[object, StepLoads]:
    net = bundled(name)
    fleet = Fleet.build(net, days, np.random.default_rng(2023), "report")  # as documented above
    if ratio is None:  # the network's own piles, one space each
        spaces = own_pile_spaces(fleet, net)
    else:
        net, spaces = fleet.piles_at(ratio)
    piles = pile_profiles(fleet, net, spaces, "uncontrolled", np.random.default_rng(1))
    ev = fleet.eval_slice
    loads = StepLoads(LoadPoints.of(net), fleet.household_kw[ev], np.ascontiguousarray(piles[ev]))
    return net, loads


def timed(fn, repeats: int) -> tuple[float, object]:
    """Median CPU time of this process over the repeats [s] (one core: every solver here runs
    on one thread; CPU time is what a machine shared with other jobs does not inflate much),
    and the last result; the wall time is printed beside it."""
    times, walls, out = [], [], None
    for _ in range(repeats):
        t0, w0 = time.process_time(), time.perf_counter()
        out = fn()
        times.append(time.process_time() - t0)
        walls.append(time.perf_counter() - w0)
    timed.wall = statistics.median(walls)  # type: ignore[attr-defined]
    return statistics.median(times), out


def worst_difference(a, b) -> float:
    pairs = [
        (a.vmin_pu, b.vmin_pu),
        (a.vmax_pu, b.vmax_pu),
        (a.cable_loading_pu, b.cable_loading_pu),
        (a.unit_loading_pu, b.unit_loading_pu),
    ]
    return max(float(np.nanmax(np.abs(x - y))) for x, y in pairs)


def opendss_yearly(net, loads: StepLoads) -> float:
    """OpenDSS's native yearly solve of the same loads (one load shape per load) [s]."""
    import opendssdirect as dss

    lp = loads.lp
    mv_v = net.mv_kv * 1e3
    z = mv_v**2 / (net.source_sk_mva * 1e6)
    r, x = z * net.source_rx / np.hypot(1, net.source_rx), z / np.hypot(1, net.source_rx)
    u = net.units[0]
    cmd = dss.Text.Command
    cmd("clear")
    cmd(
        f"new circuit.c basekv={net.mv_kv} pu={net.source_voltage_pu} bus1=src "
        f"Z1=[{r:.17g}, {x:.17g}] Z0=[{r:.17g}, {x:.17g}]"
    )
    cmd(
        f"new transformer.t1 phases=3 windings=2 buses=[src, b{u.bus}] conns=[delta, wye] "
        f"kvs=[{u.primary_kv}, {u.secondary_v / 1e3}] kvas=[{u.rating_kva}, {u.rating_kva}] "
        f"%loadloss={u.r_pu * 100:.17g} xhl={u.x_pu * 100:.17g} %noloadloss=0 %imag=0"
    )
    for k in range(net.n_cable):
        cmd(
            f"new line.l{k} bus1=b{net.from_bus[k]}.1.2.3 bus2=b{net.to_bus[k]}.1.2.3 "
            f"r1={net.r1_ohm[k]:.17g} x1={net.x1_ohm[k]:.17g} r0={net.r0_ohm[k]:.17g} "
            f"x0={net.x0_ohm[k]:.17g} c1=0 c0=0 length=1 units=none"
        )
    kv = net.nominal_v / 1e3 / np.sqrt(3)
    s = loads.power(slice(None))
    n = s.shape[0]
    for k in range(lp.size):
        peak = float(np.abs(s[:, k]).max()) or 1.0
        cmd(f"new loadshape.s{k} npts={n} minterval=15")
        dss.LoadShape.Name(f"s{k}")
        dss.LoadShape.PMult((s[:, k].real / peak).tolist())
        dss.LoadShape.QMult((s[:, k].imag / peak).tolist())
        cmd(
            f"new load.p{k} bus1=b{lp.bus[k]}.{lp.phase[k] + 1} phases=1 kv={kv:.17g} "
            f"kw={peak / 1e3:.17g} kvar={peak / 1e3:.17g} model=1 vminpu=0.5 vmaxpu=1.5 "
            f"yearly=s{k}"
        )
    cmd(f"set voltagebases=[{net.mv_kv}, {net.nominal_v / 1e3}]")
    cmd("calcvoltagebases")
    cmd(f"set mode=yearly number={n} stepsize=15m")
    t0, w0 = time.process_time(), time.perf_counter()
    dss.Solution.Solve()
    timed.wall = time.perf_counter() - w0  # type: ignore[attr-defined]
    return time.process_time() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--skip-ieee-nr", action="store_true")
    parser.add_argument("--only-evgrid", action="store_true", help="skip every peer")
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    print(f"load average before: {os.getloadavg()}")
    for name, ratio, peers in (("cn-feeder-4x25", None, True), ("ieee-eu-lv", 1 / 3, False)):
        net, loads = year_loads(name, args.days, ratio)
        steps = loads.n_steps
        print(f"\n{name}: {net.n_bus} buses, {net.n_pile} piles, {steps} steps, asymmetric")
        screen(net, StepLoads(loads.lp, loads.household_kw[:8], loads.pile_kw[:8]))  # compile
        t_ours, ours = timed(lambda net=net, loads=loads: screen(net, loads), args.repeats)
        print(
            f"  evgrid screen + NR on extremes  {t_ours:8.2f} s ({timed.wall:6.2f})  "
            f"({ours.verified_steps.size} steps verified, bound {ours.bound_pu:.1e} pu, "
            f"screen vs NR {ours.screen_error_pu:.1e} pu)"
        )
        print(
            f"    lowest voltage {ours.min_voltage_pu:.4f} pu, highest cable loading "
            f"{ours.max_cable_loading_pu:.3f}, transformer {ours.max_transformer_loading_pu:.3f}"
        )
        if args.only_evgrid:
            continue
        if peers or not args.skip_ieee_nr:
            t_nr, full = timed(lambda net=net, loads=loads: pgm_extremes(net, loads), 1)
            print(
                f"  power-grid-model Newton-Raphson {t_nr:8.2f} s ({timed.wall:6.2f})  "
                f"(evgrid's extremes differ by at most {worst_difference(ours, full):.1e} pu)"
            )
        if peers:
            for method in ("iterative_current", "linear"):
                t, res = timed(
                    lambda m=method, net=net, loads=loads: pgm_extremes(net, loads, method=m), 1
                )
                print(
                    f"  power-grid-model {method:<15}{t:8.2f} s ({timed.wall:6.2f})  "
                    f"(lowest voltage {res.min_voltage_pu:.4f} pu)"
                )
            t_dss = opendss_yearly(net, loads)
            print(f"  OpenDSS native yearly           {t_dss:8.2f} s ({timed.wall:6.2f})")
    print(f"\nload average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
