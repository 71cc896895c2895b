"""The index tier's closed form on a design basis: the design day with piles, at once for many.

:func:`design_loads_kw` is the index tier's arithmetic on many sites, years and pile counts at
once, from a basis's coincidence curve (:mod:`evgrid.planning.design_curve`): uncontrolled piles
add their design profile (``n`` piles' per-slot load on the design quantile's day,
:meth:`~evgrid.planning.design_curve.CoincidenceCurve.slot_profile`) to the design day's regular
load; orderly piles fill that day's energy into the lowest slots (a water level), no slot taking
more than the plugged-in cars' piles can. A user's design-coefficient table adds ``pile_kw ×
coefficient(n)`` per uncontrolled pile at the evening peak instead, the report's way.
:func:`design_quantile` says which day the design day takes.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from evgrid.errors import bad_value
from evgrid.planning.design_curve import QUANTILES, CoefficientTable, CoincidenceCurve
from evgrid.timegrid import FloatArray

EVENING_H = (20.0, 21.0)
"""The residential evening peak hour (report 3.1) [h], where a coefficient table adds its load."""

VALLEY_H = (23.0, 7.0)
"""The residential night valley (report 3.1) [h]."""


# --- the closed form --------------------------------------------------------------------------
def design_quantile(band: str, design_share: float) -> float:
    """The charging day the index tier's design day takes [percentile].

    The time-series tier's 95th-percentile day is the 18th worst of the year. When the regular
    load peaks on only a share ``s`` of the days (the design days: summer, on the seasonal basis),
    those worst days are design days with a charging day at the ``1 - 0.05 / s`` quantile of
    charging, not at its 95th percentile: the index tier puts that charging day on the design
    day. ``s = 1`` (one typical day all year) gives the band itself.

    Parameters
    ----------
    band
        ``"p95"`` or ``"p50"``.
    design_share
        Share of the year's days whose regular peak is within a few per cent of the year's [-].
    """
    tail = 0.05 if band == "p95" else 0.5
    q = 100.0 * (1.0 - tail / max(float(design_share), tail))
    return float(np.clip(q, QUANTILES[0], QUANTILES[-1]))


def design_loads_kw(
    base_day_kw: FloatArray,
    n_piles: npt.ArrayLike,
    orderly_share: npt.ArrayLike,
    demand: CoincidenceCurve | CoefficientTable,
    *,
    pile_kw: float,
    orderly_kw_per_pile: float,
    quantile: float = 95.0,
    end: str = "",
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The index tier's design day with piles: evening, night and peak load [kW].

    Broadcasts ``base_day_kw`` ``(..., spd)`` against ``n_piles`` and ``orderly_share`` (``(...)``,
    any shape that broadcasts with ``base_day_kw.shape[:-1]``).

    Parameters
    ----------
    base_day_kw
        The design day's regular load, at the charging power factor [kW].
    n_piles
        Piles [-] (need not be whole).
    orderly_share
        Share of them charging orderly [-].
    demand
        A :class:`CoincidenceCurve` or a user's :class:`CoefficientTable`.
    pile_kw
        Pile rating [kW] (a coefficient table's rating; the curve's own otherwise).
    orderly_kw_per_pile
        With a coefficient table: the report's orderly load per pile in the valley [kW].
    quantile
        The charging day the design day takes, a percentile over days [-]
        (:func:`design_quantile`).
    end
        ``""``, or ``"_low"`` / ``"_high"``: the ends of the curve's bootstrap interval.

    Returns
    -------
    tuple
        Mean load over the evening peak hour 20:00-21:00, the peak over the night valley
        23:00-07:00 and the day's peak, each of the broadcast shape [kW]. The charging load's
        own peak is :func:`charging_peak_kw`.
    """
    base = np.asarray(base_day_kw, dtype=np.float64)
    spd = base.shape[-1]
    n = np.asarray(n_piles, dtype=np.float64)
    share = np.asarray(orderly_share, dtype=np.float64)
    n_unc = n * (1.0 - share)
    n_ord = n * share
    hours = (np.arange(spd) + 0.5) * 24.0 / spd
    evening = (hours >= EVENING_H[0]) & (hours < EVENING_H[1])
    night = (hours >= VALLEY_H[0]) | (hours < VALLEY_H[1])
    if isinstance(demand, CoefficientTable):
        unc = (n_unc * pile_kw * demand.at(np.maximum(n_unc, 1.0)))[..., None] * evening
        total = base + unc
        valley_add = (n_ord * orderly_kw_per_pile)[..., None] * night
        total = np.maximum(total, base + valley_add)
    else:
        plugged = _on_slots(demand.plugged_share, spd)
        unc_kw = n_unc[..., None] * _on_slots(
            demand.slot_profile(np.maximum(n_unc, 1.0), quantile, end), spd
        )
        energy = n_ord * demand.at_quantile(np.maximum(n_ord, 1.0), "energy_kwh", quantile)
        total = base + unc_kw
        if np.any(n_ord > 0):
            cap_kw = (n_ord[..., None] * plugged) * demand.pile_kw
            total = total + _water_fill(total, energy, cap_kw, 24.0 / spd)
    return (
        total[..., evening].mean(axis=-1),
        total[..., night].max(axis=-1),
        total.max(axis=-1),
    )


