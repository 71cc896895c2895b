"""``evgrid city``, ``evgrid synth-city`` and ``evgrid scenarios``: years and the city."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from evgrid.cli.app import command
from evgrid.cli.common import (
    Criterion,
    Lang,
    Method,
    _choices,
    check_out_dir,
    check_out_file,
    default_of,
    print_json,
    print_table,
    value,
)

Engine = _choices("Engine", ["local", "dask"])
Band = _choices("Band", ["p50", "p95"])


@command("scenarios")
def scenarios_cmd(
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
    show: str | None = typer.Option(
        None, "--show", help="A scenario name or file: list each of its values and sources."
    ),
) -> None:
    """List the bundled EV-growth scenarios, or one scenario's values with their sources."""
    from evgrid.planning.scenarios import bundled_scenarios, load_scenario
    from evgrid.report.city import scenario_table, scenarios_table

    chosen = [load_scenario(show)] if show else bundled_scenarios()
    if as_json:
        print_json([scenario_doc(s) for s in chosen])
        return
    print_table(scenario_table(chosen[0]) if show else scenarios_table(chosen))


def scenario_doc(s: Any) -> dict[str, Any]:
    """A scenario as JSON: name, description, years, the yearly values and every source."""
    import numpy as np

    from evgrid.planning.scenarios import TYPES

    return {
        "name": s.name,
        "description": s.description,
        "years": list(s.years),
        "base_year": s.base_year,
        "ev_share": np.round(s.ev_share_at(s.years), 6).tolist(),
        "participation": np.round(s.participation_at(s.years), 6).tolist(),
        "pile_ratio": {k: np.round(s.pile_ratio(k, s.years), 6).tolist() for k in TYPES},
        "sources": [
            {"value_of": k, "value": v.value, "basis": v.basis, "source": v.source}
            for k, v in s.sources
        ],
    }


@command("synth-city")
def synth_city_cmd(
    n: int = typer.Option(..., "--n", help="Sites [-]."),
    seed: int | None = typer.Option(None, "--seed", help=f"Random seed {default_of('seed')}."),
    out: Path = typer.Option(..., "--out", help="Site table to write: .csv, .xlsx or .parquet."),
) -> None:
    """A synthetic city: old, sub-new and new communities and office parks (docs/city.md)."""
    from evgrid.city.synth import synth_city, write_city
    from evgrid.params import parameter

    check_out_file(out, (".csv", ".xlsx", ".parquet"))
    table = synth_city(n, parameter("seed").resolve(seed, "--seed"))
    write_city(table, out)
    counts = table["type"].fillna("office").value_counts().to_dict()
    typer.echo(f"{out}: {n} sites (" + ", ".join(f"{k} {v}" for k, v in counts.items()) + ")")


@command("city")
def city_cmd(
    sites: Path = typer.Argument(..., help="Site table: .csv, .xlsx or .parquet, one row a site."),
    scenario: str | None = typer.Option(
        None, "--scenario", help=f"Bundled scenario or YAML file {default_of('scenario')}."
    ),
    out: Path = typer.Option(
        ..., "--out", help="Output folder (resumes a run with the same arguments)."
    ),
    method: Method = typer.Option("index", "--method", help="index or timeseries."),  # type: ignore[valid-type]
    strategies: str = typer.Option(
        "uncontrolled,orderly,partial",
        "--strategies",
        help="Comma-separated: uncontrolled, orderly, partial (the scenario's participation).",
    ),
    days: int | None = typer.Option(
        None, "--days", help=f"timeseries: Monte Carlo days [day] {default_of('monte_carlo_days')}."
    ),
    seed: int | None = typer.Option(
        None, "--seed", help=f"timeseries: run seed {default_of('seed')}."
    ),
    criterion: Criterion = typer.Option(  # type: ignore[valid-type]
        "loading", "--criterion", help="loading, or timeseries: hotspot or ageing (IEC 60076-7)."
    ),
    limit: float | None = typer.Option(
        None,
        "--limit",
        help="Limit of the criterion: loading [pu] (default 0.8), hot spot [°C] (98) or ageing "
        "[day/day] (1).",
    ),
    band: Band | None = typer.Option(  # type: ignore[valid-type]
        None, "--band", help=f"timeseries: the band that decides {default_of('upgrade_band')}."
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
    workers: int = typer.Option(1, "--workers", help="Local processes [-]."),
    engine: Engine = typer.Option("local", "--engine", help="Local processes or a Dask cluster."),  # type: ignore[valid-type]
    scheduler: str | None = typer.Option(
        None, "--scheduler", help="dask: scheduler address, e.g. tcp://10.0.0.5:8786."
    ),
    chunk_sites: int | None = typer.Option(
        None,
        "--chunk-sites",
        help=f"Sites per result chunk: timeseries {default_of('city_chunk_sites')}, index "
        f"{default_of('city_chunk_sites_index')}.",
    ),
    lang: Lang = typer.Option("en", "--lang", help="Language of the summary page."),  # type: ignore[valid-type]
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON on stdout."),
    basis: str | None = typer.Option(
        None,
        "--basis",
        help="Design basis: design, report, design-report-energy or a basis file "
        f"{default_of('basis')}.",
    ),
) -> None:
    """Every site of a city through a scenario's years: upgrade year, size, cost (docs/city.md)."""
    from evgrid.city.compute import city_settings
    from evgrid.report.city import city_report, summary_tables

    check_out_dir(out)
    settings = city_settings(
        scenario,
        method=value(method),
        strategies=strategies,
        days=days,
        seed=seed,
        criterion=value(criterion),
        limit=limit,
        band=value(band),
        cost_per_kva=cost_per_kva,
        cost_table=cost_table,
        discount_rate=discount_rate,
        basis=basis,
    )
    with _Progress() as progress:
        report = city_report(
            sites,
            settings,
            out,
            lang=value(lang),
            workers=workers,
            engine=value(engine),
            scheduler=scheduler,
            chunk_sites=chunk_sites,
            progress=progress,
        )
    run, page = report.run, report.page
    if as_json:
        print_json(run.summary)
        return
    for table in summary_tables(run.summary, value(lang)):
        print_table(table)
    typer.echo(
        f"{run.n_sites} sites, {run.n_errors} refused rows; {run.chunks_resumed} chunks resumed, "
        f"{run.chunks_computed} computed. Results: {out}/results.parquet (.csv), "
        f"{out}/upgrades.parquet (.csv), {out}/errors.csv; summary: {page}"
    )


class _Progress:
    """A progress bar with ETA on stderr when it is a terminal; else nothing."""

    def __enter__(self) -> Any:
        if not sys.stderr.isatty():
            self.bar = None
            return None
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        self.bar = Progress(
            TextColumn("sites"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            transient=True,
            console=Console(stderr=True),
        )
        self.bar.start()
        task = self.bar.add_task("sites", total=None)

        def update(done: int, total: int) -> None:
            assert self.bar is not None
            self.bar.update(task, completed=done, total=total)

        return update

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()
