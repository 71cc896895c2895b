"""The reproduction job: the report's case studies beside its numbers (``evgrid reproduce``).

One pipeline for the command line and the web app's background job: the planning-index
reproduction, the report's findings through the years, and (unless ``timeseries`` is off) the
time-series tier and the figure 6–7 comparison.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from evgrid.errors import bad_value
from evgrid.jobs.fields import Answer, Progress, Request, option
from evgrid.jobs.options import BEHAVIOUR, DAYS, SEED

if TYPE_CHECKING:
    from evgrid.report.tables import Table


@dataclass(frozen=True, kw_only=True)
class ReproduceRequest(Request):
    """Reproduce the report's residential and office case studies beside its published
    numbers."""

    kind = "reproduce"

    timeseries: bool = option(
        True,
        help="Also run the Monte Carlo time-series tier",
        off_flag="--index-only",
        zh="时序模型",
    )
    seed: int | None = option(like=SEED, help="Seed of the time-series tier")
    days: int | None = option(
        like=DAYS, help="Monte Carlo days of the hosting bands [day]", methods=()
    )
    impact_days: int | None = option(
        help="Monte Carlo days of the figure 6–7 comparison [day]",
        param="impact_days",
        zh="对比天数",
    )
    behaviour: str | None = option(
        like=BEHAVIOUR,
        help="Behaviour of the communities: a preset or a behaviour file (YAML/JSON)",
    )

    def validate(self) -> None:
        """The time-series options need the time-series tier."""
        if self.timeseries:
            return
        for name in ("seed", "days", "impact_days", "behaviour"):
            value = getattr(self, name)
            if value is not None:
                raise bad_value(name, value, "not used without the time-series tier (index only)")

    def run(self, progress: Progress | None = None) -> ReproduceAnswer:
        """The reproduction (:func:`evgrid.reproduce`, the findings through the years and
        :func:`evgrid.planning.reproduce_timeseries.reproduce_timeseries`)."""
        from evgrid.planning.findings import scenario_findings
        from evgrid.planning.reproduce import reproduce
        from evgrid.planning.reproduce_timeseries import (
            CASES,
            HOSTING_STRATEGIES,
            IMPACT_CASES,
            reproduce_timeseries,
        )

        runs = len(CASES) * len(HOSTING_STRATEGIES) + len(IMPACT_CASES)
        steps = 2 + (runs if self.timeseries else 0)
        done = [0]

        def step(text: str) -> None:
            if progress is not None:
                progress(done[0], steps, text)
            done[0] += 1

        step("planning index")
        rep = reproduce()
        step("the report's findings through the years")
        findings = scenario_findings()
        ts = None
        if self.timeseries:
            ts = reproduce_timeseries(
                seed=self.seed,
                days=self.days,
                impact_days=self.impact_days,
                behaviour=self.behaviour,
                progress=step,
            )
        document = rep.to_dict()
        document["scenario_findings"] = findings
        if ts is not None:
            document.update(ts.to_dict())
        return ReproduceAnswer(self, (rep, findings, ts), document, document)


@dataclass(frozen=True)
class ReproduceAnswer(Answer):
    """The reproduction and how every face shows it."""

    def tables(self, lang: str = "en") -> list[Table]:
        """evgrid beside the report, the findings through the years, the time-series tier."""
        from evgrid.report.tables import comparison_table, findings_table, timeseries_tables

        rep, findings, ts = self.result
        tables = [comparison_table(rep, lang), findings_table(findings, lang)]
        if ts is not None:
            tables += timeseries_tables(ts, rep, lang)
        return tables

    def lines(self, lang: str = "en") -> list[str]:
        """Nothing beyond the tables."""
        return []

    def html(self, lang: str = "en") -> str:
        """The HTML report, with this answer's JSON envelope inside."""
        from evgrid.report.html import reproduce_html, with_envelope

        rep, findings, ts = self.result
        page = reproduce_html(rep, lang, timeseries=ts, findings=findings)
        return with_envelope(page, self.to_dict())

    def figures(self, lang: str = "en") -> dict[str, Any]:
        """The hosting chart of each community (the web page shows them)."""
        from evgrid.report.figures import hosting_figure

        rep = self.result[0]
        return {
            f"hosting-{case}": hosting_figure(list(modes.values()), lang)
            for case, modes in rep.residential.items()
        }
