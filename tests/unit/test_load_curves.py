"""Unit tests: LoadCurve resampling, typical shapes and the measured-curve reader."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evgrid.errors import InputError
from evgrid.load import LoadCurve, read_load_curve, site_load_curve, typical_curve
from evgrid.load.shapes import RESIDENTIAL_VALLEY_FRACTION, shape_pu
from evgrid.timegrid import TimeGrid


def _write_csv(path: Path, rows: list[str], header: str = "power_kw") -> Path:
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


# --- LoadCurve ---------------------------------------------------------------------------


def test_on_grid_coarsens_by_mean_and_refines_by_repeat() -> None:
    curve = LoadCurve.from_series(np.arange(96, dtype=float), slot_min=15)
    hourly = curve.on_grid(TimeGrid(slot_min=60))
    np.testing.assert_allclose(hourly[:2], [1.5, 5.5])
    five = curve.on_grid(TimeGrid(slot_min=5))
    np.testing.assert_allclose(five[:6], [0, 0, 0, 1, 1, 1])


def test_on_grid_general_ratio_is_area_weighted() -> None:
    curve = LoadCurve.from_series(np.arange(96, dtype=float), slot_min=15)
    ten = curve.on_grid(TimeGrid(slot_min=10))  # 10 min slots: 0-10 -> 0, 10-20 -> (5*0+5*1)/10
    np.testing.assert_allclose(ten[:3], [0.0, 0.5, 1.0])
    assert ten.sum() * 10 == pytest.approx(curve.power_kw.sum() * 15)


def test_on_grid_repeats_days_cyclically_and_cuts() -> None:
    days = np.vstack([np.full(24, 1.0), np.full(24, 2.0), np.full(24, 3.0)])
    curve = LoadCurve(days, slot_min=60)
    five_days = curve.on_grid(TimeGrid(slot_min=60, n_days=5)).reshape(5, 24)[:, 0]
    np.testing.assert_array_equal(five_days, [1, 2, 3, 1, 2])
    one_day = curve.on_grid(TimeGrid(slot_min=60, n_days=1))
    np.testing.assert_array_equal(one_day, np.ones(24))


def test_load_curve_is_immutable_and_validated() -> None:
    curve = LoadCurve(np.ones(24), slot_min=60)
    assert curve.power_kw.shape == (1, 24)
    with pytest.raises(ValueError):
        curve.power_kw[0, 0] = 5.0
    with pytest.raises(InputError, match="slot_min"):
        LoadCurve(np.ones(24), slot_min=15)
    with pytest.raises(InputError, match="power_kw"):
        LoadCurve(-np.ones(24), slot_min=60)


# --- typical shapes ----------------------------------------------------------------------


@pytest.mark.parametrize("slot_min", [1, 5, 15, 60])
def test_residential_shape_hits_peak_and_valley_at_report_hours(slot_min: float) -> None:
    curve = typical_curve("residential", peak_kw=880.0, valley_kw=352.0, slot_min=slot_min)
    day = curve.power_kw[0]
    hours = TimeGrid(slot_min=slot_min).hour_of_day()
    assert curve.peak_kw == pytest.approx(880.0)
    assert curve.valley_kw == pytest.approx(352.0)
    assert np.all(day[(hours >= 20) & (hours < 21)] == pytest.approx(880.0))  # report s3.1
    night = (hours >= 23) | (hours < 7)
    assert day[night].min() == pytest.approx(352.0)
    assert day[~night].min() > day[night].min()  # the valley lies in 23:00-07:00
    difference = (curve.peak_kw - curve.valley_kw) / curve.peak_kw
    assert 0.5 <= difference <= 0.6 + 1e-12  # report s3.1 peak-valley difference


def test_default_valley_is_report_fraction() -> None:
    curve = typical_curve("residential", peak_kw=1883.0)
    assert curve.valley_kw == pytest.approx(RESIDENTIAL_VALLEY_FRACTION * 1883.0)


def test_office_shape_peaks_in_daytime() -> None:
    curve = typical_curve("office", peak_kw=8360.0, slot_min=60)
    day = curve.power_kw[0]
    assert 9 <= int(np.argmax(day)) < 17
    assert day[2] == pytest.approx(curve.valley_kw)


def test_typical_curve_rejects_bad_input() -> None:
    with pytest.raises(InputError, match="kind"):
        typical_curve("factory", 100.0)
    with pytest.raises(InputError, match="valley_kw"):
        typical_curve("residential", 100.0, valley_kw=150.0)
    with pytest.raises(InputError, match="peak_kw"):
        typical_curve("residential", -1.0)
    assert shape_pu("office").shape == (24,)


# --- measured reader ---------------------------------------------------------------------


def test_read_one_day_without_time(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "day.csv", [str(float(i)) for i in range(96)])
    curve = read_load_curve(path)
    assert curve.slot_min == 15
    assert curve.power_kw.shape == (1, 96)
    assert curve.peak_kw == 95.0


def test_read_many_days_with_iso_times_slot_start(tmp_path: Path) -> None:
    times = pd.date_range("2024-07-01", periods=3 * 24, freq="60min")
    rows = [f"{t.isoformat()},{i % 24}" for i, t in enumerate(times)]
    curve = read_load_curve(_write_csv(tmp_path / "m.csv", rows, header="time,power_kw"))
    assert curve.power_kw.shape == (3, 24)
    assert curve.slot_min == 60
    np.testing.assert_array_equal(curve.power_kw[2], np.arange(24))


def test_read_times_slot_end_convention(tmp_path: Path) -> None:
    times = pd.date_range("2024-07-01 00:15", periods=96, freq="15min")  # 00:15 ... 24:00
    rows = [f"{t.isoformat()},1.0" for t in times]
    curve = read_load_curve(_write_csv(tmp_path / "e.csv", rows, header="timestamp,power_kw"))
    assert curve.power_kw.shape == (1, 96)


def test_read_many_days_without_time_needs_points_per_day(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "two.csv", ["1.0"] * 192)
    with pytest.raises(InputError, match="192"):
        read_load_curve(path)
    assert read_load_curve(path, points_per_day=96).n_days == 2


def test_read_excel(tmp_path: Path) -> None:
    path = tmp_path / "curve.xlsx"
    times = pd.date_range("2024-01-01", periods=24, freq="h")
    pd.DataFrame({"time": times, "power_kw": np.arange(24.0)}).to_excel(path, index=False)
    curve = read_load_curve(path)
    np.testing.assert_array_equal(curve.power_kw[0], np.arange(24.0))


def test_read_excel_negative_names_row(tmp_path: Path) -> None:
    path = tmp_path / "bad.xlsx"
    values = np.ones(24)
    values[4] = -3.0
    pd.DataFrame({"power_kw": values}).to_excel(path, index=False)
    with pytest.raises(InputError, match=r"bad.xlsx row 6, power_kw: got -3;"):
        read_load_curve(path)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (["1.0"] * 10 + [""] + ["1.0"] * 13, r"row 12, power_kw: got '\(empty\)'"),
        (["1.0"] * 3 + ["nan"] + ["1.0"] * 20, r"row 5, power_kw: got 'nan'"),
        (["1.0"] * 3 + ["abc"] + ["1.0"] * 20, r"row 5, power_kw: got 'abc'"),
        (["1.0"] * 7 + ["-2"] + ["1.0"] * 16, r"row 9, power_kw: got -2;"),
        (["1.0"] * 95, r"rows of power_kw: got 95"),
    ],
)
def test_read_errors_name_file_row_column(tmp_path: Path, rows: list[str], message: str) -> None:
    path = _write_csv(tmp_path / "bad.csv", rows)
    with pytest.raises(InputError, match=message) as info:
        read_load_curve(path)
    text = str(info.value)
    assert "bad.csv" in text
    assert "\n" not in text


def test_read_unparseable_time(tmp_path: Path) -> None:
    times = [t.isoformat() for t in pd.date_range("2024-07-01", periods=24, freq="h")]
    times[6] = "yesterday noon"
    rows = [f"{t},1.0" for t in times]
    path = _write_csv(tmp_path / "t.csv", rows, header="time,power_kw")
    with pytest.raises(InputError, match=r"t.csv row 8, time: got 'yesterday noon'"):
        read_load_curve(path)


def test_read_uneven_times_and_partial_day(tmp_path: Path) -> None:
    times = list(pd.date_range("2024-07-01", periods=24, freq="h"))
    del times[10]
    rows = [f"{t.isoformat()},1.0" for t in times]
    with pytest.raises(InputError, match="row 12, time"):
        read_load_curve(_write_csv(tmp_path / "gap.csv", rows, header="time,power_kw"))
    times = pd.date_range("2024-07-01", periods=30, freq="h")
    rows = [f"{t.isoformat()},1.0" for t in times]
    with pytest.raises(InputError, match="whole days of 24"):
        read_load_curve(_write_csv(tmp_path / "part.csv", rows, header="time,power_kw"))


def test_read_missing_column_and_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="power_kw"):
        read_load_curve(_write_csv(tmp_path / "c.csv", ["1"] * 24, header="kw"))
    with pytest.raises(InputError, match="missing file"):
        read_load_curve(tmp_path / "missing.csv")
    with pytest.raises(InputError, match="file type"):
        read_load_curve(_write_csv(tmp_path / "c.json", ["1"] * 24))


def test_trailing_blank_lines_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "trail.csv"
    path.write_text("power_kw\n" + "1.0\n" * 24 + "\n\n", encoding="utf-8")
    assert read_load_curve(path).power_kw.shape == (1, 24)


def test_time_spacing_and_first_time_checked(tmp_path: Path) -> None:
    times = pd.date_range("2024-07-01", periods=12, freq="2h")
    rows = [f"{t.isoformat()},1.0" for t in times]
    with pytest.raises(InputError, match="spacing"):
        read_load_curve(_write_csv(tmp_path / "s.csv", rows, header="time,power_kw"))
    times = pd.date_range("2024-07-01 07:00", periods=24, freq="h")
    rows = [f"{t.isoformat()},1.0" for t in times]
    with pytest.raises(InputError, match="row 2, time"):
        read_load_curve(_write_csv(tmp_path / "f.csv", rows, header="time,power_kw"))


@dataclass(frozen=True)
class _Site:
    kind: str
    load_curve: Path | None
    regular_peak_kw: float | None
    regular_valley_kw: float | None = None
    name: str = "test site"


def test_site_load_curve_prefers_the_measured_file(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "site.csv", [str(float(i)) for i in range(24)])
    measured = site_load_curve(_Site("residential", path, 880.0))
    assert measured.peak_kw == 23.0
    typical = site_load_curve(_Site("residential", None, 880.0, 352.0), slot_min=60)
    assert (typical.peak_kw, typical.valley_kw) == (880.0, 352.0)
    office = site_load_curve(_Site("office", None, 8360.0))
    assert office.peak_kw == 8360.0
    with pytest.raises(InputError, match="regular_peak_kw"):
        site_load_curve(_Site("residential", None, None))


def test_time_of_day_column_and_time_zones(tmp_path: Path) -> None:
    ends = [f"{(m // 60):02d}:{(m % 60):02d}" for m in range(15, 1441, 15)]  # 00:15 ... 24:00
    rows = [f"{t},{i}" for i, t in enumerate(ends * 2)]
    curve = read_load_curve(_write_csv(tmp_path / "hhmm.csv", rows, header="time,power_kw"))
    assert curve.power_kw.shape == (2, 96)
    assert curve.power_kw[1, 0] == 96.0
    rows[5] = "25:00,1.0"
    with pytest.raises(InputError, match="row 7, time"):
        read_load_curve(_write_csv(tmp_path / "bad.csv", rows, header="time,power_kw"))
    times = pd.date_range("2024-07-01", periods=24, freq="h", tz="Asia/Shanghai")
    rows = [f"{t.isoformat()},1.0" for t in times]
    aware = read_load_curve(_write_csv(tmp_path / "tz.csv", rows, header="datetime,power_kw"))
    assert aware.slot_min == 60
