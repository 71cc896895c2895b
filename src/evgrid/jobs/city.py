"""Years and the city: one site's upgrade timeline and a city run (``evgrid city``).

:class:`YearsOptions` declares the options of a run through a scenario's years once; the city
job (:class:`CityRequest`) and a site's upgrade timeline (:class:`UpgradeRequest`, the web app's
upgrade year and ``POST /api/upgrade``) share them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evgrid.jobs.fields import Answer, Progress, Request, option
from evgrid.jobs.inputs import TABLE_SUFFIXES
from evgrid.jobs.options import (
    BASIS,
    CLI_ONLY,
    COST_PER_KVA,
    COST_TABLE,
    CRITERION,
    DAYS,
    DISCOUNT_RATE,
    HUB_CONNECTION,
    LIMIT,
    METHOD,
    MODES,
    SCENARIO,
    SEED,
    SITE,
    TIMESERIES,
    scenario_names,
)

if TYPE_CHECKING:
    from evgrid.city.settings import CitySettings
    from evgrid.report.tables import Table

STRATEGIES = ("uncontrolled", "orderly", "partial")
"""The default strategies of a run (:data:`evgrid.planning.years.STRATEGIES`)."""
CHOICES = (*STRATEGIES, "v2g")
"""Every strategy of a run (:data:`evgrid.city.compute.CITY_STRATEGIES`)."""
__all__ = ["CityRequest", "UpgradeRequest", "YearsOptions", "scenario_names"]


@dataclass(frozen=True, kw_only=True)
class YearsOptions(Request):
    """The options of a run through a scenario's years (a city, or one site)."""

    scenario: str | None = option(like=SCENARIO)
    basis: str | None = option(like=BASIS)
    method: str = option("index", like=METHOD, help="index or timeseries")
    strategies: tuple[str, ...] = option(
        STRATEGIES,
        help="Strategies: uncontrolled, orderly, partial (the scenario's participation), "
        "timeseries: v2g (every pile orderly and bidirectional, V2G's lossless bound)",
        choices=CHOICES,
        many=True,
        zh="策略",
    )
    days: int | None = option(like=DAYS)
    seed: int | None = option(like=SEED, help="timeseries: run seed", methods=TIMESERIES)
    criterion: str = option("loading", like=CRITERION)
    limit: float | None = option(like=LIMIT)
    band: str | None = option(
        help="timeseries: the band that decides",
        param="upgrade_band",
        choices=("p50", "p95"),
        methods=TIMESERIES,
        zh="判定分位",
    )
    cost_per_kva: float | None = option(like=COST_PER_KVA)
    cost_table: Path | None = option(like=COST_TABLE)
    discount_rate: float | None = option(like=DISCOUNT_RATE)
    modes: str | None = option(
        like=MODES,
        help=MODES.help + "; each community's modes and public hub through the years, judged "
        "with the tier (a Monte Carlo per site and year; default: off, fixed piles only)",
    )
    hub_connection: str | None = option(like=HUB_CONNECTION, help=HUB_CONNECTION.help + " "
                                        "(with modes)")  # fmt: skip
    network_days: int | None = option(
        help="Monte Carlo days of the network study of a site that names its network [day]",
        param="network_days",
        zh="台区模拟天数",
    )

    def settings(self) -> CitySettings:
        """The run's settings (:func:`evgrid.city.settings.city_settings`)."""
        from evgrid.city.settings import city_settings

        return city_settings(
            self.scenario,
            method=self.method,
            strategies=self.strategies,
            days=self.days,
            seed=self.seed,
            criterion=self.criterion,
            limit=self.limit,
            band=self.band,
            cost_per_kva=self.cost_per_kva,
            cost_table=self.cost_table,
            discount_rate=self.discount_rate,
            basis=self.basis,
            modes=self.modes,
            hub_connection=self.hub_connection,
            network_days=self.network_days,
        )


