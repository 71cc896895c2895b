"""Daily load curves of the Monte Carlo days at one pile ratio (time-series hosting tier)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from evgrid.planning.timeseries.montecarlo import P50, P95
from evgrid.timegrid import FloatArray, IntArray


@dataclass(frozen=True, eq=False)
class DailyCurves:
    """Daily load curves of the Monte Carlo days at one pile ratio.

    Parameters
    ----------
    pile_ratio
        Share of parking spaces with a pile [-].
    n_piles
        Piles (= cars) at that ratio [-].
    hour_h
        Start of each slot as hour of the day, ``(slots_per_day,)`` [h].
    base_mean_kw
        Base load, mean over the evaluated days, ``(slots_per_day,)`` [kW].
    charging_mean_kw
        Charging load, mean over the evaluated days (the "typical day"), ``(slots_per_day,)`` [kW].
    p50_day
        Index of the median day by the criterion metric, among the evaluated days [-].
    p95_day
        Index of the 95th-percentile ("bad") day by the criterion metric [-].
    base_p50_day_kw, charging_p50_day_kw
        Base and charging load on the median day, ``(slots_per_day,)`` [kW].
    base_p95_day_kw, charging_p95_day_kw
        Base and charging load on the bad day, ``(slots_per_day,)`` [kW].
    n_days
        Days the means are taken over [day]: all evaluated days, or a sample of them when the
        schedules were computed only for the curves (minimum-peak path).
    """

    pile_ratio: float
    n_piles: int
    hour_h: FloatArray
    base_mean_kw: FloatArray
    charging_mean_kw: FloatArray
    p50_day: int
    p95_day: int
    base_p50_day_kw: FloatArray
    charging_p50_day_kw: FloatArray
    base_p95_day_kw: FloatArray
    charging_p95_day_kw: FloatArray
    n_days: int

    @classmethod
    def from_days(
        cls,
        pile_ratio: float,
        n_piles: int,
        base_by_day_kw: FloatArray,
        charging_by_day_kw: FloatArray,
        daily_metric: FloatArray,
        slot_h: float,
        days: IntArray | None = None,
    ) -> DailyCurves:
        """Build from ``(n_days, slots_per_day)`` base and charging and the daily metric.

        Parameters
        ----------
        pile_ratio, n_piles
            The ratio [-] and its number of piles [-].
        base_by_day_kw, charging_by_day_kw
            Evaluated days, ``(n_days, slots_per_day)`` [kW].
        daily_metric
            The criterion per evaluated day, ``(n_days,)`` [pu, °C or day/day].
        slot_h
            Slot length [h].
        days
            The evaluated days the rows of ``base_by_day_kw`` and ``charging_by_day_kw`` are
            (default all, in order); they must include :meth:`marked_days` of the metric. The
            means are over these rows.
        """
        p50_day, p95_day = (int(d) for d in cls.marked_days(daily_metric))
        rows = np.arange(daily_metric.size) if days is None else np.asarray(days)
        row50, row95 = (int(np.flatnonzero(rows == d)[0]) for d in (p50_day, p95_day))
        spd = base_by_day_kw.shape[1]
        return cls(
            pile_ratio=float(pile_ratio),
            n_piles=int(n_piles),
            hour_h=np.arange(spd, dtype=np.float64) * slot_h,
            base_mean_kw=base_by_day_kw.mean(axis=0),
            charging_mean_kw=charging_by_day_kw.mean(axis=0),
            p50_day=p50_day,
            p95_day=p95_day,
            base_p50_day_kw=base_by_day_kw[row50].copy(),
            charging_p50_day_kw=charging_by_day_kw[row50].copy(),
            base_p95_day_kw=base_by_day_kw[row95].copy(),
            charging_p95_day_kw=charging_by_day_kw[row95].copy(),
            n_days=int(base_by_day_kw.shape[0]),
        )

    @staticmethod
    def marked_days(daily_metric: FloatArray) -> IntArray:
        """The median and the 95th-percentile day by the metric, ``[p50_day, p95_day]`` [-]."""
        order = np.argsort(daily_metric, kind="stable")
        last = order.size - 1
        return np.array([order[round(last * P50 / 100.0)], order[round(last * P95 / 100.0)]])

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python form (lists of floats), for JSON."""
        return {
            "pile_ratio": self.pile_ratio,
            "n_piles": self.n_piles,
            "hour_h": self.hour_h.tolist(),
            "base_mean_kw": self.base_mean_kw.tolist(),
            "charging_mean_kw": self.charging_mean_kw.tolist(),
            "p50_day": self.p50_day,
            "p95_day": self.p95_day,
            "base_p50_day_kw": self.base_p50_day_kw.tolist(),
            "charging_p50_day_kw": self.charging_p50_day_kw.tolist(),
            "base_p95_day_kw": self.base_p95_day_kw.tolist(),
            "charging_p95_day_kw": self.charging_p95_day_kw.tolist(),
            "n_days": self.n_days,
        }
