"""Fuzzing the readers: mutated site, session and curve files (bytes, fields, rows).

Whatever the mutation, a reader either returns or raises :class:`InputError` with one line;
never another exception, never a file written beside the input.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from evgrid.demand.behaviour import Behaviour
from evgrid.demand.io import read_session_file
from evgrid.errors import InputError
from evgrid.grid.site import load_site
from evgrid.load.measured import read_load_curve

pytestmark = pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")

SESSIONS = (
    b"session_id,vehicle,arrival_h,departure_h,energy_kwh,max_power_kw\n"
    b"a,0,18.5,31.25,10,7\nb,1,19,32,5.5,3.5\nc,2,20,30,12,7\n"
)
TIMED_SESSIONS = (
    b"arrival,departure,energy_kwh,max_power_kw\n"
    b"2024-05-01T18:30,2024-05-02T07:15,10,7\n2024-05-01 19:00,2024-05-02 08:00,5,3.5\n"
)
CURVE = b"time,power_kw\n" + b"".join(b"%02d:00,%d\n" % (h, 100 + h) for h in range(24))
SITE = b"""\
kind: residential
name: Community A
built: 1985
households: 810
parking_spaces: 324
transformer_kva: 1250
regular_peak_kw: 880
regular_valley_kw: 352
"""
OFFICE = b"""\
kind: office
name: "Park"
floor_area_m2: 10000
parking_spaces: 100
transformer_kva: 2000
regular_peak_kw: 123
peak_year: 2021
load_curve: curve.csv
"""
BEHAVIOUR = (
    b"preset: office\ncharger_power_kw: 11\ndistance_km: {edges: [0, 10, 20], weights: [1, 3]}\n"
)

TABLE_VALUES = [
    "", " ", "nan", "NaN", "inf", "-inf", "1e999", "1e-400", "-1", "0", "true", "FALSE",
    "1_000", "300,5", '"', '"a,b"', "\x00", "\uff15", "日本", "0620", ".inf", "--1", "1e", ".",
    "+", "0x10", "\r", "\t5", "9" * 400, "2024-05-01T10:30Z", "2024-05-01T18:30+08:00",
    "2024-02-30T00:00", "24:00", "25:00", "00:00:00.5", "1e20",
]  # fmt: skip
YAML_VALUES = [
    ".inf", "-.inf", ".nan", "0620", "2e3", "1e999", "-5", "0", "yes", "no", "~", "''", "[1, 2]",
    "{a: 1}", "&a [*a]", "*undefined", "&x 5", "!!binary aGVsbG8=", "!!python/object:os.system 1",
    "!!int 0620", "!!float x", '"\\x00"', "0x10", "0o17", "1:20", "1_000", "true", "|", ">-",
    "'unterminated", "[", "{", "@", "`", "%", "2024-05-01", "x" * 500, "- a", "? a",
]  # fmt: skip


@st.composite
def mutated(draw: st.DrawFn, base: bytes, values: list[str], sep: str) -> bytes:
    """``base`` with one to three mutations: a byte, a field or value, a whole row."""
    data = base
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["byte", "field", "row"]))
        if kind == "byte":
            at = draw(st.integers(0, len(data)))
            new = draw(st.binary(min_size=0, max_size=3))
            cut = draw(st.integers(0, 2))
            data = data[:at] + new + data[at + cut :]
            continue
        lines = data.decode("utf-8", "replace").split("\n")
        i = draw(st.integers(0, len(lines) - 1))
        if kind == "field":
            parts = lines[i].split(sep)
            j = draw(st.integers(0, len(parts) - 1))
            parts[j] = draw(st.sampled_from(values)) if sep == "," or j else parts[j]
            lines[i] = sep.join(parts)
        else:
            action = draw(st.sampled_from(["dup", "drop", "blank", "extra", "cut", "swap", "doc"]))
            if action == "dup":
                lines.insert(i, lines[i])
            elif action == "drop":
                del lines[i]
            elif action == "blank":
                lines.insert(i, "")
            elif action == "extra":
                lines[i] += "," + draw(st.sampled_from(values))
            elif action == "cut":
                lines[i] = lines[i][: draw(st.integers(0, len(lines[i])))]
            elif action == "swap" and len(lines) > 1:
                lines[0], lines[i] = lines[i], lines[0]
            else:
                lines.insert(i, "---")
        data = "\n".join(lines).encode("utf-8", "surrogateescape")
    return data


def _check(name: str, data: bytes, read: Callable[[Path], Any], extra: dict[str, bytes]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        for other, content in extra.items():
            (base / other).write_bytes(content)
        path = base / name
        path.write_bytes(data)
        before = sorted(base.iterdir())
        try:
            read(path)
        except InputError as exc:
            message = str(exc)
            assert "\n" not in message and "\r" not in message, message
            assert len(message) < 600, message
        assert sorted(base.iterdir()) == before


LONG_RUN = int(os.environ.get("EVGRID_FUZZ_EXAMPLES", "0"))
"""Set ``EVGRID_FUZZ_EXAMPLES=5000`` for a long, randomised run; the suite runs a short,
reproducible one."""
FUZZ = settings(max_examples=LONG_RUN or 150, derandomize=not LONG_RUN)
FUZZ_BINARY = settings(max_examples=LONG_RUN or 60, derandomize=not LONG_RUN)


@FUZZ
@given(
    st.sampled_from([SESSIONS, TIMED_SESSIONS]).flatmap(
        lambda base: mutated(base, TABLE_VALUES, ",")
    )
)
def test_session_files(data: bytes) -> None:
    _check("s.csv", data, read_session_file, {})


@FUZZ
@given(mutated(CURVE, TABLE_VALUES, ","))
def test_curve_files(data: bytes) -> None:
    _check("c.csv", data, read_load_curve, {})


@FUZZ
@given(st.sampled_from([SITE, OFFICE]).flatmap(lambda base: mutated(base, YAML_VALUES, ": ")))
def test_site_files(data: bytes) -> None:
    _check("site.yaml", data, load_site, {"curve.csv": CURVE})


@FUZZ_BINARY
@given(mutated(BEHAVIOUR, YAML_VALUES, ": "))
def test_behaviour_files(data: bytes) -> None:
    _check("b.yaml", data, Behaviour.from_file, {})


def _binary_bases() -> dict[str, bytes]:
    out = io.BytesIO()
    pq.write_table(
        pa.table(
            {
                "arrival_h": np.array([18.0]),
                "departure_h": np.array([20.0]),
                "energy_kwh": np.array([5.0]),
                "max_power_kw": np.array([7.0]),
            }
        ),
        out,
    )
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["power_kw"])
    for h in range(24):
        sheet.append([float(h)])
    xlsx = io.BytesIO()
    book.save(xlsx)
    return {"s.parquet": out.getvalue(), "c.xlsx": xlsx.getvalue()}


BINARY = _binary_bases()


@FUZZ_BINARY
@given(
    st.sampled_from(sorted(BINARY)),
    st.lists(st.tuples(st.integers(0, 10**6), st.binary(min_size=1, max_size=4)), max_size=4),
)
def test_binary_files(name: str, edits: list[tuple[int, bytes]]) -> None:
    data = bytearray(BINARY[name])
    for at, new in edits:
        at %= len(data)
        data[at : at + len(new)] = new
    read = read_session_file if name.endswith(".parquet") else read_load_curve
    _check(name, bytes(data), read, {})


# --- the command line on mutated files: success, or exit 2 with one line; nothing left behind ---
def _cli(args: list[str], out: Path) -> None:
    from typer.testing import CliRunner

    import evgrid.cli

    folder = out.parent
    before = sorted(p.name for p in folder.iterdir())
    result = CliRunner().invoke(evgrid.cli.app, args)
    assert "Traceback" not in result.output + result.stderr
    assert result.exit_code in (0, 2), (result.exit_code, result.stderr)
    if result.exit_code == 2:
        lines = [line for line in result.stderr.splitlines() if line.startswith("evgrid: error")]
        assert len(lines) == 1 and lines[0] == result.stderr.strip().splitlines()[-1]
        assert not out.exists()
    left = sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))
    assert left == [], left
    assert {p.name for p in folder.iterdir()} <= {*before, out.name}


CLI_FUZZ = settings(max_examples=LONG_RUN or 40, derandomize=not LONG_RUN, deadline=None)


@CLI_FUZZ
@given(st.sampled_from([SITE, OFFICE]).flatmap(lambda base: mutated(base, YAML_VALUES, ": ")))
def test_cli_hosting_on_mutated_sites(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        (base / "curve.csv").write_bytes(CURVE)
        (base / "site.yaml").write_bytes(data)
        out = base / "report"
        _cli(["hosting", str(base / "site.yaml"), "--json", "--out", str(out)], out)


@CLI_FUZZ
@given(
    st.sampled_from([SESSIONS, TIMED_SESSIONS]).flatmap(
        lambda base: mutated(base, TABLE_VALUES, ",")
    ),
    mutated(CURVE, TABLE_VALUES, ","),
)
def test_cli_load_and_schedule_on_mutated_files(sessions: bytes, curve: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        (base / "s.csv").write_bytes(sessions)
        (base / "c.csv").write_bytes(curve)
        out = base / "out.csv"
        _cli(["load", "--sessions", str(base / "s.csv"), "--out", str(out)], out)
        out.unlink(missing_ok=True)
        args = ["schedule", "--sessions", str(base / "s.csv"), "--base-load", str(base / "c.csv")]
        _cli([*args, "--strategy", "valley-filling", "--out", str(out)], out)


# --- city tables and scenarios ------------------------------------------------------------------
CITY = (
    b"id,kind,name,type,built,households,parking_spaces,transformer_kva,regular_peak_kw,"
    b"floor_area_m2,peak_year,load_curve\n"
    b"a,residential,A,old,1985,810,324,1250,880,,,\n"
    b"b,residential,B,sub-new,2005,300,300,630,,,,curve.csv\n"
    b"c,office,Park,,,,100,2000,123,10000,2021,curve.csv\n"
)
SCENARIO = b"""\
name: mine
years: [2025, 2030, 2035]
base_year: 2023
ev_share:
  interpolation: linear
  points:
    2025: {value: 0.2, source: assumed}
    2035: {parameter: ev_share_2035_medium}
