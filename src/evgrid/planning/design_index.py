"""The planning-index tier on a design basis: the per-pile demand of the time-series tier.

On the ``report`` basis the index tier is the report's (figures 1–2, :mod:`evgrid.planning.index`):
a flat 7 kW × 0.55 per pile at the evening peak and 2.0 kW per pile in the valley. On any other
basis the per-pile demand comes from the basis's coincidence curve
(:mod:`evgrid.planning.design_curve`), derived from the time-series tier for the same behaviour,
so screening a city with the index tier and studying a site with the time-series tier answer
the same question the same way:

* the **design day** is the regular load of the day the year's peak falls on: the site's
  measured curve's peak day, or the basis's seasonal design day (a summer weekday,
  :func:`evgrid.load.seasons.design_day`), or the typical day, scaled to the site's regular
  peak and valley (measured, or the planning index);
* **uncontrolled** piles add ``n × peak_kw(n)`` on the mean shape of uncontrolled charging,
  which falls per pile as ``n`` grows; ``peak_kw`` is the daily maximum on the charging day that
  meets the design day in the year's bad days (:func:`design_quantile_of`: the 95th percentile
  when every day carries the year's regular peak, the 85th when only the summer's third does);
* **orderly** piles fill that day's energy into the design day's lowest slots (a water level),
  each slot at most the plugged-in cars' piles;
* the loading is the day's peak at the charging power factor (the regular load converted,
  :meth:`evgrid.grid.transformer.Transformer.loading_parts_pu`) over the rating.

The answer's interval comes from the curve's bootstrap interval of the daily maximum.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from evgrid.grid.site import ResidentialSite
from evgrid.grid.transformer import Transformer
from evgrid.planning.assumptions import ResidentialAssumptions
from evgrid.planning.design_curve import CoefficientTable, CoincidenceCurve
from evgrid.planning.design_loads import design_loads_kw
from evgrid.planning.result import HostingResult, RegularLoad
from evgrid.timegrid import FloatArray

DESIGN_SLOT_MIN = 15.0
"""Slot length of the design day [min]."""

BISECTION_TOL = 1e-6
"""Pile-ratio resolution of the exact answer [-]."""

LIMIT_TOLERANCE_PU = 1e-9
"""Loading within this of the limit counts as at the limit [pu]."""

BANDS = {"p95": "", "low": "_low", "high": "_high"}
"""Which end of the curve's interval each answer reads: the recommendation and its interval."""

DESIGN_DAY_WITHIN = 0.03
"""A day within this share of the year's regular peak is a design day [-]."""


def design_quantile_of(site: Any, basis: Any) -> float:
    """The charging day the design day takes for a site on a basis [percentile].

    The time-series tier reads the answer on the year's 95th-percentile day. When the regular
    load peaks on only a share of the year's days (the seasonal basis's summer; the days of a
    measured curve within :data:`DESIGN_DAY_WITHIN` of its peak day), those bad days are design
    days with a less extreme charging day. The basis's curve stores the design day fitted against
    the time-series tier (``tools/coincidence_curve.py``: ``design_quantile_seasonal`` for the
    seasonal days, ``design_quantile_typical-day`` for one typical day all year); a measured
    curve's share of design days interpolates between the two. A curve or table without the fit
    (a user's) takes the design basis's fit.
    """
    from evgrid.load.seasons import design_day_share
    from evgrid.planning.design_curve import CoincidenceCurve, bundled_curve, index_demand
    from evgrid.planning.design_loads import design_quantile

    seasonal_share = design_day_share(DESIGN_DAY_WITHIN)
    if getattr(site, "load_curve", None) is not None:
        from evgrid.load.measured import site_load_curve

        curve = site_load_curve(site, slot_min=DESIGN_SLOT_MIN).days_on(DESIGN_SLOT_MIN)
        peaks = curve.max(axis=1)
        share = float(np.mean(peaks >= peaks.max() * (1 - DESIGN_DAY_WITHIN)))
    elif basis.base_load == "seasonal" and site.kind == "residential":
        share = seasonal_share
    else:
        share = 1.0
    demand = index_demand(basis)
    fitted = demand.provenance if isinstance(demand, CoincidenceCurve) else {}
    keys = ("design_quantile_seasonal", "design_quantile_typical-day")
    if not all(k in fitted for k in keys):  # a user's curve or table: the design basis's fit
        fitted = bundled_curve("design").provenance
    if basis.band != "p95" or not all(k in fitted for k in keys):
        return design_quantile(basis.band, share)
    q_seasonal, q_typical = (float(fitted[k]) for k in keys)
    w = float(np.clip((share - seasonal_share) / (1.0 - seasonal_share), 0.0, 1.0))
    return (1.0 - w) * q_seasonal + w * q_typical


