"""Incentives and what they buy (report sections 5.2 and 6): time-of-use charging tariffs, the
owners' response to the price spread, demand response through a load aggregator, carbon credits
weighted by charging band, the economics of a lever at a site, and a sweep over spreads.

Modules, one concept each: :mod:`~evgrid.incentives.tariffs`,
:mod:`~evgrid.incentives.response`, :mod:`~evgrid.incentives.fleet` (the cars and their loads
under a lever), :mod:`~evgrid.incentives.dr`, :mod:`~evgrid.incentives.carbon`,
:mod:`~evgrid.incentives.economics`, :mod:`~evgrid.incentives.sweep`,
:mod:`~evgrid.incentives.deferral` (the upgrade a lever defers) and
:mod:`~evgrid.incentives.citywide` (the sweep over a city, on the city batch).

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
    "DemandResponsePlan": "evgrid.incentives.dr",
    "Contract": "evgrid.incentives.dr",
    "Event": "evgrid.incentives.dr",
    "load_dr": "evgrid.incentives.dr",
    "site_fleet": "evgrid.incentives.fleet",
    "evaluate_lever": "evgrid.incentives.economics",
    "LeverResult": "evgrid.incentives.economics",
    "sweep_spreads": "evgrid.incentives.sweep",
    "SweepResult": "evgrid.incentives.sweep",
    "site_deferral": "evgrid.incentives.deferral",
    "lever_scenario": "evgrid.incentives.deferral",
    "city_sweep": "evgrid.incentives.citywide",
    "CitySweep": "evgrid.incentives.citywide",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from evgrid.incentives.carbon import CarbonMethod, load_carbon
    from evgrid.incentives.citywide import CitySweep, city_sweep
    from evgrid.incentives.deferral import lever_scenario, site_deferral
    from evgrid.incentives.dr import Contract, DemandResponsePlan, Event, load_dr
    from evgrid.incentives.economics import LeverResult, evaluate_lever
    from evgrid.incentives.fleet import site_fleet
    from evgrid.incentives.response import ResponseCurve, load_response
    from evgrid.incentives.sweep import SweepResult, sweep_spreads
    from evgrid.incentives.tariffs import (
        BandPrice,
        Season,
        Tariff,
        bundled_tariff_names,
        load_tariff,
        report_tariff,
    )

__all__ = list(_EXPORTS)