def charging_peak_kw(
    n_piles: npt.ArrayLike,
    orderly_share: npt.ArrayLike,
    demand: CoincidenceCurve | CoefficientTable,
    *,
    pile_kw: float,
    orderly_kw_per_pile: float,
    spd: int = 96,
    quantile: float = 95.0,
) -> FloatArray:
    """Peak of the charging load alone, on a transformer of its own (a dedicated charging
    transformer): uncontrolled piles at their design peak, orderly piles filled flat over the
    hours they are plugged in, shape of ``n_piles`` [kW]."""
    n = np.asarray(n_piles, dtype=np.float64)
    share = np.asarray(orderly_share, dtype=np.float64)
    n_unc, n_ord = n * (1.0 - share), n * share
    if isinstance(demand, CoefficientTable):
        unc = n_unc * pile_kw * demand.at(np.maximum(n_unc, 1.0))
        return np.asarray(np.maximum(unc, n_ord * orderly_kw_per_pile), dtype=np.float64)
    unc_kw = n_unc[..., None] * _on_slots(
        demand.slot_profile(np.maximum(n_unc, 1.0), quantile), spd
    )
    energy = n_ord * demand.at_quantile(np.maximum(n_ord, 1.0), "energy_kwh", quantile)
    cap_kw = (n_ord[..., None] * _on_slots(demand.plugged_share, spd)) * demand.pile_kw
    total = unc_kw + _water_fill(unc_kw, energy, cap_kw, 24.0 / spd)
    return np.asarray(total.max(axis=-1), dtype=np.float64)


def _on_slots(values: FloatArray, spd: int) -> FloatArray:
    """A per-slot day profile at another resolution (mean or repetition) [unit of values]."""
    k = values.shape[-1]
    if k == spd:
        return values
    if k % spd == 0:
        return np.asarray(
            values.reshape(*values.shape[:-1], spd, k // spd).mean(axis=-1), dtype=np.float64
        )
    if spd % k == 0:
        return np.repeat(values, spd // k, axis=-1)
    raise bad_value(
        "slot_min", 1440.0 / spd, f"a slot that divides or is divided by {1440 / k:g} min"
    )


def _water_fill(
    level_kw: FloatArray, energy_kwh: npt.ArrayLike, cap_kw: FloatArray, slot_h: float
) -> FloatArray:
    """Charging that fills ``energy_kwh`` into the lowest slots up to one level, each slot at
    most ``cap_kw`` (the piles plugged in there); ``(..., spd)`` [kW].

    The level ``L`` solves ``sum_t min(max(L - level_t, 0), cap_t) slot_h = energy`` exactly:
    the left side is piecewise linear in ``L`` with breakpoints at ``level_t`` (slope +1) and
    ``level_t + cap_t`` (slope -1), so the breakpoints are sorted, the filled energy is summed
    at each, and ``L`` is interpolated on the segment that reaches ``energy`` (vectorised over
    every case). Energy beyond what the capacities can take is not placed (it would be unmet).
    """
    level = np.broadcast_to(level_kw, np.broadcast_shapes(level_kw.shape, cap_kw.shape))
    cap = np.broadcast_to(cap_kw, level.shape)
    want = np.broadcast_to(np.asarray(energy_kwh, dtype=np.float64), level.shape[:-1]) / slot_h
    spd = level.shape[-1]
    fill = np.zeros(level.shape)
    rows = (want > 0.0) & (cap.max(axis=-1) > 0.0)  # the cases with something to place
    if not rows.any():
        return fill
    low, room, goal = level[rows], cap[rows], want[rows]  # (m, spd), (m, spd), (m,)
    order = np.argsort(np.concatenate([low, low + room], axis=-1), axis=-1)
    points = np.take_along_axis(np.concatenate([low, low + room], axis=-1), order, axis=-1)
    slope = np.cumsum(np.where(order < spd, 1.0, -1.0), axis=-1)  # after each point
    filled = np.zeros(points.shape)  # kW x slots filled with the level at each point
    np.cumsum(slope[:, :-1] * np.diff(points, axis=-1), axis=-1, out=filled[:, 1:])
    k = (filled < goal[:, None]).sum(axis=-1)  # filled[k-1] < goal <= filled[k]
    last = 2 * spd - 1
    at = np.clip(k - 1, 0, last)
    line = np.arange(len(k))
    inside = points[line, at] + (goal - filled[line, at]) / np.maximum(slope[line, at], 1.0)
    top = np.where(k == 0, points[:, 0], np.where(k > last, points[:, last], inside))
    fill[rows] = np.clip(top[:, None] - low, 0.0, room)
    return fill
