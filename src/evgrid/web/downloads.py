"""Every chart and table as a file: tables and chart data as CSV, charts as HTML pages.

A chart's PNG is made in the browser by plotly.js (the camera button of each chart), offline.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from evgrid.planning.result import HostingResult
from evgrid.report.tables import Table

CURVE_COLUMNS = ("pile_ratio", "n_piles", "loading_p50", "loading_p95", "metric_p50", "metric_p95")


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A CSV document (UTF-8 text, ``\\n`` line ends)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def table_csv(table: Table) -> str:
    """A page table as CSV: its header, then its rows as shown."""
    return csv_text(table.header, table.rows)


def columns_csv(columns: Mapping[str, Any]) -> str:
    """Named columns of equal length as CSV (numbers in full precision)."""
    names = list(columns)
    values = [np.asarray(columns[n]).tolist() for n in names]
    return csv_text(names, zip(*values, strict=True))


def curves_csv(results: Sequence[HostingResult]) -> str:
    """The data of the loading-vs-pile-ratio chart: one row per result and pile ratio."""
    header = ["site", "method", "strategy", "participation", "criterion", "limit", "year"]
    rows = []
    for r in results:
        head = [r.site_name, r.method, r.strategy, r.participation, r.criterion, r.limit]
        head.append(r.details.get("year", ""))
        for point in r.to_dict()["curve"]:
            rows.append([*head, *(point[c] for c in CURVE_COLUMNS)])
    return csv_text([*header, *CURVE_COLUMNS], rows)


def impact_csv(impact: Any) -> str:
    """The data of the daily-load chart: hour, regular load, charging and total per strategy."""
    columns: dict[str, Any] = {"hour_h": impact.hour_h, "base_kw": impact.base_kw}
    for item in [impact.uncontrolled, *impact.orderly.values()]:
        columns[f"{item.strategy}_charging_kw"] = item.charging_kw
        columns[f"{item.strategy}_total_kw"] = item.total_kw
    return columns_csv(columns)


def modes_csv(plan: Any) -> str:
    """The data of the charging-modes chart: hour, regular load and each mode's load."""
    return columns_csv(
        {
            "hour_h": plan.hour_h,
            "base_kw": plan.base_kw,
            "fixed_kw": plan.fixed_kw,
            "shared_kw": plan.shared_kw,
            "hub_kw": plan.hub_kw,
        }
    )


def daily_csv(curves: Any) -> str:
    """The data of a daily-curves chart at the limit (time-series tier)."""
    d = curves.to_dict()
    keys = [k for k, v in d.items() if isinstance(v, list) and len(v) == len(d["hour_h"])]
    return columns_csv({k: d[k] for k in keys})


def figure_page(fig: go.Figure) -> str:
    """A chart as one self-contained HTML page (plotly.js inside, works offline)."""
    html: str = fig.to_html(full_html=True, include_plotlyjs=True)
    return html


def figure_div(fig: go.Figure, div_id: str, filename: str) -> str:
    """A chart as a div for a page that loads plotly.js itself; its PNG button saves
    ``filename``.png."""
    config = {"displaylogo": False, "toImageButtonOptions": {"filename": filename, "scale": 2}}
    html: str = fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id, config=config)
    return html
