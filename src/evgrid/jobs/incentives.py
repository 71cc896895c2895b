"""The incentives job: what a tariff, an aggregator and carbon credits buy (``evgrid incentives``).

One site (a site document): the lever's peaks, money and carbon, and a sweep of the spread; a
city (a site table): the sweep over every site on the city batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evgrid.errors import bad_value
from evgrid.jobs.fields import Answer, Progress, Request, option
from evgrid.jobs.inputs import SITE_SUFFIXES, TABLE_SUFFIXES, site_echo, site_input
from evgrid.jobs.options import (
    BASIS,
    CLI_ONLY,
    COST_PER_KVA,
    COST_TABLE,
    DISCHARGE,
    DISCOUNT_RATE,
    METHOD,
    SCENARIO,
    SEED,
    WEAR,
)

if TYPE_CHECKING:
    from evgrid.report.tables import Table

DOCUMENTS = (".yaml", ".yml", ".json")
CITY_SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm", ".parquet", ".pq")
"""A site table (a city) rather than a site document."""
SITE_ONLY = ("dr", "strategy", "ev_share", "v2g")
V2G_OPTIONS = ("v2g_share", "wear_yuan_per_kwh", "discharge_kw")
"""Options of V2G, used only with ``v2g``."""
CITY_ONLY = ("method", "workers", "year")


def site_or_table(value: Any) -> Any:
    """A site table's path (a city) as it is; anything else as a site (:func:`site_input`)."""
    if isinstance(value, str | Path) and Path(value).suffix.lower() in CITY_SUFFIXES:
        return Path(value)
    return site_input(value)


def tariff_names() -> tuple[str, ...]:
    """The bundled tariffs."""
    from evgrid.incentives.tariffs import bundled_tariff_names

    return tuple(bundled_tariff_names())


