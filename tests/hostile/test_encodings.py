"""Encodings: what Chinese Excel and Windows tools save is read, by one deterministic rule
(byte-order mark, then strict UTF-8, then GB18030), and anything else is one line naming the
encodings read."""

from __future__ import annotations

import codecs
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from evgrid.city.run import run_city
from evgrid.city.settings import city_settings
from evgrid.city.synth import synth_city
from evgrid.demand.io import read_sessions
from evgrid.errors import InputError
from evgrid.grid.site import load_site
from evgrid.io import decode
from evgrid.load.measured import read_load_curve

NAMES = ["阳光小区", "东湖花园", "锦绣华庭", "翠苑新村", "科技园区"]
ENCODINGS_READ = (
    "text in UTF-8 (a byte-order mark allowed), UTF-16 or UTF-32 with a byte-order mark, or "
    "GB18030/GBK"
)
SESSIONS = "arrival_h,departure_h,energy_kwh,max_power_kw,session_id\n18.5,31.25,10,7,甲1\n"


def _chinese_city(n: int) -> str:
    """A synthetic city's table with Chinese site names, as CSV text (Excel's line ends)."""
    table = synth_city(n, rng=11)
    table["name"] = [f"{NAMES[i % len(NAMES)]}{i}号" for i in range(n)]
    return table.to_csv(index=False, lineterminator="\r\n")


def test_a_gbk_city_table_from_excel_gives_the_utf8_results(tmp_path: Path) -> None:
    text = _chinese_city(12)
    utf8, gbk = tmp_path / "utf8.csv", tmp_path / "gbk.csv"
    utf8.write_bytes(text.encode("utf-8"))
    gbk.write_bytes(text.encode("gbk"))  # Excel (Chinese Windows): "CSV (逗号分隔)"
    with pytest.raises(UnicodeDecodeError):
        gbk.read_bytes().decode("utf-8")  # the copy really is not UTF-8
    settings = city_settings("medium", cost_per_kva=300)
    runs = [run_city(path, settings, tmp_path / path.stem) for path in (utf8, gbk)]
    assert [r.n_sites for r in runs] == [12, 12] and runs[0].n_errors == 0
    for name in ("results.csv", "upgrades.csv", "errors.csv", "summary.json"):
        first, second = ((r.out / name).read_bytes() for r in runs)
        assert first == second, name
    assert set(pq.read_table(runs[1].out / "upgrades.parquet")["name"].to_pylist()) >= {
        "阳光小区0号",
        "东湖花园1号",
    }
    assert runs[0].summary == runs[1].summary


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-8-sig", "utf-32", "gb18030"])
def test_session_files_in_every_encoding_read(tmp_path: Path, codec: str) -> None:
    path = tmp_path / "s.csv"
    data = SESSIONS.encode(codec)
    if codec == "utf-16-be":
        data = codecs.BOM_UTF16_BE + data
    path.write_bytes(data)
    s = read_sessions(path)
    assert (s.arrival_h[0], s.departure_h[0], s.energy_kwh[0]) == (18.5, 31.25, 10.0)


def test_a_load_curve_with_a_bom_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(codecs.BOM_UTF8 + ("power_kw\r\n" + "1.5\r\n" * 24).encode())
    np.testing.assert_array_equal(read_load_curve(path).power_kw, np.full((1, 24), 1.5))


def test_a_gbk_site_document(tmp_path: Path) -> None:
    path = tmp_path / "site.yaml"
    text = (
        "kind: residential\nname: 阳光小区\nbuilt: 1990\nhouseholds: 400\nparking_spaces: 200\n"
        "transformer_kva: 630\nregular_peak_kw: 400\n"
    )
    path.write_bytes(text.encode("gbk"))
    assert load_site(path).name == "阳光小区"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            b"arrival_h,departure_h,energy_kwh,max_power_kw\n18,20,5,7\ncaf\xe9,20,5,7\n",
            "{f} row 2: got 'byte 0xe9, not UTF-8 or GB18030 text'",
        ),
        (
            "arrival_h,departure_h\n".encode("utf-16-le"),
            "{f}: header: got 'a NUL byte (UTF-16 text without a byte-order mark?)'",
        ),
    ],
    ids=["latin-1", "utf-16-without-bom"],
)
def test_text_in_no_encoding_read_is_one_line(tmp_path: Path, data: bytes, expected: str) -> None:
    path = tmp_path / "s.csv"
    path.write_bytes(data)
    with pytest.raises(InputError) as info:
        read_sessions(path)
    message = str(info.value).replace(str(path), "{f}")
    assert message == f"{expected}; allowed: {ENCODINGS_READ} (or save the file as 'CSV UTF-8')"


def test_the_rule_never_reads_valid_utf8_as_anything_else() -> None:
    for text in ("阳光", "é", "Müller", "١٢٣", "\u00a0", "𝔘"):
        assert decode(text.encode("utf-8"), str) == (text, "utf-8")
    assert decode("阳光小区".encode("gbk"), str) == ("阳光小区", "gb18030")
    assert decode(codecs.BOM_UTF8 + b"x", str) == ("x", "utf-8-sig")
