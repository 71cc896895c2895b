"""An install without an optional extra: the command or request that needs it says which extra to
install, in one line (exit 2 on the command line; a JSON error on the API, the server still
serving), never a ``ModuleNotFoundError`` traceback."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from evgrid.errors import EXTRAS, InputError
from evgrid.io import write_table
from evgrid.web.app import create_app
from evgrid.web.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
CASE_B = ROOT / "src" / "evgrid" / "data" / "cases" / "B.yaml"

WITHOUT = """
import sys
for name in sys.argv[1].split(","):
    sys.modules[name] = None  # ``import NAME`` raises ModuleNotFoundError, as if not installed
sys.argv = ["evgrid", *sys.argv[2:]]
from evgrid._entry import main
main()
"""


def _evgrid_without(modules: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", WITHOUT, modules, *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )


@pytest.mark.parametrize(
    ("modules", "args", "extra"),
    [
        ("ocpp", ["service", str(CASE_B), "--db", "s.db"], "service"),
        ("uvicorn", ["serve", "--port", "0"], "web"),
        ("numba", ["network", "cn-feeder-4x25", "--days", "1"], "numba"),
    ],
)
def test_a_command_without_its_extra_is_one_line(
    tmp_path: Path, modules: str, args: list[str], extra: str
) -> None:
    done = _evgrid_without(modules, *args, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("evgrid: error:"), done.stderr
    assert f"evgrid[{extra}]" in lines[0] and modules in lines[0]


def test_the_api_says_which_extra_the_server_lacks() -> None:
    app = create_app(Settings())

    @app.get("/api/needs-network")
    def needs_network() -> None:
        raise ModuleNotFoundError("No module named 'power_grid_model'", name="power_grid_model")

    with TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False) as client:
        r = client.get("/api/needs-network")
        assert r.status_code == 500
        assert r.json()["error"] == (
            "/api/needs-network: needs the network extra (power_grid_model is missing); "
            'install it with: pip install "evgrid[network]"'
        )
        assert client.get("/api/health").status_code == 200  # still serving


def test_every_extra_named_exists() -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    assert set(EXTRAS.values()) <= set(extras)


def test_an_excel_output_without_openpyxl_names_the_file_asked_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "openpyxl", None)
    with pytest.raises(InputError, match=r"^.*sites\.xlsx: writing Excel files needs the package"):
        write_table(tmp_path / "sites.xlsx", {"id": ["a"]})
    assert list(tmp_path.iterdir()) == []  # no file, no temporary file
