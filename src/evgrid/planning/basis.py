"""The design basis: the named set of assumptions every answer is given on.

A planner acts on one answer, so every answer says on which demand and physics it stands. A
:class:`Basis` names them:

* the **behaviour** of the cars (a preset or a behaviour file, per kind of site);
* the **band**: the percentile day the recommended answer is read on (``p95``: the 95th-
  percentile day);
* the **power factors** of the regular load and of the piles (or the site's ``power_factor``);
* the **base load**: ``seasonal`` (summer and winter, weekday and weekend typical days over the
  year, :mod:`evgrid.load.seasons`) or ``typical-day`` (one day all year); a measured curve
  always takes precedence;
* the **climate** of the thermal criteria: a bundled climate normal (``chengdu``) or ``site``
  (the site's ``ambient_c``);
* the **index** tier's per-pile demand: ``curve`` (the coincidence curve derived from the time-
  series tier for this basis, ``data/coincidence/<name>.csv``), ``report`` (the report's flat
  7 kW × 0.55 at the evening peak and 2.0 kW in the valley) or a design-coefficient table (a CSV
  of ``n_piles, coefficient``).

Bundled bases (``data/bases/*.yaml``): ``design`` (the default, parameter ``basis``: measured home
charging at a planning margin, docs/decision.md), ``report`` (the report's calibrated
assumptions, which ``evgrid reproduce`` uses and with which the report's numbers come out exactly)
and ``design-report-energy`` (the design basis with the report's daily energy). A basis file
(YAML) names a ``base`` basis and overrides any key; a path in it is relative to the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from evgrid.errors import InputError, bad_value
from evgrid.params import default, parameter

BASE_LOADS = ("seasonal", "typical-day")
"""How a basis builds the regular load over the year when no measured curve is given."""

INDEX_MODELS = ("curve", "report")
"""The index tier's per-pile demand; any other value names a coefficient table file."""

BANDS = ("p50", "p95")
"""The percentile day a recommendation is read on."""

SITE = "site"
"""The value that leaves a power factor or the climate to the site document."""

_KEYS = {
    "base",
    "name",
    "description",
    "behaviour",
    "band",
    "power_factor",
    "base_load",
    "climate",
    "index",
}


@dataclass(frozen=True)
class Basis:
    """A named design basis (see the module docstring).

    Parameters
    ----------
    name, description
        Name and one line.
    behaviour_residential, behaviour_office
        Behaviour preset name or behaviour file of each kind of site.
    band
        ``"p95"`` or ``"p50"``: the percentile day the recommended answer is read on.
    household_power_factor, ev_power_factor
        Power factor of the regular load and of the piles [-]; None: the site's
        ``power_factor``.
    base_load
        ``"seasonal"`` or ``"typical-day"``.
    climate
        A bundled climate name or a climate CSV; None: the site's ``ambient_c``.
    index
        ``"curve"``, ``"report"`` or a design-coefficient table file.
    path
        The file it was read from.
    """

    name: str
    description: str
    behaviour_residential: str
    behaviour_office: str
    band: str
    household_power_factor: float | None
    ev_power_factor: float | None
    base_load: str
    climate: str | None
    index: str
    path: str = ""

    def behaviour(self, kind: str) -> str:
        """The behaviour of a kind of site (``"residential"`` or ``"office"``)."""
        return self.behaviour_office if kind == "office" else self.behaviour_residential

    def to_dict(self) -> dict[str, Any]:
        """The basis as JSON (what every answer carries under ``basis``)."""
        return {
            "name": self.name,
            "description": self.description,
            "behaviour": {
                "residential": self.behaviour_residential,
                "office": self.behaviour_office,
            },
            "band": self.band,
            "power_factor": {
                "household": self.household_power_factor,
                "ev": self.ev_power_factor,
            },
            "base_load": self.base_load,
            "climate": self.climate,
            "index": self.index,
        }


def _bundled_dir() -> Any:
    return resources.files("evgrid") / "data" / "bases"


def basis_names() -> list[str]:
    """Names of the bundled bases (``evgrid/data/bases/*.yaml``), sorted."""
    return sorted(p.name[:-5] for p in _bundled_dir().iterdir() if p.name.endswith(".yaml"))


def _number(raw: Any, where: str, name: str) -> float | None:
    if raw == SITE:
        return None
    if isinstance(raw, Mapping) and set(raw) == {"parameter"}:
        raw = default(str(raw["parameter"]))
    return float(parameter(name).check(raw, where))


def _choice(raw: Any, where: str, allowed: tuple[str, ...]) -> str:
    if not isinstance(raw, str) or raw not in allowed:
        raise bad_value(where, raw, "one of " + ", ".join(allowed))
    return raw


def _relative(value: str, folder: Path | None) -> str:
    """A path written in a basis file, relative to the file; a bundled name as it is."""
    if folder is None or value in INDEX_MODELS or value == SITE:
        return value
    candidate = folder / value
    return str(candidate) if candidate.suffix else value


