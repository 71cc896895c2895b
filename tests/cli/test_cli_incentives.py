"""``evgrid incentives``: tables, JSON, the page and sweep table, one-line errors, no files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import evgrid.cli

CASES = Path(evgrid.cli.__file__).parents[1] / "data" / "cases"
A, B = str(CASES / "A.yaml"), str(CASES / "B.yaml")
DR = """name: agg
contracts:
  - {kind: fixed, share: 0.3, kw_per_pile: 3.5, notice_h: 24}
events:
  - {start: "19:00", end: "21:00", reduction_kw: 20, notice_h: 24}
"""


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(evgrid.cli.app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_json_page_and_sweep_table(tmp_path: Path) -> None:
    dr = tmp_path / "dr.yaml"
    dr.write_text(DR, "utf-8")
    out = tmp_path / "page"
    code, stdout, err = run("incentives", A, "--days", "3", "--dr", str(dr), "--sweep",
                            "spread=0:0.6:0.1", "--json", "--out", str(out))  # fmt: skip
    assert code == 0, err
    doc = json.loads(stdout)
    lever, sweep = doc["lever"], doc["sweep"]
    assert lever["site"] == "Community A" and lever["spread_yuan_per_kwh"] == pytest.approx(0.3)
    assert set(lever["hosting"]) == {"index", "timeseries"}
    assert lever["dr"]["events"][0]["requested_kw"] == 20
    assert len(lever["curves"]["hour_h"]) == 96
    assert [round(r["spread_yuan_per_kwh"], 2) for r in sweep["rows"]] == [
        0,
        0.1,
        0.2,
        0.3,
        0.4,
        0.5,
        0.6,
    ]
    page = (out / "index.html").read_text("utf-8")
    assert "Sweep over peak-valley spreads" in page and "Money flows over a year" in page
    table = (out / "sweep.csv").read_text("utf-8").splitlines()
    assert table[0].startswith("spread_yuan_per_kwh,share,responders") and len(table) == 8


def test_tables_in_chinese_and_the_same_seed_gives_the_same_answer(tmp_path: Path) -> None:
    code, first, err = run("incentives", A, "--days", "2", "--json", "--seed", "3")
    assert code == 0, err
    assert run("incentives", A, "--days", "2", "--json", "--seed", "3")[1] == first
    code, text, err = run("incentives", A, "--days", "2", "--lang", "zh", "--tariff",
                          "zhejiang-residential")  # fmt: skip
    assert code == 0, err
    assert "车主充电费用" in text and "Zhejiang" in text


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--sweep", "spread=0:1:0"], "--sweep step: got 0"),
        (["--sweep", "price=0:1"], "--sweep: got 'price=0:1'"),
        (["--tariff", "cheapest"], "tariff: got 'cheapest'"),
        (["--days", "0"], "--days: got 0"),
        (["--ev-share", "2"], "--ev-share: got 2"),
        (["--seed", "-1"], "--seed"),
        (["--strategy", "lp"], "--strategy"),
        (["--tariff", "beijing-public-2015", "--sweep", "spread=0:1"], "one price band"),
    ],
)
def test_a_bad_option_is_one_line_and_writes_nothing(
    tmp_path: Path, args: list[str], needle: str
) -> None:
    out = tmp_path / "page"
    code, _, err = run("incentives", A, "--out", str(out), *args)
    assert code == 2 and err.startswith("evgrid: error: ") and len(err.strip().splitlines()) == 1
    assert needle in err, err
    assert not out.exists()


def test_v2g_money_flows_and_the_v2g_day(tmp_path: Path) -> None:
    out = tmp_path / "page"
    code, stdout, err = run("incentives", A, "--days", "3", "--v2g", "--tariff", "chengdu-2023",
                            "--json", "--out", str(out))  # fmt: skip
    assert code == 0, err
    doc = json.loads(stdout)["result"]
    v2g, flows = doc["v2g"], doc["money_flows"]
    money = v2g["money"]
    assert money["discharged_kwh"] > 0 and money["revenue_yuan"] > 0 and money["wear_yuan"] > 0
    assert money["margin_yuan"] == pytest.approx(
        money["revenue_yuan"] - money["extra_charging_yuan"] - money["wear_yuan"]
    )
    assert money["wear_yuan"] == pytest.approx(0.15 * money["discharged_kwh"])  # the default
    assert sum(flows["net_yuan"].values()) == pytest.approx(-flows["wear_yuan"])
    assert {"owners", "grid", "aggregator", "carbon buyer"} == set(flows["net_yuan"])
    assert len(v2g["curves"]["discharge_kw"]) == 96
    page = (out / "index.html").read_text("utf-8")
    assert "Who pays whom" in page and "the V2G day" in page and "sankey" in page
    code, text, err = run("incentives", A, "--days", "2", "--v2g", "--lang", "zh")
    assert code == 0 and "谁向谁支付" in text and "碳积分购买方" in text, err


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--v2g-share", "0.5"], "--v2g-share: got 0.5; allowed: only with v2g"),
        (["--v2g", "--v2g-share", "2"], "--v2g-share: got 2"),
        (["--v2g", "--wear-yuan-per-kwh", "-1"], "--wear-yuan-per-kwh: got -1"),
    ],
)
def test_v2g_options_are_checked(args: list[str], needle: str) -> None:
    code, _, err = run("incentives", A, *args)
    assert code == 2 and needle in err and len(err.strip().splitlines()) == 1, err


def test_a_bad_file_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "t.yaml"
    bad.write_text("name: t\nbands: {peak: {energy_yuan_per_kwh: 1}}\nperiods: []\n", "utf-8")
    code, _, err = run("incentives", A, "--tariff", str(bad))
    assert code == 2 and f"{bad}: periods: got []" in err
    response = tmp_path / "r.yaml"
    response.write_text("dead_zone_yuan_per_kwh: 0.5\nsaturation_yuan_per_kwh: 0.4\n", "utf-8")
    code, _, err = run("incentives", A, "--response", str(response))
    assert code == 2 and "saturation_yuan_per_kwh: got 0.4" in err


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from evgrid.city.synth import synth_city, write_city

    path = tmp_path_factory.mktemp("city") / "city.csv"
    write_city(synth_city(40, rng=3), path)
    return path


def test_a_city_sweep_runs_on_the_city_batch(city: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    args = ["incentives", str(city), "--sweep", "spread=0:0.6:0.15", "--cost-per-kva", "300",
            "--out", str(out), "--json"]  # fmt: skip
    code, stdout, err = run(*args)
    assert code == 0, err
    doc = json.loads(stdout)
    assert doc["n_sites"] == 40 and doc["scenario"] == "medium" and doc["method"] == "index"
    assert [r["spread_yuan_per_kwh"] for r in doc["rows"]] == [0.0, 0.15, 0.3, 0.45, 0.6]
    # the valley energy price stops at the 0.2 yuan/kWh floor; from 0.45 the peak rises, so the
    # owners who do not respond pay part of the lever and that step is the cheapest
    energy = [r["valley_energy_yuan_per_kwh"] for r in doc["rows"]]
    assert energy == pytest.approx([0.52, 0.37, 0.22, 0.2, 0.2])
    assert doc["best_marginal_spread_yuan_per_kwh"] == 0.45
    assert any("NDRC" in w for w in doc["warnings"]) and "NDRC" in err
    runs = sorted(p.name for p in (out / "runs").iterdir())
    assert len(runs) == 4  # 0, 0.15 share 0 (one run); 0.3; 0.45; 0.6
    assert (out / "index.html").is_file() and (out / "sweep.csv").is_file()
    assert run(*args)[1] == stdout  # the city runs resume: the same answer


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--dr", "dr.yaml"], "--dr"),
        (["--ev-share", "0.3"], "--ev-share"),
        (["--days", "3"], "--days: got 3; allowed: not used by the index method"),
        (["--year", "2027"], "--year: got 2027"),
    ],
)
def test_city_options_are_checked(city: Path, tmp_path: Path, args: list[str], needle: str) -> None:
    code, _, err = run("incentives", str(city), "--out", str(tmp_path / "o"), *args)
    assert code == 2 and needle in err, err
    assert not (tmp_path / "o" / "index.html").exists()


def test_a_city_needs_an_out_folder_and_a_site_no_city_options(city: Path) -> None:
    code, _, err = run("incentives", str(city))
    assert code == 2 and "--out" in err
    code, _, err = run("incentives", A, "--method", "index")
    assert code == 2 and "--method" in err and "city" in err
