"""A network study: Monte Carlo days, a charging strategy, the three-phase power flow, the limits,
and the network hosting capacity per strategy.

The fleet (:mod:`evgrid.network.fleet`): a car for every parking space, piles on the first spaces
of a random order at each pile ratio (the same piles at every larger ratio, as the transformer
tiers do), the households' load over one warm-up day, the study's days and one cool-down day;
the extremes are taken over the study's days. New piles get their phases by
:func:`evgrid.network.phases.assign_phases`. Strategies: any registered one, and
``network-valley-filling`` (:func:`evgrid.charging.nested.nested_valley_filling` under the limits
of every cable phase and transformer phase; voltage is then checked by the power flow, an outer
check).

Hosting capacity: the largest pile ratio (1 % steps) at which the network holds on the band's day,
found by bisection on the ratio (the load only grows with the ratio, so the utilisation does too,
up to Monte Carlo noise); the element that binds just above it and by how much. A day holds when
every limit holds at every step of it; the band (the parameter ``network_band``, or the design
basis's band in hosting) reads the days as the transformer's tiers read their daily peaks:
``p95``, the 95th percentile of the days' largest utilisation within 1 (``np.percentile``,
linear), so that the network's and the transformer's answers speak of the same day; ``p50``
the median day; ``worst``, every step of every day (the strictest, lower the more days are
drawn).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from evgrid.errors import bad_value
from evgrid.network.fleet import NETWORK_STRATEGY, Fleet, own_pile_spaces, pile_profiles
from evgrid.network.limits import Element, Limits, step_utilisation, utilisation
from evgrid.network.model import Network
from evgrid.network.powerflow import PowerFlowError
from evgrid.network.screening import Extremes, StepLoads, screen
from evgrid.params import as_generator, default, parameter
from evgrid.timegrid import FloatArray

DEFAULT_STRATEGIES = ("uncontrolled", "valley-filling", NETWORK_STRATEGY)
"""Strategies whose hosting capacity a study reports by default."""

RATIO_STEP = 0.01
"""Resolution of the hosting capacity [-]."""


def check_strategy(name: str) -> str:
    """``name`` if it is a registered strategy or :data:`NETWORK_STRATEGY` (InputError else)."""
    from evgrid.charging.strategies import strategy_names

    if name == NETWORK_STRATEGY or name in strategy_names(aliases=True):
        return name
    allowed = ", ".join([*strategy_names(aliases=True), NETWORK_STRATEGY])
    raise bad_value("strategy", name, f"one of {allowed}")


def resolve_network(network: Network | str | Path) -> Network:
    """A :class:`Network`, a bundled name or a network file."""
    if isinstance(network, Network):
        return network
    from evgrid.network.formats import bundled_names, load_network

    if isinstance(network, str) and network in bundled_names():
        from evgrid.network.formats import bundled

        return bundled(network)
    if isinstance(network, str | Path):
        if Path(network).suffix.lower() not in (".yaml", ".yml", ".json"):
            raise bad_value(
                "network",
                str(network),
                f"a bundled area ({', '.join(bundled_names())}) or a network file "
                "(.yaml, .yml, .json)",
            )
        return load_network(network)
    raise bad_value("network", type(network).__name__, "a Network, a bundled name or a file")


@dataclass(frozen=True)
class Evaluation:
    """One pile ratio under one strategy: the extremes, the worst element of each kind, and each
    day's largest utilisation read on a band (module docstring)."""

    ratio: float
    n_piles: int
    extremes: Extremes
    elements: list[Element]
    day_utilisation: FloatArray = field(default_factory=lambda: np.empty(0))
    band: str = "worst"

    @property
    def band_utilisation(self) -> float:
        """The network's utilisation on the band's day [-]: the largest element's over every
        step of every day (``worst``), else the band's percentile of the days' largest."""
        worst = max((e.utilisation for e in self.elements), default=0.0)
        if self.band == "worst" or self.day_utilisation.size == 0 or not np.isfinite(worst):
            return float(worst)
        return float(np.percentile(self.day_utilisation, float(self.band.lstrip("p"))))

    @property
    def passes(self) -> bool:
        """Every limit holds at every step of the band's day [-]."""
        return self.band_utilisation <= 1.0 + 1e-9

    @property
    def days_over(self) -> int:
        """Days on which some limit is exceeded at some step [-]."""
        return int(np.count_nonzero(self.day_utilisation > 1.0 + 1e-9))


