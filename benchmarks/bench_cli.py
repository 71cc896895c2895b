"""Whole-process times of the command line against its yardsticks: numpy, the HiGHS LP, ACN-Sim.

Each command runs as its own process, the way a user runs it, so the times include Python's
start-up, the imports and (for valley filling) loading the compiled kernels. The commands:

* ``evgrid --help`` (start-up), against ``python -c "import numpy"`` (the floor of any numpy
  program);
* ``evgrid load --sessions S3000.csv --out x.csv`` (3 000 sessions);
* ``evgrid schedule --sessions S10000.csv --strategy valley-filling --out y.csv``
  (10 000 sessions), against the same command with ``--strategy lp`` (HiGHS);
* ``evgrid schedule --sessions P600.csv --strategy edf|llf --limit-kw L --out z.csv`` (600
  sessions under a binding limit), against ACN-Sim's EDF/LLF simulation of the same instance
  (``benchmarks/acnsim_priority.py``, run by ``--acn-python``: an interpreter with
  ``acnportal`` installed, a benchmark-only install, not a dependency of evgrid).

The session files come from ``evgrid sample`` (home preset, seed 1; the first 3 000 and 10 000
sessions). They plug in in the evening and leave the next morning, so the horizon is two days (192
slots of 15 min), without a base load.

``P600.csv`` is the first 600 of those sessions made exact for both simulators: arrivals rounded
down and departures up to the 15-min slot, each pile 4 kW (16 A) or 8 kW (32 A) at 250 V (the
sampled 3.5 kW piles 4 kW, the faster ones 8 kW), energies in whole kWh (at least 1, at most
what the window holds). Every current, power and energy is then a multiple of 16 A (1 kWh a
slot): ACN-Sim's bisection for the last car served in a period lands on the exact rate (it stops
0.01 A short otherwise), both do the same exact arithmetic, and the schedules must be
identical, car by car and slot by slot (checked after the timing; the benchmark stops if they
are not). The limit ``L`` is the tightest at which an optimal schedule still charges every car:
the peak of valley filling on ``P600.csv``, rounded up to 4 kW (``--acn-limit-kw`` sets another).
EDF and LLF, which decide slot by slot without knowing later arrivals, leave some energy unmet
under it; the limit binds through the night.

The commands run in turn, round after round, after one untimed warm-up round (which absorbs
numba compiling its kernels once, where the C kernels are not built, and Python writing its
bytecode caches: ``PYTHONDONTWRITEBYTECODE`` is removed from the commands' environment, as a
user's Python caches bytecode). The LP runs in the first ``--lp-repeats`` rounds only, each run
bounded by ``--lp-timeout``; ACN-Sim in the first ``--acn-repeats`` rounds. The report gives the
median wall time of each command and its CPU time (user + system, from the operating system's
accounting of the finished child, which varies less on a shared machine), and the ratios of the
medians of whole processes. An LP run stopped by its bound gives a lower bound of its ratio, said
as such.

Run::

    python benchmarks/bench_cli.py [--repeats 15] [--lp-repeats 1] [--lp-timeout 600] [--no-lp]
        [--numba] [--acn-python /path/to/python] [--acn-repeats 3] [--acn-limit-kw L]

``--numba`` also times valley filling with ``EVGRID_KERNELS=numba`` (the numba kernels, the
fallback when the C extension is not built), in the same rounds. The ``evgrid`` script is the one
next to this Python (a virtual environment's ``bin/``), not a shim on ``PATH``. A benchmark-only
interpreter for ACN-Sim::

    python -m venv /tmp/acn && /tmp/acn/bin/pip install acnportal
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

SEED = 1
"""Seed of ``evgrid sample`` [-]."""
VEHICLES = 18_400
"""Vehicles sampled: the home preset gives about 0.55 sessions per vehicle and day, so about
10 100 sessions, of which the first 10 000 are kept [-]."""
PRIORITY_SESSIONS = 600
"""Sessions of the EDF/LLF instance [-]."""
SLOT_H = 0.25
"""Slot of both simulators, evgrid's default 15 min [h]."""
PILE_KW = (4.0, 8.0)
"""Pile powers of the EDF/LLF instance: 16 A and 32 A at 250 V [kW]."""
SLOW_PILE_BELOW_KW = 5.0
"""Sampled piles below this power become 4 kW piles, the others 8 kW [kW]."""
LIMIT_STEP_KW = 4.0
"""The limit is a whole number of 16 A steps [kW]."""
HERE = Path(__file__).resolve().parent


