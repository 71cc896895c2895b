"""The incentives page of a city: the spread sweep over every site of a table.

Tables and figures of :class:`~evgrid.incentives.citywide.CitySweep` and
:func:`city_incentives_html`, with the labels of :mod:`evgrid.report.incentives`.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from evgrid.params import parameter
from evgrid.report.figures import COLOURS, LAYOUT, add_line
from evgrid.report.html import FigureDivs, Section, render_page
from evgrid.report.incentives import _n, _spread_text, labels
from evgrid.report.labels import percent
from evgrid.report.tables import Table


def city_sweep_table(s: Any, lang: str = "en", *, compact: bool = False) -> Table:
    """One row per spread of a city sweep (:class:`~evgrid.incentives.citywide.CitySweep`);
    ``compact`` keeps the columns a terminal has room for."""
    t = labels(lang)
    columns = [
        ("spread", lambda r: f"{r['spread_yuan_per_kwh']:.2f}", True),
        ("share", lambda r: percent(r["share"]), True),
        ("evening_city", lambda r: _n(r["evening_peak_kw"], 0), False),
        ("peak_reduction", lambda r: _n(r["peak_reduction_kw"], 0), True),
        ("owners_saving", lambda r: _n(r["saving_yuan_per_year"], 0), True),
        ("marginal_cost", lambda r: _n(r["marginal_cost_yuan_per_kw"], 0), True),
        ("carbon_t", lambda r: _n(r["carbon_credited_t"], 0), False),
        ("upgrades", lambda r: f"{r['upgrades']} (−{r['upgrades_avoided']})", True),
        ("deferral", lambda r: _n(r["mean_deferral_years"], 2), False),
        ("pv_saved", lambda r: _n(r["pv_saved_yuan"], 0), True),
    ]
    shown = [c for c in columns if c[2] or not compact]
    d = s.to_dict()
    rows = [[cell(r) for _, cell, _ in shown] for r in d["rows"]]
    answer_text = t["answer"].format(
        best=_spread_text(d["best_marginal_spread_yuan_per_kwh"]),
        avg=_spread_text(d["best_average_spread_yuan_per_kwh"]),
        why="",
    )
    title = f"{d['n_sites']} sites, {d['scenario']}, {d['method']}, {d['year']}: {answer_text}"
    return Table(title, [t[key] for key, _, _ in shown], rows)


def city_sweep_figure(s: Any, lang: str = "en") -> go.Figure:
    """City sweep: evening-peak reduction and owners' saving; upgrade cost deferred."""
    t = labels(lang)
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=(t["peak_reduction"], t["pv_saved"]),
        specs=[[{"secondary_y": True}, {"secondary_y": True}]],
    )
    x = s.spreads
    add_line(
        fig, x, s.peak_reduction_kw, t["peak_reduction"], col=1, color=COLOURS["orderly"], width=2.5
    )
    add_line(
        fig,
        x,
        s.saving_at_yuan,
        t["owners_saving"],
        col=1,
        secondary_y=True,
        color=COLOURS["uncontrolled"],
        dash="dot",
    )
    add_line(
        fig, x, s.pv_saved_yuan, t["pv_saved"], col=2, color=COLOURS["valley-filling"], width=2.5
    )
    add_line(
        fig,
        x,
        s.upgrades_before - s.upgrades,
        t["upgrades_avoided"],
        col=2,
        secondary_y=True,
        color=COLOURS["tou"],
        dash="dash",
    )
    report = parameter("report_tariff_spread_yuan_per_kwh").value
    for col in (1, 2):
        fig.add_vline(x=report, line={"color": COLOURS["limit"], "dash": "dash"}, row=1, col=col)
    fig.update_xaxes(title_text=t["spread"])
    fig.update_layout(title=f"{t['sweep']} ({s.year}; {t['report_spread']})", **LAYOUT)
    return fig


def city_incentives_html(s: Any, lang: str = "en") -> str:
    """The ``evgrid incentives SITES --out`` page of a city sweep."""
    t = labels(lang)
    div = FigureDivs()
    sections = [
        Section(
            t["sweep"], figures=[div(city_sweep_figure(s, lang))], table=city_sweep_table(s, lang)
        )
    ]
    settings = [
        ("sites", f"{s.sites} ({s.n_sites} sites, {s.n_errors} refused rows)"),
        ("tariff", s.tariff.name),
        ("response", ", ".join(f"{k} {v:g}" for k, v in s.response.to_dict().items())),
        ("scenario", s.scenario),
        ("method", s.method),
        ("city runs", f"{len(set(s.runs))} in {s.out}/runs"),
    ]
    return render_page(t["incentives_title"], t, lang, sections, settings=settings)
