"""A low-voltage network in the reports: its tables and its one-line diagram, in English and
Chinese, for ``evgrid network`` and for ``evgrid hosting`` on a site that names its network."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from evgrid.report.labels import Labels, percent, word

if TYPE_CHECKING:
    from evgrid.planning.result import HostingResult
    from evgrid.report.html import FigureDivs, Section
    from evgrid.report.tables import Table

NETWORK_LABELS: dict[str, Labels] = {
    "en": {
        "quantity": "quantity",
        "value": "value",
        "min_voltage": "lowest voltage",
        "cable_loading": "highest cable loading",
        "unit_loading": "highest transformer loading, a phase",
        "unbalance": "highest voltage unbalance",
        "binds_first": "binds first",
        "band_day": "utilisation on the day read ({band})",
        "days_over": "{over} of {days} days over a limit",
        "hosting": "hosting",
        "of_spaces": "of spaces",
        "piles": "piles",
        "network_title": "Low-voltage network {name}",
        "network_intro": (
            "{name} ({kva} kVA, {households} households, {spaces} parking spaces), "
            "{days} Monte Carlo days: per strategy the largest pile ratio at which every cable, "
            "phase and voltage limit holds at every step of the day read ({band}), beside the "
            "transformer's answer."
        ),
        "at_transformer": "at the transformer's answer, {ratio} of the network's spaces",
        "size_differs": (
            "{name} has {households} households and {spaces} parking spaces, the site "
            "{site_households} and {site_spaces}: the network's answer is a share of its own "
            "spaces, for an area of its kind, not a study of this site's drawing"
        ),
        "strategy": "strategy",
        "transformer": "transformer",
        "network": "network",
        "network_piles": "network piles",
        "network_binds": "binds first in the network",
        "utilisation": "utilisation",
        "recommended": "recommended",
        "which_binds": "which binds",
        "the_network": "the network",
        "the_transformer": "the transformer",
        "neither": "neither (a pile on every space)",
    },
    "zh": {
        "quantity": "指标",
        "value": "数值",
        "min_voltage": "最低电压",
        "cable_loading": "电缆最高负载率",
        "unit_loading": "变压器单相最高负载率",
        "unbalance": "最大电压不平衡度",
        "binds_first": "最先受限",
        "band_day": "评估日（{band}）利用率",
        "days_over": "{days} 天中 {over} 天越限",
        "hosting": "承载力",
        "of_spaces": "车位",
        "piles": "桩数",
        "network_title": "低压台区 {name}",
        "network_intro": (
            "{name}（{kva} kVA，{households} 户，{spaces} 个车位），蒙特卡洛 {days} 天："
            "各充电策略下电缆、相和电压在评估日（{band}）每个时段均不越限的最大配桩率，"
            "与配变的结果并列。"
        ),
        "at_transformer": "按配变结果（台区车位的 {ratio}）配桩时",
        "size_differs": (
            "{name} 有 {households} 户、{spaces} 个车位，本小区 {site_households} 户、"
            "{site_spaces} 个车位：台区的结果是其自身车位的比例，代表同类台区，"
            "并非本小区实际图纸的计算"
        ),
        "strategy": "充电策略",
        "transformer": "配变",
        "network": "台区",
        "network_piles": "台区桩数",
        "network_binds": "台区最先受限元件",
        "utilisation": "利用率",
        "recommended": "推荐",
        "which_binds": "约束方",
        "the_network": "台区",
        "the_transformer": "配变",
        "neither": "均不受限（每个车位配桩）",
    },
}
"""The network's words in each language."""


def _labels(lang: str) -> Labels:
    return NETWORK_LABELS.get(lang, NETWORK_LABELS["en"])


def study_rows(doc: Mapping[str, Any], lang: str = "en") -> list[list[str]]:
    """The extremes of a network study, what binds first and the hosting per strategy
    (:meth:`evgrid.network.study.NetworkResult.to_dict`), as rows of a two-column table."""
    t = _labels(lang)
    rows = [
        [t["min_voltage"], f"{doc['min_voltage_pu']:.4f} pu"],
        [t["cable_loading"], f"{doc['max_cable_loading_pu']:.3f} pu"],
        [t["unit_loading"], f"{doc['max_transformer_loading_pu']:.3f} pu"],
        [t["unbalance"], f"{doc['max_voltage_unbalance_pct']:.2f} %"],
        [t["binds_first"], f"{doc['binding']['element']} ({doc['binding']['kind']})"],
    ]
    band = doc.get("band")
    if band is not None and band["days"]:
        over = t["days_over"].format(over=band["days_over_limit"], days=band["days"])
        rows.append([t["band_day"].format(band=band["band"]), f"{band['utilisation']:.3f}; {over}"])
    for name, ratio in doc["hosting"].items():
        rows.append([f"{t['hosting']}, {word(name, lang)}", f"{percent(ratio)} {t['of_spaces']}"])
    return rows


