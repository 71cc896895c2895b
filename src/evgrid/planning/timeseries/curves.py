"""Result types of the time-series hosting capacity (:mod:`evgrid.planning.timeseries.run`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
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


@dataclass(frozen=True, eq=False)
class HostingResult:
    """Time-series hosting capacity of one site under one strategy.

    Parameters
    ----------
    site_name
        The site's name.
    strategy
        Charging strategy of the participating cars.
    participation
        Share of cars that follow ``strategy``; the others charge uncontrolled [-].
    criterion, limit
        ``"loading"`` [pu], ``"hotspot"`` [°C] or ``"ageing"`` [day/day], and its limit.
    days
        Monte Carlo days evaluated [-].
    pile_ratios
        Evaluated pile ratios, increasing, ``(n,)`` [-]; 0, 0.01, …, 1 for uncontrolled and TOU,
        a coarse grid plus the bisection points for coordinated strategies.
    n_piles
        Piles at each ratio, ``(n,)`` [-].
    metric_p50, metric_p95
        Median and 95th percentile over days of the daily criterion metric, ``(n,)``.
    loading_p50, loading_p95
        Median and 95th percentile over days of the daily peak loading, ``(n,)`` [pu].
    max_pile_ratio_p50, max_pile_ratio_p95
        Largest pile ratio (1 % resolution) whose P50 / P95 metric meets the limit, with every
        smaller ratio meeting it too [-]; 0.0 when the base load alone fails (see ``metadata``).
    at_limit_p50, at_limit_p95
        Daily curves at ``max_pile_ratio_p50`` and ``max_pile_ratio_p95``.
    metadata
        Run details: spaces, sessions, slot length, ambient, method, strategy calls, unmet energy.
    """

    site_name: str
    strategy: str
    participation: float
    criterion: str
    limit: float
    days: int
    pile_ratios: FloatArray
    n_piles: IntArray
    metric_p50: FloatArray
    metric_p95: FloatArray
    loading_p50: FloatArray
    loading_p95: FloatArray
    max_pile_ratio_p50: float
    max_pile_ratio_p95: float
    at_limit_p50: DailyCurves
    at_limit_p95: DailyCurves
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "metadata", MappingProxyType(dict(self.metadata)))

    def to_dict(self, *, curves: bool = False) -> dict[str, Any]:
        """The JSON document of ``evgrid hosting --method timeseries --json``.

        Keys ``site``, ``strategy``, ``max_pile_ratio_p50``, ``max_pile_ratio_p95`` and
        ``curve`` (a list of ``{"pile_ratio", "loading_p50", "loading_p95", "metric_p50",
        "metric_p95"}``), plus the run's settings; with ``curves=True`` also the daily curves at
        the limit.
        """
        out: dict[str, Any] = {
            "site": self.site_name,
            "method": "timeseries",
            "strategy": self.strategy,
            "participation": self.participation,
            "criterion": self.criterion,
            "limit": self.limit,
            "days": self.days,
            "max_pile_ratio_p50": self.max_pile_ratio_p50,
            "max_pile_ratio_p95": self.max_pile_ratio_p95,
            "curve": [
                {
                    "pile_ratio": float(r),
                    "n_piles": int(n),
                    "loading_p50": float(l50),
                    "loading_p95": float(l95),
                    "metric_p50": float(m50),
                    "metric_p95": float(m95),
                }
                for r, n, l50, l95, m50, m95 in zip(
                    self.pile_ratios,
                    self.n_piles,
                    self.loading_p50,
                    self.loading_p95,
                    self.metric_p50,
                    self.metric_p95,
                    strict=True,
                )
            ],
            "metadata": dict(self.metadata),
        }
        if curves:
            out["at_limit_p50"] = self.at_limit_p50.to_dict()
            out["at_limit_p95"] = self.at_limit_p95.to_dict()
        return out
