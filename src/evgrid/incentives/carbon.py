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
petrol 2.37 kg CO2/L, 7.2 L/100 km (IEA, new light-duty vehicles in China, 2019), the report's
15 kWh/100 km and evgrid's 0.9 charger efficiency, weights 0.8 / 1.0 / 1.2 (peak / flat / valley:
the report gives only their order) and 68 yuan/t (the national carbon market's 2023 average).

The grid factor is the site's: the Ministry of Ecology and Environment and the National Bureau of
Statistics publish national, regional-grid and provincial average factors (2023 edition,
``evgrid/data/incentives/grid_factors.csv``); :func:`grid_factor` takes the site's province
(``province:`` in the site document, in Chinese or pinyin), falling back to its region and then to
the national factor 0.5306 kg CO2/kWh where the table has no figure, and says which it used. For
a Sichuan community the provincial factor is 0.1564: its grid is mostly hydro, and each kWh
charged avoids 0.87 kg CO2 instead of the national 0.49.
"""

from __future__ import annotations

import csv
import functools
import io
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from evgrid.errors import InputError, bad_value
from evgrid.incentives.tariffs import BANDS
from evgrid.io import read_document
from evgrid.params import param_field, parameter, validate

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
    grid_factor_area, grid_factor_level
        Where the grid factor is from: the area (``全国``, a regional grid or a province) and
        ``national``, ``regional``, ``provincial`` or ``given`` (a user's number).
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
    grid_factor_area: str = "全国"
    grid_factor_level: str = "national"

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

    def to_dict(self) -> dict[str, Any]:
        """The method's numbers, for JSON and reports."""
        out: dict[str, Any] = {name: float(getattr(self, name)) for name in CARBON_FIELDS}
        out["reduction_kg_per_kwh"] = self.reduction_kg_per_kwh
        out["grid_factor"] = {
            "area": self.grid_factor_area,
            "level": self.grid_factor_level,
            "edition": FACTOR_EDITION if self.grid_factor_level != "given" else None,
        }
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


FACTOR_EDITION = (
    "Ministry of Ecology and Environment and National Bureau of Statistics, 2023 electricity CO2 "
    "emission factors"
)
"""The edition of the grid factors (``data/incentives/grid_factors.csv``)."""
LEVELS = ("provincial", "regional", "national")
_SUFFIXES = ("省", "市", "自治区", "壮族自治区", "回族自治区", "维吾尔自治区", " province")


@functools.cache
def _factor_rows() -> dict[str, dict[str, str]]:
    text = resources.files("evgrid").joinpath("data", "incentives", "grid_factors.csv")
    lines = [ln for ln in text.read_text("utf-8").splitlines() if not ln.startswith("#")]
    return {row["area"]: row for row in csv.DictReader(io.StringIO("\n".join(lines)))}


def _area(province: str) -> str:
    """The table's area for a province written in Chinese or pinyin (InputError if unknown)."""
    rows = _factor_rows()
    key = str(province).strip()
    for suffix in _SUFFIXES:
        if key.lower().endswith(suffix) and len(key) > len(suffix):
            key = key[: -len(suffix)].strip()
    by_pinyin = {r["pinyin"].casefold(): a for a, r in rows.items() if r["level"] == "provincial"}
    if key in rows and rows[key]["level"] == "provincial":
        return key
    if key.casefold() in by_pinyin:
        return by_pinyin[key.casefold()]
    from evgrid.errors import bad_value

    raise bad_value(
        "province", province, "a province of China in Chinese or pinyin (四川 or Sichuan)"
    )


def grid_factor(province: str | None = None, level: str | None = None) -> tuple[float, str, str]:
    """The grid emission factor for a province: ``(kg CO2/kWh, area, level used)``.

    Parameters
    ----------
    province
        The site's province in Chinese or pinyin, or None (the national factor).
    level
        ``provincial`` (default, parameter ``carbon_grid_factor_level``), ``regional`` or
        ``national``; a level without a figure in the table falls back to the next.

    Raises
    ------
    InputError
        An unknown province or level.
    """
    chosen = parameter("carbon_grid_factor_level").resolve(level, "grid_factor_level")
    rows = _factor_rows()
    chain: list[str] = []
    if province is not None:
        area = _area(province)
        if chosen == "provincial":
            chain.append(area)
        if chosen in ("provincial", "regional"):
            chain.append(rows[area]["region"])
    chain.append("全国")
    for area in chain:
        value = rows[area]["kg_co2_per_kwh"]
        if value:
            return float(value), area, rows[area]["level"]
    raise AssertionError("the table has a national factor")  # pragma: no cover


def load_carbon(
    source: str | Path | CarbonMethod | None = None,
    *,
    province: str | None = None,
    level: str | None = None,
) -> CarbonMethod:
    """The carbon method from a YAML/JSON file, as given, or the defaults (None).

    Parameters
    ----------
    source
        A :class:`CarbonMethod`, a carbon document, or None for the parameter table's.
    province
        The site's province: unless the document gives ``grid_kg_co2_per_kwh``, the grid factor
        is the province's (:func:`grid_factor`).
    level
        ``provincial``, ``regional`` or ``national`` (:func:`grid_factor`).
    """
    if isinstance(source, CarbonMethod):
        return source
    data: dict[str, Any] = {}
    if source is not None:
        doc = read_document(source, "carbon document (YAML or JSON)")
        parse_carbon(doc, str(source))  # checks the fields
        data = dict(doc)
    if "grid_kg_co2_per_kwh" in data:
        return CarbonMethod(**data, grid_factor_area="given", grid_factor_level="given")
    value, area, used = grid_factor(province, level)
    try:
        return CarbonMethod(
            **data, grid_kg_co2_per_kwh=value, grid_factor_area=area, grid_factor_level=used
        )
    except InputError as exc:
        raise InputError(f"{source}: {exc}") from None
