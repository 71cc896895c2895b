"""``evgrid sample`` and ``evgrid load``: Monte Carlo sessions and their uncontrolled load."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from evgrid.cli.app import command
from evgrid.cli.common import check_out_file
from evgrid.params import parameter

PROGRESS_MIN_VEHICLES = 1_000_000
"""Runs with at least this many vehicles show a progress bar on a terminal [-]."""


@command("sample")
def sample_cmd(
    n_vehicles: int = typer.Option(..., "--n", help="Number of vehicles (= piles)."),
    out: Path = typer.Option(..., "--out", help="Session file to write: .csv or .parquet."),
    days: int = typer.Option(1, "--days", help="Days to sample [day]."),
    seed: int | None = typer.Option(None, "--seed", help="Random seed (same seed, same file)."),
    behaviour: str | None = typer.Option(
        None, "--behaviour", help="Behaviour: a preset name or a file (YAML/JSON); default home."
    ),
    preset: str = typer.Option("home", "--preset", help="Behaviour preset (evgrid presets)."),
) -> None:
    """Sample charging sessions of N vehicles over D days and write them to a session file."""
    import sys

    from evgrid.demand.behaviour import Behaviour
    from evgrid.demand.io import write_sessions
    from evgrid.demand.sampling import sample_sessions

    check_out_file(out, (".csv", ".parquet", ".pq"), Path(behaviour) if behaviour else None)
    b = Behaviour.load(behaviour) if behaviour else Behaviour.preset(preset)
    if n_vehicles < PROGRESS_MIN_VEHICLES or not sys.stderr.isatty():
        sessions = sample_sessions(b, n_vehicles, days, rng=seed)
    else:
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        columns = (TextColumn("{task.completed:,}/{task.total:,} vehicles"), TimeRemainingColumn())
        with Progress(TextColumn("sampling"), BarColumn(), *columns, transient=True) as bar:
            task = bar.add_task("sampling", total=n_vehicles)
            sessions = sample_sessions(
                b,
                n_vehicles,
                days,
                rng=seed,
                progress=lambda done: bar.update(task, completed=done),
            )
    write_sessions(sessions, out)
    typer.echo(
        f"wrote {len(sessions):,} sessions of {n_vehicles:,} vehicles over {days} day(s) to {out}"
    )


@command("load")
def load_cmd(
    sessions: Path = typer.Option(..., "--sessions", help="Session file (.csv or .parquet)."),
    out: Path = typer.Option(..., "--out", help="Load curve to write (.csv)."),
    slot_min: float = typer.Option(
        parameter("slot_min").value, "--slot-min", help="Slot length [min]."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the totals as JSON."),
    taper_soc: float | None = typer.Option(
        None, "--taper-soc", help="CC-CV taper above this state of charge [0-1]; default: none."
    ),
    typical_day: bool = typer.Option(
        False, "--typical-day", help="Write the mean day over the horizon instead of every slot."
    ),
) -> None:
    """Uncontrolled charging load of a session file, per slot over the sessions' days."""
    from evgrid.charging.strategies import schedule
    from evgrid.cli.common import print_json
    from evgrid.demand.io import over_window_message, read_session_file
    from evgrid.fileio import write_csv
    from evgrid.timegrid import TimeGrid

    check_out_file(out, (".csv",), sessions)
    TimeGrid(slot_min=slot_min)  # refuse a bad slot before reading anything
    f = read_session_file(sessions)
    options: dict[str, Any] = {} if taper_soc is None else {"taper_soc": taper_soc}
    result = schedule(f.sessions, "uncontrolled", slot_min=slot_min, **options)
    if f.over_window_rows.size:
        typer.echo(
            f"evgrid: warning: {over_window_message(sessions, f.over_window_rows)}", err=True
        )
    write_csv(out, result.columns(typical_day=typical_day))
    totals = result.summary()
    if as_json:
        print_json(totals)
    else:
        typer.echo(
            f"{len(f.sessions):,} sessions over {result.grid.n_days} day(s) at {slot_min:g} min: "
            f"peak {totals['peak_kw']:.1f} kW, requested {totals['energy_requested_kwh']:.1f} "
            f"kWh, delivered {totals['energy_delivered_kwh']:.1f} kWh, unmet "
            f"{totals['unmet_kwh']:.1f} kWh; wrote {out}"
        )
