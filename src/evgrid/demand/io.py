"""Session files: read and write charging sessions as CSV or Parquet.

Columns (one row a session):

* ``arrival_h``, ``departure_h`` -- hours from midnight of day 0 [h]; or instead ``arrival`` and
  ``departure`` as ISO-8601 timestamps, converted at the edge to hours from midnight of the day
  of the earliest arrival (a fixed UTC offset is kept as local time; mixed offsets go to UTC);
* ``energy_kwh`` -- energy the car asks for, grid side (battery energy ÷ charger efficiency) [kWh];
* ``max_power_kw`` -- largest charging power of the session [kW];
* optional ``vehicle`` (integer pile/car index) and ``session_id`` (any text).

Errors name the file, the row (1-based data row, the header not counted) and the column:
departure before arrival, negative or missing energy, missing column, unparseable number or time.
A session asking for more energy than its window allows at full power is *flagged*, not
rejected: the shortfall shows up as unmet energy of the charging schedule.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from evgrid.errors import bad_value
from evgrid.fileio import write_atomic
from evgrid.sessions import Sessions
from evgrid.timegrid import IntArray

CSV_SUFFIXES = (".csv",)
PARQUET_SUFFIXES = (".parquet", ".pq")
HOURS_COLUMNS = ("arrival_h", "departure_h")
TIME_COLUMNS = ("arrival", "departure")
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


def read_session_file(path: str | Path) -> SessionFile:
    """Read and validate a CSV or Parquet session file.

    Raises
    ------
    InputError
        One line naming file, row and column for a missing column, a bad number or time,
        departure before arrival, negative or missing energy, or a power that is not > 0.
    """
    import pandas as pd

    p = Path(path)
    kind = file_format(p)
    try:
        table = pd.read_csv(p, skipinitialspace=True) if kind == "csv" else pd.read_parquet(p)
    except FileNotFoundError:
        raise bad_value(f"{p}", "missing file", "an existing session file") from None
    except Exception as exc:  # pandas/pyarrow parse errors have many types
        raise bad_value(f"{p}", str(exc).splitlines()[0] if str(exc) else exc, "a table") from None
    table.columns = [str(c).strip() for c in table.columns]
    if set(HOURS_COLUMNS) <= set(table.columns):
        arrival = _numbers(p, table, "arrival_h", "a number >= 0 [h]")
        _first_bad(p, table, "arrival_h", arrival < 0, "a number >= 0 [h]")
        departure = _numbers(p, table, "departure_h", "a number [h]")
    elif set(TIME_COLUMNS) <= set(table.columns):
        arrival, departure = _timestamps(p, table)
    else:
        missing = [c for c in HOURS_COLUMNS if c not in table.columns]
        raise bad_value(
            f"{p}: column {missing[0]}",
            "missing",
            "arrival_h and departure_h, or ISO-8601 arrival and departure columns",
        )
    for col in ("energy_kwh", "max_power_kw"):
        if col not in table.columns:
            raise bad_value(f"{p}: column {col}", "missing", f"a {col} column")
    energy = _numbers(p, table, "energy_kwh", "a number >= 0 [kWh]")
    power = _numbers(p, table, "max_power_kw", "a number > 0 [kW]")
    _first_bad(p, table, "energy_kwh", energy < 0, "a number >= 0 [kWh]")
    _first_bad(p, table, "max_power_kw", ~(power > 0), "a number > 0 [kW]")
    _first_bad(
        p,
        table,
        "departure",
        departure < arrival,
        "a time not before the arrival",
        column=_dep_column(table),
    )
    vehicle = np.arange(len(table), dtype=np.int64)
    if "vehicle" in table.columns:
        v = _numbers(p, table, "vehicle", "a whole number >= 0")
        _first_bad(p, table, "vehicle", (v < 0) | (v != np.round(v)), "a whole number >= 0")
        vehicle = v.astype(np.int64)
    session_id = table["session_id"].astype(str).to_numpy() if "session_id" in table else None
    sessions = Sessions(arrival, departure, energy, power, vehicle)
    over = energy > sessions.deliverable_kwh * (1 + OVER_WINDOW_TOLERANCE)
    return SessionFile(sessions, session_id, np.flatnonzero(over).astype(np.int64) + 1)


def read_sessions(path: str | Path) -> Sessions:
    """Read a session file (see :func:`read_session_file`); warn about over-window rows."""
    f = read_session_file(path)
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
        The sessions; written with full float precision so that reading gives them back exactly.
    path
        Target ``.csv`` or ``.parquet`` file.
    session_id
        Optional identifiers, one a session.
    """
    import pandas as pd

    p = Path(path)
    kind = file_format(p)
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
        columns = {"session_id": ids, **columns}
    table = pd.DataFrame(columns)
    if kind == "csv":
        return write_atomic(p, lambda tmp: table.to_csv(tmp, index=False))
    return write_atomic(p, lambda tmp: table.to_parquet(tmp, index=False))


def _dep_column(table: Any) -> str:
    return "departure_h" if "departure_h" in table.columns else "departure"


def _numbers(path: Path, table: Any, col: str, allowed: str) -> npt.NDArray[np.float64]:
    import pandas as pd

    values = pd.to_numeric(table[col], errors="coerce").to_numpy(dtype=np.float64)
    _first_bad(path, table, col, ~np.isfinite(values), allowed)
    return values


def _first_bad(
    path: Path, table: Any, col: str, bad: npt.NDArray[np.bool_], allowed: str, column: str = ""
) -> None:
    rows = np.flatnonzero(bad)
    if rows.size:
        name = column or col
        raw = table[name].iloc[rows[0]]
        value = raw.item() if hasattr(raw, "item") else raw
        raise bad_value(f"{path} row {rows[0] + 1}, {name}", value, allowed)


def _timestamps(path: Path, table: Any) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    import pandas as pd

    parsed = {}
    for col in TIME_COLUMNS:
        raw = table[col]
        try:
            ts = pd.to_datetime(raw, format="ISO8601", errors="coerce")
        except (ValueError, TypeError):  # mixed UTC offsets: compare in UTC
            ts = pd.to_datetime(raw, format="ISO8601", errors="coerce", utc=True)
        if ts.dtype == object:
            ts = pd.to_datetime(raw, format="ISO8601", errors="coerce", utc=True)
        _first_bad(
            path, table, col, ts.isna().to_numpy(), "an ISO-8601 time, e.g. 2024-05-01T18:30"
        )
        parsed[col] = ts
    arrival, departure = parsed["arrival"], parsed["departure"]
    if (arrival.dt.tz is None) != (departure.dt.tz is None):
        arrival = pd.to_datetime(table["arrival"], format="ISO8601", utc=True)
        departure = pd.to_datetime(table["departure"], format="ISO8601", utc=True)
    if len(arrival) == 0:
        return np.empty(0), np.empty(0)
    origin = arrival.min().floor("D")
    hour = pd.Timedelta(hours=1)
    return (
        ((arrival - origin) / hour).to_numpy(dtype=np.float64),
        ((departure - origin) / hour).to_numpy(dtype=np.float64),
    )
