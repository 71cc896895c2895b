"""A site's low-voltage network: the site field, hosting with the network in Python, the city.

The network binds first on a weak lane (a long 25 mm² cable): the recommendation falls to the
network's answer and names the element; on a strong network behind a small transformer the
transformer still binds. The network's answer is exactly the network study's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import evgrid
from evgrid.grid.site import parse_site

pytest.importorskip("power_grid_model")

DAYS = 2
"""Monte Carlo days of every network study here (small: a study takes about a second)."""

WEAK_LANE = """\
name: weak-lane
transformers:
  - {name: T1, bus: LV, rating_kva: 630}
buses:
  - {name: LV}
  - {name: B1, households: 30, spaces: 30}
cables:
  - {from: LV, to: B1, type: YJLV22-4x25, length_m: 200}
"""
"""Thirty households at the end of 200 m of 4 x 25 mm² aluminium: the cable binds early."""

STRONG_LANE = WEAK_LANE.replace("weak-lane", "strong-lane").replace(
    "YJLV22-4x25, length_m: 200", "YJV22-4x240, length_m: 10"
)
"""The same households behind 10 m of 4 x 240 mm² copper and a 630 kVA unit."""


def _site(tmp_path: Path, network: str, transformer_kva: float = 630) -> Any:
    text = (
        "kind: residential\nname: Lane\nbuilt: 1990\nhouseholds: 30\nparking_spaces: 30\n"
        f"transformer_kva: {transformer_kva}\nnetwork: {network}\n"
    )
    (tmp_path / "site.yaml").write_text(text, encoding="utf-8")
    return evgrid.load_site(tmp_path / "site.yaml")


def _files(tmp_path: Path) -> None:
    (tmp_path / "nets").mkdir(exist_ok=True)
    (tmp_path / "nets" / "weak.yaml").write_text(WEAK_LANE, encoding="utf-8")
    (tmp_path / "nets" / "strong.yaml").write_text(STRONG_LANE, encoding="utf-8")


BASE = {"kind": "residential", "name": "A", "households": 30, "parking_spaces": 30,
        "transformer_kva": 630}  # fmt: skip


def test_the_site_field_takes_a_bundled_area_or_a_file_beside_the_site(tmp_path: Path) -> None:
    _files(tmp_path)
    assert parse_site({**BASE, "network": "cn-residential-old"}).network == "cn-residential-old"
    site = _site(tmp_path, "nets/weak.yaml")
    assert site.network == (tmp_path / "nets" / "weak.yaml").resolve()
    assert evgrid.load_site(tmp_path / "site.yaml") == site
    for bad, words in (
        ("cn-residental-old", "a bundled area (ieee-eu-lv, cn-residential-old"),
        ("nets/weak.txt", "or a network file (.yaml, .yml, .json) relative to the site file"),
        ("nets/missing.yaml", "missing file"),
        (7, "a bundled area"),
    ):
        with pytest.raises(evgrid.InputError) as info:
            parse_site({**BASE, "network": bad}, "site.yaml", base_dir=tmp_path)
        assert str(info.value).startswith("site.yaml: network: "), info.value
        assert words in str(info.value) and info.value.field == "network"


def test_an_office_park_names_no_network() -> None:
    office = {"kind": "office", "name": "O", "floor_area_m2": 1e4, "parking_spaces": 10,
              "transformer_kva": 800, "regular_peak_kw": 300, "peak_year": 2023}  # fmt: skip
    with pytest.raises(evgrid.InputError, match="unknown key 'network'"):
        parse_site({**office, "network": "cn-residential-old"})


def test_a_sender_names_no_path_network_or_climate(tmp_path: Path) -> None:
    """What the web app passes: only bundled names and the files sent with the document."""
    _files(tmp_path)
    sent = {"weak.yaml": tmp_path / "nets" / "weak.yaml"}
    site = parse_site({**BASE, "network": "weak.yaml"}, network_files=sent)
    assert site.network == tmp_path / "nets" / "weak.yaml"
    assert parse_site({**BASE, "network": "cn-residential-old"}, network_files={}).network
    for field, value in (
        ("network", str(tmp_path / "nets" / "weak.yaml")),
        ("network", "../weak.yaml"),
        ("climate", "/etc/passwd"),
    ):
        with pytest.raises(evgrid.InputError) as info:
            parse_site({**BASE, field: value}, network_files=sent)
        assert info.value.field == field and "no path it names is opened" in str(info.value)
    assert parse_site({**BASE, "climate": "chengdu"}, network_files={}).climate == "chengdu"


def test_a_climate_file_is_read_beside_the_site(tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text("x", encoding="utf-8")
    site = parse_site({**BASE, "climate": "c.csv"}, base_dir=tmp_path)
    assert site.climate == (tmp_path / "c.csv").resolve()


def test_a_network_that_binds_first_lowers_the_recommendation(tmp_path: Path) -> None:
    _files(tmp_path)
    site = _site(tmp_path, "nets/weak.yaml")
    alone = evgrid.hosting(site, network=False)
    assert alone.network is None and alone.recommended_pile_ratio == 1.0
    both = evgrid.hosting(site, network_days=DAYS)  # the site's own, as every face takes it
    assert both.to_dict() == evgrid.hosting(site, network=True, network_days=DAYS).to_dict()
    net = both.network
    assert net is not None and net.network == "weak-lane" and net.strategy == "uncontrolled"
    assert net.pile_ratio < alone.recommended_pile_ratio
    assert both.transformer_pile_ratio == alone.recommended_pile_ratio
    assert both.recommended_pile_ratio == net.pile_ratio
    assert both.recommended_piles == int(np.floor(net.pile_ratio * 30 + 1e-9))
    assert both.binding == net.binding and net.kind in ("cable", "undervoltage", "unbalance")
    assert net.element.split()[0] in ("cable", "bus")
    doc = both.to_dict()
    assert doc["recommended_pile_ratio"] == net.pile_ratio
    assert doc["transformer_pile_ratio"] == alone.recommended_pile_ratio
    assert doc["network"]["element"] == net.element and doc["binding"] == net.binding
    low, high = both.recommended_interval
    assert low <= high == net.pile_ratio


def test_the_network_answer_is_the_network_studys(tmp_path: Path) -> None:
    """The same cars, households and seed as :func:`evgrid.network.study.network` alone."""
    from evgrid.network.study import network
    from evgrid.planning.basis import load_basis
    from evgrid.planning.network_hosting import household_day_kw

    _files(tmp_path)
    site = _site(tmp_path, "nets/weak.yaml")
    both = evgrid.hosting(site, network=True, network_days=DAYS, rng=5)
    study = network(
        tmp_path / "nets" / "weak.yaml",
        days=DAYS,
        seed=5,
        strategies=("uncontrolled",),
        behaviour=load_basis(None).behaviour("residential"),
        household_day_kw=household_day_kw(site),
    )
    assert both.network is not None
    assert both.network.pile_ratio == study.hosting["uncontrolled"].pile_ratio
    assert both.network.element == study.hosting["uncontrolled"].binding.element
    # one household's day is the site's regular load at the planning index over its households
    assert household_day_kw(site).max() == pytest.approx(1.3, rel=1e-9)


def test_a_transformer_that_binds_first_keeps_its_answer(tmp_path: Path) -> None:
    _files(tmp_path)
    site = _site(tmp_path, "nets/strong.yaml", transformer_kva=100)
    alone = evgrid.hosting(site, network=False)
    both = evgrid.hosting(site, network=True, network_days=DAYS)
    assert both.network is not None and both.network.pile_ratio > alone.recommended_pile_ratio
    assert both.recommended_pile_ratio == alone.recommended_pile_ratio
    assert both.binding == alone.binding == "transformer loading"


def test_site_hosting_runs_one_study_for_every_strategy(tmp_path: Path) -> None:
    from evgrid.planning.hosting import site_hosting

    _files(tmp_path)
    site = _site(tmp_path, "nets/weak.yaml")
    results = site_hosting(site, network_days=DAYS)
    assert [r.strategy for r in results] == ["uncontrolled", "orderly"]
    nets = [r.network for r in results]
    assert all(n is not None for n in nets)
    assert [n.strategy for n in nets if n is not None] == ["uncontrolled", "valley-filling"]
    assert nets[0] is not None and nets[1] is not None and nets[0].study is nets[1].study
    for r in results:
        assert r.network is not None
        assert r.recommended_pile_ratio == min(r.transformer_pile_ratio, r.network.pile_ratio)
    # a network given overrides the site's; False leaves the transformer alone
    given = site_hosting(site, network="cn-feeder-4x25", network_days=1, strategy="uncontrolled")
    assert given[0].network is not None and given[0].network.network == "cn-feeder-4x25"
    assert site_hosting(site, network=False)[0].network is None


def test_hosting_request_and_its_envelope(tmp_path: Path) -> None:
    _files(tmp_path)
    _site(tmp_path, "nets/weak.yaml")
    answer = evgrid.HostingRequest(
        site=tmp_path / "site.yaml", method="timeseries", days=3, network_days=DAYS
    ).run()
    doc = answer.to_dict()
    assert doc["request"]["network_days"] == DAYS
    assert doc["request"]["site"]["network"] == "weak.yaml"
    net = doc["result"]["network"]
    assert net["network"] == "weak-lane" and set(net["hosting"]) == {"uncontrolled"}
    first = doc["result"]["results"][0]
    assert first["recommended_pile_ratio"] == net["hosting"]["uncontrolled"]
    assert first["binding"] == first["network"]["binding"]
    html = answer.html()
    assert "weak-lane" in html and html.count('class="figure"') >= 2
    with pytest.raises(evgrid.InputError, match="network_days: got 3; allowed: only with"):
        evgrid.hosting(parse_site(BASE), network_days=3)


def test_participation_reaches_the_network_study(tmp_path: Path) -> None:
    _files(tmp_path)
    site = _site(tmp_path, "nets/weak.yaml")
    r = evgrid.hosting(site, strategy="orderly", participation=0.5, network=True, network_days=DAYS)
    assert r.network is not None and r.network.study.request["participation"] == 0.5
    with pytest.raises(evgrid.InputError, match=r"participation: got 0\.5; allowed: 1 with"):
        from evgrid.network.study import network

        network("cn-feeder-4x25", days=1, strategies=("network-valley-filling",), participation=0.5)


CITY = """\
id,kind,name,type,households,parking_spaces,transformer_kva,network
a,residential,Lane A,old,30,30,630,nets/weak.yaml
b,residential,Plain B,sub-new,500,400,1250,
c,residential,Bad C,old,30,30,630,nets/missing.yaml
"""


def test_a_city_names_a_network_per_site(tmp_path: Path) -> None:
    from evgrid.city.network import network_stream
    from evgrid.city.run import run_city
    from evgrid.city.settings import city_settings
    from evgrid.network.study import network
    from evgrid.planning.network_hosting import household_day_kw
    from evgrid.report.city import city_html

    _files(tmp_path)
    table = tmp_path / "city.csv"
    table.write_text(CITY, encoding="utf-8")
    settings = city_settings("medium", network_days=DAYS)
    run = run_city(table, settings, tmp_path / "run")
    assert (run.n_sites, run.n_errors) == (2, 1)
    errors = pd.read_csv(tmp_path / "run" / "errors.csv")
    assert errors.loc[0, "field"] == "network" and "missing file" in errors.loc[0, "message"]
    up = pd.read_parquet(tmp_path / "run" / "upgrades.parquet").set_index(["site_id", "strategy"])
    lane = up.loc[("a", "uncontrolled")]
    assert lane["network"] == "weak-lane" and 0.0 <= lane["network_pile_ratio"] < 1.0
    assert lane["network_binding"].split()[0] in ("cable", "bus")
    assert lane["network_binding_kind"] in ("cable", "undervoltage", "unbalance")
    assert lane["network_year"] == settings.scenario.years[0]  # beyond its hosting from the start
    # the site's own stream: the network study of the site alone, whatever the chunk
    study = network(
        tmp_path / "nets" / "weak.yaml",
        days=DAYS,
        seed=np.random.default_rng(network_stream(settings.seed, "a")),
        strategies=("uncontrolled",),
        behaviour=settings.basis.behaviour("residential"),
        household_day_kw=household_day_kw(_site(tmp_path, "nets/weak.yaml")),
    )
    assert lane["network_pile_ratio"] == study.hosting["uncontrolled"].pile_ratio
    assert up.loc[("a", "orderly"), "network"] == "weak-lane"
    assert pd.isna(up.loc[("a", "partial"), "network"])  # partial: not built
    plain = up.loc[("b", "uncontrolled")]
    assert pd.isna(plain["network"]) and pd.isna(plain["network_pile_ratio"])
    res = pd.read_parquet(tmp_path / "run" / "results.parquet")
    rows = res[(res.site_id == "a") & (res.strategy == "uncontrolled")]
    assert (rows.network_fails == (rows.pile_ratio > rows.network_pile_ratio)).all()
    assert res[res.site_id == "b"].network_fails.isna().all()
    # the summary counts the networks (per strategy; partial has none) and the page shows them
    summary = json.loads((tmp_path / "run" / "summary.json").read_text(encoding="utf-8"))
    nets = summary["networks"]
    assert nets["cost_basis"] == "illustrative" and set(nets["strategies"]) == {
        "uncontrolled",
        "orderly",
    }
    mine = nets["strategies"]["uncontrolled"]
    assert (mine["sites"], mine["fail"]) == (1, 1)
    assert mine["by_kind"] == {lane["network_binding_kind"]: 1}
    assert mine["cost_yuan"] == pytest.approx(lane["network_cost_yuan"])
    first = pd.isna(lane["upgrade_year"]) or lane["network_year"] < lane["upgrade_year"]
    assert mine["binds_first"] == int(first)
    assert "Low-voltage networks (sites that name one)" in city_html(summary)
    assert "低压台区" in city_html(summary, "zh")
