"""``evgrid schedule``: run a charging strategy on a session file and write the load per slot.

A thin call into :mod:`evgrid.charging` (strategies, partial participation). The horizon is the
whole number of days that covers the latest departure.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import typer
from rich.console import Console

from evgrid.charging._windows import check_limit
from evgrid.charging.lp import LIMIT_RTOL
from evgrid.charging.participation import with_participation
from evgrid.charging.schedule import Schedule
from evgrid.charging.strategies import get_strategy
from evgrid.cli.app import command
from evgrid.demand.io import read_sessions
from evgrid.sessions import Sessions
from evgrid.errors import InputError, bad_value
from evgrid.fileio import write_text_atomic
from evgrid.timegrid import DEFAULT_SLOT_MIN, HOURS_PER_DAY, FloatArray, TimeGrid


def horizon_days(sessions: Sessions) -> int:
    """Whole days from midnight of day 0 that cover the latest departure [days], >= 1."""
    if len(sessions) == 0:
        return 1
    return max(1, math.ceil(float(sessions.departure_h.max()) / HOURS_PER_DAY))


def read_base_kw(path: Path, grid: TimeGrid) -> FloatArray:
    """Base load per slot of ``grid`` [kW] from a ``power_kw`` file (one row per slot)."""
    from evgrid.load.measured import read_load_curve

    try:
        curve = read_load_curve(path)
    except InputError:
        # several days without a time column: read them at the grid's resolution
        curve = read_load_curve(path, points_per_day=grid.slots_per_day)
    return curve.on_grid(grid)


def schedule_csv(schedule: Schedule, base_kw: FloatArray) -> str:
    """CSV text: one row per slot with start time, base, charging and total power [kW]."""
    grid = schedule.grid
    lines = ["slot,start_h,base_kw,charging_kw,total_kw"]
    total = base_kw + schedule.charging_kw
    for t in range(grid.n_slots):
        lines.append(
            f"{t},{grid.starts_h[t]:.6g},{base_kw[t]:.6f},{schedule.charging_kw[t]:.6f},{total[t]:.6f}"
        )
    return "\n".join(lines) + "\n"


def summary(schedule: Schedule, base_kw: FloatArray) -> dict[str, float]:
    """Peak and energy figures printed by ``--json`` [kW, kWh]."""
    return {
        "peak_kw": schedule.peak_kw,
        "total_peak_kw": float(schedule.total_kw(base_kw).max()),
        "energy_requested_kwh": float(schedule.requested_kwh.sum()),
        "energy_delivered_kwh": float(schedule.delivered_kwh.sum()),
        "unmet_kwh": float(schedule.unmet_kwh.sum()),
    }


@command("schedule")
def schedule_cmd(
    sessions: Path = typer.Option(..., "--sessions", help="Session file (.csv or .parquet)."),
    strategy: str = typer.Option(
        ..., "--strategy", help="uncontrolled, tou, valley-filling, lp, edf or llf."
    ),
    out: Path = typer.Option(..., "--out", help="CSV to write: charging load per slot [kW]."),
    base_load: Path | None = typer.Option(
        None, "--base-load", help="Base-load file with a power_kw column, one row per slot."
    ),
    limit_kw: float | None = typer.Option(
        None, "--limit-kw", help="Site limit on base + charging [kW]."
    ),
    participation: float = typer.Option(
        1.0, "--participation", help="Share of cars that follow the strategy, in [0, 1]."
    ),
    slot_min: float = typer.Option(DEFAULT_SLOT_MIN, "--slot-min", help="Slot length [min]."),
    seed: int | None = typer.Option(None, "--seed", help="Random seed."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary on stdout."),
) -> None:
    """Schedule charging sessions with a strategy and write the load per slot."""
    get_strategy(strategy)
    if not math.isfinite(participation) or not 0.0 <= participation <= 1.0:
        raise bad_value("--participation", participation, "a share in [0, 1]")
    if out.suffix.lower() != ".csv":
        raise bad_value("--out", str(out), "a .csv file")
    s = read_sessions(sessions)
    grid = TimeGrid(slot_min=slot_min, n_days=horizon_days(s))
    base = read_base_kw(base_load, grid) if base_load is not None else np.zeros(grid.n_slots)
    if limit_kw is not None:
        try:
            check_limit(limit_kw, base)
        except InputError as exc:
            raise bad_value("--limit-kw", limit_kw, str(exc).split("allowed: ", 1)[-1]) from None
    # a spinner on a terminal: the LP, long horizons and the first valley-filling call (which
    # compiles its kernels once) take seconds
    with Console(stderr=True).status(f"{strategy}: {len(s):,} sessions, {grid.n_slots} slots"):
        if participation < 1.0:
            result = with_participation(
                strategy, s, grid, base, participation, limit_kw=limit_kw, rng=seed
            )
        else:
            result = get_strategy(strategy)(s, grid, base, limit_kw=limit_kw, rng=seed)
    write_text_atomic(out, schedule_csv(result, base))
    total_peak_kw = float(result.total_kw(base).max())
    if limit_kw is not None and total_peak_kw > limit_kw * (1.0 + LIMIT_RTOL):
        typer.echo(
            f"evgrid: warning: base + charging peaks at {total_peak_kw:.6g} kW, above "
            f"--limit-kw {limit_kw:g} (strategy {strategy} does not enforce the limit, "
            "or no schedule meets it)",
            err=True,
        )
    if as_json:
        typer.echo(json.dumps(summary(result, base)))
