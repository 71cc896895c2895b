"""The regular load over a year: typical days by season and day type, on a calendar.

A measured curve says what a site's regular load does; without one, the report gives one typical
day (report section 3.1). A planner's year has more: a Sichuan community peaks on summer
evenings (air conditioning), has a lower winter peak (electric heating and cooking) and quieter
spring and autumn days, and weekends differ from weekdays. The design basis
(:mod:`evgrid.planning.basis`) builds the regular load of every simulated day from

* ``data/load_shapes/residential_seasons.csv``: hourly shapes (0 = the day's night valley,
  1 = its peak) of summer and winter weekdays and weekends; the transition seasons take the
  report's typical day (``residential.csv``);
* ``data/load_shapes/seasons.csv``: the months of each season and, per season and day type, the
  day's peak as a share of the year's (``peak_factor``; the site's ``regular_peak_kw`` is the
  summer weekday's) and its valley as a share of the site's valley (``valley_factor``).

:func:`calendar` puts the simulated days on the calendar of a study year: the evaluated days are
spread evenly over the year (365 days give every day once; 30 days a day about every 12), the
warm-up and cool-down days are the days before and after. Every number here is an assumption
stated in the data files; a measured curve takes precedence.
"""

from __future__ import annotations

import csv
import datetime
import functools
import io
from dataclasses import dataclass
from importlib import resources

import numpy as np
import numpy.typing as npt

from evgrid.load.shapes import SHAPE_SLOT_MIN, shape_pu
from evgrid.timegrid import FloatArray, IntArray

DAYS_PER_YEAR = 365
"""Days of the calendar the simulated days are spread over [day]."""

WEEKEND = (5, 6)
"""Saturday and Sunday (``datetime.date.weekday``)."""


@dataclass(frozen=True)
class DayType:
    """One season and day type: its hourly shape and its scales.

    Parameters
    ----------
    season, day
        ``summer``, ``winter`` or ``transition``; ``weekday`` or ``weekend``.
    months
        Months of the season (1-12).
    shape_pu
        Hourly shape, 0 at the day's valley and 1 at its peak, ``(24,)`` [-].
    peak_factor
        The day's peak ÷ the year's peak [-].
    valley_factor
        The day's valley ÷ the site's valley [-] (capped at the day's peak).
    """

    season: str
    day: str
    months: tuple[int, ...]
    shape_pu: FloatArray
    peak_factor: float
    valley_factor: float