participation: {parameter: orderly_participation}
types:
  old: {cars_per_space: {value: 0.8, source: assumed}}
  office: {pile_floor: {points: {2025: {value: 0.25, source: report}}}}
"""


def _city_read(path: Path) -> None:
    from evgrid.city.sites import read_sites

    rows = read_sites(path)
    for error in rows.errors:  # a bad row is one line too
        assert "\n" not in error.message and len(error.message) < 600, error.message


def _scenario_read(path: Path) -> None:
    from evgrid.planning.scenarios import load_scenario

    load_scenario(path)


@FUZZ
@given(mutated(CITY, TABLE_VALUES, ","))
def test_city_tables(data: bytes) -> None:
    _check("sites.csv", data, _city_read, {"curve.csv": CURVE})


@FUZZ
@given(mutated(SCENARIO, YAML_VALUES, ": "))
def test_scenario_files(data: bytes) -> None:
    _check("s.yaml", data, _scenario_read, {})


CITY_CLI_FUZZ = settings(max_examples=LONG_RUN or 12, derandomize=not LONG_RUN, deadline=None)


@CITY_CLI_FUZZ
@given(mutated(CITY, TABLE_VALUES, ","))
def test_cli_city_on_mutated_tables(data: bytes) -> None:
    """Exit 0, or 2 with one line; a table with no good row leaves only its errors.csv (and the
    run's manifest) behind, as docs/errors.md says."""
    from typer.testing import CliRunner

    import evgrid.cli

    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        (base / "curve.csv").write_bytes(CURVE)
        (base / "sites.csv").write_bytes(data)
        out = base / "run"
        args = ["city", str(base / "sites.csv"), "--scenario", "report", "--out", str(out)]
        result = CliRunner().invoke(evgrid.cli.app, args)
        assert "Traceback" not in result.output + result.stderr
        assert result.exit_code in (0, 2), (result.exit_code, result.stderr)
        if result.exit_code == 2:
            lines = result.stderr.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("evgrid: error: "), result.stderr
            if out.exists():
                assert "no valid site row" in lines[0]
                left = {p.name for p in out.iterdir()}
                assert left <= {"errors.csv", "manifest.json", "chunks", ".evgrid-lock"}, left
        assert list(base.rglob("*.tmp")) == []


SCENARIO_CLI_FUZZ = settings(max_examples=LONG_RUN or 20, derandomize=not LONG_RUN, deadline=None)


@SCENARIO_CLI_FUZZ
@given(mutated(SCENARIO, YAML_VALUES, ": "))
def test_cli_scenarios_on_mutated_files(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        (base / "s.yaml").write_bytes(data)
        out = base / "never-written"
        _cli(["scenarios", "--show", str(base / "s.yaml"), "--json"], out)
