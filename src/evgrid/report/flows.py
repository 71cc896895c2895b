"""Who pays whom, and the V2G day, on the incentives page (``evgrid incentives --v2g``).

Renders :func:`evgrid.incentives.flows.money_flows` (a table and a Sankey diagram with each
party's net) and :class:`~evgrid.incentives.v2g_value.V2GValue` (its typical day: the cars'
charging and discharging against the regular load, and what V2G earns), in English or Chinese.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from evgrid.report.figures import COLOURS, LAYOUT
from evgrid.report.labels import Labels, labels_for, money, percent
from evgrid.report.tables import Table

if TYPE_CHECKING:
    from evgrid.incentives.v2g_value import V2GValue

LABELS: dict[str, Labels] = {
    "en": {
        "flows_title": "{site}: who pays whom over a year",
        "payer": "payer",
        "payee": "payee",
        "for": "for",
        "amount": "amount",
        "net": "net over a year",
        "party_owners": "owners",
        "party_grid": "grid company",
        "party_aggregator": "aggregator",
        "party_carbon buyer": "carbon buyer",
        "what_charging_bill": "charging bill at the tariff",
        "what_carbon_credits": "carbon credits",
        "what_dr_payment": "demand response",
        "what_dr_owners": "owners' share of demand response",
        "what_v2g_discharge": "V2G discharge at the tariff",
        "what_v2g_extra_charging": "V2G cars' extra charging",
        "what_v2g_owners": "V2G: extra charging, wear and the owners' share",
        "wear": "battery wear (owners' cost)",
        "net_axis": "net [yuan/year]",
        "v2g_title": "{site}: V2G on {cars} of {n} piles (its discharge paid at the tariff)",
        "v2g_day": "{site}: the V2G day",
        "discharged": "energy given to the grid [kWh/year]",
        "revenue": "discharge paid at the tariff [yuan/year]",
        "extra": "extra charging to put it back [yuan/year]",
        "wear_year": "battery wear [yuan/year]",
        "margin": "margin [yuan/year]",
        "to_owners": "paid to the owners [yuan/year]",
        "owners_net": "owners' net [yuan/year]",
        "aggregator_net": "aggregator's net [yuan/year]",
        "peak_orderly": "P95 daily peak, valley filling [kW]",
        "peak_v2g": "P95 daily peak, with V2G [kW]",
        "valley_share": "charging energy in the valley",
        "base": "regular load",
        "total_orderly": "total, valley filling",
        "total_v2g": "total, with V2G",
        "v2g_charging": "V2G cars charging",
        "v2g_discharging": "V2G cars discharging",
        "hour": "hour of day [h]",
        "power": "load [kW]",
    },
    "zh": {
        "flows_title": "{site}：年度资金往来（谁向谁支付）",
        "payer": "付款方",
        "payee": "收款方",
        "for": "事项",
        "amount": "金额",
        "net": "年度净收支",
        "party_owners": "车主",
        "party_grid": "电网企业",
        "party_aggregator": "负荷聚合商",
        "party_carbon buyer": "碳积分购买方",
        "what_charging_bill": "按电价缴纳的充电电费",
        "what_carbon_credits": "碳积分",
        "what_dr_payment": "需求响应补偿",
        "what_dr_owners": "需求响应的车主分成",
        "what_v2g_discharge": "V2G 放电（按电价结算）",
        "what_v2g_extra_charging": "V2G 车辆的额外充电",
        "what_v2g_owners": "V2G：额外充电、电池损耗与车主分成",
        "wear": "电池损耗（车主承担）",
        "net_axis": "净收支 [元/年]",
        "v2g_title": "{site}：{n} 个充电桩中 {cars} 个为 V2G 桩（放电按电价结算）",
        "v2g_day": "{site}：V2G 典型日",
        "discharged": "向电网放电量 [kWh/年]",
        "revenue": "按电价结算的放电收入 [元/年]",
        "extra": "补充放电电量的额外充电费 [元/年]",
        "wear_year": "电池损耗 [元/年]",
        "margin": "净收益 [元/年]",
        "to_owners": "支付车主 [元/年]",
        "owners_net": "车主净收益 [元/年]",
        "aggregator_net": "聚合商净收益 [元/年]",
        "peak_orderly": "P95 日最大负荷（最优填谷）[kW]",
        "peak_v2g": "P95 日最大负荷（V2G）[kW]",
        "valley_share": "低谷时段充电电量占比",
        "base": "常规负荷",
        "total_orderly": "总负荷（最优填谷）",
        "total_v2g": "总负荷（V2G）",
        "v2g_charging": "V2G 车辆充电",
        "v2g_discharging": "V2G 车辆放电",
        "hour": "时刻 [h]",
        "power": "负荷 [kW]",
    },
}
PARTY_COLOURS = {
    "owners": "#1f77b4",
    "grid": "#7f7f7f",
    "aggregator": "#2ca02c",
    "carbon buyer": "#bcbd22",
}


def _yuan(value: float) -> str:
    """A whole number of yuan (never "-0")."""
    return f"{round(value) + 0:,d}"


def _labels(lang: str) -> Labels:
    labels_for(lang)  # refuse a bad language
    return LABELS[lang]


def flows_table(flows: dict[str, Any], site: str, lang: str = "en") -> Table:
    """One row per payment (payer, payee, what for, amount), then each party's net."""
    t = _labels(lang)
    rows = [
        [
            t[f"party_{f['payer']}"],
            t[f"party_{f['payee']}"],
            t[f"what_{f['what']}"],
            money(f["yuan"], lang),
        ]
        for f in flows["flows"]
    ]
    if flows["wear_yuan"]:
        rows.append([t["party_owners"], "—", t["wear"], money(flows["wear_yuan"], lang)])
    rows += [
        [t[f"party_{party}"], "", t["net"], money(value, lang)]
        for party, value in flows["net_yuan"].items()
    ]
    return Table(
        t["flows_title"].format(site=site), [t["payer"], t["payee"], t["for"], t["amount"]], rows
    )


