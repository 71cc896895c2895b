"""Defaults come from the parameter table only: no face types a default number."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from evgrid.jobs.__main__ import requests
from evgrid.params import PARAMETERS

ROOT = Path(__file__).resolve().parents[2]
TYPED_DEFAULT = re.compile(r"default:?\s*\(?\s*-?\d|\(\s*-?\d[\d.]*\s*\)|^-?\d[\d.]*$")
"""A default written as a number: ``default 0.8``, ``(98)``, a placeholder ``365``."""
FACES = ("cli", "web", "jobs", "report")


@pytest.mark.parametrize("kind", sorted(requests()))
def test_request_help_lines_type_no_default(kind: str) -> None:
    for opt in requests()[kind].options():  # type: ignore[attr-defined]
        assert not TYPED_DEFAULT.search(opt.help), f"{kind}.{opt.name}: use {{parameter}}"
        for name in re.findall(r"\{([a-z0-9_]+)\}", opt.help):
            assert name in PARAMETERS, f"{kind}.{opt.name}: no parameter {name}"


@pytest.mark.parametrize("face", FACES)
def test_faces_type_no_default(face: str) -> None:
    """Help texts, API descriptions and page templates say defaults through the table."""
    folder = ROOT / "src" / "evgrid" / face
    for path in sorted([*folder.rglob("*.py"), *folder.rglob("*.j2")]):
        text = path.read_text(encoding="utf-8")
        for i, line in enumerate(text.splitlines(), start=1):
            shown = re.findall(r'(?:help|description|placeholder)="([^"]*)"?', line)
            for words in shown:
                where = f"{path.relative_to(ROOT)}:{i}: {words}"
                assert not TYPED_DEFAULT.search(f"{words}"), where
