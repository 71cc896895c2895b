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

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

from evgrid.errors import bad_value
from evgrid.grid.thermal import (
    ThermalParams,
    ThermalResponse,
    ageing_days_per_day,
    thermal_response,
)
from evgrid.params import default, parameter, validate
from evgrid.timegrid import DEFAULT_SLOT_MIN, FloatArray

Criterion = Literal["loading", "hotspot", "ageing"]
CRITERIA: tuple[str, ...] = ("loading", "hotspot", "ageing")

LIMIT_PARAMETERS: dict[str, str] = {
    "loading": "loading_limit_pu",
    "hotspot": "hotspot_limit_c",
    "ageing": "ageing_limit_days_per_day",
}
"""The parameter (``data/parameters.csv``) that holds each criterion's default limit and range:
loading 0.80 pu (report section 3.3), hot spot 98 °C and ageing 1 day/day (IEC 60076-7, 6.3)."""


def default_limit(criterion: str) -> float:
    """The default limit of a criterion [pu, °C or day/day]."""
    return float(default(LIMIT_PARAMETERS[check_criterion(criterion)]))


def check_limit(criterion: str, limit: float | None, where: str = "limit") -> float:
    """The criterion's limit: ``limit`` if allowed for it, else its default when None.

    Raises
    ------
    InputError
        The limit is outside the criterion's range (e.g. a loading above 2 pu).
    """
    name = LIMIT_PARAMETERS[check_criterion(criterion)]
    return float(default(name) if limit is None else parameter(name).check(limit, where))


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
    if not isinstance(criterion, str) or criterion not in CRITERIA:
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
    cooling
        Column of IEC 60076-7:2018 Table 5 whose thermal characteristics apply
        (``ONAN-distribution``, the default, for 10/0.4 kV distribution transformers).
    ambient_c
        Default ambient temperature [°C].
    paper
        Insulation paper: ``"normal"`` or ``"upgraded"`` (thermally upgraded).
    thermal
        Thermal characteristics; default the Table 5 column of ``cooling``.
    ev_power_factor
        Power factor of the charging load [-]; None: ``power_factor``, which is then the power
        factor of the whole load. When given, ``power_factor`` is the regular load's and a load
        of ``base_kw`` regular and ``charging_kw`` charging loads the transformer with the
        apparent power ``base_kw / power_factor + charging_kw / ev_power_factor``
        (:meth:`loading_parts_pu`).
    """

    rating_kva: float
    power_factor: float = field(default=default("power_factor"), metadata={"param": "power_factor"})
    cooling: str = field(default=default("cooling"), metadata={"param": "cooling"})
    ambient_c: float = field(default=default("ambient_c"), metadata={"param": "ambient_c"})
    paper: str = field(default=default("paper"), metadata={"param": "paper"})
    thermal: ThermalParams | None = None
    ev_power_factor: float | None = None

    def __post_init__(self) -> None:
        if isinstance(self.rating_kva, bool) or not isinstance(self.rating_kva, int | float):
            raise bad_value("transformer_kva", self.rating_kva, "a number > 0 [kVA]")
        if not np.isfinite(self.rating_kva) or self.rating_kva <= 0:
            raise bad_value("transformer_kva", self.rating_kva, "a number > 0 [kVA]")
        validate(self)
        if self.ev_power_factor is not None:
            ev = parameter("power_factor").check(self.ev_power_factor, "ev_power_factor")
            object.__setattr__(self, "ev_power_factor", ev)
        if self.thermal is None:
            object.__setattr__(self, "thermal", ThermalParams.for_cooling(self.cooling))

    @property
    def params(self) -> ThermalParams:
        """The thermal characteristics in use (IEC 60076-7:2018 Table 5)."""
        assert self.thermal is not None
        return self.thermal

    @classmethod
    def from_site(cls, site: object, **options: object) -> Transformer:
        """The transformer of a site document.

        Parameters
        ----------
        site
            A :mod:`evgrid.grid.site` site, or anything with ``transformer_kva`` [kVA] and
            optionally ``power_factor`` [-], ``cooling``, ``paper`` and ``ambient_c`` [°C].
        **options
            Overrides of those (e.g. ``ambient_c``), or ``thermal``.
        """
        fields = {
            name: getattr(site, name)
            for name in ("power_factor", "cooling", "ambient_c", "paper")
            if getattr(site, name, None) is not None
        }
        fields.update(options)
        return cls(float(getattr(site, "transformer_kva")), **fields)  # noqa: B009

    @property
    def rating_kw(self) -> float:
        """Active power at full rating, ``power_factor * rating_kva`` [kW]."""
        return self.power_factor * self.rating_kva

    @property
    def charging_power_factor(self) -> float:
        """Power factor of the charging load [-]."""
        return self.power_factor if self.ev_power_factor is None else self.ev_power_factor

    @property
    def regular_scale(self) -> float:
        """Factor that turns regular kW into kW at the charging power factor (the same apparent
        power): ``charging_power_factor / power_factor`` [-]."""
        return self.charging_power_factor / self.power_factor

    def judge(self) -> Transformer:
        """The same transformer judging loads at the charging power factor alone: a regular load
        multiplied by :attr:`regular_scale` plus the charging load, in its ``loading_pu``."""
        if self.ev_power_factor is None:
            return self
        from dataclasses import replace

        return replace(self, power_factor=self.ev_power_factor, ev_power_factor=None)

    def loading_parts_pu(self, base_kw: npt.ArrayLike, charging_kw: npt.ArrayLike) -> FloatArray:
        """Loading of a regular and a charging load at their own power factors [pu].

        ``(base_kw / power_factor + charging_kw / charging_power_factor) / rating_kva``: the sum
        of the two apparent powers, an upper bound of the vector sum that is exact when the two
        angles are equal and above it by at most ``1 / cos((phi_1 - phi_2) / 2) - 1`` (0.17 %
        for 0.95 and 0.98). It keeps the loading linear in both loads, so the closed-form
        minimum peak of coordinated charging still applies.

        Parameters
        ----------
        base_kw, charging_kw
            Regular and charging active power, broadcastable [kW].
        """
        base = np.asarray(base_kw, dtype=np.float64) / self.power_factor
        charging = np.asarray(charging_kw, dtype=np.float64) / self.charging_power_factor
        return np.asarray((base + charging) / self.rating_kva, dtype=np.float64)

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
        return thermal_response(self.loading_pu(total_kw), ambient, slot_min, self.params)

    def evaluate(
        self,
        total_kw: npt.ArrayLike,
        criterion: str = "loading",
        limit: float | None = None,
        *,
        slot_min: float | None = None,
        ambient_c: npt.ArrayLike | None = None,
    ) -> Evaluation:
        """Judge many total-load curves at once.

        Parameters
        ----------
        total_kw
            Total load (regular + charging), ``(n_slots,)`` or ``(n_cases, n_slots)`` [kW]; or a
            pandas Series (a DataFrame: one case a column) with a DatetimeIndex, whose spacing
            is the slot length (:func:`evgrid.io.series.load_series`: evenly spaced, refused
            otherwise).
        criterion
            ``"loading"``, ``"hotspot"`` or ``"ageing"``.
        limit
            Limit in the criterion's unit [pu, °C or days/day]; default
            :func:`default_limit`.
        slot_min
            Slot length [min] (thermal criteria only); default the index's spacing of a
            time-indexed series, else 15 min. A value that contradicts the index is refused.
        ambient_c
            Ambient temperature [°C], constant or per slot (thermal criteria only).

        Returns
        -------
        Evaluation
            ``metric`` and ``passed`` of shape ``total_kw.shape[:-1]``.
        """
        from evgrid.checks import floats
        from evgrid.io.series import load_series

        name = check_criterion(criterion)
        chosen = check_limit(name, limit, f"{name} limit")
        given = load_series(total_kw, "total_kw")
        if given.slot_min is not None:
            if slot_min is not None and slot_min != given.slot_min:
                raise bad_value(
                    "slot_min",
                    slot_min,
                    f"the spacing of total_kw's index, {given.slot_min:g} min (or leave it out)",
                )
            slot_min = given.slot_min
        slot_min = DEFAULT_SLOT_MIN if slot_min is None else slot_min
        total_kw = floats(given.values, "total_kw", "finite numbers [kW]", ndim=None)
        if total_kw.ndim not in (1, 2):
            raise bad_value("total_kw shape", total_kw.shape, "(n_slots,) or (n_cases, n_slots)")
        if ambient_c is not None:
            ambient_c = load_series(ambient_c, "ambient_c").values
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
