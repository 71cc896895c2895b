"""Cable types of low-voltage areas: the bundled table of common Chinese cables.

``evgrid/data/network/cables_cn.csv`` lists the four-core 0.6/1 kV XLPE cables of Chinese
residential areas, YJV22 (copper) and YJLV22 (aluminium), 25 ... 240 mm², with the source of every
column in the file's header: DC resistance at 20 °C from GB/T 3956-2008 (IEC 60228) table 2,
reactance and ampacity assumed at values typical of manufacturers' tables (replace them with the
maker's). The resistance is taken to the conductor temperature (parameter
``network_conductor_temperature_c``) with the temperature coefficients of IEC 60287-1-1 table 1;
the ampacity is corrected for the installation by the parameter ``network_cable_derating``
(GB 50217-2018 appendix D gives the factors).

Zero sequence: the fourth, equal core is the only return, so ``z0 = 4 z1`` (and a single-phase
loop sees ``2 z1``: phase out, neutral back).
"""

from __future__ import annotations

import csv
import functools
import io
from dataclasses import dataclass
from importlib import resources

from evgrid.errors import bad_value
from evgrid.params import default

ALPHA_20_PER_K = {"copper": 0.00393, "aluminium": 0.00403}
"""Temperature coefficient of resistance at 20 °C [1/K]: IEC 60287-1-1 table 1."""

ZERO_SEQUENCE_RATIO = 4.0
"""``z0 / z1`` of a four-core cable whose equal fourth core is the only return [-]
(``z0 = z1 + 3 z_neutral``; earth and armour neglected, assumed)."""


@dataclass(frozen=True)
class CableType:
    """A cable type and its impedance per length at the conductor temperature.

    Parameters
    ----------
    name
        Type designation, e.g. ``YJLV22-4x150``.
    material
        ``copper`` or ``aluminium``.
    size_mm2
        Phase conductor cross-section [mm²].
    r1_ohm_per_km, x1_ohm_per_km
        Positive-sequence resistance (at the conductor temperature) and reactance [ohm/km].
    r0_ohm_per_km, x0_ohm_per_km
        Zero-sequence resistance and reactance [ohm/km].
    ampacity_a
        Tabulated continuous current (direct burial, before derating) [A].
    """

    name: str
    material: str
    size_mm2: float
    r1_ohm_per_km: float
    x1_ohm_per_km: float
    r0_ohm_per_km: float
    x0_ohm_per_km: float
    ampacity_a: float

    def derated_a(self, derating: float | None = None) -> float:
        """Ampacity after the installation derating [A] (default ``network_cable_derating``)."""
        factor = float(default("network_cable_derating") if derating is None else derating)
        return self.ampacity_a * factor


@functools.cache
def _rows() -> tuple[dict[str, str], ...]:
    text = resources.files("evgrid").joinpath("data", "network", "cables_cn.csv").read_text("utf-8")
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    return tuple(csv.DictReader(io.StringIO("\n".join(lines))))


def cable_names() -> tuple[str, ...]:
    """Every bundled cable type, in table order."""
    return tuple(r["type"] for r in _rows())


def cable_type(name: str, temperature_c: float | None = None) -> CableType:
    """A bundled cable type with its resistance at ``temperature_c``.

    Parameters
    ----------
    name
        Type designation (:func:`cable_names`).
    temperature_c
        Conductor temperature [°C]; default the parameter ``network_conductor_temperature_c``.

    Raises
    ------
    InputError
        An unknown type.
    """
    temp = float(
        default("network_conductor_temperature_c") if temperature_c is None else temperature_c
    )
    for row in _rows():
        if row["type"] == name:
            material = row["material"]
            r1 = float(row["r20_ohm_per_km"]) * (1.0 + ALPHA_20_PER_K[material] * (temp - 20.0))
            x1 = float(row["x1_ohm_per_km"])
            return CableType(
                name=name,
                material=material,
                size_mm2=float(row["size_mm2"]),
                r1_ohm_per_km=r1,
                x1_ohm_per_km=x1,
                r0_ohm_per_km=ZERO_SEQUENCE_RATIO * r1,
                x0_ohm_per_km=ZERO_SEQUENCE_RATIO * x1,
                ampacity_a=float(row["ampacity_a"]),
            )
    raise bad_value("cable type", name, "one of " + ", ".join(cable_names()))


def next_size(name: str) -> str | None:
    """The next larger bundled type of the same family (``YJLV22-4x150`` -> ``-4x185``)."""
    family = name.split("-")[0]
    same = [r for r in _rows() if r["type"].split("-")[0] == family]
    sizes = [float(r["size_mm2"]) for r in same]
    here = next((float(r["size_mm2"]) for r in same if r["type"] == name), None)
    if here is None:
        return None
    larger = [(s, r["type"]) for s, r in zip(sizes, same, strict=True) if s > here]
    return min(larger)[1] if larger else None


@functools.cache
def transformer_data() -> tuple[tuple[float, float, float], ...]:
    """``(rating_kva, uk_pct, pk_w)`` of 10/0.4 kV Dyn11 units (GB/T 6451-2015), ascending."""
    text = (
        resources.files("evgrid")
        .joinpath("data", "network", "transformers_cn.csv")
        .read_text("utf-8")
    )
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    return tuple(
        (float(r["rating_kva"]), float(r["uk_pct"]), float(r["pk_w"]))
        for r in csv.DictReader(io.StringIO("\n".join(lines)))
    )


def unit_impedance(rating_kva: float) -> tuple[float, float]:
    """Short-circuit impedance [%] and load losses [W] of a unit of this rating: the table's row
    for the rating, or the next larger one (losses scaled to the rating)."""
    rows = transformer_data()
    for kva, uk, pk in rows:
        if kva >= rating_kva - 1e-9:
            return uk, pk * rating_kva / kva
    kva, uk, pk = rows[-1]
    return uk, pk * rating_kva / kva