@dataclass
class Command:
    """One command line to time."""

    label: str
    args: list[str]
    env: dict[str, str] = field(default_factory=dict)
    timeout_s: float | None = None
    times: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    timed_out: bool = False

    def run(self, cwd: Path) -> None:
        """Run once; record its wall time and its CPU time (user + system) [s]. A failing
        command stops the benchmark; one past its time bound is stopped and noted."""
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env.update(self.env)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        try:
            done = subprocess.run(
                self.args,
                cwd=cwd,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                timeout=self.timeout_s,
            )
        except subprocess.TimeoutExpired:
            self.timed_out = True
            return
        elapsed = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0:
            sys.exit(f"{self.label}: exit {done.returncode}\n{done.stderr.decode()[-2000:]}")
        self.times.append(elapsed)
        self.cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)

    @property
    def median(self) -> float:
        return statistics.median(self.times)


def evgrid_script() -> str:
    """The ``evgrid`` console script beside this interpreter, else the one on ``PATH``."""
    here = Path(sys.executable).parent / "evgrid"
    found = str(here) if here.exists() else shutil.which("evgrid")
    if found is None:
        sys.exit("no evgrid script: install the project (pip install -e .)")
    return found


def session_files(evgrid: str, work: Path) -> None:
    """``S3000.csv``, ``S10000.csv`` (the first sessions of one ``evgrid sample`` file) and the
    EDF/LLF instance ``P600.csv``."""
    sample = work / "sample.csv"
    subprocess.run(
        [evgrid, "sample", "--n", str(VEHICLES), "--seed", str(SEED), "--out", str(sample)],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    lines = sample.read_text().splitlines(keepends=True)
    for n in (3_000, 10_000):
        if len(lines) <= n:
            sys.exit(f"evgrid sample gave {len(lines) - 1} sessions, fewer than {n}")
        (work / f"S{n}.csv").write_text("".join(lines[: n + 1]))
    with sample.open(newline="") as f:
        rows = list(csv.DictReader(f))[:PRIORITY_SESSIONS]
    with (work / "P600.csv").open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["arrival_h", "departure_h", "energy_kwh", "max_power_kw"])
        for row in rows:
            arrival = math.floor(float(row["arrival_h"]) / SLOT_H) * SLOT_H
            departure = math.ceil(float(row["departure_h"]) / SLOT_H) * SLOT_H
            slow = float(row["max_power_kw"]) < SLOW_PILE_BELOW_KW
            power = PILE_KW[0] if slow else PILE_KW[1]
            room = round((departure - arrival) / SLOT_H * power * SLOT_H)
            energy = min(max(round(float(row["energy_kwh"])), 1), room)
            out.writerow([repr(arrival), repr(departure), energy, repr(power)])


def tightest_limit_kw(evgrid: str, work: Path) -> float:
    """The peak of valley filling on ``P600.csv`` (the lowest limit under which an optimal
    schedule charges every car), rounded up to :data:`LIMIT_STEP_KW` [kW]."""
    done = subprocess.run(
        [
            evgrid,
            "schedule",
            "--sessions",
            "P600.csv",
            "--strategy",
            "valley-filling",
            "--out",
            "vf600.csv",
            "--json",
        ],
        cwd=work,
        check=True,
        capture_output=True,
        text=True,
    )
    peak = float(json.loads(done.stdout)["total_peak_kw"])
    return math.ceil(peak / LIMIT_STEP_KW - 1e-9) * LIMIT_STEP_KW


