"""Scenarios: interpolation, pile-ratio rules, load growth, sources, refused files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from evgrid.errors import InputError
from evgrid.params import parameter
from evgrid.planning.scenarios import (
    Value,
    YearSeries,
    load_scenario,
    parse_scenario,
    regular_growth,
    scenario_names,
)

GIVEN = {"value": 0.4, "source": "test"}


def _doc(**over: object) -> dict[str, object]:
    doc: dict[str, object] = {
        "name": "t",
        "years": [2025, 2030],
        "ev_share": {"points": {2025: GIVEN, 2035: {"value": 0.9, "source": "test"}}},
    }
    doc.update(over)
    return doc


def test_linear_and_step_series_exact() -> None:
    pts = {2025: Value(0.2, "given", "x"), 2035: Value(0.6, "given", "x")}
    lin = YearSeries(pts, "linear").at([2015, 2020, 2024, 2025, 2030, 2035, 2050])
    # before the first point the line through the first two continues back, not below 0
    np.testing.assert_allclose(lin, [0.0, 0.0, 0.16, 0.2, 0.4, 0.6, 0.6], atol=1e-12)
    one = YearSeries({2025: Value(0.2, "given", "x")}, "linear").at([2020, 2030])
    np.testing.assert_allclose(one, [0.2, 0.2])  # one point: held
    falling = {2025: Value(0.6, "given", "x"), 2035: Value(0.2, "given", "x")}
    np.testing.assert_allclose(YearSeries(falling, "linear").at([2020]), [0.6])
    step = YearSeries(pts, "step").at([2020, 2025, 2034, 2035])
    np.testing.assert_allclose(step, [0.0, 0.2, 0.2, 0.6])


def test_2024_is_not_given_the_2025_share() -> None:
    medium = load_scenario("medium")
    share = medium.ev_share_at([2023, 2024, 2025])
    np.testing.assert_allclose(share, [0.12, 0.17, 0.22])  # 0.22 - 0.05 a year (22 % -> 47 %)


def test_bundled_scenarios_carry_the_reports_points() -> None:
    assert scenario_names() == ["high", "medium", "report"]
    medium, high = load_scenario("medium"), load_scenario("high")
    np.testing.assert_allclose(medium.ev_share_at([2025, 2030]), [0.22, 0.47])
    np.testing.assert_allclose(high.ev_share_at([2025, 2030]), [0.30, 0.47])
    sources = dict(medium.sources)
    assert sources["ev_share 2025"].source == "report 3.3"
    assert sources["ev_share 2035"].basis == "assumed"  # a projection, marked as assumption


def test_office_rule_gives_the_reports_office_pile_share() -> None:
    # report 4.2: at least 25 % of spaces by 2025, at least the EV share (47 %) by 2030
    s = load_scenario("medium")
    share = parameter("office_pile_share").value
    np.testing.assert_allclose(s.pile_ratio("office", [2025, 2030]), [share[2025], share[2030]])
    np.testing.assert_allclose(s.pile_ratio("office", [2024, 2027]), [0.0, 0.25])


def test_pile_ratio_is_ev_share_times_cars_per_space_at_most_one() -> None:
    s = parse_scenario(_doc(types={"new": {"cars_per_space": {"value": 1.5, "source": "t"}}}))
    np.testing.assert_allclose(s.pile_ratio("new", [2025, 2035]), [0.6, 1.0])
    np.testing.assert_allclose(s.pile_ratio("old", [2025]), [0.4])


def test_participation_follows_the_policy_path() -> None:
    s = load_scenario("medium")
    np.testing.assert_allclose(s.participation_at([2023, 2025, 2030, 2040]), [0.02, 0.1, 1, 1])


def test_regular_growth_fill_and_rate_exact() -> None:
    base = np.array([100.0, 100.0, 200.0])
    cap = np.array([150.0, 110.0, 100.0])
    factor = regular_growth(
        base,
        cap,
        [2023, 2024, 2028, 2040],
        2023,
        np.array([0.0, 0.05, 0.05]),
        np.array([5.0, np.nan, np.nan]),
    )
    np.testing.assert_allclose(factor[0], [1.0, 1.1, 1.5, 1.5])  # fills to the index in 5 years
    np.testing.assert_allclose(factor[1], [1.0, 1.05, 1.1, 1.1])  # grows, capped at the index
    np.testing.assert_allclose(factor[2], [1.0, 1.0, 1.0, 1.0])  # already above the index


def test_a_value_without_source_is_refused() -> None:
    with pytest.raises(InputError, match=r"ev_share: points: 2025: got 0\.3; allowed: "):
        parse_scenario(_doc(ev_share={"points": {2025: 0.3}}))


def test_unknown_key_and_bad_share_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown key 'ev'"):
        parse_scenario(_doc(ev=1))
    with pytest.raises(InputError, match=r"got 1\.5; allowed: a number in \[0, 1\]"):
        parse_scenario(_doc(ev_share={"points": {2025: {"value": 1.5, "source": "x"}}}))
    bad = tmp_path / "s.yaml"
    bad.write_text("name: [\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"s\.yaml line 2: got .*; allowed: valid YAML"):
        load_scenario(bad)
    with pytest.raises(InputError, match=r"^scenario: got 'nope'"):
        load_scenario("nope")
