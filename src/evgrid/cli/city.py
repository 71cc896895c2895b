"""``evgrid city``, ``evgrid synth-city`` and ``evgrid scenarios``: years and the city."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from evgrid.cli.app import command
from evgrid.cli.common import (
    check_out_dir,
    check_out_file,
    default_of,
    print_json,
    print_table,
)
from evgrid.cli.generate import JSON_PARAM, LANG_PARAM, face_param, request_command
from evgrid.jobs.city import CityRequest
from evgrid.report.city import summary_tables


@command("scenarios")
def scenarios_cmd(
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
    scenario: str | None = typer.Option(
        None, "--show", help="A scenario name or file: list each of its values and sources."
    ),
) -> None:
    """List the bundled EV-growth scenarios, or one scenario's values with their sources."""
    from evgrid.planning.scenarios import bundled_scenarios, load_scenario
    from evgrid.report.city import scenario_table, scenarios_table

    chosen = [load_scenario(scenario)] if scenario is not None else bundled_scenarios()
    if as_json:
        print_json([scenario_doc(s) for s in chosen])
        return
    print_table(scenario_table(chosen[0]) if scenario is not None else scenarios_table(chosen))


def scenario_doc(s: Any) -> dict[str, Any]:
    """A scenario as JSON: name, description, years, the yearly values and every source."""
    import numpy as np

    from evgrid.planning.scenarios import TYPES

    return {
        "name": s.name,
        "description": s.description,
        "years": list(s.years),
        "base_year": s.base_year,
        "ev_share": np.round(s.ev_share_at(s.years), 6).tolist(),
        "participation": np.round(s.participation_at(s.years), 6).tolist(),
        "pile_ratio": {k: np.round(s.pile_ratio(k, s.years), 6).tolist() for k in TYPES},
        "sources": [
            {"value_of": k, "value": v.value, "basis": v.basis, "source": v.source}
            for k, v in s.sources
        ],
    }


@command("synth-city")
def synth_city_cmd(
    n: int = typer.Option(..., "--n", help="Sites [-]."),
    seed: int | None = typer.Option(None, "--seed", help=f"Random seed {default_of('seed')}."),
    out: Path = typer.Option(..., "--out", help="Site table to write: .csv, .xlsx or .parquet."),
) -> None:
    """A synthetic city: old, sub-new and new communities and office parks (docs/city.md)."""
    from evgrid.city.synth import synth_city, write_city
    from evgrid.params import parameter

    check_out_file(out, (".csv", ".xlsx", ".parquet"))
    table = synth_city(n, parameter("seed").resolve(seed, "--seed"))
    write_city(table, out)
    counts = table["type"].fillna("office").value_counts().to_dict()
    typer.echo(f"{out}: {n} sites (" + ", ".join(f"{k} {v}" for k, v in counts.items()) + ")")


OUT_PARAM = face_param(
    "out", ..., "--out", "Output folder (resumes a run with the same arguments)."
)


def render(request: CityRequest, *, out: Path, as_json: bool, lang: str) -> None:
    """Run (or resume) the city with a progress bar, then show its summary."""
    check_out_dir(out)
    with _Progress() as progress:
        answer = request.run(progress, out=out, lang=lang)
    if as_json:
        print_json(answer.to_dict())
        return
    for table in summary_tables(dict(answer.document), lang):
        print_table(table)
    for line in answer.lines(lang):
        typer.echo(line)


command("city")(request_command(CityRequest, render, OUT_PARAM, LANG_PARAM, JSON_PARAM))


class _Progress:
    """A progress bar with ETA on stderr when it is a terminal; else nothing."""

    def __enter__(self) -> Any:
        if not sys.stderr.isatty():
            self.bar = None
            return None
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        self.bar = Progress(
            TextColumn("sites"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            transient=True,
            console=Console(stderr=True),
        )
        self.bar.start()
        task = self.bar.add_task("sites", total=None)

        def update(done: int, total: int, text: str = "") -> None:
            assert self.bar is not None
            self.bar.update(task, completed=done, total=total)

        return update

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()
