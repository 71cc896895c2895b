"""What the web app asks of the library: one site's hosting and upgrade year, a schedule.

Thin: each function passes the client's options to the library call the command line makes for
the same question (``evgrid hosting``, ``evgrid schedule``; a site's upgrade year is what
``evgrid city`` computes for it, :func:`evgrid.city.compute.site_upgrade`) and returns its
results; the library validates every value and names it in its one-line message.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evgrid.grid.site import Site
from evgrid.params import parameter
from evgrid.planning.result import HostingResult
from evgrid.web.errors import field_words

HOSTING_OPTIONS = ("method", "strategy", "participation", "criterion", "limit", "days", "seed",
                   "year", "study_year")  # fmt: skip
"""Options of a hosting request: those of ``evgrid hosting``."""


def hosting_options(given: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments of :func:`evgrid.planning.hosting.site_hosting`, as the command
    line builds them: unset options left out (the library's defaults apply), ``seed`` as
    ``rng`` (checked against the parameter table), participation 1 left out."""
    seed = given.get("seed")
    if seed is not None:
        parameter("seed").check(seed, "seed")
    options = {
        "method": given.get("method"),
        "strategy": given.get("strategy"),
        "limit": given.get("limit"),
        "criterion": given.get("criterion"),
        "rng": seed,
        "days": given.get("days"),
        "year": given.get("year"),
        "study_year": given.get("study_year"),
    }
    participation = given.get("participation")
    if participation is not None and participation != 1.0:
        options["participation"] = participation
    return {k: v for k, v in options.items() if v is not None}


UPGRADE_STRATEGIES = ("uncontrolled", "orderly")
"""Strategies of the upgrade year on a site's result page."""


def upgrade_document(site: Site, given: dict[str, Any]) -> dict[str, Any]:
    """A site's upgrade timeline under a bundled scenario (``POST /api/upgrade``):
    :func:`evgrid.city.compute.site_upgrade` as JSON.

    Parameters
    ----------
    site
        The site.
    given
        ``scenario`` (a bundled name; None for the default) and the options of
        :func:`evgrid.city.compute.city_settings`; None for defaults.
    """
    from evgrid.city.compute import city_settings, site_upgrade
    from evgrid.planning.scenarios import bundled_scenario

    options = {k: v for k, v in given.items() if k != "scenario" and v is not None}
    with field_words():
        settings = city_settings(bundled_scenario(given.get("scenario")), **options)
        return site_upgrade(site, settings).to_dict()


def page_upgrade(site: Site, scenario: Any, options: dict[str, Any]) -> Any:
    """The upgrade year of a result page: :func:`evgrid.city.compute.site_upgrade` under the
    scenario, uncontrolled and orderly, with the planning-index tier (closed form, a city run's
    default method; the time-series tier's thermal criteria take tens of seconds a site) and the
    page's loading limit.

    Raises
    ------
    InputError
        The site cannot go through a scenario (a community with neither type nor build year).
    """
    from evgrid.city.compute import city_settings, site_upgrade

    loading = options.get("criterion") in (None, "loading")
    limit = options.get("limit") if loading else None
    with field_words():
        return site_upgrade(
            site, city_settings(scenario, strategies=UPGRADE_STRATEGIES, limit=limit)
        )


def site_results(site: Site, options: dict[str, Any]) -> list[HostingResult]:
    """What ``evgrid hosting`` computes for a site with these options (the same call)."""
    from evgrid.planning.hosting import site_hosting

    return site_hosting(site, **hosting_options(options))


@dataclass(eq=False)
class SiteRun:
    """One site's run for the result page and its downloads.

    Parameters
    ----------
    site
        The validated site.
    results
        What ``evgrid hosting`` shows for these options.
    index
        The planning-index results drawn beside a time-series band (loading criterion), else
        empty.
    impact
        Typical-day load, uncontrolled against orderly charging (the report's figures 6-7
        method), or None with ``impact_note`` saying why not.
    options
        The options as given.
    upgrade
        The upgrade year under a scenario (:func:`page_upgrade`), or None with
        ``upgrade_note`` saying why not.
    """

    site: Site
    results: list[HostingResult]
    index: list[HostingResult] = field(default_factory=list)
    impact: Any = None
    impact_note: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    upgrade: Any = None
    upgrade_note: str = ""
    id: str = field(default_factory=lambda: secrets.token_urlsafe(9))
    created: float = field(default_factory=time.time)

    @property
    def chart_results(self) -> list[HostingResult]:
        """The results of the loading-vs-pile-ratio chart: index lines, then the band."""
        return [*self.index, *self.results]

    def to_dict(self) -> dict[str, Any]:
        """The run as one JSON document: results (with their daily curves), index lines,
        daily load."""
        return {
            "site": self.site.name,
            "options": self.options,
            "results": [r.to_dict(curves=True) for r in self.results],
            "index": [r.to_dict() for r in self.index],
            "daily_load": None if self.impact is None else self.impact.to_dict(curves=True),
            "upgrade": None if self.upgrade is None else self.upgrade.to_dict(),
        }


