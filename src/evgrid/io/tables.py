"""Tables: CSV, Excel and Parquet files read into named columns, strictly.

Rules (``docs/errors.md``, "Input files"):

* the first row (line) names the columns; a name may appear once; unnamed columns (an empty
  header cell, as a spreadsheet's index column) are allowed and ignored;
* every row has as many fields as the header: a row with one field more (a decimal comma
  ``300,5``, a trailing comma) or fewer is refused, never shifted (a reader that checks each
  row on its own, such as a city's site table, lists it instead, with its row number); a blank
  line inside the table is refused (in a one-column file it is an empty value) unless the reader
  skips blank lines, and then later rows keep their numbers; blank lines at the end are ignored;
* CSV text is UTF-8, UTF-16/UTF-32 with a byte-order mark, or GB18030/GBK
  (:mod:`evgrid.io.text`); quoted fields may hold commas, not line breaks; spaces around a field
  are ignored;
* a number is written as in ``12``, ``-0.5``, ``1e3``, ``.5``: not ``true``, not ``nan`` or
  ``inf``, not ``1_000`` or ``1,5``; Parquet integer, floating-point and decimal columns are
  numbers, Parquet boolean, list and struct columns are not; wherever a number is read it must be
  finite;
* a spreadsheet cell whose formula has no saved value is refused, never read as empty;
* timestamps follow :mod:`evgrid.io.times` (naive = the site's wall clock, offsets converted,
  no mixing).

CSV is parsed by ``pyarrow.csv`` (multi-threaded C++; no pandas). Excel needs openpyxl and
Parquet ``pyarrow.parquet``; each is imported when such a file is read (:mod:`evgrid.io.sources`).
"""

from __future__ import annotations

import dataclasses
import decimal
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from evgrid.errors import InputError, bad_value
from evgrid.io.files import as_path, read_bytes
from evgrid.io.sources import Parsed, arrow, parse_csv, parse_excel, parse_parquet
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

FORMULA_HINT = (
    "; the cell holds a formula with no saved value (open and save the workbook in Excel, "
    "or paste values)"
)

_NUMBER = re.compile(NUMBER_PATTERN)
_arrow = arrow


