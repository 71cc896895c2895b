"""Load series given from Python: a pandas Series (or DataFrame) with a DatetimeIndex read as
evenly spaced slots, as pvlib reads its time series.

* The slot length is the index's spacing; a spacing that is not even (a gap, a repeated or
  unsorted time) is refused with one line naming the first time out of step.
* The time zone is the index's own: a tz-aware index is read on its zone's wall clock (times of
  day, midnight), a naive one as it is. Spacing is measured in absolute time, so a clock change
  (daylight saving) inside an aware index does not make it uneven; where the wall clock matters
  (a base load that must start at midnight), a series across a clock change is refused.
* A DataFrame holds one case a column, time along the index (``(n_cases, n_slots)`` once read).
* Anything else -- a numpy array, a list, a Series without a DatetimeIndex -- is returned as its
  values with no slot length: the caller's ``slot_min`` applies.

pandas is imported only when a pandas object is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from evgrid.errors import bad_value

MINUTES_PER_DAY = 1440
NS_PER_MIN = 60_000_000_000


@dataclass(frozen=True)
class SeriesSlots:
    """A load series as evenly spaced slots.

    Parameters
    ----------
    values
        The values, ``(n_slots,)`` for a Series, ``(n_cases, n_slots)`` for a DataFrame [unit
        of the series].
    slot_min
        Slot length from the index [min]; None when the input had no DatetimeIndex.
    start_of_day_min
        Minutes from (wall-clock) midnight to the first time [min]; None without an index.
    """

    values: npt.NDArray[np.float64]
    slot_min: float | None = None
    start_of_day_min: float | None = None


def _is_pandas(value: Any) -> bool:
    return type(value).__module__.partition(".")[0] == "pandas"


def load_series(value: Any, where: str, *, wall_clock: bool = False) -> SeriesSlots:
    """A Python load series as slots (see the module docstring).

    Parameters
    ----------
    value
        A pandas Series or DataFrame with a DatetimeIndex, or any array-like.
    where
        The parameter's name, for messages (``total_kw``).
    wall_clock
        Also require even spacing on the wall clock of the index's zone (refuse a series across
        a daylight-saving change).

    Returns
    -------
    SeriesSlots

    Raises
    ------
    InputError
        An index that is not evenly spaced (or not sorted, or repeats a time), a spacing that
        does not divide a day into whole minutes, or fewer than two times.
    """
    if not _is_pandas(value):
        return SeriesSlots(value)
    import pandas as pd

    frame = isinstance(value, pd.DataFrame)
    if not isinstance(value, pd.Series | pd.DataFrame):
        raise bad_value(where, type(value).__name__, "a pandas Series or DataFrame, or an array")
    index = value.index
    if not isinstance(index, pd.DatetimeIndex):
        data = np.asarray(value.to_numpy())
        return SeriesSlots(data.T if frame else data)
    try:
        values = np.asarray(value.to_numpy(dtype=np.float64))
    except (TypeError, ValueError):
        raise bad_value(where, "values that are not numbers", "numbers [kW]") from None
    if index.size < 2:
        raise bad_value(f"{where} index", index.size, "at least two times (the spacing is a slot)")
    absolute = index.tz_convert("UTC").tz_localize(None) if index.tz is not None else index
    ns = absolute.as_unit("ns").asi8  # pandas 3 may hold microseconds
    step = int(ns[1] - ns[0])
    _even(index, ns, step, where)
    wall = index.tz_localize(None) if index.tz is not None else index
    if wall_clock and index.tz is not None:
        wall_ns = wall.as_unit("ns").asi8
        _even(index, wall_ns, step, where, " on the wall clock (no daylight-saving change)")
    slot_min = step / NS_PER_MIN
    if slot_min <= 0 or (MINUTES_PER_DAY / slot_min) % 1 or slot_min % 1:
        raise bad_value(
            f"{where} index spacing [min]",
            slot_min,
            "whole minutes that divide a day (1, 5, 15, 60)",
        )
    first = wall[0]
    start = (first - first.normalize()).total_seconds() / 60.0
    return SeriesSlots(values.T if frame else values, float(slot_min), float(start))


def _even(index: Any, ns: npt.NDArray[np.int64], step: int, where: str, note: str = "") -> None:
    """Refuse the first time that is not the previous one plus ``step``."""
    off = np.flatnonzero(np.diff(ns) != step) + 1 if step > 0 else np.array([1])
    if off.size:
        i = int(off[0])
        minutes = step / NS_PER_MIN
        raise bad_value(
            f"{where} index [{i}]",
            str(index[i]),
            f"evenly spaced times: {index[i - 1]} + {minutes:g} min{note}",
        )