def study_table(doc: Mapping[str, Any], title: str, lang: str = "en") -> Table:
    """:func:`study_rows` as a table."""
    from evgrid.report.tables import Table

    t = _labels(lang)
    return Table(title, [t["quantity"], t["value"]], study_rows(doc, lang))


def hosting_network_table(results: Sequence[HostingResult], lang: str = "en") -> Table:
    """Per strategy: the transformer's answer, the network's, what binds first in the network
    and which of the two the recommendation follows."""
    from evgrid.report.tables import Table

    t = _labels(lang)
    first = results[0].network
    assert first is not None
    rows = []
    for r in results:
        net = r.network
        assert net is not None
        rows.append(
            [
                word(r.strategy, lang),
                percent(r.transformer_pile_ratio, 1),
                percent(net.pile_ratio, 1),
                f"{net.n_piles} / {net.n_spaces}",
                net.binding,
                f"{net.utilisation:.3f}",
                percent(r.recommended_pile_ratio, 1),
                _which(r, t),
            ]
        )
    header = [
        t["strategy"],
        t["transformer"],
        t["network"],
        t["network_piles"],
        t["network_binds"],
        t["utilisation"],
        t["recommended"],
        t["which_binds"],
    ]
    return Table(t["network_title"].format(name=first.network), header, rows)


def _which(result: HostingResult, t: Labels) -> str:
    """Which answer the recommendation follows: the network's, the transformer's, or neither
    (every space has a pile within both)."""
    if result.recommended_pile_ratio >= 1.0 - 1e-12:
        return t["neither"]
    return t["the_network"] if result.network_binds else t["the_transformer"]


def network_intro(results: Sequence[HostingResult], lang: str = "en") -> str:
    """One sentence: the network, its size, the study's days, what the table holds."""
    limit = results[0].network
    assert limit is not None and limit.study is not None
    net = limit.study.net
    kva = sum(u.rating_kva for u in net.units) if net is not None else float("nan")
    households = int(net.households.sum()) if net is not None else 0
    return _labels(lang)["network_intro"].format(
        name=limit.network, kva=f"{kva:g}", households=households, spaces=limit.n_spaces,
        days=limit.days, band=limit.study.request.get("band", "worst"),
    )  # fmt: skip


def size_note(
    results: Sequence[HostingResult], site_households: int, lang: str = "en"
) -> list[str]:
    """A sentence when the network's households or parking spaces are not the site's (a bundled
    area stands for a typical one of its kind); empty when they match."""
    limit = results[0].network
    assert limit is not None and limit.study is not None
    net = limit.study.net
    households = int(net.households.sum()) if net is not None else 0
    site_spaces = int(results[0].n_spaces)
    if households == int(site_households) and limit.n_spaces == site_spaces:
        return []
    return [
        _labels(lang)["size_differs"].format(
            name=limit.network,
            households=households,
            spaces=limit.n_spaces,
            site_households=int(site_households),
            site_spaces=site_spaces,
        )
    ]


def study_title(results: Sequence[HostingResult], lang: str = "en") -> str:
    """The extremes table's title: the network at the transformer's answer."""
    limit = results[0].network
    assert limit is not None and limit.study is not None
    ratio = float(limit.study.evaluation.ratio)
    at = _labels(lang)["at_transformer"].format(ratio=percent(ratio))
    return f"{limit.network}: {at}, {word(limit.study.request['strategy'], lang)}"


def network_section(study: Any, table: Table, div: FigureDivs, heading: str = "") -> Section:
    """A report section: the one-line diagram coloured by loading and voltage
    (:func:`evgrid.network.diagram.one_line_figure`) and a table."""
    from evgrid.network.diagram import one_line_figure
    from evgrid.report.html import Section

    figure = one_line_figure(study.net, study.evaluation.extremes, title=study.network)
    return Section(heading=heading or study.network, figures=[div(figure)], table=table)


__all__ = [
    "NETWORK_LABELS",
    "hosting_network_table",
    "network_intro",
    "network_section",
    "size_note",
    "study_rows",
    "study_table",
    "study_title",
]
