"""``evgrid hosting SITE --method timeseries``: table, JSON, HTML page, bad options."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import evgrid.cli
from evgrid.grid.site import report_cases

runner = CliRunner()
CASES = Path(evgrid.__file__).parent / "data" / "cases"


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(evgrid.cli.app, ["hosting", *args])
    return result.exit_code, result.stdout, result.stderr


def test_json_has_the_issue_shape_and_same_seed_same_document() -> None:
    args = (str(CASES / "A.yaml"), "--method", "timeseries", "--days", "10", "--json")
    code, out, err = run(*args, "--seed", "7")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["site"] == report_cases()["A"].name
    assert doc["strategy"] == "uncontrolled"
    assert 0 <= doc["max_pile_ratio_p95"] <= doc["max_pile_ratio_p50"] <= 1
    ratios = [p["pile_ratio"] for p in doc["curve"]]
    assert ratios[0] == 0 and ratios[-1] == 1 and len(ratios) == 101
    p50 = [p["loading_p50"] for p in doc["curve"]]
    assert all(b >= a - 1e-12 for a, b in itertools.pairwise(p50))
    assert all(p["loading_p95"] >= p["loading_p50"] - 1e-12 for p in doc["curve"])
    again = json.loads(run(*args, "--seed", "7")[1])
    assert again == doc


def test_table_and_html_page(tmp_path: Path) -> None:
    out = tmp_path / "page"
    code, text, err = run(
        str(CASES / "B.yaml"),
        "--method",
        "timeseries",
        "--strategy",
        "tou",
        "--participation",
        "0.5",
        "--days",
        "5",
        "--out",
        str(out),
    )
    assert code == 0, err
    assert "largest pile ratio: P50" in text
    page = (out / "index.html").read_text(encoding="utf-8")
    assert page.count('class="plotly-graph-div"') == 2


def test_thermal_criterion_runs() -> None:
    code, out, err = run(
        str(CASES / "closed.yaml"),
        "--method",
        "timeseries",
        "--criterion",
        "hotspot",
        "--days",
        "3",
        "--json",
    )
    assert code == 0, err
    doc = json.loads(out)
    assert doc["criterion"] == "hotspot" and doc["limit"] == 98.0


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (["--days", "0"], "days"),
        (["--criterion", "voltage"], "criterion"),
        (["--strategy", "magic"], "magic"),
        (["--participation", "1.5"], "participation"),
        (["--limit", "-1"], "limit"),
    ],
)
def test_bad_options_exit_2_with_one_line_and_write_nothing(
    tmp_path: Path, args: list[str], names: str
) -> None:
    out = tmp_path / "page"
    code, _, err = run(str(CASES / "B.yaml"), "--method", "timeseries", "--out", str(out), *args)
    assert code == 2
    lines = [line for line in err.splitlines() if line.startswith("evgrid: error")]
    assert len(lines) == 1 and names in lines[0]
    assert "Traceback" not in err
    assert not out.exists()


def test_index_method_refuses_a_thermal_criterion() -> None:
    code, _, err = run(str(CASES / "B.yaml"), "--criterion", "hotspot")
    assert code == 2 and "--criterion" in err


def test_fewer_days_than_a_year_on_a_seasonal_basis_are_said() -> None:
    site = str(CASES / "B.yaml")
    code, out, err = run(site, "--method", "timeseries", "--days", "3")
    assert code == 0, err
    assert "3 days < 365: the seasons are not all simulated" in out
    code, out, err = run(site, "--method", "timeseries", "--days", "3", "--basis", "report")
    assert code == 0, err
    assert "seasons" not in out  # one typical day all year: nothing to miss
