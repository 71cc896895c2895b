"""The hosting result: one type for both tiers, one JSON shape (``to_dict``).

A :class:`HostingResult` is the answer to "how many piles can this site host under this charging
strategy": the transformer's peak loading (and the criterion's metric) against the pile ratio, as
a band over Monte Carlo days (P50, the median day; P95, the bad day), and the largest pile ratio
that meets the limit. The planning-index tier is deterministic: its band has P50 equal to P95.
The CLI's ``--json``, the HTML report and the HTTP API all use :meth:`HostingResult.to_dict`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from evgrid.timegrid import FloatArray, IntArray

if TYPE_CHECKING:
    from evgrid.planning.timeseries.curves import DailyCurves

Method = Literal["index", "timeseries"]
METRIC_UNITS: Mapping[str, str] = MappingProxyType(
    {"loading": "pu", "hotspot": "°C", "ageing": "day/day"}
)
"""Unit of each criterion's metric and limit."""


@dataclass(frozen=True)
class RegularLoad:
    """The regular (non-charging) load a hosting run used.

    Parameters
    ----------
    peak_kw
        Evening peak [kW].
    valley_kw
        Night-valley load [kW].
    basis
        ``"measured"``, ``"measured peak, assumed valley"``, ``"measured curve"``,
        ``"planning index"``, ``"planning index (filling up)"`` or (an office park)
        ``"measured peak at saturation"``.
    """

    peak_kw: float
    valley_kw: float
    basis: str

    def to_dict(self) -> dict[str, Any]:
        """``{"peak_kw", "valley_kw", "basis"}``."""
        return {"peak_kw": self.peak_kw, "valley_kw": self.valley_kw, "basis": self.basis}


@dataclass(frozen=True, eq=False)
class NetworkLimit:
    """What a site's low-voltage network hosts under a result's strategy
    (:mod:`evgrid.planning.network_hosting`, docs/network.md).

    Parameters
    ----------
    network
        The area's name.
    strategy
        The network study's strategy (the index tier's ``orderly``: ``valley-filling``).
    pile_ratio
        Largest share of the network's parking spaces with a pile at which every limit of the
        network holds at every step of every Monte Carlo day [-].
    n_piles
        Piles on the network at that ratio [-].
    n_spaces
        Parking spaces of the network [-].
    element, kind
        What binds first just above it: ``cable LV-B7 phase b`` and ``cable``, ``bus B3 phase
        a`` and ``undervoltage``, ``transformer T1`` and ``transformer`` (its most loaded
        phase), ...
    utilisation
        That element's value over what its limit allows (1.0 at the limit) [-].
    days
        Monte Carlo days of the network study [day].
    study
        The network study (:class:`evgrid.network.study.NetworkResult`: extremes, the one-line
        diagram), not part of :meth:`to_dict`.
    """

    network: str
    strategy: str
    pile_ratio: float
    n_piles: int
    n_spaces: int
    element: str
    kind: str
    utilisation: float
    days: int
    study: Any = None

    @property
    def binding(self) -> str:
        """What binds, in words: ``cable LV-B7 phase b``, ``undervoltage at bus B3 phase a``,
        ``transformer T1 (most loaded phase)``."""
        if self.kind == "collapse":
            return "network collapse (no power-flow solution)"
        if self.kind == "transformer":
            return f"{self.element} (most loaded phase)"
        if self.element.startswith(self.kind):
            return self.element
        return f"{self.kind} at {self.element}"

    def to_dict(self) -> dict[str, Any]:
        """``{"network", "strategy", "pile_ratio", "n_piles", "n_spaces", "binding",
        "element", "kind", "utilisation", "days"}``."""
        return {
            "network": self.network,
            "strategy": self.strategy,
            "pile_ratio": round(self.pile_ratio, 4),
            "n_piles": self.n_piles,
            "n_spaces": self.n_spaces,
            "binding": self.binding,
            "element": self.element,
            "kind": self.kind,
            "utilisation": round(self.utilisation, 6) if np.isfinite(self.utilisation) else None,
            "days": self.days,
        }


