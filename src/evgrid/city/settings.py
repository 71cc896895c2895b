"""The settings every chunk of a city run shares (:class:`CitySettings`), read from the options of
``evgrid city`` with their parameter-table defaults (:func:`city_settings`)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evgrid.errors import bad_value
from evgrid.params import parameter
from evgrid.planning.basis import Basis, load_basis
from evgrid.planning.scenarios import Scenario, load_scenario
from evgrid.planning.upgrade import CostModel, read_cost_table
from evgrid.planning.years import STRATEGIES

METHODS = ("index", "timeseries")
CITY_STRATEGIES = (*STRATEGIES, "v2g")
"""The strategies of a run: the index tier's three, and ``v2g`` (time series only: every pile
orderly and bidirectional at V2G's lossless bound, :mod:`evgrid.planning.timeseries.years`)."""


@dataclass(frozen=True)
class CitySettings:
    """What every chunk of a run shares; None takes the parameter-table default.

    Parameters
    ----------
    scenario
        The scenario.
    method
        ``"index"`` or ``"timeseries"``.
    strategies
        Subset of :data:`CITY_STRATEGIES` (kept in that order; ``v2g`` with the time-series
        method only).
    days, seed
        Time-series tier: Monte Carlo days [day] (``monte_carlo_days``) and the run seed.
    criterion, limit
        ``loading`` (both tiers), ``hotspot`` or ``ageing`` (time series) and the limit
        [pu, °C or day/day].
    band
        Time-series tier: ``p50`` or ``p95``, the band that decides (``upgrade_band``).
    cost, discount_rate
        Cost model of upgrades (default evgrid's illustrative table, marked ``illustrative``
        in the results) and discount rate [-].
    basis
        The design basis (:func:`evgrid.planning.basis.load_basis`; default the parameter
        ``basis``): demand, regular load over the year, ambient, power factors and the index
        tier's per-pile demand of both tiers.
    modes
        The charging modes of the communities (:mod:`evgrid.city.modes`): ``report`` (the
        report's order by community type), ``fixed-only``, a
        :class:`~evgrid.planning.mode_mix.ModeMix`, or None (off: the tier's fixed piles only).
    hub_connection
        With ``modes``: where a public hub connects (``community``, ``own-unit``, ``10kv``);
        default the parameter ``hub_connection``.
    network_days
        Monte Carlo days of the network study of a site that names its network [day]
        (``network_days``; :mod:`evgrid.city.network`).

    Raises
    ------
    InputError
        A value outside its range, an unknown strategy, a thermal criterion with the index
        method.
    """

    scenario: Scenario
    method: str = "index"
    strategies: tuple[str, ...] = STRATEGIES
    days: int = None  # type: ignore[assignment]  # None: the parameter-table default
    seed: int = None  # type: ignore[assignment]
    criterion: str = "loading"
    limit: float = None  # type: ignore[assignment]
    band: str = None  # type: ignore[assignment]
    cost: CostModel = field(default_factory=lambda: CostModel(illustrative=True))
    discount_rate: float = None  # type: ignore[assignment]
    basis: Basis = None  # type: ignore[assignment]  # None: the parameter basis
    modes: Any = None
    hub_connection: str = None  # type: ignore[assignment]
    network_days: int = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        from evgrid.grid.transformer import check_criterion, check_limit

        def put(name: str, value: Any) -> None:
            object.__setattr__(self, name, value)

        if self.method not in METHODS:
            raise bad_value("method", self.method, " or ".join(METHODS))
        unknown = [st for st in self.strategies if st not in CITY_STRATEGIES]
        if unknown or not self.strategies:
            raise bad_value(
                "strategies",
                ",".join(self.strategies),
                "one or more of " + ", ".join(CITY_STRATEGIES),
            )
        if "v2g" in self.strategies and self.method == "index":
            raise bad_value("strategies", "v2g", "uncontrolled, orderly, partial with the index "
                            "method (v2g: timeseries)")  # fmt: skip
        put("strategies", tuple(st for st in CITY_STRATEGIES if st in self.strategies))
        from evgrid.city.modes import check_modes

        check_modes(self)
        check_criterion(self.criterion)
        if self.method == "index" and self.criterion != "loading":
            raise bad_value("criterion", self.criterion, "'loading' with the index method")
        put("limit", check_limit(self.criterion, self.limit, "limit"))
        put("days", parameter("monte_carlo_days").resolve(self.days, "days"))
        put("seed", parameter("seed").resolve(self.seed, "seed"))
        put("band", parameter("upgrade_band").resolve(self.band, "band"))
        put(
            "discount_rate",
            parameter("discount_rate").resolve(self.discount_rate, "discount_rate"),
        )
        put("basis", load_basis(self.basis, "basis"))
        put("network_days", parameter("network_days").resolve(self.network_days, "network_days"))


