"""The incentives page: the sweep curve, the daily load before and after, the money flows.

Figures (plotly), plain tables (:class:`~evgrid.report.tables.Table`, shared by the terminal and
the page) and :func:`incentives_html`, in English or Chinese.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from evgrid.incentives.economics import LeverResult
from evgrid.incentives.sweep import SweepResult
from evgrid.params import parameter
from evgrid.report.figures import COLOURS, LAYOUT, add_line
from evgrid.report.html import FigureDivs, Section, render_page
from evgrid.report.labels import Labels, labels_for, percent
from evgrid.report.tables import Table

LABELS: dict[str, Labels] = {
    "en": {
        "incentives_title": "Incentives and what they buy",
        "intro": (
            "A time-of-use charging tariff moves a share of owners to the night valley (the "
            "response curve); a load aggregator's demand-response events cut contracted piles; "
            "carbon credits reward valley charging. Everything is compared with the same cars "
            "charging uncontrolled at the price without time of use (report sections 5.2 and 6)."
        ),
        "lever": "The lever",
        "sweep": "Sweep over peak-valley spreads",
        "daily": "Typical day before and after",
        "money": "Money flows over a year",
        "flows": "Who pays whom",
        "v2g": "V2G: the day and what it earns",
        "dr": "Demand-response events",
        "quantity": "quantity",
        "before": "before",
        "after": "after",
        "with_dr": "after, with events",
        "change": "change",
        "spread": "peak-valley spread [yuan/kWh]",
        "share": "owners who respond",
        "responders": "responding cars",
        "charging_peak": "charging peak [kW]",
        "total_peak": "total peak [kW]",
        "total_peak_p95": "total peak, P95 day [kW]",
        "owners_cost": "owners' charging cost [yuan/year]",
        "owners_saving": "owners' saving [yuan/year]",
        "carbon_t": "carbon credited [t CO2/year]",
        "carbon_value": "carbon credits' value [yuan/year]",
        "dr_revenue": "aggregator revenue [yuan/year]",
        "dr_owners": "paid to owners [yuan/year]",
        "dr_margin": "aggregator margin [yuan/year]",
        "hosting_index": "largest pile ratio, index tier",
        "hosting_ts": "largest pile ratio, time series P50 / P95",
        "peak_reduction": "total peak reduction [kW]",
        "average_cost": "average cost [yuan/year per kW]",
        "marginal_cost": "marginal cost [yuan/year per kW]",
        "kw_per_10k": "peak reduction per 10 000 yuan/year [kW]",
        "index_ratio": "largest pile ratio, index tier",
        "best_marginal": "best marginal cost",
        "report_spread": "report: 0.3 yuan/kWh",
        "hour": "hour of day [h]",
        "power": "load [kW]",
        "base": "regular load",
        "total_before": "total, uncontrolled",
        "total_after": "total, with the tariff",
        "total_dr": "total, with the tariff and events",
        "charging_before": "charging, uncontrolled",
        "charging_after": "charging, with the tariff",
        "yuan": "yuan/year",
        "event": "event",
        "requested": "requested [kW]",
        "delivered": "delivered, mean / least [kW]",
        "contracted": "contracted kW dispatched",
        "piles": "piles dispatched",
        "shifted": "energy shifted [kWh/event]",
        "revenue": "revenue / owners / margin [yuan/event]",
        "answer": "best spread (average cost) {avg} yuan/kWh; best marginal cost {best}{why}",
        "by_construction": " (the dead zone's edge: lowest by construction of the response curve)",
        "not_computed": "not computed",
        "evening_city": "city evening peak [kW]",
        "upgrades": "upgrades by the last year",
        "upgrades_avoided": "upgrades avoided",
        "deferral": "mean deferral [year]",
        "pv_saved": "upgrade cost deferred, present value [yuan]",
        "upgrade_year": "upgrade year",
        "upgrade_pv": "upgrade cost, present value [yuan]",
    },
    "zh": {
        "incentives_title": "有序充电引导措施及其效果",
        "intro": (
            "分时补能电价按峰谷价差引导部分车主转到夜间低谷充电（响应曲线）；负荷聚合商在需求响应"
            "事件中调度签约充电桩；碳普惠按充电时段加权奖励低谷充电。均与同一批车辆按无分时价格无序"
            "充电相比较（报告 5.2 与 6 节）。"
        ),
        "lever": "引导措施",
        "sweep": "峰谷价差扫描",
        "daily": "典型日负荷对比",
        "money": "年度资金流",
        "flows": "资金往来：谁向谁支付",
        "v2g": "车网互动（V2G）：典型日与收益",
        "dr": "需求响应事件",
        "quantity": "指标",
        "before": "措施前",
        "after": "措施后",
        "with_dr": "措施后（含需求响应）",
        "change": "变化",
        "spread": "峰谷价差 [元/kWh]",
        "share": "响应车主比例",
        "responders": "响应车辆",
        "charging_peak": "充电负荷峰值 [kW]",
        "total_peak": "总负荷峰值 [kW]",
        "total_peak_p95": "总负荷峰值（P95 日）[kW]",
        "owners_cost": "车主充电费用 [元/年]",
        "owners_saving": "车主节省 [元/年]",
        "carbon_t": "碳减排量（加权）[t CO2/年]",
        "carbon_value": "碳积分价值 [元/年]",
        "dr_revenue": "聚合商收入 [元/年]",
        "dr_owners": "支付车主 [元/年]",
        "dr_margin": "聚合商收益 [元/年]",
        "hosting_index": "最大配桩率（规划指标模型）",
        "hosting_ts": "最大配桩率（时序模型 P50 / P95）",
        "peak_reduction": "总负荷峰值降低 [kW]",
        "average_cost": "平均成本 [元/年/kW]",
        "marginal_cost": "边际成本 [元/年/kW]",
        "kw_per_10k": "每万元/年的峰值降低 [kW]",
        "index_ratio": "最大配桩率（规划指标模型）",
        "best_marginal": "边际成本最优",
        "report_spread": "报告：0.3 元/kWh",
        "hour": "时刻 [h]",
        "power": "负荷 [kW]",
        "base": "常规负荷",
        "total_before": "总负荷（无序）",
        "total_after": "总负荷（分时电价）",
        "total_dr": "总负荷（分时电价 + 需求响应）",
        "charging_before": "充电负荷（无序）",
        "charging_after": "充电负荷（分时电价）",
        "yuan": "元/年",
        "event": "事件",
        "requested": "要求削减 [kW]",
        "delivered": "实际削减 平均 / 最小 [kW]",
        "contracted": "调度签约功率 [kW]",
        "piles": "调度充电桩",
        "shifted": "转移电量 [kWh/次]",
        "revenue": "收入 / 车主 / 聚合商 [元/次]",
        "answer": "平均成本最优价差 {avg} 元/kWh；边际成本最优 {best}{why}",
        "by_construction": "（死区边缘：由响应曲线的构造决定）",
        "not_computed": "未计算",
        "evening_city": "城市晚高峰负荷 [kW]",
        "upgrades": "至末年需增容台区",
        "upgrades_avoided": "避免增容",
        "deferral": "平均推迟 [年]",
        "pv_saved": "推迟的增容投资现值 [元]",
        "upgrade_year": "增容年份",
        "upgrade_pv": "增容投资现值 [元]",
    },
}

TEN_THOUSAND = 1e4
"""Yuan in the unit of the sweep's efficiency column [yuan]."""


