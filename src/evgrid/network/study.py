"""A network study: Monte Carlo days, a charging strategy, the three-phase power flow, the limits,
and the network hosting capacity per strategy.

The fleet: every parking space of the area gets one car (sampled from the behaviour), the spaces
are put in a random order, and a pile ratio ``r`` puts piles (and their cars) on the first
``round(r * spaces)`` of them, so the same piles are present at every larger ratio (as the
transformer tiers do). New piles get their phases by :func:`evgrid.network.phases.assign_phases`.
A household's load is the typical residential day scaled to the planning index (report 3.1:
13 W/m² x 100 m² = 1.3 kW at the evening peak, the valley at the report's 0.4 of the peak).

Horizon: one warm-up day, the study's days, one cool-down day (as the time-series tier); the
extremes are taken over the study's days. Strategies: any registered one (its schedule of all
the area's cars against the transformer's base load), and ``network-valley-filling``
(:func:`evgrid.charging.nested.nested_valley_filling` under the limits of every cable phase,
transformer phase, from ampacity and rating at nominal voltage, with the households' load taken
off; voltage is then checked by the power flow, an outer check).

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
from evgrid.network.limits import Element, Limits, step_utilisation, utilisation
from evgrid.network.model import Network
from evgrid.network.powerflow import PowerFlowError
from evgrid.network.screening import Extremes, StepLoads, screen
from evgrid.params import as_generator, default, parameter
from evgrid.timegrid import FloatArray, TimeGrid

NETWORK_STRATEGY = "network-valley-filling"
"""Name of valley filling under the network's nested limits."""

DEFAULT_STRATEGIES = ("uncontrolled", "valley-filling", NETWORK_STRATEGY)
"""Strategies whose hosting capacity a study reports by default."""

RATIO_STEP = 0.01
"""Resolution of the hosting capacity [-]."""

PROFILE_CHUNK_BYTES = 256 * 2**20
"""Largest sessions x slots block of a separable strategy's pile profiles [B] (memory bound)."""

WARMUP_DAYS = 1
COOLDOWN_DAYS = 1


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
class Fleet:
    """The area's households, cars and horizon for one study (built once, used at every ratio)."""

    net: Network
    grid: TimeGrid
    household_kw: FloatArray
    space_bus: np.ndarray
    space_rank: np.ndarray
    sessions: Any
    eval_slice: slice

    @staticmethod
    def build(
        net: Network,
        days: int,
        rng: np.random.Generator,
        behaviour: Any,
        household_day_kw: FloatArray | None = None,
    ) -> Fleet:
        """Sample every space's car and the households' load over ``days`` (and the margins).

        ``household_day_kw`` is one household's day ``(96,)`` [kW] (a site's measured curve per
        household, say); default the typical residential day at the planning index.
        """
        from evgrid.demand.behaviour import Behaviour
        from evgrid.demand.sampling import sample_sessions
        from evgrid.load.shapes import typical_curve

        grid = TimeGrid(
            slot_min=float(default("slot_min")), n_days=days + WARMUP_DAYS + COOLDOWN_DAYS
        )
        if household_day_kw is not None:
            day = np.asarray(household_day_kw, dtype=np.float64)
            if day.shape != (grid.slots_per_day,) or not np.all(np.isfinite(day)) or day.min() < 0:
                raise bad_value(
                    "household_day_kw", day.shape, f"{grid.slots_per_day} finite values >= 0 [kW]"
                )
        peak = (
            float(default("residential_index_w_per_m2"))
            * float(default("floor_area_per_household_m2"))
            / 1e3
        )
        curve = typical_curve(
            "residential",
            peak,
            peak * float(default("valley_to_peak_ratio")),
            slot_min=grid.slot_min,
        )
        household_kw = curve.on_grid(grid) if household_day_kw is None else grid.tile_daily(day)
        spaces = np.asarray(net.spaces)
        space_bus = np.repeat(np.arange(net.n_bus), spaces)
        sample_rng, order_rng = rng.spawn(2)
        b = Behaviour.load(default("behaviour_residential") if behaviour is None else behaviour)
        sessions = sample_sessions(b, int(space_bus.size), days=days + WARMUP_DAYS, rng=sample_rng)
        rank = np.empty(space_bus.size, np.int64)
        rank[order_rng.permutation(space_bus.size)] = np.arange(space_bus.size)
        spd = grid.slots_per_day
        return Fleet(
            net,
            grid,
            household_kw,
            space_bus,
            rank,
            sessions,
            slice(WARMUP_DAYS * spd, (WARMUP_DAYS + days) * spd),
        )

    def piles_at(self, ratio: float) -> tuple[Network, np.ndarray]:
        """The network with piles on the first ``round(ratio * spaces)`` spaces (phases
        assigned), and the space of each pile."""
        from evgrid.network.phases import assign_phases

        k = int(np.floor(ratio * self.space_bus.size + 0.5 + 1e-9))
        chosen = np.flatnonzero(self.space_rank < k)
        chosen = chosen[np.argsort(self.space_rank[chosen])]
        net = self.net.with_piles(self.space_bus[chosen], np.full(chosen.size, -1, np.int64))
        return assign_phases(net), chosen


