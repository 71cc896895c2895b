"""EV-growth scenarios: EV share, cars per space, pile ratio, load growth and participation by year.

A scenario turns a site's hosting question into a question of years: in year ``y`` a community
of type ``old``, ``sub-new`` or ``new`` (report section 3.1) or an office park has

* an **EV share** of its cars, given as points by year and interpolated between them (linear,
  or a step); before the first point a linear series continues the line through its first two
  points back (down to 0 at the least), and after the last point the last value is held;
* a **pile ratio** (share of parking spaces with a pile): EV share × cars per space, at most 1,
  and at least a policy floor (the report's office rule, section 4.2: at least 25 % of spaces
  by 2025, at least the EV share from 2030);
* a **regular load** that grows from the site's load in the scenario's base year: old and
  sub-new communities by a yearly rate up to the planning index (1.3 kW per household, their
  saturation load, report 3.1); a new community rises linearly to the planning index within a
  number of years (it is still filling up); office parks are taken at saturation already
  (report 4.2) and do not grow unless a rate is given;
* an **orderly participation**: the share of piles under orderly control, following the report's
  policy path (section 6: pilots 2023–2025, all residential piles orderly 2026–2030).

Scenarios are YAML files: bundled ones under ``evgrid/data/scenarios/`` (``evgrid scenarios``
lists them) or written by a user. Every value carries its source: either
``{parameter: NAME}`` (value, basis and source from the parameter table) or
``{value: X, source: "..."}`` (basis ``given``); a bare number is refused, and a key left out
takes its parameter-table default. See ``docs/city.md`` for the file format.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from evgrid.errors import InputError, bad_value, shown
from evgrid.io import document_from_bytes, read_document
from evgrid.params import Spec, parameter
from evgrid.timegrid import FloatArray

TYPES = ("old", "sub-new", "new", "office")
"""Site types a scenario distinguishes: the report's community types (section 3.1) and offices."""

INTERPOLATIONS = ("linear", "step")

_SHARE = Spec("share", "-", "[0, 1]")
_CARS = parameter("cars_per_space")
_YEAR = Spec("year", "year", "integer [1800, 2200]")
_KEYS = {
    "top": {"name", "description", "years", "base_year", "ev_share", "participation", "types"},
    "type": {
        "cars_per_space",
        "pile_floor",
        "follows_ev_share_from",
        "load_growth_per_year",
        "fill_years",
    },
    "series": {"interpolation", "points"},
}


@dataclass(frozen=True)
class Value:
    """A number with its basis and source.

    Parameters
    ----------
    value
        The number [unit of the field].
    basis
        ``published``, ``implied``, ``calibrated``, ``standard``, ``assumed`` (a parameter-table
        row) or ``given`` (written in the scenario file).
    source
        Report section, standard, publication, or what the file says.
    """

    value: float
    basis: str
    source: str


@dataclass(frozen=True)
class YearSeries:
    """Points by year and how to read between them.

    Parameters
    ----------
    points
        Year -> value, at least one point.
    interpolation
        ``"linear"``: linear between points; before the first point the line through the
        first two points continues back, down to 0 at the least (a share that grows is
        smaller before it was first counted; with one point, that point's value is held);
        after the last point the last value is held. ``"step"``: the value of the latest point
        at or before the year, 0 before the first.
    """

    points: Mapping[int, Value]
    interpolation: str = "linear"

    def at(self, years: npt.ArrayLike) -> FloatArray:
        """Values in ``years``, shape of ``years`` [unit of the series]."""
        y = np.asarray(years, dtype=np.float64)
        xs = np.array(sorted(self.points), dtype=np.float64)
        vs = np.array([self.points[int(k)].value for k in xs])
        if self.interpolation == "linear":
            inside = np.interp(y, xs, vs)
            if xs.size >= 2:
                slope = (vs[1] - vs[0]) / (xs[1] - xs[0])
                back = np.clip(vs[0] + slope * (y - xs[0]), 0.0, max(vs[0], 0.0))
                back = np.where(slope > 0, back, vs[0])  # a falling series is held before
                inside = np.where(y < xs[0], back, inside)
            return np.asarray(inside, dtype=np.float64)
        idx = np.searchsorted(xs, y, side="right") - 1
        return np.where(idx >= 0, vs[np.maximum(idx, 0)], 0.0)


@dataclass(frozen=True)
class TypeRule:
    """How sites of one type grow (see the module docstring).

    Parameters
    ----------
    cars_per_space
        Cars per parking space [-].
    pile_floor
        Least pile ratio from a year on (a step series), or None [-].
    follows_ev_share_from
        First year in which the pile ratio follows the EV share [year]; None: every year.
    load_growth_per_year
        Yearly growth of the regular load, capped at the planning index [1/year].
    fill_years
        If given, the regular load rises linearly to the planning index within this many years
        instead [year].
    """

    cars_per_space: Value
    pile_floor: YearSeries | None = None
    follows_ev_share_from: Value | None = None
    load_growth_per_year: Value | None = None
    fill_years: Value | None = None


