"""``evgrid hosting SITE --method index``: results for any site, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import evgrid.cli

runner = CliRunner()

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "my_community.yaml"
SITE = """\
kind: residential
name: Test community
built: 2005
households: 1734
parking_spaces: 1734
transformer_kva: 3200
regular_peak_kw: 1883
regular_valley_kw: 753
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "site.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_residential_json_matches_reproduce_for_b(tmp_path: Path) -> None:
    args = ["hosting", str(_write(tmp_path, SITE)), "--json", "--basis", "report"]
    result = runner.invoke(evgrid.cli.app, args)
    assert result.exit_code == 0, result.output
    (rec,) = json.loads(result.stdout)["residential"]
    assert rec["uncontrolled_max_pile_ratio"] == pytest.approx(0.1)
    assert rec["orderly_max_pile_ratio"] == pytest.approx(0.5)
    assert rec["orderly_max_pile_ratio_exact"] == pytest.approx(1807 / 3468)


def test_office_site_table_and_html(tmp_path: Path) -> None:
    site = ROOT / "src" / "evgrid" / "data" / "cases" / "open.yaml"
    out = tmp_path / "out"
    result = runner.invoke(evgrid.cli.app, ["hosting", str(site), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "211" in result.stdout and "397" in result.stdout
    assert (out / "index.html").is_file()


def test_example_site_runs() -> None:
    result = runner.invoke(evgrid.cli.app, ["hosting", str(EXAMPLE), "--json"])
    assert result.exit_code == 0, result.output
    (rec,) = json.loads(result.stdout)["residential"]
    assert 0 <= rec["uncontrolled_max_pile_ratio_exact"] <= rec["orderly_max_pile_ratio_exact"]


def test_study_year_and_limit_change_the_result(tmp_path: Path) -> None:
    path = _write(tmp_path, SITE.replace("built: 2005", "built: 2021").replace("1883", "1000"))
    args = ["hosting", str(path), "--json"]
    new = json.loads(runner.invoke(evgrid.cli.app, args).stdout)["residential"][0]
    later = json.loads(runner.invoke(evgrid.cli.app, [*args, "--study-year", "2040"]).stdout)
    assert new["regular_load_basis"] == "planning index (filling up)"
    assert later["residential"][0]["regular_load_basis"] == "measured"
    looser = json.loads(runner.invoke(evgrid.cli.app, [*args, "--limit", "1.0"]).stdout)
    exact = "uncontrolled_max_pile_ratio_exact"
    assert looser["residential"][0][exact] > new[exact]


BAD = [
    ("transformer_kva: 3200", "transformer_kva: 0", "transformer_kva"),
    ("transformer_kva: 3200", "transformer_kva: -3200", "transformer_kva"),
    ("households: 1734", "households: 0", "households"),
    ("households: 1734", "households: -2", "households"),
    ("parking_spaces: 1734\n", "", "parking_spaces"),
    ("regular_valley_kw: 753", "regular_valley_kw: 2000", "regular_valley_kw"),
    ("built: 2005", "built: 2005\nhouses: 3", "unknown key 'houses'"),
    ("households: 1734", "households: many", "households: got 'many'"),
]


@pytest.mark.parametrize(("old", "new", "needle"), BAD)
def test_bad_site_exits_2_with_one_line_and_writes_nothing(
    tmp_path: Path, old: str, new: str, needle: str
) -> None:
    path = _write(tmp_path, SITE.replace(old, new))
    out = tmp_path / "out"
    result = runner.invoke(evgrid.cli.app, ["hosting", str(path), "--out", str(out), "--json"])
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("evgrid: error:")
    assert needle in lines[0] and "Traceback" not in result.stderr
    assert not out.exists()


def test_missing_file_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(evgrid.cli.app, ["hosting", str(tmp_path / "none.yaml")])
    assert result.exit_code == 2
    assert "missing file" in result.stderr and result.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("option", "value"), [("--method", "magic"), ("--limit", "0"), ("--lang", "xx")]
)
def test_bad_option_exits_2(tmp_path: Path, option: str, value: str) -> None:
    out = tmp_path / "out"
    args = ["hosting", str(_write(tmp_path, SITE)), option, value, "--out", str(out)]
    result = runner.invoke(evgrid.cli.app, args)
    assert result.exit_code == 2
    assert option in result.stderr
    assert not out.exists()
