"""The ``report`` preset: how close sampled sessions come to all of report section 2 together.

Report section 2 gives, among others: 64 % of sessions start above 50 % SOC; sessions end at
90 % SOC or more; batteries of 40-90 kWh; 32 % of owners charge once a day and 27 % once or
twice a week; the daily distance distribution and a consumption of 14-20 (mean 15) kWh/100 km,
hence at most 9 kWh a day; and 3.7 h a day in the charging state. They cannot all hold at once
(``docs/demand.md``, "The report preset"): with the report's own distances a car drives
4.9 kWh a day, so a car charging every day or two starts far above 50 % SOC.

The ``report`` preset keeps every distribution the report gives (distance, consumption, battery,
end SOC, charger power) and the home arrival and departure hours, and fits the one thing the
report does not pin down -- how often each car charges, the shares of intervals of
:data:`INTERVALS_DAYS` -- to four sampled statistics by least squares of their relative errors
(:func:`loss`): the share of sessions starting above 50 % SOC, the shares of cars charging once
a day and once or twice a week, and the plugged-in hours per car and day. :func:`fit_intervals`
is the fit; :func:`section2_statistics` measures a sample against every statistic.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from evgrid.demand.behaviour import Behaviour
from evgrid.demand.distributions import Discrete
from evgrid.demand.sampling import sample_sessions_detail
from evgrid.timegrid import HOURS_PER_DAY, FloatArray

INTERVALS_DAYS = (1, 2, 3, 4, 5, 6, 7, 10, 14)
"""Days between charges the fit may use [days]: daily, every 2-3 days, once or twice a week
(4-7 days), and less than weekly (10, 14 days)."""

WEEKLY_INTERVALS_DAYS = (4, 5, 6, 7)
"""Intervals that make 1-2 charges a week [days] (3.5-7 days between charges)."""


@dataclass(frozen=True)
class Target:
    """One statistic of report section 2.

    Parameters
    ----------
    name
        Key in :func:`section2_statistics`.
    value
        The report's value [unit].
    unit
        Unit of the value.
    fitted
        Whether the statistic enters the loss (the others hold by construction or are checks).
    meaning
        What the report says.
    """

    name: str
    value: float
    unit: str
    fitted: bool
    meaning: str


TARGETS = (
    Target("share_start_soc_above_50", 0.64, "-", True, "sessions starting above 50 % SOC"),
    Target("share_daily", 0.32, "-", True, "owners charging once a day"),
    Target("share_weekly", 0.27, "-", True, "owners charging 1-2 times a week"),
    Target("plugged_h_per_day", 3.7, "h/day", True, "hours a day plugged in ('charging state')"),
    Target("end_soc_min", 0.90, "-", False, "end SOC 90 % or more (lowest sampled)"),
    Target("battery_min_kwh", 40.0, "kWh", False, "batteries 40-90 kWh (lower end)"),
    Target("battery_max_kwh", 90.0, "kWh", False, "batteries 40-90 kWh (upper end)"),
    Target("distance_km_per_day", 32.6, "km/day", False, "daily distance bins (their mean)"),
    Target("share_days_under_60_km", 0.956, "-", False, "about 95 % of days under 60 km"),
    Target("consumption_kwh_per_100km", 15.0, "kWh/100 km", False, "consumption 14-20, mean 15"),
    Target("energy_kwh_per_day", 9.0, "kWh/day", False, "no more than 9 kWh a day (upper bound)"),
)
"""Report section 2's statistics: value, unit, and whether the fit uses it. The mean distance
32.6 km/day and 95.6 % under 60 km are the report's bins divided by their 104.2 % sum."""


