"""``evgrid sample`` and ``evgrid load``: Monte Carlo sessions and their uncontrolled load.

``sample`` draws charging sessions from a behaviour (a preset or a behaviour file) and writes a
session file; ``load`` reads a session file (sampled or measured) and writes the uncontrolled
charging load per slot. Both are thin calls into :mod:`evgrid.demand` and
:mod:`evgrid.charging.uncontrolled`.
"""

from __future__ import annotations

import json
import math
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import typer

from evgrid.charging.uncontrolled import uncontrolled
from evgrid.cli.app import command
from evgrid.demand.behaviour import Behaviour
from evgrid.demand.io import file_format, over_window_message, read_session_file, write_sessions
from evgrid.demand.sampling import sample_sessions
from evgrid.demand.sessions import Sessions
from evgrid.errors import bad_value
from evgrid.fileio import write_text_atomic
from evgrid.timegrid import DEFAULT_SLOT_MIN, HOURS_PER_DAY, TimeGrid

PROGRESS_MIN_VEHICLES = 1_000_000
"""Runs with at least this many vehicles show a progress bar on a terminal [-]."""


def _progress_bar(total: int) -> Any:
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(
        TextColumn("sampling"),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,} vehicles"),
        TimeRemainingColumn(),
        transient=True,
    )


def _sample(behaviour: Behaviour, n: int, days: int, seed: int | None) -> Sessions:
    if n < PROGRESS_MIN_VEHICLES or not sys.stderr.isatty():
        return sample_sessions(behaviour, n, days, rng=seed)
    with _progress_bar(n) as bar:
        task = bar.add_task("sampling", total=n)
        return sample_sessions(
            behaviour, n, days, rng=seed, progress=lambda done: bar.update(task, completed=done)
        )


@command("sample")
def sample_cmd(
    n: int = typer.Option(..., "--n", help="Number of vehicles (= piles)."),
    out: Path = typer.Option(..., "--out", help="Session file to write: .csv or .parquet."),
    days: int = typer.Option(1, "--days", help="Days to sample."),
    seed: int | None = typer.Option(None, "--seed", help="Random seed (same seed, same file)."),
    behaviour: str | None = typer.Option(
        None, "--behaviour", help="Behaviour: a preset name or a file (YAML/JSON); default home."
    ),
    preset: str = typer.Option("home", "--preset", help="Behaviour preset (evgrid presets)."),
) -> None:
    """Sample charging sessions of N vehicles over D days and write them to a session file."""
    file_format(out)  # reject a bad extension before any work
    if n < 0:
        raise bad_value("--n", n, "a whole number of vehicles >= 0")
    if days < 1:
        raise bad_value("--days", days, "a whole number of days >= 1")
    if seed is not None and seed < 0:
        raise bad_value("--seed", seed, "a whole number >= 0")
    if preset not in Behaviour.presets():
        raise bad_value("--preset", preset, "one of " + ", ".join(Behaviour.presets()))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        b = Behaviour.load(behaviour) if behaviour else Behaviour.preset(preset)
    for w in caught:
        typer.echo(f"evgrid: warning: {w.message}", err=True)
    sessions = _sample(b, n, days, seed)
    write_sessions(sessions, out)
    typer.echo(f"wrote {len(sessions):,} sessions of {n:,} vehicles over {days} day(s) to {out}")


@command("load")
def load_cmd(
    sessions: Path = typer.Option(..., "--sessions", help="Session file (.csv or .parquet)."),
    out: Path = typer.Option(..., "--out", help="Load curve to write (.csv)."),
    slot_min: float = typer.Option(DEFAULT_SLOT_MIN, "--slot-min", help="Slot length [min]."),
    as_json: bool = typer.Option(False, "--json", help="Print the totals as JSON."),
    taper_soc: float | None = typer.Option(
        None, "--taper-soc", help="CC-CV taper above this SOC (0-1); default: no taper."
    ),
    typical_day: bool = typer.Option(
        False, "--typical-day", help="Write the mean day over the horizon instead of every slot."
    ),
) -> None:
    """Uncontrolled charging load of a session file, per slot over the sessions' days."""
    if out.suffix.lower() != ".csv":
        raise bad_value(f"{out}", out.suffix or "no extension", "a .csv file")
    grid = TimeGrid(slot_min=slot_min)  # validates --slot-min before reading
    f = read_session_file(sessions)
    s = f.sessions
    last_h = float(s.departure_h.max()) if len(s) else 0.0
    grid = TimeGrid(slot_min=slot_min, n_days=max(1, math.ceil(last_h / HOURS_PER_DAY)))
    schedule = uncontrolled(s, grid, taper_soc=taper_soc)
    if f.over_window_rows.size:
        typer.echo(
            f"evgrid: warning: {over_window_message(sessions, f.over_window_rows)}", err=True
        )
    curve_kw = schedule.charging_kw
    starts_h = grid.starts_h
    if typical_day:
        curve_kw = grid.fold_mean(curve_kw)
        starts_h = starts_h[: grid.slots_per_day]
    table = "slot,start_h,hour_of_day,charging_kw\n" + "".join(
        f"{i},{t:.6g},{t % HOURS_PER_DAY:.6g},{p!r}\n"
        for i, (t, p) in enumerate(zip(starts_h.tolist(), curve_kw.tolist(), strict=True))
    )
    write_text_atomic(out, table)
    totals = {
        "peak_kw": schedule.peak_kw,
        "energy_requested_kwh": float(np.sum(schedule.requested_kwh)),
        "energy_delivered_kwh": float(np.sum(schedule.delivered_kwh)),
        "unmet_kwh": float(np.sum(schedule.unmet_kwh)),
    }
    if as_json:
        typer.echo(json.dumps(totals))
    else:
        typer.echo(
            f"{len(s):,} sessions over {grid.n_days} day(s) at {slot_min:g} min: peak "
            f"{totals['peak_kw']:.1f} kW, requested {totals['energy_requested_kwh']:.1f} kWh, "
            f"delivered {totals['energy_delivered_kwh']:.1f} kWh, unmet "
            f"{totals['unmet_kwh']:.1f} kWh; wrote {out}"
        )
