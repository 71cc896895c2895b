"""The service's command functions, through ``python -m evgrid``."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from evgrid.service.security import verify_key
from evgrid.service.store import Store


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "evgrid", *args], capture_output=True, text=True, timeout=120
    )


def test_register_piles_writes_hashed_keys(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db, keys = tmp_path / "s.db", tmp_path / "keys.json"
    out = _run(
        "register-piles",
        "--n",
        "3",
        "--db",
        str(db),
        "--security-profile",
        "2",
        "--keys-out",
        str(keys),
    )
    assert out.returncode == 0, out.stderr
    issued = json.loads(keys.read_text())
    assert sorted(issued) == ["P0000", "P0001", "P0002"]
    assert oct(os.stat(keys).st_mode & 0o777) == "0o600"
    row = Store(db).charger("P0001")
    assert row is not None and row.security_profile == 2
    assert verify_key(issued["P0001"], row.key_hash) and issued["P0001"] not in str(row.key_hash)


def test_bad_input_is_one_line_and_status_2(tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = _run(
        "register-piles", "--n", "2", "--db", str(tmp_path / "s.db"), "--security-profile", "2"
    )
    assert out.returncode == 2
    assert out.stderr.strip().startswith("evgrid: error: --keys-out")
    assert len(out.stderr.strip().splitlines()) == 1
    site = tmp_path / "site.yaml"
    site.write_text(
        "kind: residential\nname: x\nhouseholds: 10\nparking_spaces: 5\n"
        "transformer_kva: 100\nregular_peak_kw: 50\n"
    )
    out = _run("service", str(site), "--host", "0.0.0.0", "--db", str(tmp_path / "s.db"))
    assert out.returncode == 2
    assert "--host" in out.stderr and "loopback" in out.stderr


def test_simulator_options_are_checked_before_connecting(tmp_path) -> None:  # type: ignore[no-untyped-def]
    site = tmp_path / "site.yaml"
    site.write_text(
        "kind: residential\nname: x\nhouseholds: 10\nparking_spaces: 5\n"
        "transformer_kva: 100\nregular_peak_kw: 50\n"
    )
    out = _run("simulate-chargers", "--site", str(site), "--offline", "1.5")
    assert out.returncode == 2
    assert out.stderr.strip() == (
        "evgrid: error: --offline: got 1.5; allowed: a share in [0, 1]"
    ), out.stderr


def test_service_commands_are_on_the_main_command_line() -> None:
    out = _run("--help")
    assert out.returncode == 0
    for name in ("service", "register-piles", "simulate-chargers"):
        assert name in out.stdout
