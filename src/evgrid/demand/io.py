"""Session files: read and write charging sessions as CSV or Parquet.

Columns (one row a session):

* ``arrival_h``, ``departure_h`` -- hours from midnight of day 0 [h]; or instead ``arrival`` and
  ``departure`` as ISO-8601 timestamps, converted at the edge to hours from midnight of the day
  of the earliest arrival, on the site's wall clock: a time without a UTC offset is local time
  of the site's zone (``tz``, default :data:`evgrid.io.DEFAULT_TZ`, Asia/Shanghai), a time with
  one (``+08:00``, ``Z``) is converted to it; a file mixing the two is refused, and so is a file
  giving both hours and timestamps;
* ``energy_kwh`` -- energy the car asks for, grid side (battery energy ÷ charger efficiency) [kWh];
* ``max_power_kw`` -- largest charging power of the session [kW];
* optional ``vehicle`` (integer pile/car index) and ``session_id`` (any text).

The file is read by the strict table reader (:func:`evgrid.io.read_table`: field counts, one
name a column, numbers that are numbers). Errors name the file, the row (1-based data row, the
header not counted) and the column: departure before arrival, negative, empty or non-finite
numbers, a missing column, an unparseable time. A session asking for more energy than its
window allows at full power is *flagged*, not rejected: the shortfall shows up as unmet energy
of the charging schedule.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from evgrid.errors import bad_value
from evgrid.io import Table, as_path, read_table, write_table
from evgrid.io.times import NS_PER_DAY, NS_PER_HOUR
from evgrid.sessions import Sessions
from evgrid.timegrid import IntArray

CSV_SUFFIXES = (".csv",)
PARQUET_SUFFIXES = (".parquet", ".pq")
HOURS_COLUMNS = ("arrival_h", "departure_h")
TIME_COLUMNS = ("arrival", "departure")
MAX_VEHICLE = 2**53 - 1
"""Largest vehicle index: whole numbers above it are not exact in a float64 column [-]."""
OVER_WINDOW_TOLERANCE = 1e-9
"""Relative tolerance before a session's energy counts as more than its window allows [-]."""


@dataclass(frozen=True, eq=False)
class SessionFile:
    """A session file as read.

    Parameters
    ----------
    sessions
        The sessions.
    session_id
        The ``session_id`` column as text, or ``None`` if the file has none.
    over_window_rows
        1-based rows whose energy exceeds ``max_power_kw * (departure_h - arrival_h)``.
    """

    sessions: Sessions
    session_id: npt.NDArray[np.object_] | None
    over_window_rows: IntArray


def file_format(path: Path) -> str:
    """``"csv"`` or ``"parquet"`` from a session file's extension; InputError otherwise."""
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return "csv"
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    raise bad_value(f"{path}", suffix or "no extension", "a .csv or .parquet file")


