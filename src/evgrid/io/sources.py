"""The three table formats parsed into named pyarrow columns: CSV, Excel and Parquet.

Used by :func:`evgrid.io.tables.read_table`, which holds the rules; this module holds the
mechanics of each format. Every format ends as the same :class:`Parsed` value: column names,
one array a column, the line of the file body each row came from, the rows whose field count
differs from the header's (when they are listed rather than refused) and the spreadsheet cells
that hold a formula without a saved value.
"""

from __future__ import annotations

import contextlib
import csv
import io
import warnings
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

import numpy as np
import numpy.typing as npt

from evgrid.errors import InputError, bad_value
from evgrid.io.text import bom_encoding, to_utf8

SAVE_AS_UTF8 = " (or save the file as 'CSV UTF-8')"


@dataclass
class Parsed:
    """A table as parsed, before the column-name rules.

    Parameters
    ----------
    names
        Column names, trimmed, in file order (an unnamed column is ``""``).
    arrays
        One pyarrow array a column, all of one length.
    lines
        Line of the body (0 = the line after the header) of each row, shape ``(n_rows,)``;
        None when row ``i`` is body line ``i``.
    ragged
        Rows left out for a field count other than the header's: (body line, the row's text,
        its field count).
    formulas
        (body line, column index) of the cells that hold a formula with no saved value.
    """

    names: list[str]
    arrays: list[Any]
    lines: npt.NDArray[np.int64] | None = None
    ragged: list[tuple[int, str, int]] = field(default_factory=list)
    formulas: set[tuple[int, int]] = field(default_factory=set)


class Compute:
    """The few pyarrow compute kernels the readers use, called through ``pyarrow._compute``.

    ``pyarrow.compute`` wraps all ~300 kernels with generated docstrings when it is imported
    (about 0.04 s); the readers call a few of them directly and keep a command's start quick.
    """

    def __init__(self, pa: Any, kernels: Any) -> None:
        self._pa = pa
        self._call = kernels.call_function
        self._cast_options = kernels.CastOptions
        self._match_options = kernels.MatchSubstringOptions

    def cast(self, arr: Any, target: Any, safe: bool = True) -> Any:
        options = self._cast_options.safe(target) if safe else self._cast_options.unsafe(target)
        return self._call("cast", [arr], options)

    def match_substring_regex(self, arr: Any, pattern: str) -> Any:
        return self._call("match_substring_regex", [arr], self._match_options(pattern))

    def binary(self, name: str, left: Any, right: Any) -> Any:
        return self._call(name, [left, right])

    def __getattr__(self, name: str) -> Any:  # unary kernels: is_valid, is_finite, invert, ...
        def kernel(arr: Any) -> Any:
            return self._call(name, [arr])

        return kernel


def arrow(source: str) -> tuple[Any, Compute]:
    """pyarrow and its kernels, or one line saying to install it."""
    try:
        import pyarrow as pa
        import pyarrow._compute as kernels
    except ImportError:
        raise InputError(
            f"{source}: reading tables needs the package pyarrow; install it: pip install pyarrow"
        ) from None
    return pa, Compute(pa, kernels)


def bool_mask(pc: Any, pa: Any, mask: Any) -> npt.NDArray[np.bool_]:
    """A null-free boolean arrow array as a numpy array (``to_numpy`` would import pandas)."""
    if len(mask) == 0:
        return np.zeros(0, dtype=bool)
    ints = pc.cast(mask, pa.int8())
    return np.frombuffer(ints.buffers()[1], dtype=np.int8, count=len(ints), offset=ints.offset) != 0


# --- CSV ------------------------------------------------------------------------------------


def _blank_comments(data: bytes) -> bytes:
    """Comment lines (``#``) made blank and ``#`` comments cut, keeping every line's number."""
    return b"\n".join(line.split(b"#", 1)[0].rstrip() for line in data.split(b"\n"))


def _without_leading_blank_lines(data: bytes) -> bytes:
    """``data`` from its first line that is not blank (a regular expression would scan it all)."""
    start = 0
    while True:
        end = data.find(b"\n", start)
        if end < 0 or data[start:end].strip(b" \t"):
            return data[start:] if start else data
        start = end + 1


def _header_line(data: bytes, comments: bool) -> int:
    """Line of the header: the first that is not blank (nor a comment line)."""
    for i, line in enumerate(data.split(b"\n")):
        text = line.split(b"#", 1)[0] if comments else line
        if text.strip():
            return i
    return 0


def _place(data: bytes, source: str, first_row: int, comments: bool) -> Any:
    """``where_at(line)`` for a refused byte: the header, a row, or a line before the header."""

    def where_at(line: int) -> str:
        header = _header_line(data.replace(b"\r\n", b"\n"), comments)
        if line < header:
            return f"{source} line {line + 1}"
        if line == header:
            return f"{source}: header"
        return f"{source} row {first_row + line - header - 1}"

    return where_at


