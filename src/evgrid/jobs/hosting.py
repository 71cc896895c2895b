"""The hosting job: how many piles a site's transformer hosts (``evgrid hosting``).

One request (:class:`HostingRequest`), one library call
(:func:`evgrid.planning.hosting.site_hosting`), one answer (:class:`HostingAnswer`) for the
command line, the web app, the HTTP API and Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from evgrid.jobs.fields import Answer, Progress, Request, option
from evgrid.jobs.network import network_names
from evgrid.jobs.options import (
    BASIS,
    BEHAVIOUR,
    CRITERION,
    DAYS,
    HUB_CONNECTION,
    LIMIT,
    METHOD,
    MODES,
    PARTICIPATION,
    SEED,
    SITE,
    STRATEGY,
    TIMESERIES,
)

if TYPE_CHECKING:
    from evgrid.planning.result import HostingResult
    from evgrid.report.tables import Table


@dataclass(frozen=True, kw_only=True)
class HostingRequest(Request):
    """Hosting capacity of one site: the largest pile ratio at the transformer's limit.

    Every field but ``site`` is optional; None takes the library's default (the parameter
    table's value where the option names one).
    """

    kind = "hosting"

    site: Any = option(like=SITE)
    method: str = option("index", like=METHOD)
    strategy: str | None = option(
        like=STRATEGY,
        help="Charging strategy; default: index uncontrolled and orderly, timeseries uncontrolled",
    )
    basis: str | None = option(like=BASIS)
    participation: float | None = option(like=PARTICIPATION)
    criterion: str = option("loading", like=CRITERION)
    limit: float | None = option(like=LIMIT)
    days: int | None = option(like=DAYS)
    seed: int | None = option(like=SEED, methods=TIMESERIES)
    behaviour: str | None = option(
        like=BEHAVIOUR,
        help="timeseries: charging behaviour, a preset or a behaviour file (YAML/JSON) "
        "(default: {behaviour_residential}, office parks {behaviour_office})",
        param=None,
        methods=TIMESERIES,
    )
    behaviour_range: bool | None = option(
        help="timeseries: also run every behaviour preset and show the range of the answer "
        "(default: on with timeseries)",
        off_flag="--no-behaviour-range",
        methods=TIMESERIES,
        zh="行为范围",
    )
    year: int | None = option(
        help="index, office park: planning year [year]",
        allowed="integer [1900, 2200]",
        unit="year",
        kinds=("office",),
        zh="规划年",
    )
    sensitivity: bool = option(
        False,
        help="Also rank the inputs by how far they move the recommendation (time-series runs "
        "of {sensitivity_days} days each)",
        zh="敏感性分析",
    )
    modes: str | None = option(
        like=MODES,
        help=MODES.help + " (default: report where a community has fewer spaces than "
        "households, else fixed-only)",
    )
    hub_connection: str | None = option(like=HUB_CONNECTION)
    study_year: int | None = option(
        help="index: year of the study; decides which communities are new [year]",
        param="study_year",
        kinds=("residential",),
        zh="研究年",
    )
    network: str | None = option(
        help="Low-voltage network judged too, instead of the site's own: a bundled area or a "
        "network file (default: the site's network field, if it has one; docs/network.md)",
        names=network_names,
        kinds=("residential",),
        zh="低压台区",
    )
    network_days: int | None = option(
        help="Monte Carlo days of the network study [day]",
        param="network_days",
        kinds=("residential",),
        zh="台区模拟天数",
    )

    def library_options(self) -> dict[str, Any]:
        """The keyword arguments of :func:`evgrid.planning.hosting.site_hosting`."""
        given = {
            "method": self.method,
            "strategy": self.strategy,
            "limit": self.limit,
            "criterion": self.criterion,
            "rng": self.seed,
            "days": self.days,
            "year": self.year,
            "study_year": self.study_year,
            "behaviour": self.behaviour,
            "participation": self.participation,
            "basis": self.basis,
            "sensitivity": self.sensitivity or None,
            "network": self.network,
            "network_days": self.network_days,
        }
        options = {k: v for k, v in given.items() if v is not None}
        wide = self.behaviour_range
        options["behaviour_range"] = self.method == "timeseries" if wide is None else wide
        return options

    def run(self, progress: Progress | None = None) -> HostingAnswer:
        """The site's hosting results (:func:`evgrid.planning.hosting.site_hosting`)."""
        from evgrid.planning.hosting import site_hosting

        if progress is not None:
            progress(0, 1, f"{self.site.name}: {self.strategy or 'hosting'}")
        results = site_hosting(self.site, **self.library_options())
        modes = self.plan_modes()
        if progress is not None:
            progress(1, 1, "done")
        return hosting_answer(self, results, modes)

    def mode_mix(self) -> Any:
        """The charging modes of the site's cars (:func:`evgrid.planning.mode_mix.mode_mix`): the
        given ones, else the report's order where a community has fewer parking spaces than
        households (and a known type), else fixed piles only."""
        from evgrid.planning.mode_mix import community_kind, mode_mix

        site = self.site
        if site.kind != "residential":
            return mode_mix(site, "fixed-only")
        chosen = self.modes
        if chosen is None:
            short = site.parking_spaces < site.households
            chosen = "report" if short and _has_type(site, community_kind) else "fixed-only"
        if chosen not in ("report", "fixed-only"):
            from evgrid.io import read_document

            chosen = read_document(chosen, "mode shares (YAML/JSON: fixed, shared, public)")
        return mode_mix(site, chosen)

    def plan_modes(self) -> Any:
        """The community's charging modes and public hub (:func:`evgrid.planning.modes.plan_modes`),
        or None when every car charges at a fixed pile."""
        from evgrid.planning.modes import plan_modes

        mix = self.mode_mix()
        if mix.name == "fixed-only":
            return None
        from evgrid.params import default

        seed = default("seed") if self.seed is None else self.seed
        return plan_modes(
            self.site,
            mix=mix,
            connection=self.hub_connection,
            rng=seed,
            behaviour=self.behaviour,
            basis=self.basis,
        )