def check_identical(work: Path, acn_python: str, rule: str, limit_kw: float) -> int:
    """Stop unless evgrid's schedule of ``P600.csv`` equals ACN-Sim's, car by car and slot by
    slot (the command's output per slot, and the per-session schedules of
    :func:`evgrid.schedule`); the number of slots in which the limit binds."""
    import numpy as np

    import evgrid
    from evgrid.demand.io import read_sessions

    out = work / f"acn-{rule}-sessions.csv"
    subprocess.run(
        [
            acn_python,
            str(HERE / "acnsim_priority.py"),
            "--sessions",
            "P600.csv",
            "--rule",
            rule,
            "--limit-kw",
            repr(limit_kw),
            "--out",
            str(out),
            "--per-session",
        ],
        cwd=work,
        check=True,
    )
    with out.open(newline="") as f:
        acn = np.array([[float(v) for v in row[1:]] for row in list(csv.reader(f))[1:]]).T
    with (work / f"{rule}.csv").open(newline="") as f:
        command = np.array([float(r["charging_kw"]) for r in csv.DictReader(f)])
    sessions = read_sessions(work / "P600.csv")
    ours = evgrid.schedule(sessions, rule, limit_kw=limit_kw, per_session=True)
    assert ours.session_kw is not None
    dense = ours.session_kw.toarray()
    n = acn.shape[1]  # ACN-Sim stops at the last departure
    same = (
        dense.shape[0] == acn.shape[0]
        and not dense[:, n:].any()
        and np.array_equal(dense[:, :n], acn)
        and np.array_equal(command[:n], acn.sum(axis=0))
        and not command[n:].any()
    )
    if not same:
        diff = np.abs(dense[:, :n] - acn).max() if dense.shape[0] == acn.shape[0] else "shape"
        sys.exit(f"{rule}: evgrid's and ACN-Sim's schedules differ (largest gap {diff} kW)")
    return int(np.sum(command >= limit_kw - 1e-9))


