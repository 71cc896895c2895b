"""The city summary page and tables, and the scenario listing (``evgrid city``, ``scenarios``).

Everything here renders a city summary (:func:`evgrid.city.summary.city_summary`, a JSON-ready
dict), one site's upgrade timeline or scenarios; nothing is computed that they do not hold.
:func:`city_report` is the one composition "run the city, then write its summary page" that the
command line and the web app share.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import plotly.graph_objects as go

from evgrid.planning.scenarios import TYPES, Scenario
from evgrid.report.html import FigureDivs, Section, render_page
from evgrid.report.labels import Labels, labels_for, money, percent, word
from evgrid.report.tables import Table

if TYPE_CHECKING:
    from evgrid.city.run import CityRun
    from evgrid.city.settings import CitySettings
    from evgrid.city.site_upgrade import SiteUpgrade

SUMMARY_FILE = "summary.html"
"""Name of the summary page in a city run's folder."""

CITY_LABELS: dict[str, Labels] = {
    "en": {
        "city_title": "evgrid: the city through the years",
        "city_intro": (
            "Every site of the table through the scenario's years: the first year its "
            "transformer fails the criterion under each charging strategy, the standard size then "
            "needed, its cost, and what orderly charging saves. uncontrolled: no pile orderly; "
            "orderly: every pile orderly (the report's 'fully orderly'); partial: the scenario's "
            "orderly participation by year."
        ),
        "upgrades_per_year": "Upgrades per year by type ({strategy})",
        "sites": "sites",
        "evening_peak": "The city's evening peak (20:00–21:00, communities) by year",
        "evening_axis": "evening peak [MW]",
        "totals": "Upgrades, cost and what orderly charging saves",
        "ranked": "First upgrades ({strategy}): by year, then by overload",
        "networks": "Low-voltage networks (sites that name one)",
        "net_sites": "sites with a network",
        "net_fail": "network fails in a year",
        "net_first": "network before the transformer",
        "net_kinds": "what binds first",
        "net_cost": "reinforcement cost ({basis})",
        "upgrades": "upgrades",
        "kva_bought": "kVA bought",
        "cost": "cost",
        "pv": "present value",
        "avoided": "upgrades avoided",
        "deferral": "mean deferral [years]",
        "pv_saved": "present value saved",
        "first_of": "the first {shown} of {total}",
        "no_cost": "(no cost given)",
        "site": "site",
        "type": "type",
        "upgrade_year": "upgrade year",
        "now_kva": "now [kVA]",
        "needed_kva": "needed [kVA]",
        "new_kva": "added [kVA]",
        "scenarios": "Bundled scenarios",
        "scenario": "scenario",
        "description": "description",
        "ev_share_years": "EV share in {years}",
        "value_of": "value of",
        "strategy_upgrade": "strategy",
        "deferral_years": "deferred [years]",
        "no_upgrade": "none by {year}",
        "network_year": "network fails [year]",
        "network_cost": "network reinforcement (illustrative)",
        "site_upgrade": "Upgrade year under the scenario {scenario} ({method})",
        "method_upgrade_index": "planning index",
        "method_upgrade_timeseries": "time series",
        "partial": "partial",
    },
    "zh": {
        "city_title": "evgrid：城市逐年配变改造",
        "city_intro": (
            "对表中每个台区逐年计算：各充电策略下配变首次不满足判据的年份、所需标准容量、改造费用，"
            "以及有序充电节省的投资。无序：全部无序；有序：全部有序（报告的“完全有序”）；"
            "部分：按情景逐年的有序参与率。"
        ),
        "upgrades_per_year": "各年份按类型的改造数量（{strategy}）",
        "sites": "台区数",
        "evening_peak": "全市晚高峰负荷（20:00–21:00，居民区）逐年变化",
        "evening_axis": "晚高峰负荷 [MW]",
        "totals": "改造数量、费用与有序充电的节省",
        "ranked": "最早的改造（{strategy}）：按年份、再按过载程度",
        "networks": "低压台区（填写了台区的小区）",
        "net_sites": "有台区的小区",
        "net_fail": "台区某年越限",
        "net_first": "台区先于配变受限",
        "net_kinds": "最先受限",
        "net_cost": "台区改造费用（{basis}）",
        "upgrades": "改造数量",
        "kva_bought": "新增容量 kVA",
        "cost": "费用",
        "pv": "现值",
        "avoided": "避免的改造",
        "deferral": "平均推迟 [年]",
        "pv_saved": "节省现值",
        "first_of": "共 {total} 个中的前 {shown} 个",
        "no_cost": "（未给出费用）",
        "site": "台区",
        "type": "类型",
        "upgrade_year": "改造年份",
        "now_kva": "现有 [kVA]",
        "needed_kva": "所需 [kVA]",
        "new_kva": "新增配变 [kVA]",
        "scenarios": "内置情景",
        "scenario": "情景",
        "description": "说明",
        "ev_share_years": "{years} 年电动汽车占比",
        "value_of": "取值项",
        "strategy_upgrade": "充电策略",
        "deferral_years": "推迟 [年]",
        "no_upgrade": "{year} 年前无需改造",
        "network_year": "台区越限年份",
        "network_cost": "台区改造费用（示意）",
        "site_upgrade": "情景 {scenario} 下的增容改造年份（{method}）",
        "method_upgrade_index": "规划指标模型",
        "method_upgrade_timeseries": "时序模型",
        "partial": "部分有序充电",
    },
}


