"""The day grid: slot length, horizon, hour <-> slot conversions, folding to a typical day.

Times inside evgrid are hours from midnight of day 0 (float64). A session that ends after
midnight has ``departure_h > 24``. The default slot is 15 min, the resolution of Chinese
metering data (96-point daily load curves; the parameter ``slot_min``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from evgrid.errors import bad_value

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

HOURS_PER_DAY = 24.0
DEFAULT_SLOT_MIN = 15.0
"""Default slot length [min]: the 96-point daily curve of Chinese metering data."""

ALLOWED_SLOTS_PER_DAY = (24, 96, 288, 1440)
"""Measured-curve resolutions that evgrid reads: 60, 15, 5 and 1 min [points per day]."""


@dataclass(frozen=True)
class TimeGrid:
    """A uniform grid of slots over ``n_days`` days starting at midnight of day 0.

    Parameters
    ----------
    slot_min
        Slot length [min]; must divide 24 h into a whole number of slots.
    n_days
        Horizon [days], >= 1.
    """

    slot_min: float = DEFAULT_SLOT_MIN
    n_days: int = 1

    def __post_init__(self) -> None:
        import numbers

        slot = self.slot_min
        allowed = "a slot length [min] that divides 1440"
        if isinstance(slot, bool) or not isinstance(slot, numbers.Real) or not 0 < slot <= 1440:
            raise bad_value("slot_min", slot, allowed)  # also NaN, inf, text, arrays
        per_day = 1440.0 / float(slot)
        if abs(per_day - round(per_day)) > 1e-9:
            raise bad_value("slot_min", slot, allowed)
        days = self.n_days
        if (
            isinstance(days, bool)
            or not isinstance(days, numbers.Real)
            or not 1 <= days < 2**31
            or int(days) != days
        ):
            raise bad_value("days", days, "a whole number of days >= 1")

    @property
    def slot_h(self) -> float:
        """Slot length [h]."""
        return self.slot_min / 60.0

    @property
    def slots_per_day(self) -> int:
        """Slots in one day [-]."""
        return round(1440.0 / self.slot_min)

    @property
    def n_slots(self) -> int:
        """Slots over the whole horizon [-]."""
        return self.slots_per_day * int(self.n_days)

    @property
    def horizon_h(self) -> float:
        """Horizon length [h]."""
        return HOURS_PER_DAY * int(self.n_days)

    @property
    def edges_h(self) -> FloatArray:
        """Slot edges, shape ``(n_slots + 1,)`` [h]."""
        return np.arange(self.n_slots + 1, dtype=np.float64) * self.slot_h

    @property
    def starts_h(self) -> FloatArray:
        """Slot start times, shape ``(n_slots,)`` [h]."""
        return self.edges_h[:-1]

    def slot_of(self, hours: npt.ArrayLike) -> IntArray:
        """Index of the slot holding each time (floor), not clipped to the horizon.

        Parameters
        ----------
        hours
            Times [h from midnight of day 0].
        """
        return np.floor(np.asarray(hours, dtype=np.float64) / self.slot_h).astype(np.int64)

    def hour_of_day(self) -> FloatArray:
        """Start of each slot as hour of its day, shape ``(n_slots,)`` [h in 0..24)."""
        return np.mod(self.starts_h, HOURS_PER_DAY)

    def by_day(self, values: npt.ArrayLike) -> FloatArray:
        """Reshape a horizon series ``(n_slots,)`` to ``(n_days, slots_per_day)``."""
        return np.asarray(values, dtype=np.float64).reshape(int(self.n_days), self.slots_per_day)

    def fold_mean(self, values: npt.ArrayLike) -> FloatArray:
        """Fold a horizon series to a typical day: the mean over days, ``(slots_per_day,)``."""
        return self.by_day(values).mean(axis=0)

    def energy_kwh(self, power_kw: npt.ArrayLike) -> FloatArray:
        """Energy of a power held constant over each slot: power × slot length.

        Parameters
        ----------
        power_kw
            Mean power in each slot (any shape) [kW].

        Returns
        -------
        numpy.ndarray
            Energy per slot, same shape [kWh].
        """
        return np.asarray(power_kw, dtype=np.float64) * self.slot_h

    def tile_daily(self, daily: npt.ArrayLike) -> FloatArray:
        """Repeat a one-day curve ``(slots_per_day,)`` over the horizon, ``(n_slots,)``."""
        day = np.asarray(daily, dtype=np.float64)
        if day.shape != (self.slots_per_day,):
            length = day.shape[0] if day.ndim else day
            raise bad_value("daily curve length", length, f"{self.slots_per_day} points")
        return np.tile(day, int(self.n_days))
