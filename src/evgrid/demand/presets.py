"""The bundled behaviour presets: which CSV in ``evgrid/data/behaviour`` feeds which field.

Each preset is a mapping from :class:`~evgrid.demand.behaviour.Behaviour` field to a bundled CSV
file (sources in ``evgrid/data/behaviour/SOURCES.md``) and a one-line description. Fields not
listed take the report's defaults of :data:`REPORT_FILES`.

* ``home`` -- report section 2 with assumed hourly shapes: evening arrival, morning departure,
  AC home piles (3.5 and 7 kW; a site with DC piles says so, ``dc_pile_share``);
* ``office`` -- the same, workplace: morning arrival, evening departure;
* ``report`` -- ``home`` with the charging frequency fitted so that the sampled sessions come as
  close as they can to all of report section 2 together (``docs/demand.md``, "The report
  preset");
* ``elaadnl`` -- measured home sessions in the Netherlands (ElaadNL): arrival, departure and
  energy per session, three plug-ins a week, the Dutch fleet's batteries, a 7 kW pile;
* ``electric-nation`` -- the UK Electric Nation trial: arrival recovered from its diversified
  7 kW profile, its energy per charging day, three plug-ins a week, a 7 kW pile;
* ``design`` -- the design basis (:mod:`evgrid.planning.basis`): Electric Nation's arrivals and
  energy per charging day at its planning plug-in factor (70 % of cars charge on a given day),
  the report's batteries (40-90 kWh) and end SOC, 7 kW piles;
* ``design-report-energy`` -- ``design`` with the report's daily energy (9 kWh a day, battery
  side) in place of the measured 21.6 kWh per charging day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType

REPORT_FILES = MappingProxyType(
    {
        "distance_km": "distance.csv",
        "consumption_kwh_per_100km": "consumption.csv",
        "battery_kwh": "battery.csv",
        "end_soc": "end_soc.csv",
        "charger_power_kw": "charger_power.csv",
        "charge_interval_days": "charge_interval.csv",
    }
)
"""The report's section-2 distributions, shared by the presets unless they replace one."""


@dataclass(frozen=True)
class PresetSpec:
    """A bundled behaviour: CSV file per field and what it describes.

    Parameters
    ----------
    description
        One line: what population the preset describes and from which source.
    files
        Behaviour field -> CSV file in ``evgrid/data/behaviour``; fields not named take
        :data:`REPORT_FILES`.
    kind
        The sites it describes: ``"residential"`` or ``"office"``.
    """

    description: str
    files: MappingProxyType[str, str] = field(default_factory=lambda: MappingProxyType({}))
    kind: str = "residential"

    def all_files(self) -> dict[str, str]:
        """Every distribution field with its CSV file (the report's unless replaced)."""
        return {**REPORT_FILES, **self.files}


def _spec(description: str, kind: str = "residential", **files: str) -> PresetSpec:
    return PresetSpec(description, MappingProxyType(files), kind)


PRESETS: MappingProxyType[str, PresetSpec] = MappingProxyType(
    {
        "home": _spec(
            "residential, report section 2 (assumed hourly shapes): evening arrival, morning "
            "departure",
            arrival_hour="arrival_home.csv",
            departure_hour="departure_home.csv",
            charger_power_kw="charger_power_home.csv",
        ),
        "office": _spec(
            "workplace, report section 2 (assumed hourly shapes): morning arrival, evening "
            "departure",
            kind="office",
            arrival_hour="arrival_office.csv",
            departure_hour="departure_office.csv",
        ),
        "report": _spec(
            "residential, report section 2 with the charging frequency fitted to all of its "
            "statistics together",
            arrival_hour="arrival_home.csv",
            departure_hour="departure_home.csv",
            charger_power_kw="charger_power_home.csv",
            charge_interval_days="charge_interval_report.csv",
        ),
        "elaadnl": _spec(
            "residential, measured home sessions in the Netherlands (ElaadNL), 3 plug-ins a "
            "week, 7 kW pile",
            arrival_hour="arrival_elaadnl.csv",
            departure_hour="departure_elaadnl.csv",
            session_energy_kwh="session_energy_elaadnl.csv",
            battery_kwh="battery_nl.csv",
            charger_power_kw="charger_power_7kw.csv",
            charge_interval_days="charge_interval_3_per_week.csv",
        ),
        "electric-nation": _spec(
            "residential, UK Electric Nation trial (7 kW chargers), 3 plug-ins a week, 7 kW pile",
            arrival_hour="arrival_electric_nation.csv",
            departure_hour="departure_elaadnl.csv",
            session_energy_kwh="session_energy_electric_nation.csv",
            battery_kwh="battery_nl.csv",
            charger_power_kw="charger_power_7kw.csv",
            charge_interval_days="charge_interval_3_per_week.csv",
        ),
        "design": _spec(
            "residential, design basis: measured home charging (Electric Nation arrivals and "
            "energy per charging day) at a daily plug-in factor of 0.7, the report's batteries, "
            "7 kW piles",
            arrival_hour="arrival_electric_nation.csv",
            departure_hour="departure_elaadnl.csv",
            session_energy_kwh="session_energy_electric_nation.csv",
            charger_power_kw="charger_power_7kw.csv",
            charge_interval_days="charge_interval_design.csv",
        ),
        "design-report-energy": _spec(
            "residential, the design basis with the report's daily energy (9 kWh a day, "
            "battery side) instead of the measured one",
            arrival_hour="arrival_electric_nation.csv",
            departure_hour="departure_elaadnl.csv",
            session_energy_kwh="session_energy_report_daily.csv",
            charger_power_kw="charger_power_7kw.csv",
            charge_interval_days="charge_interval_design.csv",
        ),
    }
)
"""Bundled presets by name, in the order :meth:`Behaviour.presets` lists them."""