@dataclass(frozen=True)
class Scenario:
    """An EV-growth scenario (see the module docstring).

    Parameters
    ----------
    name, description
        Name and one-line description.
    years
        Evaluated years, increasing [year].
    base_year
        Year of the sites' measured load and of present values [year].
    ev_share
        EV share of private cars by year [-].
    participation
        Share of piles under orderly control by year (the ``partial`` strategy) [-].
    types
        Rule of each site type (:data:`TYPES`).
    path
        The file it was read from.
    """

    name: str
    description: str
    years: tuple[int, ...]
    base_year: int
    ev_share: YearSeries
    participation: YearSeries
    types: Mapping[str, TypeRule]
    path: str = ""
    sources: tuple[tuple[str, Value], ...] = field(default=(), repr=False)

    def ev_share_at(self, years: npt.ArrayLike) -> FloatArray:
        """EV share in ``years`` [-]."""
        return self.ev_share.at(years)

    def participation_at(self, years: npt.ArrayLike) -> FloatArray:
        """Orderly participation in ``years`` [-]."""
        return self.participation.at(years)

    def pile_ratio(self, kind: str, years: npt.ArrayLike) -> FloatArray:
        """Pile ratio of a site type in ``years``: EV share × cars per space, floor, at most 1."""
        rule = self.types[kind]
        y = np.asarray(years, dtype=np.float64)
        follows = y >= (
            -np.inf if rule.follows_ev_share_from is None else rule.follows_ev_share_from.value
        )
        ratio = np.where(follows, self.ev_share_at(y) * rule.cars_per_space.value, 0.0)
        if rule.pile_floor is not None:
            ratio = np.maximum(ratio, rule.pile_floor.at(y))
        return np.asarray(np.clip(ratio, 0.0, 1.0), dtype=np.float64)