def city_settings(
    scenario: str | Path | Scenario | None = None,
    *,
    method: str | None = None,
    strategies: str | Sequence[str] | None = None,
    days: int | None = None,
    seed: int | None = None,
    criterion: str | None = None,
    limit: float | None = None,
    band: str | None = None,
    cost_per_kva: float | None = None,
    cost_table: str | Path | None = None,
    discount_rate: float | None = None,
    basis: str | Path | Basis | None = None,
    modes: Any = None,
    hub_connection: str | None = None,
    network_days: int | None = None,
) -> CitySettings:
    """The settings of a city run from its options as a user gives them (``evgrid city``).

    Parameters
    ----------
    scenario
        A bundled scenario's name, a scenario file, or a scenario; None for the parameter
        ``scenario``.
    method
        ``"index"`` (default) or ``"timeseries"``.
    strategies
        Comma-separated text or a sequence of :data:`evgrid.planning.years.STRATEGIES`;
        None for all three.
    days, seed, band
        Time-series tier only (refused with the index method).
    criterion, limit, discount_rate, basis, network_days
        As :class:`CitySettings`.
    cost_per_kva, cost_table
        Installed cost per kVA [yuan/kVA], or a cost table file
        (:func:`evgrid.planning.upgrade.read_cost_table`); not both.
    modes
        ``report``, ``fixed-only``, a file of shares ``{fixed, shared, public}`` (YAML/JSON), a
        mapping of them or a :class:`~evgrid.planning.mode_mix.ModeMix`; None: off.
    hub_connection
        With ``modes``: ``community``, ``own-unit`` or ``10kv``.

    Raises
    ------
    InputError
        A bad value, an option the method does not use, both costs.
    """
    from evgrid.checks import choice

    if method is not None:
        choice(method, METHODS, "method")
    if scenario is not None and not isinstance(scenario, str | os.PathLike | Scenario):
        raise bad_value("scenario", scenario, "a bundled scenario's name, a file or a Scenario")
    if cost_table is not None and not isinstance(cost_table, str | os.PathLike):
        raise bad_value("cost_table", cost_table, "the path of a cost table")
    listed = isinstance(strategies, list | tuple) and all(isinstance(x, str) for x in strategies)
    if strategies is not None and not isinstance(strategies, str) and not listed:
        raise bad_value("strategies", strategies, "strategy names")
    if method in (None, "index"):
        unused = (("days", days), ("seed", seed), ("band", band))
        for name, given in unused:
            if given is not None:
                raise bad_value(name, given, "not used by the index method (timeseries only)")
    if cost_table is not None and cost_per_kva is not None:
        raise bad_value("cost_table", str(cost_table), "either cost_table or cost_per_kva")
    cost = (
        read_cost_table(cost_table)
        if cost_table
        else CostModel(per_kva=cost_per_kva, illustrative=True)
    )
    if isinstance(strategies, str):
        strategies = strategies.split(",")
    chosen = None if strategies is None else tuple(s.strip() for s in strategies if s.strip())
    options: dict[str, Any] = {
        "method": method,
        "strategies": chosen,
        "days": days,
        "seed": seed,
        "criterion": criterion,
        "limit": limit,
        "band": band,
        "discount_rate": discount_rate,
        "basis": basis,
        "network_days": network_days,
    }
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(parameter("scenario").value if scenario is None else scenario)
    from evgrid.city.modes import read_mix

    return CitySettings(
        scenario=scenario,
        cost=cost,
        modes=read_mix(modes),
        hub_connection=hub_connection,  # type: ignore[arg-type]  # None: the default
        **{k: v for k, v in options.items() if v is not None},
    )


__all__ = ["CITY_STRATEGIES", "METHODS", "CitySettings", "city_settings"]