def parse_csv(
    data: bytes,
    source: str,
    first_row: int,
    *,
    comments: bool = False,
    skip_blank: bool = False,
    collect: bool = False,
) -> Parsed:
    """Parse CSV bytes (any encoding of :mod:`evgrid.io.text`) with ``pyarrow.csv``.

    Parameters
    ----------
    data
        The file's bytes.
    source
        The file as the user named it (messages).
    first_row
        How messages number the first data row.
    comments
        Lines starting with ``#`` and ``#`` comments at a line's end are not data (they still
        count as lines); implies ``skip_blank``.
    skip_blank
        Leave out rows whose every field is empty (a blank line), keeping later rows' numbers.
    collect
        List rows whose field count differs from the header's in :attr:`Parsed.ragged` and
        leave them out, instead of refusing the file.
    """
    options = {"comments": comments, "skip_blank": skip_blank, "collect": collect}
    if bom_encoding(data) is None and b"\x00" not in data:
        try:  # most files are UTF-8: pyarrow checks it as it parses, no second pass
            return _parse_utf8(data, source, first_row, **options)
        except _NotUtf8Error:
            pass
    text = to_utf8(data, _place(data, source, first_row, comments), SAVE_AS_UTF8)
    return _parse_utf8(text, source, first_row, **options)


class _NotUtf8Error(Exception):
    """The bytes are not UTF-8: decode them by the rule of :mod:`evgrid.io.text` first."""


def _parse_utf8(
    data: bytes, source: str, first_row: int, *, comments: bool, skip_blank: bool, collect: bool
) -> Parsed:
    """:func:`parse_csv` of UTF-8 bytes (raises :class:`_NotUtf8Error` if they are not)."""
    pa, pc = arrow(source)
    import pyarrow.csv as pcsv

    if b"\r" in data:  # Windows and old Mac line ends: one line end, so lines count exactly
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    if comments:
        data, skip_blank = _blank_comments(data), True
    data = _without_leading_blank_lines(data).rstrip(b" \t\n")
    if not data:
        raise bad_value(source, "an empty file", "a header row naming the columns, then data rows")
    end = data.find(b"\n")
    head, body = (data, b"") if end < 0 else (data[:end], data[end + 1 :])
    try:
        header = next(csv.reader([head.decode("utf-8")], strict=True))
    except UnicodeDecodeError:
        raise _NotUtf8Error from None
    except (csv.Error, StopIteration):
        shown = head[:60].decode("utf-8", "replace")
        raise bad_value(f"{source}: header", shown, "comma-separated column names") from None
    names = [name.strip() for name in header]
    if not any(names):
        raise bad_value(f"{source}: header", head.decode("utf-8"), "column names")
    if len(names) == 1 and (";" in names[0] or "\t" in names[0]):
        used = "semicolons" if ";" in names[0] else "tabs"
        raise bad_value(
            f"{source}: header",
            names[0],
            f"comma-separated column names (this file separates them with {used}; save it as "
            "CSV with commas and decimal points)",
        )
    if not body:
        return Parsed(names, [pa.nulls(0, pa.string()) for _ in names])
    keys = [f"f{i}" for i in range(len(names))]

    def read(threads: bool, handler: Any) -> Any:
        return pcsv.read_csv(
            pa.BufferReader(body),
            read_options=pcsv.ReadOptions(column_names=keys, use_threads=threads),
            parse_options=pcsv.ParseOptions(
                ignore_empty_lines=False, newlines_in_values=False, invalid_row_handler=handler
            ),
            convert_options=pcsv.ConvertOptions(
                column_types=dict.fromkeys(keys, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                check_utf8=True,
            ),
        )

    ragged: list[tuple[int, str, int]] = []
    try:
        table = read(True, None)
    except pa.ArrowInvalid as exc:
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            raise _NotUtf8Error from None
        if not collect:
            raise _csv_error(source, first_row, len(names), str(exc), read) from None

        def skip(row: Any) -> str:
            ragged.append((int(row.number) - 1, row.text, int(row.actual_columns)))
            return "skip"

        try:
            table = read(False, skip)
        except pa.ArrowInvalid as again:
            raise _csv_error(source, first_row, len(names), str(again), read) from None
    arrays = [pc.utf8_trim_whitespace(table.column(k).combine_chunks()) for k in keys]
    lines: npt.NDArray[np.int64] | None = None
    if ragged:
        kept = np.ones(body.count(b"\n") + 1, dtype=bool)
        kept[[r[0] for r in ragged]] = False
        lines = np.flatnonzero(kept).astype(np.int64)
        if lines.size != table.num_rows:  # never seen: pyarrow counts lines as evgrid does
            raise bad_value(source, "rows that cannot be counted", "one row a line")
    if skip_blank and table.num_rows:
        filled = pc.cast(pc.utf8_length(arrays[0]), pa.bool_())  # no Python scalar: no pandas
        for arr in arrays[1:]:
            filled = pc.binary("or", filled, pc.cast(pc.utf8_length(arr), pa.bool_()))
        keep = bool_mask(pc, pa, filled)
        if not keep.all():
            arrays = [pc.binary("filter", arr, filled) for arr in arrays]
            all_lines = np.arange(table.num_rows, dtype=np.int64) if lines is None else lines
            lines = all_lines[keep]
    return Parsed(names, arrays, lines, ragged)


def _csv_error(source: str, first_row: int, n_fields: int, message: str, read: Any) -> InputError:
    """The one line for a CSV body that pyarrow refused: find its row (slow path, errors only)."""
    invalid: list[Any] = []

    def handler(row: Any) -> str:
        invalid.append(row)
        return "error"

    with contextlib.suppress(Exception):  # the handler's "error" ends the read
        read(False, handler)
    if invalid:
        row = invalid[0]
        index = (row.number or 1) - 1
        text = row.text.rstrip("\r")
        return bad_value(
            f"{source} row {first_row + index}",
            "(blank line)" if not text.strip() else text,
            f"{n_fields} field(s) as in the header, not {row.actual_columns}; write decimals "
            "with a point and quote a field that holds a comma",
        )
    first = message.strip().splitlines()[0] if message.strip() else "unreadable"
    return bad_value(source, first, "a comma-separated table with one header row")


# --- Excel ----------------------------------------------------------------------------------

NOT_EXCEL = "a .xlsx or .xlsm workbook (Excel 2007 or later)"


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return " ".join(str(value).split()) if "\n" in str(value) else str(value).strip()


def _openpyxl(source: str) -> Any:
    try:
        import openpyxl
    except ImportError:
        raise InputError(
            f"{source}: reading Excel files needs the package openpyxl; install it: "
            "pip install openpyxl"
        ) from None
    return openpyxl


def _sheet_rows(data: bytes, source: str, data_only: bool) -> list[list[Any]]:
    openpyxl = _openpyxl(source)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=data_only)
            try:
                return [list(row) for row in book.worksheets[0].values]
            finally:
                book.close()
    except Exception:  # zipfile, XML and openpyxl errors have many types
        raise bad_value(source, "not an Excel workbook", NOT_EXCEL) from None


