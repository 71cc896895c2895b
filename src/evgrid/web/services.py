"""What the site page asks of the library: the hosting request's answer, the daily load and
the upgrade year.

Thin: the hosting answer is :class:`evgrid.jobs.hosting.HostingRequest`'s (the call of ``evgrid
hosting``); the daily load is :func:`evgrid.orderly_impact`; a site's upgrade year is what
``evgrid city`` computes for it (:func:`evgrid.city.site_upgrade.site_upgrade`).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from evgrid.grid.site import Site
from evgrid.jobs.fields import Option
from evgrid.jobs.hosting import HostingAnswer, HostingRequest
from evgrid.jobs.options import scenario_names
from evgrid.params import default
from evgrid.planning.result import HostingResult

EV_SHARE = Option(
    "Share of parking spaces with an EV for the daily load [-]",
    param="ev_share_2025_medium",
    name="ev_share",
    kind=float,
    zh="日负荷曲线的电动化率",
)
"""The result page's own option: the EV share of its daily load (report figures 6-7)."""
SCENARIO = Option(
    "Scenario of the upgrade year",
    param="scenario",
    name="scenario",
    names=scenario_names,
    zh="增容改造年份的情景",
)
"""The result page's own option: the bundled scenario of its upgrade year."""


UPGRADE_STRATEGIES = ("uncontrolled", "orderly")
"""Strategies of the upgrade year on a site's result page."""


def page_upgrade(site: Site, scenario: Any, options: dict[str, Any]) -> Any:
    """The upgrade year of a result page: :func:`evgrid.city.site_upgrade.site_upgrade` under the
    scenario, uncontrolled and orderly, with the planning-index tier (closed form, a city run's
    default method; the time-series tier's thermal criteria take tens of seconds a site) and the
    page's loading limit.

    Raises
    ------
    InputError
        The site cannot go through a scenario (a community with neither type nor build year).
    """
    from evgrid.city.settings import city_settings
    from evgrid.city.site_upgrade import site_upgrade

    loading = options.get("criterion") in (None, "loading")
    limit = options.get("limit") if loading else None
    settings = city_settings(
        scenario,
        strategies=UPGRADE_STRATEGIES,
        limit=limit,
        network_days=options.get("network_days"),
    )
    return site_upgrade(site, settings)


@dataclass(eq=False)
class SiteRun:
    """One site's run for the result page and its downloads.

    Parameters
    ----------
    site
        The validated site.
    results
        What ``evgrid hosting`` shows for these options.
    answer
        The hosting request's answer (its JSON envelope is the page's result).
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
    answer: HostingAnswer
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
        envelope = self.answer.to_dict()
        return {
            **{k: envelope[k] for k in ("evgrid", "kind", "request")},
            "site": self.site.name,
            "options": self.options,
            "results": [r.to_dict(curves=True) for r in self.results],
            "index": [r.to_dict() for r in self.index],
            "daily_load": None if self.impact is None else self.impact.to_dict(curves=True),
            "upgrade": None if self.upgrade is None else self.upgrade.to_dict(),
            "network": envelope["result"].get("network"),
        }


def run_site(
    request: HostingRequest, ev_share: float | None = None, scenario: str | None = None
) -> SiteRun:
    """The result page's computations: the hosting request's answer, the index lines beside a
    time-series band, the typical-day load at an EV share and the upgrade year under a scenario.

    Parameters
    ----------
    request
        The hosting request (the site and the options of ``evgrid hosting``).
    ev_share
        Share of parking spaces with an EV for the daily load [-]; default the parameter
        ``ev_share_2025_medium``.
    scenario
        A bundled scenario's name for the upgrade year; default the parameter ``scenario``.
    """
    from evgrid.errors import EvgridError
    from evgrid.planning.hosting import site_hosting
    from evgrid.planning.orderly_impact import orderly_impact
    from evgrid.planning.scenarios import bundled_scenario

    site = request.site
    chosen = bundled_scenario(scenario)  # a name that is not bundled refuses the form
    answer = request.run()
    results = answer.results
    index: list[HostingResult] = []
    first = results[0]
    if first.method == "timeseries" and first.criterion == "loading":
        index = site_hosting(site, limit=request.limit, network=False)  # the transformer's lines
    behaviour = request.behaviour
    if site.kind == "office":
        behaviour = default("behaviour_office")
    options = request.to_dict()
    options.pop("site", None)
    try:
        impact = orderly_impact(
            site,
            ev_share=ev_share,
            rng=default("seed") if request.seed is None else request.seed,
            behaviour=behaviour,
        )
        note = ""
    except EvgridError as exc:  # e.g. a share that gives no car: the page says so
        impact, note = None, str(exc)
    if request.network is not None and site.kind == "residential":  # the network asked for
        import dataclasses

        site = dataclasses.replace(site, network=request.network)
    try:
        upgrade, upgrade_note = page_upgrade(site, chosen, options), ""
    except EvgridError as exc:  # e.g. a community without type or build year: the page says so
        upgrade, upgrade_note = None, str(exc)
    return SiteRun(site, results, answer, index, impact, note, options, upgrade, upgrade_note)


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
