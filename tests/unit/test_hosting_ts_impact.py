"""Figure 6–7 comparison (orderly vs uncontrolled) and the time-series figures."""

from __future__ import annotations

import json
import warnings

import numpy as np
import plotly.graph_objects as go
import pytest

from evgrid.errors import InputError
from evgrid.grid.site import report_cases
from evgrid.planning.orderly_impact import OrderlyImpact, orderly_impact
from evgrid.planning.timeseries.run import timeseries_hosting
from evgrid.report.figures import daily_curves_figure, hosting_figure, orderly_impact_figure
from evgrid.report.html import FigureDivs


@pytest.fixture(scope="module")
def impact() -> OrderlyImpact:
    warnings.filterwarnings("ignore", message=".*104.2 %.*")
    return orderly_impact(report_cases()["A"], days=7, rng=3)


def test_valley_filling_lowers_total_peak_and_keeps_energy(impact: OrderlyImpact) -> None:
    assert impact.n_evs == round(0.22 * 324)
    free, optimum = impact.uncontrolled, impact.orderly["valley-filling"]
    # the optimum minimises the peak of base + charging: never above uncontrolled
    assert optimum.total_peak_kw <= free.total_peak_kw + 1e-6
    assert impact.total_peak_reduction("valley-filling") >= -1e-9
    # every energy that uncontrolled charging delivers is delivered by the optimum too, except
    # what no longer fits a window clipped to its day block (well under 0.1 % of the energy);
    # over seven days the typical-day energy differs only by the energy moved across window edges
    assert optimum.unmet_share <= free.unmet_share + 1e-3
    assert optimum.charging_kw.sum() == pytest.approx(free.charging_kw.sum(), rel=0.1)
    # the optimum charges in the night valley, not at the evening peak
    assert not 17.0 <= optimum.charging_peak_hour_h < 23.0


def test_reductions_are_consistent_with_peaks(impact: OrderlyImpact) -> None:
    tou = impact.orderly["tou"]
    want = 1.0 - tou.charging_peak_kw / impact.uncontrolled.charging_peak_kw
    assert impact.charging_peak_reduction("tou") == pytest.approx(want)
    doc = json.loads(json.dumps(impact.to_dict(curves=True)))
    assert doc["report"]["charging_peak_reduction"] == 0.26
    assert len(doc["orderly"]["valley-filling"]["charging_kw"]) == 96
    assert np.allclose(impact.base_kw + tou.charging_kw, tou.total_kw)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"ev_share": 0.0}, "ev_share"),
        ({"days": 0}, "days"),
        ({"strategies": ("magic",)}, "strategy"),
    ],
)
def test_bad_input(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(InputError, match=field):
        orderly_impact(report_cases()["A"], **kwargs)  # type: ignore[arg-type]


def test_figures_build(impact: OrderlyImpact) -> None:
    result = timeseries_hosting(report_cases()["A"], days=3, rng=1)
    assert result.at_limit_p95 is not None
    for fig in (
        hosting_figure([result]),
        hosting_figure([result], lang="zh"),
        daily_curves_figure(result.at_limit_p95),
        orderly_impact_figure(impact),
    ):
        assert isinstance(fig, go.Figure) and len(fig.data) >= 3
    divs = FigureDivs()
    div = divs(hosting_figure([result]))
    assert div.startswith("<div") and "plotly" in div and 'id="evgrid-figure-1"' in div
    # the same figure gives the same page text (no random element ids)
    assert FigureDivs()(hosting_figure([result])) == div
    with pytest.raises(InputError, match="lang"):
        hosting_figure([result], lang="fr")
