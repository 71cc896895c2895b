"""The CSV path imports neither pandas nor the Excel and Parquet readers; a missing optional
package is one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from evgrid.errors import InputError
from evgrid.load.measured import read_load_curve


def test_csv_readers_import_no_pandas(tmp_path: Path) -> None:
    sessions = tmp_path / "s.csv"
    sessions.write_text(
        "arrival,departure,energy_kwh,max_power_kw,vehicle\n"
        "2024-05-01T18:30Z,2024-05-02T07:00Z,5,7,1\n"
    )
    curve = tmp_path / "c.csv"
    curve.write_text("time,power_kw\n" + "".join(f"{h:02d}:00,{h}\n" for h in range(24)))
    site = tmp_path / "site.yaml"
    site.write_text(
        "kind: office\nname: P\nfloor_area_m2: 1\nparking_spaces: 1\ntransformer_kva: 50\n"
        "regular_peak_kw: 23\npeak_year: 2021\nload_curve: c.csv\n"
    )
    code = (
        "import sys\n"
        "from evgrid.demand.io import read_session_file\n"
        "from evgrid.grid.site import load_site\n"
        "from evgrid.load.measured import read_load_curve\n"
        f"read_session_file({str(sessions)!r})\n"
        f"read_load_curve({str(curve)!r})\n"
        f"load_site({str(site)!r})\n"
        "print([m for m in ('pandas', 'openpyxl', 'pyarrow.parquet') if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_missing_optional_package_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "openpyxl", None)  # import openpyxl raises ImportError
    path = tmp_path / "c.xlsx"
    path.write_bytes(b"PK")
    with pytest.raises(InputError) as info:
        read_load_curve(path)
    assert str(info.value) == (
        f"{path}: reading Excel files needs the package openpyxl; install it: pip install openpyxl"
    )
