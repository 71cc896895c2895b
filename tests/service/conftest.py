"""Shared fixtures of the live-service tests (need the ``service`` extra)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

pytest.importorskip("ocpp")
pytest.importorskip("websockets")

from evgrid.grid.site import parse_site

START = datetime(2024, 6, 1, 8, 0, tzinfo=UTC)
"""16:00 in the site's time zone (UTC+8): the evening before the night simulated."""


def small_site(kva: float = 100.0, peak_kw: float = 70.0, valley_kw: float = 28.0):  # type: ignore[no-untyped-def]
    """A small community whose transformer binds the orderly charging of a few dozen piles."""
    return parse_site(
        {
            "kind": "residential",
            "name": "Test community",
            "households": 60,
            "parking_spaces": 40,
            "transformer_kva": kva,
            "regular_peak_kw": peak_kw,
            "regular_valley_kw": valley_kw,
        }
    )


@pytest.fixture
def site():  # type: ignore[no-untyped-def]
    return small_site()


@pytest.fixture
def make_site():  # type: ignore[no-untyped-def]
    return small_site


@pytest.fixture
def start() -> datetime:
    return START
