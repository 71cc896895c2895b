"""``evgrid incentives SITE|SITES``: what a tariff, an aggregator and carbon credits buy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from evgrid.cli.app import command
from evgrid.cli.common import (
    Lang,
    Method,
    _choices,
    check_out_dir,
    default_of,
    print_json,
    spinner,
    value,
)

ResponseStrategy = _choices("ResponseStrategy", ["tou", "valley-filling"])
SWEEP_FILE = "sweep.csv"
"""The sweep's table in the output folder (one row per spread)."""
TABLE_SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm", ".parquet", ".pq")
"""A site table (a city) rather than a site document."""


@command("incentives")
def incentives_cmd(
    site: Path = typer.Argument(
        ..., help="Site document (YAML or JSON), or a site table (CSV, Excel, Parquet): a city."
    ),
    tariff: str | None = typer.Option(
        None,
        "--tariff",
        help="Charging tariff: report (default: peak 08:00-23:00, valley 23:00-08:00, spread "
        f"{default_of('report_tariff_spread_yuan_per_kwh')[9:-1]} yuan/kWh), "
        "chengdu-2023, zhejiang-residential, beijing-public-2015, or a tariff file (YAML/JSON); "
        "a tariff below the NDRC peak:valley rule (3:1) is flagged.",
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
        None, "--dr", help="Site: a demand-response plan (YAML/JSON): contracts, events, prices."
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
        help="Also sweep the tariff's peak-valley spread, spread=START:STOP:STEP [yuan/kWh] "
        "(e.g. spread=0:1:0.05; the valley energy price stays above "
        f"{default_of('valley_energy_floor_yuan_per_kwh')[9:-1]} yuan/kWh, the peak rises for "
        "the rest), or the peak:valley energy-price ratio, ratio=START:STOP:STEP (site only).",
    ),
    strategy: ResponseStrategy | None = typer.Option(  # type: ignore[valid-type]
        None,
        "--strategy",
        help="Site: what responding owners do, tou (wait for the valley price) or "
        f"valley-filling (under an aggregator) {default_of('response_strategy')}.",
    ),
    ev_share: float | None = typer.Option(
        None,
        "--ev-share",
        help="Site: share of parking spaces with an EV [0-1] "
        f"{default_of('ev_share_2025_medium')}.",
    ),
    days: int | None = typer.Option(
        None,
        "--days",
        help=f"Monte Carlo days [day]: site {default_of('impact_days')}, city with timeseries "
        f"{default_of('monte_carlo_days')}.",
    ),
    seed: int | None = typer.Option(None, "--seed", help=f"Random seed {default_of('seed')}."),
    scenario: str = typer.Option(
        "medium", "--scenario", help="EV-growth scenario of the upgrade timeline (name or YAML)."
    ),
    cost_per_kva: float | None = typer.Option(
        None, "--cost-per-kva", help="Installed cost of a transformer per kVA [yuan/kVA]."
    ),
    cost_table: Path | None = typer.Option(
        None, "--cost-table", help="CSV of unit costs: rating_kva, cost_yuan [kVA, yuan]."
    ),
    discount_rate: float | None = typer.Option(
        None, "--discount-rate", help=f"Discount rate [-] {default_of('discount_rate')}."
    ),
    method: Method | None = typer.Option(  # type: ignore[valid-type]
        None, "--method", help="City: the city batch's tier, index (default) or timeseries."
    ),
    workers: int | None = typer.Option(None, "--workers", help="City: local processes [-]."),
    year: int | None = typer.Option(
        None, "--year", help="City: scenario year of the answer [year] (default its first)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
    out: Path | None = typer.Option(
        None,
        "--out",
        help=f"Write an HTML page (and {SWEEP_FILE}) to this folder; a city also its city runs.",
    ),
    lang: Lang = typer.Option("en", "--lang", help="Language of the page and tables."),  # type: ignore[valid-type]
) -> None:
    """What incentives buy: a time-of-use tariff, demand response, carbon credits."""
    from evgrid.errors import bad_value
    from evgrid.incentives.sweep import parse_sweep_spec
    from evgrid.planning.upgrade import CostModel, read_cost_table

    if out is not None:
        check_out_dir(out)
    city = site.suffix.lower() in TABLE_SUFFIXES
    mode, spreads = ("spread", None) if sweep is None else parse_sweep_spec(sweep, "--sweep")
    if city and mode == "ratio":
        raise bad_value("--sweep", sweep, "spread=START:STOP:STEP for a city (ratio: site only)")
    if cost_table is not None and cost_per_kva is not None:
        raise bad_value("--cost-table", str(cost_table), "either --cost-table or --cost-per-kva")
    cost = read_cost_table(cost_table) if cost_table else CostModel(per_kva=cost_per_kva)
    common: dict[str, Any] = {"tariff": tariff, "response": response, "carbon": carbon}
    upgrade: dict[str, Any] = {"cost": cost, "discount_rate": discount_rate}
    if city:
        site_only = {"--dr": dr, "--strategy": value(strategy), "--ev-share": ev_share}
        for name, given in site_only.items():
            if given is not None:
                raise bad_value(name, given, "a site document's option (not used for a city)")
        if out is None:
            raise bad_value("--out", None, "a folder: a city sweep writes its city runs there")
        chosen = value(method) or "index"
        if chosen == "index":
            for name, given in (("--days", days), ("--seed", seed)):
                if given is not None:
                    raise bad_value(name, given, "not used by the index method (timeseries only)")
        _city(
            site,
            spreads,
            out,
            common,
            upgrade,
            scenario,
            chosen,
            days,
            seed,
            workers,
            year,
            as_json=as_json,
            lang=value(lang),
        )
        return
    for name, given in (("--method", value(method)), ("--workers", workers), ("--year", year)):
        if given is not None:
            raise bad_value(name, given, "a city's option (a site table), not used for one site")
    _site(
        site,
        (mode, spreads),
        out,
        common,
        upgrade,
        scenario,
        dr,
        value(strategy),
        ev_share,
        days,
        seed,
        as_json=as_json,
        lang=value(lang),
    )


def _site(
    site: Path,
    spreads: Any,
    out: Path | None,
    common: dict[str, Any],
    upgrade: dict[str, Any],
    scenario: str,
    dr: Path | None,
    strategy: str | None,
    ev_share: float | None,
    days: int | None,
    seed: int | None,
    *,
    as_json: bool,
    lang: str,
) -> None:
    from evgrid.grid.site import load_site
    from evgrid.incentives.economics import evaluate_lever
    from evgrid.incentives.fleet import site_fleet
    from evgrid.incentives.sweep import sweep_spreads
    from evgrid.params import default
    from evgrid.planning.scenarios import load_scenario

    loaded = load_site(site)
    chosen = load_scenario(scenario)
    rng = default("seed") if seed is None else seed
    with spinner(f"{loaded.name}: incentives"):
        fleet = site_fleet(loaded, ev_share=ev_share, days=days, rng=rng)
        lever = evaluate_lever(
            loaded, dr=dr, strategy=strategy, fleet=fleet, scenario=chosen, **common, **upgrade
        )
        swept = None
        if spreads[1] is not None:
            swept = sweep_spreads(
                loaded,
                spreads[1],
                mode=spreads[0],
                fleet=fleet,
                strategy=strategy,
                tariff=common["tariff"],
                response=common["response"],
            )
    render(lever, swept, as_json=as_json, out=out, lang=lang)


def _city(
    sites: Path,
    spreads: Any,
    out: Path,
    common: dict[str, Any],
    upgrade: dict[str, Any],
    scenario: str,
    method: str,
    days: int | None,
    seed: int | None,
    workers: int | None,
    year: int | None,
    *,
    as_json: bool,
    lang: str,
) -> None:
    from evgrid.cli.common import print_table
    from evgrid.fileio import write_csv, write_text_atomic
    from evgrid.incentives.citywide import CITY_ROW_KEYS, city_sweep
    from evgrid.incentives.tariffs import load_tariff
    from evgrid.report.html import REPORT_FILE
    from evgrid.report.incentives_city import city_incentives_html, city_sweep_table

    if spreads is None:  # the tariff's own spread, against none
        moved = load_tariff(common["tariff"])
        spreads = sorted({0.0, min(moved.spreads_yuan_per_kwh)})
    with spinner(f"{sites}: city runs of the sweep"):
        result = city_sweep(
            sites,
            out,
            spreads,
            scenario=scenario,
            method=method,
            days=days,
            seed=seed,
            workers=1 if workers is None else workers,
            year=year,
            **common,
            **upgrade,
        )
    doc = result.to_dict()
    _warn(doc["warnings"])
    write_text_atomic(out / REPORT_FILE, city_incentives_html(result, lang))
    columns = {
        k: [float("nan") if r[k] is None else r[k] for r in doc["rows"]] for k in CITY_ROW_KEYS
    }
    write_csv(out / SWEEP_FILE, columns)
    if as_json:
        print_json(doc)
        return
    print_table(city_sweep_table(result, lang, compact=True))
    typer.echo(f"HTML report: {out / REPORT_FILE}")


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
    doc = {"lever": lever.to_dict(), "sweep": None if swept is None else swept.to_dict()}
    warnings = [*doc["lever"]["warnings"], *(doc["sweep"]["warnings"] if swept else [])]
    _warn(warnings)
    if as_json:
        print_json(
            {
                "peak_valley_ratio": doc["lever"]["peak_valley_ratio"],
                "warnings": warnings,
                **doc,
            }
        )
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


def _warn(warnings: list[str]) -> None:
    """Each warning on one line of stderr."""
    for line in warnings:
        typer.echo(f"evgrid: warning: {line}", err=True)
