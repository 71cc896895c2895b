"""Site documents: a residential community or an office park, validated on load.

A site document is a small YAML or JSON file written by hand::

    kind: residential        # or: office
    name: Community A
    built: 1985              # or type: old | sub-new | new
    households: 810
    parking_spaces: 324
    transformer_kva: 1250      # or the parallel units: [630, 630]
    regular_peak_kw: 880
    regular_valley_kw: 352   # optional; or load_curve: FILE (a measured curve)
    network: cn-residential-old   # optional: its low-voltage network, bundled or a file

Every field is described in ``evgrid/data/site_fields.csv`` (unit, allowed values, meaning) and
checked by the same mechanism as the parameter table (:mod:`evgrid.params`); a bad document
raises one :class:`~evgrid.errors.InputError` line naming the file, the field, the value and what
is allowed. The file is read by :func:`evgrid.io.read_document` (YAML 1.2 numbers, each key
once, bounded aliases); numbers must be finite. Fields that contradict each other are refused,
naming both: a residential site gives a ``load_curve`` or ``regular_peak_kw``/
``regular_valley_kw``, not both; an office site that gives both ``regular_peak_kw`` and a
``load_curve`` must give the curve's peak, within the parameter ``curve_peak_rtol``. The report's
own cases (section 3.2 and 4.2) ship as ``evgrid/data/cases/*.yaml`` and load with
:func:`report_cases`.

Loading convention: ``loading_pu = total_kw / (power_factor * transformer_kva)``; the report takes
power factor 1 (its loadings equal peak kW / kVA, e.g. 880 / 1250 = 70.4 %).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np

from evgrid.errors import InputError, bad_value, shown
from evgrid.io import check_file, parse_document, read_document, read_table
from evgrid.io.files import as_path
from evgrid.params import default, parameter, site_fields

CommunityType = Literal["old", "sub-new", "new"]
Kind = Literal["residential", "office"]


def field_help(name: str) -> str:
    """What a site field allows, in words with its unit (from ``data/site_fields.csv``)."""
    return site_fields()[name].describe()


def _check(site: Any, where: str) -> None:
    """Validate every field of a site against ``data/site_fields.csv`` and the cross-field rules.

    Raises
    ------
    InputError
        ``WHERE: FIELD: got VALUE; allowed: ...``, one line.
    """
    specs = site_fields()
    for f in dataclasses.fields(site):
        value = getattr(site, f.name)
        if value is None or f.name == "transformer_units":
            continue
        if isinstance(value, Path):
            value = str(value)
        checked = specs[f.name].check(value, f"{where}: {f.name}")
        if not isinstance(getattr(site, f.name), Path):
            object.__setattr__(site, f.name, checked)
    peak, valley = site.regular_peak_kw, getattr(site, "regular_valley_kw", None)
    _check_curve_or_numbers(site, where, peak, valley)
    if valley is not None:
        if peak is None:
            raise InputError(
                f"{where}: regular_peak_kw: missing; it is required when regular_valley_kw is given"
            )
        if valley > peak:
            raise InputError(
                f"{where}: regular_valley_kw: got {valley!r}, above regular_peak_kw {peak!r}; "
                f"allowed: {field_help('regular_valley_kw')}, at most regular_peak_kw"
            )


def _units(site: Any) -> None:
    """Parallel units: ``transformer_kva`` given as a list becomes the units and their sum.

    Raises
    ------
    InputError
        An empty list or a rating that is not a number > 0 [kVA].
    """
    where = site.name if isinstance(site.name, str) else "site"
    given = site.transformer_kva
    if isinstance(given, list | tuple):
        if not given:
            raise bad_value(f"{where}: transformer_kva", [], "a number > 0 [kVA] or a list of them")
        spec = site_fields()["transformer_kva"]
        units = tuple(float(spec.check(v, f"{where}: transformer_kva")) for v in given)
        object.__setattr__(site, "transformer_units", units)
        object.__setattr__(site, "transformer_kva", float(sum(units)))
    elif site.transformer_units is not None:
        units = tuple(float(u) for u in site.transformer_units)
        if not units or abs(sum(units) - float(given)) > 1e-9 * max(1.0, float(given)):
            raise bad_value(
                f"{where}: transformer_units",
                list(units),
                f"ratings that add up to transformer_kva, {given!r} kVA",
            )
        object.__setattr__(site, "transformer_units", units)


def _check_curve_or_numbers(site: Any, where: str, peak: Any, valley: Any) -> None:
    """A residential site gives a measured curve or peak/valley numbers, not both."""
    if (
        site.kind == "residential"
        and site.load_curve is not None
        and (peak is not None or valley is not None)
    ):
        given = "regular_peak_kw" if peak is not None else "regular_valley_kw"
        raise InputError(
            f"{where}: load_curve and {given}: got both; allowed: either a measured load_curve or "
            "regular_peak_kw/regular_valley_kw, not both"
        )


@dataclass(frozen=True, kw_only=True)
class ResidentialSite:
    """A residential community and its distribution transformer (report section 3).

    Every field is checked against ``evgrid/data/site_fields.csv`` on construction.

    Parameters
    ----------
    name
        Label used in tables and reports.
    households
        Number of households [-].
    parking_spaces
        Number of parking spaces that could carry a charging pile [-].
    transformer_kva
        Transformer rating [kVA].
    built
        Year the community was built [year]; decides its type when ``type`` is not given.
    type
        ``"old"`` (built before 2000), ``"sub-new"`` or ``"new"`` (built within 5 years),
        report section 3.1.
    regular_peak_kw, regular_valley_kw
        Regular (non-charging) load at the evening peak and in the night valley [kW]. Without
        them (and without ``load_curve``) the planning index is used.
    load_curve
        A measured load curve (CSV or Excel), instead of the peak and valley numbers.
    floor_area_m2
        Optional total floor area [m²].
    power_factor
        Power factor of the total load [-]; 1.0 as in the report.
    cooling, paper, ambient_c
        The transformer's IEC 60076-7 Table 5 cooling column, insulation paper and ambient
        temperature [°C], for the thermal criteria.
    province
        Province in Chinese or pinyin; chooses the grid emission factor of carbon credits.
    transformer_units
        Ratings of parallel units when the document gives ``transformer_kva`` as a list
        [kVA]; ``transformer_kva`` is then their sum.
    bus
        ``"single"`` or ``"sectionalised"`` low-voltage bus of parallel units.
    dc_pile_share
        Share of DC piles (30 and 45 kW) [-]; home presets have none unless given.
    household_power_factor, ev_power_factor
        Power factors of the regular load and of the piles [-]; default the basis's
        (:mod:`evgrid.planning.basis`).
    climate
        A bundled climate normal (``chengdu``) or a climate CSV: monthly ambient temperature
        for the thermal criteria.
    network
        The community's low-voltage network: a bundled area's name
        (:func:`evgrid.params.network_areas`) or a network file
        (:func:`evgrid.network.formats.load_network`); hosting then also judges its cables,
        phases and voltages (docs/network.md).
    """

    kind: Literal["residential"] = "residential"
    name: str
    households: int
    parking_spaces: int
    transformer_kva: float
    built: int | None = None
    type: CommunityType | None = None
    regular_peak_kw: float | None = None
    regular_valley_kw: float | None = None
    load_curve: Path | None = None
    floor_area_m2: float | None = None
    power_factor: float = default("power_factor")
    cooling: str = default("cooling")
    paper: str = default("paper")
    ambient_c: float = default("ambient_c")
    province: str | None = None
    transformer_units: tuple[float, ...] | None = None
    bus: str = default("bus_arrangement")
    dc_pile_share: float | None = None
    household_power_factor: float | None = None
    ev_power_factor: float | None = None
    climate: str | Path | None = None
    network: str | Path | None = None

    def __post_init__(self) -> None:
        _units(self)
        _check(self, self.name if isinstance(self.name, str) else "site")


@dataclass(frozen=True, kw_only=True)
class OfficeSite:
    """An office park and its transformer (report section 4).

    Parameters
    ----------
    name
        Label used in tables and reports.
    floor_area_m2
        Building floor area [m²].
    parking_spaces
        Number of parking spaces [-].
    transformer_kva
        Transformer rating [kVA].
    regular_peak_kw
        Measured regular peak load in ``peak_year`` [kW].
    peak_year
        Year of the measured peak [year].
    load_curve
        Optional measured load curve (CSV or Excel).
    power_factor
        Power factor of the total load [-]; 1.0 as in the report.
    cooling, paper, ambient_c, province, transformer_units, bus, dc_pile_share,
    household_power_factor, ev_power_factor, climate
        As for :class:`ResidentialSite`.
    """

    kind: Literal["office"] = "office"
    name: str
    floor_area_m2: float
    parking_spaces: int
    transformer_kva: float
    regular_peak_kw: float
    peak_year: int
    load_curve: Path | None = None
    power_factor: float = default("power_factor")
    cooling: str = default("cooling")
    paper: str = default("paper")
    ambient_c: float = default("ambient_c")
    province: str | None = None
    transformer_units: tuple[float, ...] | None = None
    bus: str = default("bus_arrangement")
    dc_pile_share: float | None = None
    household_power_factor: float | None = None
    ev_power_factor: float | None = None
    climate: str | Path | None = None

    def __post_init__(self) -> None:
        _units(self)
        _check(self, self.name if isinstance(self.name, str) else "site")


Site = ResidentialSite | OfficeSite
"""A site: what :func:`load_site`, :func:`parse_site` and :func:`report_cases` give, a
:class:`ResidentialSite` or an :class:`OfficeSite` (use it in ``isinstance`` checks and type
hints)."""


def as_site(value: Any, where: str = "site") -> Site:
    """``value`` if it is a site; else one line naming what a site is (and, for a path, how to
    read it).

    Raises
    ------
    InputError
        ``site: got 'site.yaml'; allowed: a site (...); a path: read the file with
        evgrid.load_site first``.
    """
    from evgrid.checks import instance

    site: Site = instance(
        value,
        (ResidentialSite, OfficeSite),
        where,
        "a site (evgrid.load_site, evgrid.parse_site or evgrid.report_cases)",
        reader="evgrid.load_site",
    )
    return site


_MODELS: dict[str, type[ResidentialSite] | type[OfficeSite]] = {
    "residential": ResidentialSite,
    "office": OfficeSite,
}

CASE_NAMES = ("A", "B", "C", "open", "closed")
"""Keys of :func:`report_cases`: the report's communities A, B, C and its two office parks."""