def evaluate(
    fleet: Fleet,
    ratio: float,
    strategy: str,
    *,
    symmetric: bool,
    seed: int,
    limits: Limits | None = None,
    net: Network | None = None,
    spaces: np.ndarray | None = None,
    participation: float = 1.0,
    band: str = "worst",
) -> Evaluation:
    """Schedule, solve and judge one pile ratio (``band``: how its days are read, module
    docstring)."""
    if net is None or spaces is None:
        net, spaces = fleet.piles_at(ratio)
    rng = np.random.default_rng(seed)
    pile_kw = pile_profiles(fleet, net, spaces, strategy, rng, limits, participation)
    from evgrid.network.powerflow import LoadPoints

    ev = fleet.eval_slice
    loads = StepLoads(
        LoadPoints.of(net),
        fleet.household_kw[ev],
        np.ascontiguousarray(pile_kw[ev]),
        symmetric=symmetric,
    )
    if not all(u.vector_group.lower().startswith("d") for u in net.units if u.in_service):
        from evgrid.network.reference import pgm_extremes  # Yyn0: every step by power-grid-model

        ext = pgm_extremes(net, loads)
    else:
        try:
            ext = screen(net, loads)
        except PowerFlowError:  # beyond what the network carries: fails, whatever binds
            ext = screen(net, loads, verify=False)
            worst = int(np.argmin(ext.per_step["min_voltage_pu"]))
            collapse = Element("network", "collapse", float("inf"), 1.0, float("inf"), worst)
            elements = [collapse, *utilisation(net, ext, limits)]
            return Evaluation(ratio, net.n_pile, ext, elements, band=band)
    days = step_utilisation(ext, limits).reshape(-1, fleet.grid.slots_per_day).max(axis=1)
    return Evaluation(ratio, net.n_pile, ext, utilisation(net, ext, limits), days, band)


