"""Tariffs: bands by time of day and season, prices per slot, spreads, documents."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from evgrid.errors import InputError
from evgrid.incentives.tariffs import (
    BANDS,
    bundled_tariff_names,
    load_tariff,
    parse_tariff,
    report_tariff,
)
from evgrid.timegrid import TimeGrid

TWO_BANDS = {
    "name": "t",
    "bands": {"peak": {"energy_yuan_per_kwh": 0.6, "service_yuan_per_kwh": 0.4},
              "valley": {"energy_yuan_per_kwh": 0.2, "service_yuan_per_kwh": 0.4}},
    "periods": [{"start": "08:10", "end": "23:00", "band": "peak"},
                {"start": "23:00", "end": "08:10", "band": "valley"}],
}  # fmt: skip


def test_report_tariff_is_the_reports_proposal() -> None:
    t = report_tariff()
    season = t.seasons[0]
    price = season.price_per_slot(TimeGrid(15.0, 1))
    assert price[: 8 * 4].tolist() == [pytest.approx(0.72)] * 32  # 00:00-08:00 valley
    assert price[8 * 4 : 23 * 4].tolist() == [pytest.approx(1.02)] * 60  # 08:00-23:00 peak
    assert price[23 * 4 :].tolist() == [pytest.approx(0.72)] * 4
    assert t.spreads_yuan_per_kwh == (pytest.approx(0.3),)
    assert season.prices["peak"].total_yuan_per_kwh == pytest.approx(0.52 + 0.5)
    assert season.valley_window_h() == (23.0, 8.0)
    assert report_tariff(0.5).spreads_yuan_per_kwh == (pytest.approx(0.5),)


def test_a_slot_across_a_band_boundary_takes_the_time_weighted_price() -> None:
    season = parse_tariff(TWO_BANDS).seasons[0]
    grid = TimeGrid(15.0, 2)
    shares = season.band_shares(grid)
    assert shares.shape == (192, len(BANDS))
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)
    slot = 8 * 4  # 08:00-08:15: 10 min valley, 5 min peak
    assert shares[slot, BANDS.index("valley")] == pytest.approx(10 / 15)
    assert season.price_per_slot(grid)[slot] == pytest.approx((10 * 0.6 + 5 * 1.0) / 15)
    assert season.price_per_slot(grid)[96 + slot] == season.price_per_slot(grid)[slot]


def test_with_spread_keeps_the_dearest_price_and_the_order_of_bands() -> None:
    doc = {
        "name": "three",
        "bands": {"peak": {"energy_yuan_per_kwh": 1.0}, "flat": {"energy_yuan_per_kwh": 0.7},
                  "valley": {"energy_yuan_per_kwh": 0.4}},
        "periods": [{"start": 0, "end": 8, "band": "valley"},
                    {"start": 8, "end": 18, "band": "flat"},
                    {"start": 18, "end": 24, "band": "peak"}],
    }  # fmt: skip
    t = parse_tariff(doc)
    moved = t.with_spread(0.3).seasons[0].prices
    assert moved["peak"].total_yuan_per_kwh == pytest.approx(1.0)
    assert moved["flat"].total_yuan_per_kwh == pytest.approx(0.85)  # half-way, as before
    assert moved["valley"].total_yuan_per_kwh == pytest.approx(0.7)
    flat = t.with_spread(0.0).seasons[0]
    assert flat.spread_yuan_per_kwh == pytest.approx(0.0)
    with pytest.raises(InputError, match="spread"):
        t.with_spread(1.5)


def test_a_cut_below_zero_energy_comes_off_the_service_fee() -> None:
    low = report_tariff().with_spread(1.0).seasons[0].prices["valley"]
    assert low.energy_yuan_per_kwh == 0.0
    assert low.total_yuan_per_kwh == pytest.approx(0.02)


def test_bundled_tariffs_carry_their_source() -> None:
    assert set(bundled_tariff_names()) >= {"report", "zhejiang-residential", "beijing-public-2015"}
    zj = load_tariff("zhejiang-residential")
    assert zj.reference_yuan_per_kwh == 0.538
    assert zj.spreads_yuan_per_kwh == (pytest.approx(0.568 - 0.288),)
    assert zj.source and zj.date
    bj = load_tariff("beijing-public-2015")
    assert bj.seasons[0].prices["flat"].total_yuan_per_kwh == pytest.approx(1.6745)
    assert bj.spreads_yuan_per_kwh == (0.0,)
    with pytest.raises(InputError, match="one price band"):
        bj.with_spread(0.3)


def test_seasons_by_month(tmp_path: Path) -> None:
    summer = {"months": [6, 7, 8], "bands": TWO_BANDS["bands"], "periods": TWO_BANDS["periods"]}
    rest = {"months": [1, 2, 3, 4, 5, 9, 10, 11, 12],
            "bands": {"flat": {"energy_yuan_per_kwh": 0.5}},
            "periods": [{"start": "00:00", "end": "24:00", "band": "flat"}]}  # fmt: skip
    path = tmp_path / "t.yaml"
    import yaml

    path.write_text(yaml.safe_dump({"name": "seasonal", "seasons": [summer, rest]}), "utf-8")
    t = load_tariff(path)
    assert t.season(7).spread_yuan_per_kwh == pytest.approx(0.4)
    assert t.season(1).spread_yuan_per_kwh == 0.0
    np.testing.assert_allclose(t.month_weights(), [0.25, 0.75])


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"periods": [{"start": "08:00", "end": "23:00", "band": "peak"}]}, "no period at 00:00"),
        ({"periods": [{"start": "00:00", "end": "24:00", "band": "peak"},
                      {"start": "23:00", "end": "08:00", "band": "valley"}]}, "two periods"),
        ({"periods": [{"start": "25:00", "end": "08:00", "band": "peak"}]}, "start: got '25:00'"),
        ({"bands": {"cheap": {"energy_yuan_per_kwh": 0.1}}}, "bands: cheap"),
        ({"bands": {"peak": {"energy_yuan_per_kwh": -1}}}, "energy_yuan_per_kwh: got -1"),
        ({"colour": "red"}, "colour: got 'red'"),
        ({"date": 2024}, "date: got 2024"),
    ],
)  # fmt: skip
def test_a_bad_tariff_is_one_line(change: dict[str, object], needle: str) -> None:
    with pytest.raises(InputError) as info:
        parse_tariff({**TWO_BANDS, **change}, "t.yaml")
    message = str(info.value)
    assert message.startswith("t.yaml") and needle in message and "\n" not in message


def test_seasons_must_cover_the_year_once() -> None:
    season = {"months": [1, 2], "bands": TWO_BANDS["bands"], "periods": TWO_BANDS["periods"]}
    with pytest.raises(InputError, match="months 1-12"):
        parse_tariff({"name": "x", "seasons": [season]})


def test_unknown_tariff_name_lists_the_bundled_ones() -> None:
    with pytest.raises(InputError, match="zhejiang-residential"):
        load_tariff("cheapest")
