"""The command line under hostile but realistic use: one line, exit 2, nothing left behind.

One case or more per class of failure (docs/errors.md): operating-system errors on output,
options refused the same way by every command, work too large for the machine, signals, messages
that stay one line, and reports that are the same byte for byte for the same inputs.
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import evgrid.cli
from evgrid.grid.site import report_cases

CASE_A = str(Path(evgrid.cli.__file__).parents[1] / "data" / "cases" / "A.yaml")
SESSIONS = "arrival_h,departure_h,energy_kwh,max_power_kw\n18.5,31.25,10,7\n19,32,5.5,3.5\n"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(evgrid.cli.app, list(args))
    return result.exit_code, result.stdout, result.stderr


def one_error_line(code: int, err: str, *needles: str) -> None:
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("evgrid: error: "), err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


@pytest.fixture
def sessions(tmp_path: Path) -> Path:
    path = tmp_path / "s.csv"
    path.write_text(SESSIONS, encoding="utf-8")
    return path


def no_temporary_files(folder: Path) -> None:
    assert [p.name for p in folder.rglob("*.tmp")] == []


# --- 1. operating-system errors on output -------------------------------------------------------
def test_out_naming_an_existing_folder(tmp_path: Path, sessions: Path) -> None:
    folder = tmp_path / "x.csv"
    folder.mkdir()
    code, _, err = run("load", "--sessions", str(sessions), "--out", str(folder))
    one_error_line(code, err, "--out", "directory")


def test_out_under_a_regular_file(tmp_path: Path, sessions: Path) -> None:
    plain = tmp_path / "plain"
    plain.write_text("x", encoding="utf-8")
    code, _, err = run("load", "--sessions", str(sessions), "--out", str(plain / "y.csv"))
    one_error_line(code, err, str(plain))
    code, _, err = run("hosting", CASE_A, "--out", str(plain / "report"))
    one_error_line(code, err, "--out")
    no_temporary_files(tmp_path)


def test_out_in_proc_is_refused_in_one_line(sessions: Path) -> None:
    code, _, err = run("load", "--sessions", str(sessions), "--out", "/proc/evgrid-out.csv")
    one_error_line(code, err, "/proc")


def test_a_full_disk_leaves_no_file_and_no_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(self: Path, *args: object, **kwargs: object) -> int:
        raise OSError(errno.ENOSPC, "No space left on device", str(self))

    monkeypatch.setattr(Path, "write_text", full)
    out = tmp_path / "deep" / "report"
    code, _, err = run("hosting", CASE_A, "--out", str(out))
    one_error_line(code, err, "No space left on device")
    assert not (tmp_path / "deep").exists()  # the folder made for the report is gone too


def test_an_output_path_equal_to_an_input_path_is_refused(sessions: Path) -> None:
    before = sessions.read_bytes()
    code, _, err = run("load", "--sessions", str(sessions), "--out", str(sessions))
    one_error_line(code, err, "--out", "input")
    assert sessions.read_bytes() == before


# --- 2. options refused the same way by every command ------------------------------------------
@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["sample", "--n", "5", "--seed", "-1", "--out", "x.csv"], "--seed"),
        (["hosting", CASE_A, "--method", "timeseries", "--days", "2", "--seed", "-1"], "--seed"),
        (["reproduce", "--seed", "-1", "--out", "r"], "--seed"),
        (["hosting", CASE_A, "--method", "timeseries", "--days", "2", "--limit", "50"], "--limit"),
        (["hosting", CASE_A, "--limit", "50"], "--limit"),
        (["hosting", CASE_A, "--strategy", "tou"], "--strategy"),
        (["hosting", CASE_A, "--strategy", "orderly", "--participation", "5"], "--participation"),
        (["hosting", CASE_A, "--days", "30"], "--days"),
        (["hosting", CASE_A, "--criterion", "hotspot"], "--criterion"),
        (["load", "--sessions", "s.csv", "--slot-min", "nan", "--out", "o.csv"], "--slot-min"),
        (["load", "--sessions", "s.csv", "--slot-min", "inf", "--out", "o.csv"], "--slot-min"),
        (["load", "--sessions", "s.csv", "--slot-min", "7", "--out", "o.csv"], "--slot-min"),
        (["hosting", CASE_A, "--days", "many"], "--days"),
        (["hosting", CASE_A, "--colour", "red"], "--colour"),
        (["hosting"], "SITE"),
    ],
)
def test_a_bad_option_is_one_line(
    tmp_path: Path, sessions: Path, args: list[str], option: str
) -> None:
    os.chdir(tmp_path)
    code, _, err = run(*args)
    one_error_line(code, err)
    assert option.lower() in err.lower()
    assert not (tmp_path / "x.csv").exists() and not (tmp_path / "o.csv").exists()


def test_schedule_refuses_the_seed_before_any_work(tmp_path: Path, sessions: Path) -> None:
    out = tmp_path / "o.csv"
    code, _, err = run(
        "schedule", "--sessions", str(sessions), "--strategy", "tou", "--participation", "0.5",
        "--seed", "-1", "--out", str(out),
    )  # fmt: skip
    one_error_line(code, err, "--seed")
    assert not out.exists()


# --- 3. work and memory -------------------------------------------------------------------------
def test_work_too_large_for_the_machine_is_refused_with_its_size(tmp_path: Path) -> None:
    code, _, err = run("hosting", CASE_A, "--method", "timeseries", "--days", "100000000")
    one_error_line(code, err, "needs about", "GiB")
    code, _, err = run("sample", "--n", "99999999999999999999", "--out", str(tmp_path / "x.csv"))
    one_error_line(code, err, "needs about")
    far = tmp_path / "far.csv"
    far.write_text("arrival_h,departure_h,energy_kwh,max_power_kw\n1,1e9,5,7\n", encoding="utf-8")
    code, _, err = run("load", "--sessions", str(far), "--out", str(tmp_path / "o.csv"))
    one_error_line(code, err, "needs about")


# --- 6. signals ---------------------------------------------------------------------------------
EVGRID = [sys.executable, "-c", "from evgrid._entry import main; main()"]


@pytest.mark.parametrize(("sig", "status"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_a_signal_while_writing_leaves_no_file(tmp_path: Path, sig: int, status: int) -> None:
    out = tmp_path / "big.csv"
    proc = subprocess.Popen(
        [*EVGRID, "sample", "--n", "4000000", "--days", "2", "--seed", "1", "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".big.csv.*.tmp")) and time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == status, err
    assert b"Traceback" not in err
    assert not out.exists()
    no_temporary_files(tmp_path)


def test_ctrl_c_while_starting_is_quiet() -> None:
    """Ctrl-C while the command line loads (typer, numpy, the library) ends quietly with 130.

    The interpreter's own start (before any evgrid code runs) is outside evgrid's reach: the
    child says when the entry module is loaded, and the interrupt follows at once."""
    code = (
        "import sys; from evgrid._entry import main; print('ready', flush=True); "
        "sys.argv = ['evgrid', 'hosting', sys.argv[1], '--method', 'timeseries']; main()"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, CASE_A], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == b"ready"
    time.sleep(0.05)  # past the few instructions between the marker and the entry's guard
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode in (0, 130), err  # finished first, or interrupted quietly
    assert b"Traceback" not in err and b"KeyboardInterrupt" not in err


# --- 7. messages --------------------------------------------------------------------------------
def test_a_warning_before_an_error_is_not_printed(tmp_path: Path) -> None:
    flagged = tmp_path / "s.csv"  # asks more energy than its window allows: a warning
    flagged.write_text("arrival_h,departure_h,energy_kwh,max_power_kw\n18,19,50,7\n", "utf-8")
    code, _, err = run(
        "schedule", "--sessions", str(flagged), "--strategy", "edf", "--limit-kw", "-3",
        "--out", str(tmp_path / "o.csv"),
    )  # fmt: skip
    one_error_line(code, err, "--limit-kw")


def test_a_huge_value_is_cut_in_the_message(tmp_path: Path) -> None:
    site = tmp_path / "site.yaml"
    site.write_text(Path(CASE_A).read_text("utf-8").replace("Community A", "A" * 5000), "utf-8")
    text = site.read_text("utf-8").replace("households: 810", "households: '" + "9" * 5000 + "'")
    site.write_text(text, "utf-8")
    code, _, err = run("hosting", str(site))
    one_error_line(code, err, "households")
    assert len(err) < 600


# --- 8. reproducibility -------------------------------------------------------------------------
def test_the_same_inputs_give_the_same_report_byte_for_byte(tmp_path: Path) -> None:
    pages = []
    for name in ("one", "two"):
        code, _, err = run(
            "hosting", CASE_A, "--method", "timeseries", "--days", "3", "--no-behaviour-range",
            "--out", str(tmp_path / name),
        )  # fmt: skip
        assert code == 0, err
        pages.append((tmp_path / name / "index.html").read_bytes())
    assert pages[0] == pages[1]
    assert report_cases()["A"].name.encode() in pages[0]