@dataclass(frozen=True)
class Hosting:
    """The network hosting capacity under one strategy.

    Parameters
    ----------
    strategy
        The strategy.
    pile_ratio
        Largest share of the spaces with a pile at which every limit holds [-].
    n_piles
        Piles at that ratio [-].
    binding
        The element that binds first: the most utilised one just above the capacity (or at
        ratio 1 when everything fits).
    """

    strategy: str
    pile_ratio: float
    n_piles: int
    binding: Element
    piles_per_feeder: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types."""
        return {
            "strategy": self.strategy,
            "pile_ratio": round(self.pile_ratio, 4),
            "n_piles": self.n_piles,
            "piles_per_feeder": self.piles_per_feeder,
            "binding": self.binding.to_dict(),
        }


def piles_per_feeder(net: Network) -> dict[str, int]:
    """Piles on each feeder, named by its first cable (``LV-B1``) [-]."""
    tree = net.tree()
    out: dict[str, int] = {}
    for b in net.pile_bus:
        c = int(tree.feeder[b])
        name = (
            f"{net.bus_names[net.from_bus[c]]}-{net.bus_names[net.to_bus[c]]}"
            if c >= 0
            else net.bus_names[b]
        )
        out[name] = out.get(name, 0) + 1
    return out


def hosting_capacity(
    fleet: Fleet,
    strategy: str,
    *,
    symmetric: bool,
    seed: int,
    limits: Limits | None = None,
    participation: float = 1.0,
    band: str = "worst",
) -> Hosting:
    """Largest pile ratio passing on the band's day, by bisection on the 1 % grid (module
    docstring)."""
    n = round(1.0 / RATIO_STEP)
    cache: dict[int, Evaluation] = {}

    def at(k: int) -> Evaluation:
        if k not in cache:
            cache[k] = evaluate(
                fleet,
                k * RATIO_STEP,
                strategy,
                symmetric=symmetric,
                seed=seed,
                limits=limits,
                participation=participation,
                band=band,
            )
        return cache[k]

    if at(n).passes:
        lo = hi = n
    elif not at(0).passes:
        lo = hi = 0
    else:
        lo, hi = 0, n
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if at(mid).passes:
                lo = mid
            else:
                hi = mid
    placed, _ = fleet.piles_at(lo * RATIO_STEP)
    return Hosting(
        strategy, lo * RATIO_STEP, at(lo).n_piles, at(hi).elements[0], piles_per_feeder(placed)
    )


@dataclass(frozen=True)
class NetworkResult:
    """The answer of a network study (:func:`network`).

    Parameters
    ----------
    network
        The area's name.
    request
        The options of the study.
    evaluation
        The study's pile ratio under its strategy: extremes and the worst element of each kind.
    hosting
        Hosting capacity per strategy.
    """

    network: str
    request: dict[str, Any]
    evaluation: Evaluation
    hosting: dict[str, Hosting] = field(default_factory=dict)
    net: Network | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON result: extremes, what binds, hosting per strategy."""
        ext = self.evaluation.extremes
        worst = self.evaluation.elements[0]
        return {
            "network": self.network,
            "request": self.request,
            "pile_ratio": round(self.evaluation.ratio, 4),
            "n_piles": self.evaluation.n_piles,
            "min_voltage_pu": round(ext.min_voltage_pu, 6),
            "max_voltage_pu": round(ext.max_voltage_pu, 6),
            "max_cable_loading_pu": round(ext.max_cable_loading_pu, 6),
            "max_transformer_loading_pu": round(ext.max_transformer_loading_pu, 6),
            "max_transformer_total_loading_pu": round(ext.max_transformer_total_pu, 6),
            "max_voltage_unbalance_pct": round(ext.max_voltage_unbalance_pct, 6),
            "max_neutral_current_a": round(float(ext.neutral_a.max(initial=0.0)), 3),
            "binding": {
                "element": worst.element,
                "kind": worst.kind,
                "utilisation": _finite(round(worst.utilisation, 6)),
                "passes": self.evaluation.passes,
            },
            "band": {
                "band": self.evaluation.band,
                "utilisation": _finite(round(self.evaluation.band_utilisation, 6)),
                "days_over_limit": self.evaluation.days_over,
                "days": int(self.evaluation.day_utilisation.size),
            },
            "elements": [e.to_dict() for e in self.evaluation.elements],
            "hosting": {k: round(h.pile_ratio, 4) for k, h in self.hosting.items()},
            "hosting_detail": {k: h.to_dict() for k, h in self.hosting.items()},
            "method": {
                "power_flow": ext.method,
                "screen_bound_pu": _finite(ext.bound_pu),
                "screen_error_pu": _finite(ext.screen_error_pu),
                "verified_steps": int(ext.verified_steps.size),
            },
        }

    def to_frame(self) -> Any:
        """One row per bus and cable: worst values (pandas)."""
        import pandas as pd

        assert self.net is not None
        ext, net = self.evaluation.extremes, self.net
        buses = pd.DataFrame(
            {
                "element": [f"bus {n}" for n in net.bus_names],
                "min_voltage_pu": ext.vmin_pu.min(axis=1),
                "max_voltage_pu": ext.vmax_pu.max(axis=1),
                "unbalance_pct": ext.unbalance_pct,
            }
        )
        cables = pd.DataFrame(
            {
                "element": [
                    f"cable {net.bus_names[a]}-{net.bus_names[b]}"
                    for a, b in zip(net.from_bus, net.to_bus, strict=True)
                ],
                "cable_loading_pu": ext.cable_loading_pu.max(axis=1),
                "neutral_a": ext.neutral_a,
            }
        )
        return pd.concat([buses, cables], ignore_index=True)