def _row(cmd: Command, start: Command | None) -> str:
    """One line of the report; ``start``: the command whose median is the start-up."""
    spread = f"({min(cmd.times):.2f}-{max(cmd.times):.2f})"
    cpu = statistics.median(cmd.cpu)
    beyond = f"{cmd.median - start.median:8.3f}" if start is not None else " " * 8
    return (
        f"{cmd.label:44s} {len(cmd.times):4d} {cmd.median:8.3f} {spread:>14s} {cpu:7.3f} {beyond}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15, help="timed rounds")
    parser.add_argument("--lp-repeats", type=int, default=1, help="rounds that also run the LP")
    parser.add_argument(
        "--lp-timeout", type=float, default=600.0, help="stop an LP run after this [s]"
    )
    parser.add_argument("--no-lp", action="store_true", help="leave the LP out")
    parser.add_argument("--numba", action="store_true", help="also time the numba kernels")
    parser.add_argument("--acn-python", help="an interpreter with acnportal (ACN-Sim)")
    parser.add_argument("--acn-repeats", type=int, default=3, help="rounds that run ACN-Sim")
    parser.add_argument("--acn-limit-kw", type=float, help="limit of the EDF/LLF instance [kW]")
    opts = parser.parse_args()

    evgrid = evgrid_script()
    schedule = [evgrid, "schedule", "--sessions", "S10000.csv", "--out", "y.csv", "--strategy"]
    help_cmd = Command("evgrid --help", [evgrid, "--help"])
    numpy_cmd = Command("python -c 'import numpy'", [sys.executable, "-c", "import numpy"])
    valley = Command("valley filling, 10 000 sessions", [*schedule, "valley-filling"])
    commands = [
        numpy_cmd,
        help_cmd,
        Command(
            "load, 3 000 sessions", [evgrid, "load", "--sessions", "S3000.csv", "--out", "x.csv"]
        ),
        valley,
    ]
    if opts.numba:
        commands.append(
            Command(
                "valley filling, numba kernels",
                [*schedule, "valley-filling"],
                env={"EVGRID_KERNELS": "numba"},
            )
        )
    lp = None
    if not opts.no_lp:
        lp = Command("HiGHS LP, 10 000 sessions", [*schedule, "lp"], timeout_s=opts.lp_timeout)
    pairs: list[tuple[Command, Command]] = []

    with tempfile.TemporaryDirectory(prefix="evgrid-bench-cli-") as tmp:
        work = Path(tmp)
        session_files(evgrid, work)
        limit = None
        if opts.acn_python:
            limit = opts.acn_limit_kw or tightest_limit_kw(evgrid, work)
            for rule in ("edf", "llf"):
                ours = Command(
                    f"{rule}, 600 sessions, limit {limit:g} kW",
                    [
                        evgrid,
                        "schedule",
                        "--sessions",
                        "P600.csv",
                        "--strategy",
                        rule,
                        "--limit-kw",
                        repr(limit),
                        "--out",
                        f"{rule}.csv",
                    ],
                )
                theirs = Command(
                    f"ACN-Sim {rule}, the same",
                    [
                        opts.acn_python,
                        str(HERE / "acnsim_priority.py"),
                        "--sessions",
                        "P600.csv",
                        "--rule",
                        rule,
                        "--limit-kw",
                        repr(limit),
                        "--out",
                        f"acn-{rule}.csv",
                    ],
                )
                commands.append(ours)
                pairs.append((ours, theirs))
        for cmd in commands:  # warm-up round, not counted
            cmd.run(work)
            cmd.times.clear()
            cmd.cpu.clear()
        for r in range(opts.repeats):
            for cmd in commands:
                cmd.run(work)
            if lp is not None and r < opts.lp_repeats and not lp.timed_out:
                lp.run(work)
            if r < opts.acn_repeats:
                for _, theirs in pairs:
                    theirs.run(work)
        binding = {}
        if opts.acn_python and limit is not None:
            for rule in ("edf", "llf"):
                binding[rule] = check_identical(work, opts.acn_python, rule, limit)

    print(f"evgrid: {evgrid}")
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        "whole processes: wall median (min-max), CPU (user + system) median, and wall beyond "
        "start-up (the median of evgrid --help)"
    )
    head = ("command", "runs", "wall s", "(min-max)", "cpu s", "beyond")
    print(f"{head[0]:44s} {head[1]:>4s} {head[2]:>8s} {head[3]:>14s} {head[4]:>7s} {head[5]:>8s}")
    ours = [*commands[2:], *([lp] if lp is not None and lp.times else [])]
    for cmd in commands[:2]:
        print(_row(cmd, None))
    for cmd in ours:
        print(_row(cmd, help_cmd))
    for _, theirs in pairs:
        print(_row(theirs, None))
    print(f"evgrid --help / import numpy: {help_cmd.median / numpy_cmd.median:.2f}x")
    if lp is not None and lp.timed_out:
        bound = opts.lp_timeout / valley.median
        print(
            f"HiGHS LP / valley filling: at least {bound:.0f}x (a lower bound: the LP was "
            f"stopped after {opts.lp_timeout:g} s, not finished)"
        )
    elif lp is not None and lp.times:
        print(f"HiGHS LP / valley filling: {lp.median / valley.median:.0f}x")
    for ours, theirs in pairs:
        rule = ours.args[5]
        print(
            f"ACN-Sim / evgrid, {rule}: {theirs.median / ours.median:.0f}x (schedules identical, "
            f"car by car; the limit binds in {binding[rule]} slots)"
        )


if __name__ == "__main__":
    main()