@dataclass(frozen=True, kw_only=True)
class IncentivesRequest(Request):
    """What incentives buy: a time-of-use tariff, demand response, carbon credits."""

    kind = "incentives"

    site: Any = option(
        help="Site document (YAML or JSON), or a site table (CSV, Excel, Parquet): a city",
        argument=True,
        file=SITE_SUFFIXES + TABLE_SUFFIXES + (".txt", ".xlsm", ".pq"),
        load=site_or_table,
        echo=lambda v: str(v) if isinstance(v, Path) else site_echo(v),
        zh="场地或场地表",
    )
    tariff: str | None = option(
        help="Charging tariff: a bundled one or a tariff file (YAML/JSON) (default: report, "
        "peak 08:00-23:00, valley 23:00-08:00, spread {report_tariff_spread_yuan_per_kwh} "
        "yuan/kWh); a tariff below the NDRC peak:valley rule is flagged",
        names=lambda: ("report", *tariff_names()),
        zh="电价",
    )
    response: Path | None = option(
        help="Owner-response file (YAML/JSON): dead_zone_yuan_per_kwh "
        "({response_dead_zone_yuan_per_kwh}), saturation_yuan_per_kwh "
        "({response_saturation_yuan_per_kwh}), max_share ({response_max_share})",
        file=DOCUMENTS,
        zh="车主响应",
    )
    dr: Path | None = option(
        help="Site: a demand-response plan (YAML/JSON): contracts, events, prices",
        file=DOCUMENTS,
        zh="需求响应",
    )
    carbon: Path | None = option(
        help="Carbon-credit method (YAML/JSON): factors, band weights, credit price (default: "
        "the parameter table)",
        file=DOCUMENTS,
        zh="碳积分",
    )
    sweep: str | None = option(
        help="Also sweep the tariff's peak-valley spread, spread=START:STOP:STEP [yuan/kWh] "
        "(e.g. spread=0:1:0.05; the valley energy price stays above "
        "{valley_energy_floor_yuan_per_kwh} yuan/kWh, the peak rises for the rest), or the "
        "peak:valley energy-price ratio, ratio=START:STOP:STEP (site only)",
        zh="价差扫描",
    )
    strategy: str | None = option(
        help="Site: what responding owners do, tou (wait for the valley price) or "
        "valley-filling (under an aggregator)",
        param="response_strategy",
        zh="响应方式",
    )
    ev_share: float | None = option(
        help="Site: share of parking spaces with an EV [-]", param="ev_share_2025_medium",
        zh="电动汽车比例",
    )  # fmt: skip
    days: int | None = option(
        help="Monte Carlo days [day]: site {impact_days}, city with timeseries {monte_carlo_days}",
        allowed="integer [1, 36600]",
        unit="day",
        zh="模拟天数",
    )
    seed: int | None = option(like=SEED)
    basis: str | None = option(like=BASIS)
    scenario: str | None = option(
        like=SCENARIO,
        help="EV-growth scenario of the upgrade timeline: a bundled one or a scenario file",
    )
    cost_per_kva: float | None = option(like=COST_PER_KVA)
    cost_table: Path | None = option(like=COST_TABLE)
    discount_rate: float | None = option(like=DISCOUNT_RATE)
    method: str | None = option(
        like=METHOD, help="City: the city batch's tier, index (default) or timeseries"
    )
    workers: int | None = option(
        help="City: local processes [-]", allowed="integer [1, 1024]", faces=CLI_ONLY
    )
    year: int | None = option(
        help="City: scenario year of the answer [year] (default its first)",
        allowed="integer [1900, 2200]",
        zh="年份",
    )
    v2g: bool = option(
        False,
        help="Site: also V2G on the same cars, its discharge paid at the tariff: what it earns, "
        "the owners' and the aggregator's money and the V2G day",
        zh="车网互动（V2G）",
    )
    v2g_share: float | None = option(
        help="v2g: share of the piles that are bidirectional [-]", param="v2g_share", zh="V2G 比例"
    )
    wear_yuan_per_kwh: float | None = option(like=WEAR)
    discharge_kw: float | None = option(like=DISCHARGE)

    @property
    def city(self) -> bool:
        """A site table (a city) rather than one site."""
        site = self.site
        return isinstance(site, str | Path) and Path(site).suffix.lower() in CITY_SUFFIXES

    def validate(self) -> None:
        """Options of one site are refused for a city and the other way round."""
        if self.cost_table is not None and self.cost_per_kva is not None:
            raise bad_value("cost_table", str(self.cost_table), "either cost_table or cost_per_kva")
        names: tuple[str, ...]
        if self.city:
            names, why = SITE_ONLY, "a site document's option (not used for a city)"
            if (self.method or "index") == "index":
                for name in ("days", "seed"):
                    if getattr(self, name) is not None:
                        raise bad_value(
                            name,
                            getattr(self, name),
                            "not used by the index method (timeseries only)",
                        )
        else:
            names, why = CITY_ONLY, "a city's option (a site table), not used for one site"
        for name in names:
            if getattr(self, name) not in (None, False):
                raise bad_value(name, getattr(self, name), why)
        for name in V2G_OPTIONS:
            if not self.v2g and getattr(self, name) is not None:
                raise bad_value(name, getattr(self, name), "only with v2g")

    def run(self, progress: Progress | None = None, *, out: Path | None = None) -> Answer:
        """The lever (and sweep) of a site, or the sweep of a city (its runs go to ``out``)."""
        from evgrid.incentives.sweep import parse_sweep_spec
        from evgrid.planning.upgrade import CostModel, read_cost_table

        mode, spreads = ("spread", None) if self.sweep is None else parse_sweep_spec(self.sweep)
        cost = (
            read_cost_table(self.cost_table)
            if self.cost_table
            else CostModel(per_kva=self.cost_per_kva)
        )
        common: dict[str, Any] = {
            "tariff": self.tariff,
            "response": self.response,
            "carbon": self.carbon,
        }
        upgrade: dict[str, Any] = {"cost": cost, "discount_rate": self.discount_rate}
        scenario = self.scenario or _default_scenario()
        if self.city:
            if out is None:
                raise bad_value("out", None, "a folder: a city sweep writes its city runs there")
            if mode == "ratio":
                raise bad_value(
                    "sweep", self.sweep, "spread=START:STOP:STEP for a city (ratio: site only)"
                )
            return self._city(spreads, out, common, upgrade, scenario)
        return self._site(mode, spreads, common, upgrade, scenario)

    def _site(
        self,
        mode: str,
        spreads: Any,
        common: dict[str, Any],
        upgrade: dict[str, Any],
        scenario: str,
    ) -> Answer:
        from evgrid.incentives.economics import evaluate_lever
        from evgrid.incentives.fleet import site_fleet
        from evgrid.incentives.flows import money_flows
        from evgrid.incentives.sweep import sweep_spreads
        from evgrid.params import default
        from evgrid.planning.scenarios import load_scenario

        loaded = self.site
        chosen = load_scenario(scenario)
        rng = default("seed") if self.seed is None else self.seed
        fleet = site_fleet(
            loaded, ev_share=self.ev_share, days=self.days, rng=rng, basis=self.basis
        )
        lever = evaluate_lever(
            loaded,
            basis=self.basis,
            dr=self.dr,
            strategy=self.strategy,
            fleet=fleet,
            scenario=chosen,
            **common,
            **upgrade,
        )
        swept = None
        if spreads is not None:
            swept = sweep_spreads(
                loaded,
                spreads,
                mode=mode,
                basis=self.basis,
                fleet=fleet,
                strategy=self.strategy,
                tariff=common["tariff"],
                response=common["response"],
            )
        v2g = self._v2g(fleet, lever) if self.v2g else None
        levered = lever.to_dict()
        sweep_doc = None if swept is None else swept.to_dict()
        doc = {"lever": levered, "sweep": sweep_doc}
        warnings = [*levered["warnings"], *(sweep_doc["warnings"] if sweep_doc else [])]
        document = {
            "peak_valley_ratio": levered["peak_valley_ratio"],
            "warnings": warnings,
            **doc,
            "v2g": None if v2g is None else v2g.to_dict(curves=True),
            "money_flows": money_flows(lever, None if v2g is None else v2g.money),
        }
        return SiteIncentives(self, (lever, swept, v2g), document, doc)

    def _v2g(self, fleet: Any, lever: Any) -> Any:
        """V2G on the lever's cars, priced at its tariff
        (:func:`evgrid.incentives.v2g_value.v2g_value`)."""
        from evgrid.incentives.v2g_value import v2g_value

        options = {
            k: getattr(self, k) for k in ("wear_yuan_per_kwh", "discharge_kw")
        }  # the strategy's own options that are given
        return v2g_value(
            self.site,
            fleet=fleet,
            tariff=lever.tariff,
            hosting=False,
            v2g_share=self.v2g_share,
            **{k: v for k, v in options.items() if v is not None},
        )

    def _city(
        self,
        spreads: Any,
        out: Path,
        common: dict[str, Any],
        upgrade: dict[str, Any],
        scenario: str,
    ) -> Answer:
        from evgrid.incentives.citywide import city_sweep
        from evgrid.incentives.tariffs import load_tariff

        if spreads is None:  # the tariff's own spread, against none
            moved = load_tariff(common["tariff"])
            spreads = sorted({0.0, min(moved.spreads_yuan_per_kwh)})
        assert self.site is not None
        result = city_sweep(
            self.site,
            out,
            spreads,
            scenario=scenario,
            method=self.method or "index",
            days=self.days,
            seed=self.seed,
            workers=1 if self.workers is None else self.workers,
            year=self.year,
            **common,
            **upgrade,
        )
        document = result.to_dict()
        return CityIncentives(self, result, document, document)


