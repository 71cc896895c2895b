"""Carbon credits for electric travel, weighted by the charging band (report section 5.2).

The report's carbon-inclusion lever credits owners with the emissions their electric travel
avoids, computed by a low-carbon travel methodology, and weights the credits by when they charge:
the valley weight above the flat weight above the peak weight. evgrid follows the structure of
such methodologies (baseline emissions of the petrol car replaced, minus the project emissions of
the electricity charged; Chengdu's carbon-inclusion mechanism "碳惠天府", Chengdu government
opinion 成府发〔2020〕4号, credits the public through carbon-reduction points of this kind): for
each kWh charged at the grid,

    km      = kWh × charger efficiency / consumption                       [km]
    avoided = km × petrol litres per km × CO2 per litre of petrol          [kg CO2]
    emitted = kWh × grid emission factor                                    [kg CO2]
    credit  = (avoided − emitted) × weight of the band the kWh falls in     [kg CO2]

and the credits' value is the credited tonnes × a credit price. Defaults (the parameter table):
petrol 2.37 kg CO2/L, 7.2 L/100 km (IEA, new light-duty vehicles in China, 2019), the 2023
national grid factor 0.5306 kg CO2/kWh (Ministry of Ecology and Environment and National Bureau
of Statistics), the report's 15 kWh/100 km and evgrid's 0.9 charger efficiency, weights
0.8 / 1.0 / 1.2 (peak / flat / valley: the report gives only their order) and 68 yuan/t (the
national carbon market's 2023 average).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from evgrid.errors import InputError, bad_value
from evgrid.incentives.tariffs import BANDS
from evgrid.io import read_document
from evgrid.params import param_field, validate

KG_PER_T = 1000.0
"""Kilograms in a tonne [kg/t]."""
KM_PER_100KM = 100.0

CARBON_FIELDS = (
    "petrol_kg_co2_per_l",
    "petrol_l_per_100km",
    "grid_kg_co2_per_kwh",
    "consumption_kwh_per_100km",
    "charger_efficiency",
    "weight_peak",
    "weight_flat",
    "weight_valley",
    "price_yuan_per_t",
)


@dataclass(frozen=True)
class CarbonMethod:
    """How charging earns carbon credits.

    Parameters
    ----------
    petrol_kg_co2_per_l
        CO2 from burning a litre of petrol [kg CO2/L].
    petrol_l_per_100km
        Fuel of the petrol car an EV replaces [L/100 km].
    grid_kg_co2_per_kwh
        Emission factor of grid electricity [kg CO2/kWh].
    consumption_kwh_per_100km
        The EV's consumption, at the battery [kWh/100 km].
    charger_efficiency
        Battery energy per grid-side kWh [-].
    weight_peak, weight_flat, weight_valley
        Credit weight of a kWh charged in each band (a critical-peak band takes the peak weight)
        [-], valley >= flat >= peak.
    price_yuan_per_t
        Value of a tonne of CO2 credited [yuan/t CO2].
    """

    petrol_kg_co2_per_l: float = param_field("petrol_kg_co2_per_l")
    petrol_l_per_100km: float = param_field("petrol_l_per_100km")
    grid_kg_co2_per_kwh: float = param_field("grid_kg_co2_per_kwh")
    consumption_kwh_per_100km: float = param_field("consumption_kwh_per_100km")
    charger_efficiency: float = param_field("charger_efficiency")
    weight_peak: float = param_field("carbon_weight_peak")
    weight_flat: float = param_field("carbon_weight_flat")
    weight_valley: float = param_field("carbon_weight_valley")
    price_yuan_per_t: float = param_field("carbon_price_yuan_per_t")

    def __post_init__(self) -> None:
        validate(self)
        if not self.weight_valley >= self.weight_flat >= self.weight_peak:
            raise bad_value(
                "weights",
                (self.weight_peak, self.weight_flat, self.weight_valley),
                "peak <= flat <= valley (report 5.2: the valley weighs most) [-]",
            )

    @property
    def km_per_kwh(self) -> float:
        """Distance driven on a grid-side kWh [km/kWh]."""
        return self.charger_efficiency * KM_PER_100KM / self.consumption_kwh_per_100km

    @property
    def reduction_kg_per_kwh(self) -> float:
        """Unweighted CO2 avoided per grid-side kWh: petrol avoided − grid emitted [kg/kWh]."""
        petrol = self.km_per_kwh * self.petrol_l_per_100km / KM_PER_100KM
        return petrol * self.petrol_kg_co2_per_l - self.grid_kg_co2_per_kwh

    def band_weights(self) -> npt.NDArray[np.float64]:
        """Weight of each band of :data:`~evgrid.incentives.tariffs.BANDS` [-]."""
        by_band = {
            "critical": self.weight_peak,
            "peak": self.weight_peak,
            "flat": self.weight_flat,
            "valley": self.weight_valley,
        }
        return np.array([by_band[b] for b in BANDS])

    def credits(self, energy_kwh: npt.ArrayLike, band_shares: npt.ArrayLike) -> CarbonCredits:
        """Credits for energy charged per slot.

        Parameters
        ----------
        energy_kwh
            Grid-side energy charged in each slot, ``(n_slots,)`` [kWh].
        band_shares
            Share of each slot in each band, ``(n_slots, len(BANDS))`` [-]
            (:meth:`~evgrid.incentives.tariffs.Season.band_shares`).
        """
        e = np.asarray(energy_kwh, dtype=np.float64)
        by_band = e @ np.asarray(band_shares, dtype=np.float64)  # kWh in each band
        unweighted = by_band * self.reduction_kg_per_kwh
        weighted = unweighted * self.band_weights()
        return CarbonCredits(
            energy_kwh=dict(zip(BANDS, by_band.tolist(), strict=True)),
            reduction_kg=float(unweighted.sum()),
            credited_kg=float(weighted.sum()),
            value_yuan=float(weighted.sum() / KG_PER_T * self.price_yuan_per_t),
        )

    def to_dict(self) -> dict[str, float]:
        """The method's numbers, for JSON and reports."""
        out = {name: float(getattr(self, name)) for name in CARBON_FIELDS}
        out["reduction_kg_per_kwh"] = self.reduction_kg_per_kwh
        return out


