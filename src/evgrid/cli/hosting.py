"""``evgrid hosting SITE``: how many charging piles a site's transformer can host."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from evgrid.cli.app import command
from evgrid.cli.common import (
    Criterion,
    Lang,
    Method,
    StrategyChoice,
    check_out_dir,
    default_of,
    print_json,
    print_table,
    spinner,
    value,
)
from evgrid.params import parameter


@command("hosting")
def hosting_cmd(
    site: Path = typer.Argument(..., help="Site document (YAML or JSON)."),
    method: Method = typer.Option(  # type: ignore[valid-type]
        "index", "--method", help="index (the report's planning index) or timeseries (Monte Carlo)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
    out: Path | None = typer.Option(None, "--out", help="Write an HTML report to this directory."),
    lang: Lang = typer.Option("en", "--lang", help="Language of the report."),  # type: ignore[valid-type]
    study_year: int | None = typer.Option(
        None,
        "--study-year",
        help="index: year of the study; decides which communities are new [year] "
        f"{default_of('study_year')}.",
    ),
    limit: float | None = typer.Option(
        None,
        "--limit",
        help=f"Limit of the criterion: loading [pu] {default_of('loading_limit_pu')}, hot spot "
        f"[°C] {default_of('hotspot_limit_c')} or ageing [day/day] "
        f"{default_of('ageing_limit_days_per_day')}.",
    ),
    strategy: StrategyChoice | None = typer.Option(  # type: ignore[valid-type]
        None,
        "--strategy",
        help="Charging strategy; default: index uncontrolled and orderly, timeseries uncontrolled.",
    ),
    participation: float = typer.Option(
        1.0,
        "--participation",
        help="Share of cars following the strategy, the rest uncontrolled [0-1].",
    ),
    days: int | None = typer.Option(
        None, "--days", help=f"timeseries: Monte Carlo days [day] {default_of('monte_carlo_days')}."
    ),
    seed: int | None = typer.Option(
        None, "--seed", help=f"timeseries: random seed {default_of('seed')}."
    ),
    criterion: Criterion = typer.Option(  # type: ignore[valid-type]
        "loading", "--criterion", help="loading, or timeseries: hotspot or ageing (IEC 60076-7)."
    ),
    behaviour: str | None = typer.Option(
        None,
        "--behaviour",
        help="timeseries: charging behaviour, a preset (report, home, elaadnl, "
        "electric-nation, office) or a behaviour file (YAML/JSON) "
        f"(default {parameter('behaviour_residential').value}; office parks "
        f"{parameter('behaviour_office').value}).",
    ),
    behaviour_range: bool | None = typer.Option(
        None,
        "--behaviour-range/--no-behaviour-range",
        help="timeseries: also run every behaviour preset and show the range of the answer "
        "(default: on with timeseries).",
    ),
    year: int | None = typer.Option(
        None, "--year", help="index, office park: planning year [year]."
    ),
    sensitivity: bool = typer.Option(
        False,
        "--sensitivity",
        help="Also rank the inputs by how far they move the recommendation (time-series runs "
        f"of {parameter('sensitivity_days').value_text()} days each).",
    ),
    basis: str | None = typer.Option(
        None,
        "--basis",
        help="Design basis: design, report (the report's calibrated assumptions), "
        f"design-report-energy or a basis file {default_of('basis')}.",
    ),
) -> None:
    """Hosting capacity of one site: largest pile ratio at the transformer's limit."""
    from evgrid.grid.site import load_site
    from evgrid.planning.hosting import site_hosting

    if out is not None:
        check_out_dir(out)
    loaded = load_site(site)
    options: dict[str, Any] = {
        "method": value(method),
        "strategy": value(strategy),
        "limit": limit,
        "criterion": value(criterion),
        "rng": seed,
        "days": days,
        "year": year,
        "study_year": study_year,
        "behaviour": behaviour,
        "basis": basis,
    }
    if participation != 1.0:
        options["participation"] = participation
    if sensitivity:
        options["sensitivity"] = True
    options = {k: v for k, v in options.items() if v is not None}
    if behaviour_range is None:
        behaviour_range = value(method) == "timeseries"
    options["behaviour_range"] = behaviour_range
    if value(method) == "timeseries":
        with spinner(f"{loaded.name}: {value(strategy) or 'uncontrolled'}, Monte Carlo days"):
            results = site_hosting(loaded, **options)
    else:
        results = site_hosting(loaded, **options)
    render(site, results, as_json=as_json, out=out, lang=value(lang))


def render(site: Path, results: list[Any], *, as_json: bool, out: Path | None, lang: str) -> None:
    """Write the HTML report, then print the JSON document or the tables."""
    from evgrid.fileio import write_text_atomic
    from evgrid.planning.reproduce import index_document
    from evgrid.report.html import REPORT_FILE, hosting_html
    from evgrid.report.labels import percent
    from evgrid.report.tables import (
        behaviour_summary,
        curve_table,
        hosting_table,
        recommendation_table,
    )

    if out is not None:
        write_text_atomic(out / REPORT_FILE, hosting_html(results, lang))
    if as_json:
        if results[0].method == "timeseries":
            print_json(results[0].to_dict())
        else:
            print_json({"site": str(site), **index_document(results)})
        return
    first = results[0]
    print_table(recommendation_table(results, lang))  # the answer first, then the detail
    for r in results:
        for row in r.sensitivity or ():
            typer.echo(
                f"{r.strategy}: {row['input']}: {percent(row['low'], 1)} ({row['low_setting']})"
                f" to {percent(row['high'], 1)} ({row['high_setting']})"
            )
    if first.method == "timeseries":
        print_table(curve_table(first, lang))
    print_table(hosting_table(results, lang))
    if first.method == "timeseries":
        typer.echo(
            f"largest pile ratio: P50 {percent(first.max_pile_ratio_p50)}, "
            f"P95 {percent(first.max_pile_ratio_p95)}"
        )
        summary = behaviour_summary(first)
        if summary is not None:
            typer.echo(summary)
    if out is not None:
        typer.echo(f"HTML report: {out / REPORT_FILE}")
