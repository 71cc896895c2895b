"""The site's base load: a day forecast from the planning tier, corrected by the meter; and the
commissioning default profile sized from it.

The forecast is the 95th percentile, slot by slot, of the site's regular load as evgrid's
planning tier sees it: the measured curve's days if the site names one, else the typical shape
scaled to the site's regular peak and valley, or the planning index (1.3 kW per household,
report section 3.1) for a community without measurements. A meter reading (transformer meter
minus the piles' own meters) turns into an additive correction that fades with time constant
:data:`~evgrid.service.settings.METER_TAU_H`.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from evgrid.service.profiles import Limits, pile_amps, to_amps
from evgrid.service.settings import METER_STALE_S, METER_TAU_H
from evgrid.timegrid import FloatArray

BASE_QUANTILE = 0.95
"""Quantile of the measured days taken as the forecast of each slot [-] (evgrid assumption:
P95, the bad day the defaults are sized for)."""
DEFAULT_GUARD_S = 60
"""Rises of the default profile move this much later and falls earlier [s]: piles whose clocks
are off by up to a minute still stay under the limit together."""


def base_day_kw(site: Any, slot_min: float) -> FloatArray:
    """P95 regular load of each slot of the (local) day, ``(1440 / slot_min,)`` [kW].

    Parameters
    ----------
    site
        A :class:`~evgrid.grid.site.ResidentialSite` or :class:`~evgrid.grid.site.OfficeSite`.
    slot_min
        Slot length [min].
    """
    from evgrid import typical_curve
    from evgrid.load.measured import site_load_curve
    from evgrid.planning.assumptions import residential_index_kw_per_household

    if site.kind == "residential" and site.load_curve is None and site.regular_peak_kw is None:
        peak_kw = residential_index_kw_per_household() * site.households
        curve = typical_curve("residential", peak_kw, None, slot_min=slot_min)
    else:
        curve = site_load_curve(site, slot_min=slot_min)
    days = curve.days_on(slot_min)
    return np.asarray(np.quantile(days, BASE_QUANTILE, axis=0), dtype=np.float64)


@dataclass
class BaseForecast:
    """Base-load forecast of the coming slots, corrected by the latest meter reading.

    Parameters
    ----------
    day_kw
        Forecast of each slot of the local day ``(slots_per_day,)`` [kW].
    slot_s
        Slot length [s].
    utc_offset_h
        Local time minus UTC [h].
    tau_h
        Fade time constant of a meter correction [h].
    deadband_kw
        Deviations smaller than this are left to the margin [kW]: the meter minus the piles'
        own (stale) meters is noisy, and a correction that moved with every reading would move
        every pile's limit with it.
    """

    day_kw: FloatArray
    slot_s: float
    utc_offset_h: float
    tau_h: float = METER_TAU_H
    deadband_kw: float = 0.0
    _offset_kw: float = 0.0
    _offset_at: datetime | None = None

    def slot_of_day(self, t: datetime) -> int:
        """Index of the local-day slot holding ``t`` [-]."""
        local = t + timedelta(hours=self.utc_offset_h)
        seconds = local.hour * 3600 + local.minute * 60 + local.second
        return int(seconds // self.slot_s) % len(self.day_kw)

    def uncorrected(self, t: datetime) -> float:
        """Forecast at ``t`` without the meter correction [kW]."""
        return float(self.day_kw[self.slot_of_day(t)])

    def observe(self, t: datetime, base_kw: float) -> None:
        """Take a measured base load (transformer meter minus pile meters) at ``t`` [kW].

        The deviation from the forecast is smoothed (exponential, time constant one slot); the
        part beyond the dead band becomes the correction.
        """
        if not math.isfinite(base_kw):
            return
        deviation = base_kw - self.uncorrected(t)
        if self._offset_at is None:
            self._smooth_kw = deviation
        else:
            dt_s = max((t - self._offset_at).total_seconds(), 0.0)
            w = 1.0 - math.exp(-dt_s / self.slot_s)
            self._smooth_kw = getattr(self, "_smooth_kw", deviation) * (1.0 - w) + deviation * w
        excess = abs(self._smooth_kw) - self.deadband_kw
        self._offset_kw = math.copysign(max(excess, 0.0), self._smooth_kw)
        self._offset_at = t

    def correction_kw(self, t: datetime) -> float:
        """Correction added at ``t`` [kW]: the last offset faded by its age."""
        if self._offset_at is None:
            return 0.0
        age_s = (t - self._offset_at).total_seconds()
        if age_s < -METER_STALE_S:
            return 0.0
        return self._offset_kw * math.exp(-max(age_s, 0.0) / (self.tau_h * 3600.0))

    def slots(self, origin: datetime, m: int) -> FloatArray:
        """Corrected forecast of ``m`` slots from ``origin`` ``(m,)`` [kW], never below 0.

        A positive correction is kept at full size for the first slot (a load above forecast is
        not assumed to vanish within the slot).
        """
        out = np.empty(m)
        for k in range(m):
            t = origin + timedelta(seconds=k * self.slot_s)
            corr = self.correction_kw(t + timedelta(seconds=self.slot_s))
            if k == 0:
                corr = max(corr, self.correction_kw(t)) if self._offset_kw > 0 else corr
            out[k] = self.uncorrected(t) + corr
        return np.maximum(out, 0.0)


@dataclass
class SiteModel:
    """What the planner knows of the site: its limit, margin, base-load forecast and the
    commissioning default sized from them.

    Parameters
    ----------
    limit_kw
        Loading limit [kW].
    margin_kw
        Headroom kept below it against forecast error [kW].
    forecast
        The corrected base-load forecast.
    default_amps
        Commissioning default of each slot of the local day [A] (sized at load).
    """

    limit_kw: float
    margin_kw: float
    forecast: BaseForecast
    default_amps: FloatArray


def default_day_amps(
    day_kw: FloatArray, limit_kw: float, margin_kw: float, n_piles: int, volts: float, phases: int
) -> FloatArray:
    """Current of the commissioning default profile for each slot of the day [A per phase].

    Sized so that every pile charging at once at its default stays under the limit on a P95 day:
    ``base + margin + n_piles * I * V * phases <= limit``, rounded down to what a pile can do
    (0 or >= 6 A). Where that is below 6 A the default is 0: a new car waits for its plan.

    Parameters
    ----------
    day_kw
        P95 base load of each slot of the day ``(slots_per_day,)`` [kW].
    limit_kw
        Transformer limit [kW].
    margin_kw
        Forecast margin [kW].
    n_piles
        Piles that may all charge at once [-].
    volts, phases
        Phase voltage [V] and phases of a pile [-].
    """
    per_pile_kw = np.maximum(limit_kw - margin_kw - day_kw, 0.0) / max(n_piles, 1)
    return pile_amps(to_amps(per_pile_kw, volts, phases))


def default_limits(
    day_amps: FloatArray, now: datetime, utc_offset_h: float, guard_s: int = DEFAULT_GUARD_S
) -> Limits:
    """The recurring daily schedule of the default profile, starting at the last local midnight.

    Parameters
    ----------
    day_amps
        Current of each slot of the local day ``(slots_per_day,)`` [A].
    now
        Current time (UTC).
    utc_offset_h
        Local time minus UTC [h].
    guard_s
        Clock-error guard [s], rounded up to whole minutes: the schedule is the minimum over
        ``[t - guard, t + guard]`` around the (circular) day, so rises come later and falls
        earlier.
    """
    local = now + timedelta(hours=utc_offset_h)
    midnight_local = local.replace(hour=0, minute=0, second=0, microsecond=0)
    start = midnight_local - timedelta(hours=utc_offset_h)
    return _default_limits(tuple(float(a) for a in day_amps), start, guard_s)


@functools.lru_cache(maxsize=64)
def _default_limits(day_amps: tuple[float, ...], start: datetime, guard_s: int) -> Limits:
    per_min = np.repeat(np.asarray(day_amps, dtype=np.float64), 1440 // len(day_amps))
    g = math.ceil(guard_s / 60)
    guarded = per_min.copy()
    for k in range(1, g + 1):
        guarded = np.minimum(guarded, np.minimum(np.roll(per_min, k), np.roll(per_min, -k)))
    periods: list[tuple[int, float]] = []
    for minute, amps in enumerate(guarded):
        if not periods or periods[-1][1] != float(amps):
            periods.append((minute * 60, float(amps)))
    return Limits(start=start, periods=tuple(periods), recurring_daily=True)
