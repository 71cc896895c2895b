"""Self-contained HTML reports: plotly.js embedded once, figures as divs, tables in the page.

Functions here return the page as text; the CLI writes it with
:func:`evgrid.fileio.write_text_atomic`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import jinja2
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from evgrid.planning.modes import ModesResult
from evgrid.planning.reproduce import Reproduction
from evgrid.planning.reproduce_timeseries import TimeseriesReproduction
from evgrid.planning.result import HostingResult
from evgrid.report.figures import (
    daily_curves_figure,
    hosting_figure,
    office_figure,
    orderly_impact_figure,
)
from evgrid.report.labels import Labels, labels_for, percent, word
from evgrid.report.modes import modes_figure, modes_table
from evgrid.report.tables import (
    Table,
    behaviour_table,
    comparison_rows,
    findings_table,
    hosting_table,
    parameter_table,
    timeseries_tables,
)

REPORT_FILE = "index.html"
"""Name of the page written in the output directory."""


@dataclass(frozen=True)
class Section:
    """A heading, an optional sentence, an optional table and figures (as HTML divs)."""

    heading: str
    figures: list[str] = field(default_factory=list)
    table: Table | None = None
    text: str = ""


class FigureDivs:
    """Figures as HTML divs with deterministic ids (the same inputs give the same page)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, fig: go.Figure) -> str:
        self.count += 1
        html: str = fig.to_html(
            full_html=False, include_plotlyjs=False, div_id=f"evgrid-figure-{self.count}"
        )
        return html


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("evgrid", "report/templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
    )


def render_page(
    title: str,
    labels: Labels,
    lang: str,
    sections: list[Section],
    rows: list[tuple[str, str, str, str, bool, str]] | None = None,
    settings: list[tuple[str, str]] | None = None,
    intro: str = "",
) -> str:
    """Render the page template with plotly.js embedded once and the parameter table; ``intro``
    is the opening paragraph (default the planning-index model's)."""
    template = _environment().get_template("report.html.j2")
    return template.render(
        title=title,
        labels=labels,
        intro=intro,
        lang=lang,
        sections=sections,
        rows=rows or [],
        settings=settings or [],
        parameters=parameter_table(lang),
        plotly_js=get_plotlyjs(),
    )


ENVELOPE_ID = "evgrid-envelope"
"""Id of the ``<script type="application/json">`` element that carries a page's JSON."""


