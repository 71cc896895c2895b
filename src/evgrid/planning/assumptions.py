"""Every default number of the planning-index model, named, with its source.

"Report" is the source brief (Sichuan Energy Internet Research Institute / Tsinghua, 2023); section
numbers are its own. Numbers marked *implied* are not printed in the report but are the values its
published results require (arithmetic in ``docs/index-model.md``); they are the one consistent
assumption set that reproduces all of its findings at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

# --- planning indices -------------------------------------------------------------------------
RESIDENTIAL_INDEX_W_PER_M2 = 13.0
"""Class-2 residential saturation load index [W/m²]. Report section 3.1."""
FLOOR_AREA_PER_HOUSEHOLD_M2 = 100.0
"""Average floor area per household [m²]. Report section 3.1."""
RESIDENTIAL_INDEX_KW_PER_HOUSEHOLD = RESIDENTIAL_INDEX_W_PER_M2 * FLOOR_AREA_PER_HOUSEHOLD_M2 / 1000
"""Residential planning index, 13 W/m² × 100 m² = 1.3 kW per household [kW]. Report 3.1."""
OFFICE_INDEX_W_PER_M2 = 42.0
"""Administrative office load index [W/m²]. Report section 4.1."""

# --- time windows and limit -------------------------------------------------------------------
VALLEY_START_H = 23.0
"""Start of the residential night valley [h]. Report section 3.1 (valley 23:00–07:00)."""
VALLEY_END_H = 7.0
"""End of the residential night valley [h], next morning. Report section 3.1."""
LOADING_LIMIT_PU = 0.8
"""Transformer loading above which an upgrade is needed [pu]. Report section 3.3."""
VALLEY_TO_PEAK_RATIO = 0.4
"""Regular valley / regular peak when no valley is given [-]. Report tables 1–3 (352/880,
753/1883, 1463/3659 are all 0.40, i.e. a 60 % peak–valley difference, section 3.1: 50–60 %)."""

# --- community types --------------------------------------------------------------------------
OLD_BUILT_BEFORE = 2000
"""A community built before this year is "old". Report section 3.1."""
NEW_WITHIN_YEARS = 5
"""A community built within this many years of the study year is "new". Report section 3.1."""
STUDY_YEAR = 2023
"""Year of the study (the report's publication year): community C, built 2021, is new."""

# --- orderly charging -------------------------------------------------------------------------
DAILY_DISTANCE_KM = 60.0
"""Daily driving distance used for sizing [km]. Report section 2 ("95 % drive under 60 km")."""
CONSUMPTION_KWH_PER_100KM = 15.0
"""Mean consumption [kWh/100 km]. Report section 2 (range 14–20, mean 15)."""
VALLEY_CHARGING_H = 5.0
"""Hours over which an orderly car takes its daily energy in the valley [h]. *Implied*: the
report's orderly load of 1.8 kW per charging household (section 3.2) is 9 kWh / 5 h."""
CHARGER_EFFICIENCY = 0.9
"""AC charger (grid-to-battery) efficiency [-]. *Implied*: only 1.8 kW / 0.9 = 2.0 kW per pile
at the grid gives C's 60 % (1.8 kW would give 70 %); 0.9 is a typical on-board-charger value."""
CHARGING_SHARE = 1.0
"""Share of piles that charge every day ("community charging share") [-]. Report section 2
treats "once a day" as the main pattern; the case studies assume every pile charges."""

# --- uncontrolled charging --------------------------------------------------------------------
PILE_RATING_KW = 7.0
"""Rating of a private AC pile [kW]. Report section 2 (mostly AC 3.5 kW and 7 kW)."""
DEMAND_COEFFICIENT = 0.55
"""Demand (coincidence) coefficient of uncontrolled piles at the regular evening peak [-].
*Implied*: A failing at 10 % needs > 3.70 kW per pile, B passing at 10 % needs <= 3.90 kW, so
7 kW × k with 0.529 < k <= 0.558; 0.55 is the lower end of the design-practice band for
10–50 piles (0.55–0.65). A coefficient that falls further with pile count (0.40–0.45 above 50
piles) cannot reproduce C (docs/index-model.md)."""
DESIGN_PRACTICE_COEFFICIENT_BANDS: tuple[tuple[float, float], ...] = (
    (10.0, 0.80),
    (50.0, 0.60),
    (float("inf"), 0.425),
)
"""A falling demand coefficient, (up to this many piles, coefficient) — mid-points of the
design-practice bands 0.75–0.85 (5–10 piles), 0.55–0.65 (10–50), 0.40–0.45 (above 50) quoted
in the project brief. Kept to show it does not reproduce the report (docs/index-model.md)."""
NEW_COMMUNITY_AT_PLANNING_INDEX = True
"""A new community (still filling up) takes its regular load at the planning index when that is
above its measured load. *Implied* by C's uncontrolled finding (docs/report-contradictions.md)."""

# --- office parks -----------------------------------------------------------------------------
OFFICE_PILE_SHARE: Mapping[int, float] = MappingProxyType({2025: 0.25, 2030: 0.47})
"""Share of office parking spaces with a charger by year [-]. Report section 4.2: >= 25 % by
2025; by 2030 at least the EV share, 47 %."""
OFFICE_KW_PER_CHARGING_SPACE: Mapping[int, float] = MappingProxyType({2025: 3.088, 2030: 4.56})
"""Coincident peak charging load per charging space by year [kW]. *Implied* by report 4.2:
652/211 and 117.3/38 overlap (within their rounding) only in 3.0877–3.0882 kW; 1810/397 and
328/72 in 4.558–4.560 kW."""
OFFICE_SATURATION_FACTOR = 1.30
"""Regular office load at saturation / the measured peak [-]. *Implied* by report 4.2: all four
total loadings (58, 63, 46, 47 %) hold for a factor in 1.2976–1.3026. The 42 W/m² index is
below both parks' measured peaks, so the report cannot have used it."""


@dataclass(frozen=True)
class ResidentialAssumptions:
    """Parameters of the residential planning-index model (defaults: the constants above).

    Parameters
    ----------
    limit_pu
        Loading limit [pu].
    daily_distance_km, consumption_kwh_per_100km
        Daily distance [km] and consumption [kWh/100 km] of an orderly car.
    valley_charging_h
        Hours of valley charging [h].
    charger_efficiency
        Grid-to-battery efficiency [-].
    charging_share
        Share of piles charging each day [-].
    pile_rating_kw
        Uncontrolled pile rating [kW].
    demand_coefficient
        Constant demand coefficient [-]; ignored when ``coefficient_bands`` is given.
    coefficient_bands
        Optional falling coefficient: ``((max_piles, coefficient), ...)`` in increasing order.
    index_kw_per_household
        Residential planning index [kW per household].
    valley_to_peak
        Valley/peak ratio used when a valley is missing [-].
    new_at_planning_index
        Whether new communities take regular load at the planning index.
    study_year, old_built_before, new_within_years
        Community-type rule [year].
    """

    limit_pu: float = LOADING_LIMIT_PU
    daily_distance_km: float = DAILY_DISTANCE_KM
    consumption_kwh_per_100km: float = CONSUMPTION_KWH_PER_100KM
    valley_charging_h: float = VALLEY_CHARGING_H
    charger_efficiency: float = CHARGER_EFFICIENCY
    charging_share: float = CHARGING_SHARE
    pile_rating_kw: float = PILE_RATING_KW
    demand_coefficient: float = DEMAND_COEFFICIENT
    coefficient_bands: tuple[tuple[float, float], ...] | None = None
    index_kw_per_household: float = RESIDENTIAL_INDEX_KW_PER_HOUSEHOLD
    valley_to_peak: float = VALLEY_TO_PEAK_RATIO
    new_at_planning_index: bool = NEW_COMMUNITY_AT_PLANNING_INDEX
    study_year: int = STUDY_YEAR
    old_built_before: int = OLD_BUILT_BEFORE
    new_within_years: int = NEW_WITHIN_YEARS

    @property
    def daily_energy_kwh(self) -> float:
        """Daily energy of one car, distance × consumption [kWh] (report: 9 kWh)."""
        return self.daily_distance_km * self.consumption_kwh_per_100km / 100.0

    @property
    def orderly_charging_kw(self) -> float:
        """Battery-side orderly charging power per charging car [kW] (report: 1.8 kW)."""
        return self.daily_energy_kwh / self.valley_charging_h

    @property
    def orderly_kw_per_pile(self) -> float:
        """Grid-side orderly load per pile in the valley [kW] (2.0 kW with the defaults)."""
        return self.orderly_charging_kw / self.charger_efficiency * self.charging_share


@dataclass(frozen=True)
class OfficeAssumptions:
    """Parameters of the office-park model (defaults: the constants above).

    Parameters
    ----------
    limit_pu
        Loading limit [pu].
    pile_share
        Share of spaces with a charger, by year [-].
    kw_per_charging_space
        Coincident peak charging load per charging space, by year [kW].
    saturation_factor
        Saturated regular load / measured peak [-].
    index_w_per_m2
        Office planning index [W/m²] (reported, not used for loading).
    """

    limit_pu: float = LOADING_LIMIT_PU
    pile_share: Mapping[int, float] = field(default_factory=lambda: OFFICE_PILE_SHARE)
    kw_per_charging_space: Mapping[int, float] = field(
        default_factory=lambda: OFFICE_KW_PER_CHARGING_SPACE
    )
    saturation_factor: float = OFFICE_SATURATION_FACTOR
    index_w_per_m2: float = OFFICE_INDEX_W_PER_M2

    @property
    def years(self) -> tuple[int, ...]:
        """Years with both a pile share and a per-space load [year]."""
        return tuple(sorted(set(self.pile_share) & set(self.kw_per_charging_space)))