def regular_growth(
    base_kw: FloatArray,
    cap_kw: FloatArray,
    years: npt.ArrayLike,
    base_year: int,
    rate_per_year: FloatArray,
    fill_years: FloatArray,
) -> FloatArray:
    """Regular load in each year divided by the base-year load, vectorised over sites.

    Parameters
    ----------
    base_kw
        Regular load in the base year, ``(n_sites,)`` [kW].
    cap_kw
        The planning index (saturation) load, ``(n_sites,)`` [kW]; ``inf`` for no cap.
    years
        Years, ``(n_years,)`` [year].
    base_year
        The base year [year].
    rate_per_year
        Yearly growth, ``(n_sites,)`` [1/year]; used where ``fill_years`` is NaN.
    fill_years
        Years to rise linearly to the cap, ``(n_sites,)``, NaN where the rate applies [year].

    Returns
    -------
    numpy.ndarray
        ``(n_sites, n_years)`` factors [-]; 1 in the base year and before it, never above
        ``max(cap, base) / base``.
    """
    base = np.asarray(base_kw, dtype=np.float64)[:, None]
    top = np.maximum(np.asarray(cap_kw, dtype=np.float64)[:, None], base)
    age = np.maximum(np.asarray(years, dtype=np.float64)[None, :] - base_year, 0.0)
    fill = np.asarray(fill_years, dtype=np.float64)[:, None]
    rate = np.asarray(rate_per_year, dtype=np.float64)[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(fill > 0, np.clip(age / np.where(fill > 0, fill, 1.0), 0.0, 1.0), 1.0)
        filled = np.where(np.isfinite(top), base + (top - base) * share, base)
        grown = np.minimum(base * (1.0 + rate) ** age, top)
        load = np.where(np.isnan(fill), grown, filled)
        factor = np.where(base > 0, load / np.where(base > 0, base, 1.0), 1.0)
    return np.asarray(factor, dtype=np.float64)


# --- reading ----------------------------------------------------------------------------------
def _value(raw: Any, where: str, spec: Spec) -> Value:
    if isinstance(raw, Mapping) and set(raw) == {"parameter"}:
        p = parameter(str(raw["parameter"])) if str(raw["parameter"]) in _names() else None
        if p is None:
            raise bad_value(f"{where}: parameter", raw["parameter"], "a row of the parameter table")
        if isinstance(p.value, Mapping):
            raise bad_value(f"{where}: parameter", p.name, "a parameter with one value")
        return Value(float(spec.check(p.value, where)), p.basis, p.source)
    if isinstance(raw, Mapping) and set(raw) == {"value", "source"}:
        source = raw["source"]
        if not isinstance(source, str) or not source.strip():
            raise bad_value(f"{where}: source", source, "a text naming where the value comes from")
        return Value(float(spec.check(raw["value"], where)), "given", source.strip())
    raise bad_value(
        where, raw, '{value: NUMBER, source: "where it comes from"} or {parameter: NAME}'
    )


def _names() -> set[str]:
    from evgrid.params import PARAMETERS

    return set(PARAMETERS)


def _default(name: str, spec: Spec) -> Value:
    return _value({"parameter": name}, name, spec)


def _series(raw: Any, where: str, spec: Spec, interpolation: str = "linear") -> YearSeries:
    if isinstance(raw, Mapping) and set(raw) == {"parameter"}:
        if not isinstance(raw["parameter"], str) or raw["parameter"] not in _names():
            raise bad_value(f"{where}: parameter", raw["parameter"], "a row of the parameter table")
        p = parameter(raw["parameter"])
        if not isinstance(p.value, Mapping):
            raise bad_value(f"{where}: parameter", p.name, "a parameter with values by year")
        pts = {
            int(y): Value(float(spec.check(v, where)), p.basis, p.source)
            for y, v in p.value.items()
        }
        return YearSeries(pts, interpolation)
    if not isinstance(raw, Mapping):
        raise bad_value(where, raw, "a mapping with points (year: value) and interpolation")
    _known(raw, _KEYS["series"], where)
    kind = raw.get("interpolation", interpolation)
    if kind not in INTERPOLATIONS:
        raise bad_value(f"{where}: interpolation", kind, " or ".join(INTERPOLATIONS))
    points = raw.get("points")
    if isinstance(points, Mapping) and set(points) == {"parameter"}:
        return YearSeries(_series(points, f"{where}: points", spec).points, kind)
    if not isinstance(points, Mapping) or not points:
        raise bad_value(f"{where}: points", points, "at least one year: value point")
    out = {}
    for year, value in points.items():
        y = _YEAR.check(_year_key(year), f"{where}: points: {shown(year)}")
        out[int(y)] = _value(value, f"{where}: points: {y}", spec)
    return YearSeries(out, kind)


def _year_key(key: Any) -> Any:
    """A year written as a key: a whole number, or its digits as text (a JSON key, ``'2035'``)."""
    if isinstance(key, str) and key.isascii() and key.isdigit() and not key.startswith("0"):
        return int(key)
    return key


def _known(raw: Mapping[str, Any], allowed: set[str], where: str) -> None:
    for key in raw:
        if key not in allowed:
            raise InputError(
                f"{where}: unknown key {shown(key)}; allowed keys: {', '.join(sorted(allowed))}"
            )


def _type_rule(kind: str, raw: Any, where: str) -> TypeRule:
    raw = {} if raw is None else raw
    if not isinstance(raw, Mapping):
        raise bad_value(where, raw, "a mapping of the type's rules")
    _known(raw, _KEYS["type"], where)
    growth = parameter("load_growth_per_year")
    fill = parameter("new_fill_years")

    def get(key: str, spec: Spec, default: str | None) -> Value | None:
        if key in raw:
            return _value(raw[key], f"{where}: {key}", spec)
        return None if default is None else _default(default, spec)

    office = kind == "office"
    floor_raw = raw.get("pile_floor", {"parameter": "office_pile_share_floor"} if office else None)
    rate = get("load_growth_per_year", growth, None if office else "load_growth_per_year")
    new_default = kind == "new" and "load_growth_per_year" not in raw
    fill_value = get("fill_years", fill, "new_fill_years" if new_default else None)
    if office and rate is None:
        rate = Value(0.0, "published", "report 4.2 (office load taken at saturation every year)")
    return TypeRule(
        cars_per_space=get("cars_per_space", _CARS, "cars_per_space"),  # type: ignore[arg-type]
        pile_floor=None
        if floor_raw is None
        else _series(floor_raw, f"{where}: pile_floor", _SHARE, "step"),
        follows_ev_share_from=get(
            "follows_ev_share_from",
            _YEAR,
            "office_pile_follows_ev_share_from" if office else None,
        ),
        load_growth_per_year=rate,
        fill_years=fill_value,
    )


def parse_scenario(data: Any, where: str = "scenario", path: str = "") -> Scenario:
    """Validate a scenario document already read into Python objects.

    Raises
    ------
    InputError
        One line naming ``where``, the key, the value and what is allowed.
    """
    if not isinstance(data, Mapping):
        raise InputError(f"{where}: expected a mapping of keys (name, years, ev_share, ...)")
    _known(data, _KEYS["top"], where)
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise bad_value(f"{where}: name", name, "a text")
    years_raw = data.get("years")
    if not isinstance(years_raw, list) or not years_raw:
        raise bad_value(f"{where}: years", years_raw, "a list of years, e.g. [2025, 2030, 2035]")
    years = tuple(int(_YEAR.check(y, f"{where}: years")) for y in years_raw)
    if any(b <= a for a, b in itertools.pairwise(years)):
        raise bad_value(f"{where}: years", list(years), "increasing years")
    base_year = int(parameter("study_year").resolve(data.get("base_year"), f"{where}: base_year"))
    if base_year > years[0]:
        raise bad_value(f"{where}: base_year", base_year, f"a year at or before {years[0]}")
    if "ev_share" not in data:
        raise InputError(f"{where}: ev_share: missing; required: points by year")
    ev = _series(data["ev_share"], f"{where}: ev_share", _SHARE)
    part = _series(
        data.get("participation", {"parameter": "orderly_participation"}),
        f"{where}: participation",
        _SHARE,
    )
    types_raw = data.get("types") or {}
    if not isinstance(types_raw, Mapping):
        raise bad_value(f"{where}: types", types_raw, "a mapping of " + ", ".join(TYPES))
    _known(types_raw, set(TYPES), f"{where}: types")
    types = {k: _type_rule(k, types_raw.get(k), f"{where}: types: {k}") for k in TYPES}
    sources: list[tuple[str, Value]] = [
        *((f"ev_share {y}", v) for y, v in sorted(ev.points.items())),
        *((f"participation {y}", v) for y, v in sorted(part.points.items())),
    ]
    for kind, rule in types.items():
        for key in (
            "cars_per_space",
            "follows_ev_share_from",
            "load_growth_per_year",
            "fill_years",
        ):
            v = getattr(rule, key)
            if v is not None:
                sources.append((f"{kind}: {key}", v))
        if rule.pile_floor is not None:
            sources += [(f"{kind}: pile_floor {y}", v) for y, v in rule.pile_floor.points.items()]
    description = data.get("description", "")
    if not isinstance(description, str):
        raise bad_value(f"{where}: description", description, "a text")
    return Scenario(
        name=name.strip(),
        description=description.strip(),
        years=years,
        base_year=base_year,
        ev_share=ev,
        participation=part,
        types=types,
        path=path,
        sources=tuple(sources),
    )


def _bundled_dir() -> Any:
    return resources.files("evgrid") / "data" / "scenarios"


def scenario_names() -> list[str]:
    """Names of the bundled scenarios (``evgrid/data/scenarios/*.yaml``), sorted."""
    return sorted(p.name[:-5] for p in _bundled_dir().iterdir() if p.name.endswith(".yaml"))


SCENARIO_SUFFIXES = (".yaml", ".yml", ".json")
"""Extensions of a scenario file (YAML, or JSON for ``.json``)."""


def load_scenario(name_or_path: str | Path) -> Scenario:
    """A bundled scenario by name, or a scenario file (YAML, or JSON for ``.json``).

    The file is read by :func:`evgrid.io.read_document`, under the rules of every evgrid
    document (YAML 1.2 numbers: ``2e-2`` is a number, ``010`` and ``02023`` are refused, ``1:30``
    is text; each key once, so a repeated year is refused; aliases bounded), with whole-number
    keys allowed for the points by year.

    Raises
    ------
    InputError
        An unknown name, an unreadable file or an invalid value (one line, naming
        ``scenario`` for the name).
    """
    text_name = str(name_or_path)
    names = scenario_names()
    if text_name in names:
        entry = _bundled_dir() / f"{text_name}.yaml"
        data = document_from_bytes(
            entry.read_bytes(), f"{text_name}.yaml", "scenario", year_keys=True
        )
        return parse_scenario(data, text_name, text_name)
    file = Path(name_or_path)
    looks_like_a_file = file.suffix.lower() in SCENARIO_SUFFIXES or len(file.parts) > 1
    if not text_name.strip() or not (looks_like_a_file or file.exists()):
        raise bad_value(
            "scenario",
            text_name,
            "a bundled scenario (" + ", ".join(names) + ") or a scenario file (.yaml or .json)",
        )
    data = read_document(file, "scenario file (YAML or JSON)", year_keys=True)
    return parse_scenario(data, str(file), str(file))


def bundled_scenario(name: str | None = None, where: str = "scenario") -> Scenario:
    """A bundled scenario by name only (never a file): for callers that must open no path
    they are given, such as the web app.

    Parameters
    ----------
    name
        One of :func:`scenario_names`; None for the parameter ``scenario`` (``medium``).
    where
        The value's name in messages.

    Raises
    ------
    InputError
        Not a bundled scenario's name.
    """
    chosen = parameter("scenario").value if name is None else name
    if chosen not in scenario_names():
        raise bad_value(where, chosen, "one of " + ", ".join(scenario_names()))
    return load_scenario(chosen)


def bundled_scenarios() -> list[Scenario]:
    """Every bundled scenario."""
    return [load_scenario(n) for n in scenario_names()]
