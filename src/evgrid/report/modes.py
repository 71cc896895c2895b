"""The charging modes of a community in pictures: its typical day by mode, its public hub."""

from __future__ import annotations

from typing import TYPE_CHECKING

import plotly.graph_objects as go

from evgrid.report.figures import COLOURS, LAYOUT
from evgrid.report.labels import labels_for, percent, word
from evgrid.report.tables import Table

if TYPE_CHECKING:
    from evgrid.planning.modes import ModesResult

MODE_COLOURS = {"base": COLOURS["base"], "fixed": "#1f77b4", "shared": "#2ca02c", "hub": "#ff7f0e"}


def modes_figure(plan: ModesResult, lang: str = "en") -> go.Figure:
    """The typical day of the community's transformer, stacked by charging mode (the hub's load
    only when it is connected there), with the limit.

    Parameters
    ----------
    plan
        :func:`evgrid.planning.modes.plan_modes`'s result.
    lang
        ``"en"`` or ``"zh"``.
    """
    t = labels_for(lang)
    fig = go.Figure()
    parts = [("base", t["base"], plan.base_kw), ("fixed", word("fixed", lang), plan.fixed_kw)]
    parts.append(("shared", word("shared", lang), plan.shared_kw))
    if plan.connection == "community":
        parts.append(("hub", word("public hub", lang), plan.hub_kw))
    for key, name, y in parts:
        fig.add_trace(
            go.Scatter(
                x=plan.hour_h,
                y=y,
                name=name,
                stackgroup="load",
                line={"color": MODE_COLOURS[key], "width": 0.5},
            )
        )
    limit_kw = plan.limit_pu * plan.community_peak_kw / max(plan.community_loading_pu, 1e-12)
    fig.add_hline(
        y=limit_kw, line={"color": COLOURS["limit"], "dash": "dash"}, annotation_text=t["limit"]
    )
    fig.update_xaxes(title_text=t["hour"])
    fig.update_yaxes(title_text=t["power"])
    share = percent(plan.ev_share)
    fig.update_layout(
        title=f"{plan.site_name}, {share} EV: {word('charging modes', lang)}", **LAYOUT
    )
    return fig


def modes_table(plan: ModesResult, lang: str = "en") -> Table:
    """Cars by mode, the shared piles and the hub, and the community's transformer."""
    doc = plan.to_dict()
    rows = [[word(m, lang), percent(v), str(doc["cars"][m])] for m, v in doc["modes"].items()]
    hub = doc["hub"]
    if hub is not None:
        rows.append([word("public hub", lang), f"{hub['dc_chargers']} DC + {hub['ac_chargers']} AC",
                     f"{hub['peak_kw']:.0f} kW, {hub['mean_wait_min']:.1f} min"])  # fmt: skip
    community = doc["community"]
    rows.append([word("community transformer with every mode", lang),
                 percent(community["loading_pu"], 1), percent(community["limit_pu"])])  # fmt: skip
    title = f"{plan.site_name}: {word('charging modes', lang)} ({doc['mix']})"
    return Table(title, ["", "", ""], rows)
