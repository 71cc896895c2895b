"""Tables: CSV, Excel and Parquet files read into named columns, strictly.

Rules (``docs/errors.md``, "Input files"):

* the first row (line) names the columns; a name may appear once; unnamed columns (an empty
  header cell, as a spreadsheet's index column) are allowed and ignored;
* every row has as many fields as the header: a row with one field more (a decimal comma
  ``300,5``, a trailing comma) or fewer is refused, never shifted; a blank line inside the table
  is refused (in a one-column file it is an empty value); blank lines at the end are ignored;
* CSV text is UTF-8 (a byte-order mark is allowed); quoted fields may hold commas, not line
  breaks; spaces around a field are ignored;
* a number is written as in ``12``, ``-0.5``, ``1e3``, ``.5``: not ``true``, not ``nan`` or
  ``inf``, not ``1_000`` or ``1,5``; Parquet number columns are numbers, Parquet boolean and list
  columns are not; wherever a number is read it must be finite;
* timestamps follow :mod:`evgrid.io.times` (naive = the site's wall clock, offsets converted,
  no mixing).

CSV is parsed by ``pyarrow.csv`` (multi-threaded C++; no pandas). A small plain file (ASCII,
no quotes, every row as many fields as the header: what evgrid itself writes) is split by Python
instead, with the same values; importing pyarrow would cost a quick command more than reading
it. Whatever pyarrow reads differently or refuses goes to pyarrow, which gives the message, so
both paths answer alike. Excel needs openpyxl and Parquet ``pyarrow.parquet``; each is imported
when such a file is read.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import io
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from evgrid.errors import InputError, bad_value
from evgrid.io.files import read_bytes
from evgrid.io.times import AWARE_PATTERN, ISO_ALLOWED, ISO_PATTERN, site_zone, utc_to_local_ns

CSV_SUFFIXES = (".csv", ".txt")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
PARQUET_SUFFIXES = (".parquet", ".pq")
ALL_SUFFIXES = CSV_SUFFIXES + EXCEL_SUFFIXES + PARQUET_SUFFIXES

NUMBER_PATTERN = r"^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$"
"""A number in a text cell: optional sign, digits with an optional decimal point, optional
exponent. No ``nan``/``inf``, no thousands separators, no decimal comma, ASCII digits only."""

EMPTY = "(empty)"
"""How an empty cell is shown in a message."""

SMALL_CSV_BYTES = 1 << 18
"""A plain CSV body up to this size (about 4 500 session rows) is split by Python, without
importing pyarrow (about 0.05 s of CPU); larger ones go to ``pyarrow.csv``, whose import a
larger file repays (3 000 session rows: 0.025 s split, 0.01 s read by pyarrow once imported)
[B]."""

CSV_SPACE = " \t\n\v\f\r\x1c\x1d\x1e\x1f"
"""What ``pyarrow.compute.utf8_trim_whitespace`` trims from an ASCII field (Python's
``str.isspace`` in ASCII)."""

_NUMBER = re.compile(NUMBER_PATTERN)
_NUMBER_LINES = re.compile(f"(?:{NUMBER_PATTERN[1:-1]}\n)*")
"""Numbers, each ending a line: a whole column checked in one pass."""
_BOM = b"\xef\xbb\xbf"


class _AsTyped(str):
    """A number as the file wrote it, shown without quotes in a message (``got -2``)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return str.__str__(self)