def _labels(lang: str) -> Labels:
    return {**labels_for(lang), **CITY_LABELS[lang]}


def totals_table(summary: dict[str, Any], lang: str = "en") -> Table:
    """Per strategy: upgrades, kVA bought, cost, present value and what it saves."""
    t = _labels(lang)
    header = [
        t["strategy"],
        t["upgrades"],
        t["kva_bought"],
        t["cost"],
        t["pv"],
        t["avoided"],
        t["deferral"],
        t["pv_saved"],
    ]
    rows = []
    for st in summary["strategies"]:
        tot = summary["totals"][st]
        saves = summary["orderly_saves"].get(st, {})
        deferral = saves.get("mean_deferral_years")
        rows.append(
            [
                word(st, lang),
                str(tot["upgrades"]),
                f"{tot['kva_bought']:,.0f}",
                money(tot["cost_yuan"], lang),
                money(tot["pv_yuan"], lang),
                str(saves.get("upgrades_avoided", "—")),
                "—" if deferral is None else f"{deferral:.1f}",
                money(saves.get("pv_saved_yuan"), lang),
            ]
        )
    title = t["totals"] + ("" if summary["cost_given"] else " " + t["no_cost"])
    return Table(title, header, rows)


def by_year_table(summary: dict[str, Any], lang: str = "en") -> Table:
    """Upgrades per year, per strategy and type (types as rows, years as columns)."""
    t = _labels(lang)
    years = [str(y) for y in summary["years"]]
    rows = []
    for st in summary["strategies"]:
        counts = summary["upgrades_by_year"][st]
        for kind in TYPES:
            if kind in counts:
                cells = (str(counts[kind].get(y, 0)) for y in years)
                rows.append([word(st, lang), word(kind, lang), *cells])
    names = ", ".join(word(st, lang) for st in summary["strategies"])
    return Table(
        t["upgrades_per_year"].format(strategy=names),
        [t["strategy"], t["type"], *years],
        rows,
    )


def ranked_table(summary: dict[str, Any], strategy: str, lang: str = "en") -> Table:
    """The first upgrades of one strategy (the summary's ranked list)."""
    t = _labels(lang)
    header = [
        t["site"],
        t["type"],
        t["upgrade_year"],
        t["now_kva"],
        t["needed_kva"],
        t["new_kva"],
        t["cost"],
        t["pv"],
    ]
    rows = [
        [
            f"{r['site_id']} {r['name']}",
            word(str(r["type"]), lang),
            str(r["upgrade_year"]),
            f"{r['transformer_kva']:g}",
            f"{r['required_kva']:.0f}",
            f"{r['units']} × {r['unit_kva']:g}",
            money(r["cost_yuan"], lang),
            money(r["pv_yuan"], lang),
        ]
        for r in summary["ranked"][strategy]
    ]
    shown = t["first_of"].format(shown=len(rows), total=summary["totals"][strategy]["upgrades"])
    title = t["ranked"].format(strategy=word(strategy, lang)) + f" ({shown})"
    return Table(title, header, rows)


def summary_tables(summary: dict[str, Any], lang: str = "en") -> list[Table]:
    """What ``evgrid city`` prints: totals and upgrades per year by type."""
    return [totals_table(summary, lang), by_year_table(summary, lang)]


def upgrades_figure(summary: dict[str, Any], strategy: str, lang: str = "en") -> go.Figure:
    """Stacked bars: upgrades per year by community type under one strategy."""
    t = _labels(lang)
    years = [str(y) for y in summary["years"]]
    fig = go.Figure()
    for kind, counts in sorted(summary["upgrades_by_year"][strategy].items()):
        fig.add_bar(name=kind, x=years, y=[counts.get(y, 0) for y in years])
    fig.update_layout(
        barmode="stack",
        title=t["upgrades_per_year"].format(strategy=strategy),
        xaxis_title=t["year"],
        yaxis_title=t["sites"],
        height=360,
    )
    return fig


