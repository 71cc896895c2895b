"""Background jobs of the web app: the report's reproduction and a city run.

Each builder checks the options first (a bad value is refused before anything is queued) and
returns the job function (:data:`evgrid.web.jobs.JobFn`).

City runs call the city module of the library (``evgrid.city``). Where the installed evgrid has
none, :func:`city_runner` returns None, and the web app answers 501 and says so on the city
page; no other code depends on it.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from evgrid.errors import EvgridError, bad_value
from evgrid.report.labels import LANGUAGES
from evgrid.web.downloads import table_csv
from evgrid.web.jobs import JobFn, JobOutput, Progress

CITY_MODULE = "evgrid.city"
CITY_FUNCTION = "run_city"
"""The library's city batch: ``run_city(sites, *, out, scenario, method, strategies, days,
seed, progress)`` writing its results (Parquet, CSV, the summary HTML page) to ``out``."""
CITY_RESULT_SUFFIXES = (".parquet", ".csv", ".html", ".json")
"""Files of a city run offered for download."""
CITY_PREVIEW_ROWS = 50
"""Rows of the city results shown on the job page [-] (all rows are in the downloads)."""


class NotAvailableError(EvgridError):
    """A part of evgrid that this installation does not have (HTTP 501)."""


def _library(name: str) -> Callable[..., Any] | None:
    try:
        module = importlib.import_module(CITY_MODULE)
    except ModuleNotFoundError:
        return None
    found = getattr(module, name, None)
    return found if callable(found) else None


def city_runner() -> Callable[..., Any] | None:
    """The library's city batch function, or None when this installation has none."""
    return _library(CITY_FUNCTION)


def _write(workdir: Path, name: str, text: str) -> Path:
    path = workdir / name
    path.write_text(text, encoding="utf-8")
    return path


def reproduce_job(
    *,
    index_only: bool = False,
    seed: int | None = None,
    days: int | None = None,
    impact_days: int | None = None,
    lang: str = "en",
) -> JobFn:
    """``evgrid reproduce`` as a job: the JSON document, the HTML report and every table.

    Parameters
    ----------
    index_only
        Skip the time-series tier (about a second instead of about 15 s).
    seed, days, impact_days
        As ``evgrid reproduce`` (``--seed``, ``--days``, ``--impact-days``).
    lang
        ``"en"`` or ``"zh"``.
    """
    from evgrid.planning.reproduce_timeseries import check_options

    if lang not in LANGUAGES:
        raise bad_value("lang", lang, "'en' or 'zh'")
    if index_only:
        for name, value in (("seed", seed), ("days", days), ("impact_days", impact_days)):
            if value is not None:
                raise bad_value(name, value, "not used with index_only (time series only)")
    else:
        check_options(seed=seed, days=days, impact_days=impact_days)

    def run(workdir: Path, progress: Progress) -> JobOutput:
        from evgrid.planning.reproduce import reproduce
        from evgrid.planning.reproduce_timeseries import (
            CASES,
            HOSTING_STRATEGIES,
            IMPACT_CASES,
            reproduce_timeseries,
        )
        from evgrid.report.figures import hosting_figure
        from evgrid.report.html import reproduce_html
        from evgrid.report.tables import comparison_table, timeseries_tables

        steps = 2 + (0 if index_only else len(CASES) * len(HOSTING_STRATEGIES) + len(IMPACT_CASES))
        progress(0, steps, "planning index")
        rep = reproduce()
        ts = None
        if not index_only:
            done = [1]

            def step(text: str) -> None:
                progress(done[0], steps, text)
                done[0] += 1

            ts = reproduce_timeseries(seed=seed, days=days, impact_days=impact_days, progress=step)
        progress(steps - 1, steps, "HTML report")
        doc = rep.to_dict()
        tables = [comparison_table(rep, lang)]
        if ts is not None:
            doc.update(ts.to_dict())
            tables += timeseries_tables(ts, rep, lang)
        files = {
            "reproduce.json": _write(workdir, "reproduce.json", json.dumps(doc, indent=2)),
            "evgrid-report.html": _write(
                workdir, "evgrid-report.html", reproduce_html(rep, lang, timeseries=ts)
            ),
        }
        for i, table in enumerate(tables, start=1):
            name = f"table-{i}.csv"
            files[name] = _write(workdir, name, table_csv(table))
        figures = {
            f"hosting-{case}": hosting_figure(list(modes.values()), lang)
            for case, modes in rep.residential.items()
        }
        return JobOutput(
            document=doc,
            tables=tables,
            figures=figures,
            files=files,
            links={"open_report": "evgrid-report.html"},
        )

    return run


def check_city_upload(path: Path, shown_as: str) -> None:
    """Refuse a city table that names files (a load-curve column): the web app opens no path
    it is given.

    Raises
    ------
    InputError
        The table cannot be read, or it has a ``load_curve`` column.
    """
    import pandas as pd

    from evgrid.errors import InputError

    try:
        if path.suffix == ".parquet":
            import pyarrow.parquet as pq

            columns = list(pq.read_schema(path).names)
        elif path.suffix == ".csv":
            columns = list(pd.read_csv(path, nrows=0).columns)
        else:
            columns = list(pd.read_excel(path, nrows=0, engine="openpyxl").columns)
    except Exception as exc:  # any reader error is the upload's fault
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"{shown_as}: cannot read the table: {first}") from None
    if "load_curve" in columns:
        raise InputError(
            f"{shown_as}: load_curve: a column of file paths; allowed: none over HTTP (the web "
            "app opens no path it is given; upload one site with its curve on the site page)"
        )


def city_job(sites: Path, shown_as: str, options: dict[str, Any]) -> JobFn:
    """A city run as a job: the library's batch over the uploaded sites.

    Parameters
    ----------
    sites
        The uploaded table of sites, saved in the job's folder.
    shown_as
        The client's file name (for messages).
    options
        ``scenario``, ``method``, ``strategies`` (list), ``days``, ``seed``; None for defaults.

    Raises
    ------
    NotAvailableError
        This installation has no city module.
    """
    runner = city_runner()
    if runner is None:
        raise NotAvailableError(
            "city: not available in this installation of evgrid (no city module); "
            "the site, schedule and reproduction endpoints are"
        )
    check_city_upload(sites, shown_as)
    given = {k: v for k, v in options.items() if v is not None}

    def run(workdir: Path, progress: Progress) -> JobOutput:
        import pandas as pd

        from evgrid.report.tables import Table

        out = workdir / "result"
        runner(
            sites,
            out=out,
            progress=lambda done, total: progress(done, total, f"{done} of {total} sites"),
            **given,
        )
        files = {
            p.name: p
            for p in sorted(out.rglob("*"))
            if p.is_file() and p.suffix in CITY_RESULT_SUFFIXES
        }
        tables = []
        ranked = next((p for n, p in files.items() if n.endswith(".csv")), None)
        if ranked is not None:
            frame = pd.read_csv(ranked, nrows=CITY_PREVIEW_ROWS)
            rows = [[str(v) for v in row] for row in frame.itertuples(index=False)]
            tables.append(Table(ranked.name, [str(c) for c in frame.columns], rows))
        links = {n: n for n in files if n.endswith(".html")}
        return JobOutput(document={"files": sorted(files)}, tables=tables, files=files, links=links)

    return run