def _or_list(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


class _Compute:
    """The few pyarrow compute kernels the readers use, called through ``pyarrow._compute``.

    ``pyarrow.compute`` wraps all ~300 kernels with generated docstrings when it is imported
    (about 0.04 s); the readers call seven of them directly and keep a command's start quick.
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

    def __getattr__(self, name: str) -> Any:  # unary kernels: is_valid, is_finite, invert, ...
        def kernel(arr: Any) -> Any:
            return self._call(name, [arr])

        return kernel


def _arrow(source: str) -> tuple[Any, Any]:
    try:
        import pyarrow as pa
        import pyarrow._compute as kernels
    except ImportError:
        raise InputError(
            f"{source}: reading tables needs the package pyarrow; install it: pip install pyarrow"
        ) from None
    return pa, _Compute(pa, kernels)


def _first_false(pc: Any, mask: Any) -> int:
    """Index of the first false entry of a boolean array, or -1.

    Only array kernels here: pyarrow imports pandas (0.45 s) as soon as a Python value becomes
    an arrow scalar or array (``pc.index(mask, False)``, ``pa.array([...])``).
    """
    false_at = pc.indices_nonzero(pc.invert(mask))
    return int(false_at[0].as_py()) if len(false_at) else -1


def _to_numpy(arr: Any, dtype: type[np.float64] | type[np.int64]) -> npt.NDArray[Any]:
    """A null-free float64/int64 arrow array as a numpy copy (``to_numpy`` would import pandas)."""
    if len(arr) == 0:
        return np.empty(0, dtype=dtype)
    return np.frombuffer(
        arr.buffers()[1], dtype=dtype, count=len(arr), offset=arr.offset * 8
    ).copy()


@dataclass(frozen=True, eq=False)
class Table:
    """A table as read: named columns of equal length, and where each row came from.

    Parameters
    ----------
    source
        The file as the user named it; starts every message.
    fields
        Column names in file order (unnamed columns left out).
    columns
        One pyarrow array a field: text for CSV and Excel (trimmed of spaces), the stored type
        for Parquet; for a small plain CSV file split by Python, a list of trimmed text a field
        (read them through :meth:`numbers`, :meth:`text` and :meth:`times`, which answer alike
        for both).
    n_rows
        Number of data rows [-].
    first_row
        Number that messages give the first data row: 1 counts data rows (the header not
        counted), 2 counts spreadsheet rows (the header is row 1).
    arrow
        For a CSV file split by Python (its columns are lists of trimmed text): reads the same
        file through ``pyarrow.csv``, for the timestamp columns.
    """

    source: str
    fields: tuple[str, ...]
    columns: Mapping[str, Any]
    n_rows: int
    first_row: int = 1
    arrow: Callable[[], Mapping[str, Any]] | None = dataclasses.field(default=None, repr=False)
    _arrow_columns: dict[str, Any] = dataclasses.field(default_factory=dict, init=False, repr=False)

    def __contains__(self, field: object) -> bool:
        return field in self.columns

    def where(self, index: int, field: str) -> str:
        """``"FILE row N, FIELD"`` for the data row ``index`` (0-based)."""
        return f"{self.source} row {self.first_row + index}, {field}"

    def cell(self, index: int, field: str) -> object:
        """The value of one cell as a message shows it (a number as written, unquoted)."""
        column = self.columns[field]
        value = column[index] if isinstance(column, list) else column[index].as_py()
        if value is None or value == "":
            return EMPTY
        if isinstance(value, str) and _NUMBER.match(value):
            return _AsTyped(value)
        if isinstance(value, datetime | date | time):
            return value.isoformat()
        return value

    def refuse(self, index: int, field: str, allowed: str) -> InputError:
        """The one-line error for cell (``index``, ``field``)."""
        return bad_value(self.where(index, field), self.cell(index, field), allowed)

    def first_bad(self, field: str, bad: npt.NDArray[np.bool_], allowed: str) -> None:
        """Raise :meth:`refuse` for the first row where ``bad`` is true, if any."""
        rows = np.flatnonzero(bad)
        if rows.size:
            raise self.refuse(int(rows[0]), field, allowed)

    def _plain(self, field: str) -> Any:
        pa, pc = _arrow(self.source)
        arr = self.columns[field]
        if isinstance(arr, list):  # split by Python: the same file through pyarrow
            if not self._arrow_columns:
                assert self.arrow is not None
                self._arrow_columns.update(self.arrow())
            arr = self._arrow_columns[field]
        if pa.types.is_dictionary(arr.type):
            arr = arr.dictionary_decode()
        is_view = getattr(pa.types, "is_string_view", None)  # pyarrow >= 16
        if pa.types.is_large_string(arr.type) or (is_view is not None and is_view(arr.type)):
            arr = pc.cast(arr, pa.string())
        return arr

    def numbers(self, field: str, allowed: str) -> npt.NDArray[np.float64]:
        """A column of finite numbers, shape ``(n_rows,)``.

        Parameters
        ----------
        field
            The column.
        allowed
            What the column holds, for the message, e.g. ``"a finite number >= 0 [kWh]"``.

        Raises
        ------
        InputError
            The first cell that is empty, not a number (text, a boolean, a list), or not finite.
        """
        cells = self.columns[field]
        if isinstance(cells, list):
            lines = "\n".join(cells) + "\n" if cells else ""
            if not _NUMBER_LINES.fullmatch(lines):  # the column in one pass; then find the row
                match = _NUMBER.match
                bad = next(i for i, cell in enumerate(cells) if not match(cell))
                raise self.refuse(bad, field, allowed)
            # float() rounds correctly, as pyarrow's cast does: the same bits
            numbers = np.fromiter(map(float, cells), dtype=np.float64, count=len(cells))
            self.first_bad(field, ~np.isfinite(numbers), allowed)
            return numbers
        pa, pc = _arrow(self.source)
        arr = self._plain(field)
        kind = arr.type
        if pa.types.is_string(kind):
            ok = pc.match_substring_regex(arr, NUMBER_PATTERN)
            bad = _first_false(pc, ok)
            if bad >= 0:
                raise self.refuse(bad, field, allowed)
            values = pc.cast(arr, pa.float64())
        elif pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
            values = pc.cast(arr, pa.float64(), safe=False)
        elif pa.types.is_boolean(kind):
            raise self.refuse(0, field, f"{allowed}; a true/false column is not a number")
        else:
            raise self.refuse(0, field, f"{allowed}; the column holds {kind}")
        if values.null_count:
            raise self.refuse(_first_false(pc, pc.is_valid(values)), field, allowed)
        bad = _first_false(pc, pc.is_finite(values))
        if bad >= 0:
            raise self.refuse(bad, field, allowed)
        return _to_numpy(values, np.float64)

    def text(self, field: str) -> list[str]:
        """A column as text, one string a row (an empty cell is ``""``)."""
        if isinstance(self.columns[field], list):
            return list(self.columns[field])
        pa, pc = _arrow(self.source)
        arr = self._plain(field)
        if not pa.types.is_string(arr.type):
            arr = pc.cast(arr, pa.string())
        return ["" if v is None else v for v in arr.to_pylist()]

    def times(
        self, fields: Sequence[str], allowed: str = ISO_ALLOWED, *, tz: str | None = None
    ) -> list[npt.NDArray[np.int64]]:
        """Timestamp columns as the site's wall-clock time [ns since 1970-01-01 00:00, naive].

        Parameters
        ----------
        fields
            The columns; they are read together (the naive/aware rule spans all of them).
        allowed
            What a cell holds, for the message.
        tz
            The site's IANA time zone; ``None``: :data:`evgrid.io.times.DEFAULT_TZ`.

        Raises
        ------
        InputError
            A cell that is not an ISO-8601 time (or not a real date), a file mixing times with
            and without a UTC offset, or an unknown ``tz``.
        """
        pa, pc = _arrow(self.source)
        columns = [self._plain(f) for f in fields]
        aware: list[Any] = []
        for field, arr in zip(fields, columns, strict=True):
            kind = arr.type
            if pa.types.is_string(kind):
                bad = _first_false(pc, pc.match_substring_regex(arr, ISO_PATTERN))
                if bad >= 0:
                    raise self.refuse(bad, field, allowed)
                aware.append(pc.match_substring_regex(arr, AWARE_PATTERN))
            elif pa.types.is_timestamp(kind) or pa.types.is_date(kind):
                aware.append(pa.types.is_timestamp(kind) and kind.tz is not None)
            else:
                raise self.refuse(0, field, f"{allowed}; the column holds {kind}")
            if arr.null_count:
                raise self.refuse(_first_false(pc, pc.is_valid(arr)), field, allowed)
        if self.n_rows == 0:
            return [np.empty(0, dtype=np.int64) for _ in fields]
        first = aware[0]
        reference = first if isinstance(first, bool) else bool(first[0].as_py())
        mixed = []
        for field, flags in zip(fields, aware, strict=True):
            if isinstance(flags, bool):
                index = -1 if flags == reference else 0
            else:
                index = _first_false(pc, flags if reference else pc.invert(flags))
            if index >= 0:
                mixed.append((index, field))
        if mixed:
            index, field = min(mixed, key=lambda m: m[0])
            has = "has one" if reference else "has none"
            raise self.refuse(
                index,
                field,
                f"times all with a UTC offset or all without (row {self.first_row} {has})",
            )
        target = pa.timestamp("ns", tz="UTC" if reference else None)
        out = []
        for field, arr in zip(fields, columns, strict=True):
            stamps = self._cast_times(arr, target, field, allowed)
            out.append(_to_numpy(pc.cast(stamps, pa.int64()), np.int64))
        if reference:
            zone = site_zone(tz)
            return [utc_to_local_ns(ns, zone) for ns in out]
        if tz is not None:
            site_zone(tz)  # refuse an unknown zone even when no time needs it
        return out

    def _cast_times(self, arr: Any, target: Any, field: str, allowed: str) -> Any:
        _pa, pc = _arrow(self.source)
        try:
            return pc.cast(arr, target)
        except Exception:  # an impossible date (2024-02-30) or out of range: find the row
            lo, hi = 0, len(arr)  # arr[:lo] casts, arr[:hi] does not
            while hi - lo > 1:
                mid = (lo + hi) // 2
                try:
                    pc.cast(arr.slice(0, mid), target)
                    lo = mid
                except Exception:
                    hi = mid
            raise self.refuse(hi - 1, field, f"{allowed} (a real date and time)") from None


def read_table(
    path: str | Path,
    what: str,
    *,
    suffixes: Sequence[str] = ALL_SUFFIXES,
    casefold: bool = False,
    first_row: int = 1,
    comments: bool = False,
) -> Table:
    """Read a CSV, Excel (first sheet) or Parquet file, chosen by its extension.

    Parameters
    ----------
    path
        The file.
    what
        What the file should be, for messages, e.g. ``"session file"``.
    suffixes
        The extensions this reader accepts (lower case, with the dot).
    casefold
        Compare column names in lower case (``Power_kW`` is ``power_kw``).
    first_row
        How messages number the first data row (see :class:`Table`).
    comments
        CSV only: drop lines starting with ``#`` and blank lines, and cut ``#`` comments at the
        end of a line (the layout of distribution files).

    Raises
    ------
    InputError
        One line: a wrong extension, an unreadable file, a file that is not of its type, a
        missing or repeated column name, or a row whose field count differs from the header.
    """
    p = Path(path)
    source = str(p)
    suffix = p.suffix.lower()
    if suffix not in suffixes:
        raise bad_value(f"{source}: file type", suffix or "(none)", f"a {_or_list(suffixes)} file")
    data = read_bytes(p, f"{what} ({_or_list(suffixes)})")
    if suffix in EXCEL_SUFFIXES:
        names, arrays = _excel(data, source, first_row)
    elif suffix in PARQUET_SUFFIXES:
        names, arrays = _parquet(data, source)
    else:
        names, arrays = _csv(data, source, first_row, comments, split=True)
    names = [n.lower() if casefold else n for n in names]
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if name and name in seen:
            raise bad_value(
                f"{source}: header",
                name,
                f"each column name once (columns {seen[name] + 1} and {i + 1} repeat it)",
            )
        seen[name] = i
    columns = {n: a for n, a in zip(names, arrays, strict=True) if n}
    n_rows = len(arrays[0]) if arrays else 0

    def arrow() -> dict[str, Any]:
        _, by_arrow = _csv(data, source, first_row, comments, split=False)
        return {n: a for n, a in zip(names, by_arrow, strict=True) if n}

    split = any(isinstance(a, list) for a in arrays)
    return Table(source, tuple(columns), columns, n_rows, first_row, arrow if split else None)


# --- CSV ------------------------------------------------------------------------------------


def _without_comments(data: bytes) -> bytes:
    lines = (line.split(b"#", 1)[0].rstrip() for line in data.splitlines())
    return b"\n".join(line for line in lines if line.strip())


def _split(body: bytes, n_fields: int) -> list[list[str]] | None:
    """The columns of a small plain CSV body, each field trimmed as pyarrow trims it; ``None``
    for a body that pyarrow must read: larger than :data:`SMALL_CSV_BYTES`, not ASCII, with a
    quote, a lone carriage return (a line end to pyarrow), or a row whose field count differs
    from the header's (pyarrow's path finds the row and words the message)."""
    if len(body) > SMALL_CSV_BYTES or not body.isascii() or b'"' in body:
        return None
    if not body:
        return [[] for _ in range(n_fields)]
    text = body.decode("ascii")
    if "\r" in text:
        text = text.replace("\r\n", "\n")
        if "\r" in text:
            return None
    line = ",".join(["[^,\n]*"] * n_fields)
    if not re.fullmatch(f"{line}(?:\n{line})*", text):  # every row as many fields as the header
        return None
    cells = text.replace("\n", ",").split(",")
    if any(space in text for space in CSV_SPACE if space != "\n"):
        cells = [cell.strip(CSV_SPACE) for cell in cells]
    return [cells[i::n_fields] for i in range(n_fields)]


def _csv(
    data: bytes, source: str, first_row: int, comments: bool, *, split: bool = False
) -> tuple[list[str], list[Any]]:
    """Header names and one column per name: pyarrow string arrays, or (``split``, a small
    plain body, see :func:`_split`) lists of text."""
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
    if comments:
        data = _without_comments(data)
    if b"\n" not in data:  # old Mac line ends: a lone carriage return
        data = data.replace(b"\r", b"\n")
    data = data.rstrip(b" \t\r\n")
    if not data:
        raise bad_value(source, "an empty file", "a header row naming the columns, then data rows")
    end = data.find(b"\n")
    head, body = (data, b"") if end < 0 else (data[:end], data[end + 1 :])
    try:
        header = next(csv.reader([head.rstrip(b"\r").decode("utf-8")], strict=True))
    except (UnicodeDecodeError, csv.Error, StopIteration):
        shown = head[:60].decode("utf-8", "replace")
        raise bad_value(f"{source}: header", shown, "comma-separated column names") from None
    names = [name.strip() for name in header]
    if not any(names):
        raise bad_value(f"{source}: header", head.decode("utf-8", "replace"), "column names")
    if len(names) == 1 and (";" in names[0] or "\t" in names[0]):
        used = "semicolons" if ";" in names[0] else "tabs"
        raise bad_value(
            f"{source}: header",
            names[0],
            f"comma-separated column names (this file separates them with {used}; save it as "
            "CSV with commas and decimal points)",
        )
    columns = _split(body, len(names)) if split else None
    if columns is not None:
        return names, columns
    pa, pc = _arrow(source)
    import pyarrow.csv as pcsv

    if not body:
        return names, [pa.nulls(0, pa.string()) for _ in names]

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

    try:
        table = read(True, None)
    except pa.ArrowInvalid as exc:
        raise _csv_error(body, source, first_row, len(names), str(exc), read) from None
    return names, [pc.utf8_trim_whitespace(table.column(i).combine_chunks()) for i in keys]


def _csv_error(
    body: bytes, source: str, first_row: int, n_fields: int, message: str, read: Any
) -> InputError:
    """The one line for a CSV body that pyarrow refused: find its row (slow path, errors only).

    Text that is not UTF-8 is named first: pyarrow cannot hand such a row to a handler.
    """
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        row = body.count(b"\n", 0, exc.start)
        byte = body[exc.start : exc.start + 1].hex()
        return bad_value(
            f"{source} row {first_row + row}",
            f"byte 0x{byte}, not UTF-8 text",
            "UTF-8 text (save the file as 'CSV UTF-8')",
        )
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
        count = row.actual_columns
        return bad_value(
            f"{source} row {first_row + index}",
            "(blank line)" if not text.strip() else text,
            f"{n_fields} field(s) as in the header, not {count}; write decimals with a point "
            "and quote a field that holds a comma",
        )
    first = message.strip().splitlines()[0] if message.strip() else "unreadable"
    return bad_value(source, first, "a comma-separated table with one header row")


# --- Excel ----------------------------------------------------------------------------------


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value).strip()


def _excel(data: bytes, source: str, first_row: int) -> tuple[list[str], list[Any]]:
    """The first sheet, as text cells, through the CSV path (one set of rules for both)."""
    try:
        import openpyxl
    except ImportError:
        raise InputError(
            f"{source}: reading Excel files needs the package openpyxl; install it: "
            "pip install openpyxl"
        ) from None
    not_excel = "a .xlsx or .xlsm workbook (Excel 2007 or later)"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                rows = [[_cell_text(v) for v in row] for row in book.worksheets[0].values]
            finally:
                book.close()
    except Exception:  # zipfile, XML and openpyxl errors have many types
        raise bad_value(source, "not an Excel workbook", not_excel) from None
    while rows and not any(rows[-1]):
        rows.pop()
    if not rows:
        raise bad_value(source, "an empty sheet", "a header row naming the columns, then data")
    header = rows[0]
    while header and not header[-1]:
        header.pop()
    n = len(header)
    for index, row in enumerate(rows[1:]):
        extra = [v for v in row[n:] if v]
        if extra:
            raise bad_value(
                f"{source} row {first_row + index}",
                extra[0],
                f"{n} field(s) as in the header; nothing right of column {n}",
            )
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerows(row[:n] + [""] * (n - len(row)) for row in rows)
    return _csv(text.getvalue().encode("utf-8"), source, first_row, comments=False)


# --- Parquet --------------------------------------------------------------------------------


def _parquet(data: bytes, source: str) -> tuple[list[str], list[Any]]:
    pa, _pc = _arrow(source)
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
    return names, columns
