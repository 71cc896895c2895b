"""``evgrid sample`` and ``evgrid load``: Monte Carlo sessions and their uncontrolled load.

The options are :class:`evgrid.jobs.charging.SampleRequest`'s and
:class:`~evgrid.jobs.charging.LoadRequest`'s.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from evgrid.cli.app import command
from evgrid.cli.common import check_out_file, print_json
from evgrid.cli.generate import JSON_PARAM, face_param, request_command
from evgrid.jobs.charging import LoadRequest, SampleRequest

PROGRESS_MIN_VEHICLES = 1_000_000
"""Runs with at least this many vehicles show a progress bar on a terminal [-]."""
SESSION_OUT = face_param("out", ..., "--out", "Session file to write: .csv or .parquet.")
LOAD_OUT = face_param("out", ..., "--out", "Load curve to write (.csv).")


def render_sample(request: SampleRequest, *, out: Path) -> None:
    """Sample the sessions (with a progress bar for large runs) and write them."""
    from evgrid.demand.io import write_sessions

    behaviour = request.behaviour
    check_out_file(out, (".csv", ".parquet", ".pq"), Path(behaviour) if behaviour else None)
    assert request.n_vehicles is not None
    if request.n_vehicles < PROGRESS_MIN_VEHICLES or not sys.stderr.isatty():
        answer = request.run()
    else:
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        columns = (TextColumn("{task.completed:,}/{task.total:,} vehicles"), TimeRemainingColumn())
        with Progress(TextColumn("sampling"), BarColumn(), *columns, transient=True) as bar:
            task = bar.add_task("sampling", total=request.n_vehicles)
            answer = request.run(lambda done, total, _: bar.update(task, completed=done))
    write_sessions(answer.result, out)
    doc = answer.document
    typer.echo(
        f"wrote {doc['sessions']:,} sessions of {doc['vehicles']:,} vehicles over "
        f"{doc['days']} day(s) to {out}"
    )


def render_load(request: LoadRequest, *, out: Path, as_json: bool) -> None:
    """Compute the load, write its CSV, print its totals."""
    from evgrid.fileio import write_csv

    check_out_file(out, (".csv",), request.source("sessions"))
    answer = request.run()
    write_csv(out, answer.columns())
    if as_json:
        print_json(answer.to_dict())
        return
    for line in answer.lines():
        typer.echo(f"{line}; wrote {out}")


def _sample_command() -> Any:
    return request_command(SampleRequest, render_sample, SESSION_OUT)


command("sample")(_sample_command())
command("load")(request_command(LoadRequest, render_load, LOAD_OUT, JSON_PARAM))