def parse_site(
    data: Any,
    where: str = "site",
    base_dir: Path | None = None,
    *,
    curve_files: Mapping[str, Path] | None = None,
    network_files: Mapping[str, Path] | None = None,
) -> Site:
    """Validate a site document already read into Python objects.

    Parameters
    ----------
    data
        The parsed mapping.
    where
        Name used in error messages (normally the file name).
    base_dir
        Directory against which a relative ``load_curve``, ``climate`` or ``network`` file is
        resolved.
    curve_files
        Where the curves come from when the document's sender may not name paths (an upload to
        the web app): ``load_curve`` is then a key of this mapping (the sender's file name) and
        its value the file the server saved; any other name is refused and no path the document
        gives is ever opened. ``base_dir`` is not used then.
    network_files
        The same for ``network``: a bundled area's name, or a key of this mapping (a network
        file sent with the document). Either mapping given (even empty) means the sender may
        name no path: ``climate`` must then be a bundled climate normal.

    Raises
    ------
    InputError
        One line naming ``where``, the field, the value and what is allowed.
    """
    if not isinstance(where, str):
        raise bad_value("where", where, "a text naming the document in messages")
    if not isinstance(data, dict):
        raise bad_value(where, data, "a mapping of fields (key: value)")
    if base_dir is not None:
        base_dir = as_path(base_dir, "folder", "base_dir")
    kind = data.get("kind")
    if not isinstance(kind, str) or kind not in _MODELS:
        raise bad_value(f"{where}: kind", kind, field_help("kind"))
    specs = site_fields()
    allowed = [name for name, spec in specs.items() if getattr(spec, kind) != "-"]
    for key in data:
        if key not in allowed:
            raise InputError(
                f"{where}: unknown key {shown(key)}; allowed keys: {', '.join(allowed)}"
            )
    for name in allowed:
        if getattr(specs[name], kind) == "required" and data.get(name) is None:
            raise InputError(
                f"{where}: {name}: missing; required: {field_help(name)}",
                field=name,
                allowed=field_help(name),
                where=where,
            )
    fields = {k: v for k, v in data.items() if v is not None}
    curve = fields.get("load_curve")
    if isinstance(curve, str) and curve_files is not None:
        fields["load_curve"] = _sent_curve(curve, curve_files, where)
    elif isinstance(curve, str):
        fields["load_curve"] = _resolved(base_dir / curve) if base_dir else Path(curve)
    elif curve is not None:
        raise bad_value(f"{where}: load_curve", curve, field_help("load_curve"))
    sent = curve_files is not None or network_files is not None
    if fields.get("climate") is not None:
        fields["climate"] = _climate(fields["climate"], where, None if sent else base_dir, sent)
    if fields.get("network") is not None:
        fields["network"] = _network(fields["network"], where, base_dir, network_files, sent)
    model = _MODELS[kind]
    # check each value with the file name in the message, then build (which checks again)
    for name, value in fields.items():
        if isinstance(value, list) and name == "transformer_kva":
            for unit in value:
                specs[name].check(unit, f"{where}: {name}")
        elif not isinstance(value, Path):
            specs[name].check(value, f"{where}: {name}")
    try:
        site: Site = model(**fields)
    except InputError as exc:  # a cross-field rule: name the file instead of the site
        raise InputError(f"{where}: {str(exc).split(': ', 1)[1]}") from None
    if site.load_curve is not None:
        try:
            check_file(site.load_curve, "load-curve file, relative to the site file")
        except InputError as exc:
            raise InputError(f"{where}: load_curve: {exc}") from None
    if isinstance(site, OfficeSite) and site.load_curve is not None:
        peak_kw = _curve_peak_kw(site.load_curve)
        rtol = parameter("curve_peak_rtol").value
        if abs(peak_kw - site.regular_peak_kw) > rtol * site.regular_peak_kw:
            raise bad_value(
                f"{where}: regular_peak_kw and load_curve",
                site.regular_peak_kw,
                f"the peak of load_curve, {peak_kw:g} kW, within {rtol:.0%} "
                "(the two fields contradict each other)",
            )
    return site


