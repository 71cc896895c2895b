"""``evgrid schedule --strategy v2g``: the same JSON summary as every strategy, a shaved peak."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from typer.testing import CliRunner

import evgrid.cli
from evgrid.demand.io import write_sessions
from evgrid.sessions import Sessions

runner = CliRunner()


def test_schedule_v2g_json(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    n = 30
    arrival = rng.uniform(17, 20, n)
    s = Sessions(arrival, arrival + rng.uniform(10, 13, n), rng.uniform(3, 15, n), np.full(n, 7.0))
    sessions = tmp_path / "s.csv"
    write_sessions(s, sessions)
    base = tmp_path / "base.csv"
    hours = np.arange(192) / 4
    pd.DataFrame({"power_kw": 300 + 150 * np.sin((hours - 14) / 24 * 2 * np.pi)}).to_csv(
        base, index=False
    )
    docs, evening = {}, {}
    for strategy in ("valley-filling", "v2g"):
        out = tmp_path / f"{strategy}.csv"
        result = runner.invoke(
            evgrid.cli.app,
            ["schedule", "--sessions", str(sessions), "--base-load", str(base),
             "--strategy", strategy, "--out", str(out), "--json"],
        )  # fmt: skip
        assert result.exit_code == 0, result.stderr
        docs[strategy] = json.loads(result.stdout)
        evening[strategy] = pd.read_csv(out)["total_kw"][:96].max()  # the first day's peak
    assert set(docs["v2g"]) == set(docs["valley-filling"])
    assert evening["v2g"] < evening["valley-filling"] - 1.0
    assert docs["v2g"]["unmet_kwh"] < 1e-9
