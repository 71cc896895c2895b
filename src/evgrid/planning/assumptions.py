"""Parameters of the planning-index model: defaults from the parameter table, validated.

Every default is a row of ``evgrid/data/parameters.csv`` (:mod:`evgrid.params`) with its unit,
allowed range, basis and source; the objects here only group them. Numbers marked *implied* or
*calibrated* there are not printed in the report but are what its published results require
(arithmetic in ``docs/index-model.md``); together they are the one consistent assumption set that
reproduces all of the report's findings at once.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass

from evgrid.errors import bad_value
from evgrid.params import default, param_field, validate

DESIGN_PRACTICE_COEFFICIENT_BANDS: tuple[tuple[float, float], ...] = (
    (10.0, 0.80),
    (50.0, 0.60),
    (float("inf"), 0.425),
)
"""A falling demand coefficient, (up to this many piles, coefficient): the mid-points of the
design-practice bands 0.75–0.85 (5–10 piles), 0.55–0.65 (10–50), 0.40–0.45 (above 50) of
:data:`evgrid.planning.coincidence.DESIGN_DEMAND_COEFFICIENTS`. Kept to show that a coefficient
falling with the pile count does not reproduce the report (docs/index-model.md)."""


def residential_index_kw_per_household() -> float:
    """Residential planning index: 13 W/m² × 100 m² = 1.3 kW per household [kW] (report 3.1)."""
    return float(default("residential_index_w_per_m2") * default("floor_area_per_household_m2"))


@dataclass(frozen=True)
class ResidentialAssumptions:
    """Parameters of the residential planning-index model (defaults: the parameter table).

    Parameters
    ----------
    limit_pu
        Loading limit [pu] (``loading_limit_pu``).
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
    index_w_per_m2, floor_area_per_household_m2
        Residential planning index [W/m²] and floor area per household [m²].
    valley_to_peak
        Valley/peak ratio used when a valley is missing [-].
    new_at_planning_index
        Whether new communities take regular load at the planning index.
    study_year, old_built_before, new_within_years
        Community-type rule [year].

    Raises
    ------
    InputError
        A value outside its allowed range (one line naming the field).
    """

    limit_pu: float = param_field("loading_limit_pu")
    daily_distance_km: float = param_field("daily_distance_km")
    consumption_kwh_per_100km: float = param_field("consumption_kwh_per_100km")
    valley_charging_h: float = param_field("valley_charging_h")
    charger_efficiency: float = param_field("charger_efficiency")
    charging_share: float = param_field("charging_share")
    pile_rating_kw: float = param_field("pile_rating_kw")
    demand_coefficient: float = param_field("demand_coefficient")
    coefficient_bands: tuple[tuple[float, float], ...] | None = None
    index_w_per_m2: float = param_field("residential_index_w_per_m2")
    floor_area_per_household_m2: float = param_field("floor_area_per_household_m2")
    valley_to_peak: float = param_field("valley_to_peak_ratio")
    new_at_planning_index: bool = param_field("new_at_planning_index")
    study_year: int = param_field("study_year")
    old_built_before: int = param_field("old_built_before")
    new_within_years: int = param_field("new_within_years")

    def __post_init__(self) -> None:
        validate(self)
        bands = self.coefficient_bands
        allowed = "(max piles, coefficient in (0, 1]) pairs, increasing"
        if bands is not None and (
            not isinstance(bands, list | tuple)
            or not all(
                isinstance(b, list | tuple)
                and len(b) == 2
                and all(isinstance(v, int | float) and not isinstance(v, bool) for v in b)
                and not math.isnan(b[0])
                and math.isfinite(b[1])  # the last band may reach to infinitely many piles
                for b in bands
            )
        ):
            raise bad_value("coefficient_bands", bands, allowed)
        if bands is not None and (
            not bands
            or any(not 0 < k <= 1 for _, k in bands)
            or any(a >= b for (a, _), (b, _) in itertools.pairwise(bands))
        ):
            raise bad_value(
                "coefficient_bands", bands, "(max piles, coefficient in (0, 1]) pairs, increasing"
            )

    @property
    def index_kw_per_household(self) -> float:
        """Residential planning index per household [kW] (report: 1.3 kW)."""
        return self.index_w_per_m2 * self.floor_area_per_household_m2 / 1000.0

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

    @property
    def uncontrolled_kw_per_pile(self) -> float:
        """Coincident uncontrolled load per pile at the evening peak, constant coefficient [kW]."""
        return self.pile_rating_kw * self.demand_coefficient * self.charging_share


@dataclass(frozen=True)
class OfficeAssumptions:
    """Parameters of the office-park model (defaults: the parameter table).

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

    limit_pu: float = param_field("loading_limit_pu")
    pile_share: Mapping[int, float] = param_field("office_pile_share")
    kw_per_charging_space: Mapping[int, float] = param_field("office_kw_per_charging_space")
    saturation_factor: float = param_field("office_saturation_factor")
    index_w_per_m2: float = param_field("office_index_w_per_m2")

    def __post_init__(self) -> None:
        validate(self)

    @property
    def years(self) -> tuple[int, ...]:
        """Years with both a pile share and a per-space load [year]."""
        return tuple(sorted(set(self.pile_share) & set(self.kw_per_charging_space)))
