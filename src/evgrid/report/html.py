"""Self-contained HTML reports: plotly.js embedded once, figures as divs, tables in the page.

Functions here return the page as text; the CLI writes it with
:func:`evgrid.fileio.write_text_atomic`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any

import jinja2
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from evgrid.planning.assumptions import OfficeAssumptions, ResidentialAssumptions
from evgrid.planning.timeseries.curves import HostingResult
from evgrid.planning.index import ResidentialResult
from evgrid.planning.office import OfficeResult
from evgrid.planning.reproduce import Reproduction
from evgrid.planning.reproduce_timeseries import TimeseriesReproduction
from evgrid.report.figures import office_curve_figure, office_figure, residential_figure
from evgrid.report.labels import Labels, labels_for
from evgrid.report.timeseries_figures import (
    daily_curves_figure,
    hosting_band_figure,
    orderly_impact_figure,
)

PERCENT = 100.0
REPORT_FILE = "index.html"
"""Name of the page written in the output directory."""


@dataclass(frozen=True)
class Table:
    """A plain table: header and rows of text."""

    header: list[str]
    rows: list[list[str]]


@dataclass(frozen=True)
class Section:
    """A heading, an optional table and figures (as HTML divs)."""

    heading: str
    figures: list[str] = field(default_factory=list)
    table: Table | None = None


def _div(fig: go.Figure) -> str:
    html: str = fig.to_html(full_html=False, include_plotlyjs=False)
    return html


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("evgrid", "report/templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
    )


def _assumption_rows(*params: Any) -> list[tuple[str, str]]:
    rows = []
    for p in params:
        if is_dataclass(p) and not isinstance(p, type):
            for f in fields(p):
                value = getattr(p, f.name)
                rows.append((f.name, str(dict(value) if hasattr(value, "items") else value)))
    return rows


def _office_table(results: dict[str, OfficeResult], labels: Labels) -> Table:
    header = [
        labels["case"],
        labels["year"],
        labels["charging_spaces"],
        labels["peak_charging_kw"],
        labels["total_loading"],
    ]
    rows = [
        [
            r.name,
            str(y.year),
            str(y.charging_spaces),
            f"{y.peak_charging_kw:.1f}",
            f"{y.total_loading_pu * PERCENT:.1f} %",
        ]
        for r in results.values()
        for y in r.years
    ]
    return Table(header, rows)


def render_page(
    title: str,
    labels: Labels,
    lang: str,
    sections: list[Section],
    rows: list[tuple[str, str, str, str, bool]] | None = None,
    assumptions: list[tuple[str, str]] | None = None,
) -> str:
    """Render the page template with plotly.js embedded once."""
    template = _environment().get_template("report.html.j2")
    return template.render(
        title=title,
        labels=labels,
        lang=lang,
        sections=sections,
        rows=rows or [],
        assumptions=assumptions or [],
        plotly_js=get_plotlyjs(),
    )


def _percent(x: float) -> str:
    return f"{x * PERCENT:.0f} %"


def timeseries_sections(
    ts: TimeseriesReproduction, index: Reproduction, lang: str = "en"
) -> list[Section]:
    """Sections of the time-series tier: hosting bands beside the index tier, figures 6–7."""
    labels = labels_for(lang)
    rows = []
    for (case, strategy), r in ts.hosting.items():
        if case in index.residential:
            m = index.residential[case].uncontrolled
            tier = _percent(m.max_pile_ratio_1pct)
        else:
            years = index.office[case].years
            tier = ", ".join(f"{y.year}: {_percent(y.max_pile_ratio)}" for y in years)
        rows.append(
            [
                case,
                strategy,
                _percent(r.max_pile_ratio_p50),
                _percent(r.max_pile_ratio_p95),
                tier,
            ]
        )
    hosting = Section(
        heading=labels["timeseries"],
        table=Table([labels["case"], labels["strategy"], "P50", "P95", labels["index_tier"]], rows),
        figures=[_div(hosting_band_figure(r, lang)) for r in ts.hosting.values()],
    )
    impact_rows = [
        [
            case,
            name,
            _percent(imp.charging_peak_reduction(name)),
            _percent(imp.total_peak_reduction(name)),
        ]
        for case, imp in ts.impact.items()
        for name in imp.orderly
    ]
    impact = Section(
        heading=labels["impact"],
        table=Table(
            [
                labels["case"],
                labels["strategy"],
                labels["charging_peak_reduction"],
                labels["total_peak_reduction"],
            ],
            impact_rows,
        ),
        figures=[_div(orderly_impact_figure(imp, lang)) for imp in ts.impact.values()],
    )
    return [hosting, impact]


def reproduce_html(
    rep: Reproduction,
    lang: str = "en",
    residential: ResidentialAssumptions | None = None,
    office: OfficeAssumptions | None = None,
    timeseries: TimeseriesReproduction | None = None,
) -> str:
    """The ``evgrid reproduce`` report: comparison table, figures 3–5, office results, and the
    time-series tier when given."""
    labels = labels_for(lang)
    res_section = Section(
        heading=labels["residential"],
        figures=[_div(residential_figure(r, labels)) for r in rep.residential.values()],
    )
    office_section = Section(
        heading=labels["office"],
        figures=[_div(office_figure(rep.office, labels))],
        table=_office_table(rep.office, labels),
    )
    return render_page(
        labels["reproduce_title"],
        labels,
        lang,
        [res_section, office_section]
        + ([] if timeseries is None else timeseries_sections(timeseries, rep, lang)),
        rows=rep.rows(lang),
        assumptions=_assumption_rows(
            residential or ResidentialAssumptions(), office or OfficeAssumptions()
        ),
    )


def hosting_html(
    result: ResidentialResult | OfficeResult,
    lang: str = "en",
    assumptions: ResidentialAssumptions | OfficeAssumptions | None = None,
) -> str:
    """The ``evgrid hosting --out`` report of one site."""
    labels = labels_for(lang)
    if isinstance(result, OfficeResult):
        section = Section(
            heading=result.name,
            figures=[_div(office_curve_figure(result, labels))],
            table=_office_table({result.name: result}, labels),
        )
        default: Any = OfficeAssumptions()
    else:
        section = Section(heading=result.name, figures=[_div(residential_figure(result, labels))])
        default = ResidentialAssumptions()
    return render_page(
        labels["hosting_title"],
        labels,
        lang,
        [section],
        assumptions=_assumption_rows(assumptions or default),
    )


def timeseries_html(result: HostingResult, lang: str = "en") -> str:
    """The ``evgrid hosting --method timeseries --out`` report: bands and curves at the limit."""
    labels = labels_for(lang)
    section = Section(
        heading=f"{result.site_name}: {result.strategy}",
        figures=[
            _div(hosting_band_figure(result, lang)),
            _div(daily_curves_figure(result.at_limit_p95, lang=lang)),
        ],
    )
    settings = [
        (key, str(getattr(result, key)))
        for key in ("strategy", "participation", "criterion", "limit", "days")
    ]
    return render_page(
        labels["timeseries_title"],
        labels,
        lang,
        [section],
        assumptions=settings + [(k, str(v)) for k, v in result.metadata.items()],
    )
