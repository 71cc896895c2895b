"""Shared test settings: a hypothesis profile sized for a 2-core CI machine."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

settings.register_profile(
    "evgrid",
    deadline=None,
    max_examples=40,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)
settings.load_profile("evgrid")
