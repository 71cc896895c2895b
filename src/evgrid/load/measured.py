"""Measured base-load curves from CSV or Excel files.

File layout: one row per slot, a ``power_kw`` column (mean power over the slot [kW]) and,
optionally, one time column named ``time``, ``timestamp`` or ``datetime`` holding ISO-8601
timestamps (or times of day such as ``00:15``). A day has 24, 96, 288 or 1440 points (60, 15,
5, 1 min; see :data:`evgrid.timegrid.ALLOWED_SLOTS_PER_DAY`); a file may hold one day or many
whole days.

* With a time column the slot length and the number of days come from the timestamps. They must
  be evenly spaced, and the first one must be midnight (a slot's start, the usual convention) or
  midnight plus one slot (a slot's end, as many metering exports write ``00:15 ... 24:00``).
  Timestamps without a UTC offset are the site's wall-clock time; timestamps with one are
  converted to the site's zone (``tz``, default :data:`evgrid.io.DEFAULT_TZ`); a file mixing the
  two is refused.
* Without a time column the file holds exactly one day, unless ``points_per_day`` is given;
  :func:`read_base_load` reads it as one row per slot of a time grid, whole days of them.

The file is read by the strict table reader (:func:`evgrid.io.read_table`). Every problem is one
:class:`~evgrid.errors.InputError` naming the file, the row (the spreadsheet row, i.e. the line
number with the header as row 1) and the column.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Protocol

import numpy as np

from evgrid.errors import bad_value
from evgrid.io import CSV_SUFFIXES, EXCEL_SUFFIXES, Table, as_path, read_table
from evgrid.io.times import NS_PER_DAY
from evgrid.load.curve import MINUTES_PER_DAY, LoadCurve
from evgrid.load.shapes import typical_curve
from evgrid.timegrid import ALLOWED_SLOTS_PER_DAY, FloatArray, TimeGrid

__all__ = [
    "POWER_COLUMN",
    "TIME_COLUMNS",
    "LoadCurve",
    "read_base_load",
    "read_load_curve",
    "site_load_curve",
]

POWER_COLUMN = "power_kw"
"""Name of the power column [kW]."""

TIME_COLUMNS = ("time", "timestamp", "datetime")
"""Accepted names of the optional time column (ISO-8601 timestamps)."""

CURVE_SUFFIXES = CSV_SUFFIXES + EXCEL_SUFFIXES
"""Extensions of a load-curve file: CSV (``.csv``, ``.txt``) or Excel (``.xlsx``, ``.xlsm``)."""

_TIME_OF_DAY = re.compile(r"T?(\d{1,2}):(\d{2})(?::(\d{2}(?:\.\d+)?))?")
"""A time of day without a date (``00:15``, ``T00:15:00``, ``24:00``)."""
FIRST_DATA_ROW = 2
"""Spreadsheet row of the first data row (row 1 is the header)."""

_ALLOWED_TEXT = "24, 96, 288 or 1440 points a day (60, 15, 5 or 1 min)"
_POWER_ALLOWED = "a finite number >= 0 [kW]"


def _power_values(table: Table) -> FloatArray:
    values = table.numbers(POWER_COLUMN, _POWER_ALLOWED)
    table.first_bad(POWER_COLUMN, values < 0.0, "a number >= 0 [kW]")
    return values


def _minutes_of_day(table: Table, column: str, text: list[str]) -> FloatArray | None:
    """Times of day as minutes after midnight of the first day, or None if not all are."""
    parts = [_TIME_OF_DAY.fullmatch(t) for t in text]
    if not all(parts):
        return None
    of_day = np.array(
        [int(m[1]) * 60.0 + int(m[2]) + float(m[3] or 0.0) / 60.0 for m in parts if m]
    )
    minute = np.array([int(m[2]) for m in parts if m])
    table.first_bad(column, (of_day > MINUTES_PER_DAY) | (minute >= 60), "a time 00:00-24:00")
    steps = np.mod(np.diff(of_day), MINUTES_PER_DAY)  # a new day wraps past midnight
    return np.concatenate([[of_day[0]], of_day[0] + np.cumsum(steps)])


def _slot_from_times(table: Table, column: str, tz: str | None) -> float:
    """Check the time column and return the slot length [min]."""
    if table.n_rows < 2:
        raise bad_value(f"{table.source}: rows", table.n_rows, f"whole days of {_ALLOWED_TEXT}")
    text = table.text(column)
    minutes = _minutes_of_day(table, column, text)
    if minutes is None:
        (stamps_ns,) = table.times(
            [column],
            "an ISO-8601 time, e.g. 2024-07-01T00:15 (or 00:15 for one day)",
            tz=tz,
        )
        midnight_ns = (int(stamps_ns[0]) // NS_PER_DAY) * NS_PER_DAY
        minutes = (stamps_ns - midnight_ns) / 60e9
    steps_min = np.diff(minutes)
    step_min = float(steps_min[0])
    uneven = np.abs(steps_min - step_min) > 1e-6
    table.first_bad(
        column,
        np.concatenate([[False], uneven]),
        f"the previous time + {step_min:g} min (evenly spaced, no gaps or duplicates)",
    )
    allowed_steps = [MINUTES_PER_DAY / n for n in ALLOWED_SLOTS_PER_DAY]
    if not any(abs(step_min - allowed) < 1e-6 for allowed in allowed_steps):
        raise bad_value(f"{table.source}: {column} spacing [min]", step_min, _ALLOWED_TEXT)
    offset_min = float(minutes[0])
    if not (abs(offset_min) < 1e-6 or abs(offset_min - step_min) < 1e-6):
        raise table.refuse(
            0,
            column,
            f"midnight (slot start) or midnight + {step_min:g} min (slot end) as first time",
        )
    return round(step_min, 6)


def _read_table(path: Path) -> Table:
    return read_table(
        path,
        "load-curve file",
        suffixes=CURVE_SUFFIXES,
        casefold=True,
        first_row=FIRST_DATA_ROW,
    )


def _time_column(table: Table) -> str | None:
    present = [c for c in TIME_COLUMNS if c in table]
    if len(present) > 1:
        raise bad_value(
            f"{table.source}: columns {present[0]} and {present[1]}",
            "both",
            f"one time column ({', '.join(TIME_COLUMNS)})",
        )
    return present[0] if present else None


def _read_curve(path: str | Path, rows_per_day: int | None, tz: str | None, hint: str) -> LoadCurve:
    """A curve file; without a time column, ``rows_per_day`` rows make a day (None: one day)."""
    path = as_path(path, "load-curve file (.csv, .txt, .xlsx or .xlsm)")
    table = _read_table(path)
    if POWER_COLUMN not in table:
        raise bad_value(f"{path}: columns", list(table.fields), f"a '{POWER_COLUMN}' column [kW]")
    if table.n_rows == 0:
        raise bad_value(f"{path}: rows", 0, f"whole days of {_ALLOWED_TEXT}")
    power_kw = _power_values(table)
    time_column = _time_column(table)
    n_rows = power_kw.size
    if time_column is not None:
        slot_min = _slot_from_times(table, time_column, tz)
        per_day = round(MINUTES_PER_DAY / slot_min)
    elif rows_per_day is not None:
        per_day = rows_per_day
    else:
        if n_rows not in ALLOWED_SLOTS_PER_DAY:
            raise bad_value(f"{path}: rows of {POWER_COLUMN}", n_rows, hint)
        per_day = n_rows
    if n_rows % per_day:
        raise bad_value(
            f"{path}: rows of {POWER_COLUMN}",
            n_rows,
            f"whole days of {per_day} points ({n_rows // per_day} days + {n_rows % per_day} rows)"
            + ("" if time_column else f"; {hint}"),
        )
    return LoadCurve(power_kw.reshape(-1, per_day), MINUTES_PER_DAY / per_day, str(path))


def read_load_curve(
    path: str | Path, *, points_per_day: int | None = None, tz: str | None = None
) -> LoadCurve:
    """Read a measured base-load curve from a CSV or Excel file.

    Parameters
    ----------
    path
        ``.csv``/``.txt`` (comma-separated, header row) or ``.xlsx``/``.xlsm`` (first sheet) with a
        ``power_kw`` column [kW] and optionally a ``time``/``timestamp``/``datetime`` column of
        ISO-8601 timestamps.
    points_per_day
        Points per day (24, 96, 288 or 1440) for a file without a time column that holds more
        than one day [-]. Ignored when the file has a time column.
    tz
        IANA time zone of the site: timestamps with a UTC offset are converted to it;
        ``None``: :data:`evgrid.io.DEFAULT_TZ` (Asia/Shanghai).

    Returns
    -------
    LoadCurve
        ``power_kw`` of shape ``(n_days, points_per_day)`` [kW].

    Raises
    ------
    InputError
        One line naming the file, row and column: missing column, empty, NaN or non-numeric
        power, negative power, unparseable or unevenly spaced times, wrong number of points.
    """
    if points_per_day is not None and points_per_day not in ALLOWED_SLOTS_PER_DAY:
        raise bad_value("points_per_day", points_per_day, _ALLOWED_TEXT)
    hint = (
        f"one day of {_ALLOWED_TEXT}; for several days add a time column "
        f"({'/'.join(TIME_COLUMNS)}) or give points_per_day"
    )
    return _read_curve(path, points_per_day, tz, hint)


def read_base_load(path: str | Path, grid: TimeGrid, *, tz: str | None = None) -> FloatArray:
    """A base-load file on a time grid: one row per slot of ``grid``, or timestamped rows.

    Without a time column every row is one slot of ``grid.slot_min`` (so 288 rows on a 15-min
    grid are three days, never one day of 5-min data) and the rows must make whole days; with
    one, the file's own resolution and days are used. The days then repeat over the horizon
    (:meth:`LoadCurve.on_grid`).

    Parameters
    ----------
    path
        CSV or Excel file with a ``power_kw`` column [kW] (see :func:`read_load_curve`).
    grid
        The time grid of the schedule.
    tz
        IANA time zone of the site (see :func:`read_load_curve`).

    Returns
    -------
    numpy.ndarray
        Mean base power per slot, shape ``(grid.n_slots,)`` [kW].
    """
    per_day = grid.slots_per_day
    hint = (
        f"one row per {grid.slot_min:g}-min slot, whole days of {per_day} rows; or add a time "
        f"column ({'/'.join(TIME_COLUMNS)})"
    )
    return _read_curve(path, per_day, tz, hint).on_grid(grid)


class SiteLike(Protocol):
    """What :func:`site_load_curve` needs from a site (see :mod:`evgrid.grid.site`)."""

    @property
    def kind(self) -> str: ...

    @property
    def load_curve(self) -> Path | None: ...

    @property
    def regular_peak_kw(self) -> float | None: ...


def site_load_curve(site: SiteLike, slot_min: float = 15.0, *, tz: str | None = None) -> LoadCurve:
    """A site's base-load curve: its measured file if it names one, else the typical shape.

    Parameters
    ----------
    site
        A residential or office site (``kind``, ``load_curve``, ``regular_peak_kw`` and, when
        present, ``regular_valley_kw``).
    slot_min
        Slot length of the typical shape [min]; a measured curve keeps its own resolution.
    tz
        IANA time zone of the site, for a measured curve's timestamps (see
        :func:`read_load_curve`).

    Raises
    ------
    InputError
        The site has neither a curve file nor a regular peak.
    """
    if site.load_curve is not None:
        return read_load_curve(site.load_curve, tz=tz)
    if site.regular_peak_kw is None:
        name = getattr(site, "name", "site")
        raise bad_value(
            f"{name}: regular_peak_kw", None, "a regular peak [kW] or a load_curve file"
        )
    valley_kw = getattr(site, "regular_valley_kw", None)
    return typical_curve(site.kind, site.regular_peak_kw, valley_kw, slot_min=slot_min)