def pile_profiles(
    fleet: Fleet,
    net: Network,
    spaces: np.ndarray,
    strategy: str,
    rng: np.random.Generator,
    limits: Limits | None = None,
    participation: float = 1.0,
) -> FloatArray:
    """Charging power of every pile per slot of the horizon ``(n_slots, n_pile)`` [kW]; with
    ``participation`` below 1 that share of the cars follows the strategy, the rest charge
    uncontrolled (:func:`evgrid.charging.strategies.schedule`)."""
    import scipy.sparse as sp

    from evgrid.charging.strategies import get_strategy, schedule

    s_all = fleet.sessions
    pile_of_space = np.full(fleet.space_bus.size, -1, np.int64)
    pile_of_space[spaces] = np.arange(spaces.size)
    keep = pile_of_space[s_all.vehicle] >= 0
    from evgrid.sessions import Sessions

    pile = pile_of_space[s_all.vehicle[keep]]
    # a car charges at most at its pile's rating (a 7 kW home pile, whatever the car takes)
    power = np.minimum(s_all.max_power_kw[keep], net.pile_kw[pile])
    sessions = Sessions(
        s_all.arrival_h[keep],
        s_all.departure_h[keep],
        s_all.energy_kwh[keep],
        power,
        s_all.vehicle[keep],
    )
    if len(sessions) == 0:
        return np.zeros((fleet.grid.n_slots, spaces.size))
    base_kw = fleet.household_kw * float(net.households.sum())
    if strategy == NETWORK_STRATEGY:
        from evgrid.network.nested_limits import network_valley_filling

        session_kw = network_valley_filling(
            net, sessions, pile, fleet.grid, fleet.household_kw, limits=limits
        )
        return _to_piles(sp.csr_array(session_kw), pile, spaces.size).T
    chosen = get_strategy(strategy)
    # a car's load that is its own alone (uncontrolled charging) is summed in bounded chunks of
    # cars: a year of a few thousand cars' sessions x slots would not fit in memory at once
    per_chunk = max(1, int(PROFILE_CHUNK_BYTES // (8 * fleet.grid.n_slots)))
    separable = chosen.separable and not chosen.random and len(sessions) > per_chunk
    bounds = range(0, len(sessions), per_chunk) if separable else range(1)
    out = np.zeros((spaces.size, fleet.grid.n_slots))
    for lo in bounds:
        part = np.arange(lo, min(lo + per_chunk, len(sessions))) if separable else None
        sched = schedule(
            sessions if part is None else sessions.take(part),
            strategy,
            grid=fleet.grid,
            base_kw=base_kw,
            participation=participation,
            rng=rng,
            per_session=True,
        )
        out += _to_piles(
            sp.csr_array(sched.session_kw), pile if part is None else pile[part], spaces.size
        )
    return out.T


def _to_piles(session_kw: Any, pile: np.ndarray, n_piles: int) -> FloatArray:
    """Each pile's load per slot ``(n_piles, n_slots)`` [kW] from its sessions' ``session_kw``."""
    import scipy.sparse as sp

    to_pile = sp.csr_array(
        (np.ones(pile.size), (pile, np.arange(pile.size))), shape=(n_piles, pile.size)
    )
    return np.asarray((to_pile @ session_kw).toarray())


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
        spaces_own = _own_pile_spaces(fleet, net)
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


def _own_pile_spaces(fleet: Fleet, net: Network) -> np.ndarray:
    """A space (and so a car) for each of the network's own piles: the first free space of its
    bus in the random order."""
    out = np.empty(net.n_pile, np.int64)
    taken = np.zeros(fleet.space_bus.size, dtype=bool)
    order = np.argsort(fleet.space_rank)
    for k, b in enumerate(net.pile_bus):
        free = order[(fleet.space_bus[order] == b) & ~taken[order]]
        if free.size == 0:
            raise bad_value(
                f"network {net.name}: bus {net.bus_names[b]} piles",
                int(np.sum(net.pile_bus == b)),
                "at most the bus's parking spaces",
            )
        out[k] = free[0]
        taken[free[0]] = True
    return out


__all__ = ["NetworkResult", "network"]
