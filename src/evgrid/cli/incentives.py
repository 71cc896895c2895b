"""``evgrid incentives SITE|SITES``: what a tariff, an aggregator and carbon credits buy.

The options are :class:`evgrid.jobs.incentives.IncentivesRequest`'s.
"""

from __future__ import annotations

from pathlib import Path

import typer

from evgrid.cli.app import command
from evgrid.cli.common import check_out_dir, print_answer, spinner
from evgrid.cli.generate import JSON_PARAM, LANG_PARAM, face_param, request_command
from evgrid.jobs.incentives import IncentivesRequest

SWEEP_FILE = "sweep.csv"
"""The sweep's table in the output folder (one row per spread)."""
OUT_PARAM = face_param(
    "out",
    None,
    "--out",
    f"Write an HTML page (and {SWEEP_FILE}) to this folder; a city also its city runs.",
)


def render(request: IncentivesRequest, *, as_json: bool, out: Path | None, lang: str) -> None:
    """Run the lever or the city sweep, write the page and the sweep's table, show them."""
    from evgrid.fileio import write_csv

    if out is not None:
        check_out_dir(out)
    what = "city runs of the sweep" if request.city else "incentives"
    name = request.site if request.city else request.site.name
    with spinner(f"{name}: {what}"):
        answer = request.run(out=out)
    for line in answer.document.get("warnings", []):  # a tariff below the NDRC rule, ...
        typer.echo(f"evgrid: warning: {line}", err=True)
    columns = answer.sweep_columns()  # type: ignore[attr-defined]
    if out is not None and columns is not None:
        write_csv(out / SWEEP_FILE, columns)
    print_answer(answer, as_json=as_json, out=out, lang=lang)


command("incentives")(request_command(IncentivesRequest, render, JSON_PARAM, OUT_PARAM, LANG_PARAM))
