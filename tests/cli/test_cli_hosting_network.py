"""``evgrid hosting SITE`` on a site that names its low-voltage network: the network's answer,
what binds first, the report's one-line diagram; a bad network is one line, exit 2, no file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import evgrid.cli

pytest.importorskip("power_grid_model")
runner = CliRunner()

SITE = """\
kind: residential
name: Old community
built: 1990
households: 324
parking_spaces: 135
transformer_kva: 630
network: {network}
"""
"""A community the size of the bundled ``cn-residential-old`` area (report 3.1)."""


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(evgrid.cli.app, list(args))
    return result.exit_code, result.stdout, result.stderr


def _site(tmp_path: Path, network: str = "cn-residential-old") -> Path:
    path = tmp_path / "site.yaml"
    path.write_text(SITE.format(network=network), encoding="utf-8")
    return path


def test_hosting_shows_the_network_binding(tmp_path: Path) -> None:
    site = _site(tmp_path)
    code, out, err = _run("hosting", str(site), "--network-days", "2")
    assert code == 0, err
    assert "Low-voltage network cn-residential-old" in out
    assert "binds first in the network" in out and "which binds" in out
    assert "at the transformer's answer" in out  # the extremes there
    code, out, err = _run("hosting", str(site), "--network-days", "2", "--json")
    assert code == 0, err
    doc = json.loads(out)
    net = doc["result"]["network"]
    assert net["network"] == "cn-residential-old"
    assert set(net["hosting"]) == {"uncontrolled", "valley-filling"}
    assert {"element", "kind"} <= set(net["binding"])
    for r in doc["result"]["results"]:
        mine = r["network"]
        assert mine["pile_ratio"] == net["hosting"][mine["strategy"]]
        assert r["recommended_pile_ratio"] == min(r["transformer_pile_ratio"], mine["pile_ratio"])
        if mine["pile_ratio"] < r["transformer_pile_ratio"]:
            assert r["binding"] == mine["binding"]
    assert doc["request"]["site"]["network"] == "cn-residential-old"


def test_a_network_of_another_size_is_said_so(tmp_path: Path) -> None:
    """A bundled area stands for a typical one of its kind: when its households or spaces are
    not the site's, the answer says so (and says nothing when they match)."""
    same = _run("hosting", str(_site(tmp_path)), "--network-days", "1")
    assert same[0] == 0, same[2]
    assert "not a study of this site's drawing" not in " ".join(same[1].split())
    bigger = tmp_path / "bigger.yaml"
    bigger.write_text(
        SITE.format(network="cn-residential-old").replace("households: 324", "households: 810"),
        encoding="utf-8",
    )
    code, out, err = _run("hosting", str(bigger), "--network-days", "1")
    assert code == 0, err
    words = " ".join(out.split())
    assert (
        "cn-residential-old has 324 households and 135 parking spaces, the site 810 and 135"
        in words
    )
    assert "not a study of this site's drawing" in words


def test_the_report_embeds_the_one_line_diagram(tmp_path: Path) -> None:
    out = tmp_path / "report"
    code, _, err = _run("hosting", str(_site(tmp_path)), "--network-days", "1", "--out", str(out))
    assert code == 0, err
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "Low-voltage network cn-residential-old" in html
    assert html.count('class="figure"') >= 2  # the hosting chart and the one-line diagram
    envelope = html.split('id="evgrid-envelope">')[1].split("</script>")[0]
    assert json.loads(envelope)["result"]["network"]["network"] == "cn-residential-old"


def test_a_network_option_judges_a_site_without_one(tmp_path: Path) -> None:
    plain = tmp_path / "plain.yaml"
    plain.write_text(SITE.split("network:")[0], encoding="utf-8")
    code, out, err = _run("hosting", str(plain), "--json")
    assert code == 0, err
    assert "network" not in json.loads(out)["result"]  # a site without a network: as before
    code, out, err = _run(
        "hosting", str(plain), "--network", "cn-feeder-4x25", "--network-days", "1", "--json"
    )
    assert code == 0, err
    assert json.loads(out)["result"]["network"]["network"] == "cn-feeder-4x25"


BAD_NETWORK = "name: x\ntransformers: []\n"


@pytest.mark.parametrize(
    ("network", "extra", "words"),
    [
        ("cn-residental-old", [], "site.yaml: network: got 'cn-residental-old'; allowed: a "),
        ("area.yaml", [], "area.yaml: got 'missing file'"),
        ("bad.yaml", [], "bad.yaml: transformers: got []"),
        ("cn-residential-old", ["--network", "area.txt"], "--network: got 'area.txt'"),
        ("cn-residential-old", ["--network-days", "0"], "--network-days: got 0"),
    ],
)
def test_a_bad_network_is_one_line_and_writes_nothing(
    tmp_path: Path, network: str, extra: list[str], words: str
) -> None:
    (tmp_path / "bad.yaml").write_text(BAD_NETWORK, encoding="utf-8")
    out = tmp_path / "report"
    code, stdout, err = _run("hosting", str(_site(tmp_path, network)), *extra, "--out", str(out))
    assert code == 2, (stdout, err)
    assert err.count("\n") == 1 and err.startswith("evgrid: error: ") and words in err, err
    assert "Traceback" not in err and not out.exists() and stdout == ""


def test_network_days_needs_a_network(tmp_path: Path) -> None:
    plain = tmp_path / "plain.yaml"
    plain.write_text(SITE.split("network:")[0], encoding="utf-8")
    code, _, err = _run("hosting", str(plain), "--network-days", "3")
    assert code == 2 and "--network-days: got 3; allowed: only with a network" in err, err