def _default_scenario() -> str:
    from evgrid.params import default

    return str(default("scenario"))


@dataclass(frozen=True)
class SiteIncentives(Answer):
    """A site's lever (and sweep) and how the faces show it."""

    def tables(self, lang: str = "en") -> list[Table]:
        """The lever, its demand-response events and the sweep."""
        from evgrid.report.flows import flows_table, v2g_table
        from evgrid.report.incentives import dr_table, lever_table, sweep_table

        lever, swept, v2g = self.result
        tables = [lever_table(lever, lang)]
        events = dr_table(lever, lang)
        if events is not None:
            tables.append(events)
        if v2g is not None:
            tables.append(v2g_table(v2g, lang))
        tables.append(flows_table(self.document["money_flows"], lever.site_name, lang))
        if swept is not None:
            tables.append(sweep_table(swept, lang))
        return tables

    def lines(self, lang: str = "en") -> list[str]:
        """The sweep's answer and the lever's notes."""
        from evgrid.report.incentives import answer

        lever, swept, _ = self.result
        lines = [] if swept is None else [answer(swept, lang)]
        return [*lines, *(f"note: {note}" for note in lever.notes)]

    def html(self, lang: str = "en") -> str:
        """The page (sweep curve, daily load, money flows, the V2G day) with the JSON envelope
        inside."""
        from evgrid.report.html import with_envelope
        from evgrid.report.incentives import incentives_html

        lever, swept, v2g = self.result
        page = incentives_html(lever, swept, lang, v2g=v2g, flows=self.document["money_flows"])
        return with_envelope(page, self.to_dict())

    def figures(self, lang: str = "en") -> dict[str, Any]:
        """The page's charts by file stem: the daily load, the money flows, the V2G day and
        the sweep."""
        from evgrid.report.flows import flows_figure, v2g_day_figure
        from evgrid.report.incentives import daily_figure, sweep_figure

        lever, swept, v2g = self.result
        figures = {
            "daily": daily_figure(lever, lang),
            "money-flows": flows_figure(self.document["money_flows"], lever.site_name, lang),
        }
        if v2g is not None:
            figures["v2g-day"] = v2g_day_figure(v2g, lang)
        if swept is not None:
            figures["sweep"] = sweep_figure(swept, lang)
        return figures

    def sweep_columns(self) -> dict[str, list[float]] | None:
        """The sweep's table (``sweep.csv``), or None without a sweep."""
        from evgrid.incentives.sweep import ROW_KEYS

        swept = self.result[1]
        if swept is None:
            return None
        rows = swept.to_dict()["rows"]
        return {k: [float("nan") if r[k] is None else r[k] for r in rows] for k in ROW_KEYS}


@dataclass(frozen=True)
class CityIncentives(Answer):
    """A city's sweep and how the faces show it."""

    def tables(self, lang: str = "en") -> list[Table]:
        """The city sweep's table."""
        from evgrid.report.incentives_city import city_sweep_table

        return [city_sweep_table(self.result, lang, compact=True)]

    def lines(self, lang: str = "en") -> list[str]:
        """Nothing beyond the table."""
        return []

    def html(self, lang: str = "en") -> str:
        """The city page with the JSON envelope inside."""
        from evgrid.report.html import with_envelope
        from evgrid.report.incentives_city import city_incentives_html

        return with_envelope(city_incentives_html(self.result, lang), self.to_dict())

    def sweep_columns(self) -> dict[str, list[float]]:
        """The sweep's table (``sweep.csv``)."""
        from evgrid.incentives.citywide import CITY_ROW_KEYS

        rows = self.document["rows"]
        return {k: [float("nan") if r[k] is None else r[k] for r in rows] for k in CITY_ROW_KEYS}
