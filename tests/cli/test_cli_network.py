"""``evgrid network``: JSON keys, a network file, bundled names, bad input (exit 2, one line)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import evgrid.cli

pytest.importorskip("power_grid_model")
runner = CliRunner()


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(evgrid.cli.app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_json_keys_and_hosting() -> None:
    code, out, err = _run("network", "cn-residential-old", "--days", "1", "--seed", "3",
                          "--hosting", "uncontrolled", "--json")  # fmt: skip
    assert code == 0, err
    doc = json.loads(out)["result"]
    for key in ("min_voltage_pu", "max_cable_loading_pu", "max_transformer_loading_pu",
                "max_voltage_unbalance_pct"):  # fmt: skip
        assert isinstance(doc[key], float)
    assert {"element", "kind"} <= set(doc["binding"])
    assert set(doc["hosting"]) == {"uncontrolled"}


def test_file_symmetric_and_table(tmp_path: Path) -> None:
    path = tmp_path / "area.yaml"
    path.write_text(
        "name: two-buildings\ntransformers:\n  - {name: T1, bus: LV, rating_kva: 250}\n"
        "buses:\n  - {name: LV}\n  - {name: B1, households: 30}\n"
        "  - {name: B2, households: 30, piles: [a, b, c, unknown]}\n"
        "cables:\n  - {from: LV, to: B1, type: YJLV22-4x95, length_m: 120}\n"
        "  - {from: B1, to: B2, type: YJLV22-4x95, length_m: 60}\n",
        encoding="utf-8",
    )
    code, out, err = _run("network", str(path), "--days", "1", "--symmetric", "--hosting", "",
                          "--json")  # fmt: skip
    assert code == 0, err
    doc = json.loads(out)["result"]
    assert doc["n_piles"] == 4 and doc["max_voltage_unbalance_pct"] < 1e-6
    code, out, err = _run("network", str(path), "--days", "1", "--hosting", "")
    assert code == 0 and "binds first" in out


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["nowhere.yaml"], "nowhere.yaml"),
        (["cn-residential-old", "--strategy", "fast"], "--strategy: got 'fast'"),
        (["cn-residential-old", "--ev-share", "1.5"], "--ev-share: got 1.5"),
        (["cn-residential-old", "--days", "0"], "--days: got 0"),
        (["cn-residential-old", "--hosting", "nope"], "--hosting: got 'nope'"),
    ],
)
def test_bad_input_exits_2_with_one_line(args: list[str], words: str) -> None:
    code, out, err = _run("network", *args)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and words in err
