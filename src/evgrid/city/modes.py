"""A city's communities by charging mode through the years (``evgrid city --modes``).

With ``modes`` set, each residential site of a city run gets the report's charging modes (report
6: fixed-space piles, shared piles, a public hub for the households without a space) in every
scenario year and strategy: :func:`evgrid.planning.modes.plan_modes` at the year's EV share, its
regular-load growth and the strategy (``uncontrolled``; ``orderly`` and ``partial`` valley
filling, ``partial`` with the year's participation on the fixed piles; ``v2g`` the fixed piles
at V2G's lossless bound), on the site's own random stream (the run seed and the site id, as the
time-series tier). The plan samples each year's cars anew with the same stream, so the years
differ by what the scenario changes.

The community's transformer carries both the tier's answer for the piles on its spaces (the
scenario's pile ratio: every owner with a space may put up a pile) and the plan with every mode
(the hub's load only when the hub hangs on that transformer): a year fails when either passes
the limit, and the rating needed is the larger. A mix of fixed piles only (``fixed-only``) runs
no plan: it counts the cars without a pile and leaves the decision to the tier.

The plan is a Monte Carlo of its own (``impact_days`` days with the index method, the run's
days with the time-series method), so a city with modes runs at the time-series tier's pace,
not the index tier's: it is an option, off by default.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from evgrid.errors import bad_value
from evgrid.params import parameter

MODE_COLUMNS = (
    "modes",
    "hub_connection",
    "evs",
    "share_fixed",
    "share_shared",
    "share_public",
    "share_unserved",
    "shared_piles",
    "hub_dc_chargers",
    "hub_ac_chargers",
    "hub_peak_kw",
    "hub_wait_min",
    "hub_unit_kva",
    "modes_peak_kw",
    "modes_loading_pu",
)
"""Columns a run with ``modes`` adds to ``results`` (docs/city.md): the mix's name, where the hub
connects, the community's electric cars, their shares by mode, the shared piles, the hub's DC
and AC chargers, P95 peak [kW], mean wait [min] and own unit [kVA] (empty on the community's
transformer), and the community transformer's P95 peak [kW] and loading [pu] with every mode."""

NUMBERS = MODE_COLUMNS[2:]
"""The numeric columns."""

PLAN_STRATEGY = {
    "uncontrolled": "uncontrolled",
    "orderly": "valley-filling",
    "partial": "valley-filling",
    "v2g": "v2g",
}
"""The plan's strategy for each strategy of a run."""


@dataclass(frozen=True, eq=False)
class ModesYears:
    """One strategy's modes for the sites of a chunk by year.

    Parameters
    ----------
    mix
        The mix's name per site (empty for an office park), ``(n_sites,)``.
    values
        :data:`NUMBERS` column -> ``(n_sites, n_years)`` (NaN where not computed).
    fails
        The community's transformer with every mode over the limit, ``(n_sites, n_years)``.
    needed_kva
        The rating that carries the plan's peak at the limit, ``(n_sites, n_years)`` [kVA]
        (NaN where no plan).
    """

    mix: list[str]
    values: dict[str, np.ndarray]
    fails: np.ndarray
    needed_kva: np.ndarray


def check_modes(s: Any) -> None:
    """``modes`` a mix or its name, ``hub_connection`` with it (resolved to the default)."""
    from evgrid.planning.hub import CONNECTIONS
    from evgrid.planning.mode_mix import MIXES, ModeMix

    if s.modes is None:
        if s.hub_connection is not None:
            raise bad_value("hub_connection", s.hub_connection, "only with modes")
        return
    if not isinstance(s.modes, ModeMix) and s.modes not in MIXES:
        raise bad_value("modes", s.modes, "report, fixed-only or shares by mode")
    where = parameter("hub_connection").resolve(s.hub_connection, "hub_connection")
    if where not in CONNECTIONS:  # pragma: no cover - the parameter's range says so
        raise bad_value("hub_connection", where, ", ".join(CONNECTIONS))
    object.__setattr__(s, "hub_connection", where)


