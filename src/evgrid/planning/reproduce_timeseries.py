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

from evgrid.grid.site import report_cases
from evgrid.params import parameter
from evgrid.planning.hosting import site_hosting
from evgrid.planning.orderly_impact import OrderlyImpact, orderly_impact
from evgrid.planning.result import HostingResult

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

    def to_dict(self) -> dict[str, Any]:
        """``timeseries`` and ``orderly_impact`` entries of ``evgrid reproduce --json``."""
        hosting = [
            {
                "case": case,
                "strategy": strategy,
                "days": r.days,
                "max_pile_ratio_p50": r.max_pile_ratio_p50,
                "max_pile_ratio_p95": r.max_pile_ratio_p95,
                "behaviour": r.details.get("behaviour"),
                "behaviour_range": r.details.get("behaviour_range"),
            }
            for (case, strategy), r in self.hosting.items()
        ]
        impact = [{"case": case, **imp.to_dict()} for case, imp in self.impact.items()]
        return {"timeseries": hosting, "orderly_impact": impact, "timeseries_seed": self.seed}


def check_options(
    *, seed: int | None = None, days: int | None = None, impact_days: int | None = None
) -> None:
    """Refuse a bad seed or day count before any work (one line, the option named)."""
    for name, param, given in (
        ("seed", "seed", seed),
        ("days", "monte_carlo_days", days),
        ("impact_days", "impact_days", impact_days),
    ):
        if given is not None:
            parameter(param).check(given, name)


def reproduce_timeseries(
    *,
    seed: int | None = None,
    days: int | None = None,
    impact_days: int | None = None,
    strategies: Sequence[str] = HOSTING_STRATEGIES,
    behaviour: Any = None,
    progress: Callable[[str], None] | None = None,
) -> TimeseriesReproduction:
    """Run the time-series tier on the report's cases.

    Parameters
    ----------
    seed
        Seed of every Monte Carlo run; default the parameter ``seed`` (2023). Each case draws its
        cars from its own stream of the seed (:func:`evgrid.planning.fleet.site_stream`), the
        cars ``evgrid hosting`` draws with the same seed and days, and every strategy of a case
        charges the same cars.
    days
        Monte Carlo days of the hosting bands [day]; default ``monte_carlo_days`` (365).
    impact_days
        Monte Carlo days of the figure 6–7 comparison [day]; default ``impact_days`` (14).
    strategies
        Strategies of the hosting bands.
    behaviour
        Behaviour of the communities (a preset name, a file or a
        :class:`~evgrid.demand.behaviour.Behaviour`); default the ``report`` basis's, the
        ``report`` preset (every run here is on the report basis). The uncontrolled bands also
        give the range across every bundled preset (``details["behaviour_range"]``); office
        parks always take the office preset.
    progress
        Called with a short description before each run (for a progress display).
    """
    check_options(seed=seed, days=days, impact_days=impact_days)
    seed = parameter("seed").resolve(seed)
    days = parameter("monte_carlo_days").resolve(days)
    impact_days = parameter("impact_days").resolve(impact_days)
    cases = report_cases()
    hosting: dict[tuple[str, str], HostingResult] = {}
    for case in CASES:
        for strategy in strategies:
            if progress:
                progress(f"{case}: {strategy}, {days} days")
            site = cases[case]
            given = {} if behaviour is None or site.kind == "office" else {"behaviour": behaviour}
            (hosting[case, strategy],) = site_hosting(
                site,
                method="timeseries",
                strategy=strategy,
                days=days,
                rng=seed,
                behaviour_range=strategy == "uncontrolled",
                basis="report",
                **given,
            )
    impact: dict[str, OrderlyImpact] = {}
    for case in IMPACT_CASES:
        if progress:
            progress(f"{case}: orderly against uncontrolled, 2025, {impact_days} days")
        impact[case] = orderly_impact(
            cases[case],
            days=impact_days,
            behaviour=behaviour,
            rng=seed,
            basis="report",
        )
    return TimeseriesReproduction(hosting=hosting, impact=impact, seed=seed)