def _resolved(path: Path) -> Path:
    """``path`` made absolute, symbolic links resolved where they can be (a loop stays)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError, ValueError):  # a link loop (Python < 3.13), a NUL
        return Path(os.path.abspath(path))


NETWORK_SUFFIXES = (".yaml", ".yml", ".json")
"""Suffixes of a network file a site names (:func:`evgrid.network.formats.load_network`)."""


def _network(
    value: Any,
    where: str,
    base_dir: Path | None,
    network_files: Mapping[str, Path] | None,
    sent: bool,
) -> str | Path:
    """A site's ``network``: a bundled area's name as it is, else the network file (relative to
    ``base_dir``, or one sent with the document; never a path a sender names)."""
    from evgrid.params import network_areas

    names = ", ".join(network_areas())
    if not isinstance(value, str) or not value.strip() or "\0" in value:
        raise bad_value(f"{where}: network", value, f"a bundled area ({names}) or a network file")
    text = value.strip()
    if text in network_areas():
        return text
    if sent:
        found = (network_files or {}).get(text)
        if found is None:
            given = ", ".join(sorted(network_files or {})) or "none was sent"
            raise bad_value(
                f"{where}: network",
                value,
                f"a bundled area ({names}) or the file name of a network sent with it ({given}); "
                "no path it names is opened",
            )
        return found
    if Path(text).suffix.lower() not in NETWORK_SUFFIXES:
        raise bad_value(
            f"{where}: network",
            value,
            f"a bundled area ({names}) or a network file ({', '.join(NETWORK_SUFFIXES)}) "
            "relative to the site file",
        )
    path = _resolved(base_dir / text) if base_dir else Path(text)
    try:
        check_file(path, "network file, relative to the site file")
    except InputError as exc:
        raise InputError(
            f"{where}: network: {exc}", field="network", value=value, where=where
        ) from None
    return path


def _climate(value: Any, where: str, base_dir: Path | None, sent: bool) -> str | Path:
    """A site's ``climate``: a bundled climate normal's name as it is, else the climate file
    relative to ``base_dir`` (refused when the sender may name no path)."""
    from evgrid.grid.climate import climate_names

    if not isinstance(value, str) or value.strip() in climate_names():
        return value  # the field's check refuses a value that is not a text
    names = ", ".join(climate_names())
    if sent:
        raise bad_value(
            f"{where}: climate", value, f"a bundled climate ({names}); no path it names is opened"
        )
    return _resolved(base_dir / value) if base_dir else Path(value)


def _sent_curve(name: str, curve_files: Mapping[str, Path], where: str) -> Path:
    """The saved file of a curve that was sent with the document, by the sender's file name."""
    found = curve_files.get(name.strip())
    if found is None:
        sent = ", ".join(sorted(curve_files)) if curve_files else "none was sent"
        raise bad_value(
            f"{where}: load_curve",
            name,
            f"the file name of a curve sent with it ({sent}); no path it names is opened",
        )
    return found


