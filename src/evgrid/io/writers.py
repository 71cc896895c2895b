"""Writers: tables (Parquet, CSV, Excel) and JSON documents, atomic, finite numbers only.

Every file evgrid writes for a reader goes out through here or :mod:`evgrid.fileio`:

* the file appears whole or not at all (:func:`evgrid.fileio.write_atomic`);
* a number that is not finite is refused, never written: ``Infinity`` and ``NaN`` are not JSON,
  and a CSV ``inf`` cannot be read back by evgrid's own readers. An infinity comes from an input
  so large that arithmetic overflowed (a price of 1e308); the message names the file, the
  column or key, and the row;
* in a table, NaN means "no value" (no upgrade year, no cost given): Parquet keeps it, a CSV
  cell is left empty, an Excel cell is left blank;
* an operating-system error (a full disk) names the file it was writing.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from evgrid.errors import InputError, bad_value
from evgrid.fileio import write_atomic

TABLE_WRITE_SUFFIXES = (".parquet", ".pq", ".csv", ".txt", ".xlsx")
"""Extensions :func:`write_table` writes (the format follows the extension)."""

OVERFLOW_HINT = (
    "finite numbers (an input so large that the arithmetic overflowed: check the prices, "
    "sizes and rates given)"
)


@contextlib.contextmanager
def naming(path: str | os.PathLike[str]) -> Iterator[None]:
    """Give an operating-system error raised inside the block the file's name if it has none
    (a full disk reported by pyarrow names no file)."""
    try:
        yield
    except OSError as exc:
        if exc.filename is not None:
            raise
        reason = exc.strerror or (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise OSError(exc.errno or 0, reason, str(path)) from exc


def _arrow_table(table: Any) -> Any:
    import pyarrow as pa

    if isinstance(table, pa.Table):
        return table
    if isinstance(table, Mapping):
        return pa.table(dict(table))
    return pa.Table.from_pandas(table, preserve_index=False)  # a pandas DataFrame


def _float_columns(table: Any) -> Iterator[tuple[str, Any]]:
    import pyarrow as pa

    for name in table.column_names:
        column = table.column(name)
        if pa.types.is_floating(column.type):
            yield name, column


def check_finite(table: Any, where: str) -> None:
    """Refuse a table with an infinite number in a floating-point column.

    Raises
    ------
    InputError
        ``WHERE row N, COLUMN: got inf; allowed: finite numbers (...)``, the row counted from 1.
    """
    for name, column in _float_columns(table):
        values = column.to_numpy()
        bad = np.flatnonzero(np.isinf(values))
        if bad.size:
            row = int(bad[0])
            raise bad_value(f"{where} row {row + 1}, {name}", float(values[row]), OVERFLOW_HINT)


def _nan_as_null(table: Any) -> Any:
    """Floating-point NaN made null, so a CSV cell is left empty."""
    import pyarrow as pa

    for name, column in list(_float_columns(table)):
        values = column.to_numpy()
        missing = np.isnan(values)
        if missing.any():
            index = table.column_names.index(name)
            table = table.set_column(index, name, pa.array(values, mask=missing))
    return table


def _header_line(names: list[str]) -> bytes:
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerow(names)
    return text.getvalue().encode("utf-8")


def _write_csv(table: Any, path: Path) -> None:
    import pyarrow.csv as pcsv

    with path.open("wb") as f:
        f.write(_header_line(table.column_names))
        if table.num_rows:
            pcsv.write_csv(
                _nan_as_null(table), f, write_options=pcsv.WriteOptions(include_header=False)
            )


def _openpyxl(target: Path) -> Any:
    """openpyxl, or one line naming the file asked for and the package to install."""
    try:
        import openpyxl
    except ImportError:
        raise InputError(
            f"{target}: writing Excel files needs the package openpyxl; install it: "
            "pip install openpyxl"
        ) from None
    return openpyxl


def _write_excel(table: Any, path: Path, openpyxl: Any) -> None:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(table.column_names)
    columns = [table.column(i).to_pylist() for i in range(table.num_columns)]
    for row in zip(*columns, strict=True):
        sheet.append(
            [None if isinstance(v, float) and math.isnan(v) else v for v in row]  # blank cell
        )
    book.save(path)


def write_table(path: str | os.PathLike[str], table: Any) -> Path:
    """Write a table atomically as Parquet, CSV or Excel, chosen by the extension.

    Parameters
    ----------
    path
        ``.parquet``/``.pq``, ``.csv``/``.txt`` (UTF-8, a header line, NaN as an empty cell)
        or ``.xlsx`` (one sheet).
    table
        A pyarrow Table, a mapping of column name to values, or a pandas DataFrame (its index
        is not written).

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    InputError
        An unknown extension, or an infinite number (see :func:`check_finite`).
    OSError
        The operating system's error, naming the file.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in TABLE_WRITE_SUFFIXES:
        raise bad_value(f"{target}: file type", suffix or "(none)", ", ".join(TABLE_WRITE_SUFFIXES))
    data = _arrow_table(table)
    check_finite(data, str(target))
    excel = _openpyxl(target) if suffix == ".xlsx" else None  # before a temporary file exists

    def write(tmp: Path) -> None:
        if suffix in (".parquet", ".pq"):
            import pyarrow.parquet as pq

            pq.write_table(data, tmp)
        elif suffix == ".xlsx":
            _write_excel(data, tmp, excel)
        else:
            _write_csv(data, tmp)

    with naming(target):
        return write_atomic(target, write)


