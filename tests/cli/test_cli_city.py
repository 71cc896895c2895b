"""``evgrid city``, ``synth-city``, ``scenarios``: bad rows, resume after SIGKILL, engines."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import evgrid.cli

runner = CliRunner()
OUTPUTS = ("results.parquet", "results.csv", "upgrades.parquet", "upgrades.csv", "errors.csv")
TS = ["--method", "timeseries", "--days", "2", "--seed", "7", "--chunk-sites", "2"]


def _evgrid(*args: str) -> list[str]:
    return [
        sys.executable,
        "-c",
        "import sys; from evgrid.cli import main; main(sys.argv[1:])",
        *args,
    ]


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("city") / "city.csv"
    result = runner.invoke(
        evgrid.cli.app, ["synth-city", "--n", "12", "--seed", "5", "--out", str(path)]
    )
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture(scope="module")
def reference(city: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An uninterrupted time-series run in one process."""
    out = tmp_path_factory.mktemp("ref") / "run"
    result = subprocess.run(
        _evgrid("city", str(city), *TS, "--out", str(out)),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return out


def _same(a: Path, b: Path) -> None:
    for name in OUTPUTS:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_synth_city_is_reproducible_and_documented_mix(tmp_path: Path, city: Path) -> None:
    again = tmp_path / "again.csv"
    runner.invoke(evgrid.cli.app, ["synth-city", "--n", "12", "--seed", "5", "--out", str(again)])
    assert again.read_bytes() == city.read_bytes()
    table = pd.read_csv(city)
    assert set(table["kind"]) <= {"residential", "office"}
    assert set(table["transformer_kva"]) <= {
        30,
        50,
        63,
        80,
        100,
        125,
        160,
        200,
        250,
        315,
        400,
        500,
        630,
        800,
        1000,
        1250,
        1600,
        2000,
        2500,
    } | {2500 * k for k in range(2, 9)} | {2000 * k for k in range(2, 9)}


def test_index_run_reports_bad_rows_and_completes_good_ones(tmp_path: Path) -> None:
    sites = tmp_path / "sites.csv"
    sites.write_text(
        "id,kind,name,built,households,parking_spaces,transformer_kva,regular_peak_kw\n"
        "a,residential,A,1985,810,324,1250,880\n"
        "b,residential,B,2005,1734,1734,-3200,1883\n"
        "c,residential,C,2021,3811,4896,10200,3659\n"
        "d,residential,D,,100,50,200,120\n"
        "a,residential,A2,1985,810,324,1250,880\n"
        "e,residential,E,1990,abc,10,100,50\n",
        encoding="utf-8",
    )
    out = tmp_path / "run"
    result = runner.invoke(
        evgrid.cli.app,
        [
            *("city", str(sites), "--scenario", "report", "--out", str(out)),
            *("--cost-per-kva", "300", "--basis", "report"),
        ],
    )
    assert result.exit_code == 0, result.output
    errors = pd.read_csv(out / "errors.csv")
    assert errors[["row", "field"]].values.tolist() == [
        [3, "transformer_kva"],
        [5, "type"],
        [6, "id"],
        [7, "households"],
    ]
    assert errors.loc[0, "value"] == "-3200"
    results = pd.read_parquet(out / "results.parquet")
    assert sorted(results["site_id"].unique()) == ["a", "c"]
    assert len(results) == 2 * 5 * 3  # sites × years × strategies
    up = pd.read_csv(out / "upgrades.csv").set_index(["site_id", "strategy"])
    assert up.loc[("c", "orderly"), "upgrade_year"] == 2035
    assert up.loc[("a", "uncontrolled"), "upgrade_year"] == 2025
    assert (out / "summary.html").read_text(encoding="utf-8").count("plotly") > 0


def test_a_table_with_no_good_row_exits_2_after_writing_its_errors(tmp_path: Path) -> None:
    sites = tmp_path / "sites.csv"
    sites.write_text("kind,name,households\nresidential,X,-5\n", encoding="utf-8")
    out = tmp_path / "run"
    result = runner.invoke(evgrid.cli.app, ["city", str(sites), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "evgrid: error: " in result.output and "no valid site row (1 refused" in result.output
    assert "Traceback" not in result.output
    errors = pd.read_csv(out / "errors.csv")
    assert errors[["row", "field"]].values.tolist() == [[2, "households"]]


@pytest.mark.parametrize("suffix", [".xlsx", ".parquet"])
def test_excel_and_parquet_tables_give_the_csv_results(
    tmp_path: Path, city: Path, suffix: str
) -> None:
    table = tmp_path / f"city{suffix}"
    frame = pd.read_csv(city)
    if suffix == ".xlsx":
        frame.to_excel(table, index=False)
    else:
        frame.to_parquet(table, index=False)
    outs = []
    for source in (city, table):
        out = tmp_path / f"run-{source.suffix}"
        result = runner.invoke(evgrid.cli.app, ["city", str(source), "--out", str(out)])
        assert result.exit_code == 0, result.output
        outs.append(out)
    _same(*outs)


def test_refused_options_exit_2_and_write_nothing(tmp_path: Path, city: Path) -> None:
    out = tmp_path / "run"
    for args, message in (
        (["--days", "5"], "--days: got 5; allowed: not used by the index method"),
        (["--strategies", "fast"], "--strategies: got 'fast'"),
        (["--scenario", "nope"], "--scenario: got 'nope'"),
        (["--criterion", "hotspot"], "--criterion: got 'hotspot'"),
    ):
        result = runner.invoke(evgrid.cli.app, ["city", str(city), "--out", str(out), *args])
        assert result.exit_code == 2, result.output
        assert message in result.output
        assert not out.exists()
    same = runner.invoke(evgrid.cli.app, ["city", str(city), "--out", str(city)])
    assert same.exit_code == 2 and "--out" in same.output


def test_modes_add_their_columns_and_a_summary(tmp_path: Path) -> None:
    from evgrid.city.modes import MODE_COLUMNS

    small = tmp_path / "small.csv"
    runner.invoke(evgrid.cli.app, ["synth-city", "--n", "3", "--seed", "5", "--out", str(small)])
    out = tmp_path / "run"
    args = ["city", str(small), "--out", str(out), "--modes", "report", "--strategies", "orderly",
            "--scenario", "report", "--json"]  # fmt: skip
    result = runner.invoke(evgrid.cli.app, args)
    assert result.exit_code == 0, result.output
    results = pd.read_csv(out / "results.csv")
    assert list(results.columns[-len(MODE_COLUMNS) :]) == list(MODE_COLUMNS)
    assert results["modes"].str.startswith("report (").all()
    shares = results[["share_fixed", "share_shared", "share_public", "share_unserved"]]
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)
    summary = json.loads(result.stdout)["result"]
    year = summary["modes"]["orderly"]["2025"]
    assert year["communities"] == 3 and year["dc_chargers"] == int(
        results.loc[results["year"] == 2025, "hub_dc_chargers"].sum()
    )
    page = (out / "summary.html").read_text("utf-8")
    assert "Charging modes and public hubs" in page
    refused = runner.invoke(
        evgrid.cli.app,
        ["city", str(small), "--out", str(tmp_path / "x"), "--hub-connection", "own-unit"],
    )
    assert refused.exit_code == 2 and "--hub-connection: got 'own-unit'" in refused.output
    v2g = runner.invoke(
        evgrid.cli.app, ["city", str(small), "--out", str(tmp_path / "y"), "--strategies", "v2g"]
    )
    assert v2g.exit_code == 2 and "--strategies: got 'v2g'" in v2g.output
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()


def test_rerun_with_other_arguments_is_refused(tmp_path: Path, city: Path) -> None:
    out = tmp_path / "run"
    assert runner.invoke(evgrid.cli.app, ["city", str(city), "--out", str(out)]).exit_code == 0
    again = runner.invoke(
        evgrid.cli.app, ["city", str(city), "--out", str(out), "--scenario", "high"]
    )
    assert again.exit_code == 2 and "scenario differs" in again.output


@pytest.mark.parametrize("after_chunks", [0, 1, 3])
def test_sigkill_and_resume_gives_the_same_files(
    tmp_path: Path, city: Path, reference: Path, after_chunks: int
) -> None:
    out = tmp_path / "run"
    args = _evgrid("city", str(city), *TS, "--out", str(out))
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    chunks = out / "chunks"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        done = len(list(chunks.glob("chunk-*"))) if chunks.exists() else 0
        if (out / "manifest.json").exists() and done >= after_chunks:
            break
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_with = len(list(chunks.glob("chunk-*"))) if chunks.exists() else 0
    assert killed_with < 6, "the run finished before it could be killed"
    result = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert f"{killed_with} chunks resumed" in result.stdout
    _same(out, reference)


def test_stale_temporary_chunk_is_discarded(tmp_path: Path, city: Path, reference: Path) -> None:
    out = tmp_path / "run"
    args = ["city", str(city), *TS, "--out", str(out)]
    assert runner.invoke(evgrid.cli.app, args).exit_code == 0
    for name in OUTPUTS:
        (out / name).unlink()
    (out / "chunks" / "chunk-00002").rename(out / "chunks" / ".chunk-00002.half")
    result = runner.invoke(evgrid.cli.app, args)
    assert result.exit_code == 0 and "5 chunks resumed, 1 computed" in result.output
    assert not (out / "chunks" / ".chunk-00002.half").exists()
    _same(out, reference)


def test_two_workers_and_dask_give_identical_results(
    tmp_path: Path, city: Path, reference: Path
) -> None:
    two = tmp_path / "two"
    result = runner.invoke(
        evgrid.cli.app,
        ["city", str(city), *TS, "--workers", "2", "--out", str(two)],
    )
    assert result.exit_code == 0, result.output
    _same(two, reference)
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        dask_out = tmp_path / "dask"
        result = runner.invoke(
            evgrid.cli.app,
            [
                "city",
                str(city),
                *TS,
                "--engine",
                "dask",
                "--scheduler",
                cluster.scheduler_address,
                "--out",
                str(dask_out),
            ],
        )
        assert result.exit_code == 0, result.output
    _same(dask_out, reference)


def test_scenarios_lists_every_value_with_its_source() -> None:
    result = runner.invoke(evgrid.cli.app, ["scenarios", "--json"])
    assert result.exit_code == 0, result.output
    docs = {d["name"]: d for d in json.loads(result.stdout)}
    assert set(docs) == {"medium", "high", "report"}
    assert all(s["source"] for d in docs.values() for s in d["sources"])
    assert docs["report"]["pile_ratio"]["sub-new"][2] == pytest.approx(0.67 * 0.75)
    shown = runner.invoke(evgrid.cli.app, ["scenarios", "--show", "report"])
    assert shown.exit_code == 0 and "calibrated" in shown.output
