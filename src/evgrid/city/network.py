"""The low-voltage networks of a city's sites: what each site's network hosts, what binds first,
and its reinforcement through the scenario's years (docs/city.md, "Sites with a network").

A site of the table may name its network (the ``network`` column: a bundled area or a network
file). For each such site and for the strategies ``uncontrolled`` and ``orderly`` (valley
filling in the network, as in the time-series tier) a chunk runs

* the network's hosting capacity (:func:`evgrid.network.study.network`): the largest pile ratio
  at which every limit of the network holds at every step of the basis's day (on ``design`` the
  95th-percentile day of the ``network_days`` Monte Carlo days), and the element that binds
  first just above it;
* its reinforcement through the scenario's years (:func:`evgrid.network.reinforcement.reinforce`)
  at the site's pile ratio of each year: the first year the network fails, the options taken
  cheapest first (re-phase, a larger cable, a split feeder, a unit, a dedicated charging
  transformer) and their cost (the illustrative network cost table,
  ``data/network/costs.csv``).

The households draw one household's share of the site's regular load in the base year
(:func:`evgrid.planning.network_hosting.household_day_kw`; the load growth of later years is not
carried into the network), the cars the basis's residential behaviour. The ``partial`` strategy
(participation changing by year) has no network columns: not built. Each site's network
draws from its own stream (:func:`network_stream`), whatever the chunk or the worker.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

NETWORK_STRATEGIES = {"uncontrolled": "uncontrolled", "orderly": "valley-filling"}
"""The city's strategies that have network columns, and the network study's strategy of each."""

RESULT_NETWORK_COLUMNS = ("network_pile_ratio", "network_fails")
"""Network columns of ``results`` (site × year × strategy)."""

UPGRADE_NETWORK_COLUMNS = (
    "network",
    "network_pile_ratio",
    "network_binding",
    "network_binding_kind",
    "network_year",
    "network_cost_yuan",
    "network_actions",
)
"""Network columns of ``upgrades`` (site × strategy)."""


def network_stream(seed: int, site_id: str) -> np.random.SeedSequence:
    """The random stream of a site's network: a child of the site's stream
    (:func:`evgrid.city.compute.site_seed`) that the time-series tier does not use."""
    from evgrid.planning.fleet import site_stream

    stream = site_stream(int(seed), site_id)
    assert isinstance(stream, np.random.SeedSequence)
    return stream.spawn(2)[1]


def _site_network(
    site: Any,
    site_id: str,
    ratios: dict[int, float],
    strategy: str,
    settings: Any,
) -> dict[str, Any]:
    """One site's network columns under one city strategy."""
    from evgrid.network.reinforcement import reinforce
    from evgrid.network.study import network, resolve_network
    from evgrid.planning.network_hosting import household_day_kw

    net = resolve_network(site.network)
    name = NETWORK_STRATEGIES[strategy]
    day = household_day_kw(site)
    behaviour = settings.basis.behaviour("residential")
    stream = network_stream(settings.seed, site_id)
    study = network(
        net,
        days=settings.network_days,
        seed=np.random.default_rng(stream),
        strategy=name,
        ev_share=0.0,
        behaviour=behaviour,
        strategies=(name,),
        household_day_kw=day,
        band=settings.basis.band,
    )
    hosting = study.hosting[name]
    plan = reinforce(
        net,
        ratios=ratios,
        strategy=name,
        days=settings.network_days,
        seed=network_stream(settings.seed, site_id),
        behaviour=behaviour,
        household_day_kw=day,
        band=settings.basis.band,
    )
    failing = {a.year for a in plan.actions} | {y for y, (ok, _) in plan.years.items() if not ok}
    first = min(failing) if failing else None
    actions = "; ".join(f"{a.year} {a.option} ({a.element}): {a.detail}" for a in plan.actions)
    unfixed = [y for y, (ok, _) in plan.years.items() if not ok]
    if unfixed:
        actions += f"{'; ' if actions else ''}still failing in {', '.join(map(str, unfixed))}"
    return {
        "network": study.network,
        "network_pile_ratio": float(hosting.pile_ratio),
        "network_binding": hosting.binding.element,
        "network_binding_kind": hosting.binding.kind,
        "network_year": first,
        "network_cost_yuan": plan.total_cost_yuan,
        "network_actions": actions,
    }


