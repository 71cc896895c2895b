"""Sites through the years of a scenario: pile ratio, regular load and, for the index tier, loading.

:func:`site_years` turns a list of sites and a :class:`~evgrid.planning.scenarios.Scenario` into
arrays of shape ``(n_sites, n_years)`` (type, pile ratio, growth of the regular load);
:func:`index_years` evaluates the planning-index model (the report's figures 1–2 for
communities, section 4.2 for office parks) on all sites, years and one strategy at once, in
closed form: a city of 10 000 sites in well under a second.

Strategies (:data:`STRATEGIES`): ``uncontrolled``; ``orderly`` (every pile under orderly
control: the report's "fully orderly"); ``partial`` (the scenario's orderly participation by
year, the rest uncontrolled: "reality lies between"). The index model of an office park adds its
charging at the daytime peak whatever the strategy (report 4.2), so office rows are the same
under all three.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from evgrid.errors import bad_value
from evgrid.grid.site import OfficeSite, ResidentialSite, Site
from evgrid.planning.assumptions import OfficeAssumptions, ResidentialAssumptions
from evgrid.planning.index import (
    community_type,
    demand_coefficient,
    regular_load,
    residential_loads_kw,
)
from evgrid.planning.office import kw_per_charging_space_at, office_loads_kw
from evgrid.planning.scenarios import Scenario, regular_growth
from evgrid.timegrid import FloatArray, IntArray

STRATEGIES = ("uncontrolled", "orderly", "partial")
"""The strategies of a scenario run: none, all and the scenario's share of piles orderly."""


def site_kind(site: Site, study_year: int, a: ResidentialAssumptions) -> str:
    """The scenario type of a site: ``old``, ``sub-new``, ``new`` or ``office``.

    Raises
    ------
    InputError
        A community with neither ``type`` nor ``built``.
    """
    if isinstance(site, OfficeSite):
        return "office"
    kind = community_type(site, study_year, a.old_built_before, a.new_within_years)
    if kind is None:
        raise bad_value(
            f"{site.name}: type",
            None,
            "old, sub-new or new, or a build year (built): a scenario "
            "grows cars and load by community type",
        )
    return kind


@dataclass(frozen=True, eq=False)
class SiteYears:
    """Scenario inputs of many sites by year.

    Parameters
    ----------
    years
        Evaluated years, ``(n_years,)`` [year].
    kind
        Scenario type per site, ``(n_sites,)``.
    spaces, households, rating_kva, power_factor
        Per site, ``(n_sites,)`` [-, -, kVA, -] (households 0 for offices); ``power_factor`` is
        the charging load's, the one the loading is read at.
    ev_share, participation
        By year, ``(n_years,)`` [-].
    pile_ratio
        ``(n_sites, n_years)`` [-].
    peak_kw, valley_kw
        Regular load in the base year (index basis: measured, or the planning index for a
        community still filling up; offices at saturation), ``(n_sites,)`` [kW].
    cap_kw
        Planning-index load the regular load grows to at most (inf for offices) [kW].
    rate, fill
        Growth rule per site: yearly rate [1/year], or years to fill up (NaN: use the rate).
    base_year
        Year of the regular load [year].
    regular_scale
        Regular kW to kW at the charging power factor, per site ``(n_sites,)`` [-]
        (:attr:`evgrid.grid.transformer.Transformer.regular_scale`).
    base_day_kw
        The design day's regular load of each site at the base year, ``(n_sites, slots)`` [kW];
        None on the report basis (its index tier needs only the peak and valley).
    basis
        The design basis.
    quantile
        Per site, the charging day its design day takes [percentile]
        (:func:`evgrid.planning.design_index.design_quantile_of`); None on the report basis.
    """

    years: IntArray
    kind: npt.NDArray[np.str_]
    spaces: FloatArray
    households: FloatArray
    rating_kva: FloatArray
    power_factor: FloatArray
    ev_share: FloatArray
    participation: FloatArray
    pile_ratio: FloatArray
    peak_kw: FloatArray
    valley_kw: FloatArray
    cap_kw: FloatArray
    rate: FloatArray
    fill: FloatArray
    base_year: int
    regular_scale: FloatArray | None = None
    base_day_kw: FloatArray | None = None
    basis: Any = None
    quantile: FloatArray | None = None

    @property
    def residential(self) -> npt.NDArray[np.bool_]:
        """Which sites are communities, ``(n_sites,)``."""
        return np.asarray(self.kind != "office")

    def growth(self, base_kw: FloatArray | None = None) -> FloatArray:
        """Regular load by year ÷ base-year load, ``(n_sites, n_years)`` [-].

        ``base_kw`` replaces the index-basis peak (the time-series tier grows its own curve).
        """
        base = self.peak_kw if base_kw is None else base_kw
        return regular_growth(base, self.cap_kw, self.years, self.base_year, self.rate, self.fill)