def labels(lang: str) -> Labels:
    """The page's labels: the report's labels with this page's own."""
    return {**labels_for(lang), **LABELS[lang]}


def _n(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def _spread_text(value: float | None) -> str:
    return "–" if value is None else f"{value:g}"


def lever_table(r: LeverResult, lang: str = "en") -> Table:
    """The lever's figures: before, after and the change (and with the events, if any)."""
    t = labels(lang)
    dr = r.peaks_dr is not None
    header = [t["quantity"], t["before"], t["after"], t["change"]]
    if dr:
        header += [t["with_dr"], t["change"]]
    rows: list[list[str]] = []

    def row(name: str, before: float, after: float, with_dr: float | None = None) -> None:
        cells = [name, _n(before), _n(after), _n(after - before)]
        if dr:
            cells += ["–", ""] if with_dr is None else [_n(with_dr), _n(with_dr - before)]
        rows.append(cells)

    p0, p1, p2 = r.peaks_before, r.peaks_after, r.peaks_dr or {}
    for key, label in (
        ("charging_peak_kw", "charging_peak"),
        ("total_peak_kw", "total_peak"),
        ("total_peak_p95_kw", "total_peak_p95"),
    ):
        row(t[label], p0[key], p1[key], p2.get(key))
    m = r.money_year
    row(t["owners_cost"], m.cost_before_yuan, m.cost_after_yuan)
    c0, c1 = r.carbon_before_year, r.carbon_after_year
    row(t["carbon_t"], c0.credited_kg / 1000, c1.credited_kg / 1000)
    row(t["carbon_value"], c0.value_yuan, c1.value_yuan)
    for tier, key in (("index", "hosting_index"), ("timeseries", "hosting_ts")):
        if tier in r.hosting:
            b, a = r.hosting[tier]["before"], r.hosting[tier]["after"]
            text = [
                percent(x["max_pile_ratio_p50"], 1)
                if tier == "index"
                else f"{percent(x['max_pile_ratio_p50'])} / {percent(x['max_pile_ratio_p95'])}"
                for x in (b, a)
            ]
            rows.append([t[key], text[0], text[1], "", *(["", ""] if dr else [])])
    up = r.upgrade
    if up is not None:
        years = [str(up[k]["upgrade_year"] or f"> {up['years'][-1]}") for k in ("before", "after")]
        rows.append(
            [
                f"{t['upgrade_year']} ({up['scenario']})",
                *years,
                _n(up["deferral_years"]),
                *(["", ""] if dr else []),
            ]
        )
        if up["pv_saving_yuan"] is not None:
            pv0, pv1 = up["before"]["pv_yuan"], up["after"]["pv_yuan"]
            rows.append(
                [
                    t["upgrade_pv"],
                    _n(pv0, 0),
                    _n(pv1, 0),
                    _n(pv1 - pv0, 0),
                    *(["", ""] if dr else []),
                ]
            )
    title = (
        f"{r.site_name}: {r.tariff.name}, {t['spread']} {r.spread_yuan_per_kwh:.2f}; "
        f"{t['share']} {percent(r.share)} ({r.seasons[r.binding].responders} / {r.n_cars}), "
        f"{r.strategy}"
    )
    return Table(title, header, rows)


def _clock(hours: float) -> str:
    minutes = round(hours * 60) % 1440
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def dr_table(r: LeverResult, lang: str = "en") -> Table | None:
    """One row per demand-response event (means over the evaluated days)."""
    if r.dr is None:
        return None
    t = labels(lang)
    header = [
        t["event"],
        t["requested"],
        t["delivered"],
        t["contracted"],
        t["piles"],
        t["shifted"],
        t["revenue"],
    ]
    rows = []
    for e in r.dr.events:
        ev = e.event
        rows.append(
            [
                f"{_clock(ev.start_h)}-{_clock(ev.end_h)}",
                _n(e.requested_kw),
                f"{_n(float(e.delivered_kw.mean()))} / {_n(float(e.delivered_min_kw.min()))}",
                _n(e.contracted_kw),
                _n(e.piles),
                _n(e.shifted_kwh),
                f"{_n(e.revenue_yuan, 2)} / {_n(e.owners_yuan, 2)} / {_n(e.margin_yuan, 2)}",
            ]
        )
    year = r.dr.per_year
    title = (
        f"{r.dr.plan.name}: {r.dr.contracted_piles} piles; {t['dr_revenue']} "
        f"{_n(year['revenue_yuan'])}, {t['dr_owners']} {_n(year['owners_yuan'])}, "
        f"{t['dr_margin']} {_n(year['margin_yuan'])}"
    )
    return Table(title, header, rows)


def sweep_table(s: SweepResult, lang: str = "en") -> Table:
    """One row per spread of a sweep."""
    t = labels(lang)
    header = [
        t["spread"],
        t["share"],
        t["total_peak"],
        t["peak_reduction"],
        t["owners_saving"],
        t["average_cost"],
        t["marginal_cost"],
        t["index_ratio"],
    ]
    rows = []
    mc, ac = s.marginal_cost_yuan_per_kw, s.average_cost_yuan_per_kw
    for k, spread in enumerate(s.spreads.tolist()):
        rows.append(
            [
                f"{spread:.2f}",
                percent(float(s.shares[k])),
                _n(float(s.total_peak_kw[k])),
                _n(float(s.peak_reduction_kw[k])),
                _n(float(s.saving_yuan[k]), 0),
                _n(None if ac[k] != ac[k] else float(ac[k]), 0),
                _n(None if mc[k] != mc[k] else float(mc[k]), 0),
                percent(float(s.index_max_pile_ratio[k]), 1)
                if s.index_max_pile_ratio[k] == s.index_max_pile_ratio[k]
                else "–",
            ]
        )
    title = f"{s.site_name}: " + answer(s, lang)
    return Table(title, header, rows)


def answer(s: SweepResult, lang: str = "en") -> str:
    """The sweep's answer in one line."""
    t = labels(lang)
    return t["answer"].format(
        best=_spread_text(s.best_marginal_spread),
        avg=_spread_text(s.best_average_spread),
        why=t["by_construction"] if s.marginal_by_construction else "",
    )


def sweep_figure(s: SweepResult, lang: str = "en") -> go.Figure:
    """Peak reduction and owners' saving against the spread; average and marginal cost."""
    t = labels(lang)
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=(t["peak_reduction"], t["marginal_cost"]),
        specs=[[{"secondary_y": True}, {}]],
    )
    x = s.spreads
    add_line(
        fig, x, s.peak_reduction_kw, t["peak_reduction"], col=1, color=COLOURS["orderly"], width=2.5
    )
    add_line(
        fig,
        x,
        s.saving_yuan,
        t["owners_saving"],
        col=1,
        secondary_y=True,
        color=COLOURS["uncontrolled"],
        dash="dot",
    )
    add_line(
        fig,
        x,
        s.marginal_cost_yuan_per_kw,
        t["marginal_cost"],
        col=2,
        markers=True,
        color=COLOURS["tou"],
    )
    add_line(
        fig,
        x,
        s.average_cost_yuan_per_kw,
        t["average_cost"],
        col=2,
        color=COLOURS["valley-filling"],
        dash="dash",
    )
    report = parameter("report_tariff_spread_yuan_per_kwh").value
    for col in (1, 2):
        fig.add_vline(x=report, line={"color": COLOURS["limit"], "dash": "dash"}, row=1, col=col)
    best = s.best_marginal_spread
    if best is not None:
        k = int(abs(x - best).argmin())
        fig.add_trace(
            go.Scatter(
                x=[best],
                y=[s.marginal_cost_yuan_per_kw[k]],
                mode="markers",
                marker={"size": 12, "symbol": "diamond", "color": COLOURS["tou"]},
                name=f"{t['best_marginal']} {best:g}",
            ),
            row=1,
            col=2,
        )
    fig.update_xaxes(title_text=t["spread"])
    fig.update_layout(title=f"{s.site_name}: {t['sweep']} ({t['report_spread']})", **LAYOUT)
    return fig


