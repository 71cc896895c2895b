"""``evgrid hosting SITE``: how many charging piles a site's transformer can host.

``--method index`` (default) runs the report's planning-index model (:func:`run_index`);
``--method timeseries`` the Monte Carlo time-series model (:func:`run_timeseries`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from evgrid.cli.app import command
from evgrid.cli.reproduce import check_out_dir
from evgrid.errors import bad_value
from evgrid.fileio import write_text_atomic
from evgrid.grid.site import Site, load_site
from evgrid.planning.assumptions import (
    LOADING_LIMIT_PU,
    STUDY_YEAR,
    OfficeAssumptions,
    ResidentialAssumptions,
)
from evgrid.planning.index import ResidentialResult, hosting_index
from evgrid.planning.office import OfficeResult
from evgrid.planning.reproduce import office_records, residential_record
from evgrid.planning.reproduce_timeseries import SEED
from evgrid.planning.timeseries.run import DEFAULT_DAYS, timeseries_hosting
from evgrid.report.html import REPORT_FILE, hosting_html, timeseries_html
from evgrid.report.labels import labels_for

METHODS = ("index", "timeseries")
"""Methods ``--method`` accepts."""
PERCENT = 100.0
LIMIT_PU_MAX = 2.0
"""Highest ``--limit`` accepted [pu]: IEC 60076-7 table 4, short-time emergency loading of a
distribution transformer."""


def index_document(site_path: Path, result: ResidentialResult | OfficeResult) -> dict[str, Any]:
    """The ``--json`` document of the index method (same record shape as ``reproduce``)."""
    doc: dict[str, Any] = {"site": str(site_path), "method": "index"}
    if isinstance(result, OfficeResult):
        doc["office"] = office_records(result.name, result)
    else:
        doc["residential"] = [residential_record(result.name, result)]
    return doc


def index_table(result: ResidentialResult | OfficeResult) -> Table:
    """A rich table of the index results of one site."""
    if isinstance(result, OfficeResult):
        table = Table(title=f"{result.name}: office charging by year (planning index)")
        for col in ("year", "charging spaces", "peak charging kW", "total loading", "max ratio"):
            table.add_column(col)
        for y in result.years:
            table.add_row(
                str(y.year),
                str(y.charging_spaces),
                f"{y.peak_charging_kw:.1f}",
                f"{y.total_loading_pu * PERCENT:.1f} %",
                f"{y.max_pile_ratio * PERCENT:.1f} %",
            )
        return table
    table = Table(
        title=(
            f"{result.name} ({result.community_type or 'type unknown'}; regular load "
            f"{result.regular.peak_kw:.0f} kW peak / {result.regular.valley_kw:.0f} kW valley, "
            f"{result.regular.basis}): largest pile ratio at {result.limit_pu * PERCENT:.0f} % "
            "loading"
        )
    )
    for col in ("charging", "kW per pile", "exact", "1 % steps", "10 % steps", "piles"):
        table.add_column(col)
    for m in (result.uncontrolled, result.orderly):
        table.add_row(
            m.mode,
            f"{m.kw_per_pile:.2f}",
            f"{m.max_pile_ratio * PERCENT:.1f} %",
            f"{m.max_pile_ratio_1pct * PERCENT:.0f} %",
            f"{m.max_pile_ratio_10pct * PERCENT:.0f} %",
            f"{m.max_piles} of {result.parking_spaces}",
        )
    return table


def run_index(
    site_path: Path,
    site: Site,
    *,
    as_json: bool,
    out: Path | None,
    lang: str,
    study_year: int,
    limit_pu: float,
) -> None:
    """The index method: compute, optionally write the HTML report, print table or JSON."""
    residential = ResidentialAssumptions(study_year=study_year, limit_pu=limit_pu)
    office = OfficeAssumptions(limit_pu=limit_pu)
    result = hosting_index(site, residential, office)
    if out is not None:
        used = office if isinstance(result, OfficeResult) else residential
        write_text_atomic(out / REPORT_FILE, hosting_html(result, lang, used))
    if as_json:
        typer.echo(json.dumps(index_document(site_path, result), ensure_ascii=False, indent=2))
        return
    console = Console()
    console.print(index_table(result))
    if out is not None:
        console.print(f"HTML report: {out / REPORT_FILE}")


def run_timeseries(
    site: Site,
    *,
    as_json: bool,
    out: Path | None,
    lang: str,
    strategy: str,
    participation: float,
    days: int,
    seed: int,
    criterion: str,
    limit: float | None,
) -> None:
    """The time-series method: Monte Carlo bands, optional HTML page, table or JSON."""
    with Console(stderr=True).status(f"{site.name}: {strategy}, {days} Monte Carlo days"):
        result = timeseries_hosting(
            site,
            strategy=strategy,
            participation=participation,
            days=days,
            rng=seed,
            criterion=criterion,
            limit=limit,
        )
    if out is not None:
        write_text_atomic(out / REPORT_FILE, timeseries_html(result, lang))
    if as_json:
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return
    table = Table(
        title=(
            f"{result.site_name}: {strategy} (participation {participation:g}), "
            f"{criterion} <= {result.limit:g}, {days} days, seed {seed}"
        )
    )
    for col in ("pile ratio", "piles", "loading P50", "loading P95", "metric P50", "metric P95"):
        table.add_column(col)
    step = max(len(result.pile_ratios) // 10, 1)
    for i in range(0, len(result.pile_ratios), step):
        table.add_row(
            f"{result.pile_ratios[i] * PERCENT:.0f} %",
            str(result.n_piles[i]),
            f"{result.loading_p50[i] * PERCENT:.1f} %",
            f"{result.loading_p95[i] * PERCENT:.1f} %",
            f"{result.metric_p50[i]:.3g}",
            f"{result.metric_p95[i]:.3g}",
        )
    console = Console()
    console.print(table)
    console.print(
        f"largest pile ratio: P50 {result.max_pile_ratio_p50 * PERCENT:.0f} %, "
        f"P95 {result.max_pile_ratio_p95 * PERCENT:.0f} %"
    )
    if out is not None:
        console.print(f"HTML report: {out / REPORT_FILE}")


@command("hosting")
def hosting_cmd(
    site: Path = typer.Argument(..., help="Site document (YAML or JSON)."),
    method: str = typer.Option(
        "index", "--method", help="Model: index (planning index) or timeseries (Monte Carlo)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
    out: Path | None = typer.Option(None, "--out", help="Write an HTML report to this directory."),
    lang: str = typer.Option("en", "--lang", help="Language of the HTML report: en or zh."),
    study_year: int = typer.Option(
        STUDY_YEAR, "--study-year", help="Year of the study; decides which communities are new."
    ),
    limit: float | None = typer.Option(
        None,
        "--limit",
        help="Limit of the criterion: loading [pu] (report: 0.8), hot-spot [°C] (98) or "
        "ageing [day/day] (1).",
    ),
    strategy: str = typer.Option(
        "uncontrolled",
        "--strategy",
        help="timeseries: uncontrolled, tou, valley-filling, lp, edf or llf.",
    ),
    participation: float = typer.Option(
        1.0, "--participation", help="timeseries: share of cars following the strategy [0-1]."
    ),
    days: int = typer.Option(DEFAULT_DAYS, "--days", help="timeseries: Monte Carlo days."),
    seed: int = typer.Option(SEED, "--seed", help="timeseries: random seed."),
    criterion: str = typer.Option(
        "loading", "--criterion", help="timeseries: loading, hotspot (IEC 60076-7) or ageing."
    ),
) -> None:
    """Hosting capacity of one site: largest pile ratio at the loading limit."""
    if method not in METHODS:
        raise bad_value("--method", method, " or ".join(repr(m) for m in METHODS))
    if method == "index" and criterion != "loading":
        raise bad_value("--criterion", criterion, "'loading' with --method index")
    limit_pu = LOADING_LIMIT_PU if limit is None else limit
    if method == "index" and not 0 < limit_pu <= LIMIT_PU_MAX:
        raise bad_value("--limit", limit_pu, f"a number > 0 and <= {LIMIT_PU_MAX} [pu]")
    labels_for(lang)
    if out is not None:
        check_out_dir(out)
    loaded = load_site(site)
    if method == "timeseries":
        run_timeseries(
            loaded,
            as_json=as_json,
            out=out,
            lang=lang,
            strategy=strategy,
            participation=participation,
            days=days,
            seed=seed,
            criterion=criterion,
            limit=limit,
        )
    else:
        run_index(
            site,
            loaded,
            as_json=as_json,
            out=out,
            lang=lang,
            study_year=study_year,
            limit_pu=limit_pu,
        )
