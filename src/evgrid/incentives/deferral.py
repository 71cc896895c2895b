"""The transformer upgrade a lever defers, on the upgrade timeline of the years and the city.

A lever's response share becomes the orderly participation of a scenario in every year
(:func:`lever_scenario`): the ``partial`` strategy of :mod:`evgrid.planning.years` then charges
that share of the piles in the valley and the rest uncontrolled, and
:mod:`evgrid.planning.upgrade` gives each strategy's first failing year, the standard size then
needed, its cost and present value, and what the lever defers against uncontrolled charging.
:func:`site_deferral` does it for one site with the planning-index tier (closed form); the city
batch (:mod:`evgrid.incentives.citywide`) does it for every site of a table, in either tier.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from evgrid.planning.scenarios import Scenario, Value, YearSeries, load_scenario
from evgrid.planning.upgrade import NO_YEAR, CostModel, deferral, timeline

DEFAULT_SCENARIO = "medium"
"""Scenario of the upgrade timeline when none is given (as ``evgrid city``)."""


def lever_scenario(scenario: Scenario, share: float, spread_yuan_per_kwh: float) -> Scenario:
    """``scenario`` with the owners' response share as its orderly participation in every year.

    Parameters
    ----------
    scenario
        An EV-growth scenario (:func:`evgrid.planning.scenarios.load_scenario`).
    share
        Share of owners who respond [-].
    spread_yuan_per_kwh
        The spread that moved them [yuan/kWh] (named as the value's source).
    """
    value = Value(
        float(share), "given", f"owners' response at a spread of {spread_yuan_per_kwh:g} yuan/kWh"
    )
    first = int(scenario.years[0])
    kept = tuple((k, v) for k, v in scenario.sources if not k.startswith("participation"))
    sources = (*kept, (f"participation {first}", value))
    return dataclasses.replace(
        scenario, participation=YearSeries({first: value}, "linear"), sources=sources
    )


def _year(value: int) -> int | None:
    return None if int(value) == NO_YEAR else int(value)


def site_deferral(
    site: Any,
    share: float,
    spread_yuan_per_kwh: float,
    *,
    scenario: Scenario | str | None = None,
    cost: CostModel | None = None,
    discount_rate: float | None = None,
    basis: Any = None,
) -> dict[str, Any]:
    """The upgrade a lever defers at one site: planning-index tier through the scenario's years.

    Parameters
    ----------
    site
        The site.
    share
        Owners who respond [-] (their piles charge in the valley).
    spread_yuan_per_kwh
        The lever's spread [yuan/kWh].
    scenario
        The EV-growth scenario (name or object); default ``medium``.
    cost
        Cost of upgrades (evgrid ships no price); without one, costs are None.
    discount_rate
        Discount rate of present values [-]; default the parameter ``discount_rate``.
    basis
        The design basis (default the parameter ``basis``).

    Returns
    -------
    dict
        ``scenario``, ``method`` (``index``), ``years``; for ``before`` (uncontrolled) and
        ``after`` (the lever): ``upgrade_year`` (None if none by the last year), ``required_kva``,
        ``upgrade_kva``, ``cost_yuan``, ``pv_yuan``, ``loading_pu`` by year; and
        ``deferral_years`` (None when uncontrolled charging needs no upgrade either; a lower
        bound when the lever needs none) and ``pv_saving_yuan`` [yuan].
    """
    from evgrid.params import parameter
    from evgrid.planning.years import index_years, site_years

    base = (
        load_scenario(scenario or DEFAULT_SCENARIO)
        if not isinstance(scenario, Scenario)
        else scenario
    )
    sc = lever_scenario(base, share, spread_yuan_per_kwh)
    rate = parameter("discount_rate").resolve(discount_rate, "discount_rate")
    limit = parameter("loading_limit_pu").value
    sy = site_years([site], sc, basis=basis)
    out: dict[str, Any] = {"scenario": sc.name, "method": "index", "years": list(sc.years)}
    lines = {}
    for key, strategy in (("before", "uncontrolled"), ("after", "partial")):
        loads = index_years(sy, strategy)
        fails = loads.loading_pu > limit * (1 + 1e-9)
        needed = loads.peak_kw / (limit * sy.power_factor[:, None])
        line = timeline(
            sc.years,
            fails,
            needed,
            cost=cost or CostModel(),
            base_year=sc.base_year,
            discount_rate=rate,
        )
        lines[key] = line
        given = (cost or CostModel()).given
        out[key] = {
            "upgrade_year": _year(line.year[0]),
            "required_kva": _plain(line.required_kva[0]),
            "upgrade_kva": _plain(line.unit_kva[0] * line.units[0]),
            "cost_yuan": _plain(line.cost_yuan[0]) if given else None,
            "pv_yuan": _plain(line.pv_yuan[0]) if given else None,
            "loading_pu": [float(x) for x in loads.loading_pu[0]],
        }
    years_def, pv = deferral(lines["before"], lines["after"], sc.years[-1])
    out["deferral_years"] = _plain(years_def[0])
    out["pv_saving_yuan"] = _plain(pv[0]) if (cost or CostModel()).given else None
    return out


def _plain(x: Any) -> float | None:
    value = float(np.asarray(x))
    return None if not np.isfinite(value) else value
