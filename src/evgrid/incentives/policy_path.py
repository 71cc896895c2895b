"""The report's policy path for one community, year by year (report 6).

:func:`policy_path` walks a community through the years of an EV-growth scenario the way the
report's path lays out: the charging modes of its type (:mod:`evgrid.planning.modes`: fixed-space
piles, shared piles, a public hub for the cars without a pile), orderly charging of the private
piles from 2026 (report 6: 2023–2025 orderly pilots, 2026–2030 every residential pile under
orderly control), V2G pilots from 2026 on the fixed piles (:mod:`evgrid.incentives.v2g_value`),
and the tariff that prices it (its NDRC check and a compliant variant,
:mod:`evgrid.incentives.pricing`). Each year gives the cars by mode, the hub, the community
transformer's P95 loading with the hub on it or on its own unit, what the model before this
(fixed piles only) leaves unserved, and what V2G adds. ``docs/policy-path.md`` is generated from
it (``python3 tools/policy_path_doc.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from evgrid.params import parameter

ORDERLY_FROM = 2026
"""First year every residential pile charges under orderly control (report 6: 2026–2030)."""
V2G_FROM = 2026
"""First year of V2G pilots on the community's fixed piles (report 6: 2026–2030)."""


@dataclass(frozen=True, eq=False)
class PolicyYear:
    """One year of the path (see :func:`policy_path`)."""

    year: int
    ev_share: float
    strategy: str
    modes: dict[str, Any]
    fixed_only: dict[str, Any]
    own_unit: dict[str, Any]
    v2g: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        """Plain form."""
        return {
            "year": self.year,
            "ev_share": self.ev_share,
            "strategy": self.strategy,
            "modes": self.modes,
            "fixed_only": self.fixed_only,
            "own_unit": self.own_unit,
            "v2g": self.v2g,
        }


@dataclass(frozen=True, eq=False)
class PolicyPath:
    """A community's path through the years, and the tariff that prices it."""

    site_name: str
    scenario: str
    days: int
    seed: int
    years: tuple[PolicyYear, ...]
    tariff: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain form."""
        return {
            "site": self.site_name,
            "scenario": self.scenario,
            "days": self.days,
            "seed": self.seed,
            "tariff": self.tariff,
            "years": [y.to_dict() for y in self.years],
        }


def _tariff_check(tariff: Any) -> dict[str, Any]:
    """The tariff's NDRC check, and the same tariff moved to the rule's ratio."""
    from evgrid.incentives.pricing import move_tariff, ndrc_ratio, peak_valley_ratio
    from evgrid.incentives.pricing import tariff_warnings as warn
    from evgrid.incentives.tariffs import load_tariff

    t = load_tariff(tariff)
    rule = ndrc_ratio()
    moved = move_tariff(t, rule, mode="ratio")
    (season,) = moved.seasons[:1]
    return {
        "name": t.name,
        "peak_valley_ratio": peak_valley_ratio(t),
        "spread_yuan_per_kwh": min(t.spreads_yuan_per_kwh),
        "warnings": warn(t),
        "at_rule": {
            "ratio": rule,
            "prices_yuan_per_kwh": {b: p.energy_yuan_per_kwh for b, p in season.prices.items()},
            "spread_yuan_per_kwh": season.spread_yuan_per_kwh,
        },
    }


def policy_path(
    site: Any,
    *,
    scenario: Any = None,
    years: Any = (2025, 2030, 2035),
    days: int | None = None,
    rng: int | None = None,
    tariff: Any = "chengdu-2023",
    v2g_share: float | None = None,
    basis: Any = None,
) -> PolicyPath:
    """A community through the years of the report's path (module docstring).

    Parameters
    ----------
    site
        A residential community of known type.
    scenario
        EV-growth scenario; default the parameter ``scenario`` (``medium``).
    years
        The years [year].
    days
        Monte Carlo days per year [day]; default the parameter ``impact_days``.
    rng
        Seed (the same for every year and run); default the parameter ``seed``.
    tariff
        The tariff checked against the NDRC rule and used for the valley share.
    v2g_share
        Share of the fixed piles that are bidirectional from :data:`V2G_FROM` [-]; default the
        parameter ``v2g_share``.
    basis
        The design basis of the modes' plans (:func:`evgrid.planning.modes.plan_modes`); default
        the parameter ``basis``.
    """
    from evgrid.incentives.v2g_value import v2g_value
    from evgrid.planning.modes import plan_modes
    from evgrid.planning.scenarios import Scenario, load_scenario

    sc = (
        scenario
        if isinstance(scenario, Scenario)
        else load_scenario(scenario or parameter("scenario").value)
    )
    seed = int(parameter("seed").resolve(rng, "rng"))
    n_days = int(parameter("impact_days").resolve(days, "days"))
    chosen = [int(y) for y in years]
    out = []
    for year, share in zip(chosen, sc.ev_share_at(np.array(chosen)), strict=True):
        strategy = "valley-filling" if year >= ORDERLY_FROM else "uncontrolled"
        opts: dict[str, Any] = {"ev_share": float(share), "year": year, "days": n_days,
                                "rng": seed, "strategy": strategy, "basis": basis}  # fmt: skip
        on_site = plan_modes(site, connection="community", **opts)
        own = plan_modes(site, connection="own-unit", **opts)
        only = plan_modes(site, mix="fixed-only", **opts)
        v2g = None
        if year >= V2G_FROM and on_site.counts.fixed > 0:
            extra = on_site.horizon_kw["shared"] + on_site.horizon_kw["hub"]
            value = v2g_value(
                site,
                ev_share=on_site.counts.fixed / int(site.parking_spaces),
                days=n_days,
                rng=seed,
                v2g_share=v2g_share,
                hosting=False,
                extra_kw=extra,
                tariff=tariff,
            )
            v2g = value.to_dict()
        out.append(
            PolicyYear(
                year=year,
                ev_share=float(share),
                strategy=strategy,
                modes=on_site.to_dict(),
                fixed_only=only.to_dict(),
                own_unit=own.to_dict(),
                v2g=v2g,
            )
        )
    return PolicyPath(
        site_name=str(site.name),
        scenario=sc.name,
        days=n_days,
        seed=seed,
        years=tuple(out),
        tariff=_tariff_check(tariff),
    )