def evening_figure(summary: dict[str, Any], lang: str = "en") -> go.Figure:
    """The city's evening peak by year, one line per strategy [MW]."""
    t = _labels(lang)
    fig = go.Figure()
    for st, by_year in summary["evening_peak_kw"].items():
        years = sorted(by_year)
        fig.add_scatter(
            x=years, y=[(by_year[y] or 0.0) / 1000 for y in years], name=st, mode="lines+markers"
        )
    fig.update_layout(
        title=t["evening_peak"], xaxis_title=t["year"], yaxis_title=t["evening_axis"], height=360
    )
    return fig


def city_html(summary: dict[str, Any], lang: str = "en") -> str:
    """The summary page of a city run (self-contained HTML)."""
    t = _labels(lang)
    div = FigureDivs()
    sections = [
        Section(
            heading=t["totals"],
            table=totals_table(summary, lang),
            figures=[div(evening_figure(summary, lang))],
        ),
        Section(
            heading=t["upgrades_per_year"].format(strategy=", ".join(summary["strategies"])),
            table=by_year_table(summary, lang),
            figures=[div(upgrades_figure(summary, st, lang)) for st in summary["strategies"]],
        ),
        *(
            Section(heading=t["ranked"].format(strategy=st), table=ranked_table(summary, st, lang))
            for st in summary["strategies"]
        ),
        *_modes_sections(summary, lang, div),
    ]
    settings = [
        (k, str(summary[k]))
        for k in ("scenario", "description", "method", "criterion", "limit", "n_sites", "n_errors")
    ]
    page_labels = {**t, "intro": t["city_intro"]}
    return render_page(t["city_title"], page_labels, lang, sections, settings=settings)


def network_table(summary: dict[str, Any], lang: str = "en") -> Table | None:
    """Per strategy: the sites that name a network, how many fail and fail before their
    transformer, what binds first and the reinforcement cost (None without networks)."""
    networks = summary.get("networks")
    if not networks:
        return None
    t = _labels(lang)
    header = [
        word("strategy", lang),
        t["net_sites"],
        t["net_fail"],
        t["net_first"],
        t["net_kinds"],
        t["net_cost"].format(basis=word(networks["cost_basis"], lang)),
    ]
    rows = [
        [
            word(st, lang),
            str(n["sites"]),
            str(n["fail"]),
            str(n["binds_first"]),
            ", ".join(f"{word(k, lang)} {v}" for k, v in n["by_kind"].items()) or "-",
            money(n["cost_yuan"], lang),
        ]
        for st, n in networks["strategies"].items()
    ]
    return Table(t["networks"], header, rows)


def _modes_sections(summary: dict[str, Any], lang: str, div: FigureDivs) -> list[Section]:
    """The communities' modes and hubs, and what V2G adds (where the run has them)."""
    from evgrid.report.city_modes import city_modes_figure, city_modes_table, v2g_table

    sections = []
    networks = network_table(summary, lang)
    if networks is not None:
        sections.append(Section(heading=networks.title, table=networks))
    table = city_modes_table(summary, lang)
    if table is not None:
        fig = city_modes_figure(summary, lang)
        figures = [] if fig is None else [div(fig)]
        sections.append(Section(heading=table.title, table=table, figures=figures))
    v2g = v2g_table(summary, lang)
    if v2g is not None:
        sections.append(Section(heading=v2g.title, table=v2g))
    return sections


@dataclass(frozen=True)
class CityReport:
    """A finished city run with its summary page.

    Parameters
    ----------
    run
        What the run wrote (:class:`evgrid.city.run.CityRun`).
    page
        The summary page, ``run.out / SUMMARY_FILE``.
    files
        Every output for a reader, by name: the tables (Parquet and CSV), ``errors.csv``,
        ``summary.json`` and the summary page (not the run's manifest or chunks).
    """

    run: CityRun
    page: Path
    files: dict[str, Path]


def city_report(
    sites_path: str | Path,
    settings: CitySettings,
    out: str | Path,
    *,
    lang: str = "en",
    workers: int = 1,
    engine: str = "local",
    scheduler: str | None = None,
    chunk_sites: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    curve_files: Mapping[str, Path] | None = None,
    network_files: Mapping[str, Path] | None = None,
) -> CityReport:
    """Run (or resume) a city and write its summary page beside its tables: ``evgrid city``.

    Parameters are those of :func:`evgrid.city.run.run_city`, and ``lang`` (``"en"`` or
    ``"zh"``), the language of the summary page.

    Raises
    ------
    InputError
        As :func:`evgrid.city.run.run_city`.
    """
    from evgrid.city.run import OUTPUT_FILES, run_city
    from evgrid.fileio import write_text_atomic

    labels_for(lang)  # refuse a bad language before the run
    run = run_city(
        sites_path,
        settings,
        out,
        workers=workers,
        engine=engine,
        scheduler=scheduler,
        chunk_sites=chunk_sites,
        progress=progress,
        curve_files=curve_files,
        network_files=network_files,
    )
    page = write_text_atomic(run.out / SUMMARY_FILE, city_html(run.summary, lang))
    names = (*OUTPUT_FILES, SUMMARY_FILE)
    files = {n: run.out / n for n in names if (run.out / n).is_file()}
    return CityReport(run, page, files)


