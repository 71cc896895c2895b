"""The Python API at its boundary: every public entry point answers a wrong type, NaN, an
infinity, an empty or ragged array, or a path where an object is wanted with one
:class:`~evgrid.errors.InputError` line -- never ``TypeError``, ``AttributeError``, numpy's
``ValueError`` or a result computed from NaN."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import evgrid
from evgrid import InputError

A = evgrid.report_cases()["A"]
HOME = evgrid.Behaviour.preset("home")
S = evgrid.Sessions([18.0, 19.0], [31.0, 30.0], [10.0, 5.0], [7.0, 7.0])
SITE_DOC = {
    "kind": "residential",
    "name": "x",
    "households": 10,
    "parking_spaces": 5,
    "transformer_kva": 100,
    "built": 1990,
    "regular_peak_kw": 50,
}
CASE_A = str(Path(evgrid.__file__).parent / "data" / "cases" / "A.yaml")
SESSIONS_KW = {
    "arrival_h": [18.0],
    "departure_h": [20.0],
    "energy_kwh": [5.0],
    "max_power_kw": [7.0],
}

BAD: dict[str, Any] = {
    "nan": math.nan,
    "inf": math.inf,
    "dict": {"a": 1},
    "object": object(),
    "empty": np.array([]),
    "2d": np.ones((2, 2)),
    "bool": True,
}
TEXT = {"text": "abc", "path": "site.yaml"}
"""Refused where a number, an array or an object (not text) is wanted."""

CALLS: dict[str, tuple[Callable[..., Any], dict[str, Any], dict[str, set[str]]]] = {
    # name: (function, valid keyword arguments, parameter -> the bad kinds it must refuse)
    "hosting": (
        evgrid.hosting,
        {"site": A},
        {
            "site": {*BAD, *TEXT},
            "method": set(BAD),
            "strategy": set(BAD),
            "participation": {*BAD, *TEXT},
            "limit": {*BAD, *TEXT},
            "criterion": set(BAD),
            "year": {*BAD, *TEXT},
            "study_year": {*BAD, *TEXT},
        },
    ),
    "schedule": (
        evgrid.schedule,
        {"sessions": S},
        {
            "sessions": {*BAD, *TEXT},
            "strategy": set(BAD),
            "slot_min": {*BAD, *TEXT},
            "n_days": {*BAD, *TEXT},
            "base_kw": {*BAD, *TEXT} - {"bool"},
            "limit_kw": {*BAD, *TEXT},
            "participation": {*BAD, *TEXT},
            "rng": {*BAD, *TEXT},
        },
    ),
    "sample_sessions": (
        evgrid.sample_sessions,
        {"behaviour": HOME, "n_vehicles": 3, "rng": 1},
        {"behaviour": {*BAD, *TEXT}, "n_vehicles": {*BAD, *TEXT}, "days": {*BAD, *TEXT}},
    ),
    "Sessions": (
        evgrid.Sessions,
        SESSIONS_KW,
        {
            "arrival_h": {*BAD, *TEXT},
            "departure_h": {*BAD, *TEXT},
            "energy_kwh": {*BAD, *TEXT},
            "max_power_kw": {*BAD, *TEXT},
            "vehicle": {*BAD, *TEXT} - {"empty"},
        },
    ),
    "TimeGrid": (
        evgrid.TimeGrid,
        {},
        {"slot_min": {*BAD, *TEXT}, "n_days": {*BAD, *TEXT}},
    ),
    "Transformer": (
        evgrid.Transformer,
        {"rating_kva": 630},
        {"rating_kva": {*BAD, *TEXT}, "power_factor": {*BAD, *TEXT}, "cooling": set(BAD)},
    ),
    "evaluate": (
        lambda total_kw, criterion="loading": evgrid.Transformer(630).evaluate(total_kw, criterion),
        {"total_kw": np.full(96, 300.0)},
        {"total_kw": {*BAD, *TEXT} - {"2d"}, "criterion": set(BAD)},
    ),
    "typical_curve": (
        evgrid.typical_curve,
        {"kind": "residential", "peak_kw": 500},
        {
            "kind": set(BAD),
            "peak_kw": {*BAD, *TEXT},
            "valley_kw": {*BAD, *TEXT},
            "slot_min": {*BAD, *TEXT},
        },
    ),
    "LoadCurve": (
        evgrid.LoadCurve,
        {"power_kw": np.ones((1, 24)), "slot_min": 60},
        {"power_kw": {*BAD, *TEXT} - {"2d"}, "slot_min": {*BAD, *TEXT}},
    ),
    "parse_site": (
        evgrid.parse_site,
        {"data": SITE_DOC},
        {"data": {*BAD, *TEXT}, "where": set(BAD), "base_dir": set(BAD) - {"bool"}},
    ),
    "load_site": (evgrid.load_site, {"path": CASE_A}, {"path": set(BAD)}),
    "read_sessions": (evgrid.read_sessions, {"path": CASE_A}, {"path": set(BAD)}),
    "read_load_curve": (evgrid.read_load_curve, {"path": CASE_A}, {"path": set(BAD)}),
    "coincidence_factor": (
        evgrid.coincidence_factor,
        {"behaviour": HOME, "n_piles": [1, 2], "n_runs": 2, "rng": 1},
        {
            "behaviour": {*BAD, *TEXT},
            "n_piles": {*BAD, *TEXT},
            "days": {*BAD, *TEXT},
            "slot_min": {*BAD, *TEXT},
            "pile_kw": {*BAD, *TEXT},
        },
    ),
    "orderly_impact": (
        evgrid.orderly_impact,
        {"site": A, "days": 1, "rng": 1},
        {
            "site": {*BAD, *TEXT},
            "ev_share": {*BAD, *TEXT},
            "strategies": {*BAD, *TEXT},
            "days": {*BAD, *TEXT},
            "behaviour": set(BAD),
        },
    ),
    "site_upgrade": (
        evgrid.site_upgrade,
        {"site": A},
        {"site": {*BAD, *TEXT}, "settings": {*BAD, *TEXT}, "site_id": set(BAD) - {"bool"}},
    ),
    "city_settings": (
        evgrid.city_settings,
        {},
        {
            "scenario": set(BAD),
            "method": set(BAD),
            "strategies": set(BAD),
            "cost_per_kva": {*BAD, *TEXT},
            "cost_table": set(BAD),
            "discount_rate": {*BAD, *TEXT},
        },
    ),
    "ResidentialAssumptions": (
        evgrid.ResidentialAssumptions,
        {},
        {"limit_pu": {*BAD, *TEXT}, "study_year": {*BAD, *TEXT}, "coefficient_bands": set(BAD)},
    ),
    "write_sessions": (
        evgrid.write_sessions,
        {"sessions": S, "path": "/nonexistent-folder/s.csv"},
        {"sessions": {*BAD, *TEXT}, "path": set(BAD)},
    ),
    "parameter": (evgrid.parameter, {"name": "seed"}, {"name": {*BAD, "text"}}),
    "get_strategy": (evgrid.get_strategy, {"name": "tou"}, {"name": {*BAD, "text"}}),
}

CASES = [
    pytest.param(name, param, kind, id=f"{name}-{param}-{kind}")
    for name, (_fn, _kw, params) in CALLS.items()
    for param, kinds in params.items()
    for kind in sorted(kinds)
]


@pytest.mark.parametrize(("name", "param", "kind"), CASES)
def test_a_bad_python_value_is_one_input_error(name: str, param: str, kind: str) -> None:
    fn, valid, _params = CALLS[name]
    value = {**BAD, **TEXT}[kind]
    with pytest.raises(InputError) as info:
        fn(**{**valid, param: value})
    message = str(info.value)
    assert "\n" not in message and len(message) < 400, message


def test_sessions_refuse_what_the_file_reader_refuses() -> None:
    def refused(**change: Any) -> str:
        with pytest.raises(InputError) as info:
            evgrid.Sessions(**{**SESSIONS_KW, **change})
        return str(info.value)

    assert refused(arrival_h=[math.nan]) == "arrival_h[0]: got nan; allowed: finite numbers [h]"
    assert refused(departure_h=[17.0]) == (
        "departure_h[0]: got 17.0; allowed: a time not before arrival_h[0]"
    )
    assert refused(energy_kwh=[math.inf]) == (
        "energy_kwh[0]: got inf; allowed: finite numbers >= 0 [kWh]"
    )
    assert refused(energy_kwh=[-1.0]).startswith("energy_kwh[0]: got -1.0; allowed: finite")
    assert refused(vehicle=[0.5]) == "vehicle[0]: got 0.5; allowed: whole numbers >= 0 [-]"
    assert refused(departure_h=[20.0, 21.0]) == (
        "departure_h size: got 2; allowed: 1 entries of finite numbers [h]"
    )
    assert refused(arrival_h=[[18.0]]).startswith("arrival_h shape: got (1, 1); allowed: an array")


# --- time series with a DatetimeIndex (as pvlib takes them) -------------------------------------
def _hourly(values: np.ndarray, tz: str | None = "Asia/Shanghai") -> pd.Series:
    index = pd.date_range("2024-05-01", periods=values.size, freq="h", tz=tz)
    return pd.Series(values, index=index)


def test_an_hourly_series_is_read_as_hourly() -> None:
    load = np.r_[np.full(17, 300.0), np.full(5, 900.0), np.full(2, 300.0)]
    t = evgrid.Transformer(630)
    hourly = t.evaluate(_hourly(load), "hotspot").metric
    quarter_hours = t.evaluate(np.repeat(load, 4), "hotspot", slot_min=15).metric
    as_if_15_min = t.evaluate(load, "hotspot").metric  # the array alone: 15-min slots
    assert hourly == pytest.approx(quarter_hours, abs=0.02)
    assert abs(hourly - as_if_15_min) > 5  # five hours at 900 kW, not 75 minutes
    with pytest.raises(InputError, match=r"^slot_min: got 15; allowed: the spacing of total_kw's"):
        t.evaluate(_hourly(load), "hotspot", slot_min=15)


def test_an_irregular_index_is_refused_in_one_line() -> None:
    series = _hourly(np.full(24, 300.0)).drop(pd.Timestamp("2024-05-01 05:00", tz="Asia/Shanghai"))
    with pytest.raises(InputError) as info:
        evgrid.Transformer(630).evaluate(series)
    assert str(info.value) == (
        "total_kw index [5]: got '2024-05-01 06:00:00+08:00'; allowed: evenly spaced times: "
        "2024-05-01 04:00:00+08:00 + 60 min"
    )


def test_the_index_time_zone_is_respected() -> None:
    load = np.tile(np.r_[np.full(18, 100.0), np.full(6, 300.0)], 2)
    berlin = _hourly(load, "Europe/Berlin")
    curve = evgrid.LoadCurve.from_series(berlin)
    assert curve.slot_min == 60 and curve.power_kw.shape == (2, 24)
    assert curve.power_kw[0, 18] == 300.0  # 18:00 on Berlin's clock, not UTC's 20:00
    utc_start = berlin.tz_convert("UTC")  # 22:00 UTC the day before: not a day's start there
    with pytest.raises(InputError, match=r"^power_kw index \[0\]: got '1320 min after midnight'"):
        evgrid.LoadCurve.from_series(utc_start)
    schedule = evgrid.schedule(S, base_kw=_hourly(load))
    assert schedule.grid.slot_min == 60 and schedule.grid.n_days == 2
