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
from evgrid.planning.index import ResidentialResult
from evgrid.planning.office import OfficeResult
from evgrid.planning.reproduce import Reproduction
from evgrid.report.figures import office_curve_figure, office_figure, residential_figure
from evgrid.report.labels import Labels, labels_for

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


def reproduce_html(
    rep: Reproduction,
    lang: str = "en",
    residential: ResidentialAssumptions | None = None,
    office: OfficeAssumptions | None = None,
) -> str:
    """The ``evgrid reproduce`` report: comparison table, figures 3–5, office results."""
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
        [res_section, office_section],
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