def run_site(
    site: Site,
    options: dict[str, Any],
    ev_share: float | None = None,
    scenario: str | None = None,
) -> SiteRun:
    """The result page's computations: the site's hosting results, the index lines beside a
    time-series band, the typical-day load at an EV share and the upgrade year under a scenario.

    Parameters
    ----------
    site
        The site.
    options
        Hosting options (:data:`HOSTING_OPTIONS`).
    ev_share
        Share of parking spaces with an EV for the daily load [-]; default the parameter
        ``ev_share_2025_medium``.
    scenario
        A bundled scenario's name for the upgrade year; default the parameter ``scenario``.
    """
    from evgrid.demand.behaviour import Behaviour
    from evgrid.errors import EvgridError
    from evgrid.planning.hosting import site_hosting
    from evgrid.planning.orderly_impact import orderly_impact
    from evgrid.planning.scenarios import bundled_scenario

    chosen = bundled_scenario(scenario)  # a name that is not bundled refuses the form
    results = site_results(site, options)
    index: list[HostingResult] = []
    first = results[0]
    if first.method == "timeseries" and first.criterion == "loading":
        index = site_hosting(site, limit=options.get("limit"))
    seed = options.get("seed")
    try:
        impact = orderly_impact(
            site,
            ev_share=ev_share,
            rng=parameter("seed").value if seed is None else seed,
            behaviour=Behaviour.preset("home" if site.kind == "residential" else "office"),
        )
        note = ""
    except EvgridError as exc:  # e.g. a share that gives no car: the page says so
        impact, note = None, str(exc)
    try:
        upgrade, upgrade_note = page_upgrade(site, chosen, options), ""
    except EvgridError as exc:  # e.g. a community without type or build year: the page says so
        upgrade, upgrade_note = None, str(exc)
    return SiteRun(site, results, index, impact, note, dict(options), upgrade, upgrade_note)


class ResultStore:
    """The latest site runs, for their result pages and downloads (oldest dropped first).

    Parameters
    ----------
    size
        Runs kept [-].
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._runs: OrderedDict[str, SiteRun] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, run: SiteRun) -> SiteRun:
        """Keep ``run``; drop the oldest beyond :attr:`size`."""
        with self._lock:
            self._runs[run.id] = run
            while len(self._runs) > self.size:
                self._runs.popitem(last=False)
        return run

    def get(self, run_id: str) -> SiteRun | None:
        """The run with this id, or None."""
        with self._lock:
            return self._runs.get(run_id)


def schedule_document(
    sessions: Path,
    base_load: Path | None,
    *,
    strategy: str,
    limit_kw: float | None,
    participation: float,
    slot_min: float,
    seed: int | None,
) -> tuple[dict[str, float], dict[str, Any]]:
    """``evgrid schedule``: a strategy run on a session file; its summary and its columns.

    Returns
    -------
    summary, columns
        ``Schedule.summary(base)`` and ``Schedule.columns(base)`` (arrays per slot).
    """
    import numpy as np

    from evgrid.charging.strategies import get_strategy, horizon_days, schedule
    from evgrid.demand.io import read_sessions
    from evgrid.load.measured import read_base_load
    from evgrid.timegrid import TimeGrid

    TimeGrid(slot_min=slot_min)  # refuse a bad slot before reading anything
    chosen = get_strategy(strategy)
    s = read_sessions(sessions)
    grid = TimeGrid(slot_min=slot_min, n_days=horizon_days(s))
    base = np.zeros(grid.n_slots) if base_load is None else read_base_load(base_load, grid)
    result = schedule(
        s,
        chosen.name,
        grid=grid,
        base_kw=base,
        limit_kw=limit_kw,
        participation=participation,
        rng=seed,
    )
    return result.summary(base), result.columns(base)
