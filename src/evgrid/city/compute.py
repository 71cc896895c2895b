"""One chunk of a city run: every site of the chunk, every year and strategy, two tables.

:func:`compute_chunk` is a pure function of its :class:`ChunkTask` (sites and settings), so a
local process, a Dask worker or the calling process give the same rows bit for bit. Each
site's random stream (time-series tier) derives from the run seed and the site id
(:func:`site_seed`), never from the order, the chunk or the worker.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from evgrid.city.network import (
    RESULT_NETWORK_COLUMNS,
    UPGRADE_NETWORK_COLUMNS,
    network_arrays,
    network_columns,
    result_arrays,
)
from evgrid.city.settings import CitySettings
from evgrid.city.settings import city_settings as city_settings  # 0.2's path, one release
from evgrid.grid.site import Site
from evgrid.planning.upgrade import (
    NO_YEAR,
    Timeline,
    bootstrap_first_years,
    deferral,
    first_failing,
    timeline,
)
from evgrid.planning.years import SiteYears, index_years, site_years


@dataclass(frozen=True)
class ChunkTask:
    """Sites of one chunk: their table rows, ids and validated sites, and the settings."""

    index: int
    rows: Sequence[int]
    ids: Sequence[str]
    sites: Sequence[Site]
    settings: CitySettings


def site_seed(seed: int, site_id: str) -> np.random.SeedSequence:
    """The random stream of a site: the run seed and four words of SHA-256 of its id
    (:func:`evgrid.planning.fleet.site_stream`, the stream every command gives a site of that
    name and seed)."""
    from evgrid.planning.fleet import site_stream

    stream = site_stream(int(seed), site_id)
    assert isinstance(stream, np.random.SeedSequence)
    return stream


@dataclass(frozen=True, eq=False)
class _Years:
    """Per strategy ``(n_sites, n_years)`` arrays a chunk fills, tier-independent."""

    loading: np.ndarray
    loading_p50: np.ndarray
    loading_p95: np.ndarray
    metric_p50: np.ndarray
    metric_p95: np.ndarray
    peak_kw: np.ndarray
    evening_kw: np.ndarray
    night_kw: np.ndarray
    needed_kva: np.ndarray
    piles: np.ndarray
    orderly_share: np.ndarray
    regular_peak_kw: np.ndarray
    fails: np.ndarray
    year_interval: np.ndarray
    household_kva: np.ndarray | None = None
    charging_kva: np.ndarray | None = None


def _first_years(years: Any, fails: np.ndarray) -> np.ndarray:
    first = first_failing(fails)
    y = np.asarray(years, dtype=np.int64)
    return np.where(first >= 0, y[np.maximum(first, 0)], NO_YEAR)


def _index(sy: SiteYears, s: CitySettings) -> dict[str, _Years]:
    out = {}
    growth = sy.growth()
    pf = sy.power_factor[:, None]
    for strategy in s.strategies:
        loads = index_years(sy, strategy)
        loading = loads.loading_pu
        year = _first_years(sy.years, loading > s.limit * (1 + 1e-9))
        interval = np.stack([year, year], axis=1)
        if sy.base_day_kw is not None:  # the curve's interval of the design demand
            early, late = (
                _first_years(
                    sy.years, index_years(sy, strategy, end=e).loading_pu > s.limit * (1 + 1e-9)
                )
                for e in ("_high", "_low")
            )
            interval = np.stack([early, late], axis=1)
        out[strategy] = _Years(
            loading=loading,
            loading_p50=loading,
            loading_p95=loading,
            metric_p50=loading,
            metric_p95=loading,
            peak_kw=loads.peak_kw,
            evening_kw=loads.evening_kw,
            night_kw=loads.night_kw,
            needed_kva=loads.peak_kw / (s.limit * sy.power_factor[:, None]),
            piles=sy.pile_ratio * sy.spaces[:, None],
            orderly_share=loads.orderly_share,
            regular_peak_kw=sy.peak_kw[:, None] * growth,
            fails=loading > s.limit * (1 + 1e-9),
            year_interval=interval,
            household_kva=None if loads.regular_kw is None else loads.regular_kw / (s.limit * pf),
            charging_kva=None if loads.charging_kw is None else loads.charging_kw / (s.limit * pf),
        )
    return out


def _timeseries(
    sy: SiteYears,
    ids: Sequence[str],
    sites: Sequence[Site],
    s: CitySettings,
    on_site: Callable[[], None] | None = None,
) -> dict[str, _Years]:
    from evgrid.planning.fleet import site_base_kw
    from evgrid.planning.timeseries.years import timeseries_years
    from evgrid.timegrid import TimeGrid

    n, n_years = sy.pile_ratio.shape
    keys = (
        "loading_p50",
        "loading_p95",
        "metric_p50",
        "metric_p95",
        "peak_kw",
        "evening_kw",
        "needed_kva",
        "piles",
        "orderly_share",
        "regular_peak_kw",
    )
    acc = {st: {k: np.full((n, n_years), np.nan) for k in keys} for st in s.strategies}
    intervals = {st: np.full((n, 2), NO_YEAR, dtype=np.int64) for st in s.strategies}
    percentile = 95.0 if s.band == "p95" else 50.0
    day_grid = TimeGrid(n_days=1)
    base_peak = np.array([site_base_kw(site, day_grid)[1].peak_kw for site in sites])
    # the time-series tier grows its own regular-load curve; office parks start at saturation
    # (report 4.2: the index basis is the saturation factor times the measured peak)
    growth = sy.growth(base_peak)
    office = ~sy.residential
    growth[office] = sy.growth()[office] * (sy.peak_kw / base_peak)[office, None]
    for i, (site_id, site) in enumerate(zip(ids, sites, strict=True)):  # sites of one chunk
        res = timeseries_years(
            site,
            pile_ratio=sy.pile_ratio[i],
            growth=growth[i],
            participation=sy.participation,
            strategies=s.strategies,
            days=s.days,
            rng=site_seed(s.seed, site_id),
            criterion=s.criterion,
            limit=s.limit,
            band=s.band,
            basis=s.basis,
        )
        for st, r in res.items():
            a = acc[st]
            for k in keys[:-1]:
                a[k][i] = getattr(r, k)
            a["regular_peak_kw"][i] = base_peak[i] * growth[i]
            intervals[st][i] = bootstrap_first_years(
                sy.years,
                r.metric_days,
                s.limit,
                percentile,
                np.random.default_rng(site_seed(s.seed, site_id).spawn(1)[0]),
            )
        if on_site is not None:
            on_site()
    out = {}
    for st, a in acc.items():
        metric = a["metric_p95"] if s.band == "p95" else a["metric_p50"]
        loading = a["loading_p95"] if s.band == "p95" else a["loading_p50"]
        out[st] = _Years(
            loading=loading,
            night_kw=np.full((n, n_years), np.nan),
            fails=metric > s.limit * (1 + 1e-9),
            year_interval=intervals[st],
            **a,
        )
    return out


RESULT_COLUMNS = (
    "scenario",
    "method",
    "strategy",
    "row",
    "site_id",
    "name",
    "kind",
    "type",
    "year",
    "ev_share",
    "pile_ratio",
    "piles",
    "orderly_share",
    "regular_peak_kw",
    "evening_kw",
    "night_kw",
    "peak_kw",
    "loading_pu",
    "loading_p50",
    "loading_p95",
    "metric_p50",
    "metric_p95",
    "criterion",
    "limit",
    "fails",
    "upgrade_year",
    *RESULT_NETWORK_COLUMNS,
)
"""Columns of ``results``: one row per site × year × strategy × scenario (the network's
columns, :mod:`evgrid.city.network`, empty for a site without a network)."""

UPGRADE_COLUMNS = (
    "scenario",
    "method",
    "strategy",
    "row",
    "site_id",
    "name",
    "kind",
    "type",
    "transformer_kva",
    "upgrade_year",
    "required_kva",
    "unit_kva",
    "units",
    "upgrade_kva",
    "cost_yuan",
    "pv_yuan",
    "deferral_years",
    "pv_saving_yuan",
    "basis",
    "upgrade_year_low",
    "upgrade_year_high",
    "option",
    "unit_kind",
    "equipment_yuan",
    "installation_yuan",
    "cost_basis",
    *UPGRADE_NETWORK_COLUMNS,
)
"""Columns of ``upgrades``: one row per site × strategy × scenario. ``upgrade_kva`` is the
capacity the reinforcement adds (``units × unit_kva``); ``option`` how (``add``: units beside the
existing one, ``dedicated``: a charging transformer); ``upgrade_year_low`` / ``_high`` the
interval of the upgrade year (empty: beyond the last year); ``cost_basis`` ``given`` or
``illustrative`` (evgrid's illustrative table, not a price); the ``network_*`` columns
(:mod:`evgrid.city.network`) are empty for a site without a network."""


def compute_chunk(task: ChunkTask, on_site: Callable[[], None] | None = None) -> tuple[Any, Any]:
    """Results and upgrades of one chunk as two pyarrow Tables (columns as documented).

    ``on_site()`` is called as each site's time series is done (the index method does a chunk
    at once), so that a run in this process can report progress by site.
    """
    import pyarrow as pa

    from evgrid.city.modes import MODE_COLUMNS, mode_columns, modes_years, with_modes

    s = task.settings
    sc = s.scenario
    sy = site_years(task.sites, sc, basis=s.basis)
    by_tier = None if s.modes is not None else on_site  # with modes, a site is done after both
    years_data = (
        _index(sy, s) if s.method == "index" else _timeseries(sy, task.ids, task.sites, s, by_tier)
    )
    modes = None
    if s.modes is not None:
        modes = modes_years(task.sites, task.ids, sy, s, on_site)
        years_data = {st: with_modes(y, modes[st], sy.years) for st, y in years_data.items()}
    columns = RESULT_COLUMNS if modes is None else (*RESULT_COLUMNS, *MODE_COLUMNS)
    n, n_years = sy.pile_ratio.shape
    nets = network_columns(task.ids, task.sites, sc.years, sy.pile_ratio, s.strategies, s)
    lines: dict[str, Timeline] = {
        st: timeline(
            sc.years,
            y.fails,
            y.needed_kva,
            cost=s.cost,
            base_year=sc.base_year,
            discount_rate=s.discount_rate,
            existing_kva=sy.rating_kva,
            household_kva=y.household_kva,
            charging_kva=y.charging_kva,
        )
        for st, y in years_data.items()
    }
    site_cols = {
        "row": np.asarray(task.rows, dtype=np.int64),
        "site_id": np.array([str(i) for i in task.ids], dtype=object),
        "name": np.array([site.name for site in task.sites], dtype=object),
        "kind": np.array([site.kind for site in task.sites], dtype=object),
        "type": sy.kind.astype(object),
    }
    parts, ups = [], []
    for st, y in years_data.items():
        line = lines[st]
        year = np.where(line.year == NO_YEAR, 0, line.year)
        upgrade_year = pa.array(year, mask=line.year == NO_YEAR, type=pa.int64())
        const = {"scenario": sc.name, "method": s.method, "strategy": st}
        per_year = {
            "year": np.tile(sy.years, n),
            "ev_share": np.tile(sy.ev_share, n),
            "pile_ratio": sy.pile_ratio,
            "piles": y.piles,
            "orderly_share": y.orderly_share,
            "regular_peak_kw": y.regular_peak_kw,
            "evening_kw": y.evening_kw,
            "night_kw": y.night_kw,
            "peak_kw": y.peak_kw,
            "loading_pu": y.loading,
            "loading_p50": y.loading_p50,
            "loading_p95": y.loading_p95,
            "metric_p50": y.metric_p50,
            "metric_p95": y.metric_p95,
        }
        n_rows = n * n_years
        cols: dict[str, Any] = {
            k: pa.array([v] * n_rows, type=pa.string()) for k, v in const.items()
        }
        cols.update({k: np.repeat(v, n_years) for k, v in site_cols.items()})
        cols.update({k: np.ravel(v) for k, v in per_year.items()})
        cols["criterion"] = pa.array([s.criterion] * n_rows, type=pa.string())
        cols["limit"] = np.full(n_rows, s.limit)
        cols["fails"] = y.fails.ravel()
        cols["upgrade_year"] = pa.array(
            np.repeat(year, n_years), mask=np.repeat(line.year == NO_YEAR, n_years)
        )
        cols.update(result_arrays(pa, nets[st], sy.pile_ratio))
        if modes is not None:
            cols.update(mode_columns(modes[st], s.hub_connection, n_years))
        parts.append(pa.table({k: cols[k] for k in columns}))
        if "uncontrolled" in lines and st != "uncontrolled":
            years_def, pv_def = deferral(lines["uncontrolled"], line, sc.years[-1])
        else:
            years_def = np.full(n, np.nan)
            pv_def = np.zeros(n) if st == "uncontrolled" else np.full(n, np.nan)
        up: dict[str, Any] = {k: pa.array([v] * n, type=pa.string()) for k, v in const.items()}
        up.update(site_cols)
        up.update(
            {
                "transformer_kva": sy.rating_kva,
                "upgrade_year": upgrade_year,
                "required_kva": line.required_kva,
                "unit_kva": line.unit_kva,
                "units": line.units,
                "upgrade_kva": line.unit_kva * line.units,
                "cost_yuan": line.cost_yuan,
                "pv_yuan": line.pv_yuan,
                "deferral_years": years_def,
                "pv_saving_yuan": pv_def,
                "basis": pa.array([s.basis.name] * n, type=pa.string()),
                "upgrade_year_low": _year_column(pa, y.year_interval[:, 0]),
                "upgrade_year_high": _year_column(pa, y.year_interval[:, 1]),
                "option": pa.array(_texts(line.option, n), type=pa.string()),
                "unit_kind": pa.array(_texts(line.kind, n), type=pa.string()),
                "equipment_yuan": line.equipment_yuan,
                "installation_yuan": line.installation_yuan,
                "cost_basis": pa.array([s.cost.basis] * n, type=pa.string()),
                **network_arrays(pa, nets[st]),
            }
        )
        ups.append(pa.table({k: up[k] for k in UPGRADE_COLUMNS}))
    return pa.concat_tables(parts), pa.concat_tables(ups)


def _texts(values: np.ndarray | None, n: int) -> list[str]:
    """A text column of ``n`` rows (empty texts where none)."""
    return [""] * n if values is None else [str(v) for v in values.tolist()]


def _year_column(pa: Any, years: np.ndarray) -> Any:
    """Years as an int64 column, empty where :data:`NO_YEAR`."""
    y = np.asarray(years, dtype=np.int64)
    return pa.array(np.where(y == NO_YEAR, 0, y), mask=y == NO_YEAR, type=pa.int64())
