"""The report's office-park model (section 4).

For each planning year: charging spaces = round(parking spaces × pile share of the year); peak
charging load = charging spaces × coincident kW per charging space of the year; regular load at
saturation = saturation factor × the measured peak; total loading = (regular + charging) /
(power_factor × transformer_kva). The office index (42 W/m²) is reported beside it: it is below
both of the report's parks' measured peaks, so the report cannot have used it for the loading
(docs/report-contradictions.md).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from evgrid.errors import bad_value
from evgrid.grid.site import OfficeSite
from evgrid.grid.transformer import Transformer
from evgrid.planning.assumptions import OfficeAssumptions
from evgrid.planning.index import RATIO_STEP_FINE, pile_ratio_axis
from evgrid.planning.result import HostingResult, RegularLoad
from evgrid.timegrid import FloatArray


def round_half_up(x: float) -> int:
    """Round to the nearest integer, halves up (Python's ``round`` rounds halves to even)."""
    return int(np.floor(x + 0.5))


def kw_per_charging_space_at(a: OfficeAssumptions, years: npt.ArrayLike) -> FloatArray:
    """Coincident charging load per office charging space in ``years`` [kW].

    The report gives it for its planning years (2025: 3.088 kW, 2030: 4.56 kW, report 4.2);
    between them it is interpolated linearly, outside them held at the nearest one (an evgrid
    assumption, docs/city.md).
    """
    known = sorted(a.kw_per_charging_space)
    values = [a.kw_per_charging_space[y] for y in known]
    return np.asarray(np.interp(np.asarray(years, dtype=np.float64), known, values))


def office_loads_kw(
    regular_kw: npt.ArrayLike,
    parking_spaces: npt.ArrayLike,
    pile_share: npt.ArrayLike,
    kw_per_space: npt.ArrayLike,
) -> FloatArray:
    """Total peak load of office parks: regular load + charging spaces × kW per space [kW].

    Charging spaces are ``round(parking_spaces × pile_share)``, halves up (report 4.2: 845 ×
    0.25 = 211.25 -> 211). Broadcasts over any shape.
    """
    spaces = np.floor(np.asarray(parking_spaces) * np.asarray(pile_share) + 0.5)
    return np.asarray(regular_kw, dtype=np.float64) + spaces * np.asarray(kw_per_space)


def office_index(
    site: OfficeSite,
    assumptions: OfficeAssumptions | None = None,
    *,
    year: int | None = None,
    strategy: str = "uncontrolled",
    participation: float = 1.0,
    transformer: Transformer | None = None,
    basis: Any = None,
) -> HostingResult:
    """Charging spaces, peak charging load and loading of an office park in a planning year.

    Parameters
    ----------
    site
        The office park.
    assumptions
        Model parameters; defaults reproduce the report (section 4.2).
    year
        Planning year with a pile share and a per-space load (2025 or 2030 by default); default
        the last one.
    strategy, participation
        Only ``"uncontrolled"`` at full participation: the report's office model adds the
        coincident charging load at the daytime peak.
    transformer
        The transformer; default the site's with the basis's power factors.
    basis
        The design basis: its power factors (the regular load is converted to the piles' power
        factor). The office model itself is the report's on every basis: no measured workplace
        charging is bundled (docs/decision.md).

    Returns
    -------
    HostingResult
        Loading against pile ratio with the year's per-space load, the exact largest ratio, and
        in ``details`` the year's pile share, charging spaces, kW per charging space, peak
        charging load, saturated regular load, total loading and the office index load.
    """
    a = assumptions or OfficeAssumptions()
    if strategy != "uncontrolled" or participation != 1.0:
        raise bad_value(
            "strategy",
            strategy if strategy != "uncontrolled" else f"participation {participation}",
            "'uncontrolled' at participation 1 for an office park with the index method "
            "(report 4.2); use --method timeseries for coordinated office charging",
        )
    years = a.years
    chosen = years[-1] if year is None else year
    if chosen not in years:
        raise bad_value("year", year, "one of " + ", ".join(str(y) for y in years))
    from evgrid.planning.basis import load_basis, site_transformer

    chosen_basis = load_basis(basis)
    t = transformer or site_transformer(site, chosen_basis)
    scale = t.regular_scale
    capacity_kw = t.charging_power_factor * t.rating_kva
    regular_kw = a.saturation_factor * site.regular_peak_kw
    ratios = pile_ratio_axis(RATIO_STEP_FINE)
    share = a.pile_share[chosen]
    kw_space = a.kw_per_charging_space[chosen]
    spaces = round_half_up(site.parking_spaces * share)
    charging_kw = float(office_loads_kw(0.0, site.parking_spaces, share, kw_space))
    full_kw = site.parking_spaces * kw_space
    headroom_kw = a.limit_pu * capacity_kw - regular_kw * scale
    if headroom_kw < 0:
        max_ratio = 0.0
    elif full_kw <= 0:
        max_ratio = 1.0
    else:
        max_ratio = float(min(headroom_kw / full_kw, 1.0))
    curve = (regular_kw * scale + ratios * full_kw) / capacity_kw
    return HostingResult.from_index_curve(
        site_name=site.name,
        strategy="uncontrolled",
        participation=1.0,
        limit=a.limit_pu,
        n_spaces=site.parking_spaces,
        pile_ratios=ratios,
        loading=curve,
        max_pile_ratio=max_ratio,
        regular=RegularLoad(regular_kw, regular_kw, "measured peak at saturation"),
        details={
            "year": chosen,
            "pile_share": share,
            "charging_spaces": spaces,
            "kw_per_charging_space": kw_space,
            "kw_per_pile": kw_space,
            "peak_charging_kw": charging_kw,
            "regular_peak_kw": site.regular_peak_kw,
            "peak_year": site.peak_year,
            "regular_kw": regular_kw,
            "total_loading_pu": (regular_kw * scale + charging_kw) / capacity_kw,
            "index_kw": a.index_w_per_m2 * site.floor_area_m2 / 1000.0,
            "transformer_kva": t.rating_kva,
            "power_factor": t.power_factor,
            "power_factor_ev": t.charging_power_factor,
            "basis": chosen_basis.name,
        },
        basis=chosen_basis.name,
    )
