"""The base-load curve: whole days of mean power per slot, resampled onto any time grid.

A :class:`LoadCurve` holds ``n_days`` days of a site's regular (non-EV) load at one resolution
(24, 96, 288 or 1440 points a day, or any slot that divides the day). :meth:`LoadCurve.on_grid`
puts it on a :class:`~evgrid.timegrid.TimeGrid`: energy-conserving resampling (the mean when the
grid is coarser, repetition when it is finer) and cyclic repetition of the days over the horizon.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from evgrid.errors import bad_value
from evgrid.timegrid import HOURS_PER_DAY, FloatArray, TimeGrid

MINUTES_PER_DAY = HOURS_PER_DAY * 60.0


def resample_day_kw(power_kw: FloatArray, slot_min: float, new_slot_min: float) -> FloatArray:
    """Resample day curves to another slot length, conserving each slot's energy.

    Each source slot holds its mean power; each new slot gets the mean power over its span. When
    the new slot is a multiple of the old one this is the plain mean of the slots it covers, when
    it is a divisor it repeats each value; other ratios are area-weighted.

    Parameters
    ----------
    power_kw
        Mean power per slot, shape ``(n_days, 1440 / slot_min)`` [kW].
    slot_min
        Slot length of ``power_kw`` [min].
    new_slot_min
        Slot length wanted [min]; must divide the day.

    Returns
    -------
    numpy.ndarray
        Mean power per new slot, shape ``(n_days, 1440 / new_slot_min)`` [kW].
    """
    n_old = power_kw.shape[-1]
    n_new = round(MINUTES_PER_DAY / new_slot_min)
    if n_new == n_old:
        return np.array(power_kw, dtype=np.float64)
    if n_new < n_old and n_old % n_new == 0:
        return power_kw.reshape(power_kw.shape[0], n_new, n_old // n_new).mean(axis=2)
    if n_new > n_old and n_new % n_old == 0:
        return np.repeat(power_kw, n_new // n_old, axis=1)
    # General ratio: interpolate the cumulative energy at the new slot edges.
    old_edges_min = np.arange(n_old + 1, dtype=np.float64) * slot_min
    new_edges_min = np.arange(n_new + 1, dtype=np.float64) * new_slot_min
    cumulative = np.concatenate(
        [np.zeros((power_kw.shape[0], 1)), np.cumsum(power_kw * slot_min, axis=1)], axis=1
    )
    left = np.clip(np.searchsorted(old_edges_min, new_edges_min, side="right") - 1, 0, n_old - 1)
    frac = (new_edges_min - old_edges_min[left]) / slot_min
    at_new = cumulative[:, left] + frac * (cumulative[:, left + 1] - cumulative[:, left])
    return np.asarray(np.diff(at_new, axis=1) / new_slot_min, dtype=np.float64)


@dataclass(frozen=True)
class LoadCurve:
    """Whole days of a site's regular load, mean power per slot.

    Parameters
    ----------
    power_kw
        Mean power per slot, shape ``(n_days, slots_per_day)`` [kW]; finite and >= 0. A 1-D array
        is taken as one day. Stored as a read-only copy.
    slot_min
        Slot length [min]; ``slots_per_day * slot_min`` must be 1440.
    source
        Where the curve came from (a file name, ``"typical residential"``), for messages and
        reports.
    """

    power_kw: FloatArray
    slot_min: float
    source: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        import numbers

        from evgrid.checks import floats

        where = self.source if isinstance(self.source, str) and self.source else "load curve"
        power = np.array(
            floats(self.power_kw, f"{where}: power_kw", "finite numbers >= 0 [kW]", ndim=None,
                   finite=False),
        )  # fmt: skip
        if power.ndim == 1:
            power = power[np.newaxis, :]
        slot = self.slot_min
        if isinstance(slot, bool) or not isinstance(slot, numbers.Real) or not np.isfinite(slot):
            raise bad_value(f"{where}: slot_min", slot, "a slot length [min] that divides 1440")
        if power.ndim != 2 or power.shape[0] < 1 or power.shape[1] < 1:
            raise bad_value(f"{where}: power_kw shape", power.shape, "(n_days, slots_per_day)")
        if self.slot_min <= 0 or abs(power.shape[1] * self.slot_min - MINUTES_PER_DAY) > 1e-6:
            raise bad_value(
                f"{where}: slot_min",
                self.slot_min,
                f"a slot [min] with {power.shape[1]} slots = 1440 min (one day)",
            )
        if not np.all(np.isfinite(power)) or np.any(power < 0.0):
            raise bad_value(f"{where}: power_kw", "NaN/inf or < 0", "finite values >= 0 [kW]")
        power.setflags(write=False)
        object.__setattr__(self, "power_kw", power)

    @property
    def n_days(self) -> int:
        """Days in the curve [-]."""
        return int(self.power_kw.shape[0])

    @property
    def slots_per_day(self) -> int:
        """Slots in one day [-]."""
        return int(self.power_kw.shape[1])

    @property
    def peak_kw(self) -> float:
        """Largest slot mean power over all days [kW]."""
        return float(self.power_kw.max())

    @property
    def valley_kw(self) -> float:
        """Smallest slot mean power over all days [kW]."""
        return float(self.power_kw.min())

    @property
    def energy_kwh(self) -> float:
        """Energy over all days [kWh]."""
        return float(self.power_kw.sum() * self.slot_min / 60.0)

    def scaled(self, factor: float) -> LoadCurve:
        """The same curve with every value multiplied by ``factor`` (>= 0) [-]."""
        if not np.isfinite(factor) or factor < 0:
            raise bad_value("load curve scale factor", factor, "a finite number >= 0")
        return LoadCurve(self.power_kw * factor, self.slot_min, self.source)

    def typical_day_kw(self) -> FloatArray:
        """The mean day, shape ``(slots_per_day,)`` [kW]."""
        return np.asarray(self.power_kw.mean(axis=0), dtype=np.float64)

    def days_on(self, slot_min: float) -> FloatArray:
        """All days resampled to ``slot_min``, shape ``(n_days, 1440 / slot_min)`` [kW].

        Parameters
        ----------
        slot_min
            Slot length wanted [min]; must divide the day.
        """
        grid = TimeGrid(slot_min=slot_min)  # validates the slot length
        return resample_day_kw(self.power_kw, self.slot_min, grid.slot_min)

    def on_grid(self, grid: TimeGrid) -> FloatArray:
        """The curve on a time grid: resampled to its slot and repeated over its days.

        Day ``d`` of the horizon takes day ``d mod n_days`` of the curve, so a one-day curve
        repeats every day and a week of measurements repeats weekly; a curve longer than the
        horizon is cut.

        Parameters
        ----------
        grid
            Target slot length and horizon.

        Returns
        -------
        numpy.ndarray
            Mean power per slot, shape ``(grid.n_slots,)`` [kW].
        """
        days = resample_day_kw(self.power_kw, self.slot_min, grid.slot_min)
        order = np.arange(int(grid.n_days)) % self.n_days
        return np.ascontiguousarray(days[order].reshape(-1))

    @classmethod
    def from_series(
        cls, power_kw: Any, slot_min: float | None = None, source: str = ""
    ) -> LoadCurve:
        """Build a curve from a flat series of whole days.

        Parameters
        ----------
        power_kw
            Mean power per slot, ``(n_days * 1440 / slot_min,)`` [kW]; or a pandas Series with a
            DatetimeIndex, evenly spaced from midnight (on the wall clock of the index's zone),
            whose spacing is the slot length (:func:`evgrid.io.series.load_series`).
        slot_min
            Slot length [min]; may be left out for a time-indexed Series (a value that
            contradicts its index is refused).
        source
            Origin, for messages.

        Raises
        ------
        InputError
            Not whole days; no slot length; an uneven index, one across a daylight-saving
            change or not starting at midnight.
        """
        from evgrid.io.series import load_series

        given = load_series(power_kw, "power_kw", wall_clock=True)
        if given.slot_min is not None:
            if given.start_of_day_min:
                raise bad_value(
                    "power_kw index [0]",
                    f"{given.start_of_day_min:g} min after midnight",
                    "midnight: a curve holds whole days",
                )
            if slot_min is not None and slot_min != given.slot_min:
                raise bad_value(
                    "slot_min", slot_min, f"the spacing of the index, {given.slot_min:g} min"
                )
            slot_min = given.slot_min
        if slot_min is None:
            raise bad_value("slot_min", None, "a slot length [min] (or a time-indexed Series)")
        flat = np.asarray(given.values, dtype=np.float64).reshape(-1)
        per_day = round(MINUTES_PER_DAY / slot_min) if slot_min > 0 else 0
        if per_day < 1 or flat.size == 0 or flat.size % per_day:
            raise bad_value(
                f"{source or 'load curve'}: number of points",
                flat.size,
                f"a whole number of days of {per_day} points",
            )
        return cls(flat.reshape(-1, per_day), slot_min, source)
