"""``evgrid reproduce``: the report's case studies, evgrid beside the report, and an HTML report."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from evgrid.cli.app import command
from evgrid.errors import bad_value
from evgrid.fileio import write_text_atomic
from evgrid.planning.orderly_impact import (
    DEFAULT_IMPACT_DAYS,
    REPORT_CHARGING_PEAK_REDUCTION,
    REPORT_TOTAL_PEAK_REDUCTION,
)
from evgrid.planning.reproduce import Reproduction, reproduce
from evgrid.planning.reproduce_timeseries import (
    HOSTING_DAYS,
    SEED,
    TimeseriesReproduction,
    reproduce_timeseries,
)
from evgrid.report.html import REPORT_FILE, reproduce_html
from evgrid.report.labels import labels_for

DEFAULT_OUT = Path("evgrid-report")
PERCENT = 100.0


def check_out_dir(out: Path) -> None:
    """InputError unless ``out`` is a directory or can be created as one."""
    if out.exists() and not out.is_dir():
        raise bad_value("--out", str(out), "a directory (this path is a file)")
    for parent in out.parents:
        if parent.exists() and not parent.is_dir():
            raise bad_value("--out", str(out), f"a directory ({parent} is a file)")


def comparison_table(rep: Reproduction, lang: str = "en") -> Table:
    """A rich table of evgrid's results beside the report's, in ``lang``."""
    labels = labels_for(lang)
    table = Table(title=labels["comparison"])
    for key in ("case", "quantity", "evgrid", "report", "match"):
        table.add_column(labels[key])
    for case, quantity, mine, theirs, ok in rep.rows(lang):
        table.add_row(case, quantity, mine, theirs, "[green]✓[/]" if ok else "[red]✗[/]")
    return table


def timeseries_tables(
    ts: TimeseriesReproduction, rep: Reproduction, lang: str = "en"
) -> list[Table]:
    """Rich tables of the time-series tier beside the index tier, and the figure 6–7 check."""
    labels = labels_for(lang)
    hosting = Table(title=f"{labels['timeseries']} (seed {ts.seed})")
    for col in (labels["case"], labels["strategy"], "days", "P50", "P95", labels["index_tier"]):
        hosting.add_column(col)
    for (case, strategy), r in ts.hosting.items():
        if case in rep.residential:
            tier = f"{rep.residential[case].uncontrolled.max_pile_ratio_1pct * PERCENT:.0f} %"
        else:
            tier = ", ".join(
                f"{y.year}: {y.max_pile_ratio * PERCENT:.0f} %" for y in rep.office[case].years
            )
        hosting.add_row(
            case,
            strategy,
            str(r.days),
            f"{r.max_pile_ratio_p50 * PERCENT:.0f} %",
            f"{r.max_pile_ratio_p95 * PERCENT:.0f} %",
            tier,
        )
    impact = Table(title=labels["impact"])
    for col in (
        labels["case"],
        labels["strategy"],
        labels["charging_peak_reduction"],
        labels["total_peak_reduction"],
    ):
        impact.add_column(col)
    for case, imp in ts.impact.items():
        for name in imp.orderly:
            impact.add_row(
                f"{case} ({imp.n_evs} EVs)",
                name,
                f"{imp.charging_peak_reduction(name) * PERCENT:.1f} %",
                f"{imp.total_peak_reduction(name) * PERCENT:.1f} %",
            )
    impact.add_row(
        labels["report"],
        "",
        f"{REPORT_CHARGING_PEAK_REDUCTION * PERCENT:.0f} %",
        f"{REPORT_TOTAL_PEAK_REDUCTION * PERCENT:.0f} %",
    )
    return [hosting, impact]


@command("reproduce")
def reproduce_cmd(
    out: Path = typer.Option(DEFAULT_OUT, "--out", help="Directory of the HTML report."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
    lang: str = typer.Option("en", "--lang", help="Language of the table and report: en or zh."),
    timeseries: bool = typer.Option(
        True, "--timeseries/--index-only", help="Also run the Monte Carlo time-series tier."
    ),
    seed: int = typer.Option(SEED, "--seed", help="Seed of the time-series tier."),
    days: int = typer.Option(HOSTING_DAYS, "--days", help="Monte Carlo days of the hosting bands."),
    impact_days: int = typer.Option(
        DEFAULT_IMPACT_DAYS, "--impact-days", help="Monte Carlo days of the figure 6–7 comparison."
    ),
) -> None:
    """Reproduce the report's residential and office case studies beside its published numbers."""
    labels_for(lang)  # validate before any work or output
    check_out_dir(out)
    for name, value in (("--days", days), ("--impact-days", impact_days)):
        if value < 1:
            raise bad_value(name, value, "a whole number of days >= 1")
    rep = reproduce()
    ts = None
    if timeseries:
        status = Console(stderr=True)
        with status.status("time-series tier") as spinner:
            ts = reproduce_timeseries(
                seed=seed,
                days=days,
                impact_days=impact_days,
                progress=lambda text: spinner.update(f"time-series tier: {text}"),
            )
    page = reproduce_html(rep, lang, timeseries=ts)
    path = write_text_atomic(out / REPORT_FILE, page)
    if as_json:
        doc = rep.to_json()
        if ts is not None:
            doc.update(ts.to_json())
        typer.echo(json.dumps(doc, ensure_ascii=False, indent=2))
        return
    console = Console()
    console.print(comparison_table(rep, lang))
    if ts is not None:
        for table in timeseries_tables(ts, rep, lang):
            console.print(table)
    console.print(f"HTML report: {path}")
