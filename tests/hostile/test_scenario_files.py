"""Hostile scenario files: read under the rules of every evgrid document, one line each."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import evgrid.cli
from evgrid.errors import InputError
from evgrid.planning.scenarios import load_scenario

SCENARIO = """\
name: mine
years: [2025, 2030, 2035]
base_year: 2023
ev_share:
  interpolation: linear
  points:
    2025: {value: 0.2, source: assumed}
    2035: {value: 0.6, source: assumed}
"""


def _refused(tmp_path: Path, text: str) -> str:
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_scenario(path)
    message = str(info.value)
    assert "\n" not in message and len(message) < 400
    return message.replace(str(path), "{f}")


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param(
            "    2035: {value: 0.6",
            "    2035: {value: 0.5, source: x}\n    2035: {value: 0.6",
            "{f} line 9: got '2035'; allowed: each key once (line 8 has it)",
            id="repeated-year",
        ),
        pytest.param(
            "base_year: 2023",
            "base_year: 02023",
            "{f} line 3: got '02023'; allowed: a number without leading zeros (YAML 1.1 would "
            "read it as octal)",
            id="base-year-leading-zero",
        ),
        pytest.param(
            "{value: 0.2,",
            "{value: 010,",
            "{f} line 7: got '010'; allowed: a number without leading zeros (YAML 1.1 would "
            "read it as octal)",
            id="octal-looking-value",
        ),
        pytest.param(
            "{value: 0.2,",
            "{value: 1:30,",
            "{f}: ev_share: points: 2025: got '1:30'; allowed: a number in [0, 1]",
            id="sexagesimal",
        ),
        pytest.param(
            "{value: 0.2, source: assumed}",
            "{value: {a: 1}, source: assumed}",
            "{f}: ev_share: points: 2025: got {'a': 1}; allowed: a number in [0, 1]",
            id="value-as-mapping",
        ),
        pytest.param(
            "2025: {value: 0.2, source: assumed}",
            "2025: {parameter: no_such_row}",
            "{f}: ev_share: points: 2025: parameter: got 'no_such_row'; allowed: a row of the "
            "parameter table",
            id="unknown-parameter",
        ),
        pytest.param(
            "  points:\n",
            "  points: {parameter: no_such_row}\n  x:\n",
            "{f}: ev_share: unknown key 'x'; allowed keys: interpolation, points",
            id="unknown-series-key",
        ),
        pytest.param(
            "name: mine",
            "name: mine\ndescription: {a: 1}",
            "{f}: description: got {'a': 1}; allowed: a text",
            id="description-as-mapping",
        ),
        pytest.param(
            "years: [2025, 2030, 2035]",
            "years: [2025, {a: 1}]",
            "{f}: years: got {'a': 1}; allowed: a whole number in [1800, 2200] [year]",
            id="year-as-mapping",
        ),
        pytest.param(
            "base_year: 2023",
            "base_year: {a: 1}",
            "{f}: base_year: got {'a': 1}; allowed: a whole number in [1800, 2200] [year]",
            id="base-year-as-mapping",
        ),
        pytest.param(
            "2025: {value",
            "2025: {parameter: [1, 2]}\n    2026: {value",
            "{f}: ev_share: points: 2025: parameter: got [1, 2]; allowed: a row of the parameter "
            "table",
            id="parameter-as-list",
        ),
    ],
)
def test_scenario_file(tmp_path: Path, old: str, new: str, expected: str) -> None:
    assert old in SCENARIO
    assert _refused(tmp_path, SCENARIO.replace(old, new, 1)) == expected


def test_yaml_12_numbers_are_numbers(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO.replace("{value: 0.2,", "{value: 2e-2,"), encoding="utf-8")
    assert load_scenario(path).ev_share.points[2025].value == 0.02


def test_an_alias_bomb_is_refused_at_once(tmp_path: Path) -> None:
    bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        bomb += f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]\n"
    text = SCENARIO.replace("name: mine", "name: mine\nbomb:\n  " + bomb.replace("\n", "\n  "))
    assert len(text) < 1200
    start = time.perf_counter()
    message = _refused(tmp_path, text)
    assert time.perf_counter() - start < 1.0  # it took 31 s and the whole memory cap
    assert "more values than allowed once aliases (*name) are expanded" in message


def test_a_json_scenario_with_text_years(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text(
        '{"name": "j", "years": [2025], "ev_share": {"points": '
        '{"2025": {"value": 0.3, "source": "x"}}}}',
        encoding="utf-8",
    )
    assert load_scenario(path).ev_share.points[2025].value == 0.3


@pytest.mark.parametrize("show", ["", " "])
def test_show_an_empty_name_is_refused(show: str) -> None:
    result = CliRunner().invoke(evgrid.cli.app, ["scenarios", "--show", show])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"evgrid: error: --show: got '{show}'; allowed: a bundled")
    assert result.stdout == ""


def test_a_folder_named_as_a_scenario(tmp_path: Path) -> None:
    folder = tmp_path / "s.yaml"
    folder.mkdir()
    with pytest.raises(InputError, match=r"s\.yaml: got 'a folder'; allowed: an existing"):
        load_scenario(folder)