def daily_figure(r: LeverResult, lang: str = "en") -> go.Figure:
    """Typical-day regular, charging and total load before and after the lever."""
    t = labels(lang)
    h = r.hour_h
    fig = go.Figure()
    lines: list[tuple[str, Any, dict[str, Any]]] = [
        ("base", r.base_kw, {"color": COLOURS["base"], "dash": "dot"}),
        ("total_before", r.base_kw + r.charging_before_kw, {"color": COLOURS["uncontrolled"]}),
        ("total_after", r.base_kw + r.charging_after_kw, {"color": COLOURS["tou"], "width": 2.5}),
        (
            "charging_before",
            r.charging_before_kw,
            {"color": COLOURS["uncontrolled"], "dash": "dash"},
        ),
        ("charging_after", r.charging_after_kw, {"color": COLOURS["tou"], "dash": "dash"}),
    ]
    if r.charging_dr_kw is not None:
        lines.append(
            ("total_dr", r.base_kw + r.charging_dr_kw, {"color": COLOURS["valley-filling"]})
        )
    for key, y, style in lines:
        fig.add_trace(go.Scatter(x=h, y=y, name=t[key], line=style))
    fig.update_layout(
        title=f"{r.site_name}: {t['daily']}",
        xaxis_title=t["hour"],
        yaxis_title=t["power"],
        **LAYOUT,
    )
    return fig


