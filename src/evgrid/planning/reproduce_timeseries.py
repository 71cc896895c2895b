"""The report's cases with the time-series tier: hosting bands and the figure 6–7 comparison.

``evgrid reproduce`` shows these beside the planning-index results: for each of the report's
cases (communities A, B, C and the two office parks) the Monte Carlo hosting capacity (P50 and
P95 largest pile ratio) under uncontrolled and TOU charging, and for the communities the 2025
comparison of fully orderly against uncontrolled charging (report section 5.1, figures 6–7).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from evgrid.grid.site import report_cases
from evgrid.planning.timeseries.curves import HostingResult
from evgrid.planning.orderly_impact import (
    DEFAULT_IMPACT_DAYS,
    EV_SHARE_2025,
    OrderlyImpact,
    orderly_impact,
)
from evgrid.planning.timeseries.run import timeseries_hosting

HOSTING_DAYS = 365
"""Monte Carlo days of the reproduced hosting bands: one year [day]."""

SEED = 2023
"""Default seed of ``evgrid reproduce``: the report's year; any seed gives a reproducible run."""

HOSTING_STRATEGIES = ("uncontrolled", "tou")
"""Strategies of the reproduced hosting bands (separable: a year of days in about a second)."""

CASES = ("A", "B", "C", "open", "closed")
"""The report's cases (sections 3.2 and 4.2)."""

IMPACT_CASES = ("A", "B", "C")
"""Communities of the figure 6–7 comparison (the report shows residential load)."""


@dataclass(frozen=True, eq=False)
class TimeseriesReproduction:
    """Time-series results on the report's cases.

    Parameters
    ----------
    hosting
        Hosting result per ``(case, strategy)``.
    impact
        Orderly-against-uncontrolled comparison per community (2025 medium EV share).
    seed
        The seed of the run.
    """

    hosting: dict[tuple[str, str], HostingResult]
    impact: dict[str, OrderlyImpact]
    seed: int

    def to_json(self) -> dict[str, Any]:
        """``timeseries`` and ``orderly_impact`` entries of ``evgrid reproduce --json``."""
        hosting = [
            {
                "case": case,
                "strategy": strategy,
                "days": r.days,
                "max_pile_ratio_p50": r.max_pile_ratio_p50,
                "max_pile_ratio_p95": r.max_pile_ratio_p95,
            }
            for (case, strategy), r in self.hosting.items()
        ]
        impact = [{"case": case, **imp.to_dict()} for case, imp in self.impact.items()]
        return {"timeseries": hosting, "orderly_impact": impact, "timeseries_seed": self.seed}


def reproduce_timeseries(
    *,
    seed: int = SEED,
    days: int = HOSTING_DAYS,
    impact_days: int = DEFAULT_IMPACT_DAYS,
    strategies: Sequence[str] = HOSTING_STRATEGIES,
    progress: Callable[[str], None] | None = None,
) -> TimeseriesReproduction:
    """Run the time-series tier on the report's cases.

    Parameters
    ----------
    seed
        Seed of every Monte Carlo run (each case and strategy gets its own stream).
    days
        Monte Carlo days of the hosting bands [day].
    impact_days
        Monte Carlo days of the figure 6–7 comparison [day].
    strategies
        Strategies of the hosting bands.
    progress
        Called with a short description before each run (for a progress display).
    """
    cases = report_cases()
    streams = iter(np.random.SeedSequence(seed).spawn(len(CASES) * len(strategies) + len(CASES)))
    hosting: dict[tuple[str, str], HostingResult] = {}
    for case in CASES:
        for strategy in strategies:
            if progress:
                progress(f"{case}: {strategy}, {days} days")
            hosting[case, strategy] = timeseries_hosting(
                cases[case], strategy=strategy, days=days, rng=np.random.default_rng(next(streams))
            )
    impact: dict[str, OrderlyImpact] = {}
    for case in IMPACT_CASES:
        if progress:
            progress(f"{case}: orderly against uncontrolled, 2025, {impact_days} days")
        impact[case] = orderly_impact(
            cases[case],
            ev_share=EV_SHARE_2025["medium"],
            days=impact_days,
            rng=np.random.default_rng(next(streams)),
        )
    return TimeseriesReproduction(hosting=hosting, impact=impact, seed=seed)
