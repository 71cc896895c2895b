"""The network job: a low-voltage area's three-phase power flow, limits and hosting capacity
(``evgrid network``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from evgrid.jobs.fields import Answer, Progress, Request, option
from evgrid.jobs.options import SEED, strategies

if TYPE_CHECKING:
    from evgrid.report.tables import Table

NETWORK_SUFFIXES = (".yaml", ".yml", ".json")


def network_names() -> tuple[str, ...]:
    """The bundled low-voltage areas (``ieee-eu-lv``, ``cn-residential-old``, ...)."""
    from evgrid.network.formats import bundled_names

    return tuple(bundled_names())


def network_strategies() -> tuple[str, ...]:
    """Every charging strategy, and valley filling under the network's nested limits."""
    from evgrid.network.fleet import NETWORK_STRATEGY

    return (*strategies(), NETWORK_STRATEGY)


def _default_hosting() -> tuple[str, ...]:
    from evgrid.network.study import DEFAULT_STRATEGIES

    return tuple(DEFAULT_STRATEGIES)


@dataclass(frozen=True, kw_only=True)
class NetworkRequest(Request):
    """Three-phase power flow of a low-voltage area over Monte Carlo days: voltages, loadings,
    unbalance, what binds first, and the hosting capacity per strategy (docs/network.md)."""

    kind = "network"

    network: str | None = option(
        help="Network: a bundled area or a network file (evgrid YAML/JSON, power-grid-model or "
        "pandapower JSON)",
        argument=True,
        names=network_names,
        zh="低压台区",
    )
    days: int | None = option(help="Monte Carlo days [day]", param="network_days", zh="模拟天数")
    seed: int | None = option(like=SEED)
    strategy: str = option(
        "uncontrolled",
        help="Strategy at the study's pile ratio: a charging strategy or valley filling under "
        "the network's limits",
        choices=network_strategies,
        zh="充电策略",
    )
    ev_share: float | None = option(
        help="Share of the parking spaces with a pile and a car [-] (default: the network's own "
        "piles, else {network_pile_ratio})",
        allowed="[0, 1]",
        zh="电动汽车比例",
    )
    symmetric: bool = option(
        False,
        help="Balanced calculation (each bus's load split over its phases) instead of per phase",
        zh="三相平衡计算",
    )
    band: str | None = option(
        help="The day the network is judged on: p95 (the 95th-percentile day of the days' "
        "largest utilisation, as the transformer's), p50, or worst (every step of every day)",
        param="network_band",
        zh="评估日",
    )
    hosting: tuple[str, ...] | None = option(
        None,
        help="Strategies whose hosting capacity is searched, comma-separated; '' for none "
        "(default: uncontrolled, valley-filling, network-valley-filling)",
        choices=network_strategies,
        many=True,
        zh="承载力策略",
    )

    def run(self, progress: Progress | None = None) -> NetworkAnswer:
        """The study (:func:`evgrid.network.study.network`)."""
        from evgrid.network.study import network

        if progress is not None:
            progress(0, 1, f"network {self.network}: power flow and hosting")
        result = network(
            self.network or "",
            days=self.days,
            seed=self.seed,
            strategy=self.strategy,
            ev_share=self.ev_share,
            symmetric=self.symmetric,
            strategies=_default_hosting() if self.hosting is None else self.hosting,
            band=self.band,
        )
        return NetworkAnswer(self, result, result.to_dict())


@dataclass(frozen=True)
class NetworkAnswer(Answer):
    """A network study and how every face shows it."""

    def tables(self, lang: str = "en") -> list[Table]:
        """The extremes, what binds first and the hosting capacity."""
        from evgrid.report.network import study_table

        doc = self.document
        strategy = getattr(self.request, "strategy", "")
        title = f"{doc['network']}: {doc['n_piles']} piles, {strategy}"
        return [study_table(doc, title, lang)]

    def lines(self, lang: str = "en") -> list[str]:
        """Nothing beyond the table."""
        return []

    def html(self, lang: str = "en") -> str:
        """The report: the table and the one-line diagram coloured by loading and voltage."""
        from evgrid.report.html import FigureDivs, render_page, with_envelope
        from evgrid.report.labels import labels_for
        from evgrid.report.network import network_section

        (table,) = self.tables(lang)
        section = network_section(self.result, table, FigureDivs(), heading=self.result.network)
        page = render_page(table.title, labels_for(lang), lang, [section])
        return with_envelope(page, self.to_dict())

    def to_frame(self) -> Any:
        """One row per bus and cable: the worst values."""
        return self.result.to_frame()
