"""evgrid: how many EV charging piles can a distribution transformer host?

The front door, as ``import pvlib`` is for solar: every name a user needs is here, loaded on
first use so that ``import evgrid`` stays light.

* sites: :func:`load_site`, :func:`parse_site`, :func:`report_cases`, :data:`Site` (what
  :func:`load_site` returns: a :class:`ResidentialSite` or an :class:`OfficeSite`);
* jobs as the command line, the web app and the API run them, one request object each, whose
  ``run()`` answers with the one JSON envelope (``to_dict()``): :class:`HostingRequest`,
  :class:`ScheduleRequest`, :class:`LoadRequest`, :class:`SampleRequest`,
  :class:`ReproduceRequest`, :class:`CityRequest`, :class:`UpgradeRequest`,
  :class:`IncentivesRequest`;
* hosting capacity, both tiers, one result type: :func:`hosting`, :class:`HostingResult`;
* demand: :class:`Behaviour`, :func:`sample_sessions`, :class:`Sessions`, :func:`read_sessions`,
  :func:`write_sessions`;
* charging: :func:`schedule`, :class:`Schedule`, :func:`strategy_names`, :func:`get_strategy`,
  :class:`TimeGrid`;
* the grid: :class:`Transformer`; base load: :func:`read_load_curve`, :func:`typical_curve`,
  :class:`LoadCurve`;
* defaults: :data:`PARAMETERS`, :func:`parameter`, :class:`ResidentialAssumptions`,
  :class:`OfficeAssumptions`;
* the report: :func:`reproduce`, :func:`orderly_impact`, :func:`coincidence_factor`;
* the low-voltage network: :func:`network` (a network study: three-phase power flow, limits,
  hosting per strategy; ``evgrid.network`` is also the package :mod:`evgrid.network`, callable),
  :func:`load_network`;
* years: :func:`site_upgrade` (one site's upgrade timeline under a scenario, as a city run
  computes it), :func:`city_settings`;
* errors: :class:`EvgridError`, :class:`InputError`, :class:`InfeasibleError`.

Layers (imports point down, checked in CI): faces (``cli``, ``web``) → ``jobs`` → ``report`` →
``planning`` → domain (``charging``, ``demand``, ``grid``, ``load``) → base (``sessions``,
``timegrid``, ``params``, ``errors``, ``fileio``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from evgrid._lazy import lazy_exports
from evgrid._version import __version__
from evgrid.errors import EvgridError, InfeasibleError, InputError

_EXPORTS = {
    "load_site": "evgrid.grid.site",
    "parse_site": "evgrid.grid.site",
    "report_cases": "evgrid.grid.site",
    "ResidentialSite": "evgrid.grid.site",
    "OfficeSite": "evgrid.grid.site",
    "Site": "evgrid.grid.site",
    "HostingRequest": "evgrid.jobs.hosting",
    "ScheduleRequest": "evgrid.jobs.charging",
    "LoadRequest": "evgrid.jobs.charging",
    "SampleRequest": "evgrid.jobs.charging",
    "ReproduceRequest": "evgrid.jobs.reproduce",
    "CityRequest": "evgrid.jobs.city",
    "UpgradeRequest": "evgrid.jobs.city",
    "IncentivesRequest": "evgrid.jobs.incentives",
    "NetworkRequest": "evgrid.jobs.network",
    "hosting": "evgrid.planning.hosting",
    "HostingResult": "evgrid.planning.result",
    "RegularLoad": "evgrid.planning.result",
    "Behaviour": "evgrid.demand.behaviour",
    "sample_sessions": "evgrid.demand.sampling",
    "Sessions": "evgrid.sessions",
    "read_sessions": "evgrid.demand.io",
    "write_sessions": "evgrid.demand.io",
    "schedule": "evgrid.charging.strategies",
    "strategy_names": "evgrid.charging.strategies",
    "get_strategy": "evgrid.charging.strategies",
    "Schedule": "evgrid.charging.schedule",
    "TimeGrid": "evgrid.timegrid",
    "Transformer": "evgrid.grid.transformer",
    "read_load_curve": "evgrid.load.measured",
    "typical_curve": "evgrid.load.shapes",
    "LoadCurve": "evgrid.load.curve",
    "PARAMETERS": "evgrid.params",
    "parameter": "evgrid.params",
    "ResidentialAssumptions": "evgrid.planning.assumptions",
    "OfficeAssumptions": "evgrid.planning.assumptions",
    "reproduce": "evgrid.planning.reproduce",
    "orderly_impact": "evgrid.planning.orderly_impact",
    "coincidence_factor": "evgrid.planning.coincidence",
    "site_upgrade": "evgrid.city.site_upgrade",
    "city_settings": "evgrid.city.settings",
    "network": "evgrid.network",
    "load_network": "evgrid.network.formats",
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:  # the real types for mypy and editors
    from evgrid.charging.schedule import Schedule
    from evgrid.charging.strategies import get_strategy, schedule, strategy_names
    from evgrid.city.settings import city_settings
    from evgrid.city.site_upgrade import site_upgrade
    from evgrid.demand.behaviour import Behaviour
    from evgrid.demand.io import read_sessions, write_sessions
    from evgrid.demand.sampling import sample_sessions
    from evgrid.grid.site import (
        OfficeSite,
        ResidentialSite,
        Site,
        load_site,
        parse_site,
        report_cases,
    )
    from evgrid.grid.transformer import Transformer
    from evgrid.jobs.charging import LoadRequest, SampleRequest, ScheduleRequest
    from evgrid.jobs.city import CityRequest, UpgradeRequest
    from evgrid.jobs.hosting import HostingRequest
    from evgrid.jobs.incentives import IncentivesRequest
    from evgrid.jobs.network import NetworkRequest
    from evgrid.jobs.reproduce import ReproduceRequest
    from evgrid.load.curve import LoadCurve
    from evgrid.load.measured import read_load_curve
    from evgrid.load.shapes import typical_curve
    from evgrid.network import network as network
    from evgrid.network.formats import load_network
    from evgrid.params import PARAMETERS, parameter
    from evgrid.planning.assumptions import OfficeAssumptions, ResidentialAssumptions
    from evgrid.planning.coincidence import coincidence_factor
    from evgrid.planning.hosting import hosting
    from evgrid.planning.orderly_impact import orderly_impact
    from evgrid.planning.reproduce import reproduce
    from evgrid.planning.result import HostingResult, RegularLoad
    from evgrid.sessions import Sessions
    from evgrid.timegrid import TimeGrid

__all__ = ["EvgridError", "InfeasibleError", "InputError", "__version__", *_EXPORTS]
