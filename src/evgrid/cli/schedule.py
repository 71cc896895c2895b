"""``evgrid schedule``: run a charging strategy on a session file and write the load per slot.

The options are :class:`evgrid.jobs.charging.ScheduleRequest`'s.
"""

from __future__ import annotations

from pathlib import Path

import typer

from evgrid.cli.app import command
from evgrid.cli.common import check_out_file, print_json, spinner
from evgrid.cli.generate import JSON_PARAM, face_param, request_command
from evgrid.jobs.charging import ScheduleRequest

OUT_PARAM = face_param(
    "out", ..., "--out", "CSV to write: base, charging and total load per slot [kW]."
)


def render(request: ScheduleRequest, *, out: Path, as_json: bool) -> None:
    """Run the schedule, write its CSV, warn about a limit it does not meet."""
    from evgrid.fileio import write_csv

    check_out_file(out, (".csv",), request.source("sessions"), request.base_load)
    with spinner(f"{request.strategy}: {len(request.sessions):,} sessions"):
        answer = request.run()
    write_csv(out, answer.columns())
    for line in answer.warnings():
        typer.echo(f"evgrid: warning: {line.replace('limit_kw', '--limit-kw')}", err=True)
    if as_json:
        print_json(answer.to_dict())


command("schedule")(request_command(ScheduleRequest, render, OUT_PARAM, JSON_PARAM))
