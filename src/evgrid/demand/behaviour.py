"""`Behaviour`: the statistics of private EV charging that drive the Monte Carlo demand.

Defaults come from section 2 of the report through the CSV files in ``evgrid/data/behaviour``
(each number with its source in ``SOURCES.md`` there). Presets (:meth:`Behaviour.presets`,
defined in :mod:`evgrid.demand.presets`):

* ``home`` -- evening arrival (report: arrivals mainly 16:00-20:00), next-morning departure
  (trip departures peak 07:00-09:00);
* ``office`` -- morning arrival (07:00-11:00), evening departure (17:00-19:00);
* ``report`` -- ``home`` with the charging frequency fitted to all of report section 2;
* ``elaadnl``, ``electric-nation`` -- measured home charging (the Netherlands, the UK).

Any distribution can be replaced by an empirical one (a CSV of bin edges and weights, see
:mod:`evgrid.demand.distributions`), in Python with :func:`dataclasses.replace` or in a behaviour
file read by :meth:`Behaviour.from_file`.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, fields, replace
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from evgrid.demand.distributions import Binned, Discrete, Distribution, read_distribution
from evgrid.demand.presets import PRESETS
from evgrid.errors import InputError, bad_value
from evgrid.io import finite_number, finite_numbers, read_document
from evgrid.params import param_field
from evgrid.timegrid import HOURS_PER_DAY

MAX_STAY_GAP_H = 12.0
"""Largest ``min_dwell_h + min_away_h`` [h]: up to half a day, one vectorised pass separates the
stays of a car sampled on different days (see :mod:`evgrid.demand.sampling`)."""

DC_PILES_KW = np.array([30.0, 45.0])
"""DC pile powers of a site with DC piles: the ends of the report's "DC 30-45 kW occasionally"
(report section 2) [kW]."""

DC_MIN_KW = 30.0
"""Powers from this up count as DC piles: the lower end of the report's DC range (report section
2, "DC 30-45 kW") [kW]."""

_DATA = ("data", "behaviour")
_DISTRIBUTIONS = (
    "arrival_hour",
    "departure_hour",
    "distance_km",
    "consumption_kwh_per_100km",
    "battery_kwh",
    "end_soc",
    "charger_power_kw",
    "charge_interval_days",
)
_SCALARS = ("charger_efficiency", "min_start_soc", "min_dwell_h", "min_away_h")


def _bundled(name: str) -> Distribution:
    with resources.as_file(resources.files("evgrid").joinpath(*_DATA, name)) as path:
        return read_distribution(path)


@dataclass(frozen=True, eq=False)
class Behaviour:
    """Charging behaviour of a population of private EVs.

    Parameters
    ----------
    arrival_hour
        Plug-in time as hour of day, within [0, 24] [h].
    departure_hour
        Plug-out time as hour of day, within [0, 24] [h]; the departure is the first such time at
        least ``min_dwell_h`` after the arrival (the next morning for a home evening arrival).
    distance_km
        Distance driven per day [km].
    consumption_kwh_per_100km
        Energy use of the car, battery side [kWh/100 km].
    battery_kwh
        Usable battery capacity [kWh].
    end_soc
        State of charge at the end of a session, in (0, 1] [-].
    charger_power_kw
        Maximum charging power of a car's charger (pile) [kW].
    charge_interval_days
        Days between two charges of a car, whole numbers >= 1 [days]; the energy of a session is
        the energy driven since the last charge.
    session_energy_kwh
        Measured energy per session, grid side [kWh], or ``None``. When given, a session's
        energy is drawn from it (still capped by what the battery can take) instead of the
        distance driven since the last charge; distance and consumption then only report the
        distance the energy implies.
    charger_efficiency
        Grid-to-battery efficiency [-]; session energies are grid side: battery energy ÷ this.
    min_start_soc
        Lowest arrival SOC [-]; caps a session's energy at what the battery can take.
    min_dwell_h
        Shortest stay [h].
    min_away_h
        Shortest time away between two stays of a car [h]; ``min_dwell_h + min_away_h`` is at
        most 12 h.
    """

    arrival_hour: Distribution
    departure_hour: Distribution
    distance_km: Distribution
    consumption_kwh_per_100km: Distribution
    battery_kwh: Distribution
    end_soc: Distribution
    charger_power_kw: Distribution
    charge_interval_days: Discrete
    session_energy_kwh: Distribution | None = None
    charger_efficiency: float = param_field("charger_efficiency")
    min_start_soc: float = param_field("min_start_soc")
    min_dwell_h: float = param_field("min_dwell_h")
    min_away_h: float = param_field("min_away_h")

    def __post_init__(self) -> None:
        for name in _DISTRIBUTIONS:
            if not isinstance(getattr(self, name), Binned | Discrete):
                raise bad_value(f"behaviour: {name}", getattr(self, name), "a distribution")
        self._check_range("arrival_hour", 0.0, HOURS_PER_DAY, "hours of day in [0, 24] [h]")
        self._check_range("departure_hour", 0.0, HOURS_PER_DAY, "hours of day in [0, 24] [h]")
        self._check_range("distance_km", 0.0, np.inf, "distances >= 0 [km]")
        self._check_range("consumption_kwh_per_100km", 0.0, np.inf, "values >= 0 [kWh/100 km]")
        self._check_range("battery_kwh", 1e-9, np.inf, "capacities > 0 [kWh]")
        self._check_range("end_soc", 1e-9, 1.0, "states of charge in (0, 1] [-]")
        self._check_range("charger_power_kw", 1e-9, np.inf, "powers > 0 [kW]")
        if self.session_energy_kwh is not None:
            if not isinstance(self.session_energy_kwh, Binned | Discrete):
                raise bad_value(
                    "behaviour: session_energy_kwh", self.session_energy_kwh, "a distribution"
                )
            self._check_range("session_energy_kwh", 0.0, np.inf, "energies >= 0 [kWh]")
        interval = self.charge_interval_days
        if not isinstance(interval, Discrete) or np.any(
            (interval.values < 1) | (interval.values != np.round(interval.values))
        ):
            raise bad_value(
                "behaviour: charge_interval_days",
                interval,
                "a discrete distribution of whole days >= 1",
            )
        if not 0.0 < self.charger_efficiency <= 1.0:
            raise bad_value(
                "behaviour: charger_efficiency", self.charger_efficiency, "a number in (0, 1] [-]"
            )
        if not 0.0 <= self.min_start_soc < self.end_soc.low:
            raise bad_value(
                "behaviour: min_start_soc",
                self.min_start_soc,
                f"a number in [0, {self.end_soc.low:g}) [-]",
            )
        if not 0.0 <= self.min_dwell_h <= MAX_STAY_GAP_H:
            raise bad_value("behaviour: min_dwell_h", self.min_dwell_h, "a number in [0, 12] [h]")
        if not 0.0 <= self.min_away_h <= MAX_STAY_GAP_H - self.min_dwell_h:
            raise bad_value(
                "behaviour: min_away_h",
                self.min_away_h,
                f"a number in [0, {MAX_STAY_GAP_H - self.min_dwell_h:g}] [h] (12 h - min_dwell_h)",
            )

    def _check_range(self, name: str, low: float, high: float, allowed: str) -> None:
        dist: Distribution = getattr(self, name)
        if dist.low < low or dist.high > high:
            raise bad_value(f"behaviour: {name}", [dist.low, dist.high], allowed)

    def with_dc_piles(self, share: float) -> Behaviour:
        """This behaviour with a share of its cars on DC piles (30 and 45 kW, equally).

        The DC powers are the ends of the report's "DC 30-45 kW occasionally" (report section
        2); the other cars keep this behaviour's AC piles in their proportions. A site says
        how many of its piles are DC (site field ``dc_pile_share``); home presets have none.

        Parameters
        ----------
        share
            Share of cars on a DC pile, in [0, 1] [-].

        Raises
        ------
        InputError
            A share outside [0, 1], or a binned (not discrete) charger-power distribution.
        """
        if not isinstance(share, int | float) or not 0.0 <= float(share) <= 1.0:
            raise bad_value("dc_pile_share", share, "a number in [0, 1] [-]")
        power = self.charger_power_kw
        if not isinstance(power, Discrete):
            raise bad_value(
                "dc_pile_share", share, "a behaviour whose charger_power_kw is discrete"
            )
        ac = power.values < DC_MIN_KW
        if not ac.any():
            raise bad_value("dc_pile_share", share, "a behaviour with AC piles (below 30 kW)")
        ac_weights = power.weights * ac / power.weights[ac].sum()
        values = np.concatenate([power.values, DC_PILES_KW])
        weights = np.concatenate(
            [(1.0 - float(share)) * ac_weights, np.full(DC_PILES_KW.size, float(share) / 2)]
        )
        keep = weights > 0
        return replace(self, charger_power_kw=Discrete(values[keep], weights[keep]))

    @classmethod
    def presets(cls, kind: str | None = None) -> tuple[str, ...]:
        """Names of the bundled presets (:mod:`evgrid.demand.presets`), of one ``kind`` of site
        (``"residential"`` or ``"office"``) or all."""
        return tuple(name for name, spec in PRESETS.items() if kind in (None, spec.kind))

    @classmethod
    def preset(cls, name: str) -> Behaviour:
        """The bundled behaviour ``name``, one of :meth:`presets`."""
        if name not in PRESETS:
            raise bad_value("preset", name, "one of " + ", ".join(PRESETS))
        return _preset(name)

    @classmethod
    def load(cls, spec: str | Path | Behaviour) -> Behaviour:
        """A preset by name, or else a behaviour file (YAML or JSON, see :meth:`from_file`); a
        :class:`Behaviour` is returned as it is."""
        if isinstance(spec, Behaviour):
            return spec
        if isinstance(spec, str) and spec in PRESETS:
            return cls.preset(spec)
        if not isinstance(spec, str | os.PathLike):
            raise bad_value(
                "behaviour", spec, "a Behaviour, a preset (" + ", ".join(PRESETS) + ") or a file"
            )
        return cls.from_file(spec)

    @classmethod
    def _from_bundle(cls, name: str) -> Behaviour:
        dists: dict[str, Any] = {f: _bundled(csv) for f, csv in PRESETS[name].all_files().items()}
        dists["charge_interval_days"] = _as_discrete(
            dists["charge_interval_days"], "charge_interval_days"
        )
        return cls(**dists)

    @classmethod
    def home(cls) -> Behaviour:
        """Residential charging: evening arrival, next-morning departure."""
        return cls.preset("home")

    @classmethod
    def office(cls) -> Behaviour:
        """Workplace charging: morning arrival, evening departure."""
        return cls.preset("office")

    @classmethod
    def from_file(cls, path: str | Path) -> Behaviour:
        """Read a behaviour from a YAML or JSON mapping.

        The mapping may name a base ``preset`` (one of :meth:`presets`, default ``home``) and
        override any field: a distribution as a CSV path (relative to the file), a number (a
        constant), ``{edges: [...], weights: [...]}`` or ``{values: [...], weights: [...]}``
        (``session_energy_kwh`` also ``null``: energy from the distance driven); the scalars
        ``charger_efficiency``, ``min_start_soc``, ``min_dwell_h``, ``min_away_h`` as numbers.
        The file is read by :func:`evgrid.io.read_document` (YAML 1.2 numbers, each key once);
        every number must be finite.

        Raises
        ------
        InputError
            One line naming the file and the field.
        """
        p = Path(path)
        raw = _read_mapping(p)
        try:
            base = cls.preset(raw.pop("preset", "home"))
        except InputError as exc:
            raise InputError(f"{p}: {exc}") from None
        known = {f.name for f in fields(cls)}
        changes: dict[str, Any] = {}
        for key, value in raw.items():
            if key not in known:
                raise bad_value(f"{p}: {key}", value, f"one of preset, {', '.join(sorted(known))}")
            if key == "session_energy_kwh" and value is None:
                changes[key] = None
            elif key in _SCALARS:
                changes[key] = finite_number(value, f"{p}: {key}", "a number (not .inf or .nan)")
            else:
                dist = _parse_distribution(p, key, value)
                changes[key] = (
                    _as_discrete(dist, f"{p}: {key}") if key == "charge_interval_days" else dist
                )
        try:
            return replace(base, **changes)
        except InputError as exc:
            raise InputError(f"{p}: {exc}") from None


@functools.lru_cache(maxsize=8)
def _preset(name: str) -> Behaviour:
    return Behaviour._from_bundle(name)


def _as_discrete(dist: Distribution, where: str) -> Discrete:
    if not isinstance(dist, Discrete):
        raise bad_value(where, "binned distribution", "a discrete distribution (value, weight)")
    return dist


def _read_mapping(path: Path) -> dict[str, Any]:
    data = read_document(path, "behaviour file (YAML or JSON)")
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise bad_value(f"{path}", type(data).__name__, "a mapping of behaviour fields")
    return dict(data)


_DISTRIBUTION_ALLOWED = "a finite number, a CSV path, {edges, weights} or {values, weights}"


def _parse_distribution(path: Path, key: str, value: object) -> Distribution:
    where = f"{path}: {key}"
    if isinstance(value, str):
        return read_distribution(path.parent / value)
    if not isinstance(value, dict):
        return Discrete.constant(finite_number(value, where, _DISTRIBUTION_ALLOWED))
    keys = set(value)
    points = keys & {"edges", "values"}
    if "weights" not in keys or len(points) != 1 or keys - {"edges", "values", "weights"}:
        raise bad_value(where, sorted(keys), _DISTRIBUTION_ALLOWED + " (these keys only)")
    (kind,) = points
    numbers = finite_numbers(value[kind], f"{where}: {kind}", "finite numbers")
    weights = finite_numbers(value["weights"], f"{where}: weights", "finite numbers >= 0")
    try:
        if kind == "edges":
            return Binned(numbers, weights)
        return Discrete(numbers, weights)
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None