def flows_figure(flows: dict[str, Any], site: str, lang: str = "en") -> go.Figure:
    """A Sankey diagram of the payments between the parties (left) and each party's net over a
    year (right) [yuan/year]."""
    t = _labels(lang)
    parties = list(flows["net_yuan"])
    index = {p: i for i, p in enumerate(parties)}
    fig = make_subplots(
        rows=1,
        cols=2,
        column_widths=[0.62, 0.38],
        specs=[[{"type": "domain"}, {"type": "xy"}]],
        horizontal_spacing=0.12,
    )
    links = flows["flows"]
    fig.add_trace(
        go.Sankey(
            arrangement="snap",
            node={
                "label": [t[f"party_{p}"] for p in parties],
                "color": [PARTY_COLOURS[p] for p in parties],
                "pad": 18,
            },
            link={
                "source": [index[f["payer"]] for f in links],
                "target": [index[f["payee"]] for f in links],
                "value": [f["yuan"] for f in links],
                "label": [t[f"what_{f['what']}"] for f in links],
            },
        ),
        row=1,
        col=1,
    )
    net = flows["net_yuan"]
    fig.add_trace(
        go.Bar(
            y=[t[f"party_{p}"] for p in parties],
            x=[net[p] for p in parties],
            orientation="h",
            marker_color=[PARTY_COLOURS[p] for p in parties],
            text=[money(net[p], lang) for p in parties],
            textposition="auto",
            showlegend=False,
        ),
        row=1,
        col=2,
    )
    fig.update_xaxes(title_text=t["net_axis"], row=1, col=2)
    fig.update_layout(title=t["flows_title"].format(site=site), **LAYOUT)
    return fig


def v2g_table(v: V2GValue, lang: str = "en") -> Table:
    """What V2G earns and who gets it, its peaks and its valley share."""
    t = _labels(lang)
    m = v.money
    rows = [
        [t["peak_orderly"], f"{v.peak_orderly_kw:,.0f}"],
        [t["peak_v2g"], f"{v.peak_v2g_kw:,.0f}"],
        [t["valley_share"], percent(v.valley_share, 1)],
    ]
    if m is not None:
        net = m.net_yuan
        rows += [
            [t["discharged"], _yuan(m.discharged_kwh)],
            [t["revenue"], _yuan(m.revenue_yuan)],
            [t["extra"], _yuan(m.extra_charging_yuan)],
            [t["wear_year"], _yuan(m.wear_yuan)],
            [t["margin"], _yuan(m.margin_yuan)],
            [t["to_owners"], _yuan(m.paid_to_owners_yuan)],
            [t["owners_net"], _yuan(net["owners"])],
            [t["aggregator_net"], _yuan(net["aggregator"])],
        ]
    title = t["v2g_title"].format(site=v.site_name, cars=v.v2g_cars, n=v.n_cars)
    return Table(title, ["", ""], rows)


def v2g_day_figure(v: V2GValue, lang: str = "en") -> go.Figure:
    """The typical day: regular load, the totals with valley filling and with V2G, and the V2G
    cars' charging (up) and discharging (down) [kW]."""
    t = _labels(lang)
    h = v.hour_h
    fig = go.Figure()
    if v.v2g_charging_kw is not None and v.discharge_kw is not None:
        fig.add_trace(
            go.Bar(x=h, y=v.v2g_charging_kw, name=t["v2g_charging"], marker_color="#9ecae1")
        )
        fig.add_trace(
            go.Bar(x=h, y=-v.discharge_kw, name=t["v2g_discharging"], marker_color="#fdae6b")
        )
    lines = (
        ("base", v.base_kw, {"color": COLOURS["base"], "dash": "dot"}),
        ("total_orderly", v.base_kw + v.orderly_kw, {"color": COLOURS["valley-filling"]}),
        ("total_v2g", v.base_kw + v.v2g_kw, {"color": COLOURS["tou"], "width": 2.5}),
    )
    for key, y, style in lines:
        fig.add_trace(go.Scatter(x=h, y=y, name=t[key], line=style))
    fig.update_layout(
        title=t["v2g_day"].format(site=v.site_name),
        xaxis_title=t["hour"],
        yaxis_title=t["power"],
        barmode="relative",
        **LAYOUT,
    )
    return fig