class _AsTyped(str):
    """A number as the file wrote it, shown without quotes in a message (``got -2``)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return str.__str__(self)


def _or_list(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def number_of(text: str) -> float | None:
    """A text cell as a number under :data:`NUMBER_PATTERN` (may overflow to inf), else None."""
    return float(text) if _NUMBER.match(text) else None


@dataclass(frozen=True)
class RaggedRow:
    """A row whose field count differs from the header's, listed instead of refused.

    Parameters
    ----------
    row
        Its number as messages give it [-].
    text
        The row as the file has it.
    n_fields
        Its field count [-].
    message
        The one-line refusal, ``FILE row N: got 'TEXT'; allowed: K field(s) ...``.
    """

    row: int
    text: str
    n_fields: int
    message: str


def _decimal(value: decimal.Decimal | None) -> int | float | None:
    """A Parquet decimal as a Python number: ``int`` when whole, else ``float``."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


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
        for Parquet.
    n_rows
        Number of data rows [-].
    first_row
        Number that messages give the first data row: 1 counts data rows (the header not
        counted), 2 counts spreadsheet rows (the header is row 1).
    lines
        Line of the body (0 = the line after the header) of each row, ``(n_rows,)``, when rows
        were left out (blank lines skipped, ragged rows listed); None: row ``i`` is line ``i``.
    ragged
        Rows left out for their field count (``read_table(..., ragged="list")``).
    formulas
        (body line, field) of the spreadsheet cells holding a formula with no saved value.
    """

    source: str
    fields: tuple[str, ...]
    columns: Mapping[str, Any]
    n_rows: int
    first_row: int = 1
    lines: npt.NDArray[np.int64] | None = None
    ragged: tuple[RaggedRow, ...] = ()
    formulas: frozenset[tuple[int, str]] = dataclasses.field(default=frozenset())

    def __contains__(self, field: object) -> bool:
        return field in self.columns

    def row(self, index: int) -> int:
        """The number messages give data row ``index`` (0-based) [-]."""
        line = index if self.lines is None else int(self.lines[index])
        return self.first_row + line

    def where(self, index: int, field: str) -> str:
        """``"FILE row N, FIELD"`` for the data row ``index`` (0-based)."""
        return f"{self.source} row {self.row(index)}, {field}"

    def is_formula(self, index: int, field: str) -> bool:
        """Whether cell (``index``, ``field``) holds a formula with no saved value."""
        if not self.formulas:
            return False
        line = index if self.lines is None else int(self.lines[index])
        return (line, field) in self.formulas

    def cell(self, index: int, field: str) -> object:
        """The value of one cell as a message shows it (a number as written, unquoted)."""
        value = self.columns[field][index].as_py()
        if value is None or value == "":
            return EMPTY
        if isinstance(value, str) and _NUMBER.match(value):
            return _AsTyped(value)
        if isinstance(value, datetime | date | time):
            return value.isoformat()
        return value

    def refuse(self, index: int, field: str, allowed: str) -> InputError:
        """The one-line error for cell (``index``, ``field``)."""
        hint = FORMULA_HINT if self.is_formula(index, field) else ""
        return bad_value(self.where(index, field), self.cell(index, field), allowed + hint)

    def first_bad(self, field: str, bad: npt.NDArray[np.bool_], allowed: str) -> None:
        """Raise :meth:`refuse` for the first row where ``bad`` is true, if any."""
        rows = np.flatnonzero(bad)
        if rows.size:
            raise self.refuse(int(rows[0]), field, allowed)

    def _plain(self, field: str) -> Any:
        pa, pc = _arrow(self.source)
        arr = self.columns[field]
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
        """A column as text, one string a row (an empty cell is ``""``).

        Raises
        ------
        InputError
            A spreadsheet cell whose formula has no saved value.
        """
        pa, pc = _arrow(self.source)
        arr = self._plain(field)
        if not pa.types.is_string(arr.type):
            arr = pc.cast(arr, pa.string())
        if any(f == field for _, f in self.formulas):
            index = next(i for i in range(self.n_rows) if self.is_formula(i, field))
            raise self.refuse(index, field, "a value")
        return ["" if v is None else v for v in arr.to_pylist()]

    def values(self, field: str) -> list[object]:
        """A column's cells as Python values, for readers that check each row on its own.

        Text is trimmed (an empty cell is ``None``); a number column gives ``int`` or
        ``float`` (a NaN stays NaN, to be refused wherever a number is read); a decimal column
        gives ``int`` for a whole value, else ``float``; a boolean column gives ``bool``.
        Nothing is converted from text here: see :func:`number_of`.

        Raises
        ------
        InputError
            A column of lists, structures, maps, bytes or times: ``FILE: column X: got
            'list<item: int64>'; allowed: a column of numbers or text``.
        """
        pa, _pc = _arrow(self.source)
        arr = self._plain(field)
        kind = arr.type
        if pa.types.is_string(kind):
            return [v if v else None for v in arr.to_pylist()]
        if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind):
            return list(arr.to_pylist())
        if pa.types.is_decimal(kind):
            return [_decimal(v) for v in arr.to_pylist()]
        if pa.types.is_null(kind):
            return [None] * self.n_rows
        raise bad_value(f"{self.source}: column {field}", str(kind), "a column of numbers or text")

    def first_repeat(self, field: str, values: npt.ArrayLike, allowed: str) -> None:
        """Refuse the first row whose value an earlier row already has (``values`` of ``field``).

        Raises
        ------
        InputError
            ``FILE row N, FIELD: got V; allowed: ALLOWED, each once (row M has it)``.
        """
        v = np.asarray(values)
        if v.size < 2:
            return
        _, first, inverse = np.unique(v, return_index=True, return_inverse=True)
        earlier = first[inverse.reshape(-1)]
        repeats = np.flatnonzero(earlier != np.arange(v.size))
        if repeats.size:
            j = int(repeats[0])
            earlier_row = self.row(int(earlier[j]))
            raise self.refuse(j, field, f"{allowed}, each once (row {earlier_row} has it)")

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
                f"times all with a UTC offset or all without (row {self.row(0)} {has})",
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
    skip_blank: bool = False,
    ragged: str = "refuse",
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
        CSV only: lines starting with ``#`` and blank lines are not data, and ``#`` comments
        at the end of a line are cut (the layout of distribution files); rows keep the numbers
        of their lines.
    skip_blank
        CSV and Excel: leave out blank lines (rows with every field empty); later rows keep
        their numbers.
    ragged
        ``"refuse"``: a row whose field count differs from the header's refuses the file;
        ``"list"``: such rows are left out and listed in :attr:`Table.ragged` (a reader that
        checks each row on its own).

    Raises
    ------
    InputError
        One line: a wrong extension, an unreadable file, text in none of the encodings read, a
        file that is not of its type, a missing or repeated column name, or (``ragged=
        "refuse"``) a row whose field count differs from the header.
    """
    if ragged not in ("refuse", "list"):
        raise bad_value("ragged", ragged, "refuse or list")
    p = as_path(path, what)
    source = str(p)
    suffix = p.suffix.lower()
    if suffix not in suffixes:
        raise bad_value(f"{source}: file type", suffix or "(none)", f"a {_or_list(suffixes)} file")
    data = read_bytes(p, f"{what} ({_or_list(suffixes)})")
    collect = ragged == "list"
    parsed: Parsed
    if suffix in EXCEL_SUFFIXES:
        parsed = parse_excel(data, source, first_row, skip_blank=skip_blank, collect=collect)
    elif suffix in PARQUET_SUFFIXES:
        parsed = parse_parquet(data, source)
    else:
        parsed = parse_csv(
            data, source, first_row, comments=comments, skip_blank=skip_blank, collect=collect
        )
    names = [n.lower() if casefold else n for n in parsed.names]
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if name and name in seen:
            raise bad_value(
                f"{source}: header",
                name,
                f"each column name once (columns {seen[name] + 1} and {i + 1} repeat it)",
            )
        seen[name] = i
    columns = {n: a for n, a in zip(names, parsed.arrays, strict=True) if n}
    n_rows = len(parsed.arrays[0]) if parsed.arrays else 0
    n_fields = len(names)
    rows = tuple(
        RaggedRow(
            first_row + line,
            text,
            count,
            str(
                bad_value(
                    f"{source} row {first_row + line}",
                    text,
                    f"{n_fields} field(s) as in the header, not {count}; write decimals with a "
                    "point and quote a field that holds a comma",
                )
            ),
        )
        for line, text, count in parsed.ragged
    )
    formulas = frozenset((line, names[c]) for line, c in parsed.formulas if names[c])
    return Table(source, tuple(columns), columns, n_rows, first_row, parsed.lines, rows, formulas)
