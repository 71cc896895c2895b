"""Hostile site and behaviour documents: one exact line, refused fast, nothing written."""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path

import pytest

from evgrid.demand.behaviour import Behaviour
from evgrid.errors import InputError
from evgrid.grid.site import ResidentialSite, load_site

SITE = """\
kind: residential
name: Community A
built: 1985
households: 810
parking_spaces: 324
transformer_kva: 1250
regular_peak_kw: 880
regular_valley_kw: 352
"""

OFFICE = """\
kind: office
name: Park
floor_area_m2: 10000
parking_spaces: 100
transformer_kva: 2000
regular_peak_kw: 100
peak_year: 2021
load_curve: curve.csv
"""


def _bomb(levels: int = 9) -> str:
    """A "billion laughs" YAML document: 9 ** levels values from about 340 bytes."""
    text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for prev, name in itertools.pairwise("abcdefghij"[:levels]):
        text += f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]\n"
    return text


def _refused(tmp_path: Path, name: str, text: str, read: object) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    before = sorted(tmp_path.iterdir())
    with pytest.raises(InputError) as info:
        read(path)  # type: ignore[operator]
    assert sorted(tmp_path.iterdir()) == before
    message = str(info.value)
    assert "\n" not in message and len(message) < 400
    return message.replace(str(path), "{f}")


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        pytest.param(
            ("households: 810", "households: 0620"),
            "{f} line 4: got '0620'; allowed: a number without leading zeros (YAML 1.1 would "
            "read it as octal)",
            id="octal-looking",
        ),
        pytest.param(
            ("transformer_kva: 1250", "transformer_kva: .inf"),
            "{f}: transformer_kva: got inf; allowed: a finite number > 0 [kVA]",
            id="inf-kva",
        ),
        pytest.param(
            ("regular_peak_kw: 880", "regular_peak_kw: .nan"),
            "{f}: regular_peak_kw: got nan; allowed: a finite number > 0 [kW]",
            id="nan-peak",
        ),
        pytest.param(
            ("households: 810", "households: true"),
            "{f}: households: got True; allowed: a whole number >= 1",
            id="boolean-count",
        ),
        pytest.param(
            ("households: 810", "households: 2e3"),
            "{f}: households: got 2000.0; allowed: a whole number >= 1",
            id="float-count",
        ),
        pytest.param(
            ("households: 810", "households: 810\nhouseholds: 900"),
            "{f} line 5: got 'households'; allowed: each key once (line 4 has it)",
            id="duplicate-key",
        ),
        pytest.param(
            ("name: Community A", "name: yes\n1: x"),
            "{f} line 3: got '1'; allowed: text keys (quote a key that looks like a number)",
            id="number-key",
        ),
        pytest.param(
            (
                "regular_peak_kw: 880\nregular_valley_kw: 352\n",
                "regular_valley_kw: 352\nload_curve: curve.csv\n",
            ),
            "{f}: load_curve and regular_valley_kw: got both; allowed: either a measured "
            "load_curve or regular_peak_kw/regular_valley_kw, not both",
            id="curve-and-valley",
        ),
        pytest.param(
            ("kind: residential", "kind: residential\n---\nkind: office"),
            "{f} line 2: got '---'; allowed: valid YAML (but found another document)",
            id="two-documents",
        ),
    ],
)
def test_site_yaml(tmp_path: Path, edit: tuple[str, str], expected: str) -> None:
    (tmp_path / "curve.csv").write_text("power_kw\n" + "1\n" * 24)
    old, new = edit
    assert old in SITE
    assert _refused(tmp_path, "site.yaml", SITE.replace(old, new), load_site) == expected


def test_yaml_12_numbers_are_numbers(tmp_path: Path) -> None:
    path = tmp_path / "site.yaml"
    path.write_text(SITE.replace("transformer_kva: 1250", "transformer_kva: 2e3"))
    site = load_site(path)
    assert site.transformer_kva == 2000.0
    path.write_text(SITE.replace("name: Community A", "name: no"))  # YAML 1.1: False
    assert load_site(path).name == "no"


def test_alias_bomb_is_refused_fast(tmp_path: Path) -> None:
    text = SITE.replace("name: Community A\n", "") + _bomb() + "name: *i\n"
    assert len(text.encode()) - len(SITE) < 400
    start = time.perf_counter()
    message = _refused(tmp_path, "bomb.yaml", text, load_site)
    assert time.perf_counter() - start < 1.0  # generous: it takes milliseconds
    assert message == (
        "{f} line 12: got 'more values than allowed once aliases (*name) are expanded'; "
        "allowed: at most 10,000 values in a document"
    )


def test_a_few_aliases_are_fine(tmp_path: Path) -> None:
    path = tmp_path / "site.yaml"
    path.write_text(SITE.replace("households: 810", "households: &n 810") + "# *n\n")
    assert load_site(path).households == 810


