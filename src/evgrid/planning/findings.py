"""The report's findings through the years, from its communities A, B and C (report 3.3).

The report concludes (section 3.3): with fully orderly charging no residential transformer
needs an upgrade by 2025; by 2035 only new communities need one; by 2050 sub-new and new ones.
Uncontrolled, none of A, B and C carries 2025's demand. :func:`scenario_findings` runs the
planning-index model on A (old), B (sub-new) and C (new) under each bundled scenario and says
which of these statements hold. They hold together only under the ``report`` scenario; why the
others cannot give them (C's orderly limit, 63 %, is above B's, 52 %) is worked out in
``docs/report-contradictions.md``, section 9.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from evgrid.grid.site import report_cases
from evgrid.planning.scenarios import load_scenario, scenario_names
from evgrid.planning.upgrade import first_failing
from evgrid.planning.years import index_years, site_years

CASES = ("A", "B", "C")
FINDINGS: tuple[tuple[str, str, int, frozenset[str]], ...] = (
    ("uncontrolled_all_by_2025", "uncontrolled", 2025, frozenset(CASES)),
    ("orderly_none_by_2025", "orderly", 2025, frozenset()),
    ("orderly_only_new_by_2035", "orderly", 2035, frozenset({"C"})),
    ("orderly_subnew_and_new_by_2050", "orderly", 2050, frozenset({"B", "C"})),
)
"""(key, strategy, by year, the cases that have failed by then) of the report's statements."""


def scenario_findings(names: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """The report's findings under each scenario: upgrade years of A, B, C and what holds.

    Parameters
    ----------
    names
        Scenario names or files; default every bundled scenario.

    Returns
    -------
    list of dict
        Per scenario: ``scenario``, ``description``, ``upgrade_year`` (strategy -> case -> the
        first failing year or None), one boolean per :data:`FINDINGS` key and ``all_hold``.
    """
    cases = report_cases()
    sites = [cases[k] for k in CASES]
    out = []
    for name in names or scenario_names():
        sc = load_scenario(name)
        sy = site_years(sites, sc, basis="report")  # the report's findings, its own basis
        years = np.asarray(sc.years)
        record: dict[str, Any] = {
            "scenario": sc.name,
            "description": sc.description,
            "upgrade_year": {},
        }
        for strategy in ("uncontrolled", "orderly", "partial"):
            loads = index_years(sy, strategy)
            first = first_failing(loads.loading_pu > 0.8 * (1 + 1e-9))
            record["upgrade_year"][strategy] = {
                case: (int(years[i]) if i >= 0 else None)
                for case, i in zip(CASES, first, strict=True)
            }
        for key, strategy, by, failed in FINDINGS:
            found = {
                c for c, y in record["upgrade_year"][strategy].items() if y is not None and y <= by
            }
            record[key] = found == set(failed)
        record["all_hold"] = all(record[k] for k, *_ in FINDINGS)
        out.append(record)
    return out
