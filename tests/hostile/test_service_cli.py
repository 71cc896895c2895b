"""Hostile options of the service's commands: one line on stderr, exit status 2, no traceback,
in bounded time (``evgrid service``, ``evgrid register-piles``, ``evgrid-sim``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("ocpp")

SITE = (
    "kind: residential\nname: t\nhouseholds: 60\nparking_spaces: 40\ntransformer_kva: 100\n"
    "regular_peak_kw: 70\nregular_valley_kw: 28\n"
)


def _run(args: list[str], tmp: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=tmp, capture_output=True, text=True, timeout=60
    )


def _one_line_error(out: subprocess.CompletedProcess[str], *words: str) -> None:
    assert out.returncode == 2, (out.stdout, out.stderr)
    lines = [line for line in out.stderr.splitlines() if "error" in line]
    assert len(lines) == 1, out.stderr
    assert "Traceback" not in out.stderr
    for word in words:
        assert word in lines[0], lines[0]


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (["--max-a", "-32"], ["--max-a", "-32"]),
        (["--max-a", "nan"], ["--max-a", "nan"]),
        (["--phases", "7"], ["--phases", "7"]),
        (["--prefix", "../../x/"], ["--prefix"]),
        (["--connectors", "0"], ["--connectors"]),
    ],
)
def test_register_piles_refuses(tmp_path: Path, options: list[str], words: list[str]) -> None:
    out = _run(["-m", "evgrid", "register-piles", "--db", "s.db", *options], tmp_path)
    _one_line_error(out, *words)
    # nothing half-registered
    if (tmp_path / "s.db").exists():
        import sqlite3

        with sqlite3.connect(tmp_path / "s.db") as db:
            assert db.execute("SELECT COUNT(*) FROM chargers").fetchone()[0] == 0


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (["--utc-offset", "99"], ["--utc-offset", "99"]),
        (["--db", "."], ["--db", "folder"]),
        (["--db", "junk.db"], ["--db", "SQLite"]),
        (["--limit", "nan"], ["--limit"]),
        (["--dr-policy", "maybe"], ["--dr-policy"]),
    ],
)
def test_service_refuses(tmp_path: Path, options: list[str], words: list[str]) -> None:
    (tmp_path / "site.yaml").write_text(SITE)
    (tmp_path / "junk.db").write_text("not sqlite at all\n" * 50)
    args = ["-m", "evgrid", "service", "site.yaml", "--port", "0", "--status-port", "0"]
    _one_line_error(_run([*args, *options], tmp_path), *words)


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("ws://127.0.0.1:1/ocpp", ["--url", "cannot connect"]),
        ("http://x y", ["--url", "ws://"]),
        ("ws://", ["--url"]),
    ],
)
@pytest.mark.parametrize("front", [["-m", "evgrid_sim"], ["-m", "evgrid"]])
def test_simulator_refuses_a_url_nothing_answers(
    tmp_path: Path, url: str, words: list[str], front: list[str]
) -> None:
    """Nothing listening, or not a URL: one line within seconds (the old ``evgrid
    simulate-chargers`` form hands over to ``evgrid-sim``)."""
    (tmp_path / "site.yaml").write_text(SITE)
    out = _run([*front, "simulate-chargers", "--site", "site.yaml", "--url", url], tmp_path)
    _one_line_error(out, *words)