def read_parquet_table(path: str | os.PathLike[str], columns: list[str] | None = None) -> Any:
    """A Parquet file evgrid wrote itself (a city run's chunk or result), as a pyarrow Table.

    For evgrid's own outputs only: a user's table goes through :func:`evgrid.io.read_table`.

    Raises
    ------
    InputError
        The file is missing or damaged (a chunk truncated by a full disk or a crash).
    """
    import pyarrow.parquet as pq

    try:
        return pq.read_table(path, columns=columns)
    except (OSError, ValueError) as exc:  # ArrowInvalid is a ValueError
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise bad_value(str(path), first, "a Parquet file written by evgrid") from None


def parquet_rows(path: str | os.PathLike[str]) -> int | None:
    """Rows of a Parquet file from its footer, or None when the file cannot be read."""
    import pyarrow.parquet as pq

    try:
        return int(pq.read_metadata(path).num_rows)
    except (OSError, ValueError):
        return None


def _first_non_finite(doc: Any, path: str = "") -> tuple[str, float] | None:
    stack: list[tuple[Any, str]] = [(doc, path)]
    while stack:
        value, at = stack.pop()
        if isinstance(value, float) and not math.isfinite(value):
            return at, value
        if isinstance(value, Mapping):
            stack.extend((v, f"{at}/{k}") for k, v in reversed(list(value.items())))
        elif isinstance(value, list | tuple):
            stack.extend((v, f"{at}/{i}") for i, v in reversed(list(enumerate(value))))
    return None


def dumps_json(doc: Any, where: str, **options: Any) -> str:
    """``json.dumps`` that refuses NaN and infinities (they are not JSON).

    Parameters
    ----------
    doc
        The document.
    where
        Its name in messages (the file, or ``--json``).
    options
        Passed on to :func:`json.dumps` (``indent``, ``ensure_ascii``).

    Raises
    ------
    InputError
        ``WHERE: /totals/orderly/cost_yuan: got inf; allowed: finite numbers (...)``, naming
        the value by its JSON pointer.
    """
    found = _first_non_finite(doc)
    if found is not None:
        pointer, value = found
        raise bad_value(f"{where}: {pointer or '/'}", value, OVERFLOW_HINT)
    return json.dumps(doc, allow_nan=False, **options)


def write_json(path: str | os.PathLike[str], doc: Any, **options: Any) -> Path:
    """Write a JSON document atomically (UTF-8), refusing non-finite numbers
    (:func:`dumps_json`)."""
    from evgrid.fileio import write_text_atomic

    target = Path(path)
    text = dumps_json(doc, target.name, **options)
    with naming(target):
        return write_text_atomic(target, text)