def site_years(
    sites: Sequence[Site],
    scenario: Scenario,
    residential: ResidentialAssumptions | None = None,
    basis: Any = None,
) -> SiteYears:
    """Scenario inputs of ``sites`` in the scenario's years.

    Parameters
    ----------
    sites
        The sites.
    scenario
        The scenario; its base year is the study year that decides which communities are new.
    residential
        Index-model parameters of communities (default: the parameter table).
    basis
        The design basis (default the parameter ``basis``): power factors and, off the report
        basis, each community's design day.
    """
    from evgrid.planning.basis import load_basis, site_transformer
    from evgrid.planning.design_curve import index_demand

    chosen = load_basis(basis)
    a = residential or ResidentialAssumptions(study_year=scenario.base_year)
    years = np.asarray(scenario.years, dtype=np.int64)
    n = len(sites)
    kind = np.array([site_kind(s, scenario.base_year, a) for s in sites], dtype=object)
    cols = np.zeros((8, n))
    scale = np.ones(n)
    office = OfficeAssumptions()
    design = index_demand(chosen) is not None
    days: list[FloatArray] = []
    quantiles = np.full(n, 95.0)
    for i, s in enumerate(sites):  # gathering fields; the arithmetic below is vectorised
        t = site_transformer(s, chosen)
        scale[i] = t.regular_scale
        if isinstance(s, ResidentialSite):
            reg = regular_load(s, a)
            if design:
                from evgrid.planning.design_index import design_day_kw, design_quantile_of

                days.append(design_day_kw(s, reg, chosen))
                quantiles[i] = design_quantile_of(s, chosen)
            cols[:, i] = (
                s.parking_spaces,
                s.households,
                s.transformer_kva,
                t.charging_power_factor,
                reg.peak_kw,
                reg.valley_kw,
                a.index_kw_per_household * s.households,
                0,
            )
        else:
            regular = office.saturation_factor * s.regular_peak_kw
            if design:
                days.append(np.full(round(1440 / 15.0), regular))
            cols[:, i] = (
                s.parking_spaces,
                0,
                s.transformer_kva,
                t.charging_power_factor,
                regular,
                regular,
                np.inf,
                0,
            )
    ratio = np.zeros((n, years.size))
    rate = np.zeros(n)
    fill = np.full(n, np.nan)
    for k, rule in scenario.types.items():  # four types
        sel = kind == k
        ratio[sel] = scenario.pile_ratio(k, years)
        rate[sel] = 0.0 if rule.load_growth_per_year is None else rule.load_growth_per_year.value
        fill[sel] = np.nan if rule.fill_years is None else rule.fill_years.value
    return SiteYears(
        years=years,
        kind=kind.astype(str),
        spaces=cols[0],
        households=cols[1],
        rating_kva=cols[2],
        power_factor=cols[3],
        ev_share=scenario.ev_share_at(years),
        participation=scenario.participation_at(years),
        pile_ratio=ratio,
        peak_kw=cols[4],
        valley_kw=cols[5],
        cap_kw=cols[6],
        rate=rate,
        fill=fill,
        base_year=scenario.base_year,
        regular_scale=scale,
        base_day_kw=np.stack(days) if design and days else None,
        basis=chosen,
        quantile=quantiles if design else None,
    )


def orderly_share(sy: SiteYears, strategy: str) -> FloatArray:
    """Share of piles under orderly control per site and year, ``(n_sites, n_years)`` [-]."""
    if strategy not in STRATEGIES:
        raise bad_value("strategy", strategy, ", ".join(STRATEGIES))
    shape = sy.pile_ratio.shape
    if strategy == "uncontrolled":
        return np.zeros(shape)
    if strategy == "orderly":
        return np.ones(shape)
    return np.broadcast_to(sy.participation[None, :], shape).copy()


