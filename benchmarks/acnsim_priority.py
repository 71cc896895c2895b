"""ACN-Sim's EDF or LLF simulation of a session file: the yardstick of ``bench_cli.py``.

Runs in an interpreter that has ``acnportal`` (ACN-Sim; Lee et al., "ACN-Sim", IEEE Trans. Smart
Grid 2021) installed, a benchmark-only install that evgrid does not need::

    python -m venv /tmp/acn && /tmp/acn/bin/pip install acnportal
    /tmp/acn/bin/python benchmarks/acnsim_priority.py --sessions S.csv --rule edf \
        --limit-kw 200 --out acn.csv [--per-session]

The instance is the one ``evgrid schedule --strategy edf|llf --limit-kw X`` solves: one charging
station per session (registered in file order, so both simulators break ties of the priority key
by row), every station on one phase at ``VOLTAGE_V``, one site constraint of ``limit_kw`` on
their summed current, 15-minute periods from midnight of day 0, ACN-Sim's continuous ``EVSE``
and ideal ``Battery`` (its capacity the session's energy, its power the session's
``max_power_kw``). Arrivals and departures must fall on period boundaries. The script reads the
file with the standard library and writes one row per period: ``slot`` and ``charging_kw`` (the
summed charging power [kW]); with ``--per-session``, one column per session ``s<row>`` [kW]
instead of ``charging_kw``.
"""

from __future__ import annotations

import argparse
import csv
import sys
from datetime import datetime

import numpy as np
from acnportal import acnsim
from acnportal.algorithms import (
    SortedSchedulingAlgo,
    earliest_deadline_first,
    least_laxity_first,
)

VOLTAGE_V = 250.0
"""Station voltage [V]: 1 A is 0.25 kW, a power of two, so currents, powers and energies convert
exactly in binary floating point and both simulators do the same arithmetic."""
PERIOD_MIN = 15
"""ACN-Sim period [min] (evgrid's default slot)."""
RULES = {"edf": earliest_deadline_first, "llf": least_laxity_first}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", required=True)
    parser.add_argument("--rule", choices=sorted(RULES), required=True)
    parser.add_argument("--limit-kw", type=float, required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--per-session", action="store_true")
    opts = parser.parse_args()

    with open(opts.sessions, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    amps_per_kw = 1000.0 / VOLTAGE_V
    slots_per_h = 60 / PERIOD_MIN
    network = acnsim.ChargingNetwork()
    events = []
    for i, row in enumerate(rows):
        arrival = float(row["arrival_h"]) * slots_per_h
        departure = float(row["departure_h"]) * slots_per_h
        if arrival != int(arrival) or departure != int(departure):
            sys.exit(f"row {i + 1}: arrival and departure must fall on {PERIOD_MIN}-min periods")
        power_kw, energy_kwh = float(row["max_power_kw"]), float(row["energy_kwh"])
        station = f"s{i}"
        network.register_evse(acnsim.EVSE(station, max_rate=power_kw * amps_per_kw), VOLTAGE_V, 0)
        battery = acnsim.Battery(capacity=energy_kwh, init_charge=0.0, max_power=power_kw)
        ev = acnsim.EV(int(arrival), int(departure), energy_kwh, station, f"e{i}", battery)
        events.append(acnsim.PluginEvent(int(arrival), ev))
    network.add_constraint(
        acnsim.Current(network.station_ids), opts.limit_kw * amps_per_kw, name="site"
    )
    sim = acnsim.Simulator(
        network,
        SortedSchedulingAlgo(RULES[opts.rule]),
        acnsim.EventQueue(events),
        datetime(2024, 1, 1),
        period=PERIOD_MIN,
        verbose=False,
    )
    sim.run()
    kw = sim.charging_rates / amps_per_kw  # (stations, periods) [kW]
    with open(opts.out, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        if opts.per_session:
            out.writerow(["slot", *network.station_ids])
            out.writerows([t, *map(repr, kw[:, t].tolist())] for t in range(kw.shape[1]))
        else:
            out.writerow(["slot", "charging_kw"])
            total = np.sum(kw, axis=0)
            out.writerows([t, repr(float(v))] for t, v in enumerate(total))


if __name__ == "__main__":
    main()
