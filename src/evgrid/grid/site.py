"""Site documents: a residential community or an office park, validated on load.

A site document is a small YAML or JSON file written by hand::

    kind: residential        # or: office
    name: Community A
    built: 1985              # or type: old | sub-new | new
    households: 810
    parking_spaces: 324
    transformer_kva: 1250
    regular_peak_kw: 880
    regular_valley_kw: 352   # optional; or load_curve: FILE (a measured curve)

Every field is documented in :data:`FIELD_HELP`; a bad document raises one
:class:`~evgrid.errors.InputError` line naming the file, the field, the value and what is allowed.
The file is read by :func:`evgrid.io.read_document` (YAML 1.2 numbers, each key once, bounded
aliases); numbers must be finite. Fields that contradict each other are refused, naming both:
a residential site gives a ``load_curve`` or ``regular_peak_kw``/``regular_valley_kw``, not
both; an office site that gives both ``regular_peak_kw`` and a ``load_curve`` must give the
curve's peak, within :data:`CURVE_PEAK_RTOL`.
The report's own cases (section 3.2 and 4.2) ship as ``evgrid/data/cases/*.yaml`` and load with
:func:`report_cases`.

Loading convention: ``loading_pu = total_kw / (power_factor * transformer_kva)``; the report takes
power factor 1 (its loadings equal peak kW / kVA, e.g. 880 / 1250 = 70.4 %).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from evgrid.errors import InputError, bad_value, shown
from evgrid.io import check_file, parse_document, read_document, read_table

CommunityType = Literal["old", "sub-new", "new"]

#: What each field holds and what is allowed; used in error messages and the README.
FIELD_HELP: dict[str, str] = {
    "kind": "'residential' or 'office'",
    "name": "a text label",
    "built": "a build year, an integer such as 1985 [year]",
    "type": "'old', 'sub-new' or 'new'",
    "households": "an integer > 0 [households]",
    "parking_spaces": "an integer >= 0 [spaces]",
    "transformer_kva": "a finite number > 0 [kVA]",
    "regular_peak_kw": "a finite number > 0 [kW]",
    "regular_valley_kw": "a finite number >= 0 and <= regular_peak_kw [kW]",
    "load_curve": "a path to a CSV or Excel load-curve file, relative to the site file",
    "floor_area_m2": "a finite number > 0 [m²]",
    "power_factor": "a number > 0 and <= 1 [-]",
    "peak_year": "the year of regular_peak_kw, an integer such as 2021 [year]",
}

_FROZEN = ConfigDict(frozen=True, extra="forbid", strict=True, allow_inf_nan=False)

CURVE_PEAK_RTOL = 0.01
"""An office site giving both ``regular_peak_kw`` and a ``load_curve`` must give the curve's
peak within this relative tolerance [-] (assumed: a rounded peak passes, another year's or
another site's does not)."""

PositiveFloat = Annotated[float, Field(gt=0)]
PowerFactor = Annotated[float, Field(gt=0, le=1)]


def _as_path(value: Any) -> Any:
    """Accept a string where a path belongs (pydantic strict mode wants a ``Path``)."""
    return Path(value) if isinstance(value, str) else value


class ResidentialSite(BaseModel):
    """A residential community and its distribution transformer (report section 3).

    Parameters
    ----------
    name
        Label used in tables and reports.
    built
        Year the community was built [year]; decides its type when ``type`` is not given.
    type
        ``"old"`` (built before 2000), ``"sub-new"`` or ``"new"`` (built within 5 years),
        report section 3.1.
    households
        Number of households [-].
    parking_spaces
        Number of parking spaces that could carry a charging pile [-].
    transformer_kva
        Transformer rating [kVA].
    regular_peak_kw, regular_valley_kw
        Regular (non-charging) load at the evening peak and in the night valley [kW]. Without
        them (and without ``load_curve``) the planning index is used.
    load_curve
        A measured load curve (CSV or Excel), instead of the peak and valley numbers.
    floor_area_m2
        Optional total floor area [m²].
    power_factor
        Power factor of the total load [-]; 1.0 as in the report.
    """

    model_config = _FROZEN

    kind: Literal["residential"] = "residential"
    name: str
    built: int | None = None
    type: CommunityType | None = None
    households: Annotated[int, Field(gt=0)]
    parking_spaces: Annotated[int, Field(ge=0)]
    transformer_kva: PositiveFloat
    regular_peak_kw: PositiveFloat | None = None
    regular_valley_kw: Annotated[float, Field(ge=0)] | None = None
    load_curve: Path | None = None
    floor_area_m2: PositiveFloat | None = None
    power_factor: PowerFactor = 1.0

    _as_path = field_validator("load_curve", mode="before")(_as_path)

    @model_validator(mode="after")
    def _check_load(self) -> ResidentialSite:
        if self.load_curve is not None and (
            self.regular_peak_kw is not None or self.regular_valley_kw is not None
        ):
            given = "regular_peak_kw" if self.regular_peak_kw is not None else "regular_valley_kw"
            raise ValueError(
                f"load_curve and {given}: got both; allowed: either a measured load_curve or "
                "regular_peak_kw/regular_valley_kw, not both"
            )
        if self.regular_valley_kw is not None:
            if self.regular_peak_kw is None:
                raise ValueError(
                    "regular_peak_kw: missing; it is required when regular_valley_kw is given"
                )
            if self.regular_valley_kw > self.regular_peak_kw:
                raise ValueError(
                    f"regular_valley_kw: got {self.regular_valley_kw!r}, above regular_peak_kw "
                    f"{self.regular_peak_kw!r}; allowed: {FIELD_HELP['regular_valley_kw']}"
                )
        return self


class OfficeSite(BaseModel):
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
    """

    model_config = _FROZEN

    kind: Literal["office"] = "office"
    name: str
    floor_area_m2: PositiveFloat
    parking_spaces: Annotated[int, Field(ge=0)]
    transformer_kva: PositiveFloat
    regular_peak_kw: PositiveFloat
    peak_year: int
    load_curve: Path | None = None
    power_factor: PowerFactor = 1.0

    _as_path = field_validator("load_curve", mode="before")(_as_path)


Site = ResidentialSite | OfficeSite

_MODELS: dict[str, type[ResidentialSite] | type[OfficeSite]] = {
    "residential": ResidentialSite,
    "office": OfficeSite,
}

CASE_NAMES = ("A", "B", "C", "open", "closed")
"""Keys of :func:`report_cases`: the report's communities A, B, C and its two office parks."""


def _describe(error: Mapping[str, Any], where: str, model: type[BaseModel]) -> InputError:
    """Turn the first pydantic error into one line: where, field, value, what is allowed."""
    loc = ".".join(str(part) for part in error.get("loc", ()))
    kind = error.get("type", "")
    if kind == "extra_forbidden":
        return InputError(
            f"{where}: unknown key {shown(loc)}; allowed keys: {', '.join(model.model_fields)}"
        )
    if kind == "missing":
        return InputError(f"{where}: {loc}: missing; required: {FIELD_HELP.get(loc, 'a value')}")
    if not loc:  # a model-level check: its message already names the field
        msg = str(error.get("msg", "")).removeprefix("Value error, ")
        return InputError(f"{where}: {msg}")
    allowed = FIELD_HELP.get(loc, str(error.get("msg", "")))
    return bad_value(f"{where}: {loc}", error.get("input"), allowed)


def _resolved(path: Path) -> Path:
    """``path`` made absolute, symbolic links resolved where they can be (a loop stays)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError, ValueError):  # a link loop (Python < 3.13), a NUL
        return Path(os.path.abspath(path))


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


def parse_site(data: Any, where: str = "site", base_dir: Path | None = None) -> Site:
    """Validate a site document already read into Python objects.

    Parameters
    ----------
    data
        The parsed mapping.
    where
        Name used in error messages (normally the file name).
    base_dir
        Directory against which a relative ``load_curve`` is resolved.

    Raises
    ------
    InputError
        One line naming ``where``, the field, the value and what is allowed; for fields that
        contradict each other, both fields.
    """
    if not isinstance(data, dict):
        raise bad_value(where, data, "a mapping of fields (key: value)")
    kind = data.get("kind")
    if not isinstance(kind, str) or kind not in _MODELS:
        raise bad_value(f"{where}: kind", kind, FIELD_HELP["kind"])
    model = _MODELS[kind]
    fields = dict(data)
    curve = fields.get("load_curve")
    if isinstance(curve, str) and base_dir is not None:
        fields["load_curve"] = _resolved(base_dir / curve)
    try:
        site: Site = model.model_validate(fields)
    except ValidationError as exc:
        raise _describe(exc.errors()[0], where, model) from None
    if site.load_curve is not None:
        try:
            check_file(site.load_curve, "load-curve file, relative to the site file")
        except InputError as exc:
            raise InputError(f"{where}: load_curve: {exc}") from None
    if isinstance(site, OfficeSite) and site.load_curve is not None:
        peak_kw = _curve_peak_kw(site.load_curve)
        if abs(peak_kw - site.regular_peak_kw) > CURVE_PEAK_RTOL * site.regular_peak_kw:
            raise bad_value(
                f"{where}: regular_peak_kw and load_curve",
                site.regular_peak_kw,
                f"the peak of load_curve, {peak_kw:g} kW, within {CURVE_PEAK_RTOL:.0%} "
                "(the two fields contradict each other)",
            )
    return site


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
    file = Path(path)
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
        entry = folder / f"{key}.yaml"
        text = entry.read_text(encoding="utf-8")
        cases[key] = parse_site(parse_document(text, where=key), where=key)
    return cases