def _curve_peak_kw(path: Path) -> float:
    """Peak of a load-curve file's ``power_kw`` column [kW].

    Only the power column is read here; :func:`evgrid.load.read_load_curve` checks the whole
    file when the curve is used.
    """
    table = read_table(path, "load-curve file", casefold=True, first_row=2)
    if "power_kw" not in table:
        raise bad_value(f"{path}: columns", list(table.fields), "a 'power_kw' column [kW]")
    power_kw = table.numbers("power_kw", "a finite number >= 0 [kW]")
    return float(np.max(power_kw, initial=0.0))


def load_site(path: str | Path) -> Site:
    """Read and validate a site document (YAML, or JSON for a ``.json`` file).

    Parameters
    ----------
    path
        The site file.

    Returns
    -------
    ResidentialSite or OfficeSite

    Raises
    ------
    InputError
        Missing or unreadable file, a syntax error, or any invalid field (one line).
    """
    file = as_path(path, "site document (YAML or JSON)")
    data = read_document(file, "site document (YAML or JSON)")
    return parse_site(data, where=str(file), base_dir=file.parent)


def report_cases() -> dict[str, Site]:
    """The report's five cases, keyed ``"A"``, ``"B"``, ``"C"``, ``"open"``, ``"closed"``.

    Inputs are the report's tables 1–3 (section 3.2) and the office-park texts (section 4.2),
    bundled as ``evgrid/data/cases/<key>.yaml``.
    """
    folder = resources.files("evgrid") / "data" / "cases"
    cases: dict[str, Site] = {}
    for key in CASE_NAMES:
        text = (folder / f"{key}.yaml").read_text(encoding="utf-8")
        cases[key] = parse_site(parse_document(text, where=key), where=key)
    return cases
