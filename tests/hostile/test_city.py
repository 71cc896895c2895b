"""Hostile city tables and city runs: a bad row goes to errors.csv with its spreadsheet row
number, a bad table or folder is one line, a resumed run reads only what it wrote, workers die
with their parent, and nothing that is not a finite number is ever written."""

from __future__ import annotations

import decimal
import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

import evgrid.cli
from evgrid.city.run import LOCK, run_city
from evgrid.city.settings import city_settings
from evgrid.city.sites import read_sites
from evgrid.errors import InputError
from evgrid.io import dumps_json, write_table

HEADER = "id,kind,name,type,households,parking_spaces,transformer_kva,regular_peak_kw"
GOOD = "a,residential,A,old,810,324,1250,880"
GOOD_B = "b,residential,B,sub-new,300,300,630,400"
CURVE_24 = "power_kw\n" + "".join(f"{400 + 10 * h}\n" for h in range(24))


def _table(tmp_path: Path, *rows: str, name: str = "sites.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def _errors(path: Path) -> list[tuple[int, str, str]]:
    return [(e.row, e.field, e.value) for e in read_sites(path).errors]


# --- the reader: numbers are numbers, rows keep their numbers ----------------------------------
@pytest.mark.parametrize(
    "households", ["1_000", "\uff16\uff12\uff10", "\u0666\u0662\u0660", "nan", "inf", "6,2"]
)
def test_numbers_that_are_not_numbers_are_a_row_error(tmp_path: Path, households: str) -> None:
    cell = f'"{households}"' if "," in households else households
    path = _table(tmp_path, GOOD, f"b,residential,B,old,{cell},300,630,400")
    rows = read_sites(path)
    assert rows.ids == ["a"]
    (error,) = rows.errors
    assert (error.row, error.field) == (3, "households")
    assert error.message.startswith("sites.csv row 3: households: got ")


def test_a_row_two_fields_short_is_refused_not_read_as_no_peak(tmp_path: Path) -> None:
    path = _table(tmp_path, GOOD, "b,residential,B,old,300,300", GOOD_B.replace("b,", "c,", 1))
    rows = read_sites(path)
    assert rows.ids == ["a", "c"]
    (error,) = rows.errors
    assert (error.row, error.field, error.value) == (3, "(row)", "b,residential,B,old,300,300")
    assert "8 field(s) as in the header, not 6" in error.message


def test_a_blank_line_keeps_the_row_numbers(tmp_path: Path) -> None:
    path = _table(tmp_path, GOOD, "", "", "b,residential,B,old,-5,300,630,400")
    assert _errors(path) == [(5, "households", "-5")]
    assert read_sites(path).rows == [2]


def test_a_first_row_with_one_field_more_blames_that_row_only(tmp_path: Path) -> None:
    path = _table(tmp_path, GOOD + ",extra", GOOD_B)
    rows = read_sites(path)
    assert rows.ids == ["b"] and rows.rows == [3]
    assert [(e.row, e.field) for e in rows.errors] == [(2, "(row)")]


def _parquet(tmp_path: Path, columns: dict[str, pa.Array]) -> Path:
    base = {
        "kind": pa.array(["residential"]),
        "name": pa.array(["A"]),
        "type": pa.array(["old"]),
        "households": pa.array([810]),
        "parking_spaces": pa.array([324]),
        "transformer_kva": pa.array([1250.0]),
        "regular_peak_kw": pa.array([880.0]),
    }
    path = tmp_path / "sites.parquet"
    pq.write_table(pa.table({**base, **columns}), path)
    return path


def test_a_parquet_nan_is_refused_not_read_as_empty(tmp_path: Path) -> None:
    path = _parquet(tmp_path, {"regular_peak_kw": pa.array([float("nan")])})
    assert _errors(path) == [(2, "regular_peak_kw", "nan")]


def test_parquet_decimals_are_numbers(tmp_path: Path) -> None:
    kva = pa.array([decimal.Decimal("1250.00")], pa.decimal128(8, 2))
    peak = pa.array([decimal.Decimal("880.5")], pa.decimal128(6, 1))
    homes = pa.array([decimal.Decimal("810")], pa.decimal128(6, 0))
    rows = read_sites(
        _parquet(tmp_path, {"transformer_kva": kva, "regular_peak_kw": peak, "households": homes})
    )
    assert rows.errors == []
    (site,) = rows.sites
    assert (site.transformer_kva, site.regular_peak_kw, site.households) == (1250.0, 880.5, 810)


@pytest.mark.parametrize(
    "column",
    [pa.array([[1, 2]]), pa.array([{"a": 620}]), pa.array([b"\x00"])],
    ids=["list", "struct", "bytes"],
)
def test_parquet_columns_that_hold_no_numbers_nor_text(tmp_path: Path, column: pa.Array) -> None:
    path = _parquet(tmp_path, {"households": column})
    with pytest.raises(InputError) as info:
        read_sites(path)
    message = str(info.value)
    assert message.startswith(f"{path}: column households: got '") and "\n" not in message
    assert message.endswith("allowed: a column of numbers or text")


def test_csv_text_named_xlsx_is_one_line(tmp_path: Path) -> None:
    path = _table(tmp_path, GOOD, name="sites.xlsx")
    with pytest.raises(InputError, match=r"sites\.xlsx: got 'not an Excel workbook'"):
        read_sites(path)


def _workbook(path: Path, rows: list[list[object]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    book.save(path)  # openpyxl saves formulas without a computed value
    return path


def test_a_formula_without_a_saved_value_is_refused(tmp_path: Path) -> None:
    header = HEADER.split(",")
    path = _workbook(
        tmp_path / "sites.xlsm",  # .xlsm: what the upload accepts, the job reads
        [header, GOOD.split(","), ["b", "residential", "B", "old", "=E2/2", 300, 630, 400]],
    )
    rows = read_sites(path)
    assert rows.ids == ["a"]
    (error,) = rows.errors
    assert (error.row, error.field, error.value) == (3, "households", "=E2/2")
    assert "a formula with no saved value" in error.message


def test_a_folder_given_as_the_table(tmp_path: Path) -> None:
    folder = tmp_path / "sites.csv"
    folder.mkdir()
    with pytest.raises(InputError) as info:
        read_sites(folder)
    assert str(info.value) == (
        f"{folder}: got 'a folder'; allowed: an existing, readable site table "
        "(.csv, .xlsx, .xlsm, .parquet or .pq)"
    )


# --- the run ------------------------------------------------------------------------------------
def test_a_load_curve_that_is_not_a_curve_is_a_row_error(tmp_path: Path) -> None:
    (tmp_path / "day.csv").write_text(CURVE_24, encoding="utf-8")
    (tmp_path / "notes.csv").write_text("text\nhello\n", encoding="utf-8")
    sites = tmp_path / "sites.csv"
    sites.write_text(
        "kind,name,type,households,parking_spaces,transformer_kva,load_curve\n"
        "residential,Measured,old,800,300,1250,day.csv\n"
        "residential,Notes,old,800,300,1250,notes.csv\n",
        encoding="utf-8",
    )
    run = run_city(sites, city_settings("report"), tmp_path / "run")
    assert run.n_sites == 1 and run.n_errors == 1
    errors = (tmp_path / "run" / "errors.csv").read_text(encoding="utf-8").splitlines()
    assert errors[0] == "row,field,value,message"
    assert errors[1].startswith('3,"load_curve","notes.csv","sites.csv row 3: load_curve: ')
    assert "power_kw" in errors[1]


@pytest.fixture
def sites(tmp_path: Path) -> Path:
    return _table(tmp_path, GOOD, GOOD_B, "c,residential,C,new,500,600,800,300")


def _scenario(tmp_path: Path, base_year: int = 2023, interpolation: str = "linear") -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(
        f"name: mine\nyears: [2025, 2030, 2035]\nbase_year: {base_year}\nev_share:\n"
        f"  interpolation: {interpolation}\n  points:\n"
        "    2025: {value: 0.2, source: assumed}\n    2035: {value: 0.6, source: assumed}\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(
    ("change", "differs"),
    [({"base_year": 2020}, "the scenario's content"), ({"interpolation": "step"}, "scenario's")],
)
def test_a_resumed_run_refuses_a_changed_scenario(
    tmp_path: Path, sites: Path, change: dict[str, object], differs: str
) -> None:
    out = tmp_path / "run"
    run_city(sites, city_settings(str(_scenario(tmp_path))), out, chunk_sites=1)
    changed = city_settings(str(_scenario(tmp_path, **change)))  # type: ignore[arg-type]
    with pytest.raises(InputError) as info:
        run_city(sites, changed, out, chunk_sites=1)
    message = str(info.value)  # the folder is shown cut to 80 characters
    assert message.startswith("out: got '") and "; allowed: a new folder, or the folder" in message
    assert differs in message


def test_a_stray_folder_and_a_truncated_chunk(tmp_path: Path, sites: Path) -> None:
    settings = city_settings("report")
    fresh = run_city(sites, settings, tmp_path / "fresh", chunk_sites=1).out
    out = run_city(sites, settings, tmp_path / "run", chunk_sites=1).out
    (out / "chunks" / "stray").mkdir()
    (out / "chunks" / "chunk-abc").mkdir()
    (out / "chunks" / "notes.txt").write_text("mine", encoding="utf-8")
    damaged = out / "chunks" / "chunk-00001" / "results.parquet"
    damaged.write_bytes(damaged.read_bytes()[:100])
    with pytest.warns(UserWarning, match=r"chunk-00001: damaged or incomplete \(unreadable and"):
        again = run_city(sites, settings, out, chunk_sites=1)
    assert (again.chunks_resumed, again.chunks_computed) == (2, 1)
    for name in ("results.csv", "upgrades.csv", "summary.json"):
        assert (out / name).read_bytes() == (fresh / name).read_bytes(), name
    assert (out / "chunks" / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_a_corrupt_manifest_is_named(tmp_path: Path, sites: Path) -> None:
    out = run_city(sites, city_settings("report"), tmp_path / "run").out
    (out / "manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError) as info:
        run_city(sites, city_settings("report"), out)
    assert str(info.value) == (
        f"{out / 'manifest.json'}: got 'not JSON'; allowed: the manifest an evgrid city run "
        "wrote (choose a new out folder, or remove this one to start again)"
    )


def test_a_second_run_on_a_folder_in_use_is_refused(tmp_path: Path, sites: Path) -> None:
    import fcntl

    out = tmp_path / "run"
    out.mkdir()
    with (out / LOCK).open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(InputError, match="a folder no other evgrid run is writing"):
            run_city(sites, city_settings("report"), out)
    run_city(sites, city_settings("report"), out)  # the lock went with its holder


def test_a_full_disk_names_the_file(
    tmp_path: Path, sites: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")  # as pyarrow: no file name

    monkeypatch.setattr(pq, "write_table", full)
    out = tmp_path / "run"
    result = CliRunner().invoke(evgrid.cli.app, ["city", str(sites), "--out", str(out)])
    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"evgrid: error: {out}/chunks/.chunk-00000.")
    assert line.endswith("results.parquet: No space left on device")
    assert list(out.rglob("*.tmp")) == [] and list((out / "chunks").iterdir()) == []


def test_a_cost_that_overflows_is_refused_before_the_run(tmp_path: Path, sites: Path) -> None:
    out = tmp_path / "run"
    with pytest.raises(InputError, match=r"^cost_per_kva: got 1e\+308; allowed: a cost whose"):
        run_city(sites, city_settings("report", cost_per_kva=1e308), out)
    assert not out.exists()


def test_writers_refuse_numbers_that_are_not_finite(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"x\.csv row 2, cost_yuan: got inf; allowed: finite"):
        write_table(tmp_path / "x.csv", {"cost_yuan": np.array([1.0, np.inf])})
    with pytest.raises(InputError, match=r"^summary\.json: /totals/0/cost_yuan: got inf"):
        dumps_json({"totals": [{"cost_yuan": float("inf")}]}, "summary.json")
    assert list(tmp_path.iterdir()) == []
    written = write_table(tmp_path / "y.csv", {"v": np.array([1.5, np.nan])})
    assert written.read_text(encoding="utf-8") == "v\n1.5\n\n"  # NaN: an empty cell


# --- the command line ---------------------------------------------------------------------------
def test_synth_city_under_a_file_says_so(tmp_path: Path) -> None:
    base = tmp_path / "base.csv"
    base.write_text("x", encoding="utf-8")
    result = CliRunner().invoke(
        evgrid.cli.app, ["synth-city", "--n", "3", "--out", str(base / "x.csv")]
    )
    assert result.exit_code == 2
    assert result.stderr.strip() == f"evgrid: error: {base}: a file, not a folder"


EVGRID = [sys.executable, "-c", "from evgrid._entry import main; main()"]


@pytest.mark.parametrize(
    ("scheduler", "reason"),
    [("not a url", ""), ("tcp://127.0.0.1:1", " (connection refused)")],
)
def test_a_bad_dask_scheduler_is_one_line_at_once(
    tmp_path: Path, sites: Path, scheduler: str, reason: str
) -> None:
    out = tmp_path / "run"
    args = ["city", str(sites), "--out", str(out), "--engine", "dask", "--scheduler", scheduler]
    start = time.monotonic()
    result = subprocess.run([*EVGRID, *args], capture_output=True, text=True, timeout=60)
    assert time.monotonic() - start < 30  # it waited 60 s for a timeout before
    assert result.returncode == 2
    assert result.stderr == (
        f"evgrid: error: --scheduler: got '{scheduler}'; allowed: a reachable Dask scheduler "
        f"address, e.g. tcp://10.0.0.5:8786{reason}\n"
    )
    assert not out.exists()


def test_the_dask_engine_without_a_scheduler_says_it_is_missing(
    tmp_path: Path, sites: Path
) -> None:
    out = tmp_path / "run"
    result = CliRunner().invoke(
        evgrid.cli.app, ["city", str(sites), "--out", str(out), "--engine", "dask"]
    )
    assert result.exit_code == 2
    assert result.stderr == (
        "evgrid: error: --scheduler: missing; required: a Dask scheduler's address with the "
        "dask engine, e.g. tcp://10.0.0.5:8786\n"
    )
    assert not out.exists()


def _children(pid: int) -> list[int]:
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.append(int(stat.parent.name))
    return kids


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_die_with_a_killed_parent(tmp_path: Path) -> None:
    city = tmp_path / "city.csv"
    CliRunner().invoke(
        evgrid.cli.app, ["synth-city", "--n", "8", "--seed", "5", "--out", str(city)]
    )
    out = tmp_path / "run"
    args = ["city", str(city), "--method", "timeseries", "--days", "3", "--seed", "7",
            "--chunk-sites", "1", "--workers", "2", "--out", str(out)]  # fmt: skip
    proc = subprocess.Popen([*EVGRID, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    kids: list[int] = []
    while len(kids) < 2 and time.monotonic() < deadline and proc.poll() is None:
        kids = _children(proc.pid)
        time.sleep(0.02)
    assert len(kids) >= 2, "no workers started"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    while any(_alive(k) for k in kids) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = [k for k in kids if _alive(k)]
    for k in left:  # leave nothing running whatever the outcome
        os.kill(k, signal.SIGKILL)
    assert left == []
    resumed = subprocess.run([*EVGRID, *args], capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr


def test_an_ascii_terminal_gets_chinese_as_escapes(tmp_path: Path) -> None:
    case = Path(evgrid.cli.__file__).parents[1] / "data" / "cases" / "A.yaml"
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    result = subprocess.run(
        [*EVGRID, "hosting", str(case), "--lang", "zh"], capture_output=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert b"Traceback" not in result.stderr and b"\\u8001\\u65e7" in result.stdout  # 老旧


def test_a_path_is_shown_as_text() -> None:
    import evgrid as api

    with pytest.raises(InputError) as info:
        api.hosting(Path("sites") / "a.yaml")  # type: ignore[arg-type]
    assert str(info.value).startswith("site: got 'sites/a.yaml'; allowed: a site")
    assert "PosixPath" not in str(info.value) and "evgrid.load_site first" in str(info.value)


def test_summary_json_is_json(tmp_path: Path, sites: Path) -> None:
    out = run_city(sites, city_settings("report", cost_per_kva=1e9), tmp_path / "run").out
    text = (out / "summary.json").read_text(encoding="utf-8")
    json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in summary.json"))


def test_a_resumed_run_refuses_a_changed_curve(tmp_path: Path) -> None:
    curve = tmp_path / "day.csv"
    curve.write_text(CURVE_24, encoding="utf-8")
    sites = tmp_path / "sites.csv"
    sites.write_text(
        "kind,name,type,households,parking_spaces,transformer_kva,load_curve\n"
        "residential,Measured,old,800,300,1250,day.csv\n",
        encoding="utf-8",
    )
    out = run_city(sites, city_settings("report"), tmp_path / "run").out
    curve.write_text(CURVE_24.replace("400\n", "900\n"), encoding="utf-8")
    with pytest.raises(InputError, match="a measured load curve's content differs"):
        run_city(sites, city_settings("report"), out)


def test_a_site_field_given_as_a_mapping(tmp_path: Path) -> None:
    path = _table(tmp_path, GOOD)
    doc = tmp_path / "site.yaml"
    doc.write_text(
        "kind: residential\nname: A\nbuilt: 1985\nhouseholds: {a: 620}\nparking_spaces: 324\n"
        "transformer_kva: 1250\nregular_peak_kw: 880\n",
        encoding="utf-8",
    )
    from evgrid.grid.site import load_site

    with pytest.raises(InputError) as info:
        load_site(doc)
    assert str(info.value) == (f"{doc}: households: got {{'a': 620}}; allowed: a whole number >= 1")
    assert read_sites(path).errors == []


def test_a_run_in_this_process_reports_progress_by_site(tmp_path: Path) -> None:
    """A time-series run on one worker moves its progress with each site, not by chunks."""
    from evgrid.city.synth import synth_city

    sites = tmp_path / "sites.csv"
    synth_city(5, rng=2).to_csv(sites, index=False)
    settings = city_settings("report", method="timeseries", strategies="orderly", days=2)
    seen: list[tuple[int, int]] = []
    run_city(sites, settings, tmp_path / "run", chunk_sites=3, progress=lambda *d: seen.append(d))
    done = [d for d, _ in seen]
    assert seen[-1] == (5, 5) and set(range(6)) <= set(done)  # every site, 0 to 5
    assert done == sorted(done)  # never backwards