def network(
    network: Network | str | Path,
    *,
    days: int | None = None,
    seed: int | np.random.Generator | None = None,
    strategy: str = "uncontrolled",
    ev_share: float | None = None,
    symmetric: bool = False,
    behaviour: Any = None,
    strategies: tuple[str, ...] | None = DEFAULT_STRATEGIES,
    limits: Limits | None = None,
    household_day_kw: npt.ArrayLike | None = None,
    participation: float = 1.0,
    band: str | None = None,
) -> NetworkResult:
    """Study a low-voltage area: extremes at a pile ratio, what binds, hosting per strategy.

    Parameters
    ----------
    network
        A :class:`~evgrid.network.model.Network`, a bundled name (``ieee-eu-lv``,
        ``cn-residential-old``, ...) or a network file (YAML/JSON, power-grid-model JSON,
        pandapower JSON).
    days
        Monte Carlo days [day]; default the parameter ``network_days``.
    seed
        Seed or generator; default the parameter ``seed``.
    strategy
        Strategy of the study's pile ratio: a registered strategy or
        ``network-valley-filling``.
    ev_share
        Share of the parking spaces with a pile (and a car) [-]; default the network's own
        piles if it has any, else the parameter ``network_pile_ratio``.
    symmetric
        Balanced calculation (each bus's load split equally over its phases).
    behaviour
        Behaviour preset, file or object; default ``behaviour_residential``.
    strategies
        Strategies whose hosting capacity is searched (``None`` or empty: none).
    limits
        The limits; default :class:`~evgrid.network.limits.Limits` (standards, parameters).
    household_day_kw
        One household's load over a day ``(96,)`` [kW]; default the typical residential day at
        the planning index (report 3.1). A site's measured curve divided by its households goes
        here.
    participation
        Share of the cars that follow each strategy, the rest uncontrolled [-] (the hosting
        tiers' option); ``network-valley-filling`` takes every car (1).
    band
        How the days are read (module docstring): ``p95`` (the 95th-percentile day, as the
        transformer's tiers on the design basis), ``p50`` or ``worst`` (every step of every
        day); default the parameter ``network_band``.

    Returns
    -------
    NetworkResult
    """
    from evgrid.network.phases import assign_phases

    net = assign_phases(resolve_network(network))  # piles of unknown phase get one
    days = int(parameter("network_days").resolve(days, "days"))
    chosen_band = str(parameter("network_band").resolve(band, "band"))
    seed_value = int(default("seed")) if seed is None else seed
    names = tuple(strategies or ())
    for name in (strategy, *names):
        check_strategy(name)
    share = float(parameter("participation").check(participation, "participation"))
    if share != 1.0 and NETWORK_STRATEGY in (strategy, *names):
        raise bad_value("participation", participation, f"1 with strategy {NETWORK_STRATEGY}")
    rng = as_generator(seed_value)
    fleet_rng, run_rng = rng.spawn(2)
    run_seed = int(run_rng.integers(2**63 - 1))
    day = None if household_day_kw is None else np.asarray(household_day_kw, dtype=np.float64)
    fleet = Fleet.build(net, days, fleet_rng, behaviour, day)
    own = ev_share is None and net.n_pile > 0
    if own:
        spaces_own = own_pile_spaces(fleet, net)
        ev = evaluate(
            fleet,
            float(net.n_pile) / max(fleet.space_bus.size, 1),
            strategy,
            symmetric=symmetric,
            seed=run_seed,
            limits=limits,
            net=net,
            spaces=spaces_own,
            participation=share,
            band=chosen_band,
        )
    else:
        ratio = float(parameter("network_pile_ratio").resolve(ev_share, "ev_share"))
        ev = evaluate(
            fleet,
            ratio,
            strategy,
            symmetric=symmetric,
            seed=run_seed,
            limits=limits,
            participation=share,
            band=chosen_band,
        )
    hosting = {
        name: hosting_capacity(
            fleet,
            name,
            symmetric=symmetric,
            seed=run_seed,
            limits=limits,
            participation=share,
            band=chosen_band,
        )
        for name in names
    }
    request = {
        "days": days,
        "seed": seed_value if isinstance(seed_value, int) else None,
        "strategy": strategy,
        "ev_share": ev_share,
        "symmetric": symmetric,
        "strategies": list(names),
        "band": chosen_band,
    }
    if share != 1.0:
        request["participation"] = share
    return NetworkResult(net.name, request, ev, hosting, net)


def _finite(value: float) -> float | None:
    """A number for JSON: ``None`` for NaN or infinity (not JSON)."""
    return float(value) if np.isfinite(value) else None


__all__ = ["NetworkResult", "network"]
