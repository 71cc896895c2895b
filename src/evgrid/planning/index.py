"""The report's planning-index model for residential communities (figures 1–5, section 3).

Two charging modes are added to a community's regular load and compared with the transformer:

* **uncontrolled** — every pile adds ``pile_rating_kw × demand_coefficient`` at the regular evening
  peak (figure 1);
* **orderly** — every pile adds, in the night valley, its car's daily energy spread over the valley
  charging hours and divided by the charger efficiency (figure 2); the evening peak keeps only the
  regular load, so the day's loading is the larger of the two.

``loading_pu = total_kw / (power_factor × transformer_kva)``, a function of the pile ratio (share of
parking spaces with a pile, 0–1). The hosting capacity is the largest pile ratio whose loading stays
at or below the limit (80 %), given exactly and read at 1 % and 10 % steps as the report does.
Partial participation ``p``: a share ``p`` of the piles charges orderly (in the valley), the rest
uncontrolled (at the evening peak). Office parks are in :mod:`evgrid.planning.office`. Both return
a :class:`~evgrid.planning.result.HostingResult` whose P50 band equals its P95 band. See
``docs/index-model.md`` for the derivation of every default.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from evgrid.errors import bad_value
from evgrid.grid.site import CommunityType, ResidentialSite
from evgrid.grid.transformer import Transformer
from evgrid.params import default, parameter
from evgrid.planning.assumptions import ResidentialAssumptions
from evgrid.planning.result import HostingResult, RegularLoad
from evgrid.timegrid import FloatArray

RATIO_STEP_REPORT = 0.1
"""The report reads its figures 3–5 at 10 % pile-ratio steps [-]."""
RATIO_STEP_FINE = 0.01
"""Finer reading, and the resolution of the loading curve [-]."""
RATIO_STEP_SCAN = 1e-4
"""Scan resolution for the exact limit when the curve is not linear (falling coefficient) [-]."""
LIMIT_TOLERANCE_PU = 1e-9
"""Loading within this of the limit counts as at the limit (A orderly sits on it at 100 %) [pu]."""

Mode = Literal["uncontrolled", "orderly"]
LoadingFn = Callable[[FloatArray], FloatArray]
"""Loading [pu] as a function of pile ratios [-]."""


# --- kernels (pure numpy) ---------------------------------------------------------------------
def pile_ratio_axis(step: float = RATIO_STEP_FINE) -> FloatArray:
    """Pile ratios 0, step, ..., 1 [-]."""
    n = round(1.0 / step)
    return np.arange(n + 1, dtype=np.float64) / n


def demand_coefficient(
    n_piles: FloatArray, constant: float, bands: tuple[tuple[float, float], ...] | None = None
) -> FloatArray:
    """Demand coefficient for ``n_piles`` piles [-].

    Parameters
    ----------
    n_piles
        Number of piles, shape (n,) [-].
    constant
        Coefficient used when ``bands`` is None [-].
    bands
        ``((max_piles, coefficient), ...)`` in increasing ``max_piles``; a count up to and
        including ``max_piles`` takes that band's coefficient [-].
    """
    n = np.asarray(n_piles, dtype=np.float64)
    if bands is None:
        return np.full(n.shape, constant)
    edges = np.array([b[0] for b in bands])
    coefficients = np.array([b[1] for b in bands])
    idx = np.minimum(np.searchsorted(edges, n, side="left"), len(bands) - 1)
    return np.asarray(coefficients[idx], dtype=np.float64)


def residential_loads_kw(
    peak_kw: npt.ArrayLike,
    valley_kw: npt.ArrayLike,
    n_piles: npt.ArrayLike,
    orderly_share: npt.ArrayLike,
    a: ResidentialAssumptions,
) -> tuple[FloatArray, FloatArray]:
    """Evening-peak and night-valley load of communities with piles (report figures 1–2).

    Every uncontrolled pile adds ``pile_rating_kw × demand_coefficient`` at the evening peak,
    every orderly pile its car's daily energy over the valley hours ÷ charger efficiency in the
    valley. Broadcasts over any shape (sites, years, pile ratios).

    Parameters
    ----------
    peak_kw, valley_kw
        Regular load at the evening peak and in the night valley [kW].
    n_piles
        Piles (parking spaces × pile ratio; need not be whole) [-].
    orderly_share
        Share of the piles charging orderly; the rest charge uncontrolled [-].
    a
        Model parameters.

    Returns
    -------
    tuple
        Evening load and night load [kW]; the loading is their maximum ÷ (power factor × kVA).
    """
    piles = np.asarray(n_piles, dtype=np.float64)
    share = np.asarray(orderly_share, dtype=np.float64)
    unc_piles = piles * (1.0 - share) * a.charging_share
    k = demand_coefficient(unc_piles, a.demand_coefficient, a.coefficient_bands)
    evening = np.asarray(peak_kw, dtype=np.float64) + unc_piles * a.pile_rating_kw * k
    night = np.asarray(valley_kw, dtype=np.float64) + piles * share * a.orderly_kw_per_pile
    return evening, night


def largest_ratio_at_step(loading: LoadingFn, limit_pu: float, step: float) -> float:
    """Largest pile ratio on a ``step`` grid such that it and every smaller step pass the limit.

    Parameters
    ----------
    loading
        Loading [pu] as a function of pile ratios [-].
    limit_pu
        Loading limit [pu].
    step
        Grid step of the reading [-].

    Returns
    -------
    float
        The ratio [-]; 0.0 when even the first step above zero (or zero itself) fails.
    """
    ratios = pile_ratio_axis(step)
    ok = loading(ratios) <= limit_pu + LIMIT_TOLERANCE_PU
    if ok.all():
        return 1.0
    first_fail = int(np.argmin(ok))
    return float(ratios[first_fail - 1]) if first_fail > 0 else 0.0


def largest_ratio_linear(limit_kw: float, *lines: tuple[float, float]) -> float:
    """Exact largest ratio r in [0, 1] with every ``base_kw + r × kw_per_unit_ratio`` at or below
    ``limit_kw`` (0.0 when even r = 0 fails) [-].

    Parameters
    ----------
    limit_kw
        The limit [kW].
    *lines
        ``(base_kw, kw_per_unit_ratio)`` pairs: the load of each time of day (evening peak,
        night valley) as a line in the pile ratio [kW, kW per unit ratio].
    """
    tol_kw = LIMIT_TOLERANCE_PU * max(limit_kw, 1.0)
    if max(base for base, _ in lines) > limit_kw + tol_kw:
        return 0.0
    ratio = 1.0
    for base_kw, slope_kw in lines:
        if slope_kw > 0:
            ratio = min(ratio, (limit_kw - base_kw) / slope_kw)
    return float(np.clip(ratio, 0.0, 1.0))


# --- domain -----------------------------------------------------------------------------------
def community_type(
    site: ResidentialSite, study_year: int, old_before: int, new_within: int
) -> CommunityType | None:
    """A community's type: ``site.type`` if given, else from ``site.built`` (report section 3.1).

    Old: built before ``old_before``; new: built within ``new_within`` years of ``study_year``;
    sub-new: the rest. None when neither is known.
    """
    if site.type is not None:
        return site.type
    if site.built is None:
        return None
    if site.built < old_before:
        return "old"
    if study_year - site.built <= new_within:
        return "new"
    return "sub-new"


def _curve_peak_valley(site: ResidentialSite, charging_h: float) -> tuple[float, float]:
    """Peak [kW] and orderly-window valley [kW] of a measured curve.

    The valley is the highest regular load inside the best ``charging_h`` window within the night
    valley (23:00–07:00), worst day.
    """
    from evgrid.load.measured import read_load_curve

    assert site.load_curve is not None
    curve = read_load_curve(site.load_curve)
    power_kw = np.asarray(curve.power_kw, dtype=np.float64)
    slots_per_day = power_kw.shape[1]
    slot_h = 24.0 / slots_per_day
    start_h, end_h = default("valley_start_h"), default("valley_end_h")
    start = round(start_h / slot_h)
    night_slots = round(((end_h - start_h) % 24.0) / slot_h)
    night = np.roll(power_kw, -start, axis=1)[:, :night_slots]
    width = min(max(1, round(charging_h / slot_h)), night_slots)
    windows = np.lib.stride_tricks.sliding_window_view(night, width, axis=1).max(axis=2)
    return float(power_kw.max()), float(windows.min(axis=1).max())


def regular_load(site: ResidentialSite, a: ResidentialAssumptions) -> RegularLoad:
    """The regular load the model uses (measured, or at the planning index).

    A community with no measured load takes the planning index (1.3 kW per household) and a valley
    of ``valley_to_peak`` × that; a measured peak without a measured valley takes
    ``valley_to_peak`` × the peak, and says so (``"measured peak, assumed valley"``). A *new*
    community (still filling up) takes the planning index when it is above its measured peak,
    keeping its measured valley/peak ratio, if ``a.new_at_planning_index``
    (docs/report-contradictions.md).
    """
    index_kw = a.index_kw_per_household * site.households
    if site.load_curve is not None:
        peak_kw, valley_kw = _curve_peak_valley(site, a.valley_charging_h)
        basis = "measured curve"
    elif site.regular_peak_kw is not None:
        peak_kw = site.regular_peak_kw
        if site.regular_valley_kw is not None:
            valley_kw, basis = site.regular_valley_kw, "measured"
        else:
            valley_kw, basis = a.valley_to_peak * peak_kw, "measured peak, assumed valley"
    else:
        return RegularLoad(index_kw, a.valley_to_peak * index_kw, "planning index")
    kind = community_type(site, a.study_year, a.old_built_before, a.new_within_years)
    if a.new_at_planning_index and kind == "new" and index_kw > peak_kw:
        return RegularLoad(index_kw, index_kw * valley_kw / peak_kw, "planning index (filling up)")
    return RegularLoad(peak_kw, valley_kw, basis)


def residential_index(
    site: ResidentialSite,
    assumptions: ResidentialAssumptions | None = None,
    *,
    strategy: Mode = "uncontrolled",
    participation: float = 1.0,
    transformer: Transformer | None = None,
    basis: Any = None,
) -> HostingResult:
    """Transformer loading vs pile ratio and hosting capacity of a community (report 3.2).

    Parameters
    ----------
    site
        The community.
    assumptions
        Model parameters; defaults reproduce the report.
    strategy
        ``"uncontrolled"`` (report figure 1: every pile adds ``pile_rating_kw ×
        demand_coefficient`` at the evening peak) or ``"orderly"`` (figure 2: every pile adds its
        car's daily energy over the valley charging hours, ÷ charger efficiency, in the valley).
    participation
        With ``"orderly"``: the share of piles charging orderly; the rest charge uncontrolled
        at the evening peak [-]. Must be 1 with ``"uncontrolled"``.
    transformer
        The transformer; default the site's with the basis's power factors
        (:func:`evgrid.planning.basis.site_transformer`).
    basis
        The design basis (default the parameter ``basis``): ``report`` is the report's model
        above; any other reads the per-pile demand from its coincidence curve or coefficient
        table (:mod:`evgrid.planning.design_index`).

    Returns
    -------
    HostingResult
        ``max_pile_ratio_p50 == max_pile_ratio_p95`` is the exact largest ratio; ``details``
        holds it read at 1 % and at 10 % steps (the report's reading), the kW per pile at the
        limit, the community type, the daily energy and the orderly charging power.
    """
    from evgrid.planning.basis import load_basis, site_transformer
    from evgrid.planning.design_curve import index_demand

    chosen_basis = load_basis(basis)
    a = assumptions or ResidentialAssumptions()
    if strategy not in ("uncontrolled", "orderly"):
        raise bad_value("strategy", strategy, "'uncontrolled' or 'orderly' for the index method")
    p = 1.0 if strategy == "uncontrolled" else parameter("participation").check(participation)
    if strategy == "uncontrolled" and participation != 1.0:
        raise bad_value("participation", participation, "1 with strategy 'uncontrolled'")
    t = transformer or site_transformer(site, chosen_basis)
    reg = regular_load(site, a)
    ratios = pile_ratio_axis(RATIO_STEP_FINE)
    kind = community_type(site, a.study_year, a.old_built_before, a.new_within_years)
    demand = index_demand(chosen_basis)
    if demand is not None:
        from evgrid.planning.design_index import design_index

        return design_index(
            site,
            a,
            basis=chosen_basis,
            demand=demand,
            strategy=strategy,
            participation=p,
            transformer=t,
            reg=reg,
            community=kind,
            ratios=ratios,
        )
    # the report's model; regular load at the piles' power factor (1 and 1 in the report)
    scale = t.regular_scale
    capacity_kw = t.charging_power_factor * t.rating_kva
    limit_kw = a.limit_pu * capacity_kw
    spaces = site.parking_spaces
    orderly_share = p if strategy == "orderly" else 0.0
    unc_share = (1.0 - orderly_share) * a.charging_share
    p_orderly = a.orderly_kw_per_pile * orderly_share

    def loading(r: FloatArray) -> FloatArray:
        n_piles = np.asarray(r, dtype=np.float64) * spaces
        evening_kw, night_kw = residential_loads_kw(
            reg.peak_kw * scale, reg.valley_kw * scale, n_piles, orderly_share, a
        )
        return np.maximum(evening_kw, night_kw) / capacity_kw

    if a.coefficient_bands is None or unc_share == 0:
        p_unc = a.pile_rating_kw * a.demand_coefficient * unc_share
        exact = largest_ratio_linear(
            limit_kw,
            (reg.peak_kw * scale, spaces * p_unc),
            (reg.valley_kw * scale, spaces * p_orderly),
        )
    else:
        exact = largest_ratio_at_step(loading, a.limit_pu, RATIO_STEP_SCAN)
        n_at = np.array([max(exact * spaces * unc_share, 1.0)])
        k_at = demand_coefficient(n_at, a.demand_coefficient, a.coefficient_bands)
        p_unc = float(a.pile_rating_kw * k_at[0] * unc_share)
    curve = loading(ratios)
    return HostingResult.from_index_curve(
        site_name=site.name,
        strategy=strategy,
        participation=p,
        limit=a.limit_pu,
        n_spaces=spaces,
        pile_ratios=ratios,
        loading=curve,
        max_pile_ratio=exact,
        regular=reg,
        details={
            "max_pile_ratio_1pct": largest_ratio_at_step(loading, a.limit_pu, RATIO_STEP_FINE),
            "max_pile_ratio_10pct": largest_ratio_at_step(loading, a.limit_pu, RATIO_STEP_REPORT),
            "kw_per_pile": p_unc + p_orderly,
            "community_type": kind,
            "households": site.households,
            "transformer_kva": t.rating_kva,
            "power_factor": t.power_factor,
            "power_factor_household": t.power_factor,
            "power_factor_ev": t.charging_power_factor,
            "basis": chosen_basis.name,
            "daily_energy_kwh": a.daily_energy_kwh,
            "orderly_charging_kw": a.orderly_charging_kw,
        },
        basis=chosen_basis.name,
    )
