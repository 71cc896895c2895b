"""``evgrid schedule``: every strategy, JSON summary, bad input (exit 2, one line, no file)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import evgrid.cli
from evgrid.demand.io import write_sessions
from evgrid.sessions import Sessions

runner = CliRunner()
KEYS = {"peak_kw", "total_peak_kw", "energy_requested_kwh", "energy_delivered_kwh", "unmet_kwh"}


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(evgrid.cli.app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    rng = np.random.default_rng(1)
    n = 80
    arr = rng.uniform(17, 21, n)
    s = Sessions(arr, arr + rng.uniform(9, 13, n), rng.uniform(5, 25, n), np.full(n, 7.0))
    sessions = tmp_path / "s.csv"
    write_sessions(s, sessions)
    base = tmp_path / "base.csv"
    pd.DataFrame({"power_kw": 100 + 20 * np.sin(np.arange(96) / 96 * 2 * np.pi)}).to_csv(
        base, index=False
    )
    return sessions, base


@pytest.mark.parametrize("strategy", ["uncontrolled", "tou", "valley-filling", "lp", "edf", "llf"])
def test_every_strategy(files: tuple[Path, Path], tmp_path: Path, strategy: str) -> None:
    sessions, base = files
    out = tmp_path / "out.csv"
    code, stdout, stderr = _run(
        "schedule", "--sessions", str(sessions), "--base-load", str(base),
        "--limit-kw", "600", "--strategy", strategy, "--out", str(out), "--json",
    )  # fmt: skip
    assert code == 0, stderr
    doc = json.loads(stdout)
    assert doc["kind"] == "schedule" and doc["request"]["strategy"] == strategy
    summary = doc["result"]
    assert set(summary) == KEYS
    table = pd.read_csv(out)
    assert len(table) == 96 * 2  # latest departure after midnight: two days
    assert summary["peak_kw"] == pytest.approx(table["charging_kw"].max(), rel=1e-6)
    assert summary["total_peak_kw"] == pytest.approx(table["total_kw"].max(), rel=1e-6)
    if strategy in ("edf", "llf"):
        assert summary["total_peak_kw"] <= 600 + 1e-6


def test_valley_beats_uncontrolled_and_participation(
    files: tuple[Path, Path], tmp_path: Path
) -> None:
    sessions, base = files
    peaks = {}
    for strategy, p in (("uncontrolled", "1"), ("valley-filling", "1"), ("valley-filling", "0.5")):
        code, stdout, _ = _run(
            "schedule", "--sessions", str(sessions), "--base-load", str(base),
            "--strategy", strategy, "--participation", p, "--seed", "2",
            "--out", str(tmp_path / "o.csv"), "--json",
        )  # fmt: skip
        assert code == 0
        peaks[(strategy, p)] = json.loads(stdout)["total_peak_kw"]
    assert peaks[("valley-filling", "1")] < peaks[("valley-filling", "0.5")]
    assert peaks[("valley-filling", "0.5")] < peaks[("uncontrolled", "1")]


def _bad_base(tmp_path: Path, values: list[float]) -> Path:
    p = tmp_path / "bad_base.csv"
    pd.DataFrame({"power_kw": values}).to_csv(p, index=False)
    return p


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--strategy", "fastest"], "strategy"),
        (["--strategy", "edf", "--participation", "1.5"], "participation"),
        (["--strategy", "edf", "--limit-kw", "10"], "limit"),
        (["--strategy", "edf", "--base-load", "WRONG_LENGTH"], "rows"),
        (["--strategy", "edf", "--base-load", "NAN"], "power_kw"),
    ],
)
def test_bad_input_one_line_exit_2_no_output(
    files: tuple[Path, Path], tmp_path: Path, extra: list[str], needle: str
) -> None:
    sessions, base = files
    extra = list(extra)
    if "WRONG_LENGTH" in extra:
        extra[extra.index("WRONG_LENGTH")] = str(_bad_base(tmp_path, [1.0] * 50))
    if "NAN" in extra:
        extra[extra.index("NAN")] = str(_bad_base(tmp_path, [1.0] * 95 + [float("nan")]))
    elif "--base-load" not in extra:
        extra += ["--base-load", str(base)]
    out = tmp_path / "never.csv"
    code, _stdout, stderr = _run("schedule", "--sessions", str(sessions), "--out", str(out), *extra)
    assert code == 2
    assert stderr.startswith("evgrid: error:") and stderr.count("\n") == 1
    assert needle in stderr
    assert not out.exists()
