"""``evgrid sample`` and ``evgrid load``: outputs, JSON totals, bad input (exit 2, no file)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import evgrid.cli
from evgrid.demand.io import read_sessions

runner = CliRunner()


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(evgrid.cli.app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_sample_then_load(tmp_path: Path, suffix: str) -> None:
    sessions = tmp_path / f"s{suffix}"
    code, out, _ = _run(
        "sample", "--n", "500", "--days", "2", "--seed", "3", "--out", str(sessions)
    )
    assert code == 0, out
    s = read_sessions(sessions)
    assert s.vehicle.max() < 500 and s.arrival_h.max() < 48
    again = tmp_path / f"t{suffix}"
    _run("sample", "--n", "500", "--days", "2", "--seed", "3", "--out", str(again))
    assert np.array_equal(read_sessions(again).energy_kwh, s.energy_kwh)
    curve = tmp_path / "load.csv"
    code, out, _ = _run("load", "--sessions", str(sessions), "--out", str(curve), "--json")
    assert code == 0
    totals = json.loads(out)
    assert set(totals["result"]) == {
        "peak_kw",
        "energy_requested_kwh",
        "energy_delivered_kwh",
        "unmet_kwh",
    }
    assert totals["kind"] == "load" and totals["request"] == {"sessions": sessions.name}
    assert totals["energy_requested_kwh"] == pytest.approx(s.energy_kwh.sum())
    assert totals["energy_delivered_kwh"] + totals["unmet_kwh"] == pytest.approx(
        totals["energy_requested_kwh"]
    )
    lines = curve.read_text().splitlines()
    assert lines[0] == "slot,start_h,hour_of_day,charging_kw"
    power = np.array([float(x.split(",")[3]) for x in lines[1:]])
    assert power.max() == pytest.approx(totals["peak_kw"])
    assert power.sum() * 0.25 == pytest.approx(totals["energy_delivered_kwh"])


def test_load_slot_length_and_flag(tmp_path: Path) -> None:
    f = tmp_path / "s.csv"
    f.write_text("arrival_h,departure_h,energy_kwh,max_power_kw\n18,19,14,7\n20.5,21.5,3.5,7\n")
    curve = tmp_path / "load.csv"
    code, out, err = _run(
        "load", "--sessions", str(f), "--slot-min", "60", "--out", str(curve), "--json"
    )
    assert code == 0
    assert "rows 1" in err and "warning" in err
    assert json.loads(out)["unmet_kwh"] == pytest.approx(7.0)
    rows = curve.read_text().splitlines()[1:]
    assert len(rows) == 24
    assert [float(r.split(",")[3]) for r in rows[18:22]] == pytest.approx([7.0, 0.0, 3.5, 0.0])


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ("arrival_h,departure_h,energy_kwh,max_power_kw\n18,17,5,7\n", "row 1, departure_h"),
        ("arrival_h,departure_h,energy_kwh,max_power_kw\n18,20,-2,7\n", "row 1, energy_kwh"),
        ("arrival_h,departure_h,energy_kwh,max_power_kw\n18,20,nan,7\n", "row 1, energy_kwh"),
        ("arrival_h,departure_h,max_power_kw\n18,20,7\n", "column energy_kwh"),
        (
            "arrival,departure,energy_kwh,max_power_kw\nyesterday,2024-05-01T07:00,5,7\n",
            "row 1, arrival",
        ),
    ],
)
def test_load_bad_session_file(tmp_path: Path, body: str, match: str) -> None:
    f = tmp_path / "bad.csv"
    f.write_text(body)
    curve = tmp_path / "load.csv"
    code, _, err = _run("load", "--sessions", str(f), "--out", str(curve))
    assert code == 2
    assert match in err
    assert err.startswith("evgrid: error:") and err.count("\n") == 1
    assert "Traceback" not in err
    assert not curve.exists()


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["sample", "--n", "-5"], "--n"),
        (["sample", "--n", "5", "--days", "0"], "--days"),
        (["sample", "--n", "5", "--preset", "school"], "--preset"),
        (["sample", "--n", "5", "--behaviour", "nope.yaml"], "nope.yaml"),
        (["load", "--sessions", "nope.csv"], "missing file"),
        (["load", "--sessions", "nope.csv", "--slot-min", "7"], "--slot-min"),
    ],
)
def test_bad_options(tmp_path: Path, args: list[str], match: str) -> None:
    out = tmp_path / "out.csv"
    code, _, err = _run(*args, "--out", str(out))
    assert code == 2
    assert match in err and err.count("\n") == 1
    assert not out.exists()


def test_bad_output_extension(tmp_path: Path) -> None:
    code, _, err = _run("sample", "--n", "5", "--out", str(tmp_path / "s.txt"))
    assert code == 2 and ".csv or .parquet" in err
    assert not list(tmp_path.iterdir())


def test_behaviour_file(tmp_path: Path) -> None:
    b = tmp_path / "b.yaml"
    b.write_text("preset: office\ncharger_power_kw: 11\n")
    out = tmp_path / "s.csv"
    code, _, _ = _run(
        "sample", "--n", "200", "--seed", "1", "--behaviour", str(b), "--out", str(out)
    )
    assert code == 0
    s = read_sessions(out)
    assert np.all(s.max_power_kw == 11.0)
    assert np.median(s.arrival_h) < 12


def test_load_typical_day(tmp_path: Path) -> None:
    f = tmp_path / "s.csv"
    f.write_text("arrival_h,departure_h,energy_kwh,max_power_kw\n18,30,7,7\n42,54,14,7\n")
    curve = tmp_path / "day.csv"
    code, _, _ = _run(
        "load", "--sessions", str(f), "--slot-min", "60", "--typical-day", "--out", str(curve)
    )
    assert code == 0
    rows = curve.read_text().splitlines()[1:]
    assert len(rows) == 24  # one day, the mean over the 3-day horizon
    power = [float(r.split(",")[3]) for r in rows]
    assert power[18] == pytest.approx(14 / 3) and power[19] == pytest.approx(7 / 3)
    assert sum(power) == pytest.approx(21 / 3)


@pytest.mark.parametrize(
    "args", [["--behaviour", "elaadnl"], ["--preset", "report"], ["--preset", "electric-nation"]]
)
def test_sample_takes_every_preset_by_name(tmp_path: Path, args: list[str]) -> None:
    out_file = tmp_path / "s.csv"
    code, out, _ = _run(
        "sample", "--n", "50", "--days", "3", "--seed", "1", *args, "--out", str(out_file)
    )
    assert code == 0, out
    s = read_sessions(out_file)
    assert len(s) > 0 and np.all(s.max_power_kw > 0)
