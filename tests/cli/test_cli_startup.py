"""A quick command imports only what it needs (whole-process speed, ``benchmarks/bench_cli.py``).

Each case runs the ``evgrid`` entry point in a fresh interpreter and lists the packages in
``sys.modules`` when it exits. The heavy ones must stay out of the commands that do not need
them: pandas, pyarrow, scipy, numba, rich, YAML, plotly, jinja2 and the web and service stacks
cost 0.02-0.5 s each to import, against about 0.1 s for numpy, the floor of any command. Timing
itself is the benchmark's job; these tests only keep the imports out.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = (
    "pandas",
    "pyarrow",
    "scipy",
    "numba",
    "llvmlite",
    "rich",
    "yaml",
    "plotly",
    "jinja2",
    "openpyxl",
    "fastapi",
    "uvicorn",
    "starlette",
    "pydantic",
    "ocpp",
    "websockets",
    "openleadr",
    "distributed",
    "highspy",
)
"""Packages no quick command imports."""
READERS = frozenset({"pyarrow"})
"""What reading a CSV file needs: ``evgrid.io`` parses every CSV with ``pyarrow.csv`` (one
reader; the small-file shortcut that skipped it was left out when the reader layer took every
encoding, see docs/benchmarks.md)."""
QUICK = tuple(p for p in HEAVY if p not in READERS)
"""Packages no command that reads a session file imports."""

RUN = """
import atexit, json, sys
atexit.register(lambda: print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})),
                              file=sys.__stderr__))
sys.argv = ['evgrid', *json.loads(sys.argv[1])]
from evgrid._entry import main
main()
"""


def _packages(args: list[str], cwd: Path) -> set[str]:
    """Top-level packages imported by ``evgrid ARGS`` (it must exit with status 0)."""
    run = subprocess.run(
        [sys.executable, "-c", RUN, json.dumps(args)],
        cwd=cwd,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    return set(json.loads(run.stderr.strip().splitlines()[-1]))


@pytest.fixture
def sessions(tmp_path: Path) -> Path:
    path = tmp_path / "s.csv"
    path.write_text(
        "arrival_h,departure_h,energy_kwh,max_power_kw\n"
        "18,31,12,8\n18.5,30,20,8\n19,32,9,4\n20.25,31.5,30,8\n"
    )
    return path


def test_help_imports_no_heavy_package(tmp_path: Path) -> None:
    assert _packages(["--help"], tmp_path).isdisjoint(HEAVY)


def test_edf_under_a_limit_imports_no_heavy_package(sessions: Path, tmp_path: Path) -> None:
    args = ["schedule", "--sessions", str(sessions), "--strategy", "edf", "--limit-kw", "16"]
    args += ["--out", str(tmp_path / "y.csv")]
    assert _packages(args, tmp_path).isdisjoint(QUICK)


def test_valley_filling_on_the_c_kernels_imports_no_heavy_package(
    sessions: Path, tmp_path: Path
) -> None:
    from evgrid.charging._oracle import c_kernels

    if c_kernels("c") is None:
        pytest.skip("the C kernels are not built: valley filling runs on numba")
    args = ["schedule", "--sessions", str(sessions), "--strategy", "valley-filling"]
    assert _packages([*args, "--out", str(tmp_path / "y.csv")], tmp_path).isdisjoint(QUICK)


def test_load_of_a_small_session_file_imports_no_heavy_package(
    sessions: Path, tmp_path: Path
) -> None:
    args = ["load", "--sessions", str(sessions), "--out", str(tmp_path / "x.csv")]
    assert _packages(args, tmp_path).isdisjoint(QUICK)
