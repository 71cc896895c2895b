"""Incentives and what they buy (report sections 5.2 and 6): time-of-use charging tariffs, the
owners' response to the price spread, demand response through a load aggregator, carbon credits
weighted by charging band, the economics of a lever at a site, and a sweep over spreads.

Modules, one concept each: :mod:`~evgrid.incentives.tariffs`,
:mod:`~evgrid.incentives.response`, :mod:`~evgrid.incentives.fleet` (the cars and their loads
under a lever), :mod:`~evgrid.incentives.dr` (its plans: :mod:`~evgrid.incentives.dr_plan`),
:mod:`~evgrid.incentives.carbon`,
:mod:`~evgrid.incentives.economics`, :mod:`~evgrid.incentives.sweep`,
:mod:`~evgrid.incentives.deferral` (the upgrade a lever defers),
:mod:`~evgrid.incentives.citywide` (the sweep over a city, on the city batch),
:mod:`~evgrid.incentives.pricing` (the NDRC peak:valley rule, moving a tariff within floors),
:mod:`~evgrid.incentives.settlement` (demand-response settlement as provincial rules write it)
and :mod:`~evgrid.incentives.v2g_value` (what V2G adds, the 2024 V2G pilot notice).

Layer: above :mod:`evgrid.city` and :mod:`evgrid.planning` (it uses the city batch, the hosting
front door and the time-series tier); the report layer draws its page and the command line calls
it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from evgrid._lazy import lazy_exports

_EXPORTS = {
    "Tariff": "evgrid.incentives.tariffs",
    "Season": "evgrid.incentives.tariffs",
    "BandPrice": "evgrid.incentives.tariffs",
    "load_tariff": "evgrid.incentives.tariffs",
    "report_tariff": "evgrid.incentives.tariffs",
    "bundled_tariff_names": "evgrid.incentives.tariffs",
    "ResponseCurve": "evgrid.incentives.response",
    "load_response": "evgrid.incentives.response",
    "CarbonMethod": "evgrid.incentives.carbon",
    "load_carbon": "evgrid.incentives.carbon",
    "DemandResponsePlan": "evgrid.incentives.dr_plan",
    "Contract": "evgrid.incentives.dr_plan",
    "Event": "evgrid.incentives.dr_plan",
    "load_dr": "evgrid.incentives.dr_plan",
    "site_fleet": "evgrid.incentives.fleet",
    "evaluate_lever": "evgrid.incentives.economics",
    "LeverResult": "evgrid.incentives.economics",
    "sweep_spreads": "evgrid.incentives.sweep",
    "SweepResult": "evgrid.incentives.sweep",
    "site_deferral": "evgrid.incentives.deferral",
    "lever_scenario": "evgrid.incentives.deferral",
    "city_sweep": "evgrid.incentives.citywide",
    "CitySweep": "evgrid.incentives.citywide",
    "move_tariff": "evgrid.incentives.pricing",
    "tariff_warnings": "evgrid.incentives.pricing",
    "peak_valley_ratio": "evgrid.incentives.pricing",
    "Settlement": "evgrid.incentives.settlement",
    "grid_factor": "evgrid.incentives.carbon",
    "v2g_value": "evgrid.incentives.v2g_value",
    "v2g_deferral": "evgrid.incentives.v2g_value",
    "pilot_check": "evgrid.incentives.v2g_value",
    "V2GValue": "evgrid.incentives.v2g_value",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from evgrid.incentives.carbon import CarbonMethod, grid_factor, load_carbon
    from evgrid.incentives.citywide import CitySweep, city_sweep
    from evgrid.incentives.deferral import lever_scenario, site_deferral
    from evgrid.incentives.dr_plan import Contract, DemandResponsePlan, Event, load_dr
    from evgrid.incentives.economics import LeverResult, evaluate_lever
    from evgrid.incentives.fleet import site_fleet
    from evgrid.incentives.pricing import move_tariff, peak_valley_ratio, tariff_warnings
    from evgrid.incentives.response import ResponseCurve, load_response
    from evgrid.incentives.settlement import Settlement
    from evgrid.incentives.sweep import SweepResult, sweep_spreads
    from evgrid.incentives.tariffs import (
        BandPrice,
        Season,
        Tariff,
        bundled_tariff_names,
        load_tariff,
        report_tariff,
    )
    from evgrid.incentives.v2g_value import V2GValue, pilot_check, v2g_deferral, v2g_value

__all__ = list(_EXPORTS)