def section2_statistics(
    behaviour: Behaviour,
    n_vehicles: int = 20_000,
    days: int = 28,
    rng: np.random.Generator | int | None = 0,
) -> dict[str, float]:
    """Sample ``n_vehicles`` cars over ``days`` days and measure report section 2's statistics.

    Parameters
    ----------
    behaviour
        The behaviour to sample.
    n_vehicles
        Cars sampled [-].
    days
        Days sampled, a multiple of 7 >= 14 [days] (charges a week are counted over them).
    rng
        Generator or seed.

    Returns
    -------
    dict
        The keys of :data:`TARGETS` plus ``sessions_per_day`` [1/day], ``energy_kwh_per_session``
        (grid side) [kWh] and ``charging_h_per_day`` (energy ÷ pile power) [h/day]; per day means
        per car and day, energies battery side unless said.
    """
    d = sample_sessions_detail(behaviour, n_vehicles, days, rng=rng)
    s = d.sessions
    car_days = float(n_vehicles * days)
    per_week = np.bincount(s.vehicle, minlength=n_vehicles) * (7.0 / days)
    battery_side = d.asked_kwh * behaviour.charger_efficiency  # driven, before any carry
    consumption = behaviour.consumption_kwh_per_100km
    return {
        "share_start_soc_above_50": float(np.mean(d.start_soc > 0.5)),
        "share_daily": float(np.mean(per_week >= 7.0)),
        "share_weekly": float(np.mean((per_week >= 1.0) & (per_week <= 2.0))),
        "plugged_h_per_day": float(s.duration_h.sum() / car_days),
        "end_soc_min": float(d.end_soc.min()),
        "battery_min_kwh": float(d.battery_kwh.min()),
        "battery_max_kwh": float(d.battery_kwh.max()),
        "distance_km_per_day": float(d.distance_km.sum() / car_days),
        "share_days_under_60_km": float(behaviour.distance_km.cdf(60.0)),
        "consumption_kwh_per_100km": float(consumption.mean()),
        "energy_kwh_per_day": float(battery_side.sum() / car_days),
        "sessions_per_day": float(len(s) / car_days),
        "energy_kwh_per_session": float(s.energy_kwh.mean()),
        "charging_h_per_day": float((s.energy_kwh / s.max_power_kw).sum() / car_days),
    }


def loss(stats: Mapping[str, float]) -> float:
    """Sum of squared relative errors of the fitted statistics (:data:`TARGETS`) [-]."""
    return float(sum((stats[t.name] / t.value - 1.0) ** 2 for t in TARGETS if t.fitted))


@dataclass(frozen=True)
class IntervalFit:
    """Result of :func:`fit_intervals`.

    Parameters
    ----------
    intervals_days
        The intervals, shape ``(k,)`` [days].
    weights
        Share of cars charging at each interval, shape ``(k,)`` [-], summing to 1.
    loss
        :func:`loss` of the fitted mixture, from the per-interval statistics [-].
    """

    intervals_days: FloatArray
    weights: FloatArray
    loss: float


def fit_intervals(
    base: Behaviour,
    intervals_days: tuple[int, ...] = INTERVALS_DAYS,
    n_vehicles: int = 20_000,
    days: int = 28,
    rng: int = 0,
) -> IntervalFit:
    """Shares of charge intervals that minimise :func:`loss`, everything else as in ``base``.

    Each interval is sampled once on its own (``n_vehicles`` cars, ``days`` days); a mixture's
    statistics are then exact weighted sums of the per-interval ones (sessions weigh ``1 / k``
    per car and day), so the fit is a smooth problem on the simplex, solved by SLSQP from several
    starts.

    Parameters
    ----------
    base
        Behaviour whose charge intervals are replaced.
    intervals_days
        Candidate intervals [days].
    n_vehicles, days, rng
        Sample size per interval [-], [days], and seed.
    """
    from scipy.optimize import minimize

    k = np.asarray(intervals_days, dtype=np.float64)
    soc, plugged = np.empty(k.size), np.empty(k.size)
    for i, ki in enumerate(k):
        one = dataclasses.replace(base, charge_interval_days=Discrete.constant(float(ki)))
        st = section2_statistics(one, n_vehicles, days, rng=rng)
        soc[i] = st["share_start_soc_above_50"]
        plugged[i] = st["plugged_h_per_day"] * ki / HOURS_PER_DAY  # mean stay [days]
    daily = k == 1
    weekly = np.isin(k, WEEKLY_INTERVALS_DAYS)

    def mixture(w: FloatArray) -> dict[str, float]:
        per_day = w / k
        return {
            "share_start_soc_above_50": float(per_day @ soc / per_day.sum()),
            "share_daily": float(w[daily].sum()),
            "share_weekly": float(w[weekly].sum()),
            "plugged_h_per_day": float(per_day @ plugged * HOURS_PER_DAY),
        }

    def objective(w: FloatArray) -> float:
        return loss(mixture(w))

    best = None
    starts = [np.full(k.size, 1.0 / k.size), *np.eye(k.size) * 0.5 + 0.5 / k.size]
    for w0 in starts:
        res = minimize(
            objective,
            w0,
            method="SLSQP",
            bounds=[(0.0, 1.0)] * k.size,
            constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1.0}],
            options={"ftol": 1e-12, "maxiter": 500},
        )
        if best is None or res.fun < best.fun:
            best = res
    assert best is not None
    w = np.clip(best.x, 0.0, None)
    w /= w.sum()
    return IntervalFit(k, w, objective(w))