@dataclass(frozen=True, eq=False)
class YearLoads:
    """Loads and loading of many sites by year under one strategy, ``(n_sites, n_years)``.

    Parameters
    ----------
    evening_kw
        Load at the residential evening peak, 20:00–21:00 (report 3.1); NaN for offices [kW].
    night_kw
        Load in the night valley; NaN for offices [kW].
    peak_kw
        The load the criterion judges: the larger of the two, or an office's daytime peak [kW].
    loading_pu
        ``peak_kw / (power factor × kVA)`` [pu].
    orderly_share
        Share of piles charging orderly [-].
    regular_kw, charging_kw
        The regular load's peak and the charging load's own peak (as on a dedicated charging
        transformer), both at the charging power factor [kW].
    """

    evening_kw: FloatArray
    night_kw: FloatArray
    peak_kw: FloatArray
    loading_pu: FloatArray
    orderly_share: FloatArray
    regular_kw: FloatArray | None = None
    charging_kw: FloatArray | None = None


def index_years(
    sy: SiteYears,
    strategy: str,
    residential: ResidentialAssumptions | None = None,
    office: OfficeAssumptions | None = None,
    end: str = "",
) -> YearLoads:
    """The planning-index model on every site and year under one strategy (closed form).

    Parameters
    ----------
    sy
        Scenario inputs (:func:`site_years`).
    strategy
        ``uncontrolled``, ``orderly`` or ``partial`` (:data:`STRATEGIES`).
    residential, office
        Model parameters (default: the parameter table).
    end
        Off the report basis: ``""``, or ``"_low"`` / ``"_high"``, the ends of the coincidence
        curve's interval (for the interval of an upgrade year).
    """
    a = residential or ResidentialAssumptions(study_year=sy.base_year)
    oa = office or OfficeAssumptions()
    share = orderly_share(sy, strategy)
    growth = sy.growth()
    piles = sy.pile_ratio * sy.spaces[:, None]
    scale = np.ones(sy.spaces.size) if sy.regular_scale is None else sy.regular_scale
    regular = (sy.peak_kw * scale)[:, None] * growth
    if sy.base_day_kw is None:
        evening, night = residential_loads_kw(
            regular, (sy.valley_kw * scale)[:, None] * growth, piles, share, a
        )
        day_peak = np.maximum(evening, night)
        unc = piles * (1.0 - share) * a.charging_share
        k = demand_coefficient(unc, a.demand_coefficient, a.coefficient_bands)
        charging = np.maximum(
            unc * a.pile_rating_kw * k, piles * share * a.charging_share * a.orderly_kw_per_pile
        )
    else:
        from evgrid.planning.design_curve import index_demand
        from evgrid.planning.design_loads import charging_peak_kw, design_loads_kw

        demand = index_demand(sy.basis)
        assert demand is not None
        base = (sy.base_day_kw * scale[:, None])[:, None, :] * growth[:, :, None]
        shape = piles.shape
        evening, night, day_peak, charging = (np.empty(shape) for _ in range(4))
        quantiles = np.full(shape[0], 95.0) if sy.quantile is None else sy.quantile
        for q in np.unique(quantiles):  # sites grouped by their design day (a few groups)
            rows = quantiles == q
            evening[rows], night[rows], day_peak[rows] = design_loads_kw(
                base[rows],
                piles[rows] * a.charging_share,
                share[rows],
                demand,
                pile_kw=a.pile_rating_kw,
                orderly_kw_per_pile=a.orderly_kw_per_pile,
                quantile=float(q),
                end=end,
            )
            charging[rows] = charging_peak_kw(
                piles[rows] * a.charging_share,
                share[rows],
                demand,
                pile_kw=a.pile_rating_kw,
                orderly_kw_per_pile=a.orderly_kw_per_pile,
                quantile=float(q),
            )
    office_kw = office_loads_kw(
        regular,
        sy.spaces[:, None],
        sy.pile_ratio,
        kw_per_charging_space_at(oa, sy.years)[None, :],
    )
    res = sy.residential[:, None]
    peak = np.where(res, day_peak, office_kw)
    office_charging = office_kw - regular
    loading = peak / (sy.power_factor * sy.rating_kva)[:, None]
    return YearLoads(
        evening_kw=np.where(res, evening, np.nan),
        night_kw=np.where(res, night, np.nan),
        peak_kw=peak,
        loading_pu=loading,
        orderly_share=np.where(res, share, 0.0),
        regular_kw=regular,
        charging_kw=np.where(res, charging, office_charging),
    )
