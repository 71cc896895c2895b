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
Office parks are in :mod:`evgrid.planning.office`; :func:`hosting_index` takes either.
See ``docs/index-model.md`` for the derivation of every default.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from evgrid.errors import InputError
from evgrid.grid.site import CommunityType, OfficeSite, ResidentialSite, Site
from evgrid.planning.assumptions import (
    VALLEY_END_H,
    VALLEY_START_H,
    OfficeAssumptions,
    ResidentialAssumptions,
)
from evgrid.planning.office import OfficeResult, office_index
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


def largest_ratio_linear(
    base_kw: float, kw_per_unit_ratio: float, limit_kw: float, floor_kw: float = 0.0
) -> float:
    """Exact largest ratio r in [0, 1] with ``max(floor_kw, base_kw + r × kw_per_unit_ratio)``
    at or below ``limit_kw`` (0.0 when even r = 0 fails) [-]."""
    tol_kw = LIMIT_TOLERANCE_PU * max(limit_kw, 1.0)
    if max(base_kw, floor_kw) > limit_kw + tol_kw:
        return 0.0
    if kw_per_unit_ratio <= 0:
        return 1.0
    return float(np.clip((limit_kw - base_kw) / kw_per_unit_ratio, 0.0, 1.0))


# --- domain -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class RegularLoad:
    """The regular (non-charging) load the model uses.

    Parameters
    ----------
    peak_kw
        Evening peak [kW].
    valley_kw
        Night-valley load during orderly charging [kW].
    basis
        ``"measured"``, ``"measured curve"``, ``"planning index"`` or
        ``"planning index (filling up)"``.
    """

    peak_kw: float
    valley_kw: float
    basis: str


@dataclass(frozen=True)
class ModeResult:
    """Loading curve and hosting capacity of one charging mode.

    Parameters
    ----------
    mode
        ``"uncontrolled"`` or ``"orderly"``.
    kw_per_pile
        Load one pile adds, at the pile count of the limit for a falling coefficient [kW].
    loading_pu
        Loading at :attr:`ResidentialResult.pile_ratio` [pu].
    max_pile_ratio
        Exact largest pile ratio at the limit [-].
    max_pile_ratio_1pct, max_pile_ratio_10pct
        The same read at 1 % and at 10 % steps (the report's reading) [-].
    max_piles
        Piles at the exact limit, rounded down [-].
    """

    mode: Mode
    kw_per_pile: float
    loading_pu: FloatArray
    max_pile_ratio: float
    max_pile_ratio_1pct: float
    max_pile_ratio_10pct: float
    max_piles: int


@dataclass(frozen=True)
class ResidentialResult:
    """Planning-index results of one community.

    Parameters
    ----------
    name, community_type
        Site label and its type (None when neither ``type`` nor ``built`` is given).
    regular
        Regular load used [kW].
    transformer_kva, power_factor, parking_spaces, households
        Site data [kVA], [-], [-], [-].
    limit_pu
        Loading limit [pu].
    daily_energy_kwh, orderly_charging_kw
        Daily energy of a car [kWh] and its battery-side orderly charging power [kW].
    pile_ratio
        Pile ratios of the curves, 0–1 at 1 % steps [-].
    uncontrolled, orderly
        Results per charging mode.
    """

    name: str
    community_type: CommunityType | None
    regular: RegularLoad
    transformer_kva: float
    power_factor: float
    parking_spaces: int
    households: int
    limit_pu: float
    daily_energy_kwh: float
    orderly_charging_kw: float
    pile_ratio: FloatArray
    uncontrolled: ModeResult
    orderly: ModeResult


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
    from evgrid.load.measured import read_load_curve  # part T1; imported only when needed

    assert site.load_curve is not None
    curve = read_load_curve(site.load_curve)
    power_kw = np.asarray(curve.power_kw, dtype=np.float64)
    slots_per_day = power_kw.shape[1]
    slot_h = 24.0 / slots_per_day
    start = round(VALLEY_START_H / slot_h)
    night_slots = round(((VALLEY_END_H - VALLEY_START_H) % 24.0) / slot_h)
    night = np.roll(power_kw, -start, axis=1)[:, :night_slots]
    width = min(max(1, round(charging_h / slot_h)), night_slots)
    windows = np.lib.stride_tricks.sliding_window_view(night, width, axis=1).max(axis=2)
    return float(power_kw.max()), float(windows.min(axis=1).max())


