"""The transformer: rating, loading and the criteria a load curve is judged by.

Domain layer. A :class:`Transformer` holds a validated rating, power factor and thermal
parameters and evaluates many total-load curves at once against one criterion:

* ``"loading"``: peak loading ``max(total_kw) / (power_factor * rating_kva)`` <= limit
  (default 0.80, the report's rule, section 3.3: no upgrade while the loading stays <= 80 %);
* ``"hotspot"``: the IEC 60076-7 hot-spot temperature's maximum <= limit (default 98 °C, the
  standard's reference hot spot at which non-upgraded paper ages at the normal rate; the
  standard allows 120 °C under normal cyclic loading, Table 3);
* ``"ageing"``: loss of life per day of horizon <= limit (default 1 day/day, normal ageing).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from evgrid.errors import bad_value
from evgrid.grid.thermal import (
    ONAN_DISTRIBUTION,
    PAPERS,
    REFERENCE_HOT_SPOT_C,
    ThermalParams,
    ThermalResponse,
    ageing_days_per_day,
    thermal_response,
)
from evgrid.timegrid import DEFAULT_SLOT_MIN, FloatArray

Criterion = Literal["loading", "hotspot", "ageing"]
CRITERIA: tuple[str, ...] = ("loading", "hotspot", "ageing")

DEFAULT_LOADING_LIMIT_PU = 0.80
"""Loading limit [pu]: report section 3.3, a night loading <= 80 % needs no upgrade."""

DEFAULT_HOT_SPOT_LIMIT_C = REFERENCE_HOT_SPOT_C
"""Hot-spot limit [°C]: IEC 60076-7:2018 reference hot spot (V = 1), 98 °C."""

DEFAULT_AGEING_LIMIT_DAYS_PER_DAY = 1.0
"""Ageing limit [days/day]: normal ageing, IEC 60076-7:2018, 6.3."""

DEFAULT_AMBIENT_C = 20.0
"""Ambient temperature [°C]: IEC 60076-7:2018 Table 5 rated ambient (weighted annual)."""

DEFAULT_LIMITS: dict[str, float] = {
    "loading": DEFAULT_LOADING_LIMIT_PU,
    "hotspot": DEFAULT_HOT_SPOT_LIMIT_C,
    "ageing": DEFAULT_AGEING_LIMIT_DAYS_PER_DAY,
}
METRIC_UNITS: dict[str, str] = {"loading": "pu", "hotspot": "°C", "ageing": "days/day"}
METRIC_NAMES: dict[str, str] = {
    "loading": "peak loading",
    "hotspot": "maximum hot-spot temperature",
    "ageing": "loss of life per day",
}


def check_criterion(criterion: str) -> Criterion:
    """Return ``criterion`` if it is known, else raise a one-line InputError.

    Parameters
    ----------
    criterion
        ``"loading"``, ``"hotspot"`` or ``"ageing"``.
    """
    if criterion not in CRITERIA:
        raise bad_value("criterion", criterion, " | ".join(CRITERIA))
    return criterion  # type: ignore[return-value]


def loading_pu(total_kw: npt.ArrayLike, rating_kva: float, power_factor: float = 1.0) -> FloatArray:
    """Transformer loading, ``total_kw / (power_factor * rating_kva)``.

    Parameters
    ----------
    total_kw
        Active power through the transformer, any shape [kW].
    rating_kva
        Rated apparent power [kVA].
    power_factor
        Power factor of the load [-]; the report takes 1 (loading = kW / kVA, section 3.3).

    Returns
    -------
    numpy.ndarray
        Loading as a fraction of the rating, shape of ``total_kw`` [pu].
    """
    return np.asarray(total_kw, dtype=np.float64) / (power_factor * rating_kva)


@dataclass(frozen=True)
class Evaluation:
    """Verdict of many load cases against one criterion.

    Attributes
    ----------
    criterion
        ``"loading"``, ``"hotspot"`` or ``"ageing"``.
    limit
        The limit applied [pu, °C or days/day, see ``unit``].
    metric
        Per case: peak loading [pu], maximum hot spot [°C] or loss of life per day [days/day];
        shape ``total_kw.shape[:-1]``.
    passed
        Per case, ``metric <= limit`` (bool), shape of ``metric``.
    unit
        Unit of ``metric`` and ``limit``.
    """

    criterion: Criterion
    limit: float
    metric: FloatArray
    passed: npt.NDArray[np.bool_]
    unit: str

    @property
    def headroom(self) -> FloatArray:
        """``limit - metric`` per case; negative where the case fails [unit]."""
        return self.limit - self.metric


@dataclass(frozen=True)
class Transformer:
    """A distribution transformer.

    Parameters
    ----------
    rating_kva
        Rated apparent power [kVA], > 0.
    power_factor
        Power factor of the load [-], in (0, 1].
    thermal
        IEC 60076-7 thermal characteristics (default Table 5, ONAN distribution transformer).
    ambient_c
        Default ambient temperature [°C].
    paper
        Insulation paper: ``"normal"`` or ``"upgraded"`` (thermally upgraded).
    """

    rating_kva: float
    power_factor: float = 1.0
    thermal: ThermalParams = ONAN_DISTRIBUTION
    ambient_c: float = DEFAULT_AMBIENT_C
    paper: str = "normal"

    def __post_init__(self) -> None:
        if not np.isfinite(self.rating_kva) or self.rating_kva <= 0:
            raise bad_value("transformer_kva", self.rating_kva, "a number > 0 [kVA]")
        if not np.isfinite(self.power_factor) or not 0 < self.power_factor <= 1:
            raise bad_value("power_factor", self.power_factor, "a number in (0, 1]")
        if not np.isfinite(self.ambient_c) or not -60.0 <= self.ambient_c <= 60.0:
            raise bad_value("ambient_c", self.ambient_c, "a temperature in [-60, 60] [°C]")
        if self.paper not in PAPERS:
            raise bad_value("paper", self.paper, " or ".join(PAPERS))

    @classmethod
    def from_site(cls, site: object, **options: object) -> Transformer:
        """The transformer of a site (``transformer_kva``, ``power_factor``).

        Parameters
        ----------
        site
            A :mod:`evgrid.grid.site` site or anything with ``transformer_kva`` [kVA] and
            optionally ``power_factor`` [-].
        **options
            ``thermal``, ``ambient_c``, ``paper`` (see the class parameters).
        """
        rating_kva = float(getattr(site, "transformer_kva"))  # noqa: B009
        power_factor = float(getattr(site, "power_factor", 1.0))
        return cls(rating_kva, power_factor, **options)  # type: ignore[arg-type]

    @property
    def rating_kw(self) -> float:
        """Active power at full rating, ``power_factor * rating_kva`` [kW]."""
        return self.power_factor * self.rating_kva

    def loading_pu(self, total_kw: npt.ArrayLike) -> FloatArray:
        """Loading of each slot, shape of ``total_kw`` [pu]; see :func:`loading_pu`."""
        return loading_pu(total_kw, self.rating_kva, self.power_factor)

    def thermal_response(
        self,
        total_kw: npt.ArrayLike,
        slot_min: float = DEFAULT_SLOT_MIN,
        ambient_c: npt.ArrayLike | None = None,
    ) -> ThermalResponse:
        """Top-oil and hot-spot temperatures, periodic steady state of each case.

        Parameters
        ----------
        total_kw
            Total load, ``(n_slots,)`` or ``(n_cases, n_slots)`` [kW]. The load factor K is the
            loading (the report's convention; K is strictly current / rated current).
        slot_min
            Slot length [min].
        ambient_c
            Ambient temperature, constant or per slot [°C]; default :attr:`ambient_c`.
        """
        ambient = self.ambient_c if ambient_c is None else ambient_c
        return thermal_response(self.loading_pu(total_kw), ambient, slot_min, self.thermal)

    def evaluate(
        self,
        total_kw: npt.ArrayLike,
        criterion: str = "loading",
        limit: float | None = None,
        *,
        slot_min: float = DEFAULT_SLOT_MIN,
        ambient_c: npt.ArrayLike | None = None,
    ) -> Evaluation:
        """Judge many total-load curves at once.

        Parameters
        ----------
        total_kw
            Total load (regular + charging), ``(n_slots,)`` or ``(n_cases, n_slots)`` [kW].
        criterion
            ``"loading"``, ``"hotspot"`` or ``"ageing"``.
        limit
            Limit in the criterion's unit [pu, °C or days/day]; default
            :data:`DEFAULT_LIMITS`.
        slot_min
            Slot length [min] (thermal criteria only).
        ambient_c
            Ambient temperature [°C], constant or per slot (thermal criteria only).

        Returns
        -------
        Evaluation
            ``metric`` and ``passed`` of shape ``total_kw.shape[:-1]``.
        """
        name = check_criterion(criterion)
        chosen = DEFAULT_LIMITS[name] if limit is None else float(limit)
        if not np.isfinite(chosen) or chosen <= 0:
            raise bad_value(f"{name} limit", limit, f"a number > 0 [{METRIC_UNITS[name]}]")
        if name == "loading":
            metric = self.loading_pu(total_kw).max(axis=-1)
        else:
            hot_spot = self.thermal_response(total_kw, slot_min, ambient_c).hot_spot_c
            if name == "hotspot":
                metric = hot_spot.max(axis=-1)
            else:
                metric = ageing_days_per_day(hot_spot, slot_min, self.paper)
        metric = np.asarray(metric, dtype=np.float64)
        return Evaluation(name, chosen, metric, metric <= chosen, METRIC_UNITS[name])
