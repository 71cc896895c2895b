"""Measured base-load curves from CSV or Excel files.

File layout: one row per slot, a ``power_kw`` column (mean power over the slot [kW]) and,
optionally, a time column named ``time``, ``timestamp`` or ``datetime`` holding ISO-8601
timestamps. A day has 24, 96, 288 or 1440 points (60, 15, 5, 1 min; see
:data:`evgrid.timegrid.ALLOWED_SLOTS_PER_DAY`); a file may hold one day or many whole days.

* With a time column the slot length and the number of days come from the timestamps. They must
  be evenly spaced, and the first one must be midnight (a slot's start, the usual convention) or
  midnight plus one slot (a slot's end, as many metering exports write ``00:15 ... 24:00``).
* Without a time column the file holds exactly one day, unless ``points_per_day`` is given.

Every problem is one :class:`~evgrid.errors.InputError` naming the file, the row (the
spreadsheet row, i.e. the line number with the header as row 1) and the column. The reader is an
orchestration-layer edge: it is the only place pandas touches a load curve.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd

from evgrid.errors import InputError, bad_value
from evgrid.load.curve import MINUTES_PER_DAY, LoadCurve
from evgrid.load.shapes import typical_curve
from evgrid.timegrid import ALLOWED_SLOTS_PER_DAY, FloatArray, TimeGrid

__all__ = ["POWER_COLUMN", "TIME_COLUMNS", "LoadCurve", "read_load_curve", "site_load_curve"]

POWER_COLUMN = "power_kw"
"""Name of the power column [kW]."""

TIME_COLUMNS = ("time", "timestamp", "datetime")
"""Accepted names of the optional time column (ISO-8601 timestamps)."""

EXCEL_SUFFIXES = (".xlsx", ".xlsm")
CSV_SUFFIXES = (".csv", ".txt")
_TIME_OF_DAY = r"T?\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?"
"""A time of day without a date (``00:15``, ``T00:15:00``, ``24:00``)."""
FIRST_DATA_ROW = 2
"""Spreadsheet row of the first data row (row 1 is the header)."""

_ALLOWED_TEXT = "24, 96, 288 or 1440 points a day (60, 15, 5 or 1 min)"


def _row(index: int) -> int:
    return index + FIRST_DATA_ROW


def _drop_trailing_blank_rows(table: pd.DataFrame) -> pd.DataFrame:
    """Drop empty lines at the end of a CSV file (a blank line inside it stays an error)."""
    blank = table.apply(lambda col: col.fillna("").astype(str).str.strip() == "").all(axis=1)
    filled = np.flatnonzero(~blank.to_numpy())
    return table.iloc[: int(filled[-1]) + 1] if filled.size else table.iloc[:0]


def _read_table(path: Path) -> pd.DataFrame:
    suffix = path.suffix.lower()
    if not path.is_file():
        raise bad_value(f"{path}", "no such file", "an existing CSV or Excel load-curve file")
    try:
        if suffix in EXCEL_SUFFIXES:
            return pd.read_excel(path, engine="openpyxl", dtype=object)
        if suffix in CSV_SUFFIXES:
            table = pd.read_csv(
                path,
                dtype=str,
                skipinitialspace=True,
                keep_default_na=False,
                skip_blank_lines=False,
            )
            return _drop_trailing_blank_rows(table)
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"{path}: cannot read the table: {first_line}") from exc
    raise bad_value(f"{path}: file type", suffix or "(none)", "a .csv, .txt, .xlsx or .xlsm file")


def _power_values(path: Path, raw: pd.Series) -> np.ndarray:
    text = raw.map(lambda v: "" if v is None else str(v).strip())
    values = pd.to_numeric(text.where(text != "", "nan"), errors="coerce").to_numpy(np.float64)
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        i = int(bad[0])
        shown = text.iloc[i] or "(empty)"
        raise bad_value(f"{path} row {_row(i)}, {POWER_COLUMN}", shown, "a finite number >= 0 [kW]")
    negative = np.flatnonzero(values < 0.0)
    if negative.size:
        i = int(negative[0])
        raise bad_value(
            f"{path} row {_row(i)}, {POWER_COLUMN}", float(values[i]), "a number >= 0 [kW]"
        )
    return values


def _minutes_from_text(path: Path, column: str, text: pd.Series) -> np.ndarray:
    """Times as minutes after midnight of the first day (wall-clock time)."""
    time_only = text.str.fullmatch(_TIME_OF_DAY)
    if bool(time_only.all()):
        parts = text.str.lstrip("T").str.split(":", expand=True).astype(np.float64)
        of_day = parts[0].to_numpy() * 60.0 + parts[1].to_numpy()
        if parts.shape[1] > 2:
            of_day = of_day + parts[2].fillna(0.0).to_numpy() / 60.0
        late = np.flatnonzero((of_day > MINUTES_PER_DAY) | (parts[1].to_numpy() >= 60))
        if late.size:
            i = int(late[0])
            raise bad_value(f"{path} row {_row(i)}, {column}", text.iloc[i], "a time 00:00-24:00")
        steps = np.mod(np.diff(of_day), MINUTES_PER_DAY)  # a new day wraps past midnight
        return np.concatenate([[of_day[0]], of_day[0] + np.cumsum(steps)])
    times = pd.to_datetime(text, format="ISO8601", errors="coerce")
    missing = np.flatnonzero(times.isna().to_numpy())
    if missing.size:
        i = int(missing[0])
        shown = text.iloc[i] or "(empty)"
        raise bad_value(
            f"{path} row {_row(i)}, {column}",
            shown,
            "an ISO-8601 time, e.g. 2024-07-01T00:15 (or 00:15 for one day)",
        )
    if getattr(times.dt, "tz", None) is not None:
        times = times.dt.tz_localize(None)  # keep the wall-clock time
    stamps = times.to_numpy(dtype="datetime64[ns]")
    midnight = stamps[0].astype("datetime64[D]").astype("datetime64[ns]")
    return np.asarray((stamps - midnight).astype(np.int64) / 60e9, dtype=np.float64)


def _slot_from_times(path: Path, column: str, raw: pd.Series) -> float:
    """Check the time column and return the slot length [min]."""
    text = raw.map(lambda v: "" if v is None else str(v).strip())
    if len(text) < 2:
        raise bad_value(f"{path}: rows", len(text), f"whole days of {_ALLOWED_TEXT}")
    minutes = _minutes_from_text(path, column, text)
    steps_min = np.diff(minutes)
    step_min = float(steps_min[0])
    uneven = np.flatnonzero(np.abs(steps_min - step_min) > 1e-6)
    if uneven.size:
        i = int(uneven[0]) + 1
        raise bad_value(
            f"{path} row {_row(i)}, {column}",
            text.iloc[i],
            f"the previous time + {step_min:g} min (evenly spaced, no gaps or duplicates)",
        )
    allowed_steps = [MINUTES_PER_DAY / n for n in ALLOWED_SLOTS_PER_DAY]
    if not any(abs(step_min - allowed) < 1e-6 for allowed in allowed_steps):
        raise bad_value(f"{path}: {column} spacing [min]", step_min, _ALLOWED_TEXT)
    offset_min = float(minutes[0])
    if not (abs(offset_min) < 1e-6 or abs(offset_min - step_min) < 1e-6):
        raise bad_value(
            f"{path} row {_row(0)}, {column}",
            text.iloc[0],
            f"midnight (slot start) or midnight + {step_min:g} min (slot end) as first time",
        )
    return round(step_min, 6)


def read_load_curve(path: str | Path, *, points_per_day: int | None = None) -> LoadCurve:
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
    path = Path(path)
    table = _read_table(path)
    table.columns = [str(c).strip().lower() for c in table.columns]
    if POWER_COLUMN not in table.columns:
        raise bad_value(f"{path}: columns", list(table.columns), f"a '{POWER_COLUMN}' column [kW]")
    if len(table) == 0:
        raise bad_value(f"{path}: rows", 0, f"whole days of {_ALLOWED_TEXT}")
    power_kw = _power_values(path, table[POWER_COLUMN])
    time_column = next((c for c in TIME_COLUMNS if c in table.columns), None)
    n_rows = power_kw.size
    if time_column is not None:
        slot_min = _slot_from_times(path, time_column, table[time_column])
        per_day = round(MINUTES_PER_DAY / slot_min)
    elif points_per_day is not None:
        if int(points_per_day) != points_per_day or points_per_day < 1:
            raise bad_value("points_per_day", points_per_day, "a whole number of points >= 1")
        per_day = points_per_day
    else:
        if n_rows not in ALLOWED_SLOTS_PER_DAY:
            raise bad_value(
                f"{path}: rows of {POWER_COLUMN}",
                n_rows,
                f"one day of {_ALLOWED_TEXT}; for several days add a time column "
                f"({'/'.join(TIME_COLUMNS)}) or give points_per_day",
            )
        per_day = n_rows
    if n_rows % per_day:
        raise bad_value(
            f"{path}: rows of {POWER_COLUMN}",
            n_rows,
            f"whole days of {per_day} points ({n_rows // per_day} days + {n_rows % per_day} rows)",
        )
    return LoadCurve(power_kw.reshape(-1, per_day), MINUTES_PER_DAY / per_day, str(path))


class SiteLike(Protocol):
    """What :func:`site_load_curve` needs from a site (see :mod:`evgrid.grid.site`)."""

    @property
    def kind(self) -> str: ...

    @property
    def load_curve(self) -> Path | None: ...

    @property
    def regular_peak_kw(self) -> float | None: ...


def site_load_curve(site: SiteLike, slot_min: float = 15.0) -> LoadCurve:
    """A site's base-load curve: its measured file if it names one, else the typical shape.

    Parameters
    ----------
    site
        A residential or office site (``kind``, ``load_curve``, ``regular_peak_kw`` and, when
        present, ``regular_valley_kw``).
    slot_min
        Slot length of the typical shape [min]; a measured curve keeps its own resolution.

    Raises
    ------
    InputError
        The site has neither a curve file nor a regular peak.
    """
    if site.load_curve is not None:
        return read_load_curve(site.load_curve)
    if site.regular_peak_kw is None:
        name = getattr(site, "name", "site")
        raise bad_value(
            f"{name}: regular_peak_kw", None, "a regular peak [kW] or a load_curve file"
        )
    valley_kw = getattr(site, "regular_valley_kw", None)
    return typical_curve(site.kind, site.regular_peak_kw, valley_kw, slot_min=slot_min)


def read_base_load(path: str | Path, grid: TimeGrid) -> FloatArray:
    """A base-load file on a time grid, ``(grid.n_slots,)`` [kW].

    A file with a time column is read at its own resolution and put on the grid (energy-
    conserving, days repeated). A file without one holds one row per slot of ``grid``: whole
    days of ``grid.slots_per_day`` rows (one day is repeated over the horizon).

    Raises
    ------
    InputError
        The file cannot be read, or its rows are not whole days of the grid's slots.
    """
    table = _read_table(Path(path))
    has_time = any(str(c).strip().lower() in TIME_COLUMNS for c in table.columns)
    points = None if has_time else grid.slots_per_day
    return read_load_curve(path, points_per_day=points).on_grid(grid)