def _read(name: str) -> list[dict[str, str]]:
    text = resources.files("evgrid").joinpath("data", "load_shapes", name).read_text("utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    return list(csv.DictReader(io.StringIO("\n".join(lines))))


@functools.cache
def day_types() -> tuple[DayType, ...]:
    """The season and day types of ``data/load_shapes/seasons.csv``, in file order."""
    shapes = _read("residential_seasons.csv")
    columns = {
        name: np.array([float(r[name]) for r in shapes]) for name in shapes[0] if name != "hour"
    }
    out = []
    for row in _read("seasons.csv"):
        shape = shape_pu("residential") if row["shape"] == "typical" else columns[row["shape"]]
        if shape.shape != (24,) or shape.min() != 0.0 or shape.max() != 1.0:
            raise ValueError(f"seasons.csv: {row['shape']}: a 24-hour shape from 0 to 1")
        out.append(
            DayType(
                season=row["season"],
                day=row["day"],
                months=tuple(int(m) for m in row["months"].split()),
                shape_pu=shape,
                peak_factor=float(row["peak_factor"]),
                valley_factor=float(row["valley_factor"]),
            )
        )
    months = sorted(m for t in out if t.day == "weekday" for m in t.months)
    if months != list(range(1, 13)):
        raise ValueError("seasons.csv: every month in exactly one season")
    return tuple(out)


def design_day() -> DayType:
    """The day the year's peak falls on: the largest ``peak_factor`` (a summer weekday)."""
    return max(day_types(), key=lambda t: t.peak_factor)


def design_day_share(within: float = 0.03) -> float:
    """Share of the year's days whose peak is within ``within`` of the year's (the design days:
    the summer, weekdays and weekends alike) [-]."""
    top = design_day().peak_factor
    months = {m for t in day_types() if t.peak_factor >= top * (1 - within) for m in t.months}
    days = sum(
        (datetime.date(2001 + (m == 12), m % 12 + 1, 1) - datetime.date(2001, m, 1)).days
        for m in months
    )
    return days / DAYS_PER_YEAR


def calendar(
    n_days: int, warmup_days: int, cooldown_days: int, year: int
) -> tuple[IntArray, npt.NDArray[np.bool_]]:
    """Month and weekend of every simulated day.

    The evaluated day ``d`` (``0 .. n_days - 1``) is day ``floor((d + 0.5) × 365 / n_days)`` of
    ``year``; the warm-up days are the days before the first, the cool-down days those after the
    last.

    Parameters
    ----------
    n_days, warmup_days, cooldown_days
        Evaluated, warm-up and cool-down days [day].
    year
        The calendar year [year].

    Returns
    -------
    tuple
        Month (1-12) and whether it is a Saturday or Sunday, each ``(warmup + n + cooldown,)``.
    """
    d = np.arange(int(n_days))
    doy = np.floor((d + 0.5) * DAYS_PER_YEAR / int(n_days)).astype(np.int64)
    before = doy[0] - np.arange(int(warmup_days), 0, -1)
    after = doy[-1] + np.arange(1, int(cooldown_days) + 1)
    all_days = np.concatenate([before, doy, after]) % DAYS_PER_YEAR
    jan1 = datetime.date(int(year), 1, 1).toordinal()
    dates = [datetime.date.fromordinal(jan1 + int(k)) for k in all_days]  # a year of days
    month = np.array([x.month for x in dates], dtype=np.int64)
    weekend = np.array([x.weekday() in WEEKEND for x in dates], dtype=bool)
    return month, weekend


def day_type_index(month: IntArray, weekend: npt.NDArray[np.bool_]) -> IntArray:
    """Index into :func:`day_types` of each day ``(n,)`` [-]."""
    types = day_types()
    table = np.full((13, 2), -1, dtype=np.int64)
    for i, t in enumerate(types):
        for m in t.months:
            table[m, int(t.day == "weekend")] = i
    return table[np.asarray(month), np.asarray(weekend).astype(np.int64)]


def seasonal_days_kw(
    peak_kw: float, valley_kw: float, types: IntArray, slot_min: float
) -> FloatArray:
    """The regular load of each day, ``(n_days, 1440 / slot_min)`` [kW].

    Day of type ``t``: ``v + (p - v) × shape_t`` with ``p = peak_factor_t × peak_kw`` and
    ``v = min(valley_factor_t × valley_kw, p)``, each hourly value held over its slots.

    Parameters
    ----------
    peak_kw, valley_kw
        The site's year peak and valley [kW].
    types
        Index into :func:`day_types` of each day ``(n_days,)``.
    slot_min
        Slot length [min]; divides an hour or is a whole number of hours.
    """
    all_types = day_types()
    shapes = np.stack([t.shape_pu for t in all_types])
    peaks = np.array([t.peak_factor for t in all_types]) * float(peak_kw)
    valleys = np.minimum(np.array([t.valley_factor for t in all_types]) * float(valley_kw), peaks)
    hourly = valleys[:, None] + (peaks - valleys)[:, None] * shapes
    per_hour = SHAPE_SLOT_MIN / float(slot_min)
    if per_hour >= 1:
        day = np.repeat(hourly, round(per_hour), axis=1)
    else:
        step = round(1.0 / per_hour)
        day = hourly.reshape(len(all_types), -1, step).mean(axis=2)
    return np.asarray(day[np.asarray(types)], dtype=np.float64)
