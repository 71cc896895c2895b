"""Plotly figures of the time-series tier: P50/P95 loading bands, daily curves, figures 6–7.

Figures only (``plotly.graph_objects.Figure``), no files; :func:`figure_div` turns one into an
HTML ``<div>`` for a page. Text in English or Chinese (``lang="en"|"zh"``).
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from evgrid.errors import bad_value
from evgrid.planning.timeseries.curves import DailyCurves, HostingResult
from evgrid.planning.orderly_impact import OrderlyImpact

PERCENT = 100.0
COLOURS = {
    "p50": "#1f77b4",
    "p95": "#d62728",
    "limit": "#555555",
    "base": "#7f7f7f",
    "uncontrolled": "#d62728",
    "valley-filling": "#2ca02c",
    "tou": "#ff7f0e",
}
LAYOUT = {"template": "plotly_white", "height": 420, "margin": {"l": 60, "r": 20, "t": 60, "b": 50}}

TEXT: dict[str, dict[str, Any]] = {
    "en": {
        "band": "transformer loading vs pile ratio (Monte Carlo days)",
        "p50": "P50 (median day)",
        "p95": "P95 (bad day)",
        "limit": "limit",
        "max": "max",
        "ratio": "pile ratio [% of parking spaces]",
        "loading": "daily peak transformer loading [%]",
        "metric": {
            "loading": "daily peak loading [%]",
            "hotspot": "daily peak hot-spot [°C]",
            "ageing": "loss of life [day/day]",
        },
        "daily": "daily load at the limit",
        "hour": "hour of day [h]",
        "power": "load [kW]",
        "base": "regular load",
        "mean": "typical day (mean of {n} days)",
        "bad": "P95 day",
        "charging": "charging load (typical day)",
        "total": "total load (typical day)",
        "impact": "orderly vs uncontrolled charging",
    },
    "zh": {
        "band": "变压器负载率与配桩率（蒙特卡洛日）",
        "p50": "P50（中位日）",
        "p95": "P95（不利日）",
        "limit": "限值",
        "max": "最大",
        "ratio": "配桩率 [% 车位]",
        "loading": "日最大负载率 [%]",
        "metric": {
            "loading": "日最大负载率 [%]",
            "hotspot": "日最高热点温度 [°C]",
            "ageing": "寿命损失 [天/天]",
        },
        "daily": "限值处的日负荷曲线",
        "hour": "时刻 [h]",
        "power": "负荷 [kW]",
        "base": "常规负荷",
        "mean": "典型日（{n} 日平均）",
        "bad": "P95 日",
        "charging": "充电负荷（典型日）",
        "total": "总负荷（典型日）",
        "impact": "有序与无序充电对比",
    },
}


def _text(lang: str) -> dict[str, Any]:
    if lang not in TEXT:
        raise bad_value("lang", lang, "one of " + ", ".join(TEXT))
    return TEXT[lang]


def hosting_band_figure(result: HostingResult, lang: str = "en") -> go.Figure:
    """The criterion metric P50 and P95 against pile ratio, with the limit and the max ratios.

    Parameters
    ----------
    result
        A time-series hosting result.
    lang
        ``"en"`` or ``"zh"``.
    """
    t = _text(lang)
    scale = PERCENT if result.criterion == "loading" else 1.0
    x = result.pile_ratios * PERCENT
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=x,
            y=result.metric_p95 * scale,
            mode="lines",
            name=str(t["p95"]),
            line={"color": COLOURS["p95"], "width": 2},
        )
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=result.metric_p50 * scale,
            mode="lines",
            name=str(t["p50"]),
            line={"color": COLOURS["p50"], "width": 2.5},
            fill="tonexty",
            fillcolor="rgba(214,39,40,0.12)",
        )
    )
    for key, ratio in (("p50", result.max_pile_ratio_p50), ("p95", result.max_pile_ratio_p95)):
        fig.add_trace(
            go.Scatter(
                x=[ratio * PERCENT],
                y=[result.limit * scale],
                mode="markers",
                marker={"color": COLOURS[key], "size": 10, "symbol": "diamond"},
                name=f"{t[key]}: {t['max']} {ratio * PERCENT:.0f} %",
            )
        )
    fig.add_hline(
        y=result.limit * scale,
        line={"color": COLOURS["limit"], "dash": "dash"},
        annotation_text=f"{t['limit']} {result.limit * scale:g}",
    )
    metric_names = t["metric"]
    assert isinstance(metric_names, dict)
    fig.update_layout(
        title=f"{result.site_name} — {result.strategy}: {t['band']}",
        xaxis_title=str(t["ratio"]),
        yaxis_title=str(metric_names[result.criterion]),
        **LAYOUT,
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
    t = _text(lang)
    h = curves.hour_h
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=h,
            y=curves.base_mean_kw,
            name=str(t["base"]),
            line={"color": COLOURS["base"], "dash": "dot"},
        )
    )
    fig.add_trace(
        go.Scatter(
            x=h,
            y=curves.base_mean_kw + curves.charging_mean_kw,
            name=str(t["mean"]).format(n=curves.n_days),
            line={"color": COLOURS["p50"], "width": 2.5},
        )
    )
    fig.add_trace(
        go.Scatter(
            x=h,
            y=curves.base_p95_day_kw + curves.charging_p95_day_kw,
            name=str(t["bad"]),
            line={"color": COLOURS["p95"], "width": 2},
        )
    )
    label = title or f"{t['daily']}: {curves.pile_ratio * PERCENT:.0f} % ({curves.n_piles})"
    fig.update_layout(
        title=label, xaxis_title=str(t["hour"]), yaxis_title=str(t["power"]), **LAYOUT
    )
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
    t = _text(lang)
    fig = make_subplots(rows=1, cols=2, subplot_titles=(str(t["charging"]), str(t["total"])))
    items = [impact.uncontrolled, *impact.orderly.values()]
    for item in items:
        colour = COLOURS.get(item.strategy, "#9467bd")
        fig.add_trace(
            go.Scatter(
                x=impact.hour_h,
                y=item.charging_kw,
                name=item.strategy,
                line={"color": colour},
                legendgroup=item.strategy,
            ),
            row=1,
            col=1,
        )
        fig.add_trace(
            go.Scatter(
                x=impact.hour_h,
                y=item.total_kw,
                name=item.strategy,
                line={"color": colour},
                legendgroup=item.strategy,
                showlegend=False,
            ),
            row=1,
            col=2,
        )
    fig.add_trace(
        go.Scatter(
            x=impact.hour_h,
            y=impact.base_kw,
            name=str(t["base"]),
            line={"color": COLOURS["base"], "dash": "dot"},
        ),
        row=1,
        col=2,
    )
    fig.update_xaxes(title_text=str(t["hour"]))
    fig.update_yaxes(title_text=str(t["power"]))
    fig.update_layout(
        title=f"{impact.site_name}, {impact.ev_share * PERCENT:.0f} % EV: {t['impact']}", **LAYOUT
    )
    return fig


def figure_div(fig: go.Figure, include_plotlyjs: bool | str = False) -> str:
    """An HTML ``<div>`` of a figure for a page (plotly.js loaded once by the page).

    Parameters
    ----------
    fig
        The figure.
    include_plotlyjs
        ``False`` (the page loads plotly.js), ``"cdn"`` or ``True`` (embed it).
    """
    return str(fig.to_html(full_html=False, include_plotlyjs=include_plotlyjs))
