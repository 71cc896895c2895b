"""After-diversity maximum demand (ADMD) of the behaviour presets beside published home charging.

The ADMD of n cars is the peak of their aggregate uncontrolled charging power divided by n
[kW per EV]; divided by the pile rating it is the coincidence factor, divided by the cars' mean
daily energy (grid side) it is the *normalised* ADMD [kW per kWh/day]. The normalised value
removes the two things that differ most between populations -- how far cars drive and how often
they plug in -- and leaves the timing: a flat load gives 1/24 = 0.042, all of a day's energy in
one hour gives 1. For large groups it is what published measurements of uncontrolled home
charging can be compared with across countries. See ``docs/validation-demand.md``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from evgrid.demand.behaviour import Behaviour
from evgrid.demand.distributions import Discrete
from evgrid.demand.sampling import sample_sessions
from evgrid.planning.coincidence import coincidence_factor
from evgrid.timegrid import FloatArray, IntArray

GROUP_SIZES = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
"""Numbers of EVs of the validation table [-]."""

LARGE_GROUP = 1000
"""Group size at which each preset is held to its band [-]."""


@dataclass(frozen=True)
class Published:
    """A published after-diversity maximum demand of uncontrolled home charging.

    Parameters
    ----------
    source
        Who measured it, and where it is published.
    conditions
        Charger power, group size, resolution, plug-in assumption; all uncontrolled.
    kw_per_ev
        ADMD, low and high [kW per EV].
    energy_kwh_per_day
        Mean energy per EV and day over the same population, each with the ADMD of the same
        position (the same profile) [kWh/day].
    statistic
        What the ADMD is: ``"average day"`` (the peak of a profile averaged over days or
        samples), ``"percentile profiles"`` (the peaks of profiles of per-minute percentiles
        over samples), ``"coincident peak"`` (a programme's stated coincident peak).
    """

    source: str
    conditions: str
    kw_per_ev: tuple[float, float]
    energy_kwh_per_day: tuple[float, float]
    statistic: str = "average day"

    @property
    def normalised(self) -> tuple[float, float]:
        """ADMD per daily energy, low and high [kW per kWh/day]: each peak over the energy of
        its own profile (never the smallest peak over the largest energy)."""
        pair = sorted(k / e for k, e in zip(self.kw_per_ev, self.energy_kwh_per_day, strict=True))
        return pair[0], pair[1]


_UOM = "Electric Nation (UK), University of Melbourne diversified profiles, weekday"
PUBLISHED = (
    Published(
        _UOM + ", 1,200 EVs, no plug-in factor",
        "7.36 kW chargers; 1,200 EVs; 1-min; every EV charges that day",
        (2.159, 2.159),
        (21.57, 21.57),
    ),
    Published(
        _UOM + ", 1,200 EVs, daily plug-in factor 70 %",
        "7.36 kW chargers; 1,200 EVs; 1-min; 70 % of EVs charge that day (a planning margin)",
        (1.511, 1.511),
        (15.10, 15.10),
    ),
    Published(
        _UOM + ", 100 EVs, median and 75th percentile, plug-in factor 70 %",
        "7.36 kW chargers; 100 EVs, 100 samples; 1-min; 70 % of EVs charge that day",
        (1.546, 1.700),
        (15.04, 17.48),
        "percentile profiles",
    ),
    Published(
        _UOM + ", 1,200 EVs, no plug-in factor, 3.68 kW",
        "3.68 kW chargers; 1,200 EVs; 1-min; every EV charges that day",
        (1.061, 1.061),
        (8.89, 8.89),
    ),
    Published(
        "Sagewell (US), 'The basics of EV charging behavior statistics', programme data",
        "home Level 2 chargers; programme-wide; hourly; about 3 charges a week",
        (1.0, 1.2),
        (200 / 30.4, 250 / 30.4),
        "coincident peak",
    ),
)
"""Published ADMD of uncontrolled home charging (full references in
``docs/validation-demand.md``). Electric Nation: the trial of Western Power Distribution and EA
Technology (UK, 2017-18); profiles of the University of Melbourne (J. Zhu, W. Nacmanson,
L. Ochoa; github.com/Team-Nando/EV-Demand-Profiles); each figure is the largest 1-min value of a
profile and its daily energy (sum ÷ 60), read from the profiles' CSV files; the 100-EV
range is the median's and the 75th percentile's profile, each peak over its own energy.
Sagewell: blog.sagewell.com, coincident peak 1.0-1.2 kWh/h per EV, 200-250 kWh a month."""

BAND_RESIDENTIAL = (0.087, 0.167)
"""Normalised ADMD band of a residential preset at 1,000 EVs [kW per kWh/day]: the published
measured range, each peak over its own energy (Electric Nation 0.097-0.103 at 1-min, Sagewell
0.146-0.152 hourly), widened by 10 % at each end for the resolution (15-min slots lie between
the two)."""

BAND_OWN_SOURCE = 0.15
"""Relative tolerance of a preset derived from a published profile against that profile's
normalised ADMD [-]: a consistency check of the derivation, not an independent validation."""

BAND_OFFICE = (0.14, 0.50)
"""Normalised ADMD band of the office preset at 1,000 EVs [kW per kWh/day]: between the day's
energy spread evenly over the 7-hour window that holds 90 % of its arrivals (07:00-14:00) and
spread over the 2 busiest arrival hours (08:00-10:00). No measured workplace ADMD is among the
references."""

BANDS: dict[str, tuple[float, float]] = {
    "home": BAND_RESIDENTIAL,
    "report": BAND_RESIDENTIAL,
    "elaadnl": BAND_RESIDENTIAL,
    "electric-nation": (
        PUBLISHED[0].normalised[0] * (1 - BAND_OWN_SOURCE),
        PUBLISHED[0].normalised[1] * (1 + BAND_OWN_SOURCE),
    ),
    "office": BAND_OFFICE,
    "design": BAND_RESIDENTIAL,
    "design-report-energy": BAND_RESIDENTIAL,
}
"""Band of each preset's normalised ADMD (mean of daily peaks) at :data:`LARGE_GROUP` EVs."""


@dataclass(frozen=True, eq=False)
class AdmdCurve:
    """ADMD of a behaviour against the number of EVs, uncontrolled, one pile per EV.

    Parameters
    ----------
    n_evs
        Group sizes, shape ``(k,)`` [-].
    mean_kw
        Mean over days of the daily peak, per EV, shape ``(k,)`` [kW].
    p95_kw
        95th percentile over days of the daily peak, per EV, shape ``(k,)`` [kW].
    pile_kw
        Rating of every pile [kW].
    energy_kwh_per_day
        Mean grid-side energy per EV and day [kWh/day].
    n_runs
        Days (Monte Carlo runs) per group size [-].
    average_day_kw
        Peak of the average day (the days' load averaged slot by slot), per EV, shape ``(k,)``
        [kW]: like with like against a published average profile.
    """

    n_evs: IntArray
    mean_kw: FloatArray
    p95_kw: FloatArray
    pile_kw: float
    energy_kwh_per_day: float
    n_runs: int
    average_day_kw: FloatArray | None = None

    @property
    def factor_mean(self) -> FloatArray:
        """Coincidence factor of the mean daily peak, shape ``(k,)`` [-]."""
        return self.mean_kw / self.pile_kw

    @property
    def factor_p95(self) -> FloatArray:
        """Coincidence factor of the 95th-percentile daily peak, shape ``(k,)`` [-]."""
        return self.p95_kw / self.pile_kw

    @property
    def normalised(self) -> FloatArray:
        """Mean daily peak per daily energy, shape ``(k,)`` [kW per kWh/day]."""
        return self.mean_kw / self.energy_kwh_per_day


def daily_energy(
    behaviour: Behaviour,
    n_vehicles: int = 20_000,
    days: int = 28,
    rng: np.random.Generator | int | None = 0,
) -> float:
    """Mean grid-side energy per EV and day of ``behaviour`` [kWh/day]."""
    s = sample_sessions(behaviour, n_vehicles, days, rng=rng)
    return float(s.energy_kwh.sum() / (n_vehicles * days))


def admd_curve(
    behaviour: Behaviour,
    n_evs: npt.ArrayLike = GROUP_SIZES,
    *,
    pile_kw: float | None = None,
    n_runs: int | None = None,
    rng: int = 1,
) -> AdmdCurve:
    """ADMD of ``behaviour`` for each group size: daily peaks of uncontrolled charging.

    Parameters
    ----------
    behaviour
        Charging behaviour; every car gets a pile of ``pile_kw``.
    n_evs
        Group sizes, whole numbers >= 1 [-].
    pile_kw
        Pile rating [kW].
    n_runs
        Days sampled per group size (each a fresh group) [-].
    rng
        Seed: the daily peaks use it, the daily energy the next one.
    """
    curve = coincidence_factor(behaviour, n_evs, pile_kw=pile_kw, n_runs=n_runs, rng=rng)
    pile_kw, n_runs = curve.pile_kw, curve.n_runs
    b = dataclasses.replace(behaviour, charger_power_kw=Discrete.constant(pile_kw))
    return AdmdCurve(
        curve.n_piles,
        curve.mean * pile_kw,
        curve.p95 * pile_kw,
        pile_kw,
        daily_energy(b, rng=rng + 1),
        n_runs,
        None if curve.average_day is None else curve.average_day * pile_kw,
    )
