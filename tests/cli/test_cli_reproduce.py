"""``evgrid reproduce``: table, JSON document, HTML report, bad options."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from plotly.offline import get_plotlyjs
from typer.testing import CliRunner

import evgrid.cli

runner = CliRunner()


@pytest.fixture(scope="module")
def json_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    out = tmp_path_factory.mktemp("rep") / "report"
    result = runner.invoke(
        evgrid.cli.app,
        ["reproduce", "--json", "--out", str(out), "--days", "20", "--impact-days", "2"],
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout), out


def test_json_document_has_the_issue_shape(json_run: tuple[dict, Path]) -> None:
    doc, _ = json_run
    assert [r["case"] for r in doc["residential"]] == ["A", "B", "C"]
    readings = {
        r["case"]: (r["uncontrolled_max_pile_ratio"], r["orderly_max_pile_ratio"])
        for r in doc["residential"]
    }
    assert readings == {"A": (0.0, 1.0), "B": (0.1, 0.5), "C": (0.1, 0.6)}
    offices = {(o["case"], o["year"]): o for o in doc["office"]}
    assert set(offices) == {("open", 2025), ("open", 2030), ("closed", 2025), ("closed", 2030)}
    for o in offices.values():
        assert isinstance(o["charging_spaces"], int)
        assert 0 < o["total_loading_pu"] < 1
        assert o["matches_report"] is True
    assert offices[("open", 2030)]["charging_spaces"] == 397


def test_html_report_is_self_contained_with_plotly_once(json_run: tuple[dict, Path]) -> None:
    _, out = json_run
    page = (out / "index.html").read_text(encoding="utf-8")
    bundle = get_plotlyjs()
    assert page.count(bundle[:500]) == 1  # plotly.js embedded once, no CDN
    assert 'src="https://cdn' not in page
    assert "Community C" in page and "Open office park" in page
    # A, B, C and the offices; 5 cases x 2 strategies of bands; figures 6-7 for A, B, C
    assert page.count('class="plotly-graph-div"') == 4 + 10 + 3


def test_json_has_both_tiers_and_the_figure_6_7_comparison(json_run: tuple[dict, Path]) -> None:
    doc, _ = json_run
    bands = {(r["case"], r["strategy"]): r for r in doc["timeseries"]}
    assert set(bands) == {
        (c, s) for c in ("A", "B", "C", "open", "closed") for s in ("uncontrolled", "tou")
    }
    for r in bands.values():
        assert r["days"] == 20
        assert 0 <= r["max_pile_ratio_p95"] <= r["max_pile_ratio_p50"] <= 1
    impact = {r["case"]: r for r in doc["orderly_impact"]}
    assert set(impact) == {"A", "B", "C"}
    for r in impact.values():
        assert r["report"]["total_peak_reduction"] == 0.05
        # valley filling never raises the total peak above uncontrolled
        assert r["orderly"]["valley-filling"]["total_peak_reduction"] >= -1e-9


def test_table_output_and_chinese_report(tmp_path: Path) -> None:
    result = runner.invoke(
        evgrid.cli.app,
        [
            "reproduce",
            "--out",
            str(tmp_path / "r"),
            "--lang",
            "zh",
            "--days",
            "3",
            "--impact-days",
            "1",
        ],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert "不足10%" in result.stdout
    assert "✗" not in result.stdout
    page = (tmp_path / "r" / "index.html").read_text(encoding="utf-8")
    assert "配变负载率" in page and "不足20%" in page
    assert "时序模型" in result.stdout and "报告图 6–7" in page
    english = runner.invoke(
        evgrid.cli.app, ["reproduce", "--out", str(tmp_path / "e"), "--index-only"]
    )
    assert "below 10 %" in english.stdout and "✗" not in english.stdout


def test_out_is_a_file_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    result = runner.invoke(evgrid.cli.app, ["reproduce", "--out", str(blocker)])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "--out" in result.stderr
    assert blocker.read_text(encoding="utf-8") == "x"


def test_zero_days_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "r"
    result = runner.invoke(evgrid.cli.app, ["reproduce", "--out", str(out), "--days", "0"])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "--days" in result.stderr
    assert not out.exists()


def test_bad_language_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "r"
    result = runner.invoke(evgrid.cli.app, ["reproduce", "--out", str(out), "--lang", "fr"])
    assert result.exit_code == 2
    assert "--lang" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()
