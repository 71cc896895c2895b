"""The report's office-park model (section 4).

For each planning year: charging spaces = round(parking spaces × pile share of the year); peak
charging load = charging spaces × coincident kW per charging space of the year; regular load at
saturation = saturation factor × the measured peak; total loading = (regular + charging) /
(power_factor × transformer_kva). The office index (42 W/m²) is reported beside it: it is below
both of the report's parks' measured peaks, so the report cannot have used it for the loading
(docs/report-contradictions.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evgrid.grid.site import OfficeSite
from evgrid.planning.assumptions import OfficeAssumptions
from evgrid.timegrid import FloatArray

RATIO_POINTS = 101
"""Points of the loading-vs-pile-ratio curve (0–100 % at 1 %) [-]."""


def round_half_up(x: float) -> int:
    """Round to the nearest integer, halves up (Python's ``round`` rounds halves to even)."""
    return int(np.floor(x + 0.5))


@dataclass(frozen=True)
class OfficeYearResult:
    """One planning year of an office park.

    Parameters
    ----------
    year
        Planning year [year].
    pile_share
        Share of spaces with a charger [-].
    charging_spaces
        Spaces with a charger [-].
    kw_per_charging_space
        Coincident peak charging load per charging space [kW].
    peak_charging_kw
        Peak charging load [kW].
    regular_kw
        Regular load at saturation [kW].
    total_loading_pu
        (regular + charging) / (power factor × rating) [pu].
    loading_pu
        Loading vs pile ratio, shape (RATIO_POINTS,) [pu].
    max_pile_ratio
        Largest pile ratio at the limit with this year's per-space load (exact, capped at 1) [-].
    """

    year: int
    pile_share: float
    charging_spaces: int
    kw_per_charging_space: float
    peak_charging_kw: float
    regular_kw: float
    total_loading_pu: float
    loading_pu: FloatArray
    max_pile_ratio: float


@dataclass(frozen=True)
class OfficeResult:
    """Planning-index results of an office park.

    Parameters
    ----------
    name
        Site label.
    regular_peak_kw, peak_year
        Measured peak [kW] and its year.
    saturated_regular_kw
        Regular load at saturation [kW].
    index_kw
        Office planning index × floor area [kW] (for comparison only).
    transformer_kva, power_factor, limit_pu
        Site rating [kVA], power factor [-], loading limit [pu].
    pile_ratio
        Pile ratios of the curves [-].
    years
        One result per planning year.
    """

    name: str
    regular_peak_kw: float
    peak_year: int
    saturated_regular_kw: float
    index_kw: float
    transformer_kva: float
    power_factor: float
    limit_pu: float
    pile_ratio: FloatArray
    years: tuple[OfficeYearResult, ...]


def office_index(site: OfficeSite, assumptions: OfficeAssumptions | None = None) -> OfficeResult:
    """Charging spaces, peak charging load and total loading of an office park by year.

    Parameters
    ----------
    site
        The office park.
    assumptions
        Model parameters; defaults reproduce the report (section 4.2).
    """
    a = assumptions or OfficeAssumptions()
    capacity_kw = site.power_factor * site.transformer_kva
    regular_kw = a.saturation_factor * site.regular_peak_kw
    ratios = np.linspace(0.0, 1.0, RATIO_POINTS)
    years = []
    for year in a.years:  # a handful of planning years, not a hot path
        share = a.pile_share[year]
        kw_space = a.kw_per_charging_space[year]
        spaces = round_half_up(site.parking_spaces * share)
        charging_kw = spaces * kw_space
        full_kw = site.parking_spaces * kw_space
        headroom_kw = a.limit_pu * capacity_kw - regular_kw
        if headroom_kw < 0:
            max_ratio = 0.0
        elif full_kw <= 0:
            max_ratio = 1.0
        else:
            max_ratio = float(min(headroom_kw / full_kw, 1.0))
        years.append(
            OfficeYearResult(
                year=year,
                pile_share=share,
                charging_spaces=spaces,
                kw_per_charging_space=kw_space,
                peak_charging_kw=charging_kw,
                regular_kw=regular_kw,
                total_loading_pu=(regular_kw + charging_kw) / capacity_kw,
                loading_pu=(regular_kw + ratios * full_kw) / capacity_kw,
                max_pile_ratio=max_ratio,
            )
        )
    return OfficeResult(
        name=site.name,
        regular_peak_kw=site.regular_peak_kw,
        peak_year=site.peak_year,
        saturated_regular_kw=regular_kw,
        index_kw=a.index_w_per_m2 * site.floor_area_m2 / 1000.0,
        transformer_kva=site.transformer_kva,
        power_factor=site.power_factor,
        limit_pu=a.limit_pu,
        pile_ratio=ratios,
        years=tuple(years),
    )
