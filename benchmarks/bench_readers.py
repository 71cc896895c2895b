"""Speed of the strict table reader (``evgrid.io``) on session CSV files, and of ``evgrid load``.

Three measurements, each the median over fresh Python processes (so imports count):

1. ``read_session_file`` on N-row session CSVs: the import of the reader's engine
   (``pyarrow.csv`` + ``pyarrow.compute``, beyond numpy) and the read itself;
2. the same strict rules (field counts, number grammar, finite floats) with the standard
   library's ``csv`` module, the alternative engine, for comparison;
3. ``evgrid load`` on a 3 000-session file: the time from after ``import evgrid.cli`` (the CLI
   start-up) to the end of the command, in a fresh process.

Usage: ``python3 benchmarks/bench_readers.py [--rows 3000 1000000] [--repeats 5]``
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

READ = r"""
import sys, time
import numpy
t0 = time.perf_counter()
import pyarrow.compute, pyarrow.csv
t1 = time.perf_counter()
from evgrid.demand.io import read_session_file
t2 = time.perf_counter()
f = read_session_file(sys.argv[1])
t3 = time.perf_counter()
assert 'pandas' not in sys.modules
print(t1 - t0, t3 - t2, file=sys.stderr)
"""

STDLIB = r"""
import csv, re, sys, time
import numpy as np
NUMBER = re.compile(r"[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?")
t0 = time.perf_counter()
with open(sys.argv[1], newline="", encoding="utf-8") as f:
    rows = list(csv.reader(f, strict=True))
header, body = [c.strip() for c in rows[0]], rows[1:]
bad = [i for i, r in enumerate(body) if len(r) != len(header)]
assert not bad
columns = {}
for name, cells in zip(header, zip(*body)):
    cells = [c.strip() for c in cells]
    assert all(map(NUMBER.fullmatch, cells))
    values = np.array(cells, dtype=np.float64)
    assert np.isfinite(values).all()
    columns[name] = values
print(0.0, time.perf_counter() - t0, file=sys.stderr)
"""

LOAD = r"""
import sys, time
import evgrid.cli
t0 = time.perf_counter()
try:
    evgrid.cli.app(["load", "--sessions", sys.argv[1], "--out", sys.argv[2]],
                   standalone_mode=False)
except SystemExit:
    pass
print(0.0, time.perf_counter() - t0, file=sys.stderr)
"""


def _session_csv(path: Path, n_rows: int) -> None:
    rng = np.random.default_rng(1)
    arrival = rng.uniform(16.0, 22.0, n_rows)
    columns = [
        np.arange(n_rows),
        arrival,
        arrival + rng.uniform(8.0, 14.0, n_rows),
        rng.uniform(2.0, 30.0, n_rows),
        rng.choice([3.5, 7.0], n_rows),
    ]
    with path.open("w", encoding="utf-8") as f:
        f.write("vehicle,arrival_h,departure_h,energy_kwh,max_power_kw\n")
        for row in zip(*(c.tolist() for c in columns), strict=True):
            f.write(",".join(repr(v) for v in row) + "\n")


def _median(script: str, args: list[str], repeats: int) -> tuple[float, float]:
    runs = []
    for _ in range(repeats):
        out = subprocess.run(
            [sys.executable, "-c", script, *args], capture_output=True, text=True, check=True
        )
        runs.append([float(x) for x in out.stderr.strip().splitlines()[-1].split()])
    imports, work = zip(*runs, strict=True)
    return statistics.median(imports), statistics.median(work)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[3000, 1_000_000])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for n in args.rows:
            path = Path(folder) / f"s{n}.csv"
            _session_csv(path, n)
            repeats = args.repeats if n <= 100_000 else max(1, args.repeats // 2)
            imp, read = _median(READ, [str(path)], repeats)
            _, stdlib = _median(STDLIB, [str(path)], repeats)
            print(
                f"{n:>9,} rows: evgrid.io (pyarrow.csv) import {imp:.3f} s + read {read:.3f} s; "
                f"stdlib csv with the same rules {stdlib:.3f} s"
            )
        path = Path(folder) / "s3000.csv"
        if not path.exists():
            _session_csv(path, 3000)
        _, load = _median(LOAD, [str(path), str(Path(folder) / "out.csv")], args.repeats)
        print(f"evgrid load, 3 000 sessions: {load:.3f} s beyond the CLI start-up")


if __name__ == "__main__":
    main()