def money_figure(r: LeverResult, lang: str = "en") -> go.Figure:
    """Money over a year: owners' charging cost before and after (left); what the levers move —
    owners' saving, carbon credits, the aggregator's revenue, payments and margin (right)."""
    t = labels(lang)
    m, c0, c1 = r.money_year, r.carbon_before_year, r.carbon_after_year
    fig = make_subplots(
        rows=1,
        cols=2,
        column_widths=[0.25, 0.75],
        horizontal_spacing=0.3,
        subplot_titles=(_bare(t["owners_cost"]), _bare(t["money"])),
    )
    fig.add_trace(
        go.Bar(
            x=[t["before"], t["after"]],
            y=[m.cost_before_yuan, m.cost_after_yuan],
            marker_color=[COLOURS["base"], COLOURS["tou"]],
            showlegend=False,
            text=[_n(m.cost_before_yuan, 0), _n(m.cost_after_yuan, 0)],
            textposition="outside",
        ),
        row=1,
        col=1,
    )
    names = [
        _bare(t["owners_saving"]),
        f"{_bare(t['carbon_value'])} ({t['before']})",
        f"{_bare(t['carbon_value'])} ({t['after']})",
    ]
    values = [m.saving_yuan, c0.value_yuan, c1.value_yuan]
    if r.dr is not None:
        year = r.dr.per_year
        names += [_bare(t["dr_revenue"]), _bare(t["dr_owners"]), _bare(t["dr_margin"])]
        values += [year["revenue_yuan"], year["owners_yuan"], year["margin_yuan"]]
    fig.add_trace(
        go.Bar(
            y=names,
            x=values,
            orientation="h",
            marker_color=COLOURS["valley-filling"],
            text=[_n(v, 0) for v in values],
            textposition="outside",
            showlegend=False,
        ),
        row=1,
        col=2,
    )
    fig.update_layout(title=f"{r.site_name}: {t['money']} [{t['yuan']}]", **LAYOUT)
    fig.update_xaxes(range=[0, 1.2 * max(max(values), 1.0)], row=1, col=2)
    fig.update_yaxes(
        range=[0, 1.15 * max(m.cost_before_yuan, m.cost_after_yuan, 1.0)], row=1, col=1
    )
    return fig


