"""Session files: CSV/Parquet round trip, ISO-8601 times, bad input, over-window flags."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from evgrid.demand.behaviour import Behaviour
from evgrid.demand.io import read_session_file, read_sessions, write_sessions
from evgrid.demand.sampling import sample_sessions
from evgrid.errors import InputError

FIELDS = ("arrival_h", "departure_h", "energy_kwh", "max_power_kw", "vehicle")
HEADER = "arrival_h,departure_h,energy_kwh,max_power_kw\n"


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_round_trip_is_exact(tmp_path: Path, suffix: str) -> None:
    s = sample_sessions(Behaviour.home(), 2000, days=3, rng=8)
    path = write_sessions(s, tmp_path / f"s{suffix}", session_id=[f"id{i}" for i in range(len(s))])
    f = read_session_file(path)
    for name in FIELDS:
        assert np.array_equal(getattr(f.sessions, name), getattr(s, name)), name
    assert f.session_id is not None and f.session_id[3] == "id3"
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_iso_timestamps_become_hours_from_first_midnight(tmp_path: Path) -> None:
    f = tmp_path / "real.csv"
    f.write_text(
        "session_id,arrival,departure,energy_kwh,max_power_kw,vehicle\n"
        "a,2024-05-01T18:30:00,2024-05-02T07:15:00,10,7,3\n"
        "b,2024-05-02 19:00,2024-05-02 23:00,5,3.5,4\n"
    )
    s = read_sessions(f)
    assert s.arrival_h == pytest.approx([18.5, 43.0])
    assert s.departure_h == pytest.approx([31.25, 47.0])
    assert s.vehicle.tolist() == [3, 4]


def test_over_window_energy_is_flagged_not_rejected(tmp_path: Path) -> None:
    f = tmp_path / "s.csv"
    f.write_text(HEADER + "18,19,5,7\n18,19,8,7\n20,22,14,7\n20,21,30,7\n")
    table = read_session_file(f)
    assert table.over_window_rows.tolist() == [2, 4]
    with pytest.warns(UserWarning, match=r"2 session\(s\).*rows 2, 4"):
        s = read_sessions(f)
    assert len(s) == 4


@pytest.mark.parametrize(
    ("body", "match"),
    [
        (HEADER + "18,17,5,7\n", "row 1, departure_h: got 17; allowed: a time not before"),
        (HEADER + "18,20,5,7\n18,20,-1,7\n", "row 2, energy_kwh: got -1;"),
        (HEADER + "18,20,5,7\n18,20,,7\n", "row 2, energy_kwh: got '\\(empty\\)'"),
        (HEADER + "18,20,NaN,7\n", "row 1, energy_kwh"),
        (HEADER + "18,20,5,0\n", "row 1, max_power_kw: got 0; allowed: a number > 0"),
        (HEADER + "six,20,5,7\n", "row 1, arrival_h: got 'six'"),
        (HEADER + "-1,20,5,7\n", "row 1, arrival_h"),
        ("arrival_h,energy_kwh,max_power_kw\n18,5,7\n", "column departure_h: got 'missing'"),
        ("arrival_h,departure_h,max_power_kw\n18,20,7\n", "column energy_kwh: got 'missing'"),
        ("arrival_h,departure_h,energy_kwh\n18,20,7\n", "column max_power_kw"),
        (
            "arrival,departure,energy_kwh,max_power_kw\n2024-05-01T18:00,2024-13-45T07:00,5,7\n",
            "row 1, departure: got '2024-13-45T07:00'; allowed: an ISO-8601 time",
        ),
        (
            "arrival,departure,energy_kwh,max_power_kw\n2024-05-02T18:00,2024-05-01T07:00,5,7\n",
            "row 1, departure: got '2024-05-01T07:00'",
        ),
        (HEADER.strip() + ",vehicle\n18,20,5,7,1.5\n", "row 1, vehicle"),
    ],
)
def test_bad_rows_name_row_and_column(tmp_path: Path, body: str, match: str) -> None:
    f = tmp_path / "bad.csv"
    f.write_text(body)
    with pytest.raises(InputError, match=match) as err:
        read_session_file(f)
    assert "\n" not in str(err.value)
    assert str(f) in str(err.value)


def test_bad_extension_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"\.csv or \.parquet"):
        read_session_file(tmp_path / "s.xlsx")
    with pytest.raises(InputError, match="missing file"):
        read_session_file(tmp_path / "s.csv")
    s = sample_sessions(Behaviour.home(), 10, rng=1)
    with pytest.raises(InputError, match=r"\.csv or \.parquet"):
        write_sessions(s, tmp_path / "s.txt")
    assert not list(tmp_path.iterdir())


def test_empty_file(tmp_path: Path) -> None:
    f = tmp_path / "empty.csv"
    f.write_text(HEADER)
    assert len(read_sessions(f)) == 0
