"""Whole-process times of the command line: start-up, uncontrolled load, valley filling, LP.

Each command runs as its own process, the way a user runs it, so the times include Python's
start-up, the imports and (for valley filling) loading the compiled kernels. The commands:

* ``evgrid --help`` (start-up),
* ``evgrid load --sessions S3000.csv --out x.csv`` (3 000 sessions),
* ``evgrid schedule --sessions S10000.csv --strategy valley-filling --out y.csv``
  (10 000 sessions),
* the same with ``--strategy lp`` (HiGHS), for the ratio.

The session files come from ``evgrid sample`` (home preset, seed 1; the first 3 000 and 10 000
sessions). They plug in in the evening and leave the next morning, so the horizon is two days (192
slots of 15 min), without a base load. The commands run in turn, round after round, after one
untimed warm-up round (which absorbs numba compiling its kernels once, where the C kernels are not
built). The report gives the median wall time of each command and its time beyond start-up (its
median minus the median of ``evgrid --help``), and the same for its CPU time (user + system, from
the operating system's accounting of the finished child), which varies less on a shared machine.

Run::

    python benchmarks/bench_cli.py [--repeats 15] [--lp-repeats 1] [--lp-timeout 600] [--no-lp]
        [--numba]

The LP on this two-night instance without a base load is slow (it had not finished after 30
minutes on the development machine), so it runs once, bounded by ``--lp-timeout``. ``--numba``
also times valley filling with ``EVGRID_KERNELS=numba`` (the numba kernels, the
fallback when the C extension is not built), in the same rounds. The ``evgrid`` script is the one
next to this Python (a virtual environment's ``bin/``), not a shim on ``PATH``.
"""

from __future__ import annotations

import argparse
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
        env = {**os.environ, **self.env}
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


def evgrid_script() -> str:
    """The ``evgrid`` console script beside this interpreter, else the one on ``PATH``."""
    here = Path(sys.executable).parent / "evgrid"
    found = str(here) if here.exists() else shutil.which("evgrid")
    if found is None:
        sys.exit("no evgrid script: install the project (pip install -e .)")
    return found


def session_files(evgrid: str, work: Path) -> None:
    """``S3000.csv`` and ``S10000.csv``: the first sessions of one ``evgrid sample`` file."""
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15, help="timed rounds")
    parser.add_argument("--lp-repeats", type=int, default=1, help="rounds that also run the LP")
    parser.add_argument(
        "--lp-timeout", type=float, default=600.0, help="stop an LP run after this [s]"
    )
    parser.add_argument("--no-lp", action="store_true", help="leave the LP out")
    parser.add_argument("--numba", action="store_true", help="also time the numba kernels")
    opts = parser.parse_args()

    evgrid = evgrid_script()
    schedule = [evgrid, "schedule", "--sessions", "S10000.csv", "--out", "y.csv", "--strategy"]
    help_cmd = Command("evgrid --help", [evgrid, "--help"])
    commands = [
        help_cmd,
        Command(
            "load, 3 000 sessions", [evgrid, "load", "--sessions", "S3000.csv", "--out", "x.csv"]
        ),
        Command("valley filling, 10 000 sessions", [*schedule, "valley-filling"]),
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

    with tempfile.TemporaryDirectory(prefix="evgrid-bench-cli-") as tmp:
        work = Path(tmp)
        session_files(evgrid, work)
        for cmd in commands:  # warm-up round, not counted
            cmd.run(work)
            cmd.times.clear()
            cmd.cpu.clear()
        for r in range(opts.repeats):
            for cmd in commands:
                cmd.run(work)
            if lp is not None and r < opts.lp_repeats and not lp.timed_out:
                lp.run(work)

    start = statistics.median(help_cmd.times)
    start_cpu = statistics.median(help_cmd.cpu)
    print(f"evgrid: {evgrid}")
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("wall: median (min-max) and beyond start-up; cpu: user + system, median and beyond")
    head = ("command", "runs", "wall s", "(min-max)", "beyond", "cpu s", "beyond")
    print(
        f"{head[0]:34s} {head[1]:>4s} {head[2]:>7s} {head[3]:>13s} {head[4]:>7s} "
        f"{head[5]:>7s} {head[6]:>7s}"
    )
    for cmd in [*commands, *([lp] if lp is not None and lp.times else [])]:
        med, cpu = statistics.median(cmd.times), statistics.median(cmd.cpu)
        beyond = "" if cmd is help_cmd else f"{med - start:.3f}"
        beyond_cpu = "" if cmd is help_cmd else f"{cpu - start_cpu:.3f}"
        spread = f"({min(cmd.times):.2f}-{max(cmd.times):.2f})"
        print(
            f"{cmd.label:34s} {len(cmd.times):4d} {med:7.3f} {spread:>13s} {beyond:>7s} "
            f"{cpu:7.3f} {beyond_cpu:>7s}"
        )
    valley = statistics.median(commands[2].times) - start
    if lp is not None and lp.timed_out:
        print(f"HiGHS LP, 10 000 sessions: stopped after {opts.lp_timeout:g} s (not finished)")
    if lp is not None and lp.times and valley > 0:
        ratio = (statistics.median(lp.times) - start) / valley
        print(f"LP / valley filling, beyond start-up: {ratio:.0f}x")


if __name__ == "__main__":
    main()
