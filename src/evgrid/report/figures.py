"""Plotly figures: loading against pile ratio (both tiers), office years, daily curves, figures 6–7.

Figures only (``plotly.graph_objects.Figure``), no files; :mod:`evgrid.report.html` puts them in a
page. Text in English or Chinese (:mod:`evgrid.report.labels`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from evgrid.planning.orderly_impact import OrderlyImpact
from evgrid.planning.result import HostingResult
from evgrid.planning.timeseries.curves import DailyCurves
from evgrid.report.labels import PERCENT, labels_for

COLOURS = {
    "uncontrolled": "#d62728",
    "orderly": "#1f77b4",
    "valley-filling": "#2ca02c",
    "tou": "#ff7f0e",
    "lp": "#17becf",
    "edf": "#8c564b",
    "llf": "#e377c2",
    "p50": "#1f77b4",
    "p95": "#d62728",
    "limit": "#555555",
    "base": "#7f7f7f",
}
OTHER_COLOURS = ("#9467bd", "#bcbd22", "#7f7f7f")
LAYOUT = {"template": "plotly_white", "height": 420, "margin": {"l": 60, "r": 20, "t": 60, "b": 50}}


def add_line(
    fig: go.Figure,
    x: Sequence[float] | np.ndarray,
    y: Sequence[float] | np.ndarray,
    name: str,
    *,
    col: int,
    secondary_y: bool = False,
    markers: bool = False,
    **line: object,
) -> None:
    """One named line in panel ``col`` of a one-row figure (``line``: plotly line style)."""
    trace = go.Scatter(x=x, y=y, name=name, mode="lines+markers" if markers else "lines", line=line)
    fig.add_trace(trace, row=1, col=col, secondary_y=secondary_y or None)


def _scale(criterion: str) -> float:
    return PERCENT if criterion == "loading" else 1.0


def _name(result: HostingResult, lang: str) -> str:
    t = labels_for(lang)
    name = t.get(result.strategy, result.strategy)
    if "year" in result.details:
        name = f"{result.details['year']} ({result.details['kw_per_charging_space']:.2f} kW)"
    if result.participation != 1.0:
        name += f" ({t['participation']} {result.participation:g})"
    return name if result.method == "index" else f"{name}, {result.method}"


def hosting_figure(results: Sequence[HostingResult], lang: str = "en") -> go.Figure:
    """The criterion's metric against the pile ratio for several results of one site.

    An index result (P50 = P95) is a line; a time-series result is its P50 line with the band up
    to P95 shaded. A diamond marks each largest pile ratio; the dashed line is the limit.

    Parameters
    ----------
    results
        Results of one site under one criterion (e.g. index uncontrolled and orderly beside a
        time-series band).
    lang
        ``"en"`` or ``"zh"``.
    """
    t = labels_for(lang)
    first = results[0]
    scale = _scale(first.criterion)
    fig = go.Figure()
    for i, r in enumerate(results):
        colour = COLOURS.get(r.strategy, OTHER_COLOURS[i % len(OTHER_COLOURS)])
        if "year" in r.details:
            colour = OTHER_COLOURS[i % len(OTHER_COLOURS)]
        x = r.pile_ratios * PERCENT
        name = _name(r, lang)
        band = not np.allclose(r.metric_p50, r.metric_p95)
        if band:
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=r.metric_p95 * scale,
                    mode="lines",
                    name=f"{name}: {t['p95']}",
                    line={"color": colour, "width": 1.5, "dash": "dot"},
                )
            )
        fig.add_trace(
            go.Scatter(
                x=x,
                y=r.metric_p50 * scale,
                mode="lines",
                name=f"{name}: {t['p50']}" if band else name,
                line={"color": colour, "width": 2.5},
                fill="tonexty" if band else None,
                fillcolor="rgba(120,120,120,0.12)" if band else None,
                hovertemplate="%{x:.0f} % → %{y:.3g}<extra>" + name + "</extra>",
            )
        )
        for key, ratio in (("p50", r.max_pile_ratio_p50), ("p95", r.max_pile_ratio_p95)):
            if key == "p95" and not band:
                continue
            y = float(np.interp(ratio, r.pile_ratios, getattr(r, f"metric_{key}")))
            fig.add_trace(
                go.Scatter(
                    x=[ratio * PERCENT],
                    y=[y * scale],
                    mode="markers",
                    marker={"color": colour, "size": 10, "symbol": "diamond"},
                    name=f"{name}{': ' + t[key] if band else ''}: {t['max']} "
                    f"{ratio * PERCENT:.1f} %",
                )
            )
    fig.add_hline(
        y=first.limit * scale,
        line={"color": COLOURS["limit"], "dash": "dash"},
        annotation_text=f"{t['limit']} {first.limit * scale:g}",
    )
    fig.update_layout(
        title=f"{first.site_name}: {t['band']}",
        xaxis_title=t["pile_ratio_axis"],
        yaxis_title=t[f"metric_{first.criterion}"],
        **LAYOUT,
    )
    fig.update_xaxes(range=[0, 100])
    return fig


def office_figure(office: Mapping[str, Sequence[HostingResult]], lang: str = "en") -> go.Figure:
    """Stacked bars: saturated regular load and peak charging load as loading, per park and year.

    Parameters
    ----------
    office
        Index results of office parks by case, one per planning year.
    lang
        ``"en"`` or ``"zh"``.
    """
    t = labels_for(lang)
    names: list[str] = []
    regular: list[float] = []
    charging: list[float] = []
    limit = 0.8
    for years in office.values():
        for r in years:
            d = r.details
            capacity_kw = d["power_factor"] * d["transformer_kva"]
            names.append(f"{r.site_name} {d['year']}")
            regular.append(d["regular_kw"] / capacity_kw * PERCENT)
            charging.append(d["peak_charging_kw"] / capacity_kw * PERCENT)
            limit = r.limit
    fig = go.Figure()
    fig.add_trace(go.Bar(x=names, y=regular, name=t["regular_saturated"]))
    fig.add_trace(go.Bar(x=names, y=charging, name=t["charging_peak"]))
    fig.add_hline(
        y=limit * PERCENT,
        line={"color": COLOURS["limit"], "dash": "dash"},
        annotation_text=f"{t['limit']} {limit * PERCENT:.0f} %",
    )
    fig.update_layout(
        barmode="stack", title=t["office_title"], yaxis_title=t["loading_axis"], **LAYOUT
    )
    return fig


def daily_curves_figure(curves: DailyCurves, title: str = "", lang: str = "en") -> go.Figure:
    """Regular + charging load over the day at one pile ratio: typical day and the P95 day.

    Parameters
    ----------
    curves
        Daily curves, e.g. ``result.at_limit_p95``.
    title
        Figure title (default: the pile ratio).
    lang
        ``"en"`` or ``"zh"``.
    """
    t = labels_for(lang)
    h = curves.hour_h
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=h,
            y=curves.base_mean_kw,
            name=t["base"],
            line={"color": COLOURS["base"], "dash": "dot"},
        )
    )
    fig.add_trace(
        go.Scatter(
            x=h,
            y=curves.base_mean_kw + curves.charging_mean_kw,
            name=t["mean"].format(n=curves.n_days),
            line={"color": COLOURS["p50"], "width": 2.5},
        )
    )
    fig.add_trace(
        go.Scatter(
            x=h,
            y=curves.base_p95_day_kw + curves.charging_p95_day_kw,
            name=t["bad"],
            line={"color": COLOURS["p95"], "width": 2},
        )
    )
    label = title or f"{t['daily']}: {curves.pile_ratio * PERCENT:.0f} % ({curves.n_piles})"
    fig.update_layout(title=label, xaxis_title=t["hour"], yaxis_title=t["power"], **LAYOUT)
    return fig


def orderly_impact_figure(impact: OrderlyImpact, lang: str = "en") -> go.Figure:
    """The report's figures 6–7: charging load and total load, uncontrolled vs orderly.

    Parameters
    ----------
    impact
        Result of :func:`evgrid.planning.orderly_impact.orderly_impact`.
    lang
        ``"en"`` or ``"zh"``.
    """
    t = labels_for(lang)
    fig = make_subplots(rows=1, cols=2, subplot_titles=(t["charging"], t["total"]))
    for item in [impact.uncontrolled, *impact.orderly.values()]:
        colour = COLOURS.get(item.strategy, OTHER_COLOURS[0])
        for col, y in ((1, item.charging_kw), (2, item.total_kw)):
            fig.add_trace(
                go.Scatter(
                    x=impact.hour_h,
                    y=y,
                    name=t.get(item.strategy, item.strategy),
                    line={"color": colour},
                    legendgroup=item.strategy,
                    showlegend=col == 1,
                ),
                row=1,
                col=col,
            )
    fig.add_trace(
        go.Scatter(
            x=impact.hour_h,
            y=impact.base_kw,
            name=t["base"],
            line={"color": COLOURS["base"], "dash": "dot"},
        ),
        row=1,
        col=2,
    )
    fig.update_xaxes(title_text=t["hour"])
    fig.update_yaxes(title_text=t["power"])
    fig.update_layout(
        title=f"{impact.site_name}, {impact.ev_share * PERCENT:.0f} % EV: {t['impact_short']}",
        **LAYOUT,
    )
    return fig


def tornado_figure(rows: Sequence[Mapping[str, Any]], lang: str = "en") -> go.Figure:
    """Tornado chart of a sensitivity table: each input's answers at its two ends, around the
    answer on the basis, the input that moves it most on top
    (:func:`evgrid.planning.sensitivity.hosting_sensitivity`, ``HostingResult.sensitivity``).

    Parameters
    ----------
    rows
        ``{"input", "low", "high", "base", "low_setting", "high_setting"}`` rows, ranked
        (largest effect first) [-].
    lang
        ``"en"`` or ``"zh"``.
    """
    t = labels_for(lang)
    fig = go.Figure()
    ordered = list(rows)[::-1]  # plotly draws the first category at the bottom
    names = [t.get(f"input_{r['input']}", str(r["input"])) for r in ordered]
    base = float(ordered[0]["base"]) * PERCENT if ordered else 0.0
    for end, colour in (("low", COLOURS["p50"]), ("high", COLOURS["p95"])):
        values = [float(r[end]) * PERCENT - base for r in ordered]
        text = [str(r[f"{end}_setting"]) for r in ordered]
        fig.add_trace(
            go.Bar(
                y=names,
                x=values,
                base=base,
                orientation="h",
                name=t[f"{end}_end"],
                marker_color=colour,
                text=text,
                textposition="outside",
            )
        )
    fig.add_vline(x=base, line_dash="dash", line_color=COLOURS["limit"])
    fig.update_layout(
        **LAYOUT,
        title=t["tornado_title"],
        barmode="overlay",
        xaxis_title=t["tornado_axis"],
        annotations=[
            {
                "x": base,
                "y": 1.02,
                "yref": "paper",
                "text": f"{t['tornado_base']} {base:.0f} %",
                "showarrow": False,
            }
        ],
    )
    return fig
