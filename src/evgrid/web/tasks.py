"""Background jobs of the web app: the report's reproduction and a city run.

Each builder checks the options first (a bad value is refused before anything is queued) and
returns the job function (:data:`evgrid.web.jobs.JobFn`). Both are the library calls of the
command line (``evgrid reproduce``, ``evgrid city``) with a progress callback.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from evgrid.errors import bad_value
from evgrid.report.labels import LANGUAGES
from evgrid.web.downloads import table_csv
from evgrid.web.errors import field_words
from evgrid.web.jobs import JobFn, JobOutput, Progress


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


def city_job(
    sites: Path,
    shown_as: str,
    options: dict[str, Any],
    lang: str = "en",
    curves: dict[str, Path] | None = None,
) -> JobFn:
    """``evgrid city`` as a job: the library's city run over the uploaded sites, its summary
    page, tables and charts (:func:`evgrid.report.city.city_report`).

    Parameters
    ----------
    sites
        The uploaded table of sites, saved in the job's folder.
    shown_as
        The client's file name (for messages).
    options
        ``scenario`` (a bundled scenario's name: the web app opens no scenario file),
        ``method``, ``strategies`` (list), ``days``, ``seed``; None for defaults.
    lang
        ``"en"`` or ``"zh"``: the summary page, tables and charts.
    curves
        The measured curves uploaded with the table, by the sender's file name: the only files
        a ``load_curve`` cell may name (no path a client gives is ever opened).

    Raises
    ------
    InputError
        A bad option (named by its request field) or a table that cannot be read; its bad rows
        go to the run's ``errors.csv``.
    """
    from evgrid.city.compute import city_settings
    from evgrid.city.sites import read_sites
    from evgrid.planning.scenarios import bundled_scenario

    if lang not in LANGUAGES:
        raise bad_value("lang", lang, "'en' or 'zh'")
    with field_words():
        settings = city_settings(
            bundled_scenario(options.get("scenario")),
            method=options.get("method"),
            strategies=options.get("strategies"),
            days=options.get("days"),
            seed=options.get("seed"),
        )
    curve_files = dict(curves or {})
    read_sites(sites, curve_files=curve_files)  # refuse an unreadable table before queuing

    def run(workdir: Path, progress: Progress) -> JobOutput:
        from evgrid.report.city import SUMMARY_FILE, city_figures, city_report, city_tables

        report = city_report(
            sites,
            settings,
            workdir / "result",
            lang=lang,
            progress=lambda done, total: progress(done, total, f"{done} of {total} sites"),
            curve_files=curve_files,
        )
        summary = report.run.summary
        return JobOutput(
            document=summary,
            tables=city_tables(summary, lang),
            figures=city_figures(summary, lang),
            files=report.files,
            links={"open_summary": SUMMARY_FILE},
        )

    return run
