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
from evgrid.planning.reproduce import Reproduction, reproduce
from evgrid.report.html import REPORT_FILE, reproduce_html
from evgrid.report.labels import labels_for

DEFAULT_OUT = Path("evgrid-report")


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


@command("reproduce")
def reproduce_cmd(
    out: Path = typer.Option(DEFAULT_OUT, "--out", help="Directory of the HTML report."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
    lang: str = typer.Option("en", "--lang", help="Language of the table and report: en or zh."),
) -> None:
    """Reproduce the report's residential and office case studies beside its published numbers."""
    labels_for(lang)  # validate before any work or output
    check_out_dir(out)
    rep = reproduce()
    page = reproduce_html(rep, lang)
    path = write_text_atomic(out / REPORT_FILE, page)
    if as_json:
        typer.echo(json.dumps(rep.to_json(), ensure_ascii=False, indent=2))
        return
    console = Console()
    console.print(comparison_table(rep, lang))
    console.print(f"HTML report: {path}")
