"""`Sessions`: charging sessions as a struct of numpy arrays.

Times are hours from midnight of day 0; a session that ends after midnight has
``departure_h > 24``, as in session files (``docs/demand.md``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from evgrid.timegrid import FloatArray, IntArray


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

    Notes
    -----
    Construction checks shapes only; value checks live at the boundaries (session files,
    sampling parameters), kernels assume clean input.
    """

    arrival_h: FloatArray
    departure_h: FloatArray
    energy_kwh: FloatArray
    max_power_kw: FloatArray
    vehicle: IntArray = field(default_factory=lambda: np.empty(0, dtype=np.int64))

    def __post_init__(self) -> None:
        arrays = {
            "arrival_h": _f64(self.arrival_h),
            "departure_h": _f64(self.departure_h),
            "energy_kwh": _f64(self.energy_kwh),
            "max_power_kw": _f64(self.max_power_kw),
        }
        n = arrays["arrival_h"].shape[0]
        for name, arr in arrays.items():
            if arr.shape != (n,):
                raise ValueError(f"Sessions.{name}: shape {arr.shape}, expected ({n},)")
            object.__setattr__(self, name, arr)
        vehicle = np.asarray(self.vehicle, dtype=np.int64)
        if vehicle.size == 0 and n:
            vehicle = np.arange(n, dtype=np.int64)
        if vehicle.shape != (n,):
            raise ValueError(f"Sessions.vehicle: shape {vehicle.shape}, expected ({n},)")
        object.__setattr__(self, "vehicle", vehicle)

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
        return Sessions(
            self.arrival_h[idx],
            self.departure_h[idx],
            self.energy_kwh[idx],
            self.max_power_kw[idx],
            self.vehicle[idx],
        )

    def shifted(self, hours: float) -> Sessions:
        """The same sessions with every time moved by ``hours`` [h]."""
        return Sessions(
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
        return Sessions(
            np.concatenate([p.arrival_h for p in parts]),
            np.concatenate([p.departure_h for p in parts]),
            np.concatenate([p.energy_kwh for p in parts]),
            np.concatenate([p.max_power_kw for p in parts]),
            np.concatenate([p.vehicle for p in parts]),
        )
