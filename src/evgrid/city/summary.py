"""Assembly of a city run's chunks into its tables, and the city's figures.

:func:`assemble` reads the finished chunks in chunk order and writes ``results``, ``upgrades``
(Parquet and CSV), ``errors.csv`` and ``summary.json``; :func:`city_summary` computes what the
summary page shows: upgrades per year by community type, the ranked upgrade list, total cost and
what orderly charging saves, and the city's evening peak (20:00–21:00, the residential peak of
report section 3.1) by year and strategy.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from evgrid.city.compute import RESULT_COLUMNS, UPGRADE_COLUMNS
from evgrid.city.settings import CitySettings
from evgrid.city.sites import SiteRows
from evgrid.io import read_parquet_table, write_json, write_table

RANKED_ROWS = 25
"""Upgrades listed per strategy on the summary page [-]."""


def _number(x: Any) -> Any:
    """A JSON number, or None for NaN / NA."""
    if x is None:
        return None
    try:
        value = float(x)
    except (TypeError, ValueError):
        return x
    if math.isnan(value):
        return None
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def city_summary(
    results: Any, upgrades: Any, settings: CitySettings, n_errors: int
) -> dict[str, Any]:
    """The city's figures from the two tables (JSON-ready).

    Returns
    -------
    dict
        ``scenario``, ``method``, ``years``, ``strategies``, ``n_sites``, ``n_errors``,
        ``cost_given`` (the totals count a user's cost only; ``cost_basis`` says whether the
        upgrades table's costs are ``given`` or ``illustrative``), ``basis``;
        ``upgrades_by_year`` (strategy -> type -> year -> sites);
        ``totals`` (strategy -> upgrades, kVA bought, cost and present value [yuan]);
        ``orderly_saves`` (strategy -> upgrades avoided, mean deferral [year], present value
        saved [yuan] against uncontrolled); with ``v2g`` and ``orderly``, ``v2g_adds`` (the
        same against orderly, :func:`v2g_adds`); ``evening_peak_kw`` (strategy -> year -> the sum of
        the communities' 20:00–21:00 load [kW]); ``ranked`` (strategy -> the first upgrades by
        year, then by overload).
    """
    sc = settings.scenario
    cost_given = settings.cost.given
    out: dict[str, Any] = {
        "scenario": sc.name,
        "description": sc.description,
        "method": settings.method,
        "criterion": settings.criterion,
        "limit": settings.limit,
        "years": list(sc.years),
        "strategies": list(settings.strategies),
        "n_sites": int(upgrades["site_id"].nunique()) if len(upgrades) else 0,
        "n_errors": n_errors,
        "cost_given": cost_given,
        "cost_basis": settings.cost.basis,
        "basis": settings.basis.name,
        "upgrades_by_year": {},
        "totals": {},
        "orderly_saves": {},
        "evening_peak_kw": {},
        "ranked": {},
    }
    for st in settings.strategies:
        up = upgrades[upgrades["strategy"] == st]
        has = up[up["upgrade_year"].notna()]
        by_type: dict[str, dict[str, int]] = {}
        for (kind, year), n in has.groupby(["type", "upgrade_year"]).size().items():
            by_type.setdefault(str(kind), {})[str(int(year))] = int(n)
        out["upgrades_by_year"][st] = by_type
        out["totals"][st] = {
            "upgrades": len(has),
            "kva_bought": _number(has["upgrade_kva"].sum()),
            "cost_yuan": _number(has["cost_yuan"].sum()) if cost_given else None,
            "pv_yuan": _number(up["pv_yuan"].sum()) if cost_given else None,
        }
        if st != "uncontrolled" and "uncontrolled" in settings.strategies:
            base = upgrades[upgrades["strategy"] == "uncontrolled"]
            out["orderly_saves"][st] = {
                "upgrades_avoided": int(base["upgrade_year"].notna().sum() - len(has)),
                "mean_deferral_years": _number(up["deferral_years"].mean()),
                "pv_saved_yuan": _number(up["pv_saving_yuan"].sum()) if cost_given else None,
            }
        res = results[(results["strategy"] == st) & (results["kind"] == "residential")]
        peak = res.groupby("year")["evening_kw"].sum()
        out["evening_peak_kw"][st] = {str(int(y)): _number(v) for y, v in peak.items()}
        overload = has["required_kva"] / has["transformer_kva"]
        ranked = has.assign(overload=overload).sort_values(
            ["upgrade_year", "overload", "site_id"], ascending=[True, False, True]
        )
        keep = [
            "site_id",
            "name",
            "type",
            "upgrade_year",
            "transformer_kva",
            "required_kva",
            "unit_kva",
            "units",
            "upgrade_kva",
            "cost_yuan",
            "pv_yuan",
        ]
        out["ranked"][st] = [
            {k: _number(v) if k not in ("site_id", "name", "type") else v for k, v in r.items()}
            for r in ranked[keep].head(RANKED_ROWS).to_dict(orient="records")
        ]
    if {"orderly", "v2g"} <= set(settings.strategies):
        out["v2g_adds"] = v2g_adds(upgrades, sc.years[-1], cost_given)
    from evgrid.city.network import network_summary

    networks = network_summary(upgrades, "illustrative")  # the bundled network cost table
    if networks is not None:
        out["networks"] = networks
    return out


def v2g_adds(upgrades: Any, last_year: int, cost_given: bool) -> dict[str, Any]:
    """What V2G (its lossless bound) adds to orderly charging's deferral: upgrades avoided
    beyond orderly's, the mean years each site's upgrade moves later (a site that needs none
    by the last year counts as the year after, so a lower bound; sites where orderly needs none
    left out), and the present value saved [yuan] (with a cost given)."""
    by = {
        st: upgrades[upgrades["strategy"] == st].set_index("site_id") for st in ("orderly", "v2g")
    }
    o, v = by["orderly"], by["v2g"].reindex(by["orderly"].index)
    end = last_year + 1
    later = v["upgrade_year"].fillna(end) - o["upgrade_year"]
    return {
        "upgrades_avoided": int(o["upgrade_year"].notna().sum() - v["upgrade_year"].notna().sum()),
        "mean_deferral_years": _number(later[o["upgrade_year"].notna()].mean()),
        "pv_saved_yuan": _number((o["pv_yuan"] - v["pv_yuan"]).sum()) if cost_given else None,
    }


def write_errors(folder: Path, rows: SiteRows) -> Path:
    """Write ``errors.csv``: the refused rows (row, field, value, message)."""
    import pyarrow as pa

    errors = pa.table(
        {
            "row": pa.array([e.row for e in rows.errors], type=pa.int64()),
            "field": pa.array([e.field for e in rows.errors], type=pa.string()),
            "value": pa.array([e.value for e in rows.errors], type=pa.string()),
            "message": pa.array([e.message for e in rows.errors], type=pa.string()),
        }
    )
    return write_table(folder / "errors.csv", errors)


def assemble(folder: Path, n_chunks: int, rows: SiteRows, settings: CitySettings) -> dict[str, Any]:
    """Write the run's tables from its chunks (in chunk order) and return the summary."""
    import pandas as pd
    import pyarrow as pa

    from evgrid.city.run import CHUNKS

    def read(name: str, columns: tuple[str, ...]) -> Any:
        parts = [
            read_parquet_table(folder / CHUNKS / f"chunk-{i:05d}" / f"{name}.parquet")
            for i in range(n_chunks)
        ]
        if parts:
            return pa.concat_tables(parts)
        return pa.table({c: pa.array([], type=pa.string()) for c in columns})

    res, up = read("results", RESULT_COLUMNS), read("upgrades", UPGRADE_COLUMNS)
    for name, table in (("results", res), ("upgrades", up)):
        write_table(folder / f"{name}.parquet", table)
        write_table(folder / f"{name}.csv", table)
    write_errors(folder, rows)
    keep = ["strategy", "kind", "year", "evening_kw"]
    results_frame = res.select(keep).to_pandas() if res.num_rows else pd.DataFrame(columns=keep)
    summary = city_summary(results_frame, up.to_pandas(), settings, len(rows.errors))
    if settings.modes is not None and res.num_rows:  # the communities' modes and hubs
        from evgrid.city.modes import MODE_COLUMNS, modes_summary

        frame = res.select(["strategy", "year", "limit", *MODE_COLUMNS]).to_pandas()
        summary["modes"] = modes_summary(frame, settings)
        summary["hub_connection"] = settings.hub_connection
    write_json(folder / "summary.json", summary, indent=1, ensure_ascii=False)
    return summary
