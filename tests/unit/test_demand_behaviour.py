"""Behaviour presets (report section 2) and behaviour files."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from evgrid.demand.behaviour import Behaviour
from evgrid.demand.distributions import Binned, Discrete
from evgrid.errors import InputError
from evgrid.params import default


def _mass(dist: Binned | Discrete, low: float, high: float) -> float:
    assert isinstance(dist, Binned)
    return float(dist.cdf(high) - dist.cdf(low))


def test_home_preset_follows_report_section_2() -> None:
    b = Behaviour.home()
    assert _mass(b.arrival_hour, 16, 20) > 0.5  # arrivals mainly 16:00-20:00
    assert _mass(b.departure_hour, 7, 9) > 0.4  # departures peak 07:00-09:00
    assert b.battery_kwh.low == 40 and b.battery_kwh.high == 90
    assert b.end_soc.low == pytest.approx(0.9)
    assert b.consumption_kwh_per_100km.low == 14 and b.consumption_kwh_per_100km.high == 20
    assert b.consumption_kwh_per_100km.mean() == pytest.approx(15.0, abs=0.05)
    assert isinstance(b.charger_power_kw, Discrete)
    ac = np.isin(b.charger_power_kw.values, [3.5, 7.0])
    assert b.charger_power_kw.weights[ac].sum() > 0.9  # mostly AC 3.5 and 7 kW
    assert np.all((b.charger_power_kw.values[~ac] >= 30) & (b.charger_power_kw.values[~ac] <= 45))
    k = b.charge_interval_days
    assert k.weights[k.values == 1].sum() == pytest.approx(0.32)  # once a day 32 %
    assert k.weights[k.values >= 3.5].sum() == pytest.approx(0.27)  # 1-2 times a week 27 %
    assert b.charger_efficiency == default("charger_efficiency") == 0.9


def test_distance_shares_renormalised_proportionally() -> None:
    b = Behaviour.home()
    assert isinstance(b.distance_km, Binned)
    shares = np.array([49.8, 49.8, 3.1, 0.9, 0.6])
    # stored renormalised to 1e-4 % (data/behaviour/distance.csv)
    assert b.distance_km.weights == pytest.approx(shares / 104.2, rel=1e-4)
    assert b.distance_km.cdf(60) == pytest.approx(99.6 / 104.2, rel=1e-4)  # "95 % under 60 km"


def test_office_preset_morning_arrival_evening_departure() -> None:
    b = Behaviour.office()
    assert _mass(b.arrival_hour, 7, 11) > 0.8
    assert _mass(b.departure_hour, 17, 19) > 0.5


def test_preset_rejects_unknown_name() -> None:
    with pytest.raises(
        InputError, match="one of home, office, report, elaadnl, electric-nation, design"
    ):
        Behaviour.preset("school")


def test_presets_are_listed_and_load() -> None:
    names = Behaviour.presets()
    assert names == (
        "home",
        "office",
        "report",
        "elaadnl",
        "electric-nation",
        "design",
        "design-report-energy",
    )
    for name in names:
        b = Behaviour.preset(name)
        assert b is Behaviour.preset(name)  # cached
        assert Behaviour.load(name) is b
    # the report preset differs from home only in how often cars charge
    home, report = Behaviour.home(), Behaviour.preset("report")
    assert report.arrival_hour.edges == pytest.approx(home.arrival_hour.edges)  # type: ignore[union-attr]
    assert report.charge_interval_days.values.tolist() == [1.0, 7.0, 10.0, 14.0]
    # measured presets draw the energy of a session, on a 7 kW pile, three plug-ins a week
    for name in ("elaadnl", "electric-nation"):
        b = Behaviour.preset(name)
        assert b.session_energy_kwh is not None
        assert b.charger_power_kw.mean() == 7.0
        k = b.charge_interval_days
        assert float(np.sum(k.weights / k.values)) * 7 == pytest.approx(3.0)
    assert home.session_energy_kwh is None


def test_load_reads_a_file_when_not_a_preset_name(tmp_path: Path) -> None:
    f = tmp_path / "b.yaml"
    f.write_text("preset: elaadnl\nsession_energy_kwh: null\n")
    b = Behaviour.load(str(f))
    assert b.session_energy_kwh is None
    assert b.arrival_hour is Behaviour.preset("elaadnl").arrival_hour
    with pytest.raises(InputError, match="missing file"):
        Behaviour.load("no-such-preset")


def test_from_file_overrides(tmp_path: Path) -> None:
    (tmp_path / "arrivals.csv").write_text("lower,upper,weight\n18,19,1\n19,20,1\n")
    f = tmp_path / "b.yaml"
    f.write_text(
        "preset: office\n"
        "arrival_hour: arrivals.csv\n"
        "charger_power_kw: 11\n"
        "distance_km: {edges: [0, 10, 20], weights: [1, 3]}\n"
        "charge_interval_days: {values: [1, 2], weights: [1, 1]}\n"
        "charger_efficiency: 0.95\n"
    )
    b = Behaviour.from_file(f)
    assert isinstance(b.arrival_hour, Binned)
    assert b.arrival_hour.edges == pytest.approx([18, 19, 20])
    assert b.charger_power_kw.mean() == 11.0
    assert b.distance_km.mean() == pytest.approx(0.25 * 5 + 0.75 * 15)
    assert b.charger_efficiency == 0.95
    assert b.departure_hour is Behaviour.office().departure_hour  # untouched fields from preset
    g = tmp_path / "b.json"
    g.write_text(json.dumps({"battery_kwh": 60}))
    assert Behaviour.from_file(g).battery_kwh.mean() == 60.0


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("colour: red\n", "colour"),
        ("arrival_hour: 25\n", "arrival_hour"),
        ("charge_interval_days: 1.5\n", "whole days"),
        ("charge_interval_days: {edges: [1, 2], weights: [1]}\n", "discrete"),
        ("charger_efficiency: 1.2\n", r"\(0, 1\]"),
        ("charger_efficiency: fast\n", "a number"),
        ("battery_kwh: {edges: [0, 1]}\n", "CSV path"),
        ("distance_km: {edges: [0, 10], weights: [-1]}\n", ">= 0"),
        ("arrival_hour: missing.csv\n", "missing file"),
        ("- a list\n", "mapping"),
        ("a: [\n", "valid YAML"),
        ("preset: school\n", "bad.yaml: preset"),
    ],
)
def test_from_file_bad_input(tmp_path: Path, text: str, match: str) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text(text)
    with pytest.raises(InputError, match=match) as err:
        Behaviour.from_file(f)
    assert "\n" not in str(err.value)


def test_replace_validates() -> None:
    with pytest.raises(InputError, match="min_start_soc"):
        dataclasses.replace(Behaviour.home(), min_start_soc=0.95)
    with pytest.raises(InputError, match="charger_power_kw"):
        dataclasses.replace(Behaviour.home(), charger_power_kw=Discrete.constant(0.0))
