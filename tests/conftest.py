"""Shared test settings: a hypothesis profile sized for a 2-core CI machine (``evgrid``,
deterministic), and ``stress`` for hunting rare cases locally
(``EVGRID_HYPOTHESIS_PROFILE=stress python3 -m pytest tests/property``)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "evgrid",
    deadline=None,
    max_examples=40,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)
settings.register_profile(
    "stress",
    deadline=None,
    max_examples=1000,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("EVGRID_HYPOTHESIS_PROFILE", "evgrid"))