def regular_load(site: ResidentialSite, a: ResidentialAssumptions) -> RegularLoad:
    """The regular load the model uses (measured, or at the planning index).

    A community with no measured load takes the planning index (1.3 kW per household) and a valley
    of ``valley_to_peak`` × that. A *new* community (still filling up) takes the planning index
    when it is above its measured peak, keeping its measured valley/peak ratio, if
    ``a.new_at_planning_index`` (docs/report-contradictions.md).
    """
    index_kw = a.index_kw_per_household * site.households
    if site.load_curve is not None:
        peak_kw, valley_kw = _curve_peak_valley(site, a.valley_charging_h)
        basis = "measured curve"
    elif site.regular_peak_kw is not None:
        peak_kw = site.regular_peak_kw
        valley_kw = (
            site.regular_valley_kw
            if site.regular_valley_kw is not None
            else a.valley_to_peak * peak_kw
        )
        basis = "measured"
    else:
        return RegularLoad(index_kw, a.valley_to_peak * index_kw, "planning index")
    kind = community_type(site, a.study_year, a.old_built_before, a.new_within_years)
    if a.new_at_planning_index and kind == "new" and index_kw > peak_kw:
        return RegularLoad(index_kw, index_kw * valley_kw / peak_kw, "planning index (filling up)")
    return RegularLoad(peak_kw, valley_kw, basis)


def _mode_result(
    mode: Mode,
    loading: LoadingFn,
    exact: float,
    kw_per_pile: float,
    ratios: FloatArray,
    limit_pu: float,
    spaces: int,
) -> ModeResult:
    return ModeResult(
        mode=mode,
        kw_per_pile=kw_per_pile,
        loading_pu=loading(ratios),
        max_pile_ratio=exact,
        max_pile_ratio_1pct=largest_ratio_at_step(loading, limit_pu, RATIO_STEP_FINE),
        max_pile_ratio_10pct=largest_ratio_at_step(loading, limit_pu, RATIO_STEP_REPORT),
        max_piles=int(np.floor(exact * spaces + 1e-9)),
    )


def residential_index(
    site: ResidentialSite, assumptions: ResidentialAssumptions | None = None
) -> ResidentialResult:
    """Transformer loading vs pile ratio and hosting capacity of a community (report 3.2).

    Parameters
    ----------
    site
        The community.
    assumptions
        Model parameters; defaults reproduce the report.

    Returns
    -------
    ResidentialResult
    """
    a = assumptions or ResidentialAssumptions()
    if not 0 < a.charger_efficiency <= 1 or a.valley_charging_h <= 0:
        raise InputError(
            f"assumptions: charger_efficiency {a.charger_efficiency!r} must be in (0, 1] and "
            f"valley_charging_h {a.valley_charging_h!r} > 0"
        )
    reg = regular_load(site, a)
    capacity_kw = site.power_factor * site.transformer_kva
    limit_kw = a.limit_pu * capacity_kw
    spaces = site.parking_spaces
    ratios = pile_ratio_axis(RATIO_STEP_FINE)

    def uncontrolled_pu(r: FloatArray) -> FloatArray:
        n_piles = np.asarray(r, dtype=np.float64) * spaces * a.charging_share
        k = demand_coefficient(n_piles, a.demand_coefficient, a.coefficient_bands)
        return (reg.peak_kw + n_piles * a.pile_rating_kw * k) / capacity_kw

    p_orderly = a.orderly_kw_per_pile

    def orderly_pu(r: FloatArray) -> FloatArray:
        night_kw = reg.valley_kw + np.asarray(r, dtype=np.float64) * spaces * p_orderly
        return np.maximum(reg.peak_kw, night_kw) / capacity_kw

    if a.coefficient_bands is None:
        p_unc = a.pile_rating_kw * a.demand_coefficient * a.charging_share
        exact_unc = largest_ratio_linear(reg.peak_kw, spaces * p_unc, limit_kw)
    else:
        exact_unc = largest_ratio_at_step(uncontrolled_pu, a.limit_pu, RATIO_STEP_SCAN)
        n_at = np.array([max(exact_unc * spaces * a.charging_share, 1.0)])
        k_at = demand_coefficient(n_at, a.demand_coefficient, a.coefficient_bands)
        p_unc = float(a.pile_rating_kw * k_at[0] * a.charging_share)
    exact_ord = largest_ratio_linear(reg.valley_kw, spaces * p_orderly, limit_kw, reg.peak_kw)

    return ResidentialResult(
        name=site.name,
        community_type=community_type(site, a.study_year, a.old_built_before, a.new_within_years),
        regular=reg,
        transformer_kva=site.transformer_kva,
        power_factor=site.power_factor,
        parking_spaces=spaces,
        households=site.households,
        limit_pu=a.limit_pu,
        daily_energy_kwh=a.daily_energy_kwh,
        orderly_charging_kw=a.orderly_charging_kw,
        pile_ratio=ratios,
        uncontrolled=_mode_result(
            "uncontrolled", uncontrolled_pu, exact_unc, p_unc, ratios, a.limit_pu, spaces
        ),
        orderly=_mode_result(
            "orderly", orderly_pu, exact_ord, p_orderly, ratios, a.limit_pu, spaces
        ),
    )


def hosting_index(
    site: Site,
    residential: ResidentialAssumptions | None = None,
    office: OfficeAssumptions | None = None,
) -> ResidentialResult | OfficeResult:
    """Planning-index results of any site: :func:`residential_index` or
    :func:`~evgrid.planning.office.office_index`."""
    if isinstance(site, OfficeSite):
        return office_index(site, office)
    return residential_index(site, residential)
