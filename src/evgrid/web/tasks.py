"""Background jobs of the web app: the report's reproduction, a city run and a site's
incentives.

Each is its request's one library call (:mod:`evgrid.jobs`), the same the command line makes
(``evgrid reproduce``, ``evgrid city``), with a progress callback; the request was built and
checked before anything is queued.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

from evgrid.jobs.city import CityRequest
from evgrid.jobs.incentives import IncentivesRequest
from evgrid.jobs.reproduce import ReproduceRequest
from evgrid.report.labels import labels_for
from evgrid.report.tables import Table
from evgrid.web.downloads import table_csv
from evgrid.web.jobs import JobFn, JobOutput, Progress


def _write(workdir: Path, name: str, text: str) -> Path:
    path = workdir / name
    path.write_text(text, encoding="utf-8")
    return path


def table_file_name(table: Table, taken: set[str]) -> str:
    """A download name from a table's title: ``upgrades-per-year.csv`` (ASCII letters, digits
    and dashes; Chinese titles keep their characters), unique among ``taken``."""
    text = unicodedata.normalize("NFKC", table.title).lower()
    stem = re.sub(r"[^\w]+", "-", text).strip("-")[:60] or "table"
    name, n = f"{stem}.csv", 2
    while name in taken:
        name, n = f"{stem}-{n}.csv", n + 1
    taken.add(name)
    return name


def reproduce_job(request: ReproduceRequest, lang: str = "en") -> JobFn:
    """``evgrid reproduce`` as a job: the JSON envelope, the HTML report and every table.

    Parameters
    ----------
    request
        The reproduction's options.
    lang
        ``"en"`` or ``"zh"``: the report and tables.
    """
    labels_for(lang)  # refuse a bad language before queuing

    def run(workdir: Path, progress: Progress) -> JobOutput:
        answer = request.run(progress)
        tables = answer.tables(lang)
        document = answer.to_dict()
        files = {
            "reproduce.json": _write(
                workdir, "reproduce.json", json.dumps(document, ensure_ascii=False, indent=2)
            ),
            "evgrid-report.html": _write(workdir, "evgrid-report.html", answer.html(lang)),
        }
        taken: set[str] = set(files)
        for table in tables:
            name = table_file_name(table, taken)
            files[name] = _write(workdir, name, table_csv(table))
        return JobOutput(
            document=document,
            tables=tables,
            figures=answer.figures(lang),
            files=files,
            links={"open_report": "evgrid-report.html"},
        )

    return run


def city_job(
    request: CityRequest,
    lang: str = "en",
    curves: dict[str, Path] | None = None,
    networks: dict[str, Path] | None = None,
) -> JobFn:
    """``evgrid city`` as a job: the library's city run over the uploaded sites, its summary
    page, tables and charts.

    Parameters
    ----------
    request
        The city's options, its ``sites`` the table saved in the job's folder.
    lang
        ``"en"`` or ``"zh"``: the summary page, tables and charts.
    curves
        The measured curves uploaded with the table, by the sender's file name: the only files
        a ``load_curve`` cell may name (no path a client gives is ever opened).
    networks
        The network files uploaded with the table, by the sender's file name: what a
        ``network`` cell may name besides a bundled area.

    Raises
    ------
    InputError
        A table that cannot be read; its bad rows go to the run's ``errors.csv``.
    """
    from evgrid.city.sites import read_sites
    from evgrid.report.city import SUMMARY_FILE

    labels_for(lang)
    request.settings()  # refuse bad options (one the method does not use) before queuing
    curve_files, network_files = dict(curves or {}), dict(networks or {})
    assert request.sites is not None
    # refuse an unreadable table first
    read_sites(request.sites, curve_files=curve_files, network_files=network_files)

    def run(workdir: Path, progress: Progress) -> JobOutput:
        answer = request.run(
            progress,
            out=workdir / "result",
            lang=lang,
            curve_files=curve_files,
            network_files=network_files,
        )
        return JobOutput(
            document=answer.to_dict(),
            tables=answer.tables(lang),
            figures=answer.figures(lang),
            files=answer.result.files,
            links={"open_summary": SUMMARY_FILE},
        )

    return run


def incentives_job(request: IncentivesRequest, lang: str = "en") -> JobFn:
    """``evgrid incentives SITE`` as a job: the lever (and V2G, the sweep), who pays whom, the
    HTML report, the JSON envelope and every table and chart.

    Parameters
    ----------
    request
        The options, with the site resolved (an uploaded document or a report case).
    lang
        ``"en"`` or ``"zh"``: the report, tables and charts.
    """
    labels_for(lang)

    def run(workdir: Path, progress: Progress) -> JobOutput:
        from evgrid.jobs.incentives import SiteIncentives

        progress(0, 1, request.site.name)
        answer = request.run()
        assert isinstance(answer, SiteIncentives)  # a site (the page takes no city table)
        tables = answer.tables(lang)
        document = answer.to_dict()
        files = {
            "incentives.json": _write(
                workdir, "incentives.json", json.dumps(document, ensure_ascii=False, indent=2)
            ),
            "incentives.html": _write(workdir, "incentives.html", answer.html(lang)),
        }
        taken: set[str] = set(files)
        for table in tables:
            name = table_file_name(table, taken)
            files[name] = _write(workdir, name, table_csv(table))
        progress(1, 1, "done")
        return JobOutput(
            document=document,
            tables=tables,
            figures=answer.figures(lang),
            files=files,
            links={"open_report": "incentives.html"},
        )

    return run
