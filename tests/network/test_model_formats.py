"""Network model, cable table, evgrid's document, power-grid-model and pandapower readers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from evgrid.errors import InputError
from evgrid.network.cables import cable_type, next_size, unit_impedance
from evgrid.network.formats import (
    bundled,
    bundled_names,
    load_network,
    parse_network,
    to_document,
)
from evgrid.network.generator import AREAS, generate_area


def test_cable_resistance_from_gbt3956_taken_to_temperature() -> None:
    c = cable_type("YJLV22-4x150", temperature_c=20.0)
    assert c.r1_ohm_per_km == pytest.approx(0.206)  # GB/T 3956 table 2, aluminium 150 mm²
    hot = cable_type("YJLV22-4x150", temperature_c=70.0)
    assert hot.r1_ohm_per_km == pytest.approx(0.206 * (1 + 0.00403 * 50))  # IEC 60287-1-1
    assert hot.r0_ohm_per_km == pytest.approx(4 * hot.r1_ohm_per_km)
    assert cable_type("YJV22-4x240").derated_a(0.5) == pytest.approx(220.0)
    assert next_size("YJV22-4x150") == "YJV22-4x185"
    assert next_size("YJV22-4x240") is None
    with pytest.raises(InputError, match="cable type"):
        cable_type("YJV22-4x999")


def test_unit_impedance_gbt6451() -> None:
    assert unit_impedance(630) == (4.0, 6200.0)
    assert unit_impedance(1000) == (4.5, 10300.0)


@pytest.mark.parametrize("name", AREAS)
def test_generated_areas_are_radial_and_round_trip(name: str, tmp_path: Path) -> None:
    net = generate_area(name)
    tree = net.tree()
    assert tree.order.size == net.n_bus  # every bus fed, no loop
    doc = to_document(net)
    path = tmp_path / "net.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    back = load_network(path)
    assert back.bus_names == net.bus_names
    for field in ("from_bus", "to_bus", "r1_ohm", "x0_ohm", "ampacity_a", "closed", "households"):
        np.testing.assert_allclose(getattr(back, field), getattr(net, field), rtol=1e-12)
    np.testing.assert_array_equal(back.pile_phase, net.pile_phase)


def _doc() -> dict:
    return {
        "name": "tiny",
        "transformers": [{"name": "T1", "bus": "LV", "rating_kva": 400}],
        "buses": [
            {"name": "LV"},
            {"name": "B1", "households": 6, "piles": ["a", "unknown"]},
            {"name": "B2", "households": [1, 2, 3]},
        ],
        "cables": [
            {"from": "LV", "to": "B1", "type": "YJLV22-4x150", "length_m": 60},
            {"from": "B1", "to": "B2", "length_m": 20, "r1_ohm_per_km": 0.3,
             "x1_ohm_per_km": 0.08, "r0_ohm_per_km": 1.2, "x0_ohm_per_km": 0.32,
             "ampacity_a": 150},
        ],
    }  # fmt: skip


def test_document_reads_units_and_defaults() -> None:
    net = parse_network(_doc(), "tiny.yaml")
    assert net.units[0].uk_pct == 4.0 and net.units[0].pk_w == 4300.0  # GB/T 6451, 400 kVA
    assert net.nominal_v == 380.0
    np.testing.assert_array_equal(net.households[1], [2, 2, 2])
    np.testing.assert_array_equal(net.pile_phase, [0, -1])
    assert net.r1_ohm[1] == pytest.approx(0.3 * 0.02)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda d: d["cables"][0].update(type="nope"), "cable type"),
        (lambda d: d["cables"][0].update(to="B9"), "cables entry 1: to"),
        (lambda d: d["buses"].append({"name": "B1"}), "name"),
        (lambda d: d["buses"][1].update(piles=["d"]), "piles"),
        (lambda d: d["cables"][1].update(length_m=-1), "length_m"),
        (lambda d: d["transformers"][0].update(vector_group="Yd5"), "vector_group"),
        (lambda d: d["cables"].append({"from": "LV", "to": "B2", "type": "YJV22-4x95",
                                       "length_m": 5}), "loop"),
        (lambda d: d["cables"][1].update(closed=False), "without supply"),
        (lambda d: d.update(colour="red"), "colour"),
    ],
)  # fmt: skip
def test_document_refusals(change, match: str) -> None:
    doc = _doc()
    change(doc)
    with pytest.raises(InputError, match=match):
        parse_network(doc, "tiny.yaml")


def test_yaml_file(tmp_path: Path) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(
        "name: tiny\ntransformers:\n  - {name: T1, bus: LV, rating_kva: 400}\n"
        "buses:\n  - {name: LV}\n  - {name: B1, households: 3}\n"
        "cables:\n  - {from: LV, to: B1, type: YJV22-4x95, length_m: 0100}\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="leading zeros"):
        load_network(path)


def test_pgm_json_reader_round_trip(tmp_path: Path) -> None:
    pytest.importorskip("power_grid_model")
    from power_grid_model.utils import json_serialize

    from evgrid.network.powerflow import LoadPoints, pgm_input

    net = generate_area("cn-residential-old")
    data = pgm_input(net, LoadPoints.of(net))
    data["asym_load"]["p_specified"][:, 0] = 1000.0
    path = tmp_path / "pgm.json"
    path.write_text(json_serialize(data), encoding="utf-8")
    back = load_network(path)
    assert back.n_bus == net.n_bus and back.n_cable == net.n_cable
    np.testing.assert_allclose(back.r1_ohm, net.r1_ohm)
    assert back.units[0].rating_kva == pytest.approx(630.0)
    assert back.units[0].uk_pct == pytest.approx(4.0)


def test_ieee_european_lv_feeder_from_pandapower() -> None:
    pytest.importorskip("pandapower", reason="the feeder's data ships with pandapower")
    assert "ieee-eu-lv" in bundled_names()
    net = bundled("ieee-eu-lv")
    assert net.n_bus == 906 and net.n_cable == 905  # the 907th bus is the 11 kV source bus
    assert int(net.households.sum()) == 55  # 55 single-phase customers
    assert net.units[0].rating_kva == pytest.approx(800.0)
    assert net.nominal_v == pytest.approx(416.0)