def design_day_kw(
    site: Any, reg: RegularLoad, basis: Any, slot_min: float = DESIGN_SLOT_MIN
) -> FloatArray:
    """The regular load of the day the year's peak falls on, ``(1440 / slot_min,)`` [kW].

    Parameters
    ----------
    site
        A residential community.
    reg
        Its regular load (peak, valley) on the index basis.
    basis
        The design basis (its ``base_load``).
    slot_min
        Slot length [min].
    """
    from evgrid.load.seasons import day_types, design_day, seasonal_days_kw
    from evgrid.load.shapes import typical_curve

    if getattr(site, "load_curve", None) is not None:
        from evgrid.load.measured import site_load_curve

        days = site_load_curve(site, slot_min=slot_min).days_on(slot_min)
        day = days[int(np.argmax(days.max(axis=1)))]
        return np.asarray(day * (reg.peak_kw / float(day.max())), dtype=np.float64)
    if basis.base_load == "seasonal":
        index = day_types().index(design_day())
        day = seasonal_days_kw(reg.peak_kw, reg.valley_kw, np.array([index]), slot_min)[0]
        return np.asarray(day, dtype=np.float64)
    curve = typical_curve("residential", reg.peak_kw, reg.valley_kw, slot_min=slot_min)
    return np.asarray(curve.power_kw[0], dtype=np.float64)


def largest_ratio(loading: Callable[[FloatArray], FloatArray], limit_pu: float) -> float:
    """Largest pile ratio in [0, 1] whose loading meets the limit, for a loading that does not
    fall with the ratio (bisection to :data:`BISECTION_TOL`); 0.0 when the regular load fails."""
    ok = lambda r: bool(loading(np.array([r]))[0] <= limit_pu + LIMIT_TOLERANCE_PU)  # noqa: E731
    if not ok(0.0):
        return 0.0
    if ok(1.0):
        return 1.0
    lo, hi = 0.0, 1.0
    while hi - lo > BISECTION_TOL:  # about 20 steps
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if ok(mid) else (lo, mid)
    return lo


def design_index(
    site: ResidentialSite,
    a: ResidentialAssumptions,
    *,
    basis: Any,
    demand: CoincidenceCurve | CoefficientTable,
    strategy: str,
    participation: float,
    transformer: Transformer,
    reg: RegularLoad,
    community: str | None,
    ratios: FloatArray,
) -> HostingResult:
    """The index tier's hosting curve of a community on a design basis (module docstring).

    Returns
    -------
    HostingResult
        P50 = P95 = the design day's loading; ``details["interval"]`` holds the answers with the
        curve's bootstrap interval of the daily maximum.
    """
    from evgrid.planning.index import RATIO_STEP_FINE, RATIO_STEP_REPORT, largest_ratio_at_step

    share = participation if strategy == "orderly" else 0.0
    quantile = design_quantile_of(site, basis)
    base = design_day_kw(site, reg, basis) * transformer.regular_scale
    capacity_kw = transformer.charging_power_factor * transformer.rating_kva
    spaces = site.parking_spaces

    def loading_at(band: str) -> Callable[[FloatArray], FloatArray]:
        def loading(r: FloatArray) -> FloatArray:
            n = np.asarray(r, dtype=np.float64) * spaces * a.charging_share
            _, _, peak = design_loads_kw(
                base,
                n,
                np.full(n.shape, share),
                demand,
                pile_kw=a.pile_rating_kw,
                orderly_kw_per_pile=a.orderly_kw_per_pile,
                quantile=quantile,
                end=BANDS[band],
            )
            return np.asarray(peak / capacity_kw, dtype=np.float64)

        return loading

    loading = loading_at("p95")
    exact = largest_ratio(loading, a.limit_pu)
    low = largest_ratio(loading_at("high"), a.limit_pu)  # a higher demand hosts fewer piles
    high = largest_ratio(loading_at("low"), a.limit_pu)
    curve = loading(ratios)
    n_at = max(exact * spaces * a.charging_share, 1.0)
    added_kw = (float(loading(np.array([exact]))[0]) * capacity_kw - float(base.max())) / n_at
    energy_kwh = (
        float(demand.at_quantile(np.array([n_at]), "energy_kwh", quantile)[0])
        if isinstance(demand, CoincidenceCurve)
        else a.daily_energy_kwh / a.charger_efficiency
    )
    return HostingResult.from_index_curve(
        site_name=site.name,
        strategy=strategy,
        participation=participation,
        limit=a.limit_pu,
        n_spaces=spaces,
        pile_ratios=ratios,
        loading=curve,
        max_pile_ratio=exact,
        regular=reg,
        details={
            "max_pile_ratio_1pct": largest_ratio_at_step(loading, a.limit_pu, RATIO_STEP_FINE),
            "max_pile_ratio_10pct": largest_ratio_at_step(loading, a.limit_pu, RATIO_STEP_REPORT),
            "kw_per_pile": max(added_kw, 0.0),
            "energy_kwh_per_pile": energy_kwh,
            "daily_energy_kwh": energy_kwh,
            "orderly_charging_kw": max(added_kw, 0.0) if share > 0 else 0.0,
            "community_type": community,
            "households": site.households,
            "transformer_kva": transformer.rating_kva,
            "power_factor": transformer.power_factor,
            "power_factor_household": transformer.power_factor,
            "power_factor_ev": transformer.charging_power_factor,
            "basis": basis.name,
            "index_demand": "coefficient table"
            if isinstance(demand, CoefficientTable)
            else "coincidence curve",
            "interval": [low, high],
            "design_quantile": quantile,
        },
        basis=basis.name,
        interval=(low, high),
    )
