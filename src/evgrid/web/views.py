"""What a result page shows, built from the library's report functions, and its downloads.

A page is a list of charts (plotly figures of :mod:`evgrid.report.figures`) and tables
(:mod:`evgrid.report.tables`), each with a file stem; every one is offered for download: a table
as CSV, a chart as a self-contained HTML page and its data as CSV (and as PNG from the chart's
own camera button).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from evgrid.report.labels import percent, word
from evgrid.report.tables import Table
from evgrid.web.downloads import (
    curves_csv,
    daily_csv,
    figure_div,
    figure_page,
    impact_csv,
    modes_csv,
    table_csv,
)
from evgrid.web.jobs import JobOutput
from evgrid.web.labels import page_labels
from evgrid.web.services import SiteRun


@dataclass
class Chart:
    """A chart on a page: its file stem, the figure and, if any, its data as CSV."""

    stem: str
    figure: Any
    data: Callable[[], str] | None = None
    heading: str = ""


@dataclass
class PageTable:
    """A table on a page and its file stem."""

    stem: str
    table: Table


@dataclass
class Page:
    """The charts and tables of a result page."""

    charts: list[Chart] = field(default_factory=list)
    tables: list[PageTable] = field(default_factory=list)

    def downloads(self) -> dict[str, tuple[str, Callable[[], str]]]:
        """File name -> (media type, content): every table and chart of the page."""
        files: dict[str, tuple[str, Callable[[], str]]] = {}
        for t in self.tables:
            files[f"table-{t.stem}.csv"] = ("text/csv", functools.partial(table_csv, t.table))
        for c in self.charts:
            files[f"chart-{c.stem}.html"] = ("text/html", functools.partial(figure_page, c.figure))
            if c.data is not None:
                files[f"chart-{c.stem}.csv"] = ("text/csv", c.data)
        return files

    def divs(self) -> list[tuple[Chart, str]]:
        """Each chart with its HTML div (ids in page order)."""
        return [
            (c, figure_div(c.figure, f"evgrid-chart-{c.stem}", f"evgrid-{c.stem}"))
            for c in self.charts
        ]


def site_page(run: SiteRun, lang: str) -> Page:
    """The result page of a site run in ``lang``: the loading-vs-pile-ratio chart (index lines,
    time-series band), the typical-day load uncontrolled against orderly, the daily curves at
    the limit, and the tables."""
    from evgrid.report.figures import daily_curves_figure, hosting_figure, orderly_impact_figure
    from evgrid.report.tables import curve_table, hosting_table

    t = page_labels(lang)
    page = Page()
    page.tables.append(PageTable("hosting", hosting_table(run.results, lang)))
    if run.index:
        page.tables.append(PageTable("index", hosting_table(run.index, lang)))
    page.charts.append(
        Chart(
            "hosting",
            hosting_figure(run.chart_results, lang),
            lambda: curves_csv(run.chart_results),
        )
    )
    if run.impact is not None:
        page.charts.append(
            Chart(
                "daily",
                orderly_impact_figure(run.impact, lang),
                lambda: impact_csv(run.impact),
                heading=t["daily_title"],
            )
        )
    plan = run.answer.modes
    if plan is not None:  # some cars have no fixed pile: shared piles and a public hub
        from evgrid.report.modes import modes_figure, modes_table

        page.tables.append(PageTable("modes", modes_table(plan, lang)))
        page.charts.append(
            Chart(
                "modes",
                modes_figure(plan, lang),
                lambda: modes_csv(plan),
                heading=word("charging modes", lang),
            )
        )
    if run.results[0].network is not None:  # the site's network: its answer and diagram
        _network_parts(page, run, lang)
    for i, r in enumerate(run.results, start=1):
        if r.method == "timeseries":
            page.tables.append(PageTable(f"curve-{i}", curve_table(r, lang)))
        if r.at_limit_p95 is not None:
            curves = r.at_limit_p95
            page.charts.append(
                Chart(
                    f"limit-{i}",
                    daily_curves_figure(curves, lang=lang),
                    functools.partial(daily_csv, curves),
                    heading=t["at_limit"],
                )
            )
    return page


def _network_parts(page: Page, run: SiteRun, lang: str) -> None:
    """The network's table beside the transformer's answer, and its one-line diagram at the
    transformer's answer with the extremes there (:mod:`evgrid.report.network`)."""
    from evgrid.network.diagram import one_line_figure
    from evgrid.report.network import hosting_network_table, study_table, study_title

    page.tables.append(PageTable("network", hosting_network_table(run.results, lang)))
    study = run.results[0].network.study if run.results[0].network is not None else None
    if study is None:
        return
    extremes = study_table(study.to_dict(), study_title(run.results, lang), lang)
    page.tables.append(PageTable("network-extremes", extremes))
    figure = one_line_figure(study.net, study.evaluation.extremes, title=study.network)
    page.charts.append(Chart("network", figure, heading=extremes.title))