def _plain(value: Any) -> Any:
    """JSON-ready copy: numpy scalars and arrays to Python numbers and lists."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


@dataclass(frozen=True, eq=False)
class HostingResult:
    """Hosting capacity of one site under one charging strategy, either tier.

    Parameters
    ----------
    site_name
        The site's name.
    method
        ``"index"`` (planning index, report figures 1–2) or ``"timeseries"`` (Monte Carlo).
    strategy
        Charging strategy of the participating cars (index tier: ``"uncontrolled"`` or
        ``"orderly"``).
    participation
        Share of cars that follow ``strategy``; the others charge uncontrolled [-].
    criterion, limit
        ``"loading"`` [pu], ``"hotspot"`` [°C] or ``"ageing"`` [day/day], and its limit.
    n_spaces
        Parking spaces = piles at pile ratio 1 [-].
    pile_ratios
        Pile ratios of the curve, increasing, ``(n,)`` [-].
    n_piles
        Piles at each ratio, ``(n,)`` [-].
    loading_p50, loading_p95
        Median and 95th percentile over days of the daily peak loading, ``(n,)`` [pu].
    metric_p50, metric_p95
        The same for the criterion's daily metric, ``(n,)`` [unit of the criterion].
    max_pile_ratio_p50, max_pile_ratio_p95
        Largest pile ratio whose P50 / P95 metric meets the limit, with every smaller ratio
        meeting it too [-]: exact in the index tier, at 1 % resolution in the time-series tier;
        0.0 when the regular load alone fails.
    regular
        The regular load used and its basis.
    days
        Monte Carlo days evaluated [day]; None for the index tier.
    at_limit_p50, at_limit_p95
        Daily curves at the two largest ratios (time-series tier), else None.
    details
        Figures of the tier (index: the readings at 1 % and 10 % steps, kW per pile, the
        community type; office: the planning year's charging spaces and loads).
    metadata
        Run details (time-series engine: sessions, slot length, method, unmet energy).
    basis
        Name of the design basis the answer stands on (:mod:`evgrid.planning.basis`).
    band
        ``"p95"`` or ``"p50"``: the band the recommendation is read on (the basis's).
    interval
        Confidence interval of the recommended pile ratio, ``(low, high)`` [-]: a bootstrap
        over the Monte Carlo days (time-series tier) or the coincidence curve's interval
        (index tier on a design basis); None where the answer is exact (the report's index).
    sensitivity
        The answer under each input set low and high (:func:`evgrid.planning.sensitivity
        .hosting_sensitivity`), ranked by effect: ``({"input", "low", "high"}, ...)``.
    network
        What the site's low-voltage network hosts under this strategy, or None (a site
        without a network): the recommendation is then the smaller of the transformer's answer
        and the network's.
    """

    site_name: str
    method: Method
    strategy: str
    participation: float
    criterion: str
    limit: float
    n_spaces: int
    pile_ratios: FloatArray
    n_piles: IntArray
    loading_p50: FloatArray
    loading_p95: FloatArray
    metric_p50: FloatArray
    metric_p95: FloatArray
    max_pile_ratio_p50: float
    max_pile_ratio_p95: float
    regular: RegularLoad
    days: int | None = None
    at_limit_p50: DailyCurves | None = None
    at_limit_p95: DailyCurves | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    metadata: Mapping[str, Any] = field(default_factory=dict)
    basis: str | None = None
    band: str = "p95"
    interval: tuple[float, float] | None = None
    sensitivity: tuple[Mapping[str, Any], ...] | None = None
    network: NetworkLimit | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "details", MappingProxyType(dict(self.details)))
        object.__setattr__(self, "metadata", MappingProxyType(dict(self.metadata)))

    @classmethod
    def from_index_curve(
        cls,
        *,
        site_name: str,
        strategy: str,
        participation: float,
        limit: float,
        n_spaces: int,
        pile_ratios: FloatArray,
        loading: FloatArray,
        max_pile_ratio: float,
        regular: RegularLoad,
        **rest: Any,
    ) -> HostingResult:
        """A planning-index result: one deterministic loading curve [pu] on the ``pile_ratios``
        [-] under the loading criterion, its largest pile ratio as both bands; ``rest``: the
        other fields (``details``, ``basis``, ``interval``)."""
        return cls(
            site_name=site_name,
            method="index",
            strategy=strategy,
            participation=participation,
            criterion="loading",
            limit=limit,
            n_spaces=n_spaces,
            pile_ratios=pile_ratios,
            n_piles=np.floor(pile_ratios * n_spaces + 0.5 + 1e-9).astype(np.int64),
            loading_p50=loading,
            loading_p95=loading,
            metric_p50=loading,
            metric_p95=loading,
            max_pile_ratio_p50=max_pile_ratio,
            max_pile_ratio_p95=max_pile_ratio,
            regular=regular,
            **rest,
        )

    @property
    def metric_unit(self) -> str:
        """Unit of the metric and the limit."""
        return METRIC_UNITS[self.criterion]

    @property
    def transformer_pile_ratio(self) -> float:
        """The transformer's answer: the largest pile ratio on the basis's band (P95: the 95th-
        percentile day; the index tier's single answer) [-]."""
        return self.max_pile_ratio_p95 if self.band == "p95" else self.max_pile_ratio_p50

    @property
    def network_binds(self) -> bool:
        """The site's network hosts fewer piles than its transformer (it binds first)."""
        return self.network is not None and (
            self.network.pile_ratio < self.transformer_pile_ratio - 1e-12
        )

    @property
    def recommended_pile_ratio(self) -> float:
        """The recommendation: the transformer's answer (:attr:`transformer_pile_ratio`), or
        the network's where the site has one and it hosts fewer [-]."""
        if self.network_binds:
            assert self.network is not None
            return self.network.pile_ratio
        return self.transformer_pile_ratio

    @property
    def recommended_piles(self) -> int:
        """Piles at :attr:`recommended_pile_ratio`, rounded down [-]."""
        return int(np.floor(self.recommended_pile_ratio * self.n_spaces + 1e-9))

    @property
    def recommended_interval(self) -> tuple[float, float]:
        """The interval of the recommendation, widened to hold it (the point is read on the
        1 % grid, the bootstrap interval between its points) [-]."""
        r = self.recommended_pile_ratio
        if self.interval is None:
            return (r, r)
        if self.network_binds:  # the transformer's interval capped at the network's answer
            return (min(float(self.interval[0]), r), r)
        return (min(float(self.interval[0]), r), max(float(self.interval[1]), r))

    @property
    def binding(self) -> str:
        """What limits the answer: ``"transformer loading"`` (or ``hot spot`` / ``ageing``),
        ``"regular load"`` (the regular load alone breaks the limit: nothing can be hosted),
        ``"parking spaces"`` (every space hosts a pile below the limit), or the network's
        element that binds before the transformer (:attr:`NetworkLimit.binding`: ``cable
        LV-B7 phase b``, ``undervoltage at bus B3 phase a``)."""
        r = self.recommended_pile_ratio
        if r >= 1.0 - 1e-12:
            return "parking spaces"
        if self.network_binds:
            assert self.network is not None
            return self.network.binding
        band = "p95" if self.band == "p95" else "p50"
        first = (self.metric_p95 if band == "p95" else self.metric_p50)[0]
        if r <= 0.0 and first > self.limit * (1 + 1e-9):
            return "regular load"
        return "transformer " + {"loading": "loading", "hotspot": "hot spot"}.get(
            self.criterion, self.criterion
        )

    @property
    def unmet_share(self) -> float:
        """Share of the asked energy not delivered at the recommended ratio (energy no stay
        could take, and energy a strategy left) [-]; 0 for the index tier."""
        shares = self.metadata.get("unmet_share")
        if not shares:
            return 0.0
        values = np.asarray(shares, dtype=np.float64)
        ratios = self.pile_ratios
        i = int(np.argmin(np.abs(ratios - self.recommended_pile_ratio)))
        return float(values[min(i, values.size - 1)])

    @property
    def max_piles_p50(self) -> int:
        """Piles at :attr:`max_pile_ratio_p50`, rounded down [-]."""
        return int(np.floor(self.max_pile_ratio_p50 * self.n_spaces + 1e-9))

    @property
    def max_piles_p95(self) -> int:
        """Piles at :attr:`max_pile_ratio_p95`, rounded down [-]."""
        return int(np.floor(self.max_pile_ratio_p95 * self.n_spaces + 1e-9))

    def to_dict(self, *, curves: bool = False) -> dict[str, Any]:
        """The one JSON shape of a hosting result (CLI ``--json``, HTML report, HTTP API).

        The recommendation first: ``basis``, ``band``, ``recommended_pile_ratio``,
        ``recommended_piles``, ``interval`` (``[low, high]``, a fraction of the spaces),
        ``binding`` (what limits it) and ``unmet_share``; with a network also
        ``transformer_pile_ratio`` (the transformer's answer) and ``network``
        (:meth:`NetworkLimit.to_dict`); then keys ``site``, ``method``,
        ``strategy``, ``participation``, ``criterion``, ``limit``, ``days``, ``n_spaces``,
        ``max_pile_ratio_p50``, ``max_pile_ratio_p95``, ``max_piles_p50``, ``max_piles_p95``,
        ``regular_load`` (``peak_kw``, ``valley_kw``, ``basis``), ``curve`` (a list of
        ``{"pile_ratio", "n_piles", "loading_p50", "loading_p95", "metric_p50",
        "metric_p95"}``), ``details`` and ``metadata``; ``sensitivity`` (a list of ``{"input",
        "low", "high"}`` ranked by effect) when computed; with ``curves=True`` also the daily
        curves at the limits (``at_limit_p50``, ``at_limit_p95``).
        """
        rows = zip(
            self.pile_ratios.tolist(),
            self.n_piles.tolist(),
            self.loading_p50.tolist(),
            self.loading_p95.tolist(),
            self.metric_p50.tolist(),
            self.metric_p95.tolist(),
            strict=True,
        )
        out: dict[str, Any] = {
            "basis": self.basis,
            "band": self.band,
            "recommended_pile_ratio": self.recommended_pile_ratio,
            "recommended_piles": self.recommended_piles,
            "interval": list(self.recommended_interval),
            "binding": self.binding,
            "unmet_share": self.unmet_share,
            **(
                {}
                if self.network is None
                else {
                    "transformer_pile_ratio": self.transformer_pile_ratio,
                    "network": self.network.to_dict(),
                }
            ),
            "site": self.site_name,
            "method": self.method,
            "strategy": self.strategy,
            "participation": self.participation,
            "criterion": self.criterion,
            "limit": self.limit,
            "days": self.days,
            "n_spaces": self.n_spaces,
            "max_pile_ratio_p50": self.max_pile_ratio_p50,
            "max_pile_ratio_p95": self.max_pile_ratio_p95,
            "max_piles_p50": self.max_piles_p50,
            "max_piles_p95": self.max_piles_p95,
            "regular_load": self.regular.to_dict(),
            "curve": [
                {
                    "pile_ratio": r,
                    "n_piles": n,
                    "loading_p50": l50,
                    "loading_p95": l95,
                    "metric_p50": m50,
                    "metric_p95": m95,
                }
                for r, n, l50, l95, m50, m95 in rows
            ],
            "details": _plain(self.details),
            "metadata": _plain(self.metadata),
        }
        if self.sensitivity is not None:
            out["sensitivity"] = [_plain(dict(row)) for row in self.sensitivity]
        if curves:
            for key in ("at_limit_p50", "at_limit_p95"):
                daily = getattr(self, key)
                out[key] = None if daily is None else daily.to_dict()
        return out

    def to_frame(self) -> Any:
        """The curve as a pandas DataFrame: one row per pile ratio, with the site, method,
        strategy and criterion as columns (for ``pandas.concat`` across results).

        Columns ``site``, ``method``, ``strategy``, ``participation``, ``criterion``, ``limit``,
        ``pile_ratio`` [-], ``n_piles`` [-], ``loading_p50``, ``loading_p95`` [pu],
        ``metric_p50``, ``metric_p95`` [the criterion's unit].
        """
        import pandas as pd

        n = self.pile_ratios.size
        return pd.DataFrame(
            {
                "site": [self.site_name] * n,
                "method": [self.method] * n,
                "strategy": [self.strategy] * n,
                "participation": np.full(n, self.participation),
                "criterion": [self.criterion] * n,
                "limit": np.full(n, self.limit),
                "pile_ratio": self.pile_ratios,
                "n_piles": self.n_piles,
                "loading_p50": self.loading_p50,
                "loading_p95": self.loading_p95,
                "metric_p50": self.metric_p50,
                "metric_p95": self.metric_p95,
            }
        )
