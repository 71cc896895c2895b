"""``evgrid incentives SITE``: what a tariff, an aggregator and carbon credits buy at a site."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from evgrid.cli.app import command
from evgrid.cli.common import Lang, _choices, check_out_dir, default_of, print_json, value

ResponseStrategy = _choices("ResponseStrategy", ["tou", "valley-filling"])
SWEEP_FILE = "sweep.csv"
"""The sweep's table in the output folder (one row per spread)."""
TABLE_SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm", ".parquet", ".pq")
"""A site table (a city) rather than a site document."""


@command("incentives")
def incentives_cmd(
    site: Path = typer.Argument(..., help="Site document (YAML or JSON)."),
    tariff: str | None = typer.Option(
        None,
        "--tariff",
        help="Charging tariff: report (default: peak 08:00-23:00, valley 23:00-08:00, spread "
        f"{default_of('report_tariff_spread_yuan_per_kwh')[9:-1]} yuan/kWh), "
        "zhejiang-residential, beijing-public-2015, or a tariff file (YAML/JSON).",
    ),
    response: Path | None = typer.Option(
        None,
        "--response",
        help="Owner-response file (YAML/JSON): dead_zone_yuan_per_kwh "
        f"{default_of('response_dead_zone_yuan_per_kwh')}, saturation_yuan_per_kwh "
        f"{default_of('response_saturation_yuan_per_kwh')}, max_share "
        f"{default_of('response_max_share')}.",
    ),
    dr: Path | None = typer.Option(
        None, "--dr", help="Demand-response plan (YAML/JSON): contracts, events, prices."
    ),
    carbon: Path | None = typer.Option(
        None,
        "--carbon",
        help="Carbon-credit method (YAML/JSON): factors, band weights, credit price "
        "(default: the parameter table).",
    ),
    sweep: str | None = typer.Option(
        None,
        "--sweep",
        help="Also sweep the tariff's peak-valley spread: spread=START:STOP:STEP [yuan/kWh], "
        "e.g. spread=0:1:0.05.",
    ),
    strategy: ResponseStrategy | None = typer.Option(  # type: ignore[valid-type]
        None,
        "--strategy",
        help="What responding owners do: tou (wait for the valley price) or valley-filling "
        f"(under an aggregator) {default_of('response_strategy')}.",
    ),
    ev_share: float | None = typer.Option(
        None,
        "--ev-share",
        help=f"Share of parking spaces with an EV [0-1] {default_of('ev_share_2025_medium')}.",
    ),
    days: int | None = typer.Option(
        None, "--days", help=f"Monte Carlo days [day] {default_of('impact_days')}."
    ),
    seed: int | None = typer.Option(None, "--seed", help=f"Random seed {default_of('seed')}."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
    out: Path | None = typer.Option(
        None, "--out", help=f"Write an HTML page (and {SWEEP_FILE}) to this directory."
    ),
    lang: Lang = typer.Option("en", "--lang", help="Language of the page and tables."),  # type: ignore[valid-type]
) -> None:
    """What incentives buy: a time-of-use tariff, demand response, carbon credits."""
    from evgrid.cli.common import spinner
    from evgrid.errors import bad_value
    from evgrid.grid.site import load_site
    from evgrid.incentives.economics import evaluate_lever
    from evgrid.incentives.fleet import site_fleet
    from evgrid.incentives.sweep import parse_sweep, sweep_spreads
    from evgrid.params import default

    if out is not None:
        check_out_dir(out)
    if site.suffix.lower() in TABLE_SUFFIXES:
        raise bad_value(
            str(site),
            "a site table",
            "a site document (YAML or JSON); city-wide levers run on the city batch, "
            "which this installation does not have",
        )
    spreads = None if sweep is None else parse_sweep(sweep, "--sweep")
    loaded = load_site(site)
    options: dict[str, Any] = {
        "tariff": tariff,
        "response": response,
        "strategy": value(strategy),
    }
    with spinner(f"{loaded.name}: incentives"):
        fleet = site_fleet(
            loaded, ev_share=ev_share, days=days, rng=default("seed") if seed is None else seed
        )
        lever = evaluate_lever(loaded, dr=dr, carbon=carbon, fleet=fleet, **options)
        swept = None if spreads is None else sweep_spreads(loaded, spreads, fleet=fleet, **options)
    render(lever, swept, as_json=as_json, out=out, lang=value(lang))


def render(lever: Any, swept: Any, *, as_json: bool, out: Path | None, lang: str) -> None:
    """Write the page (and the sweep's table), then print the JSON document or the tables."""
    from evgrid.cli.common import print_table
    from evgrid.fileio import write_csv, write_text_atomic
    from evgrid.incentives.sweep import ROW_KEYS
    from evgrid.report.html import REPORT_FILE
    from evgrid.report.incentives import answer, dr_table, incentives_html, lever_table, sweep_table

    if out is not None:
        write_text_atomic(out / REPORT_FILE, incentives_html(lever, swept, lang))
        if swept is not None:
            rows = swept.to_dict()["rows"]
            columns = {k: [float("nan") if r[k] is None else r[k] for r in rows] for k in ROW_KEYS}
            write_csv(out / SWEEP_FILE, columns)
    if as_json:
        print_json({"lever": lever.to_dict(), "sweep": None if swept is None else swept.to_dict()})
        return
    print_table(lever_table(lever, lang))
    events = dr_table(lever, lang)
    if events is not None:
        print_table(events)
    if swept is not None:
        print_table(sweep_table(swept, lang))
        typer.echo(answer(swept, lang))
    for note in lever.notes:
        typer.echo(f"note: {note}")
    if out is not None:
        typer.echo(f"HTML report: {out / REPORT_FILE}")