def read_session_file(path: str | Path, *, tz: str | None = None) -> SessionFile:
    """Read and validate a CSV or Parquet session file.

    Parameters
    ----------
    path
        The ``.csv`` or ``.parquet`` file.
    tz
        IANA time zone of the site, for ISO-8601 ``arrival``/``departure`` columns: naive times
        are its wall-clock time, times with a UTC offset are converted to it; ``None``:
        :data:`evgrid.io.DEFAULT_TZ` (Asia/Shanghai).

    Raises
    ------
    InputError
        One line naming file, row and column for a missing column, a bad number or time,
        departure before arrival, negative or missing energy, or a power that is not > 0.
    """
    p = as_path(path, "session file (.csv or .parquet)")
    file_format(p)
    table = read_table(p, "session file", suffixes=CSV_SUFFIXES + PARQUET_SUFFIXES)
    hours = [c for c in HOURS_COLUMNS if c in table]
    times = [c for c in TIME_COLUMNS if c in table]
    if hours and times:
        raise bad_value(
            f"{p}: columns {hours[0]} and {times[0]}",
            "both",
            "hours (arrival_h, departure_h) or ISO-8601 times (arrival, departure), not both",
        )
    if len(hours) == 2:
        arrival = table.numbers("arrival_h", "a finite number >= 0 [h]")
        table.first_bad("arrival_h", arrival < 0, "a number >= 0 [h]")
        departure = table.numbers("departure_h", "a finite number [h]")
    elif len(times) == 2:
        arrival, departure = _hours_from_times(table, tz)
    else:
        names = HOURS_COLUMNS if hours or not times else TIME_COLUMNS
        missing = next(c for c in names if c not in table)
        raise bad_value(
            f"{p}: column {missing}",
            "missing",
            "arrival_h and departure_h, or ISO-8601 arrival and departure columns",
        )
    for col in ("energy_kwh", "max_power_kw"):
        if col not in table:
            raise bad_value(f"{p}: column {col}", "missing", f"a column named {col}")
    energy = table.numbers("energy_kwh", "a finite number >= 0 [kWh]")
    power = table.numbers("max_power_kw", "a finite number > 0 [kW]")
    table.first_bad("energy_kwh", energy < 0, "a number >= 0 [kWh]")
    table.first_bad("max_power_kw", ~(power > 0), "a number > 0 [kW]")
    dep_column = "departure_h" if hours else "departure"
    table.first_bad(dep_column, departure < arrival, "a time not before the arrival")
    vehicle = np.arange(table.n_rows, dtype=np.int64)
    if "vehicle" in table:
        allowed = f"a whole number in [0, {MAX_VEHICLE}]"
        v = table.numbers("vehicle", allowed)
        table.first_bad("vehicle", (v < 0) | (v > MAX_VEHICLE) | (v != np.round(v)), allowed)
        vehicle = v.astype(np.int64)
    session_id = np.array(table.text("session_id"), dtype=object) if "session_id" in table else None
    sessions = Sessions(arrival, departure, energy, power, vehicle)
    over = energy > sessions.deliverable_kwh * (1 + OVER_WINDOW_TOLERANCE)
    return SessionFile(sessions, session_id, np.flatnonzero(over).astype(np.int64) + 1)


def read_sessions(path: str | Path, *, tz: str | None = None) -> Sessions:
    """Read a session file (see :func:`read_session_file`); warn about over-window rows."""
    f = read_session_file(path, tz=tz)
    if f.over_window_rows.size:
        warnings.warn(
            over_window_message(Path(path), f.over_window_rows), UserWarning, stacklevel=2
        )
    return f.sessions


def over_window_message(path: Path, rows: IntArray, shown: int = 5) -> str:
    """One line naming the rows whose energy does not fit in their window."""
    listed = ", ".join(str(r) for r in rows[:shown]) + (", ..." if rows.size > shown else "")
    return (
        f"{path}: {rows.size} session(s) ask for more energy than max_power_kw x window allows "
        f"(rows {listed}); the shortfall is reported as unmet energy"
    )


def write_sessions(
    sessions: Sessions,
    path: str | Path,
    session_id: npt.ArrayLike | None = None,
) -> Path:
    """Write sessions to a CSV or Parquet file (by extension), atomically.

    Parameters
    ----------
    sessions
        The sessions; written with full float precision (shortest round-trip form) so that
        reading gives them back exactly.
    path
        Target ``.csv`` or ``.parquet`` file.
    session_id
        Optional identifiers, one a session.
    """
    from evgrid.checks import instance

    instance(sessions, Sessions, "sessions", "Sessions (evgrid.Sessions or evgrid.sample_sessions)")
    p = as_path(path, "session file (.csv or .parquet)")
    file_format(p)
    columns: dict[str, Any] = {
        "vehicle": sessions.vehicle,
        "arrival_h": sessions.arrival_h,
        "departure_h": sessions.departure_h,
        "energy_kwh": sessions.energy_kwh,
        "max_power_kw": sessions.max_power_kw,
    }
    if session_id is not None:
        ids = np.asarray(session_id)
        if ids.shape != (len(sessions),):
            raise bad_value("session_id", ids.shape, f"one id a session ({len(sessions)})")
        columns = {"session_id": ids.astype(str), **columns}
    return write_table(p, columns)


def _hours_from_times(
    table: Table, tz: str | None
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Hours from midnight (site wall clock) of the earliest arrival's day [h]."""
    arrival_ns, departure_ns = table.times(TIME_COLUMNS, tz=tz)
    if arrival_ns.size == 0:
        return np.empty(0), np.empty(0)
    origin = (int(arrival_ns.min()) // NS_PER_DAY) * NS_PER_DAY
    return (
        (arrival_ns - origin) / NS_PER_HOUR,
        (departure_ns - origin) / NS_PER_HOUR,
    )
