"""``evgrid reproduce``: the report's case studies, evgrid beside the report, and an HTML report."""

from __future__ import annotations

from pathlib import Path

import typer

from evgrid.cli.app import command
from evgrid.cli.common import (
    Lang,
    check_out_dir,
    default_of,
    print_json,
    print_table,
    spinner,
    value,
)


@command("reproduce")
def reproduce_cmd(
    out: Path = typer.Option(Path("evgrid-report"), "--out", help="Directory of the HTML report."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
    lang: Lang = typer.Option("en", "--lang", help="Language of the tables and the report."),  # type: ignore[valid-type]
    timeseries: bool = typer.Option(
        True, "--timeseries/--index-only", help="Also run the Monte Carlo time-series tier."
    ),
    seed: int | None = typer.Option(
        None, "--seed", help=f"Seed of the time-series tier {default_of('seed')}."
    ),
    days: int | None = typer.Option(
        None,
        "--days",
        help=f"Monte Carlo days of the hosting bands [day] {default_of('monte_carlo_days')}.",
    ),
    behaviour: str | None = typer.Option(
        None,
        "--behaviour",
        help="Behaviour of the communities: a preset (report, home, elaadnl, electric-nation) "
        "or a behaviour file (YAML/JSON) (default report).",
    ),
    impact_days: int | None = typer.Option(
        None,
        "--impact-days",
        help=f"Monte Carlo days of the figure 6–7 comparison [day] {default_of('impact_days')}.",
    ),
) -> None:
    """Reproduce the report's residential and office case studies beside its published numbers."""
    from evgrid.fileio import write_text_atomic
    from evgrid.planning.findings import scenario_findings
    from evgrid.planning.reproduce import reproduce
    from evgrid.planning.reproduce_timeseries import check_options, reproduce_timeseries
    from evgrid.report.html import REPORT_FILE, reproduce_html
    from evgrid.report.tables import comparison_table, findings_table, timeseries_tables

    check_out_dir(out)
    if timeseries:
        check_options(seed=seed, days=days, impact_days=impact_days)
    rep = reproduce()
    findings = scenario_findings()
    ts = None
    if timeseries:
        with spinner("time-series tier") as status:
            ts = reproduce_timeseries(
                seed=seed,
                days=days,
                impact_days=impact_days,
                behaviour=behaviour,
                progress=lambda text: status.update(f"time-series tier: {text}"),
            )
    path = write_text_atomic(
        out / REPORT_FILE, reproduce_html(rep, value(lang), timeseries=ts, findings=findings)
    )
    if as_json:
        doc = rep.to_dict()
        doc["scenario_findings"] = findings
        if ts is not None:
            doc.update(ts.to_dict())
        print_json(doc)
        return
    print_table(comparison_table(rep, value(lang)))
    print_table(findings_table(findings, value(lang)))
    if ts is not None:
        for table in timeseries_tables(ts, rep, value(lang)):
            print_table(table)
    typer.echo(f"HTML report: {path}")