def parse_basis(
    data: Any, where: str = "basis", path: str = "", folder: Path | None = None
) -> Basis:
    """Validate a basis document already read into Python objects.

    Parameters
    ----------
    data
        The mapping (see the module docstring).
    where
        Its name in messages.
    path
        The file it came from.
    folder
        The folder relative paths in it are read from (None for a bundled basis).

    Raises
    ------
    InputError
        One line naming the key, the value and what is allowed.
    """
    if not isinstance(data, Mapping):
        raise InputError(f"{where}: expected a mapping of keys (name, behaviour, band, ...)")
    for key in data:
        if key not in _KEYS:
            raise InputError(
                f"{where}: unknown key {key!r}; allowed keys: {', '.join(sorted(_KEYS))}"
            )
    base: dict[str, Any] = {}
    if "base" in data:
        parent = data["base"]
        if not isinstance(parent, str) or parent not in basis_names():
            raise bad_value(f"{where}: base", parent, "one of " + ", ".join(basis_names()))
        base = dict(_bundled_document(parent))
    doc = {**base, **{k: v for k, v in data.items() if k != "base"}}
    for key in ("behaviour", "power_factor"):  # nested keys merge with the base's
        if isinstance(base.get(key), Mapping) and isinstance(data.get(key), Mapping):
            doc[key] = {**base[key], **data[key]}
    name = doc.get("name")
    if not isinstance(name, str) or not name.strip():
        raise bad_value(f"{where}: name", name, "a text")
    behaviour = doc.get("behaviour") or {}
    if not isinstance(behaviour, Mapping) or set(behaviour) - {"residential", "office"}:
        raise bad_value(f"{where}: behaviour", behaviour, "a mapping of residential and office")
    pf = doc.get("power_factor") or {}
    if not isinstance(pf, Mapping) or set(pf) - {"household", "ev"}:
        raise bad_value(f"{where}: power_factor", pf, "a mapping of household and ev")
    climate = doc.get("climate", SITE)
    if not isinstance(climate, str) or not climate.strip():
        raise bad_value(f"{where}: climate", climate, "a bundled climate, a climate file or site")
    index = doc.get("index", "curve")
    if not isinstance(index, str) or not index.strip():
        raise bad_value(f"{where}: index", index, "curve, report or a coefficient table file")
    return Basis(
        name=name.strip(),
        description=str(doc.get("description", "")).strip(),
        behaviour_residential=_relative(
            str(behaviour.get("residential", default("behaviour_residential"))), folder
        ),
        behaviour_office=_relative(
            str(behaviour.get("office", default("behaviour_office"))), folder
        ),
        band=_choice(doc.get("band", "p95"), f"{where}: band", BANDS),
        household_power_factor=_number(
            pf.get("household", SITE), f"{where}: power_factor: household", "household_power_factor"
        ),
        ev_power_factor=_number(
            pf.get("ev", SITE), f"{where}: power_factor: ev", "ev_power_factor"
        ),
        base_load=_choice(doc.get("base_load", "typical-day"), f"{where}: base_load", BASE_LOADS),
        climate=None if climate == SITE else _relative(climate, folder),
        index=_relative(index, folder),
        path=path,
    )


def _bundled_document(name: str) -> Mapping[str, Any]:
    from evgrid.io import parse_document

    text = (_bundled_dir() / f"{name}.yaml").read_text("utf-8")
    data = parse_document(text, where=name)
    if not isinstance(data, Mapping):
        raise ValueError(f"bundled basis {name} is not a mapping")
    if "base" in data:
        parent = dict(_bundled_document(str(data["base"])))
        merged = {**parent, **{k: v for k, v in data.items() if k != "base"}}
        for key in ("behaviour", "power_factor"):
            if isinstance(parent.get(key), Mapping) and isinstance(data.get(key), Mapping):
                merged[key] = {**parent[key], **data[key]}
        return merged
    return data


def load_basis(spec: str | Path | Basis | None = None, where: str = "basis") -> Basis:
    """A basis: a :class:`Basis` as it is, a bundled basis by name, or a basis file (YAML).

    Parameters
    ----------
    spec
        None for the parameter ``basis`` (``design``).
    where
        The option's name in messages.

    Raises
    ------
    InputError
        Unknown name, unreadable file or an invalid value (one line).
    """
    if isinstance(spec, Basis):
        return spec
    chosen = str(default("basis") if spec is None else spec)
    if chosen in basis_names():
        return parse_basis(_bundled_document(chosen), chosen, chosen)
    file = Path(chosen)
    if not file.is_file():
        raise bad_value(
            where, chosen, "a bundled basis (" + ", ".join(basis_names()) + ") or a basis file"
        )
    from evgrid.io import read_document

    data = read_document(file, "basis file (YAML or JSON)")
    return parse_basis(data, str(file), str(file), folder=file.parent)


def power_factors(site: Any, basis: Basis) -> tuple[float, float]:
    """Power factors of a site's regular load and of its piles under a basis [-].

    A site's own ``household_power_factor`` and ``ev_power_factor`` come first; then a
    ``power_factor`` other than the report's 1 (the site says so) for both; then the basis's;
    a basis that leaves them to the site takes the site's ``power_factor``.
    """
    site_pf = float(getattr(site, "power_factor", default("power_factor")))
    given = site_pf != float(default("power_factor"))
    out = []
    for field, basis_value in (
        ("household_power_factor", basis.household_power_factor),
        ("ev_power_factor", basis.ev_power_factor),
    ):
        own = getattr(site, field, None)
        if own is not None:
            out.append(float(own))
        elif given or basis_value is None:
            out.append(site_pf)
        else:
            out.append(float(basis_value))
    return out[0], out[1]


def site_transformer(site: Any, basis: Basis, **options: Any) -> Any:
    """The transformer of a site under a basis: its rating, cooling and paper, the basis's power
    factors (:func:`power_factors`) unless given in ``options``."""
    from evgrid.grid.transformer import Transformer

    household, ev = power_factors(site, basis)
    fields: dict[str, Any] = {"power_factor": household, "ev_power_factor": ev}
    fields.update(options)
    return Transformer.from_site(site, **fields)
