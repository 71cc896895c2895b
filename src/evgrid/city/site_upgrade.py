"""One site through a scenario's years: the rows a city run writes for it
(:func:`site_upgrade`, what the web app's upgrade year and ``evgrid.site_upgrade`` give)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from evgrid.city.compute import ChunkTask, compute_chunk
from evgrid.city.settings import CitySettings, city_settings
from evgrid.errors import bad_value
from evgrid.grid.site import Site


def _plain(value: Any) -> Any:
    """A JSON value: None for NaN."""
    return None if isinstance(value, float) and math.isnan(value) else value


@dataclass(frozen=True)
class SiteUpgrade:
    """One site through a scenario's years: the rows a city run writes for it.

    Parameters
    ----------
    site_id
        The site's id (its random stream in the time-series tier derives from it).
    scenario, method, criterion, limit
        What was computed: scenario name, tier, criterion and its limit [pu, °C or day/day].
    base_year
        Year of present values and of the community types [year].
    years
        The scenario's years [year].
    upgrades
        One row per strategy: the columns of :data:`UPGRADE_COLUMNS` but ``row``
        (``upgrade_year`` None when the site does not fail within the scenario; NaN as None).
    results
        One row per strategy and year: the columns of :data:`RESULT_COLUMNS` but ``row``.
    basis
        Name of the design basis.
    """

    site_id: str
    scenario: str
    method: str
    criterion: str
    limit: float
    base_year: int
    years: tuple[int, ...]
    upgrades: tuple[dict[str, Any], ...]
    results: tuple[dict[str, Any], ...]
    basis: str = "design"

    def upgrade(self, strategy: str) -> dict[str, Any]:
        """The upgrade row of one strategy.

        Raises
        ------
        InputError
            A strategy that was not computed.
        """
        for row in self.upgrades:
            if row["strategy"] == strategy:
                return row
        computed = ", ".join(r["strategy"] for r in self.upgrades)
        raise bad_value("strategy", strategy, f"one of {computed}")

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON (the HTTP API's answer); each upgrade row also carries its
        ``interval`` (``[upgrade_year_low, upgrade_year_high]``, None beyond the last year)."""
        return {
            "site_id": self.site_id,
            "basis": self.basis,
            "scenario": self.scenario,
            "method": self.method,
            "criterion": self.criterion,
            "limit": self.limit,
            "base_year": self.base_year,
            "years": list(self.years),
            "upgrades": [
                {**r, "interval": [r.get("upgrade_year_low"), r.get("upgrade_year_high")]}
                for r in self.upgrades
            ],
            "results": [dict(r) for r in self.results],
        }


def site_upgrade(
    site: Site, settings: CitySettings | None = None, *, site_id: str | None = None
) -> SiteUpgrade:
    """The upgrade timeline of one site: what a city run computes for it (:func:`compute_chunk`
    on a chunk of this one site), for pages and programs that ask about a single site.

    Parameters
    ----------
    site
        The site; a community needs ``type`` or ``built`` (a scenario grows cars and load by
        type).
    settings
        Scenario, method, strategies and options (:func:`city_settings`); default
        ``city_settings()``: the parameter ``scenario``, index method, all three strategies.
    site_id
        The site's id; default its name (as in a city table without an ``id`` column), so the
        time-series tier draws the same random stream as a city run of the same seed.

    Raises
    ------
    InputError
        A community with neither ``type`` nor ``built``.
    """
    from evgrid.checks import instance
    from evgrid.grid.site import as_site

    site = as_site(site)
    if settings is not None:
        instance(settings, CitySettings, "settings", "CitySettings (evgrid.city_settings)")
    if site_id is not None and not isinstance(site_id, str | int):
        raise bad_value("site_id", site_id, "a text")
    s = settings or city_settings()
    key = site.name if site_id is None else str(site_id)
    results, upgrades = compute_chunk(ChunkTask(0, [0], [key], [site], s))

    def rows(table: Any) -> tuple[dict[str, Any], ...]:
        return tuple({k: _plain(v) for k, v in r.items() if k != "row"} for r in table.to_pylist())

    return SiteUpgrade(
        site_id=key,
        scenario=s.scenario.name,
        method=s.method,
        criterion=s.criterion,
        limit=float(s.limit),
        base_year=int(s.scenario.base_year),
        years=tuple(int(y) for y in s.scenario.years),
        upgrades=rows(upgrades),
        results=rows(results),
        basis=s.basis.name,
    )
