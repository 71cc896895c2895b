"""Hostile table files (sessions, load curves, distributions): one exact line, or the right value.

Each case writes one file, reads it with a public reader and compares the whole message, with
``{f}`` standing for the file's path; the folder must hold nothing new afterwards.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook

from evgrid.demand.distributions import read_distribution
from evgrid.demand.io import read_session_file, read_sessions
from evgrid.errors import InputError
from evgrid.load.measured import read_base_load, read_load_curve
from evgrid.timegrid import TimeGrid

HEADER = "arrival_h,departure_h,energy_kwh,max_power_kw\n"
TIMES = "arrival,departure,energy_kwh,max_power_kw\n"
FIELDS_4 = (
    "4 field(s) as in the header, not 5; write decimals with a point and quote a field that "
    "holds a comma"
)
ISO = "an ISO-8601 time, e.g. 2024-05-01T18:30 (local) or 2024-05-01T18:30+08:00"


def _refused(tmp_path: Path, name: str, content: bytes, read: Callable[[Path], Any]) -> str:
    """Write ``content``, read it, return the message with the path as ``{f}``."""
    path = tmp_path / name
    path.write_bytes(content)
    before = sorted(tmp_path.iterdir())
    with pytest.raises(InputError) as info:
        read(path)
    assert sorted(tmp_path.iterdir()) == before  # nothing written beside the input
    message = str(info.value)
    assert "\n" not in message and len(message) < 400
    return message.replace(str(path), "{f}")


SESSION_CASES = [
    pytest.param(
        HEADER + "18,5,31,10,7\n",
        "{f} row 1: got '18,5,31,10,7'; allowed: " + FIELDS_4,
        id="decimal-comma-extra-field",
    ),
    pytest.param(
        HEADER + "18,20,5,7\n18,20,5,7,\n",
        "{f} row 2: got '18,20,5,7,'; allowed: " + FIELDS_4,
        id="trailing-comma",
    ),
    pytest.param(
        HEADER + "18,20,5,7\n\n18,20,5,7\n",
        "{f} row 2, arrival_h: got '(empty)'; allowed: a finite number >= 0 [h]",
        id="blank-line-inside",
    ),
    pytest.param(
        "arrival_h,departure_h,energy_kwh,energy_kwh,max_power_kw\n18,20,5,6,7\n",
        "{f}: header: got 'energy_kwh'; allowed: each column name once (columns 3 and 4 repeat it)",
        id="duplicated-header",
    ),
    pytest.param(
        HEADER + "18,20,true,7\n",
        "{f} row 1, energy_kwh: got 'true'; allowed: a finite number >= 0 [kWh]",
        id="boolean-text",
    ),
    pytest.param(
        HEADER + "18,20,5,inf\n",
        "{f} row 1, max_power_kw: got 'inf'; allowed: a finite number > 0 [kW]",
        id="inf",
    ),
    pytest.param(
        HEADER + "18,1e999,5,7\n",
        "{f} row 1, departure_h: got 1e999; allowed: a finite number [h]",
        id="overflow-to-inf",
    ),
    pytest.param(
        HEADER + "18,20,1_000,7\n",
        "{f} row 1, energy_kwh: got '1_000'; allowed: a finite number >= 0 [kWh]",
        id="underscore-digits",
    ),
    pytest.param(
        HEADER + "18,20,\uff15,7\n",
        "{f} row 1, energy_kwh: got '\uff15'; allowed: a finite number >= 0 [kWh]",
        id="full-width-digit",
    ),
    pytest.param(
        (HEADER + "18,20,5,7\n").encode() + b"18,20,\xff,7\n",
        "{f} row 2: got 'byte 0xff, not UTF-8 or GB18030 text'; allowed: text in UTF-8 (a "
        "byte-order mark allowed), UTF-16 or UTF-32 with a byte-order mark, or GB18030/GBK (or "
        "save the file as 'CSV UTF-8')",
        id="not-utf8",
    ),
    pytest.param(
        TIMES + "2024-05-01T18:30,2024-05-02T07:00,5,7\n2024-05-01T10:30Z,2024-05-02T07:00,5,7\n",
        "{f} row 2, arrival: got '2024-05-01T10:30Z'; allowed: times all with a UTC offset or "
        "all without (row 1 has none)",
        id="mixed-naive-aware",
    ),
    pytest.param(
        TIMES + "2024-05-01T18:30,2024-02-30T07:00,5,7\n",
        "{f} row 1, departure: got '2024-02-30T07:00'; allowed: " + ISO + " (a real date and time)",
        id="impossible-date",
    ),
    pytest.param(
        "arrival_h,departure_h,arrival,departure,energy_kwh,max_power_kw\n18,20,x,y,5,7\n",
        "{f}: columns arrival_h and arrival: got 'both'; allowed: hours (arrival_h, departure_h) "
        "or ISO-8601 times (arrival, departure), not both",
        id="hours-and-times",
    ),
    pytest.param(
        HEADER.strip() + ",vehicle\n18,20,5,7,1e20\n",
        "{f} row 1, vehicle: got 1e20; allowed: a whole number in [0, 9007199254740991]",
        id="vehicle-too-large",
    ),
    pytest.param(
        b"",
        "{f}: got 'an empty file'; allowed: a header row naming the columns, then data rows",
        id="empty-file",
    ),
]


@pytest.mark.parametrize(("content", "expected"), SESSION_CASES)
def test_session_csv(tmp_path: Path, content: str | bytes, expected: str) -> None:
    raw = content.encode("utf-8") if isinstance(content, str) else content
    assert _refused(tmp_path, "s.csv", raw, read_session_file) == expected


def test_session_offsets_are_converted_to_the_site_zone(tmp_path: Path) -> None:
    f = tmp_path / "s.csv"
    f.write_text(
        TIMES + "2024-05-01T10:30Z,2024-05-01T23:15Z,5,7\n"  # 18:30 and 07:15 Beijing time
        "2024-05-01T18:30+08:00,2024-05-02T07:15+0800,5,7\n"
    )
    s = read_sessions(f)
    np.testing.assert_allclose(s.arrival_h, [18.5, 18.5])
    np.testing.assert_allclose(s.departure_h, [31.25, 31.25])
    naive = tmp_path / "n.csv"
    naive.write_text(TIMES + "2024-05-01T18:30,2024-05-02T07:15,5,7\n")
    np.testing.assert_allclose(read_sessions(naive).arrival_h, [18.5])  # local time kept
    berlin = read_sessions(f, tz="Europe/Berlin")  # UTC+2 in May
    np.testing.assert_allclose(berlin.arrival_h, [12.5, 12.5])
    with pytest.raises(InputError, match=r"^tz: got 'Mars/Base'; allowed: an IANA"):
        read_sessions(f, tz="Mars/Base")


def _parquet(tmp_path: Path, columns: dict[str, Any]) -> bytes:
    path = tmp_path / "tmp.parquet"
    pq.write_table(pa.table(columns), path)
    data = path.read_bytes()
    path.unlink()
    return data


BASE = {"arrival_h": [18.0], "departure_h": [20.0], "max_power_kw": [7.0]}


@pytest.mark.parametrize(
    ("energy", "expected"),
    [
        (
            pa.array([True]),
            "{f} row 1, energy_kwh: got True; allowed: a finite number >= 0 [kWh]; a "
            "true/false column is not a number",
        ),
        (
            pa.array([[1.0, 2.0]]),
            "{f} row 1, energy_kwh: got [1.0, 2.0]; allowed: a finite number >= 0 [kWh]; the "
            "column holds list<element: double>",
        ),
        (
            pa.array([float("nan")]),
            "{f} row 1, energy_kwh: got nan; allowed: a finite number >= 0 [kWh]",
        ),
        (
            pa.array([None], pa.float64()),
            "{f} row 1, energy_kwh: got '(empty)'; allowed: a finite number >= 0 [kWh]",
        ),
        (
            pa.array(["3,5"]),
            "{f} row 1, energy_kwh: got '3,5'; allowed: a finite number >= 0 [kWh]",
        ),
    ],
    ids=["boolean", "list", "nan", "null", "text"],
)
def test_session_parquet_columns(tmp_path: Path, energy: Any, expected: str) -> None:
    data = _parquet(tmp_path, {**BASE, "energy_kwh": energy})
    assert _refused(tmp_path, "s.parquet", data, read_session_file) == expected


def test_session_parquet_timestamps(tmp_path: Path) -> None:
    aware = pa.array(np.array(["2024-05-01T10:30"], dtype="datetime64[ns]"))
    f = tmp_path / "t.parquet"
    pq.write_table(
        pa.table(
            {
                "arrival": aware.cast(pa.timestamp("ns", tz="UTC")),
                "departure": pa.array(np.array(["2024-05-01T23:00"], dtype="datetime64[ns]")).cast(
                    pa.timestamp("ns", tz="UTC")
                ),
                "energy_kwh": [5.0],
                "max_power_kw": [7.0],
            }
        ),
        f,
    )
    s = read_sessions(f)
    assert (s.arrival_h[0], s.departure_h[0]) == (18.5, 31.0)
    mixed = {"arrival": aware, "departure": aware.cast(pa.timestamp("ns", tz="UTC"))}
    data = _parquet(tmp_path, {**mixed, "energy_kwh": [5.0], "max_power_kw": [7.0]})
    assert _refused(tmp_path, "m.parquet", data, read_session_file) == (
        "{f} row 1, departure: got '2024-05-01T10:30:00+00:00'; allowed: times all with a UTC "
        "offset or all without (row 1 has none)"
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "s.parquet",
            "{f}: got 'not a Parquet file'; allowed: a Parquet file with one column a field",
        ),
        (
            "c.xlsx",
            "{f}: got 'not an Excel workbook'; allowed: a .xlsx or .xlsm workbook (Excel "
            "2007 or later)",
        ),
    ],
)
def test_text_file_with_a_binary_extension(tmp_path: Path, name: str, expected: str) -> None:
    read = read_session_file if name.endswith(".parquet") else read_load_curve
    assert _refused(tmp_path, name, b"power_kw\n1\n", read) == expected


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda p: os.symlink(p.name, p), "a symbolic-link loop"),
        (lambda p: p.mkdir(), "a folder"),
        (lambda p: None, "missing file"),
    ],
    ids=["symlink-loop", "folder", "missing"],
)
@pytest.mark.parametrize(
    ("name", "read", "what"),
    [
        ("s.csv", read_session_file, "session file (.csv, .parquet or .pq)"),
        ("c.xlsx", read_load_curve, "load-curve file (.csv, .txt, .xlsx or .xlsm)"),
        ("d.csv", read_distribution, "distribution file (.csv or .txt)"),
    ],
)
def test_unreadable_paths(
    tmp_path: Path, make: Callable[[Path], Any], reason: str, name: str, read: Any, what: str
) -> None:
    path = tmp_path / name
    make(path)
    with pytest.raises(InputError) as info:
        read(path)
    assert str(info.value) == f"{path}: got '{reason}'; allowed: an existing, readable {what}"


CURVE_ROWS = "power_kw\n" + "1.0\n" * 10


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(
            "power_kw\n" + "300,5\n" * 24,
            "{f} row 2: got '300,5'; allowed: 1 field(s) as in the header, not 2; write decimals "
            "with a point and quote a field that holds a comma",
            id="decimal-comma",
        ),
        pytest.param(
            'power_kw\n"300,5"\n' + "1\n" * 23,
            "{f} row 2, power_kw: got '300,5'; allowed: a finite number >= 0 [kW]",
            id="quoted-decimal-comma",
        ),
        pytest.param(
            "time,timestamp,power_kw\n00:00,00:00,1\n",
            "{f}: columns time and timestamp: got 'both'; allowed: one time column (time, "
            "timestamp, datetime)",
            id="two-time-columns",
        ),
        pytest.param(
            "time,power_kw\n"
            + "".join(f"2024-07-01T{h:02d}:00{'Z' if h == 5 else ''},1\n" for h in range(24)),
            "{f} row 7, time: got '2024-07-01T05:00Z'; allowed: times all with a UTC offset or "
            "all without (row 2 has none)",
            id="mixed-naive-aware",
        ),
        pytest.param(
            "time;power_kw\n" + "".join(f"{h:02d}:00;1,5\n" for h in range(24)),
            "{f}: header: got 'time;power_kw'; allowed: comma-separated column names (this file "
            "separates them with semicolons; save it as CSV with commas and decimal points)",
            id="semicolon-separated",
        ),
        pytest.param(
            "Power_kW,power_kw\n" + "1,1\n" * 24,
            "{f}: header: got 'power_kw'; allowed: each column name once (columns 1 and 2 "
            "repeat it)",
            id="duplicate-after-case-folding",
        ),
    ],
)
def test_load_curve_csv(tmp_path: Path, content: str, expected: str) -> None:
    assert _refused(tmp_path, "c.csv", content.encode(), read_load_curve) == expected


def test_old_mac_line_ends(tmp_path: Path) -> None:
    f = tmp_path / "c.csv"
    f.write_bytes(b"power_kw\r" + b"1.5\r" * 24)
    assert read_load_curve(f).power_kw.shape == (1, 24)


def test_load_curve_offsets_in_the_site_zone(tmp_path: Path) -> None:
    f = tmp_path / "c.csv"
    start = np.datetime64("2024-06-30T16:00")  # 16:00Z on 30 June: midnight 1 July in Beijing
    f.write_text(
        "time,power_kw\n" + "".join(f"{start + np.timedelta64(h, 'h')}Z,{h}\n" for h in range(24))
    )
    curve = read_load_curve(f)
    np.testing.assert_array_equal(curve.power_kw[0], np.arange(24.0))


def _workbook(tmp_path: Path, rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    path = tmp_path / "tmp.xlsx"
    book.save(path)
    data = path.read_bytes()
    path.unlink()
    return data


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (
            [["power_kw"], *([[1.0]] * 5), [True], *([[1.0]] * 18)],
            "{f} row 7, power_kw: got 'TRUE'; allowed: a finite number >= 0 [kW]",
        ),
        (
            [["power_kw"], *([[1.0]] * 3), [300, 5], *([[1.0]] * 20)],
            "{f} row 5: got '5'; allowed: 1 field(s) as in the header; nothing right of column 1",
        ),
        (
            [["power_kw"], *([[1.0]] * 3), ["#DIV/0!"], *([[1.0]] * 20)],
            "{f} row 5, power_kw: got '#DIV/0!'; allowed: a finite number >= 0 [kW]",
        ),
    ],
    ids=["boolean-cell", "cell-right-of-header", "error-cell"],
)
def test_load_curve_excel(tmp_path: Path, rows: list[list[object]], expected: str) -> None:
    data = _workbook(tmp_path, rows)
    assert _refused(tmp_path, "c.xlsx", data, read_load_curve) == expected


def test_base_load_is_one_row_per_slot(tmp_path: Path) -> None:
    f = tmp_path / "base.csv"
    days = np.repeat([1.0, 2.0, 3.0], 96)  # 288 rows: three days of 15-min slots
    f.write_text("power_kw\n" + "".join(f"{v}\n" for v in days))
    three = read_base_load(f, TimeGrid(slot_min=15, n_days=3))
    np.testing.assert_array_equal(three, days)
    one = read_base_load(f, TimeGrid(slot_min=15, n_days=1))
    np.testing.assert_array_equal(one, np.ones(96))  # day 1, never a 5-min day squeezed
    short = tmp_path / "short.csv"
    short.write_text("power_kw\n" + "1\n" * 100)
    assert _refused(
        tmp_path,
        "short2.csv",
        short.read_bytes(),
        lambda p: read_base_load(p, TimeGrid(slot_min=15)),
    ) == (
        "{f}: rows of power_kw: got 100; allowed: whole days of 96 points (1 days + 4 rows); one "
        "row per 15-min slot, whole days of 96 rows; or add a time column (time/timestamp/"
        "datetime)"
    )


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            "# arrivals\nlower,upper,weight\n17,18,1\n18,19,3,5\n",
            "{f} row 2: got '18,19,3,5'; allowed: 3 field(s) as in the header, not 4; write "
            "decimals with a point and quote a field that holds a comma",
        ),
        ("value,weight\n1,true\n", "{f} row 1, weight: got 'true'; allowed: a finite number"),
        ("value,weight\n1,1\ninf,1\n", "{f} row 2, value: got 'inf'; allowed: a finite number"),
        (
            "value,weight,share_pct\n1,1,100\n",
            "{f}: columns weight and share_pct: got 'both'; allowed: one weight column",
        ),
    ],
    ids=["extra-field", "boolean", "inf", "two-weight-columns"],
)
def test_distribution_csv(tmp_path: Path, content: str, expected: str) -> None:
    assert _refused(tmp_path, "d.csv", content.encode(), read_distribution) == expected