def test_long_values_are_cut_in_messages(tmp_path: Path) -> None:
    long_name = "x" * 100_000
    text = SITE.replace("transformer_kva: 1250", f"transformer_kva: {long_name}")
    message = _refused(tmp_path, "site.yaml", text, load_site)
    assert message == "{f}: transformer_kva: got '" + "x" * 37 + "..." + "x" * 38 + (
        "'; allowed: a finite number > 0 [kVA]"
    )


def test_office_peak_contradicting_its_curve(tmp_path: Path) -> None:
    curve = tmp_path / "curve.csv"
    curve.write_text("power_kw\n" + "100\n" * 23 + "730\n")
    assert _refused(tmp_path, "park.yaml", OFFICE, load_site) == (
        "{f}: regular_peak_kw and load_curve: got 100.0; allowed: the peak of load_curve, "
        "730 kW, within 1% (the two fields contradict each other)"
    )
    curve.write_text("power_kw\n" + "50\n" * 23 + "100.4\n")  # a rounded peak is fine
    path = tmp_path / "park.yaml"
    assert load_site(path).regular_peak_kw == 100.0


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        (
            '{"kind": "residential", "households": NaN}',
            "{f}: got 'NaN'; allowed: standard JSON numbers (NaN and Infinity are not JSON)",
        ),
        (
            '{"kind": "office", "kind": "residential"}',
            "{f}: got 'kind'; allowed: each key once in an object",
        ),
        (
            '{"kind": "office",',
            '{f} line 1: got \'{"kind": "office",\'; allowed: valid JSON '
            "(Expecting property name enclosed in double quotes)",
        ),
    ],
    ids=["nan", "duplicate-key", "syntax"],
)
def test_site_json(tmp_path: Path, doc: str, expected: str) -> None:
    assert _refused(tmp_path, "site.json", doc, load_site) == expected


def test_site_json_infinity_overflow_is_refused_at_the_field(tmp_path: Path) -> None:
    doc = json.loads(json.dumps({"kind": "residential", "name": "x", "households": 1}))
    doc.update(parking_spaces=1, transformer_kva=1e308)
    text = json.dumps(doc).replace("1e+308", "1e999")
    assert _refused(tmp_path, "site.json", text, load_site) == (
        "{f}: transformer_kva: got inf; allowed: a finite number > 0 [kVA]"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "charger_power_kw: .inf\n",
            "{f}: charger_power_kw: got inf; allowed: a finite number, a CSV path, {edges, "
            "weights} or {values, weights}",
        ),
        (
            "distance_km: {edges: [0, true, 20], weights: [1, 1]}\n",
            "{f}: distance_km: edges entry 2: got True; allowed: finite numbers",
        ),
        (
            "distance_km: {edges: [0, 10], values: [5], weights: [1]}\n",
            "{f}: distance_km: got ['edges', 'values', 'weights']; allowed: a finite number, a "
            "CSV path, {edges, weights} or {values, weights} (these keys only)",
        ),
        (
            "min_dwell_h: .nan\n",
            "{f}: min_dwell_h: got nan; allowed: a number (not .inf or .nan)",
        ),
        (
            "battery_kwh: 60\nbattery_kwh: 70\n",
            "{f} line 2: got 'battery_kwh'; allowed: each key once (line 1 has it)",
        ),
    ],
    ids=["inf-constant", "boolean-edge", "edges-and-values", "nan-scalar", "duplicate-key"],
)
def test_behaviour_yaml(tmp_path: Path, text: str, expected: str) -> None:
    assert _refused(tmp_path, "b.yaml", text, Behaviour.from_file) == expected


def test_site_is_still_a_site(tmp_path: Path) -> None:
    path = tmp_path / "site.yaml"
    path.write_text(SITE)
    assert isinstance(load_site(path), ResidentialSite)


UPLOAD_EDITS = [
    ("households: 810", "households: 0620"),
    ("households: 810", "households: 1_000"),
    ("households: 810", "households: {a: 620}"),
    ("households: 810", "households: 810\nhouseholds: 900"),
    ("transformer_kva: 1250", "transformer_kva: .inf"),
    ("name: Community A", "name: yes\n1: x"),
    ("kind: residential", "kind: residential\n---\nkind: office"),
    ("name: Community A\n", _bomb() + "name: *i\n"),
]


@pytest.mark.parametrize(("old", "new"), UPLOAD_EDITS)
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "gb18030"])
def test_an_upload_is_refused_as_the_file_is(
    tmp_path: Path, old: str, new: str, encoding: str
) -> None:
    """The web app's site upload reads with evgrid.io too: the same refusal, word for word."""
    pytest.importorskip("fastapi")
    from evgrid.web.uploads import read_document, site_from_document

    data = SITE.replace(old, new).encode(encoding)
    path = tmp_path / "site.yaml"
    path.write_bytes(data)
    with pytest.raises(InputError) as as_file:
        load_site(path)
    with pytest.raises(InputError) as as_upload:
        site_from_document(read_document(data, "site.yaml"), "site.yaml")
    assert str(as_upload.value) == str(as_file.value).replace(str(path), "site.yaml")