@dataclass(frozen=True)
class CarbonCredits:
    """Credits earned by some charging.

    Parameters
    ----------
    energy_kwh
        Energy charged in each band [kWh].
    reduction_kg
        CO2 avoided, unweighted [kg CO2].
    credited_kg
        CO2 credited: the reduction weighted by band [kg CO2].
    value_yuan
        Value of the credits at the credit price [yuan].
    """

    energy_kwh: dict[str, float]
    reduction_kg: float
    credited_kg: float
    value_yuan: float

    def scaled(self, factor: float) -> CarbonCredits:
        """Every amount times ``factor`` (a typical day to a year)."""
        return CarbonCredits(
            {k: v * factor for k, v in self.energy_kwh.items()},
            self.reduction_kg * factor,
            self.credited_kg * factor,
            self.value_yuan * factor,
        )

    def __add__(self, other: CarbonCredits) -> CarbonCredits:
        return CarbonCredits(
            {k: v + other.energy_kwh[k] for k, v in self.energy_kwh.items()},
            self.reduction_kg + other.reduction_kg,
            self.credited_kg + other.credited_kg,
            self.value_yuan + other.value_yuan,
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain form for JSON."""
        return {
            "energy_kwh": dict(self.energy_kwh),
            "reduction_t": self.reduction_kg / KG_PER_T,
            "credited_t": self.credited_kg / KG_PER_T,
            "value_yuan": self.value_yuan,
        }


def parse_carbon(data: Any, where: str = "carbon") -> CarbonMethod:
    """A :class:`CarbonMethod` from a document's mapping (missing fields take the defaults)."""
    if not isinstance(data, dict):
        raise bad_value(where, data, "a mapping with " + ", ".join(CARBON_FIELDS))
    for key in data:
        if key not in CARBON_FIELDS:
            raise bad_value(f"{where}: {key}", data[key], "one of " + ", ".join(CARBON_FIELDS))
    try:
        return CarbonMethod(**data)
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None


def load_carbon(source: str | Path | CarbonMethod | None = None) -> CarbonMethod:
    """The carbon method from a YAML/JSON file, as given, or the defaults (None)."""
    if source is None:
        return CarbonMethod()
    if isinstance(source, CarbonMethod):
        return source
    return parse_carbon(read_document(source, "carbon document (YAML or JSON)"), str(source))