def parse_excel(
    data: bytes, source: str, first_row: int, *, skip_blank: bool = False, collect: bool = False
) -> Parsed:
    """The first sheet, as text cells, through the CSV path (one set of rules for both).

    A cell whose formula has no saved value (a workbook written by a program that does not
    compute formulas) is kept as its formula text and listed in :attr:`Parsed.formulas`, never
    read as empty.
    """
    values = _sheet_rows(data, source, data_only=True)
    rows = [[_cell_text(v) for v in row] for row in values]
    while rows and not any(rows[-1]):
        rows.pop()
    if not rows:
        raise bad_value(source, "an empty sheet", "a header row naming the columns, then data")
    header = rows[0]
    while header and not header[-1]:
        header.pop()
    n = len(header)
    empty = [
        (r, c) for r, row in enumerate(values[1 : len(rows)]) for c in range(min(n, len(row)))
        if row[c] is None
    ]  # fmt: skip
    formulas: set[tuple[int, int]] = set()
    if empty:
        raw = _sheet_rows(data, source, data_only=False)
        for r, c in empty:
            cell = raw[r + 1][c] if r + 1 < len(raw) and c < len(raw[r + 1]) else None
            if cell is not None:
                rows[r + 1][c] = _cell_text(getattr(cell, "text", None) or cell)
                formulas.add((r, c))
    out: list[list[str]] = [header]
    for index, row in enumerate(rows[1:]):
        extra = [v for v in row[n:] if v]
        if extra and not collect:
            raise bad_value(
                f"{source} row {first_row + index}",
                extra[0],
                f"{n} field(s) as in the header; nothing right of column {n}",
            )
        if extra:  # written out in full: the CSV path lists the row for its field count
            last = max(i for i, v in enumerate(row) if v)
            out.append(row[: last + 1])
        else:
            out.append(row[:n] + [""] * (n - len(row)))
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(out)
    parsed = parse_csv(
        text.getvalue().encode("utf-8"), source, first_row, skip_blank=skip_blank, collect=collect
    )
    parsed.formulas = formulas
    return parsed


# --- Parquet --------------------------------------------------------------------------------


def parse_parquet(data: bytes, source: str) -> Parsed:
    """A Parquet file's columns as stored (numbers stay numbers)."""
    pa, _pc = arrow(source)
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError(
            f"{source}: reading Parquet files needs the package pyarrow; install it: "
            "pip install pyarrow"
        ) from None
    try:
        table = pq.read_table(pa.BufferReader(data))
        table.validate(full=True)  # e.g. text that is not UTF-8
        names = [str(n).strip() for n in table.column_names]
        columns = [table.column(i).combine_chunks() for i in range(table.num_columns)]
    except Exception:  # ArrowInvalid, OSError, UnicodeDecodeError for a damaged file
        raise bad_value(
            source, "not a Parquet file", "a Parquet file with one column a field"
        ) from None
    return Parsed(names, columns)