def read_mix(modes: Any) -> Any:
    """A mix's name as it is; a file or a mapping of shares as a ModeMix."""
    from evgrid.planning.mode_mix import MIXES, mode_mix

    if modes is None or modes in MIXES or not isinstance(modes, str | os.PathLike | Mapping):
        return modes
    if not isinstance(modes, Mapping):
        from evgrid.io import read_document

        if not Path(modes).exists():  # neither a name nor a file: say what is allowed
            raise bad_value("modes", str(modes), "report, fixed-only or a file of shares "
                            "(YAML/JSON: fixed, shared, public)")  # fmt: skip
        modes = read_document(Path(modes), "mode shares (YAML/JSON: fixed, shared, public)")
        if not isinstance(modes, Mapping):
            raise bad_value("modes", modes, "a mapping of shares: fixed, shared, public")
    return mode_mix(None, modes)


def with_modes(y: Any, m: Any, years: Any) -> Any:
    """A strategy's years with the community's transformer judged with every mode too
    (:mod:`evgrid.city.modes`): a year fails when the tier or the plan passes the limit, the
    rating needed is the larger, and the interval of the upgrade year ends no later than the
    plan's first failing year."""
    import dataclasses

    from evgrid.city.compute import _first_years
    from evgrid.planning.upgrade import NO_YEAR

    fails = y.fails | m.fails
    first = _first_years(years, m.fails)
    never = np.iinfo(np.int64).max
    ends = np.where(y.year_interval == NO_YEAR, never, y.year_interval)
    ends = np.where((first != NO_YEAR)[:, None], np.minimum(ends, first[:, None]), ends)
    interval = np.where(ends == never, NO_YEAR, ends)
    return dataclasses.replace(
        y,
        fails=fails,
        needed_kva=np.fmax(y.needed_kva, m.needed_kva),
        year_interval=interval,
    )


def site_mix(site: Any, kind: str, modes: Any) -> Any:
    """The mode mix of one site of a run: ``report`` by the site's scenario type, ``fixed-only``,
    or the given shares (:class:`~evgrid.planning.mode_mix.ModeMix`); None for an office park."""
    from evgrid.planning.mode_mix import ModeMix, report_mix

    if getattr(site, "kind", "") != "residential":
        return None
    if isinstance(modes, ModeMix):
        return modes
    if modes == "fixed-only":
        return ModeMix(1.0, 0.0, 0.0, name="fixed-only")
    return report_mix(kind)


def modes_years(
    sites: Sequence[Any],
    ids: Sequence[str],
    sy: Any,
    settings: Any,
    on_site: Callable[[], None] | None = None,
) -> dict[str, ModesYears]:
    """The modes of a chunk's sites in every year, per strategy of the run (module docstring).

    Parameters
    ----------
    sites, ids
        The chunk's sites and their ids (each site's stream derives from the run seed and id).
    sy
        The chunk's scenario inputs (:func:`evgrid.planning.years.site_years`).
    settings
        The run's :class:`~evgrid.city.settings.CitySettings` (``modes`` set).
    on_site
        Called as each site is done.
    """
    from evgrid.city.compute import site_seed
    from evgrid.planning.fleet import site_base_kw
    from evgrid.planning.mode_mix import count_modes
    from evgrid.planning.modes import plan_modes
    from evgrid.timegrid import TimeGrid

    s = settings
    n, n_years = sy.pile_ratio.shape
    days = (
        int(parameter("impact_days").value) if s.method == "index" else int(s.days)
    )  # the plan's own Monte Carlo
    base_peak = np.array(
        [site_base_kw(site, TimeGrid(n_days=1))[1].peak_kw for site in sites], dtype=np.float64
    )
    growth = sy.growth(base_peak)  # the regular load over the plan's own, by year
    behaviour = s.basis.behaviour("residential")
    limit = float(s.limit) if s.criterion == "loading" else None
    out = {
        st: ModesYears(
            mix=[""] * n,
            values={k: np.full((n, n_years), np.nan) for k in NUMBERS},
            fails=np.zeros((n, n_years), dtype=bool),
            needed_kva=np.full((n, n_years), np.nan),
        )
        for st in s.strategies
    }
    for i, (site, site_id) in enumerate(zip(sites, ids, strict=True)):  # a Monte Carlo a site
        mix = site_mix(site, str(sy.kind[i]), s.modes)
        if mix is None:
            if on_site is not None:
                on_site()
            continue
        for st, m in out.items():
            m.mix[i] = mix.name
            for j in range(n_years):
                share = float(sy.ev_share[j])
                if mix.name == "fixed-only":
                    c = count_modes(site, share, mix)
                    shares = c.shares()
                    row = {"evs": c.evs, "shared_piles": 0.0}
                    row.update({f"share_{k}": v for k, v in shares.items()})
                    _put(m, i, j, row)
                    continue
                plan = plan_modes(
                    site,
                    ev_share=share,
                    year=int(sy.years[j]),
                    mix=mix,
                    connection=s.hub_connection,
                    strategy=PLAN_STRATEGY[st],
                    days=days,
                    rng=site_seed(s.seed, site_id),
                    behaviour=behaviour,
                    participation=float(sy.participation[j]) if st == "partial" else None,
                    regular_growth=float(growth[i, j]),
                    basis=s.basis,
                )
                _put(m, i, j, plan_row(plan))
                at = plan.limit_pu if limit is None else limit
                m.fails[i, j] = plan.community_loading_pu > at * (1 + 1e-9)
                m.needed_kva[i, j] = plan.community_peak_kw / (at * float(site.power_factor))
        if on_site is not None:
            on_site()
    return out


