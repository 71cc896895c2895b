"""Reproduce the report's case studies and compare them with its published numbers.

The model runs on the bundled cases (:func:`evgrid.grid.site.report_cases`) with the default
assumptions; the report's published results (``evgrid/data/report_findings.yaml``) are read only
to fill the comparison columns, never as model inputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

from evgrid.grid.site import OfficeSite, ResidentialSite, report_cases
from evgrid.planning.assumptions import OfficeAssumptions, ResidentialAssumptions
from evgrid.planning.index import ResidentialResult, residential_index
from evgrid.planning.office import OfficeResult, office_index

RESIDENTIAL_CASES = ("A", "B", "C")
OFFICE_CASES = ("open", "closed")
PERCENT = 100.0

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


def report_findings() -> dict[str, Any]:
    """The report's published results (comparison only), from ``data/report_findings.yaml``."""
    text = (resources.files("evgrid") / "data" / "report_findings.yaml").read_text("utf-8")
    findings: dict[str, Any] = yaml.safe_load(text)
    return findings


def residential_record(case: str, r: ResidentialResult) -> dict[str, Any]:
    """JSON-ready summary of a residential result (ratios 0–1, loads in kW)."""
    return {
        "case": case,
        "name": r.name,
        "community_type": r.community_type,
        "regular_load_basis": r.regular.basis,
        "regular_peak_kw": r.regular.peak_kw,
        "regular_valley_kw": r.regular.valley_kw,
        "transformer_kva": r.transformer_kva,
        "limit_pu": r.limit_pu,
        "uncontrolled_max_pile_ratio": r.uncontrolled.max_pile_ratio_10pct,
        "orderly_max_pile_ratio": r.orderly.max_pile_ratio_10pct,
        "uncontrolled_max_pile_ratio_1pct": r.uncontrolled.max_pile_ratio_1pct,
        "orderly_max_pile_ratio_1pct": r.orderly.max_pile_ratio_1pct,
        "uncontrolled_max_pile_ratio_exact": r.uncontrolled.max_pile_ratio,
        "orderly_max_pile_ratio_exact": r.orderly.max_pile_ratio,
        "uncontrolled_max_piles": r.uncontrolled.max_piles,
        "orderly_max_piles": r.orderly.max_piles,
        "uncontrolled_kw_per_pile": r.uncontrolled.kw_per_pile,
        "orderly_kw_per_pile": r.orderly.kw_per_pile,
        "daily_energy_kwh": r.daily_energy_kwh,
        "orderly_charging_kw": r.orderly_charging_kw,
    }


def office_records(case: str, r: OfficeResult) -> list[dict[str, Any]]:
    """JSON-ready summaries of an office result, one per planning year."""
    return [
        {
            "case": case,
            "name": r.name,
            "year": y.year,
            "pile_share": y.pile_share,
            "charging_spaces": y.charging_spaces,
            "kw_per_charging_space": y.kw_per_charging_space,
            "peak_charging_kw": y.peak_charging_kw,
            "regular_kw": y.regular_kw,
            "total_loading_pu": y.total_loading_pu,
            "max_pile_ratio_exact": y.max_pile_ratio,
            "index_kw": r.index_kw,
        }
        for y in r.years
    ]


@dataclass(frozen=True)
class Reproduction:
    """evgrid's results on the report's cases, beside the report's numbers.

    Parameters
    ----------
    residential
        Results of communities A, B, C.
    office
        Results of the open and closed office parks.
    findings
        The report's published numbers (comparison only).
    """

    residential: dict[str, ResidentialResult]
    office: dict[str, OfficeResult]
    findings: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """The ``evgrid reproduce --json`` document, with ``report_*`` and ``matches_report``."""
        res = []
        for case, r in self.residential.items():
            rec = residential_record(case, r)
            found = self.findings["residential"][case]
            for mode in ("uncontrolled", "orderly"):
                rec[f"report_{mode}_max_pile_ratio"] = found[mode]["step_reading"]
                rec[f"report_{mode}_quoted"] = found[mode]["quoted"]
            rec["matches_report"] = all(
                abs(rec[f"{m}_max_pile_ratio"] - rec[f"report_{m}_max_pile_ratio"]) < 1e-9
                for m in ("uncontrolled", "orderly")
            )
            res.append(rec)
        office = []
        published = {(f["case"], f["year"]): f for f in self.findings["office"]}
        for case, o in self.office.items():
            for rec in office_records(case, o):
                found = published.get((case, rec["year"]))
                if found is not None:
                    rec["report_charging_spaces"] = found["charging_spaces"]
                    rec["report_peak_charging_kw"] = found["peak_charging_kw"]
                    rec["report_total_loading_pu"] = found["total_loading_pu"]
                    rec["matches_report"] = office_matches(rec, found)
                office.append(rec)
        return {"residential": res, "office": office}

    def rows(self, lang: str = "en") -> list[tuple[str, str, str, str, bool]]:
        """Comparison rows ``(case, quantity, evgrid, report, match)`` for tables.

        Parameters
        ----------
        lang
            ``"en"`` or ``"zh"``: language of the quantity names and of the report's quotes.
        """
        q = {key: names.get(lang, names["en"]) for key, names in QUANTITY.items()}
        quoted = "quoted_zh" if lang == "zh" else "quoted"
        out: list[tuple[str, str, str, str, bool]] = []
        doc = self.to_json()
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
                        self.findings["residential"][rec["case"]][mode][quoted],
                        abs(mine - ref) < 1e-9,
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
                )
            )
            found = next(
                f
                for f in self.findings["office"]
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
                )
            )
        f = self.findings
        a = next(iter(self.residential.values()))
        out.append(
            (
                q["all"],
                q["energy"],
                f"{a.daily_energy_kwh:.2f}",
                f"{f['daily_energy_kwh']:g}",
                abs(a.daily_energy_kwh - f["daily_energy_kwh"]) < 1e-9,
            )
        )
        out.append(
            (
                q["all"],
                q["orderly_kw"],
                f"{a.orderly_charging_kw:.2f}",
                f"{f['orderly_charging_kw_per_household']:g}",
                abs(a.orderly_charging_kw - f["orderly_charging_kw_per_household"]) < 1e-9,
            )
        )
        return out


def office_matches(rec: dict[str, Any], found: dict[str, Any]) -> bool:
    """Whether an office record equals the report's within the report's printed rounding."""
    digits = int(found["kw_decimals"])
    return bool(
        rec["charging_spaces"] == found["charging_spaces"]
        and round(rec["peak_charging_kw"], digits) == round(found["peak_charging_kw"], 6)
        and round(rec["total_loading_pu"] * PERCENT) == round(found["total_loading_pu"] * PERCENT)
    )


def reproduce(
    residential: ResidentialAssumptions | None = None, office: OfficeAssumptions | None = None
) -> Reproduction:
    """Run the planning-index model on the report's five cases.

    Parameters
    ----------
    residential, office
        Model parameters; the defaults are the one consistent set that reproduces the report.
    """
    cases = report_cases()
    res: dict[str, ResidentialResult] = {}
    for key in RESIDENTIAL_CASES:
        site = cases[key]
        assert isinstance(site, ResidentialSite)
        res[key] = residential_index(site, residential)
    off: dict[str, OfficeResult] = {}
    for key in OFFICE_CASES:
        site = cases[key]
        assert isinstance(site, OfficeSite)
        off[key] = office_index(site, office)
    return Reproduction(residential=res, office=off, findings=report_findings())
