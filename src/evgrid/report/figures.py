"""Plotly figures of the planning-index results (the report's figures 3–5 and the office results).

Figures only: no files. :mod:`evgrid.report.html` puts them in a page.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from evgrid.planning.index import ResidentialResult
from evgrid.planning.office import OfficeResult
from evgrid.report.labels import Labels

PERCENT = 100.0
COLOURS = {"uncontrolled": "#d62728", "orderly": "#1f77b4", "limit": "#555555"}
LAYOUT = {"template": "plotly_white", "height": 420, "margin": {"l": 60, "r": 20, "t": 60, "b": 50}}


def _limit_and_layout(fig: go.Figure, name: str, limit_pu: float, labels: Labels) -> None:
    """The dashed loading-limit line, title and axes of a loading-vs-pile-ratio chart."""
    fig.add_hline(
        y=limit_pu * PERCENT,
        line={"color": COLOURS["limit"], "dash": "dash"},
        annotation_text=f"{labels['limit']} {limit_pu * PERCENT:.0f} %",
    )
    fig.update_layout(
        title=f"{name}: {labels['loading_vs_ratio']}",
        xaxis_title=labels["pile_ratio_axis"],
        yaxis_title=labels["loading_axis"],
        **LAYOUT,
    )


def residential_figure(result: ResidentialResult, labels: Labels) -> go.Figure:
    """Transformer loading vs pile ratio, uncontrolled and orderly, with the limit line.

    Parameters
    ----------
    result
        One community's results.
    labels
        Language of the text.
    """
    x = result.pile_ratio * PERCENT
    fig = go.Figure()
    for mode in (result.uncontrolled, result.orderly):
        name = labels[mode.mode]
        fig.add_trace(
            go.Scatter(
                x=x,
                y=mode.loading_pu * PERCENT,
                mode="lines",
                name=name,
                line={"color": COLOURS[mode.mode], "width": 2.5},
                hovertemplate="%{x:.0f} % → %{y:.1f} %<extra>" + name + "</extra>",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=[mode.max_pile_ratio * PERCENT],
                y=[
                    float(np.interp(mode.max_pile_ratio, result.pile_ratio, mode.loading_pu))
                    * PERCENT
                ],
                mode="markers",
                marker={"color": COLOURS[mode.mode], "size": 10, "symbol": "diamond"},
                name=f"{name}: {labels['max']} {mode.max_pile_ratio * PERCENT:.1f} %",
            )
        )
    _limit_and_layout(fig, result.name, result.limit_pu, labels)
    fig.update_xaxes(range=[0, 100])
    return fig


def office_figure(results: dict[str, OfficeResult], labels: Labels) -> go.Figure:
    """Stacked bars: saturated regular load and peak charging load as loading, per park and year.

    Parameters
    ----------
    results
        Office results keyed by case.
    labels
        Language of the text.
    """
    names: list[str] = []
    regular: list[float] = []
    charging: list[float] = []
    for r in results.values():
        capacity_kw = r.power_factor * r.transformer_kva
        for y in r.years:
            names.append(f"{r.name} {y.year}")
            regular.append(y.regular_kw / capacity_kw * PERCENT)
            charging.append(y.peak_charging_kw / capacity_kw * PERCENT)
    fig = go.Figure()
    fig.add_trace(go.Bar(x=names, y=regular, name=labels["regular_saturated"]))
    fig.add_trace(go.Bar(x=names, y=charging, name=labels["charging_peak"]))
    limit = next(iter(results.values())).limit_pu if results else 0.8
    fig.add_hline(
        y=limit * PERCENT,
        line={"color": COLOURS["limit"], "dash": "dash"},
        annotation_text=f"{labels['limit']} {limit * PERCENT:.0f} %",
    )
    fig.update_layout(
        barmode="stack",
        title=labels["office_title"],
        yaxis_title=labels["loading_axis"],
        **LAYOUT,
    )
    return fig


def office_curve_figure(result: OfficeResult, labels: Labels) -> go.Figure:
    """Office loading vs pile ratio for each planning year's per-space load, with the limit."""
    fig = go.Figure()
    for y in result.years:
        fig.add_trace(
            go.Scatter(
                x=result.pile_ratio * PERCENT,
                y=y.loading_pu * PERCENT,
                mode="lines",
                name=f"{y.year} ({y.kw_per_charging_space:.2f} kW)",
            )
        )
    _limit_and_layout(fig, result.name, result.limit_pu, labels)
    return fig