def plan_row(plan: Any) -> dict[str, float]:
    """The numeric columns of one plan (:class:`~evgrid.planning.modes.ModesResult`)."""
    c = plan.counts
    hub = plan.hub
    row: dict[str, float] = {f"share_{k}": v for k, v in c.shares().items()}
    row.update(
        {
            "evs": float(c.evs),
            "shared_piles": float(c.shared_piles),
            "hub_dc_chargers": float(hub.dc_chargers) if hub else 0.0,
            "hub_ac_chargers": float(hub.ac_chargers) if hub else 0.0,
            "hub_peak_kw": hub.peak_kw if hub else 0.0,
            "hub_wait_min": hub.mean_wait_min if hub else 0.0,
            "hub_unit_kva": np.nan if plan.hub_unit_kva is None else plan.hub_unit_kva,
            "modes_peak_kw": plan.community_peak_kw,
            "modes_loading_pu": plan.community_loading_pu,
        }
    )
    return row


def _put(m: ModesYears, i: int, j: int, row: dict[str, float]) -> None:
    for key, value in row.items():
        m.values[key][i, j] = value


def mode_columns(m: ModesYears, connection: str | None, n_years: int) -> dict[str, Any]:
    """The columns of :data:`MODE_COLUMNS` for the results table (rows site by site, years
    within)."""
    import pyarrow as pa

    n = len(m.mix)
    mix = [name or None for name in m.mix for _ in range(n_years)]
    where = [connection if name else None for name in m.mix for _ in range(n_years)]
    cols: dict[str, Any] = {
        "modes": pa.array(mix, type=pa.string()),
        "hub_connection": pa.array(where, type=pa.string()),
    }
    for key in NUMBERS:
        cols[key] = m.values[key].reshape(n * n_years)
    return cols


def modes_summary(results: Any, settings: Any) -> dict[str, Any]:
    """The city's modes by strategy and year, from the results table (pandas, the columns of
    :data:`MODE_COLUMNS`): communities with a hub, the hubs' DC and AC chargers and the sum of
    their P95 peaks [kW], shared piles, electric cars and their shares by mode (weighted by the
    cars), and the communities whose transformer passes the limit with every mode.

    Returns
    -------
    dict
        strategy -> year -> ``{"communities", "hubs", "dc_chargers", "ac_chargers",
        "hub_peak_kw", "shared_piles", "evs", "shares", "over_limit"}``.
    """
    out: dict[str, Any] = {}
    res = results[results["modes"].notna()]
    for st in settings.strategies:
        by_year: dict[str, Any] = {}
        for year, g in res[res["strategy"] == st].groupby("year"):
            evs = float(g["evs"].sum())
            hubs = (g["hub_dc_chargers"] + g["hub_ac_chargers"]).fillna(0.0) > 0
            shares = {
                m: float((g[f"share_{m}"] * g["evs"]).sum() / evs) if evs else 0.0
                for m in ("fixed", "shared", "public", "unserved")
            }
            over = g["modes_loading_pu"] > g["limit"] * (1 + 1e-9)
            by_year[str(int(year))] = {
                "communities": len(g),
                "hubs": int(hubs.sum()),
                "dc_chargers": int(g["hub_dc_chargers"].fillna(0.0).sum()),
                "ac_chargers": int(g["hub_ac_chargers"].fillna(0.0).sum()),
                "hub_peak_kw": float(g["hub_peak_kw"].fillna(0.0).sum()),
                "shared_piles": int(g["shared_piles"].fillna(0.0).sum()),
                "evs": int(evs),
                "shares": shares,
                "over_limit": int(over.sum()),
            }
        out[st] = by_year
    return out
