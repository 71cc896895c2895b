"""``evgrid schedule``: run a charging strategy on a session file and write the load per slot."""

from __future__ import annotations

from pathlib import Path

import typer

from evgrid.cli.app import command
from evgrid.cli.common import StrategyChoice, check_out_file, spinner, value
from evgrid.params import parameter


@command("schedule")
def schedule_cmd(
    sessions: Path = typer.Option(..., "--sessions", help="Session file (.csv or .parquet)."),
    strategy: StrategyChoice = typer.Option(..., "--strategy", help="Charging strategy."),  # type: ignore[valid-type]
    out: Path = typer.Option(
        ..., "--out", help="CSV to write: base, charging and total load per slot [kW]."
    ),
    base_load: Path | None = typer.Option(
        None,
        "--base-load",
        help="Base-load file (CSV/Excel, power_kw [kW]): one row per slot, or a time column.",
    ),
    limit_kw: float | None = typer.Option(
        None, "--limit-kw", help="Site limit on base + charging [kW]."
    ),
    participation: float = typer.Option(
        1.0,
        "--participation",
        help="Share of cars that follow the strategy [0-1]; the rest charge uncontrolled.",
    ),
    slot_min: float = typer.Option(
        parameter("slot_min").value, "--slot-min", help="Slot length [min]."
    ),
    seed: int | None = typer.Option(None, "--seed", help="Random seed (same seed, same schedule)."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary on stdout."),
) -> None:
    """Schedule charging sessions with a strategy and write the load per slot."""
    import numpy as np

    from evgrid.charging.strategies import get_strategy, horizon_days, schedule
    from evgrid.cli.common import print_json
    from evgrid.demand.io import read_sessions
    from evgrid.fileio import write_csv
    from evgrid.load.measured import read_base_load
    from evgrid.timegrid import TimeGrid

    check_out_file(out, (".csv",), sessions, base_load)
    TimeGrid(slot_min=slot_min)  # refuse a bad slot before reading anything
    chosen = get_strategy(value(strategy))
    s = read_sessions(sessions)
    grid = TimeGrid(slot_min=slot_min, n_days=horizon_days(s))
    base = np.zeros(grid.n_slots) if base_load is None else read_base_load(base_load, grid)
    with spinner(f"{chosen.name}: {len(s):,} sessions, {grid.n_slots} slots"):
        result = schedule(
            s,
            chosen.name,
            grid=grid,
            base_kw=base,
            limit_kw=limit_kw,
            participation=participation,
            rng=seed,
        )
    write_csv(out, result.columns(base))
    summary = result.summary(base)
    if limit_kw is not None and summary["total_peak_kw"] > limit_kw * (1.0 + 1e-9):
        typer.echo(
            f"evgrid: warning: base + charging peaks at {summary['total_peak_kw']:.6g} kW, above "
            f"--limit-kw {limit_kw:g} (strategy {chosen.name} does not enforce the limit, "
            "or no schedule meets it)",
            err=True,
        )
    if as_json:
        print_json(summary)