def summary_lines(run: SiteRun, lang: str) -> list[tuple[Any, str]]:
    """One sentence per result: the largest pile ratio and the piles it means."""
    t = page_labels(lang)
    lines = []
    for r in run.results:
        name = t.get(r.strategy, r.strategy)
        if "year" in r.details:
            name = f"{r.details['year']} ({name})"
        if r.method == "index":
            text = t["summary_pile"].format(
                strategy=name,
                ratio=percent(r.max_pile_ratio_p50, 1),
                piles=r.max_piles_p50,
                spaces=r.n_spaces,
            )
        else:
            text = t["summary_band"].format(
                strategy=name,
                p50=percent(r.max_pile_ratio_p50),
                p95=percent(r.max_pile_ratio_p95),
            )
        if r.network is not None:
            text += "; " + t["summary_network"].format(
                strategy=name,
                network=r.network.network,
                ratio=percent(r.network.pile_ratio),
                binding=r.network.binding,
                recommended=percent(r.recommended_pile_ratio),
            )
        lines.append((r, text))
    first = run.results[0]
    if first.network is not None and first.network.study is not None:
        from evgrid.report.network import size_note

        households = int(getattr(run.site, "households", 0))  # a network: a community's
        for note in size_note(run.results, households, lang):  # on the first result
            stop = "。" if lang == "zh" else ". "
            lines[0] = (first, f"{lines[0][1]}{stop}{note}")
    return lines


def upgrade_table(run: SiteRun, lang: str) -> Table | None:
    """The upgrade year per strategy (:func:`evgrid.report.city.site_upgrade_table`), or None."""
    from evgrid.report.city import site_upgrade_table

    return None if run.upgrade is None else site_upgrade_table(run.upgrade, lang)


def upgrade_lines(run: SiteRun, lang: str) -> list[tuple[dict[str, Any], str]]:
    """One sentence per strategy: the upgrade year and the transformer then needed."""
    if run.upgrade is None:
        return []
    t = page_labels(lang)
    last = run.upgrade.years[-1]
    lines = []
    for r in run.upgrade.upgrades:
        name = t.get(r["strategy"], r["strategy"])
        if r["upgrade_year"] is None:
            text = t["upgrade_none"].format(strategy=name, last=last)
        else:
            text = t["upgrade_line"].format(
                strategy=name,
                year=r["upgrade_year"],
                units=r["units"],
                unit=f"{r['unit_kva']:g}",
                now=f"{r['transformer_kva']:g}",
            )
        lines.append((r, text))
    return lines


def site_downloads(run: SiteRun, lang: str) -> dict[str, tuple[str, Callable[[], str]]]:
    """Every download of a site run's page, with the whole result as JSON."""
    files = site_page(run, lang).downloads()
    table = upgrade_table(run, lang)
    if table is not None:
        files["table-upgrade.csv"] = ("text/csv", functools.partial(table_csv, table))
    files["result.json"] = (
        "application/json",
        lambda: json.dumps(run.to_dict(), ensure_ascii=False, indent=2),
    )
    return files


def job_page(output: JobOutput) -> Page:
    """The charts and tables of a finished job."""
    page = Page()
    page.tables = [PageTable(str(i), table) for i, table in enumerate(output.tables, start=1)]
    page.charts = [Chart(stem, fig) for stem, fig in output.figures.items()]
    return page