@dataclass(frozen=True, kw_only=True)
class CityRequest(YearsOptions):
    """Every site of a city through a scenario's years: upgrade year, size, cost
    (docs/city.md)."""

    kind = "city"

    sites: Path | None = option(
        help="Site table: .csv, .xlsx or .parquet, one row a site",
        argument=True,
        file=TABLE_SUFFIXES,
        zh="场地表",
    )
    workers: int = option(
        1, help="Local processes [-]", allowed="integer [1, 1024]", faces=CLI_ONLY
    )
    engine: str = option(
        "local", help="Local processes or a Dask cluster", choices=("local", "dask"), faces=CLI_ONLY
    )
    scheduler: str | None = option(
        help="dask: scheduler address, e.g. tcp://10.0.0.5:8786", faces=CLI_ONLY
    )
    chunk_sites: int | None = option(
        help="Sites per result chunk: timeseries {city_chunk_sites}, index "
        "{city_chunk_sites_index}",
        allowed="integer [1, inf)",
        faces=CLI_ONLY,
    )

    def run(
        self,
        progress: Progress | None = None,
        *,
        out: Path | None = None,
        lang: str = "en",
        curve_files: Mapping[str, Path] | None = None,
        network_files: Mapping[str, Path] | None = None,
    ) -> CityAnswer:
        """Run (or resume) the city into ``out`` and write its summary page
        (:func:`evgrid.report.city.city_report`).

        Parameters
        ----------
        progress
            Called with (sites done, sites, text) as chunks complete.
        out
            The output folder (required).
        lang
            Language of the summary page.
        curve_files
            The measured curves sent with the table (the web app): no path a cell names is
            opened (:func:`evgrid.city.sites.read_sites`).
        network_files
            The network files sent with the table (the web app), likewise.
        """
        from evgrid.errors import bad_value
        from evgrid.fileio import write_text_atomic
        from evgrid.report.city import city_report
        from evgrid.report.html import with_envelope

        if out is None:
            raise bad_value("out", out, "an output folder")
        assert self.sites is not None
        settings = self.settings()

        def chunks(done: int, total: int) -> None:
            if progress is not None:
                progress(done, total, f"{done} of {total} sites")

        report = city_report(
            self.sites,
            settings,
            out,
            lang=lang,
            workers=self.workers,
            engine=self.engine,
            scheduler=self.scheduler,
            chunk_sites=self.chunk_sites,
            progress=chunks,
            curve_files=curve_files,
            network_files=network_files,
        )
        summary = report.run.summary
        answer = CityAnswer(self, report, summary, summary)
        page = report.page.read_text(encoding="utf-8")  # the summary page carries the envelope
        write_text_atomic(report.page, with_envelope(page, answer.to_dict()))
        return answer


@dataclass(frozen=True)
class CityAnswer(Answer):
    """A city run: its folder, summary page, tables and charts."""

    def tables(self, lang: str = "en") -> list[Table]:
        """The summary's tables (totals, upgrades per year, the ranked upgrades)."""
        from evgrid.report.city import city_tables

        return city_tables(dict(self.document), lang)

    def figures(self, lang: str = "en") -> dict[str, Any]:
        """The summary's charts."""
        from evgrid.report.city import city_figures

        return city_figures(dict(self.document), lang)

    def lines(self, lang: str = "en") -> list[str]:
        """Where the results are."""
        run, page = self.result.run, self.result.page
        out = run.out
        return [
            f"{run.n_sites} sites, {run.n_errors} refused rows; {run.chunks_resumed} chunks "
            f"resumed, {run.chunks_computed} computed. Results: {out}/results.parquet (.csv), "
            f"{out}/upgrades.parquet (.csv), {out}/errors.csv; summary: {page}"
        ]

    def to_frame(self) -> Any:
        """The run's results as one tidy table: a row per site × year × strategy."""
        from evgrid.io import read_parquet_table

        return read_parquet_table(self.result.run.out / "results.parquet").to_pandas()


@dataclass(frozen=True, kw_only=True)
class UpgradeRequest(YearsOptions):
    """The upgrade timeline of one site under a scenario, as a city run computes it for the
    site."""

    kind = "upgrade"

    site: Any = option(like=SITE)

    def run(self, progress: Progress | None = None) -> Answer:
        """The timeline (:func:`evgrid.site_upgrade`)."""
        from evgrid.city.site_upgrade import site_upgrade

        upgrade = site_upgrade(self.site, self.settings())
        return UpgradeAnswer(self, upgrade, upgrade.to_dict(), upgrade.to_dict())


@dataclass(frozen=True)
class UpgradeAnswer(Answer):
    """A site's upgrade timeline."""

    def to_frame(self) -> Any:
        """The rows by year (EV share, pile ratio, loading, ...) as a pandas DataFrame."""
        import pandas as pd

        return pd.DataFrame(list(self.result.results))
