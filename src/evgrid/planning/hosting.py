"""The front door of hosting capacity: one call, both tiers, one result type.

:func:`hosting` answers "how many piles can this site's transformer host under this charging
strategy?" with the planning-index tier (the report's figures 1–2: seconds for a city) or the
time-series tier (Monte Carlo days, any strategy, IEC 60076-7 thermal criteria). Both take the
same site and return a :class:`~evgrid.planning.result.HostingResult`; options that a tier does not
use are refused, not ignored.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

import numpy as np

from evgrid.charging.strategies import get_strategy
from evgrid.errors import bad_value
from evgrid.grid.site import OfficeSite, Site
from evgrid.grid.transformer import Transformer, check_criterion, check_limit
from evgrid.params import default, parameter
from evgrid.planning.assumptions import OfficeAssumptions, ResidentialAssumptions
from evgrid.planning.result import HostingResult

METHODS = ("index", "timeseries")
MODES = ("uncontrolled", "orderly")
"""The planning-index charging modes of a community (report figures 1 and 2)."""
"""The two tiers: the planning index (report section 3–4) and the Monte Carlo time series."""


def _index_mode(strategy: str) -> Literal["uncontrolled", "orderly"]:
    mode = get_strategy(strategy).index_mode
    if mode is None:
        raise bad_value(
            "strategy",
            strategy,
            "uncontrolled or orderly (valley-filling, lp) with the index method; "
            "use the timeseries method for other strategies",
        )
    return mode


def _ts_strategy(strategy: str) -> str:
    """The time-series strategy of an index mode: orderly charging is valley filling."""
    return "valley-filling" if get_strategy(strategy).index_mode == "orderly" else strategy


def _assumptions(given: Any, cls: type[Any], **overrides: Any) -> Any:
    """``given`` (or the defaults of ``cls``) with the non-None overrides applied and checked."""
    if given is None:
        given = cls()
    elif not isinstance(given, cls):
        raise bad_value("assumptions", type(given).__name__, f"a {cls.__name__} for this site")
    changes = {k: v for k, v in overrides.items() if v is not None}
    if "limit" in changes:
        changes["limit_pu"] = check_limit("loading", changes.pop("limit"))
    return dataclasses.replace(given, **changes) if changes else given


def hosting(
    site: Site,
    *,
    method: str = "index",
    strategy: str = "uncontrolled",
    participation: float = 1.0,
    criterion: str = "loading",
    limit: float | None = None,
    days: int | None = None,
    rng: np.random.Generator | int | None = None,
    behaviour: Any = None,
    slot_min: float | None = None,
    year: int | None = None,
    study_year: int | None = None,
    assumptions: ResidentialAssumptions | OfficeAssumptions | None = None,
    transformer: Transformer | None = None,
    basis: Any = None,
    sensitivity: bool = False,
    network: Any = None,
    network_days: int | None = None,
    **options: Any,
) -> HostingResult:
    """Hosting capacity of one site under one charging strategy.

    Parameters
    ----------
    site
        A residential community or an office park (:func:`evgrid.load_site`).
    method
        ``"index"``: the report's planning-index model, deterministic (P50 = P95);
        ``"timeseries"``: Monte Carlo days of sampled charging sessions.
    strategy
        A strategy name (:func:`evgrid.charging.strategies.strategy_names`) or ``"orderly"``.
        The index tier models ``uncontrolled`` and ``orderly`` charging; the minimum-peak
        strategies (``valley-filling``, ``lp``) map to ``orderly`` there.
    participation
        Share of the cars that follow ``strategy``; the rest charge uncontrolled [-].
    criterion
        ``"loading"`` (both tiers), ``"hotspot"`` or ``"ageing"`` (IEC 60076-7; time series).
    limit
        The criterion's limit [pu, °C or day/day]; default from the parameter table (0.8 pu,
        98 °C, 1 day/day).
    days, rng, behaviour, slot_min, **options
        Time-series tier: Monte Carlo days [day], seed or generator (default the parameter
        ``seed``, as on the command line and in the web app: the same call, the same numbers),
        a :class:`~evgrid.demand.behaviour.Behaviour` or a preset name or file, slot length
        [min], the strategy's own options (another name is refused).
    year
        Index tier, office parks: the planning year (2025 or 2030); default the last.
    study_year
        Residential: the study year that decides which communities are new (both tiers: a new
        community below the planning index takes the index as its regular load).
    assumptions
        Index tier: the model's parameters (:class:`ResidentialAssumptions` for a community,
        :class:`OfficeAssumptions` for an office park); ``limit`` and ``study_year`` override
        theirs.
    transformer
        The transformer; default the site's (rating, cooling, paper) with the basis's power
        factors.
    basis
        The design basis (:func:`evgrid.planning.basis.load_basis`): ``"design"`` (the
        parameter ``basis``, the default), ``"report"`` (the report's calibrated assumptions,
        which reproduce its numbers), ``"design-report-energy"``, a basis file or a
        :class:`~evgrid.planning.basis.Basis`. It sets the behaviour, the regular load over the
        year, the ambient, the power factors, the index tier's per-pile demand and the band the
        recommendation is read on (docs/decision.md).
    sensitivity
        Also rank the inputs by how far they move the recommendation
        (:func:`evgrid.planning.sensitivity.hosting_sensitivity`, time-series runs of
        ``days`` with the time-series method, else of the parameter ``sensitivity_days``; the
        same seed): the result's ``sensitivity``.
    network
        The low-voltage network judged too (:mod:`evgrid.planning.network_hosting`): a
        :class:`~evgrid.network.model.Network`, a bundled area's name or a network file, or
        None (the default) or True for the site's own (its document's ``network``, as
        ``evgrid hosting`` and :class:`~evgrid.jobs.hosting.HostingRequest` take it); False: the
        transformer alone. The result's ``network`` then says what the network hosts
        under the strategy, and the recommendation is the smaller of the two (``binding`` names
        the network's element when it binds first). ``rng`` also seeds the network study (with
        either method).
    network_days
        Monte Carlo days of the network study [day]; default the parameter ``network_days``.

    Returns
    -------
    HostingResult

    Raises
    ------
    InputError
        One line naming the option, the value and what is allowed: an unknown method, strategy
        or criterion, a value out of range, or an option the chosen method does not use.
    """
    from evgrid.checks import choice
    from evgrid.grid.site import as_site

    site = as_site(site)
    choice(method, METHODS, "method")
    parameter("participation").check(participation, "participation")
    check_criterion(criterion)
    from evgrid.planning.network_hosting import network_of

    found = network_of(site, True if network is None else network)
    if found is None and network_days is not None:
        raise bad_value("network_days", network_days, "only with a network (the site's or given)")
    given: dict[str, Any] = dict(  # the transformer's own options, for the calls below
        method=method,
        strategy=strategy,
        participation=participation,
        criterion=criterion,
        limit=limit,
        days=days,
        rng=rng,
        behaviour=behaviour,
        slot_min=slot_min,
        year=year,
        study_year=study_year,
        assumptions=assumptions,
        transformer=transformer,
        basis=basis,
        **options,
    )
    if found is not None:
        from evgrid.planning.network_hosting import network_study, with_network

        days_of_network = parameter("network_days").resolve(network_days, "network_days")
        own_rng = rng if method == "timeseries" else None  # the index tier draws nothing
        result = hosting(site, **{**given, "rng": own_rng}, sensitivity=sensitivity, network=False)
        study = network_study(
            site,
            [result],
            network=found,
            days=days_of_network,
            seed=rng,
            behaviour=behaviour,
            basis=basis,
        )
        return with_network([result], study)[0]
    if sensitivity:
        from evgrid.planning.sensitivity import hosting_sensitivity

        result = hosting(site, **given, network=False)
        rows = hosting_sensitivity(
            site,
            strategy=strategy if method == "timeseries" else _ts_strategy(strategy),
            basis=basis,
            days=days if method == "timeseries" else None,
            rng=rng,
            criterion=criterion,
            limit=limit,
            participation=participation,
        )
        return dataclasses.replace(result, sensitivity=rows)
    if method == "timeseries":
        get_strategy(strategy).check_options(options)
        for name, value in (
            ("year", year),
            ("study_year", study_year),
            ("assumptions", assumptions),
        ):
            if value is not None:
                raise bad_value(name, value, "not used by the timeseries method")
        from evgrid.planning.timeseries.run import timeseries_hosting

        return timeseries_hosting(
            site,
            strategy=strategy,
            participation=participation,
            days=days,
            rng=default("seed") if rng is None else rng,
            criterion=criterion,
            limit=limit,
            behaviour=behaviour,
            slot_min=slot_min,
            transformer=transformer,
            study_year=study_year,
            basis=basis,
            **options,
        )
    unused = {"days": days, "rng": rng, "behaviour": behaviour, "slot_min": slot_min, **options}
    for name, value in unused.items():
        if value is not None:
            raise bad_value(name, value, "not used by the index method (timeseries only)")
    if criterion != "loading":
        raise bad_value("criterion", criterion, "'loading' with the index method")
    mode = _index_mode(strategy)
    if isinstance(site, OfficeSite):
        if study_year is not None:
            raise bad_value("study_year", study_year, "not used for an office park")
        from evgrid.planning.office import office_index

        office = _assumptions(assumptions, OfficeAssumptions, limit=limit)
        return office_index(
            site,
            office,
            year=year,
            strategy=mode,
            participation=participation,
            transformer=transformer,
            basis=basis,
        )
    if year is not None:
        raise bad_value("year", year, "not used for a residential community")
    from evgrid.planning.index import residential_index

    residential = _assumptions(
        assumptions, ResidentialAssumptions, limit=limit, study_year=study_year
    )
    return residential_index(
        site,
        residential,
        strategy=mode,
        participation=participation,
        transformer=transformer,
        basis=basis,
    )


def site_hosting(
    site: Site,
    *,
    method: str = "index",
    strategy: str | None = None,
    rng: np.random.Generator | int | None = None,
    behaviour_range: bool = False,
    network: Any = None,
    network_days: int | None = None,
    **options: Any,
) -> list[HostingResult]:
    """The results ``evgrid hosting`` (and the web app) show for one site.

    Without a strategy: the index method gives uncontrolled and orderly charging of a community
    (the report's figures 1–2) or each planning year of an office park (report 4.2); the
    time-series method gives uncontrolled charging. With a strategy, that one. The time-series
    method takes the parameter ``seed`` (2023) when ``rng`` is None, so that a run is
    reproducible by default.

    Parameters
    ----------
    site
        The site.
    method, strategy, rng, **options
        As :func:`hosting`.
    behaviour_range
        Time-series method: also run every bundled behaviour preset of the site's kind with the
        same seed and record each one's largest pile ratios in the result's
        ``details["behaviour_range"]`` (``{preset: {"max_pile_ratio_p50", "max_pile_ratio_p95"}}``):
        how much the answer rests on the demand assumption.
    network, network_days
        As :func:`hosting` (None: the site's own network); one network study for every
        result's strategy (``rng`` seeds it, with either method).
    """
    from evgrid.planning.network_hosting import network_of, network_study, with_network

    found = network_of(site, True if network is None else network)
    if found is None and network_days is not None:
        raise bad_value("network_days", network_days, "only with a network (the site's or given)")
    seed_of_network = rng
    if found is not None and method != "timeseries":
        rng = None  # the index tier draws nothing: the seed is the network study's
    results = _transformer_results(
        site, method, strategy, rng, behaviour_range, {**options, "network": False}
    )
    if found is None:
        return results
    study = network_study(
        site,
        results,
        network=found,
        days=parameter("network_days").resolve(network_days, "network_days"),
        seed=seed_of_network,
        behaviour=options.get("behaviour"),
        basis=options.get("basis"),
    )
    return with_network(results, study)


def _transformer_results(
    site: Site,
    method: str,
    strategy: str | None,
    rng: Any,
    behaviour_range: bool,
    options: dict[str, Any],
) -> list[HostingResult]:
    """:func:`site_hosting`'s results of the transformer alone."""
    if method == "timeseries":
        seed = default("seed") if rng is None else rng  # a generator is passed on as it is
        chosen = strategy or "uncontrolled"
        result = hosting(site, method=method, strategy=chosen, rng=seed, **options)
        if behaviour_range:
            result = _with_behaviour_range(result, site, chosen, seed, options)
        return [result]
    if behaviour_range:
        raise bad_value("behaviour_range", behaviour_range, "only with the timeseries method")
    if rng is not None:
        raise bad_value("seed", rng, "not used by the index method (timeseries only)")
    if strategy is not None:
        return [hosting(site, method=method, strategy=strategy, **options)]
    if isinstance(site, OfficeSite):
        if options.get("year") is not None:
            return [hosting(site, method=method, **options)]
        years = _assumptions(options.get("assumptions"), OfficeAssumptions).years
        return [hosting(site, method=method, year=year, **options) for year in years]
    return [hosting(site, method=method, strategy=mode, **options) for mode in MODES]


def _with_behaviour_range(
    result: HostingResult, site: Site, strategy: str, seed: Any, options: dict[str, Any]
) -> HostingResult:
    """``result`` with the largest pile ratios of every bundled preset of the site's kind."""
    from evgrid.demand.behaviour import Behaviour

    others = {k: v for k, v in options.items() if k != "behaviour"}
    ranges = {}
    for name in Behaviour.presets(site.kind):  # a handful of presets
        r = (
            result
            if name == result.details.get("behaviour")
            else hosting(
                site, method="timeseries", strategy=strategy, rng=seed, behaviour=name, **others
            )
        )
        ranges[name] = {
            "max_pile_ratio_p50": r.max_pile_ratio_p50,
            "max_pile_ratio_p95": r.max_pile_ratio_p95,
        }
    return dataclasses.replace(result, details={**result.details, "behaviour_range": ranges})
