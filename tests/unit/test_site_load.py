"""Site documents: loading, validation, one-line errors."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from evgrid.errors import InputError
from evgrid.grid.site import (
    CASE_NAMES,
    OfficeSite,
    ResidentialSite,
    load_site,
    parse_site,
    report_cases,
)

GOOD = """\
kind: residential
name: Community A
built: 1985
households: 810
parking_spaces: 324
transformer_kva: 1250
regular_peak_kw: 880
regular_valley_kw: 352
"""


def _write(tmp_path: Path, text: str, name: str = "site.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_yaml_site_loads_with_every_field(tmp_path: Path) -> None:
    site = load_site(_write(tmp_path, GOOD))
    assert isinstance(site, ResidentialSite)
    assert site.households == 810
    assert site.transformer_kva == 1250.0
    assert site.regular_valley_kw == 352.0
    assert site.power_factor == 1.0


def test_json_site_loads(tmp_path: Path) -> None:
    doc = {
        "kind": "office",
        "name": "Park",
        "floor_area_m2": 1000,
        "parking_spaces": 10,
        "transformer_kva": 800,
        "regular_peak_kw": 300,
        "peak_year": 2021,
    }
    site = load_site(_write(tmp_path, json.dumps(doc), "park.json"))
    assert isinstance(site, OfficeSite)
    assert site.peak_year == 2021


def test_report_cases_are_the_reports_inputs() -> None:
    cases = report_cases()
    assert tuple(cases) == CASE_NAMES
    a, c, closed = cases["A"], cases["C"], cases["closed"]
    assert isinstance(a, ResidentialSite) and isinstance(c, ResidentialSite)
    assert (a.households, a.parking_spaces, a.transformer_kva) == (810, 324, 1250.0)
    assert (c.built, c.regular_peak_kw, c.regular_valley_kw) == (2021, 3659.0, 1463.0)
    assert isinstance(closed, OfficeSite)
    assert (closed.floor_area_m2, closed.parking_spaces) == (15300.0, 153)


def test_load_curve_is_resolved_relative_to_the_site_file(tmp_path: Path) -> None:
    (tmp_path / "curves").mkdir()
    (tmp_path / "curves" / "a.csv").write_text("power_kw\n1\n", encoding="utf-8")
    text = GOOD.replace("regular_peak_kw: 880\nregular_valley_kw: 352\n", "")
    site = load_site(_write(tmp_path, text + "load_curve: curves/a.csv\n"))
    assert isinstance(site, ResidentialSite)
    assert site.load_curve == (tmp_path / "curves" / "a.csv").resolve()


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        (("transformer_kva: 1250", "transformer_kva: 0"), "transformer_kva"),
        (("transformer_kva: 1250", "transformer_kva: -5"), "transformer_kva"),
        (("households: 810", "households: 0"), "households"),
        (("households: 810", "households: -1"), "households"),
        (("parking_spaces: 324\n", ""), "parking_spaces: missing"),
        (("regular_valley_kw: 352", "regular_valley_kw: 900"), "regular_valley_kw"),
        (("name: Community A", "name: A\ncolour: red"), "unknown key 'colour'"),
        (("transformer_kva: 1250", "transformer_kva: big"), "transformer_kva: got 'big'"),
        (("households: 810", "households: '810'"), "households"),
        (("kind: residential", "kind: factory"), "kind: got 'factory'"),
        (("built: 1985", "type: ancient"), "type: got 'ancient'"),
        (
            ("regular_peak_kw: 880\nregular_valley_kw: 352\n", "load_curve: nowhere.csv\n"),
            "nowhere.csv: got 'missing file'",
        ),
    ],
)
def test_bad_field_gives_one_line_naming_file_and_field(
    tmp_path: Path, edit: tuple[str, str], needle: str
) -> None:
    old, new = edit
    assert old in GOOD
    path = _write(tmp_path, GOOD.replace(old, new))
    with pytest.raises(InputError) as info:
        load_site(path)
    message = str(info.value)
    assert "\n" not in message
    assert str(path) in message
    assert needle in message


def test_missing_file_and_bad_syntax(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="missing file"):
        load_site(tmp_path / "nope.yaml")
    with pytest.raises(InputError, match="valid YAML"):
        load_site(_write(tmp_path, "kind: [unclosed", "bad.yaml"))
    with pytest.raises(InputError, match="mapping"):
        load_site(_write(tmp_path, "- 1\n- 2\n", "list.yaml"))


def test_valley_without_peak_is_refused() -> None:
    with pytest.raises(InputError, match="regular_peak_kw"):
        parse_site(
            {
                "kind": "residential",
                "name": "x",
                "households": 10,
                "parking_spaces": 5,
                "transformer_kva": 100,
                "regular_valley_kw": 10,
            }
        )


def test_sites_are_frozen() -> None:
    site = report_cases()["A"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        site.transformer_kva = 1.0  # type: ignore[misc]
