"""Small plain CSV files are split by Python, others read by pyarrow: the same table either way.

A quick command (``evgrid schedule`` on a few hundred sessions) should not pay for importing
pyarrow; the rules of ``docs/errors.md`` must not depend on the path a file takes. Each case reads
one file twice, once as it comes and once with the Python path turned off, and compares the
fields, the rows, every column as text, and every column as numbers (or the whole message).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evgrid.errors import InputError
from evgrid.io import tables
from evgrid.io.tables import CSV_SPACE, Table, read_table

CELLS = st.text(alphabet="0123456789.e+-x \t\x0b\x1c", max_size=6)
"""Cells: numbers, near-numbers and the ASCII spaces pyarrow trims."""


def _read_both(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Table, Table]:
    split = read_table(path, "table file")
    with monkeypatch.context() as m:
        m.setattr(tables, "SMALL_CSV_BYTES", -1)
        arrow = read_table(path, "table file")
    return split, arrow


def _numbers_or_message(table: Table, field: str) -> object:
    try:
        return table.numbers(field, "a finite number").tobytes()
    except InputError as exc:
        return str(exc)


def _same(split: Table, arrow: Table) -> None:
    assert (split.fields, split.n_rows) == (arrow.fields, arrow.n_rows)
    for field in split.fields:
        assert split.text(field) == arrow.text(field)
        assert _numbers_or_message(split, field) == _numbers_or_message(arrow, field)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(st.lists(CELLS, min_size=1, max_size=3), min_size=1, max_size=8),
    end=st.sampled_from(["\n", "\r\n"]),
)
def test_python_split_equals_pyarrow(
    tmp_path_factory: pytest.TempPathFactory, rows: list[list[str]], end: str
) -> None:
    path = tmp_path_factory.mktemp("split") / "t.csv"
    n = max(len(r) for r in rows)
    header = ",".join(f"c{i}" for i in range(n))
    body = end.join(",".join(r + ["1"] * (n - len(r))) for r in rows)
    path.write_bytes((header + end + body + end).encode("ascii"))
    with pytest.MonkeyPatch.context() as monkeypatch:
        split, arrow = _read_both(path, monkeypatch)
    _same(split, arrow)


def test_evgrid_session_file_is_split_by_python(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text(
        "arrival_h,departure_h,energy_kwh,max_power_kw\n18.5,31,12.5,7\n19,30.25,8,3.5\n"
    )
    table = read_table(path, "session file")
    assert isinstance(table.columns["energy_kwh"], list)
    np.testing.assert_array_equal(table.numbers("energy_kwh", "x"), [12.5, 8.0])


@pytest.mark.parametrize(
    "body",
    [
        'a,b\n1,"2"\n',  # a quote
        "a,b\n1,2\n3\n",  # a short row: pyarrow's message
        "a,b\n1,2\r3,4\n",  # a lone carriage return ends a line for pyarrow
        "a,b\n1,\u00a02\n",  # not ASCII
        "a,b\n1,2\n\n3,4\n",  # a blank line inside
    ],
)
def test_what_python_does_not_split_goes_to_pyarrow(
    body: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(body.encode("utf-8"))
    try:
        split, arrow = _read_both(path, monkeypatch)
    except InputError as exc:
        with monkeypatch.context() as m:
            m.setattr(tables, "SMALL_CSV_BYTES", -1)
            with pytest.raises(InputError) as info:
                read_table(path, "table file")
        assert str(info.value) == str(exc)
        return
    assert not any(isinstance(c, list) for c in split.columns.values())
    _same(split, arrow)


@pytest.mark.parametrize(
    "body", ["a,b\n", "a,b\n1,2\n3,x\n5,6\n", " a , b \n 1 ,\t2\x1c\n3,4\n", "a\n1\n\n2\n"]
)
def test_header_only_bad_cells_spaces_and_empty_values_split_alike(
    body: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "t.csv"
    path.write_text(body)
    split, arrow = _read_both(path, monkeypatch)
    assert all(isinstance(c, list) for c in split.columns.values())
    _same(split, arrow)


def test_python_trims_what_pyarrow_trims() -> None:
    import pyarrow as pa
    import pyarrow._compute as kernels

    cells = ["a" + chr(c) for c in range(128)]
    trimmed = kernels.call_function("utf8_trim_whitespace", [pa.array(cells, type=pa.string())])
    assert [c.strip(CSV_SPACE) for c in cells] == trimmed.to_pylist()


def test_times_of_a_split_file_go_through_pyarrow(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("arrival,energy_kwh\n2024-05-01T18:30,5\n2024-05-01T19:00,6\n")
    table = read_table(path, "session file")
    (ns,) = table.times(["arrival"])
    assert np.diff(ns).tolist() == [30 * 60 * 10**9]
    assert table.numbers("energy_kwh", "x").tolist() == [5.0, 6.0]


def test_reading_a_small_session_file_imports_no_pyarrow(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("arrival_h,departure_h,energy_kwh,max_power_kw\n18.5,31,12.5,7\n")
    code = (
        "import sys\n"
        "from evgrid.demand.io import read_sessions\n"
        f"s = read_sessions({str(path)!r})\n"
        "assert len(s) == 1\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pyarrow', 'pandas')))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[]"