def network_columns(
    ids: Sequence[str],
    sites: Sequence[Any],
    years: Sequence[int],
    pile_ratio: np.ndarray,
    strategies: Sequence[str],
    settings: Any,
) -> dict[str, dict[str, Any]]:
    """The network columns of a chunk's upgrades, per city strategy: ``{strategy: {column:
    list over the sites}}`` (None where a site has no network or the strategy has no network
    columns).

    Parameters
    ----------
    ids, sites
        The chunk's site ids and sites.
    years
        The scenario's years [year].
    pile_ratio
        Each site's pile ratio per year ``(n_sites, n_years)`` [-].
    strategies
        The run's strategies.
    settings
        The run's settings (:class:`evgrid.city.settings.CitySettings`).
    """
    out: dict[str, dict[str, Any]] = {}
    for strategy in strategies:
        cols: dict[str, list[Any]] = {c: [None] * len(sites) for c in UPGRADE_NETWORK_COLUMNS}
        for i, (site_id, site) in enumerate(zip(ids, sites, strict=True)):
            if getattr(site, "network", None) is None or strategy not in NETWORK_STRATEGIES:
                continue
            ratios = {int(y): float(r) for y, r in zip(years, pile_ratio[i], strict=True)}
            for k, v in _site_network(site, str(site_id), ratios, strategy, settings).items():
                cols[k][i] = v
        out[strategy] = cols
    return out


def network_arrays(pa: Any, cols: dict[str, list[Any]]) -> dict[str, Any]:
    """The upgrade table's network columns as typed pyarrow arrays (empty where none)."""
    return {
        "network": pa.array(cols["network"], type=pa.string()),
        "network_pile_ratio": pa.array(cols["network_pile_ratio"], type=pa.float64()),
        "network_binding": pa.array(cols["network_binding"], type=pa.string()),
        "network_binding_kind": pa.array(cols["network_binding_kind"], type=pa.string()),
        "network_year": pa.array(cols["network_year"], type=pa.int64()),
        "network_cost_yuan": pa.array(cols["network_cost_yuan"], type=pa.float64()),
        "network_actions": pa.array(cols["network_actions"], type=pa.string()),
    }


def result_arrays(pa: Any, cols: dict[str, list[Any]], pile_ratio: np.ndarray) -> dict[str, Any]:
    """The results table's network columns (rows: site-major, then year): the network's
    hosting and whether the year's pile ratio is beyond it (empty where none)."""
    n_years = pile_ratio.shape[1]
    hosted = [r for r in cols["network_pile_ratio"] for _ in range(n_years)]
    fails = [
        None if h is None else bool(p > h + 1e-12)
        for h, p in zip(hosted, np.ravel(pile_ratio).tolist(), strict=True)
    ]
    return {
        "network_pile_ratio": pa.array(hosted, type=pa.float64()),
        "network_fails": pa.array(fails, type=pa.bool_()),
    }


def network_summary(upgrades: Any, cost_basis: str) -> dict[str, Any] | None:
    """The city's networks per strategy (JSON-ready), or None when no site names one:
    ``sites`` with a network, ``binds_first`` (sites whose network fails before their
    transformer needs an upgrade, or fails when the transformer never does), ``fail`` (sites
    whose network fails in some year), ``by_kind`` (what binds first: cable, undervoltage,
    transformer, ...), ``cost_yuan`` (the reinforcements' cost, from the cost table named by
    ``cost_basis``: the bundled one is illustrative).

    Parameters
    ----------
    upgrades
        The city's ``upgrades`` table (pandas, site x strategy).
    cost_basis
        Where the network costs come from (``illustrative``: the bundled table).
    """
    if "network" not in upgrades or not upgrades["network"].notna().any():
        return None
    out: dict[str, Any] = {"cost_basis": cost_basis, "strategies": {}}
    for st, up in upgrades[upgrades["network"].notna()].groupby("strategy", sort=False):
        fails = up["network_year"].notna()
        first = fails & (up["upgrade_year"].isna() | (up["network_year"] < up["upgrade_year"]))
        kinds = up["network_binding_kind"].dropna().value_counts()
        out["strategies"][str(st)] = {
            "sites": len(up),
            "fail": int(fails.sum()),
            "binds_first": int(first.sum()),
            "by_kind": {str(k): int(n) for k, n in kinds.items()},
            "cost_yuan": float(up["network_cost_yuan"].fillna(0.0).sum()),
        }
    return out


__all__ = [
    "NETWORK_STRATEGIES",
    "RESULT_NETWORK_COLUMNS",
    "UPGRADE_NETWORK_COLUMNS",
    "network_arrays",
    "network_columns",
    "network_stream",
    "network_summary",
    "result_arrays",
]