def _bare(label: str) -> str:
    """A label without its unit in brackets."""
    return label.split(" [")[0]


def incentives_html(
    r: LeverResult,
    s: SweepResult | None = None,
    lang: str = "en",
    *,
    v2g: Any = None,
    flows: dict[str, Any] | None = None,
) -> str:
    """The ``evgrid incentives --out`` page: the lever, the sweep, the daily load, the money,
    who pays whom and the V2G day.

    Parameters
    ----------
    r
        The lever at the site.
    s
        A sweep over spreads, or None.
    lang
        ``"en"`` or ``"zh"``.
    v2g
        V2G on the same cars (:class:`~evgrid.incentives.v2g_value.V2GValue`), or None.
    flows
        Who pays whom (:func:`~evgrid.incentives.flows.money_flows`); default the lever's (and
        V2G's).
    """
    from evgrid.incentives.flows import money_flows
    from evgrid.report.flows import flows_figure, flows_table, v2g_day_figure, v2g_table

    t = labels(lang)
    div = FigureDivs()
    if flows is None:
        flows = money_flows(r, None if v2g is None else v2g.money)
    sections = [
        Section(t["lever"], table=lever_table(r, lang)),
        Section(t["daily"], figures=[div(daily_figure(r, lang))]),
        Section(t["money"], figures=[div(money_figure(r, lang))], table=dr_table(r, lang)),
        Section(
            t["flows"],
            figures=[div(flows_figure(flows, r.site_name, lang))],
            table=flows_table(flows, r.site_name, lang),
        ),
    ]
    if v2g is not None:
        sections.append(
            Section(t["v2g"], figures=[div(v2g_day_figure(v2g, lang))], table=v2g_table(v2g, lang))
        )
    if s is not None:
        sections.insert(
            1, Section(t["sweep"], figures=[div(sweep_figure(s, lang))], table=sweep_table(s, lang))
        )
    settings = [
        ("tariff", f"{r.tariff.name} ({r.tariff.source}; {r.tariff.date or '-'})"),
        ("response", ", ".join(f"{k} {v:g}" for k, v in r.response.to_dict().items())),
        ("strategy", r.strategy),
        ("ev_share", f"{r.ev_share:g} ({r.n_cars} cars)"),
        ("days", str(r.days)),
        *(("note", n) for n in r.notes),
        *(("warning", w) for w in (*r.warnings, *(s.warnings if s is not None else ()))),
    ]
    return render_page(t["incentives_title"], t, lang, sections, settings=settings)
