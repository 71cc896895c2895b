"""One answer a planner can act on: the recommendation, its interval, what binds, what moves it."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import evgrid
import evgrid.cli
from evgrid.grid.site import report_cases
from evgrid.planning.reproduce import reproduce
from evgrid.planning.sensitivity import hosting_sensitivity, plug_in_intervals
from evgrid.report.figures import tornado_figure
from evgrid.report.tables import comparison_table, recommendation_table

warnings.filterwarnings("ignore", message=".*104.2 %.*")
CASES = report_cases()
ROOT = Path(__file__).resolve().parents[2]


def test_every_answer_leads_with_its_recommendation() -> None:
    for method in ("index", "timeseries"):
        r = (
            evgrid.hosting(CASES["B"], method=method, days=10, rng=1)
            if method == "timeseries"
            else (evgrid.hosting(CASES["B"]))
        )
        doc = json.loads(json.dumps(r.to_dict()))
        assert list(doc)[:7] == [
            "basis",
            "band",
            "recommended_pile_ratio",
            "recommended_piles",
            "interval",
            "binding",
            "unmet_share",
        ]
        assert doc["basis"] == "design" and doc["band"] == "p95"
        assert doc["recommended_pile_ratio"] == doc["max_pile_ratio_p95"]
        low, high = doc["interval"]
        assert low <= doc["recommended_pile_ratio"] <= high
        assert doc["binding"] == "transformer loading"
        assert 0.0 <= doc["unmet_share"] < 0.02
        assert "max_pile_ratio_p50" in doc and "curve" in doc  # the documented keys stay
    report = evgrid.hosting(CASES["B"], basis="report")
    assert report.interval is None and report.recommended_interval == (
        report.recommended_pile_ratio,
        report.recommended_pile_ratio,
    )


def test_what_binds() -> None:
    a = evgrid.hosting(CASES["A"], strategy="orderly", basis="report")
    assert a.binding == "parking spaces"  # A hosts every space: the spaces bind
    full = CASES["B"].__class__(
        name="full", households=100, parking_spaces=50, transformer_kva=100.0,
        regular_peak_kw=95.0, built=2005,
    )  # fmt: skip
    r = evgrid.hosting(full)
    assert r.recommended_pile_ratio == 0.0 and r.binding == "regular load"
    table = recommendation_table([a, r], "en")
    assert table.rows[0][4].startswith("parking spaces") and "regular load" in table.rows[1][4]


def test_the_interval_halves_when_the_days_quadruple() -> None:
    # days are independent draws on the report basis (one typical day): the bootstrap interval
    # of the 95th-percentile answer shrinks as 1 / sqrt(days), within Monte Carlo noise
    widths = []
    for seed in (1, 2, 3, 4):
        pair = []
        for days in (60, 240):
            r = evgrid.hosting(CASES["B"], method="timeseries", days=days, rng=seed, basis="report")
            low, high = r.metadata["interval_raw"]
            pair.append(high - low)
        widths.append(pair)
    short, long = np.mean(widths, axis=0)
    assert 0.3 < long / short < 0.7  # 1 / sqrt(4) = 0.5


def test_the_sensitivity_names_the_top_driver_for_b() -> None:
    rows = hosting_sensitivity(CASES["B"], days=30, rng=1)
    assert rows[0]["input"] == "behaviour"  # the demand assumption moves B most
    effects = [max(abs(r["high"] - r["low"]), abs(r["high"] - r["base"]), abs(r["low"] - r["base"]))
               for r in rows]  # fmt: skip
    assert effects == sorted(effects, reverse=True)
    names = {r["input"] for r in rows}
    assert names == {"behaviour", "plug-in factor", "pile power", "power factors", "load growth",
                     "season"}  # fmt: skip
    plug = next(r for r in rows if r["input"] == "plug-in factor")
    assert plug["low"] >= plug["base"] >= plug["high"]  # fewer cars a day, more piles
    fig = tornado_figure(rows, "zh")
    assert len(fig.data) == 2 and fig.data[0].y[-1] == "充电行为"
    assert plug_in_intervals(0.7).weights.tolist() == pytest.approx([0.4, 0.6])


def test_hosting_sensitivity_on_the_command_line(tmp_path: Path) -> None:
    site = ROOT / "examples" / "my_community.yaml"
    args = ["hosting", str(site), "--method", "timeseries", "--days", "20", "--sensitivity"]
    args += ["--no-behaviour-range", "--json"]
    result = CliRunner().invoke(evgrid.cli.app, args)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["sensitivity"][0]["input"] in ("behaviour", "plug-in factor")
    assert set(doc["sensitivity"][0]) >= {"input", "low", "high"}
    assert doc["basis"] == "design"


def test_every_reproduced_number_says_how_it_comes_out() -> None:
    doc = reproduce().to_dict()
    assert doc["basis"] == "report"
    # of the report's 18 published results, 12 hold by construction
    assert doc["calibration"] == {"independent": 2, "arithmetic": 4, "calibrated": 12}
    b = next(r for r in doc["residential"] if r["case"] == "B")
    assert b["calibration"]["orderly"]["mark"] == "independent"
    assert b["calibration"]["uncontrolled"]["mark"] == "calibrated"
    table = comparison_table(reproduce(), "en")
    assert table.header[-1] == "how"
    assert {row[-1] for row in table.rows} == {"independent", "arithmetic", "calibrated"}
    assert all(row[4] == "✓" for row in table.rows)  # still every number, exactly
