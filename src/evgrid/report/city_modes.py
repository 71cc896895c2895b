"""A city's charging modes, public hubs and what V2G adds, on its summary page (``evgrid city
--modes``, ``--strategies ...,v2g``).

Everything here renders the summary (:func:`evgrid.city.summary.city_summary`): ``modes``
(:func:`evgrid.city.modes.modes_summary`) and ``v2g_adds``.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from evgrid.report.figures import LAYOUT
from evgrid.report.labels import Labels, labels_for, money, percent, word
from evgrid.report.modes import MODE_COLOURS
from evgrid.report.tables import Table

LABELS: dict[str, Labels] = {
    "en": {
        "modes_title": "Charging modes and public hubs ({connection})",
        "communities": "communities",
        "evs": "electric cars",
        "hubs": "hubs",
        "dc_chargers": "DC chargers",
        "ac_chargers": "AC chargers",
        "hub_peak": "hubs' P95 peaks [MW]",
        "shared_piles": "shared piles",
        "over_limit": "over the limit with every mode",
        "shares_title": "The city's electric cars by charging mode ({strategy})",
        "share_axis": "share of electric cars [%]",
        "v2g_title": "What V2G (lossless bound) adds beyond orderly charging",
        "avoided": "upgrades avoided",
        "deferral": "mean deferral [years]",
        "pv_saved": "present value saved",
    },
    "zh": {
        "modes_title": "充电模式与公共充电站（{connection}）",
        "communities": "小区数",
        "evs": "电动汽车",
        "hubs": "公共充电站",
        "dc_chargers": "直流充电机",
        "ac_chargers": "交流充电桩",
        "hub_peak": "充电站 P95 峰值之和 [MW]",
        "shared_piles": "共享桩",
        "over_limit": "计入各模式后配变超限的小区",
        "shares_title": "全市电动汽车按充电模式构成（{strategy}）",
        "share_axis": "电动汽车占比 [%]",
        "v2g_title": "车网互动（无损上界）在有序充电之外的作用",
        "avoided": "进一步避免的改造",
        "deferral": "平均推迟 [年]",
        "pv_saved": "节省现值",
    },
}
MODES = ("fixed", "shared", "public", "unserved")


def _labels(lang: str) -> Labels:
    return {**labels_for(lang), **LABELS[lang]}


def city_modes_table(summary: dict[str, Any], lang: str = "en") -> Table | None:
    """Per strategy and year: communities, electric cars, hubs with their chargers and peaks,
    shared piles and the communities over the limit with every mode (None without modes)."""
    modes = summary.get("modes")
    if not modes:
        return None
    t = _labels(lang)
    header = [
        t["strategy"],
        t["year"],
        t["communities"],
        t["evs"],
        *(word(m, lang) for m in MODES),
        t["hubs"],
        t["dc_chargers"],
        t["ac_chargers"],
        t["hub_peak"],
        t["shared_piles"],
        t["over_limit"],
    ]
    rows = []
    for st, by_year in modes.items():
        for year, y in by_year.items():
            rows.append(
                [
                    word(st, lang),
                    year,
                    str(y["communities"]),
                    str(y["evs"]),
                    *(percent(y["shares"][m]) for m in MODES),
                    str(y["hubs"]),
                    str(y["dc_chargers"]),
                    str(y["ac_chargers"]),
                    f"{y['hub_peak_kw'] / 1000:.2f}",
                    str(y["shared_piles"]),
                    str(y["over_limit"]),
                ]
            )
    where = word(str(summary.get("hub_connection", "")), lang)
    return Table(t["modes_title"].format(connection=where), header, rows)


def city_modes_figure(summary: dict[str, Any], lang: str = "en") -> go.Figure | None:
    """Stacked bars: the city's electric cars by mode per year, under the first strategy."""
    modes = summary.get("modes")
    if not modes:
        return None
    t = _labels(lang)
    strategy = next(iter(modes))
    by_year = modes[strategy]
    years = list(by_year)
    colours = {**MODE_COLOURS, "public": MODE_COLOURS["hub"], "unserved": "#7f7f7f"}
    fig = go.Figure()
    for m in MODES:
        fig.add_bar(
            name=word(m, lang),
            x=years,
            y=[100.0 * by_year[y]["shares"][m] for y in years],
            marker_color=colours[m],
        )
    fig.update_layout(
        barmode="stack",
        title=t["shares_title"].format(strategy=word(strategy, lang)),
        xaxis_title=t["year"],
        yaxis_title=t["share_axis"],
        **LAYOUT,
    )
    return fig


def v2g_table(summary: dict[str, Any], lang: str = "en") -> Table | None:
    """What V2G adds beyond orderly charging (None without both)."""
    adds = summary.get("v2g_adds")
    if adds is None:
        return None
    t = _labels(lang)
    deferral = adds["mean_deferral_years"]
    row = [
        str(adds["upgrades_avoided"]),
        "—" if deferral is None else f"{deferral:.1f}",
        money(adds["pv_saved_yuan"], lang),
    ]
    return Table(t["v2g_title"], [t["avoided"], t["deferral"], t["pv_saved"]], [row])
