"""Plain tables of results: one renderer for the terminal (rich) and the HTML report.

A :class:`Table` is a title, a header and rows of text; the CLI turns it into a rich table and
the HTML report into an HTML table, so both show the same columns with the same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from evgrid.params import PARAMETERS
from evgrid.planning.reproduce import Reproduction
from evgrid.planning.reproduce_timeseries import TimeseriesReproduction
from evgrid.planning.result import HostingResult
from evgrid.report.labels import PERCENT, Labels, labels_for, percent, word


@dataclass(frozen=True)
class Table:
    """A plain table: a title, a header and rows of text.

    Parameters
    ----------
    title
        Caption.
    header
        Column names.
    rows
        One list of cells per row.
    """

    title: str
    header: list[str]
    rows: list[list[str]]


def _limit_text(result: HostingResult, lang: str = "en") -> str:
    if result.criterion == "loading":
        return f"{word('loading', lang)} {percent(result.limit)}"
    return f"{word(result.criterion, lang)} {result.limit:g} {result.metric_unit}"


def _load_text(result: HostingResult, lang: str) -> str:
    """The regular load a result used, in words: ``sub-new; regular load 1883 kW peak / ...``."""
    reg = result.regular
    if "year" in result.details:
        d = result.details
        return (
            f"{word('regular load at saturation', lang)} {reg.peak_kw:.0f} kW = "
            f"{word('measured peak', lang)} {d['regular_peak_kw']:.0f} kW × "
            f"{reg.peak_kw / d['regular_peak_kw']:.2f} (report 4.2)"
        )
    kind = result.details.get("community_type")
    head = f"{word(kind, lang)}; " if kind else ""
    return (
        f"{head}{word('regular load', lang)} {reg.peak_kw:.0f} kW {word('peak', lang)} / "
        f"{reg.valley_kw:.0f} kW {word('valley', lang)}, {word(reg.basis, lang)}"
    )


def hosting_table(results: Sequence[HostingResult], lang: str = "en") -> Table:
    """One row per result: the largest pile ratio and its piles, for either tier.

    Index results show the exact ratio and its readings at 1 % and 10 % steps (the report reads
    its figures at 10 %); time-series results show P50 and P95.

    Parameters
    ----------
    results
        Results of one site (e.g. uncontrolled and orderly).
    lang
        ``"en"`` or ``"zh"``.
    """
    t = labels_for(lang)
    first = results[0]
    load = _load_text(first, lang)
    limit = _limit_text(first, lang)
    title = f"{first.site_name} ({load}): " + t["largest_at"].format(limit=limit)
    if all(r.method == "index" for r in results):
        header = [t["strategy"], t["kw_per_pile"], t["exact"], t["steps_1pct"], t["steps_10pct"]]
        if "year" in first.details:
            header = [
                t["year"],
                *header[1:3],
                t["charging_spaces"],
                t["peak_charging_kw"],
                t["total_loading"],
            ]
        rows = []
        for r in results:
            d = r.details
            if "year" in d:
                rows.append(
                    [
                        str(d["year"]),
                        f"{d['kw_per_pile']:.2f}",
                        percent(r.max_pile_ratio_p50, 1),
                        str(d["charging_spaces"]),
                        f"{d['peak_charging_kw']:.1f}",
                        percent(d["total_loading_pu"], 1),
                    ]
                )
            else:
                rows.append(
                    [
                        word(r.strategy, lang),
                        f"{d['kw_per_pile']:.2f}",
                        percent(r.max_pile_ratio_p50, 1),
                        percent(d["max_pile_ratio_1pct"]),
                        percent(d["max_pile_ratio_10pct"]),
                    ]
                )
            rows[-1].append(f"{r.max_piles_p50} {word('of', lang)} {r.n_spaces}")
        return Table(title, [*header, t["piles"]], rows)
    header = [
        t["method"],
        t["strategy"],
        t["participation"],
        f"{t['pile_ratio']} P50",
        f"{t['pile_ratio']} P95",
        f"{t['piles']} P50 / P95 / {word('spaces', lang)}",
    ]
    rows = [
        [
            word(r.method, lang),
            word(r.strategy, lang),
            f"{r.participation:g}",
            percent(r.max_pile_ratio_p50),
            percent(r.max_pile_ratio_p95),
            f"{r.max_piles_p50} / {r.max_piles_p95} / {r.n_spaces}",
        ]
        for r in results
    ]
    return Table(title, header, rows)


def recommendation_table(results: Sequence[HostingResult], lang: str = "en") -> Table:
    """The answer first: per strategy the recommended pile ratio and piles, its interval, what
    binds it, the unmet share and the basis it stands on."""
    t = labels_for(lang)
    header = [
        t["strategy"],
        t["recommended"],
        t["piles"],
        t["interval"],
        t["binding"],
        t["unmet"],
        t["basis"],
    ]
    rows = []
    for r in results:
        low, high = r.recommended_interval
        rows.append(
            [
                t.get(r.strategy, r.strategy)
                + (f" {r.details['year']}" if "year" in r.details else ""),
                percent(r.recommended_pile_ratio, 1),
                str(r.recommended_piles),
                f"{percent(low, 1)} – {percent(high, 1)}",
                t.get(f"binding_{r.binding}", r.binding),
                percent(r.unmet_share, 1),
                word(f"{r.basis or ''} ({r.band})", lang),
            ]
        )
    return Table(t["recommendation"], header, rows)


def behaviour_table(result: HostingResult, lang: str = "en") -> Table | None:
    """The largest pile ratios under every bundled behaviour preset (None without them).

    The row of the preset the result used is marked; the last row gives the range, "how much
    the answer rests on the demand assumption".
    """
    ranges = result.details.get("behaviour_range")
    if not ranges:
        return None
    t = labels_for(lang)
    chosen = result.details.get("behaviour")
    rows = [
        [
            f"{name}{' *' if name == chosen else ''}",
            percent(r["max_pile_ratio_p50"]),
            percent(r["max_pile_ratio_p95"]),
        ]
        for name, r in ranges.items()
    ]
    p50 = [r["max_pile_ratio_p50"] for r in ranges.values()]
    p95 = [r["max_pile_ratio_p95"] for r in ranges.values()]
    rows.append([t["range"], _span(p50), _span(p95)])
    return Table(
        f"{result.site_name}: {t['behaviour_range']}", [t["behaviour"], "P50", "P95"], rows
    )


def behaviour_summary(result: HostingResult, lang: str = "en") -> str | None:
    """One line: the P50 and P95 ranges across the behaviour presets (None without them)."""
    ranges = result.details.get("behaviour_range")
    if not ranges:
        return None
    p50 = [r["max_pile_ratio_p50"] for r in ranges.values()]
    p95 = [r["max_pile_ratio_p95"] for r in ranges.values()]
    return (
        f"{word('across the behaviour presets', lang)} ({', '.join(ranges)}): P50 {_span(p50)}, "
        f"P95 {_span(p95)}, {word('depending on behaviour', lang)}"
    )


def _span(values: Sequence[float]) -> str:
    lo, hi = min(values), max(values)
    return percent(lo) if lo == hi else f"{lo * PERCENT:.0f}–{percent(hi)}"


def curve_table(result: HostingResult, lang: str = "en", rows: int = 11) -> Table:
    """The loading (and a thermal criterion's metric) against the pile ratio, about ``rows``
    rows; under the loading criterion the metric is the loading, shown once."""
    t = labels_for(lang)
    step = max(len(result.pile_ratios) // (rows - 1), 1)
    days = f", {result.days} {word('days', lang)}" if result.days else ""
    title = (
        f"{result.site_name}: {word(result.strategy, lang)} ({word('participation', lang)} "
        f"{result.participation:g}), {word(result.criterion, lang)} <= {result.limit:g} "
        f"{result.metric_unit}{days}"
    )
    thermal = result.criterion != "loading"
    body = [
        [
            percent(result.pile_ratios[i]),
            str(result.n_piles[i]),
            percent(result.loading_p50[i], 1),
            percent(result.loading_p95[i], 1),
            *([f"{result.metric_p50[i]:.3g}", f"{result.metric_p95[i]:.3g}"] if thermal else []),
        ]
        for i in range(0, len(result.pile_ratios), step)
    ]
    metric = f"{word(result.criterion, lang)} [{result.metric_unit}]"
    header = [t["pile_ratio"], t["piles"], t["loading_p50"], t["loading_p95"]]
    if thermal:
        header += [f"{metric} P50", f"{metric} P95"]
    return Table(title, header, body)


def parameter_table(lang: str = "en") -> Table:
    """Every default of the parameter table: name, value, unit, basis, source."""
    t = labels_for(lang)
    rows = [[p.name, p.value_text(), p.unit, p.basis, p.source] for p in PARAMETERS.values()]
    return Table(
        t["assumptions"], [t["parameter"], t["value"], t["unit"], t["basis"], t["source"]], rows
    )


QUANTITY: dict[str, dict[str, str]] = {
    "uncontrolled": {
        "en": "uncontrolled pile ratio (10 % steps)",
        "zh": "无序充电车位配桩率（10% 步长）",
    },
    "orderly": {"en": "orderly pile ratio (10 % steps)", "zh": "有序充电车位配桩率（10% 步长）"},
    "spaces": {"en": "charging spaces", "zh": "充电车位"},
    "kw": {"en": "peak charging kW", "zh": "充电最大负荷 kW"},
    "loading": {"en": "total loading", "zh": "电力总负载率"},
    "energy": {"en": "daily energy per car kWh", "zh": "单车日均需求电量 kWh"},
    "orderly_kw": {"en": "orderly load per charging household kW", "zh": "户均有序充电负荷 kW"},
    "exact": {"en": "exact", "zh": "精确值"},
    "all": {"en": "all", "zh": "全部"},
}
"""Names of the compared quantities in the table languages (``en``, ``zh``)."""


def comparison_rows(
    rep: Reproduction, lang: str = "en"
) -> list[tuple[str, str, str, str, bool, str]]:
    """Rows ``(case, quantity, evgrid, report, match, how)``: evgrid beside the report, and how
    each number comes out (independent, arithmetic or calibrated,
    :data:`evgrid.planning.reproduce.CALIBRATION`).

    Parameters
    ----------
    lang
        ``"en"`` or ``"zh"``: language of the quantity names and of the report's quotes.
    """
    q = {key: names.get(lang, names["en"]) for key, names in QUANTITY.items()}
    quoted = "quoted_zh" if lang == "zh" else "quoted"
    from evgrid.planning.reproduce import CALIBRATION

    how = {
        mark: labels_for(lang).get(f"mark_{mark}", mark)
        for mark in ("independent", "arithmetic", "calibrated")
    }
    out: list[tuple[str, str, str, str, bool, str]] = []
    doc = rep.to_dict()
    for rec in doc["residential"]:
        for mode in ("uncontrolled", "orderly"):
            mine = rec[f"{mode}_max_pile_ratio"]
            ref = rec[f"report_{mode}_max_pile_ratio"]
            exact = rec[f"{mode}_max_pile_ratio_exact"]
            out.append(
                (
                    rec["case"],
                    q[mode],
                    f"{mine * PERCENT:.0f} % ({q['exact']} {exact * PERCENT:.1f} %)",
                    rep.findings["residential"][rec["case"]][mode][quoted],
                    abs(mine - ref) < 1e-9,
                    how[CALIBRATION[mode, rec["case"]][0]],
                )
            )
    for rec in doc["office"]:
        if "report_charging_spaces" not in rec:
            continue
        case = f"{rec['case']} {rec['year']}"
        out.append(
            (
                case,
                q["spaces"],
                str(rec["charging_spaces"]),
                str(rec["report_charging_spaces"]),
                rec["charging_spaces"] == rec["report_charging_spaces"],
                how[CALIBRATION["office", "charging_spaces"][0]],
            )
        )
        found = next(
            f
            for f in rep.findings["office"]
            if (f["case"], f["year"]) == (rec["case"], rec["year"])
        )
        digits = int(found["kw_decimals"])
        out.append(
            (
                case,
                q["kw"],
                f"{rec['peak_charging_kw']:.{digits + 1}f}",
                f"{rec['report_peak_charging_kw']:.{digits}f}",
                round(rec["peak_charging_kw"], digits) == round(found["peak_charging_kw"], 6),
                how[CALIBRATION["office", "peak_charging_kw"][0]],
            )
        )
        out.append(
            (
                case,
                q["loading"],
                f"{rec['total_loading_pu'] * PERCENT:.1f} %",
                f"{rec['report_total_loading_pu'] * PERCENT:.0f} %",
                round(rec["total_loading_pu"] * PERCENT)
                == round(rec["report_total_loading_pu"] * PERCENT),
                how[CALIBRATION["office", "total_loading_pu"][0]],
            )
        )
    f = rep.findings
    a = next(iter(rep.residential.values()))["orderly"].details
    out.append(
        (
            q["all"],
            q["energy"],
            f"{a['daily_energy_kwh']:.2f}",
            f"{f['daily_energy_kwh']:g}",
            abs(a["daily_energy_kwh"] - f["daily_energy_kwh"]) < 1e-9,
            how[CALIBRATION["all", "daily_energy_kwh"][0]],
        )
    )
    out.append(
        (
            q["all"],
            q["orderly_kw"],
            f"{a['orderly_charging_kw']:.2f}",
            f"{f['orderly_charging_kw_per_household']:g}",
            abs(a["orderly_charging_kw"] - f["orderly_charging_kw_per_household"]) < 1e-9,
            how[CALIBRATION["all", "orderly_charging_kw"][0]],
        )
    )
    return out


def comparison_table(rep: Reproduction, lang: str = "en") -> Table:
    """evgrid's results beside the report's: case, quantity, evgrid, report, match (✓/✗) and
    how the number comes out (independent, arithmetic or calibrated)."""
    t = labels_for(lang)
    rows = [
        [case, quantity, mine, theirs, "✓" if ok else "✗", how]
        for case, quantity, mine, theirs, ok, how in comparison_rows(rep, lang)
    ]
    header = [t["case"], t["quantity"], t["evgrid"], t["report"], t["match"], t["how"]]
    return Table(t["comparison"], header, rows)


def timeseries_tables(
    ts: TimeseriesReproduction, rep: Reproduction, lang: str = "en"
) -> list[Table]:
    """The time-series tier beside the index tier, and the figure 6–7 comparison."""
    t = labels_for(lang)
    rows = []
    for (case, strategy), r in ts.hosting.items():
        if case in rep.residential:
            tier = percent(rep.residential[case]["uncontrolled"].details["max_pile_ratio_1pct"])
        else:
            tier = ", ".join(
                f"{y.details['year']}: {percent(y.max_pile_ratio_p50)}" for y in rep.office[case]
            )
        ranges = r.details.get("behaviour_range") or {}
        spread = (
            f"{_span([x['max_pile_ratio_p50'] for x in ranges.values()])} / "
            f"{_span([x['max_pile_ratio_p95'] for x in ranges.values()])}"
            if len(ranges) > 1
            else ""
        )
        rows.append(
            [
                case,
                strategy,
                str(r.days),
                percent(r.max_pile_ratio_p50),
                percent(r.max_pile_ratio_p95),
                spread,
                tier,
            ]
        )
    hosting = Table(
        f"{t['timeseries']} (seed {ts.seed})",
        [t["case"], t["strategy"], "days", "P50", "P95", t["across_presets"], t["index_tier"]],
        rows,
    )
    impact_rows = [
        [
            f"{case} ({imp.n_evs} EVs)",
            name,
            percent(imp.charging_peak_reduction(name), 1),
            percent(imp.total_peak_reduction(name), 1),
        ]
        for case, imp in ts.impact.items()
        for name in imp.orderly
    ]
    if ts.impact:
        found = next(iter(ts.impact.values())).to_dict()["report"]
        impact_rows.append(
            [
                t["report"],
                "",
                percent(found["charging_peak_reduction"]),
                percent(found["total_peak_reduction"]),
            ]
        )
    impact = Table(
        t["impact"],
        [t["case"], t["strategy"], t["charging_peak_reduction"], t["total_peak_reduction"]],
        impact_rows,
    )
    return [hosting, impact]


__all__ = [
    "Labels",
    "Table",
    "behaviour_summary",
    "behaviour_table",
    "comparison_table",
    "curve_table",
    "hosting_table",
    "parameter_table",
    "timeseries_tables",
]


def findings_table(findings: Sequence[dict[str, Any]], lang: str = "en") -> Table:
    """The report's findings through the years under each scenario (report 3.3).

    One row per scenario: the orderly upgrade years of A, B and C and whether each of the
    report's statements holds (:func:`evgrid.planning.findings.scenario_findings`).
    """
    from evgrid.planning.findings import FINDINGS

    zh = lang == "zh"
    short = {
        "uncontrolled_all_by_2025": "无序：2025 年全部需改造"
        if zh
        else "uncontrolled: all by 2025",
        "orderly_none_by_2025": "有序：2025 年无需改造" if zh else "orderly: none by 2025",
        "orderly_only_new_by_2035": "有序：2035 年仅新小区" if zh else "orderly: only new by 2035",
        "orderly_subnew_and_new_by_2050": (
            "有序：2050 年次新与新小区" if zh else "orderly: sub-new and new by 2050"
        ),
    }
    header = [
        "情景" if zh else "scenario",
        "有序改造年份 A / B / C" if zh else "orderly upgrade year A / B / C",
        *(short[k] for k, *_ in FINDINGS),
    ]
    rows = []
    for f in findings:
        years = f["upgrade_year"]["orderly"]
        text = " / ".join("—" if years[c] is None else str(years[c]) for c in ("A", "B", "C"))
        marks = ("成立", "不成立") if zh else ("holds", "does not hold")
        rows.append([f["scenario"], text, *(marks[0] if f[k] else marks[1] for k, *_ in FINDINGS)])
    title = (
        "报告结论（3.3 节）在各情景下" if zh else "The report's findings (section 3.3) by scenario"
    )
    return Table(title, header, rows)