def city_tables(summary: dict[str, Any], lang: str = "en") -> list[Table]:
    """Every table of the summary page: totals, upgrades per year, the ranked upgrades (and
    the modes and what V2G adds, where the run has them)."""
    from evgrid.report.city_modes import city_modes_table, v2g_table

    extra = [
        x
        for x in (
            network_table(summary, lang),
            city_modes_table(summary, lang),
            v2g_table(summary, lang),
        )
        if x
    ]
    return [
        *summary_tables(summary, lang),
        *(ranked_table(summary, st, lang) for st in summary["strategies"]),
        *extra,
    ]


def city_figures(summary: dict[str, Any], lang: str = "en") -> dict[str, go.Figure]:
    """Every chart of the summary page by file stem: the evening peak, upgrades per year."""
    from evgrid.report.city_modes import city_modes_figure

    figures = {"evening-peak": evening_figure(summary, lang)}
    for st in summary["strategies"]:
        figures[f"upgrades-{st}"] = upgrades_figure(summary, st, lang)
    modes = city_modes_figure(summary, lang)
    if modes is not None:
        figures["modes"] = modes
    return figures


def site_upgrade_table(upgrade: SiteUpgrade, lang: str = "en") -> Table:
    """One site's upgrade per strategy: the year, the rating now, needed and then bought, and
    what the strategy defers against uncontrolled charging
    (:func:`evgrid.city.site_upgrade.site_upgrade`)."""
    t = _labels(lang)
    header = [
        t["strategy_upgrade"],
        t["upgrade_year"],
        t["now_kva"],
        t["needed_kva"],
        t["new_kva"],
        t["deferral_years"],
    ]
    none = t["no_upgrade"].format(year=upgrade.years[-1])
    rows = []
    for r in upgrade.upgrades:
        year = r["upgrade_year"]
        deferral = r["deferral_years"]
        rows.append(
            [
                t.get(r["strategy"], r["strategy"]),
                none if year is None else str(year),
                f"{r['transformer_kva']:g}",
                "—" if r["required_kva"] is None else f"{r['required_kva']:.0f}",
                "—" if year is None else f"{r['units']} × {r['unit_kva']:g}",
                "—" if deferral is None else f"{deferral:g}",
            ]
        )
        if any(u.get("network") for u in upgrade.upgrades):  # a site with a network
            net_year, cost = r.get("network_year"), r.get("network_cost_yuan")
            rows[-1].append(
                "—" if not r.get("network") else none if net_year is None else str(net_year)
            )
            rows[-1].append("—" if cost is None else money(cost, lang))
    if any(u.get("network") for u in upgrade.upgrades):
        header += [t["network_year"], t["network_cost"]]
    method = t.get(f"method_upgrade_{upgrade.method}", upgrade.method)
    return Table(t["site_upgrade"].format(scenario=upgrade.scenario, method=method), header, rows)


def scenarios_table(scenarios: Sequence[Scenario], lang: str = "en") -> Table:
    """One row per scenario: name, description and the EV share in its years."""
    t = _labels(lang)
    rows = [
        [
            s.name,
            s.description,
            ", ".join(
                f"{y}: {percent(v)}" for y, v in zip(s.years, s.ev_share_at(s.years), strict=True)
            ),
        ]
        for s in scenarios
    ]
    return Table(
        t["scenarios"],
        [t["scenario"], t["description"], t["ev_share_years"].format(years="…")],
        rows,
    )


def scenario_table(s: Scenario, lang: str = "en") -> Table:
    """Every value of one scenario with its basis and source."""
    t = _labels(lang)
    rows = [[k, f"{v.value:g}", v.basis, v.source] for k, v in s.sources]
    years = np.asarray(s.years)
    rows += [
        [
            f"pile ratio {k}",
            ", ".join(
                f"{y}: {percent(r)}" for y, r in zip(years, s.pile_ratio(k, years), strict=True)
            ),
            "",
            "",
        ]
        for k in TYPES
    ]
    return Table(
        f"{s.name}: {s.description}", [t["value_of"], t["value"], t["basis"], t["source"]], rows
    )
