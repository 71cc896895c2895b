"""One site's upgrade timeline is the city run's rows for it; the shared settings and report."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from evgrid.city.settings import city_settings
from evgrid.city.site_upgrade import site_upgrade
from evgrid.city.sites import read_sites
from evgrid.city.synth import synth_city, write_city
from evgrid.errors import InputError
from evgrid.grid.site import report_cases
from evgrid.params import parameter
from evgrid.planning.scenarios import bundled_scenario, load_scenario
from evgrid.report.city import SUMMARY_FILE, city_report, site_upgrade_table


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("city") / "city.csv"
    write_city(synth_city(6, rng=3), path)
    return path


def _same(a: object, b: object) -> bool:
    return bool(a == b or (a is None and pd.isna(b)))


@pytest.mark.parametrize("method", ["index", "timeseries"])
def test_site_upgrade_is_the_city_runs_rows_for_the_site(
    city: Path, tmp_path: Path, method: str
) -> None:
    options = {"days": 2, "seed": 7} if method == "timeseries" else {}
    settings = city_settings("high", method=method, **options)  # type: ignore[arg-type]
    report = city_report(city, settings, tmp_path / "run")
    upgrades = pd.read_parquet(report.files["upgrades.parquet"])
    results = pd.read_parquet(report.files["results.parquet"])
    rows = read_sites(city)
    for site_id, site in zip(rows.ids, rows.sites, strict=True):
        one = site_upgrade(site, settings, site_id=site_id)
        assert [r["strategy"] for r in one.upgrades] == ["uncontrolled", "orderly", "partial"]
        mine = upgrades[upgrades.site_id == site_id].to_dict("records")
        for got, want in zip(one.upgrades, mine, strict=True):
            assert all(_same(got[k], want[k]) for k in got), (got, want)
        by_year = results[results.site_id == site_id].to_dict("records")
        assert len(one.results) == len(by_year) == 3 * len(one.years)
        for got, want in zip(one.results, by_year, strict=True):
            assert all(_same(got[k], want[k]) for k in got), (got, want)
    assert json.loads(json.dumps(one.to_dict()))["scenario"] == "high"


def test_site_upgrade_of_community_c_exact() -> None:
    c = report_cases()["C"]
    one = site_upgrade(c, city_settings(strategies="uncontrolled, orderly", basis="report"))
    assert one.scenario == parameter("scenario").value == "medium"
    unc, orderly = one.upgrade("uncontrolled"), one.upgrade("orderly")
    assert unc["upgrade_year"] == 2025 and orderly["upgrade_year"] == 2040
    # as practice builds it (not 11 x 2500 kVA replacing the whole supply): the 17 200 kVA C
    # needs beyond its 10 200 kVA do not fit two more units in its room or four boxes, so a new
    # room of 1000 kVA dry-type units; illustrative costs, equipment and installation apart
    assert (unc["option"], unc["unit_kind"], unc["units"], unc["unit_kva"]) == (
        "new-room",
        "dry",
        18,
        1000.0,
    )
    assert 10200 + unc["units"] * unc["unit_kva"] >= unc["required_kva"]
    assert unc["cost_basis"] == "illustrative"
    assert unc["cost_yuan"] == pytest.approx(unc["equipment_yuan"] + unc["installation_yuan"])
    assert orderly["deferral_years"] == 15
    with pytest.raises(InputError, match="strategy: got 'partial'; allowed: one of"):
        one.upgrade("partial")
    table = site_upgrade_table(one, "zh")
    assert table.rows[0][:2] == ["无序充电", "2025"] and "情景 medium" in table.title


def test_a_community_without_type_is_refused_in_one_line() -> None:
    b = report_cases()["B"]
    with pytest.raises(InputError, match="type: got None; allowed: old, sub-new or new"):
        site_upgrade(replace(b, built=None, type=None))


def test_city_settings_refuse_what_the_command_line_refuses(tmp_path: Path) -> None:
    """The library names its own parameters (the command line names its options)."""
    for options, message in (
        ({"days": 5}, "^days: got 5; allowed: not used by the index method"),
        ({"strategies": "fast"}, "^strategies: got 'fast'"),
        ({"scenario": "nope"}, "^scenario: got 'nope'"),
        ({"method": "exact"}, "^method: got 'exact'"),
        ({"cost_per_kva": 1.0, "cost_table": "x.csv"}, "either cost_table or cost_per_kva"),
    ):
        with pytest.raises(InputError, match=message):
            city_settings(**options)  # type: ignore[arg-type]
    assert city_settings(load_scenario("report")).scenario.name == "report"


def test_bundled_scenario_opens_no_file(tmp_path: Path) -> None:
    assert bundled_scenario().name == "medium" and bundled_scenario("high").name == "high"
    path = tmp_path / "my.yaml"
    path.write_text("name: my\n")
    with pytest.raises(InputError, match=r"scenario: got '.*my\.yaml'; allowed: one of high"):
        bundled_scenario(str(path))


def test_city_report_writes_the_summary_page(city: Path, tmp_path: Path) -> None:
    report = city_report(city, city_settings(), tmp_path / "run", lang="zh")
    assert report.page == tmp_path / "run" / SUMMARY_FILE
    assert "城市逐年配变改造" in report.page.read_text(encoding="utf-8")
    assert set(report.files) == {
        "results.parquet",
        "results.csv",
        "upgrades.parquet",
        "upgrades.csv",
        "errors.csv",
        "summary.json",
        SUMMARY_FILE,
    }
    with pytest.raises(InputError, match="lang: got 'fr'"):
        city_report(city, city_settings(), tmp_path / "other", lang="fr")
    assert not (tmp_path / "other").exists()
