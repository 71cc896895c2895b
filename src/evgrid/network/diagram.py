"""One-line diagram of a low-voltage area, coloured by loading and voltage (plotly).

Cables are drawn between their buses' drawing coordinates (``Network.xy_m``), coloured by their
highest phase loading; buses are markers coloured by their lowest phase voltage; transformers are
squares labelled with their loading. The figure is a plain ``plotly.graph_objects.Figure``, so the
HTML report and the web page embed it as they embed the other figures.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from evgrid.network.model import Network
from evgrid.network.screening import Extremes

LOADING_SCALE = ((0.0, "#2c7bb6"), (0.5, "#abd9e9"), (0.8, "#fdae61"), (1.0, "#d7191c"))
"""Colours of cable loading 0 .. 1.25 pu (red from the limit, 1.0 pu, up)."""

LOADING_MAX_PU = 1.25
"""Top of the cable colour scale [pu]."""


def _colour(value: float, top: float) -> str:
    x = min(max(value / top, 0.0), 1.0)
    stops = [s for s, _ in LOADING_SCALE]
    k = int(np.searchsorted(stops, x, side="right")) - 1
    return LOADING_SCALE[max(k, 0)][1]


def one_line_figure(net: Network, ext: Extremes | None = None, *, title: str = "") -> Any:
    """The one-line diagram of ``net`` (coloured by ``ext`` when given).

    Parameters
    ----------
    net
        The network (drawing coordinates in ``xy_m``).
    ext
        A study's extremes: cable colour = highest phase loading [pu], bus colour = lowest phase
        voltage [pu]; ``None`` draws the network plain.
    title
        Figure title.

    Returns
    -------
    plotly.graph_objects.Figure
    """
    import plotly.graph_objects as go

    xy = np.asarray(net.xy_m)
    fig = go.Figure()
    loading = (
        np.zeros(net.n_cable) if ext is None else np.nan_to_num(ext.cable_loading_pu.max(axis=1))
    )
    for k in range(net.n_cable):
        a, b = int(net.from_bus[k]), int(net.to_bus[k])
        fig.add_trace(
            go.Scatter(
                x=[xy[a, 0], xy[b, 0]],
                y=[xy[a, 1], xy[b, 1]],
                mode="lines",
                line={
                    "color": _colour(float(loading[k]), LOADING_MAX_PU) if ext else "#777",
                    "width": 3,
                    "dash": "solid" if net.closed[k] else "dot",
                },
                hovertext=f"{net.cable_type[k]} {net.length_m[k]:.0f} m, "
                f"loading {loading[k]:.2f} pu",
                hoverinfo="text",
                showlegend=False,
            )
        )
    vmin = np.ones(net.n_bus) if ext is None else ext.vmin_pu.min(axis=1)
    live = np.isfinite(vmin)
    fig.add_trace(
        go.Scatter(
            x=xy[live, 0],
            y=xy[live, 1],
            mode="markers",
            marker={
                "size": 7,
                "color": vmin[live],
                "colorscale": "RdYlBu",
                "cmin": 0.88,
                "cmax": 1.07,
                "colorbar": {"title": "lowest V [pu]"},
                "showscale": ext is not None,
            },
            text=[
                f"{n}: {v:.4f} pu, {int(h)} households"
                for n, v, h in zip(
                    np.asarray(net.bus_names)[live],
                    vmin[live],
                    net.households.sum(axis=1)[live],
                    strict=True,
                )
            ],
            hoverinfo="text",
            name="buses",
        )
    )
    units = [u for u in net.units if u.in_service]
    uload = np.zeros(len(net.units)) if ext is None else np.nan_to_num(ext.unit_loading_pu)
    fig.add_trace(
        go.Scatter(
            x=[xy[u.bus, 0] for u in units],
            y=[xy[u.bus, 1] for u in units],
            mode="markers+text",
            marker={"symbol": "square", "size": 16, "color": "#444"},
            text=[
                f"{u.name} {u.rating_kva:.0f} kVA" + (f" {uload[k]:.0%}" if ext is not None else "")
                for k, u in enumerate(net.units)
                if u.in_service
            ],
            textposition="top center",
            hoverinfo="text",
            name="transformers",
        )
    )
    fig.update_layout(
        title=title or net.name,
        xaxis={"title": "distance from the busbar [m]", "zeroline": False},
        yaxis={"visible": False},
        plot_bgcolor="white",
        showlegend=False,
    )
    return fig
