"""Ambient temperature for the thermal criteria: a monthly climate normal over the day.

IEC 60076-7 judges a transformer's hot spot on top of its ambient temperature; the rated
ambient (20 °C, Table 5) is not a Sichuan summer. A :class:`ClimateNormal` holds a station's
monthly means of the daily mean, maximum and minimum temperature; :meth:`ClimateNormal.ambient_c`
turns it into an ambient per slot for any run of days: each day its month's mean, swinging by
half the month's mean daily range on a 24-hour cosine that peaks at :data:`WARMEST_HOUR_H`
(an assumption; the standard's clause 6.4 leaves the daily profile to the user).

Bundled: ``chengdu`` (``data/climate/chengdu.csv``, the China Meteorological Administration's
1981-2010 normal of the Dujiangyan station, Chengdu municipality). A user gives another as a CSV
of ``month, mean_c, max_c, min_c`` (a site document's ``climate`` field, or a basis).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt

from evgrid.errors import InputError, bad_value
from evgrid.timegrid import FloatArray

WARMEST_HOUR_H = 15.0
"""Hour of the day's warmest ambient (assumed: mid-afternoon) [h]."""

COLUMNS = ("month", "mean_c", "max_c", "min_c")
"""Columns of a climate file."""

AMBIENT_RANGE_C = (-60.0, 60.0)
"""Ambient temperatures a climate file may give (the site field ``ambient_c``'s range) [°C]."""


@dataclass(frozen=True, eq=False)
class ClimateNormal:
    """Monthly climate normal.

    Parameters
    ----------
    name
        Station or file.
    mean_c, max_c, min_c
        Monthly means of the daily mean, maximum and minimum temperature, January first,
        ``(12,)`` [°C].
    """

    name: str
    mean_c: FloatArray
    max_c: FloatArray
    min_c: FloatArray

    def ambient_c(self, month: npt.ArrayLike, slot_min: float) -> FloatArray:
        """Ambient of every slot of days in the given months, ``(n_days * slots_per_day,)``
        [°C]: the month's daily mean plus half its mean daily range times
        ``cos(2π (h - WARMEST_HOUR_H) / 24)`` at each slot's middle hour ``h``.

        Parameters
        ----------
        month
            Month (1-12) of each day, ``(n_days,)``.
        slot_min
            Slot length [min].
        """
        m = np.asarray(month, dtype=np.int64) - 1
        spd = round(1440.0 / float(slot_min))
        hours = (np.arange(spd) + 0.5) * float(slot_min) / 60.0
        wave = np.cos(2.0 * np.pi * (hours - WARMEST_HOUR_H) / 24.0)
        half_range = 0.5 * (self.max_c - self.min_c)
        per_day = self.mean_c[m][:, None] + half_range[m][:, None] * wave[None, :]
        return np.asarray(per_day.reshape(-1), dtype=np.float64)

    @property
    def hottest_c(self) -> float:
        """The highest monthly mean daily maximum [°C]."""
        return float(self.max_c.max())


@functools.cache
def _bundled(name: str) -> ClimateNormal:
    with resources.as_file(resources.files("evgrid") / "data" / "climate" / f"{name}.csv") as p:
        return read_climate(p, name)


def climate_names() -> list[str]:
    """Names of the bundled climate normals (``evgrid/data/climate/*.csv``), sorted."""
    folder = resources.files("evgrid") / "data" / "climate"
    return sorted(p.name[:-4] for p in folder.iterdir() if p.name.endswith(".csv"))


def load_climate(spec: str | Path | ClimateNormal) -> ClimateNormal:
    """A climate normal: bundled by name, or read from a CSV file.

    Raises
    ------
    InputError
        An unknown name or a bad file (one line).
    """
    if isinstance(spec, ClimateNormal):
        return spec
    if str(spec) in climate_names():
        return _bundled(str(spec))
    file = Path(spec)
    if not file.is_file():
        raise bad_value(
            "climate", str(spec), "a bundled climate (" + ", ".join(climate_names()) + ") or a file"
        )
    return read_climate(file, str(file))


def read_climate(path: str | Path, name: str | None = None) -> ClimateNormal:
    """Read a climate CSV: ``month`` 1-12 once each, ``mean_c``, ``max_c``, ``min_c`` [°C].

    Raises
    ------
    InputError
        A missing column or month, a month twice, a value outside [-60, 60] °C, or a minimum
        above the mean or the mean above the maximum.
    """
    from evgrid.io import read_table

    table = read_table(path, "climate file (CSV)", casefold=True, comments=True)
    for column in COLUMNS:
        if column not in table:
            raise InputError(f"{path}: columns: a {column!r} column is required ({COLUMNS})")
    month = table.numbers("month", "a month 1-12")
    if sorted(month.tolist()) != list(range(1, 13)):
        raise bad_value(f"{path}: month", month.tolist(), "each month 1-12 once")
    order = np.argsort(month)
    values = {
        c: table.numbers(c, "a temperature in [-60, 60] [°C]")[order]
        for c in ("mean_c", "max_c", "min_c")
    }
    low, high = AMBIENT_RANGE_C
    for column, v in values.items():
        if np.any((v < low) | (v > high)):
            raise bad_value(
                f"{path}: {column}", float(v[(v < low) | (v > high)][0]), "[-60, 60] °C"
            )
    if np.any(values["min_c"] > values["mean_c"]) or np.any(values["mean_c"] > values["max_c"]):
        raise bad_value(f"{path}", "min_c, mean_c, max_c", "min_c <= mean_c <= max_c each month")
    return ClimateNormal(name or str(path), values["mean_c"], values["max_c"], values["min_c"])