def with_envelope(html: str, envelope: Mapping[str, Any]) -> str:
    """A page with its answer's JSON envelope inside, before ``</body>``: the numbers of the
    page as a program reads them (``{"evgrid", "kind", "request", "result"}``)."""
    text = json.dumps(envelope, ensure_ascii=False, allow_nan=False, sort_keys=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    script = f'<script type="application/json" id="{ENVELOPE_ID}">{text}</script>\n'
    head, tag, tail = html.rpartition("</body>")
    return f"{head}{script}{tag}{tail}" if tag else html + script


def _office_table(rep: Reproduction, labels: Labels) -> Table:
    header = [
        labels["case"],
        labels["year"],
        labels["charging_spaces"],
        labels["peak_charging_kw"],
        labels["total_loading"],
    ]
    rows = [
        [
            r.site_name,
            str(r.details["year"]),
            str(r.details["charging_spaces"]),
            f"{r.details['peak_charging_kw']:.1f}",
            percent(r.details["total_loading_pu"], 1),
        ]
        for years in rep.office.values()
        for r in years
    ]
    return Table(labels["office"], header, rows)


def timeseries_sections(
    ts: TimeseriesReproduction, index: Reproduction, lang: str, div: FigureDivs
) -> list[Section]:
    """Sections of the time-series tier: hosting bands beside the index tier, figures 6–7."""
    labels = labels_for(lang)
    hosting, impact = timeseries_tables(ts, index, lang)
    return [
        Section(
            heading=labels["timeseries"],
            table=hosting,
            figures=[div(hosting_figure([r], lang)) for r in ts.hosting.values()],
        ),
        Section(
            heading=labels["impact"],
            table=impact,
            figures=[div(orderly_impact_figure(imp, lang)) for imp in ts.impact.values()],
        ),
    ]


def reproduce_html(
    rep: Reproduction,
    lang: str = "en",
    timeseries: TimeseriesReproduction | None = None,
    findings: Sequence[dict[str, Any]] | None = None,
) -> str:
    """The ``evgrid reproduce`` report: comparison table, figures 3–5, office results, the
    report's findings through the years under each scenario and the time-series tier when
    given."""
    labels = labels_for(lang)
    div = FigureDivs()
    res_section = Section(
        heading=labels["residential"],
        figures=[
            div(hosting_figure(list(modes.values()), lang)) for modes in rep.residential.values()
        ],
    )
    office_section = Section(
        heading=labels["office"],
        figures=[div(office_figure(rep.office, lang))],
        table=_office_table(rep, labels),
    )
    sections = [res_section, office_section]
    if findings is not None:
        table = findings_table(findings, lang)
        sections.append(Section(heading=table.title, table=table))
    if timeseries is not None:
        sections += timeseries_sections(timeseries, rep, lang, div)
    return render_page(
        labels["reproduce_title"], labels, lang, sections, rows=comparison_rows(rep, lang)
    )


def network_sections(results: Sequence[HostingResult], lang: str, div: FigureDivs) -> list[Section]:
    """The sections of a site's network: the network's answer beside the transformer's, then
    the one-line diagram at the transformer's answer with its extremes."""
    from evgrid.report.network import (
        hosting_network_table,
        network_intro,
        network_section,
        study_table,
        study_title,
    )

    table = hosting_network_table(results, lang)
    study = results[0].network.study if results[0].network is not None else None
    out = [Section(heading=table.title, table=table, text=network_intro(results, lang))]
    if study is not None:
        extremes = study_table(study.to_dict(), study_title(results, lang), lang)
        out.append(network_section(study, extremes, div, heading=extremes.title))
    return out


def hosting_html(
    results: Sequence[HostingResult], lang: str = "en", modes: ModesResult | None = None
) -> str:
    """The ``evgrid hosting --out`` report of one site: table, chart, daily curves at the limit.

    Parameters
    ----------
    results
        Results of one site (either tier; e.g. uncontrolled and orderly).
    lang
        ``"en"`` or ``"zh"``.
    modes
        The community's charging modes and hub (:func:`evgrid.planning.modes.plan_modes`), or
        None.
    """
    from evgrid.report.figures import tornado_figure
    from evgrid.report.tables import recommendation_table

    labels = labels_for(lang)
    div = FigureDivs()
    first = results[0]
    answer = recommendation_table(results, lang)
    sections = [Section(heading=answer.title, table=answer)]
    for r in results:
        if r.sensitivity:
            sections.append(
                Section(
                    heading=labels["tornado_title"],
                    figures=[div(tornado_figure(r.sensitivity, lang))],
                )
            )
    figures = [div(hosting_figure(results, lang))]
    for r in results:
        if r.at_limit_p95 is not None:
            figures.append(div(daily_curves_figure(r.at_limit_p95, lang=lang)))
    section = Section(heading=first.site_name, figures=figures, table=hosting_table(results, lang))
    sections.append(section)
    behaviours = behaviour_table(first, lang)
    if behaviours is not None:
        sections.append(Section(heading=behaviours.title, table=behaviours))
    if modes is not None:
        table = modes_table(modes, lang)
        figure = div(modes_figure(modes, lang))
        sections.append(Section(heading=table.title, figures=[figure], table=table))
    if first.network is not None:  # the site's low-voltage network and its one-line diagram
        sections.extend(network_sections(results, lang, div))
    timeseries = first.method == "timeseries"
    title = labels["timeseries_title" if timeseries else "hosting_title"]
    shown = first.to_dict()
    settings = [
        (word(key, lang), word(str(shown[key]), lang))
        for key in ("method", "criterion", "limit", "days", "participation")
        if shown.get(key) is not None
    ]
    if "behaviour" in first.details:
        settings.append((word("behaviour preset", lang), str(first.details["behaviour"])))
    settings.append((word("regular load basis", lang), word(first.regular.basis, lang)))
    intro = labels["timeseries_intro"] if timeseries else ""
    return render_page(title, labels, lang, sections, settings=settings, intro=intro)