def _has_type(site: Any, kind_of: Any) -> bool:
    from evgrid.errors import InputError

    try:
        kind_of(site)
    except InputError:
        return False
    return True


def hosting_answer(
    request: HostingRequest, results: list[HostingResult], modes: Any = None
) -> HostingAnswer:
    """The answer of ``request`` from its results: the envelope's ``result`` is ``site``,
    ``method`` and ``results`` (each :meth:`~evgrid.planning.result.HostingResult.to_dict`),
    with the report's record shapes (``residential`` or ``office``) for the index method,
    ``network`` (the network study, :meth:`evgrid.network.study.NetworkResult.to_dict`) for a
    site with a network, and ``modes`` (the share of the cars by charging mode) and, with
    public charging, ``hub``."""
    from evgrid.planning.reproduce import index_document

    method = results[0].method
    document: dict[str, Any] = {"site": request.site.name, "method": method}
    if method == "index":
        document.update(index_document(results))
    else:
        document["results"] = [r.to_dict() for r in results]
    study = results[0].network.study if results[0].network is not None else None
    if study is not None:  # the site's network: its study (extremes, hosting per strategy)
        document["network"] = study.to_dict()
    if modes is None:
        document["modes"] = request.mode_mix().__dict__ | {"plan": None}
    else:
        plan = modes.to_dict()
        document["modes"] = {**plan["modes"], "name": plan["mix"], "plan": plan}
        document["hub"] = plan["hub"]
    # evgrid 0.2's shapes at the top level, for one release (CHANGELOG 0.3.0)
    source = request.source("site")
    if method == "index":
        legacy = {**document, "site": str(source) if source else request.site.name}
    else:
        legacy = results[0].to_dict()
    return HostingAnswer(request, (results, modes), document, legacy)


