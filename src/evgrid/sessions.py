"""`Sessions`: charging sessions as a struct of numpy arrays.

Times are hours from midnight of day 0; a session that ends after midnight has
``departure_h > 24``, as in session files (``docs/demand.md``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from evgrid.errors import bad_value
from evgrid.timegrid import FloatArray, IntArray

ROUNDING_H = 1e-9
"""A departure at most this much before its arrival is rounding (of a time computed as an
arrival plus a dwell minus a dwell) and is taken as the arrival [h] (3.6 µs)."""


def _f64(x: npt.ArrayLike) -> FloatArray:
    return np.ascontiguousarray(x, dtype=np.float64)


@dataclass(frozen=True, eq=False)
class Sessions:
    """Charging sessions, one entry per session, all arrays of shape ``(n_sessions,)``.

    Parameters
    ----------
    arrival_h
        Plug-in time [h from midnight of day 0].
    departure_h
        Plug-out time [h from midnight of day 0], >= ``arrival_h``.
    energy_kwh
        Energy the car asks for, measured at the grid side of the charger [kWh].
    max_power_kw
        Largest charging power of the session (charger and car) [kW].
    vehicle
        Vehicle (pile) index of each session [-]; defaults to ``0..n-1``.

    Raises
    ------
    InputError
        At construction, one line naming the array and the first bad entry: arrays that are not
        one-dimensional numbers of one length, times that are not finite, a departure before
        its arrival, energy or power that is not a finite number >= 0 (a session of 0 kW takes
        nothing), a vehicle index that is not a whole number >= 0. Sessions derived from
        checked ones (:meth:`take`, :meth:`shifted`, :meth:`concat`) are not checked again.
    """

    arrival_h: FloatArray
    departure_h: FloatArray
    energy_kwh: FloatArray
    max_power_kw: FloatArray
    vehicle: IntArray = field(default_factory=lambda: np.empty(0, dtype=np.int64))

    def __post_init__(self) -> None:
        from evgrid.checks import floats, whole_numbers

        arrival = floats(self.arrival_h, "arrival_h", "finite numbers [h]", nonempty=False)
        n = arrival.shape[0]
        departure = floats(
            self.departure_h, "departure_h", "finite numbers [h]", nonempty=False, size=n
        )
        late = np.flatnonzero(departure < arrival - ROUNDING_H)
        if late.size:
            i = int(late[0])
            raise bad_value(
                f"departure_h[{i}]", float(departure[i]), f"a time not before arrival_h[{i}]"
            )
        departure = np.maximum(departure, arrival)  # rounding: a stay of -1e-15 h is none
        energy = floats(
            self.energy_kwh, "energy_kwh", "finite numbers >= 0 [kWh]", nonempty=False, size=n,
            minimum=0.0,
        )  # fmt: skip
        power = floats(
            self.max_power_kw, "max_power_kw", "finite numbers >= 0 [kW]", nonempty=False,
            size=n, minimum=0.0,
        )  # fmt: skip
        given = self.vehicle
        if isinstance(given, np.ndarray) and given.size == 0 and n:
            vehicle = np.arange(n, dtype=np.int64)
        else:
            vehicle = whole_numbers(given, "vehicle", "whole numbers >= 0 [-]")
            if vehicle.size == 0 and n:
                vehicle = np.arange(n, dtype=np.int64)
            elif vehicle.shape != (n,):
                raise bad_value("vehicle size", vehicle.size, f"{n} entries, one a session")
        for name, arr in (
            ("arrival_h", arrival),
            ("departure_h", departure),
            ("energy_kwh", energy),
            ("max_power_kw", power),
        ):
            object.__setattr__(self, name, np.ascontiguousarray(arr))
        object.__setattr__(self, "vehicle", np.ascontiguousarray(vehicle))

    @classmethod
    def _checked(
        cls,
        arrival_h: FloatArray,
        departure_h: FloatArray,
        energy_kwh: FloatArray,
        max_power_kw: FloatArray,
        vehicle: IntArray,
    ) -> Sessions:
        """Sessions made from arrays of checked sessions (no second check)."""
        out = object.__new__(cls)
        for name, arr in (
            ("arrival_h", _f64(arrival_h)),
            ("departure_h", _f64(departure_h)),
            ("energy_kwh", _f64(energy_kwh)),
            ("max_power_kw", _f64(max_power_kw)),
            ("vehicle", np.ascontiguousarray(vehicle, dtype=np.int64)),
        ):
            object.__setattr__(out, name, arr)
        return out

    def __len__(self) -> int:
        return int(self.arrival_h.shape[0])

    @property
    def duration_h(self) -> FloatArray:
        """Plugged-in time of each session [h]."""
        return self.departure_h - self.arrival_h

    @property
    def deliverable_kwh(self) -> FloatArray:
        """Most energy each session can take at full power over its window [kWh]."""
        return self.max_power_kw * self.duration_h

    def take(self, index: npt.ArrayLike) -> Sessions:
        """Sessions selected by an integer index or a boolean mask."""
        idx = np.asarray(index)
        return Sessions._checked(
            self.arrival_h[idx],
            self.departure_h[idx],
            self.energy_kwh[idx],
            self.max_power_kw[idx],
            self.vehicle[idx],
        )

    def shifted(self, hours: float) -> Sessions:
        """The same sessions with every time moved by ``hours`` [h]."""
        return Sessions._checked(
            self.arrival_h + hours,
            self.departure_h + hours,
            self.energy_kwh,
            self.max_power_kw,
            self.vehicle,
        )

    @staticmethod
    def concat(parts: list[Sessions]) -> Sessions:
        """Concatenate several session sets (vehicle indices are kept as they are)."""
        if not parts:
            return Sessions(np.empty(0), np.empty(0), np.empty(0), np.empty(0))
        return Sessions._checked(
            np.concatenate([p.arrival_h for p in parts]),
            np.concatenate([p.departure_h for p in parts]),
            np.concatenate([p.energy_kwh for p in parts]),
            np.concatenate([p.max_power_kw for p in parts]),
            np.concatenate([p.vehicle for p in parts]),
        )