@dataclass(frozen=True)
class HostingAnswer(Answer):
    """A site's hosting results and how every face shows them."""

    @property
    def results(self) -> list[HostingResult]:
        """The library's results (uncontrolled and orderly, or each planning year)."""
        found: list[HostingResult] = self.result[0]
        return found

    @property
    def modes(self) -> Any:
        """The community's charging modes and hub (:class:`evgrid.planning.modes.ModesResult`),
        or None when every car charges at a fixed pile."""
        return self.result[1]

    def tables(self, lang: str = "en") -> list[Table]:
        """The terminal's and the web page's tables."""
        from evgrid.report.tables import curve_table, hosting_table, recommendation_table

        first = self.results[0]
        tables = [recommendation_table(self.results, lang)]  # the answer first, then the detail
        if first.network is not None:  # the site's network beside its transformer
            from evgrid.report.network import hosting_network_table

            tables.append(hosting_network_table(self.results, lang))
        if first.method == "timeseries":
            tables.append(curve_table(first, lang))
        return [*tables, hosting_table(self.results, lang)]

    def lines(self, lang: str = "en") -> list[str]:
        """The sentences after the tables."""
        from evgrid.report.labels import percent, word
        from evgrid.report.tables import behaviour_summary

        first = self.results[0]
        ranked = [
            f"{r.strategy}: {row['input']}: {percent(row['low'], 1)} ({row['low_setting']}) to "
            f"{percent(row['high'], 1)} ({row['high_setting']})"
            for r in self.results
            for row in (r.sensitivity or ())
        ]
        ranked = [*ranked, *self.network_lines(lang)]
        if first.method != "timeseries":
            return [*ranked, *self.mode_lines(lang)]
        lines = [
            *ranked,
            f"{word('largest pile ratio', lang)}: P50 {percent(first.max_pile_ratio_p50)}, "
            f"P95 {percent(first.max_pile_ratio_p95)}",
        ]
        summary = behaviour_summary(first, lang)
        lines = lines if summary is None else [*lines, summary]
        return [*lines, *self._season_note(lang), *self.mode_lines(lang)]

    def _season_note(self, lang: str) -> list[str]:
        """A warning when the simulated days are fewer than a year on a basis with seasons: spread
        over the year, a few days can miss its bad days, and the answer and its interval are those
        of the days simulated."""
        from evgrid.params import default
        from evgrid.planning.basis import load_basis
        from evgrid.report.labels import word

        first = self.results[0]
        year = int(default("days_per_year"))
        if first.days is None or first.days >= year or first.basis is None:
            return []
        if load_basis(first.basis).base_load != "seasonal":
            return []
        return [
            f"{first.days} {word('days', lang)} < {year}: "
            + word("the seasons are not all simulated; use a year of days for a decision", lang)
        ]

    def network_lines(self, lang: str = "en") -> list[str]:
        """The site's network in words: what it is, and its extremes at the transformer's
        answer (empty without a network)."""
        first = self.results[0]
        if first.network is None or first.network.study is None:
            return []
        from evgrid.report.network import network_intro, size_note, study_rows, study_title

        study = first.network.study.to_dict()
        extremes = "; ".join(f"{k} {v}" for k, v in study_rows(study, lang)[:5])
        return [
            network_intro(self.results, lang),
            *size_note(self.results, cast(HostingRequest, self.request).site.households, lang),
            f"{study_title(self.results, lang)}: {extremes}",
        ]

    def mode_lines(self, lang: str = "en") -> list[str]:
        """The charging modes and the public hub, in words."""
        from evgrid.report.labels import percent, word

        plan = self.modes
        if plan is None:
            return []
        doc = plan.to_dict()
        shares = ", ".join(f"{word(m, lang)} {percent(v)}" for m, v in doc["modes"].items())
        lines = [f"{word('charging modes', lang)} ({word(doc['mix'], lang)}): {shares}"]
        hub, community = doc["hub"], doc["community"]
        if hub is not None:
            lines.append(
                f"{word('public hub', lang)}: {hub['dc_chargers']} DC + {hub['ac_chargers']} AC, "
                f"{word('peak', lang)} {hub['peak_kw']:.0f} kW, {word('mean wait', lang)} "
                f"{hub['mean_wait_min']:.1f} min ({word(doc['connection'], lang)})"
            )
        verdict = "" if community["passes"] else f" — {word('over the limit', lang)}"
        lines.append(
            f"{word('community transformer with every mode', lang)}: "
            f"{percent(community['loading_pu'], 1)}{verdict}"
        )
        return lines

    def html(self, lang: str = "en") -> str:
        """The HTML report (with the community's charging modes where some cars have no fixed
        pile), with this answer's JSON envelope inside."""
        from evgrid.report.html import hosting_html, with_envelope

        page = hosting_html(self.results, lang, modes=self.modes)
        return with_envelope(page, self.to_dict())

    def to_frame(self) -> Any:
        """Every result's curve as one pandas DataFrame (a row per result and pile ratio)."""
        import pandas as pd

        return pd.concat([r.to_frame() for r in self.results], ignore_index=True)
